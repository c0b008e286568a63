//! One row of `sizing.csv`: a workload sized with one policy and one host
//! model. Written with fixed decimals (4) and read back by the same code,
//! so summaries computed from parsed rows are identical whoever wrote them.
//!
//! The columns are defined once, in [`COLUMNS`]: each names its CSV
//! header, how its value is written and read, and what `summary.csv` does
//! with it ([`Summary`]). The header, [`SizingRow::to_line`],
//! [`SizingRow::parse`] (the merge reader), the plain summary and the
//! polars report all walk that table. A new column is one entry there
//! (plus its field in [`SizingRow`]).
//!
//! `level_rule` is how levels were given (`a/b/c` for the grid, a trace's
//! `--levels` rule), `host` the host shape (`32cpu-128gb` for `counting`,
//! the topology's name for `vnode`), `oversize_vms` the VMs left out
//! because they fit no empty host (`--oversize drop|count`).

use super::SweepError;
use crate::cluster::{EventOrder, ModelKind, PolicyKind};
use crate::workload::BUILTIN_CATALOGUES;
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::LazyLock;

/// What `summary.csv` does with a column over the seeds of a cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Summary {
    /// Part of the cell's identity (written once per cell).
    Key,
    /// Not summarised (the seed, counts kept for reference).
    Skip,
    /// Mean, sd, 95% confidence interval of the mean and 95% prediction
    /// interval of one run, widened by this much for rounding.
    Spread(f64),
    /// The mean only.
    Mean,
}

/// How a column's value is read from and written to a [`SizingRow`].
#[derive(Clone, Copy)]
pub enum Cell {
    /// Free text or a name (written as is).
    Text(
        fn(&SizingRow) -> &str,
        fn(&mut SizingRow, &str) -> Result<(), String>,
    ),
    /// An unsigned integer.
    Int(
        fn(&SizingRow) -> u64,
        fn(&mut SizingRow, u64) -> Result<(), String>,
    ),
    /// A real, written with 4 decimals.
    Real(fn(&SizingRow) -> f64, fn(&mut SizingRow, f64)),
    /// `true` or `false`.
    Flag(fn(&SizingRow) -> bool, fn(&mut SizingRow, bool)),
}

/// One column of `sizing.csv`.
#[derive(Clone, Copy)]
pub struct Column {
    /// Header name.
    pub name: &'static str,
    /// Value access.
    pub cell: Cell,
    /// Treatment in `summary.csv`.
    pub summary: Summary,
}

impl std::fmt::Debug for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column")
            .field("name", &self.name)
            .field("summary", &self.summary)
            .finish()
    }
}

impl Column {
    /// The value as a number (0/1 for flags; `None` for text).
    pub fn number(&self, r: &SizingRow) -> Option<f64> {
        match self.cell {
            Cell::Text(..) => None,
            Cell::Int(get, _) => Some(get(r) as f64),
            Cell::Real(get, _) => Some(get(r)),
            Cell::Flag(get, _) => Some(f64::from(u8::from(get(r)))),
        }
    }
    /// Appends the value as written in the CSV.
    pub fn write(&self, r: &SizingRow, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = match self.cell {
            Cell::Text(get, _) => write!(out, "{}", get(r)),
            Cell::Int(get, _) => write!(out, "{}", get(r)),
            Cell::Real(get, _) => write!(out, "{:.4}", get(r)),
            Cell::Flag(get, _) => write!(out, "{}", get(r)),
        };
    }
    /// Reads the value from its CSV text into `r`.
    pub fn read(&self, r: &mut SizingRow, text: &str) -> Result<(), String> {
        let bad = || format!("column `{}`: `{}` is not a valid value", self.name, text);
        match self.cell {
            Cell::Text(_, set) => set(r, text),
            Cell::Int(_, set) => set(r, text.parse().map_err(|_| bad())?).map_err(|_| bad()),
            Cell::Real(_, set) => {
                set(r, text.parse().map_err(|_| bad())?);
                Ok(())
            }
            Cell::Flag(_, set) => {
                set(r, text.parse().map_err(|_| bad())?);
                Ok(())
            }
        }
    }
}

/// A `u32` field from a `u64` value (out of range: an error).
fn to_u32(v: u64) -> Result<u32, String> {
    u32::try_from(v).map_err(|e| e.to_string())
}

