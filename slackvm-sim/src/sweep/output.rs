//! The output directory of a sweep: `sizing.csv` (rows in canonical
//! order), `summary.csv` (computed from the rows as written, parsed back)
//! and the SVG figures. [`merge_dirs`] joins the `sizing.csv` of shard
//! directories and writes the same files a single run would, byte for byte.

use super::plots;
use super::rows::{read_sizing, sizing_csv, SizingRow, HEADER};
use super::summary::{summarise, summary_csv, SummaryRow};
use super::SweepError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Files written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputFiles {
    /// `sizing.csv`.
    pub sizing: PathBuf,
    /// `summary.csv`.
    pub summary: PathBuf,
    /// Figures.
    pub figures: Vec<PathBuf>,
    /// Rows as written (parsed back).
    pub rows: Vec<SizingRow>,
    /// The summary.
    pub cells: Vec<SummaryRow>,
}

fn write(path: &Path, text: &str) -> Result<(), SweepError> {
    std::fs::write(path, text).map_err(|e| SweepError::io(path, e))
}

/// Writes every output of `rows` into `dir` (created if needed).
pub fn write_outputs(dir: &Path, rows: &[SizingRow]) -> Result<OutputFiles, SweepError> {
    std::fs::create_dir_all(dir).map_err(|e| SweepError::io(dir, e))?;
    let mut sorted = rows.to_vec();
    sorted.sort_by(SizingRow::canonical_cmp);
    let text = sizing_csv(&sorted);
    let sizing = dir.join("sizing.csv");
    write(&sizing, &text)?;
    // The summary and figures see exactly what was written.
    let rows: Vec<SizingRow> = text
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| SizingRow::parse(l, &sizing, i + 2))
        .collect::<Result<_, _>>()?;
    debug_assert!(text.starts_with(HEADER));
    let cells = summarise(&rows);
    let summary = dir.join("summary.csv");
    write(&summary, &summary_csv(&cells))?;
    let mut figures = Vec::new();
    for (name, svg) in plots::all_figures(&cells).map_err(|message| SweepError::Plot {
        path: dir.to_path_buf(),
        message,
    })? {
        let p = dir.join(name);
        write(&p, &svg)?;
        figures.push(p);
    }
    Ok(OutputFiles {
        sizing,
        summary,
        figures,
        rows,
        cells,
    })
}

/// Reads the `sizing.csv` of every directory (duplicate rows are an error)
/// and writes the joined outputs into `out`.
pub fn merge_dirs(dirs: &[PathBuf], out: &Path) -> Result<OutputFiles, SweepError> {
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    for d in dirs {
        let path = d.join("sizing.csv");
        for (i, r) in read_sizing(&path)?.into_iter().enumerate() {
            let key = r.key();
            if !seen.insert(key.clone()) {
                return Err(SweepError::Duplicate {
                    path,
                    line: i + 2,
                    key,
                });
            }
            rows.push(r);
        }
    }
    write_outputs(out, &rows)
}
