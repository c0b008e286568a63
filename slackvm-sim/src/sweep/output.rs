//! The output directory of a sweep: `sizing.csv` (rows in canonical
//! order), `summary.csv` (computed from the rows as written, parsed back)
//! and the SVG figures. [`merge_dirs`] joins the `sizing.csv` of shard
//! directories and writes the same files a single run would, byte for byte.

use super::plots;
use super::rows::{read_sizing, sizing_csv, SizingRow, HEADER};
use super::summary::{summarise, summary_csv, SummaryRow};
use super::SweepError;
use crate::output::OutputSet;
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

/// Writes every output of `rows` into `dir` (created if needed), all
/// committed at the end (see [`crate::output`]).
pub fn write_outputs(dir: &Path, rows: &[SizingRow]) -> Result<OutputFiles, SweepError> {
    write_outputs_checked(dir, rows, OutputSet::new([]))
}

/// [`write_outputs`], refusing to overwrite any input declared in `set`.
fn write_outputs_checked(
    dir: &Path,
    rows: &[SizingRow],
    mut set: OutputSet,
) -> Result<OutputFiles, SweepError> {
    let mut sorted = rows.to_vec();
    sorted.sort_by(SizingRow::canonical_cmp);
    let text = sizing_csv(&sorted);
    let sizing = dir.join("sizing.csv");
    set.write(&sizing, text.as_bytes())?;
    // The summary and figures see exactly what was written.
    let rows: Vec<SizingRow> = text
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, l)| SizingRow::parse(l, &sizing, i + 2))
        .collect::<Result<_, _>>()?;
    debug_assert!(text.starts_with(HEADER.as_str()));
    let cells = summarise(&rows);
    let summary = dir.join("summary.csv");
    set.write(&summary, summary_csv(&cells).as_bytes())?;
    let mut figures = Vec::new();
    // An empty shard writes its (empty) tables and no figure: a figure of
    // nothing is refused by `all_figures`.
    let drawn = if cells.is_empty() {
        Vec::new()
    } else {
        plots::all_figures(&cells).map_err(|message| SweepError::Plot {
            path: dir.to_path_buf(),
            message,
        })?
    };
    for (name, svg) in drawn {
        let p = dir.join(name);
        set.write(&p, svg.as_bytes())?;
        figures.push(p);
    }
    set.commit()?;
    Ok(OutputFiles {
        sizing,
        summary,
        figures,
        rows,
        cells,
    })
}

/// Reads the `sizing.csv` of every directory (duplicate rows are an error;
/// shards must form a complete set: [`super::shard::check_complete`]) and
/// writes the joined outputs into `out`.
pub fn merge_dirs(dirs: &[PathBuf], out: &Path) -> Result<OutputFiles, SweepError> {
    super::shard::check_complete(dirs)?;
    let mut rows = Vec::new();
    let mut seen = BTreeSet::new();
    let mut set = OutputSet::new([]);
    for d in dirs {
        let path = d.join("sizing.csv");
        set.add_input(&path);
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
    write_outputs_checked(out, &rows, set)
}