/// A `usize` field from a `u64` value (out of range: an error).
fn to_usize(v: u64) -> Result<usize, String> {
    usize::try_from(v).map_err(|e| e.to_string())
}

const fn col(name: &'static str, cell: Cell, summary: Summary) -> Column {
    Column {
        name,
        cell,
        summary,
    }
}

/// A count column (`usize` field).
macro_rules! count {
    ($name:literal, $field:ident $([$i:literal])?, $summary:expr) => {
        col(
            $name,
            Cell::Int(
                |r| r.$field$([$i])? as u64,
                |r, v| {
                    r.$field$([$i])? = to_usize(v)?;
                    Ok(())
                },
            ),
            $summary,
        )
    };
}

/// A real column (`f64` field).
macro_rules! real {
    ($name:literal, $field:ident, $summary:expr) => {
        col(
            $name,
            Cell::Real(|r| r.$field, |r, v| r.$field = v),
            $summary,
        )
    };
}

/// Every column of `sizing.csv`, in file order: the 17 documented ones,
/// then ours.
pub const COLUMNS: &[Column] = &[
    col(
        "catalogue",
        Cell::Text(
            |r| &r.catalogue,
            |r, v| {
                r.catalogue = v.to_string();
                Ok(())
            },
        ),
        Summary::Key,
    ),
    col(
        "oc1",
        Cell::Int(
            |r| u64::from(r.shares[0]),
            |r, v| to_u32(v).map(|v| r.shares[0] = v),
        ),
        Summary::Key,
    ),
    col(
        "oc2",
        Cell::Int(
            |r| u64::from(r.shares[1]),
            |r, v| to_u32(v).map(|v| r.shares[1] = v),
        ),
        Summary::Key,
    ),
    col(
        "oc3",
        Cell::Int(
            |r| u64::from(r.shares[2]),
            |r, v| to_u32(v).map(|v| r.shares[2] = v),
        ),
        Summary::Key,
    ),
    count!("vms", vms, Summary::Key),
    col(
        "seed",
        Cell::Int(
            |r| r.seed,
            |r, v| {
                r.seed = v;
                Ok(())
            },
        ),
        Summary::Skip,
    ),
    col(
        "policy",
        Cell::Text(
            |r| r.policy.name(),
            |r, v| {
                r.policy = PolicyKind::parse(v).map_err(|e| e.to_string())?;
                Ok(())
            },
        ),
        Summary::Key,
    ),
    col(
        "model",
        Cell::Text(
            |r| r.model.name(),
            |r, v| {
                r.model = ModelKind::parse(v).map_err(|e| e.to_string())?;
                Ok(())
            },
        ),
        Summary::Key,
    ),
    count!("hosts_slackvm", hosts_slackvm, Summary::Spread(0.5)),
    count!("hosts_dedicated", hosts_dedicated, Summary::Spread(0.5)),
    count!("hosts_oc1", hosts_level[0], Summary::Skip),
    count!("hosts_oc2", hosts_level[1], Summary::Skip),
    count!("hosts_oc3", hosts_level[2], Summary::Skip),
    real!("gain_pct", gain_pct, Summary::Spread(0.0)),
    count!("lower_bound", lower_bound, Summary::Mean),
    real!("unallocated_cpu_pct", unallocated_cpu_pct, Summary::Mean),
    real!("unallocated_mem_pct", unallocated_mem_pct, Summary::Mean),
    real!(
        "dedicated_unallocated_cpu_pct",
        dedicated_unallocated_cpu_pct,
        Summary::Mean
    ),
    real!(
        "dedicated_unallocated_mem_pct",
        dedicated_unallocated_mem_pct,
        Summary::Mean
    ),
    col(
        "mem_cap",
        Cell::Flag(|r| r.mem_cap, |r, v| r.mem_cap = v),
        Summary::Key,
    ),
    col(
        "event_order",
        Cell::Text(
            |r| r.order.name(),
            |r, v| {
                r.order = EventOrder::parse(v).map_err(|e| e.to_string())?;
                Ok(())
            },
        ),
        Summary::Key,
    ),
    count!("workload_vms", workload_vms, Summary::Skip),
    col(
        "runs",
        Cell::Int(|r| u64::from(r.runs), |r, v| to_u32(v).map(|v| r.runs = v)),
        Summary::Skip,
    ),
    col(
        "non_monotone",
        Cell::Flag(|r| r.non_monotone, |r, v| r.non_monotone = v),
        Summary::Skip,
    ),
    col(
        "level_rule",
        Cell::Text(
            |r| &r.level_rule,
            |r, v| {
                r.level_rule = v.to_string();
                Ok(())
            },
        ),
        Summary::Skip,
    ),
    col(
        "host",
        Cell::Text(
            |r| &r.host,
            |r, v| {
                r.host = v.to_string();
                Ok(())
            },
        ),
        Summary::Skip,
    ),
    count!("oversize_vms", oversize_vms, Summary::Skip),
];

/// The header line of `sizing.csv` (the names of [`COLUMNS`]).
pub static HEADER: LazyLock<String> =
    LazyLock::new(|| COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>().join(","));

/// One sizing.
#[derive(Debug, Clone, PartialEq)]
pub struct SizingRow {
    /// Catalogue name.
    pub catalogue: String,
    /// Level shares (integer %).
    pub shares: [u32; 3],
    /// Initial VM count asked for.
    pub vms: usize,
    /// Seed.
    pub seed: u64,
    /// Policy.
    pub policy: PolicyKind,
    /// Host model.
    pub model: ModelKind,
    /// Shared cluster hosts.
    pub hosts_slackvm: usize,
    /// Sum of the dedicated clusters.
    pub hosts_dedicated: usize,
    /// Dedicated cluster per level 1, 2, 3.
    pub hosts_level: [usize; 3],
    /// Gain in % of the dedicated hosts.
    pub gain_pct: f64,
    /// Per-time lower bound of the shared cluster.
    pub lower_bound: usize,
    /// Unallocated CPU, shared cluster (%).
    pub unallocated_cpu_pct: f64,
    /// Unallocated memory, shared cluster (%).
    pub unallocated_mem_pct: f64,
    /// Unallocated CPU, dedicated clusters (%).
    pub dedicated_unallocated_cpu_pct: f64,
    /// Unallocated memory, dedicated clusters (%).
    pub dedicated_unallocated_mem_pct: f64,
    /// Memory cap on.
    pub mem_cap: bool,
    /// Order of simultaneous events.
    pub order: EventOrder,
    /// VMs in the generated workload (all days).
    pub workload_vms: usize,
    /// Simulations run.
    pub runs: u32,
    /// A search found its policy non-monotone.
    pub non_monotone: bool,
    /// How levels were given (`a/b/c`, or a trace's rule).
    pub level_rule: String,
    /// Host shape (`32cpu-128gb`, or a topology name).
    pub host: String,
    /// VMs left out because they fit no empty host.
    pub oversize_vms: usize,
}

/// Rank of a catalogue in outputs: built-ins first in their order, then by name.
pub fn catalogue_rank(name: &str) -> (usize, &str) {
    (
        BUILTIN_CATALOGUES
            .iter()
            .position(|c| *c == name)
            .unwrap_or(BUILTIN_CATALOGUES.len()),
        name,
    )
}

fn dist_rank(s: [u32; 3]) -> (usize, [u32; 3]) {
    (
        super::grid::DISTRIBUTIONS
            .iter()
            .position(|d| *d == s)
            .unwrap_or(usize::MAX),
        s,
    )
}

impl SizingRow {
    /// Canonical order of rows (the same for a run and a merge).
    pub fn canonical_cmp(&self, other: &Self) -> Ordering {
        fn key(r: &SizingRow) -> impl Ord + '_ {
            (
                r.mem_cap,
                r.order,
                dist_rank(r.shares),
                r.vms,
                r.seed,
                r.policy,
                r.model,
                r.level_rule.as_str(),
                r.host.as_str(),
            )
        }
        catalogue_rank(&self.catalogue)
            .cmp(&catalogue_rank(&other.catalogue))
            .then_with(|| key(self).cmp(&key(other)))
    }

    /// Identity of the row (for duplicate detection).
    pub fn key(&self) -> String {
        format!(
            "{} {}/{}/{} {} seed {} {} {} cap {} {} levels {} host {}",
            self.catalogue,
            self.shares[0],
            self.shares[1],
            self.shares[2],
            self.vms,
            self.seed,
            self.policy.name(),
            self.model.name(),
            self.mem_cap,
            self.order.name(),
            self.level_rule,
            self.host
        )
    }

    /// The CSV line (no newline), column by column of [`COLUMNS`].
    pub fn to_line(&self) -> String {
        let mut out = String::with_capacity(192);
        for (i, c) in COLUMNS.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            c.write(self, &mut out);
        }
        out
    }

    /// A row with every field at its zero value (filled by [`SizingRow::parse`]).
    pub fn blank() -> SizingRow {
        SizingRow {
            catalogue: String::new(),
            shares: [0; 3],
            vms: 0,
            seed: 0,
            policy: PolicyKind::Paper,
            model: ModelKind::Counting,
            hosts_slackvm: 0,
            hosts_dedicated: 0,
            hosts_level: [0; 3],
            gain_pct: 0.0,
            lower_bound: 0,
            unallocated_cpu_pct: 0.0,
            unallocated_mem_pct: 0.0,
            dedicated_unallocated_cpu_pct: 0.0,
            dedicated_unallocated_mem_pct: 0.0,
            mem_cap: false,
            order: EventOrder::ArrivalsFirst,
            workload_vms: 0,
            runs: 0,
            non_monotone: false,
            level_rule: String::new(),
            host: String::new(),
            oversize_vms: 0,
        }
    }

    /// Parses a line written by [`SizingRow::to_line`].
    pub fn parse(line: &str, path: &Path, line_no: usize) -> Result<SizingRow, SweepError> {
        let err = |message: String| SweepError::Csv {
            path: path.to_path_buf(),
            line: line_no,
            message,
        };
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != COLUMNS.len() {
            return Err(err(format!(
                "{} fields, expected {}",
                f.len(),
                COLUMNS.len()
            )));
        }
        let mut row = SizingRow::blank();
        for (c, text) in COLUMNS.iter().zip(f) {
            c.read(&mut row, text).map_err(err)?;
        }
        Ok(row)
    }
}

/// Reads a `sizing.csv`.
pub fn read_sizing(path: &Path) -> Result<Vec<SizingRow>, SweepError> {
    let text = std::fs::read_to_string(path).map_err(|e| SweepError::io(path, e))?;
    let mut lines = text.lines();
    match lines.next() {
        Some(h) if h == HEADER.as_str() => {}
        _ => {
            return Err(SweepError::Csv {
                path: path.to_path_buf(),
                line: 1,
                message: "missing or unexpected header (not a sizing.csv of this version)".into(),
            })
        }
    }
    lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| SizingRow::parse(l, path, i + 2))
        .collect()
}

/// Formats rows (canonical order) into the `sizing.csv` text.
pub fn sizing_csv(rows: &[SizingRow]) -> String {
    csv_text(&HEADER, rows.iter().map(SizingRow::to_line))
}

/// A CSV text: the header line, then one line per item.
pub(crate) fn csv_text(header: &str, lines: impl Iterator<Item = String>) -> String {
    let mut out = String::with_capacity(64 + lines.size_hint().0 * 128);
    out.push_str(header);
    out.push('\n');
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
pub(crate) fn sample_row() -> SizingRow {
    SizingRow {
        catalogue: "ovhcloud2023".into(),
        shares: [25, 50, 25],
        vms: 500,
        seed: 3,
        policy: PolicyKind::Paper,
        model: ModelKind::Counting,
        hosts_slackvm: 70,
        hosts_dedicated: 75,
        hosts_level: [30, 25, 20],
        gain_pct: 100.0 * 5.0 / 75.0,
        lower_bound: 66,
        unallocated_cpu_pct: 12.345678,
        unallocated_mem_pct: 40.0,
        dedicated_unallocated_cpu_pct: 15.0,
        dedicated_unallocated_mem_pct: 45.5,
        mem_cap: true,
        order: EventOrder::ArrivalsFirst,
        workload_vms: 1700,
        runs: 4,
        non_monotone: false,
        level_rule: "25/50/25".into(),
        host: "32cpu-128gb".into(),
        oversize_vms: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_round_trips_through_its_line() {
        let r = sample_row();
        let line = r.to_line();
        assert!(line.starts_with(
            "ovhcloud2023,25,50,25,500,3,paper,counting,70,75,30,25,20,6.6667,66,12.3457,"
        ));
        let back = SizingRow::parse(&line, Path::new("x"), 2).unwrap();
        assert_eq!(back.to_line(), line);
        let e = SizingRow::parse("a,b", Path::new("f.csv"), 7)
            .unwrap_err()
            .to_string();
        assert!(e.contains("f.csv: line 7"), "{e}");
    }
}
