//! The columns of `sizing.csv`, defined once ([`COLUMNS`]): for each, its
//! header name, how its value is written and read from a [`SizingRow`],
//! and what `summary.csv` does with it ([`Summary`]). The header,
//! [`SizingRow::to_line`], [`SizingRow::parse`] (the merge reader), the
//! plain summary and the polars report all walk this table.

use super::rows::SizingRow;
use crate::cluster::{EventOrder, ModelKind, PolicyKind};
use std::fmt::Write as _;
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
    /// Mean and 95% confidence interval of the mean.
    Interval,
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

/// A real column at a field path (`price.shortage_pct[0]`).
macro_rules! real_at {
    ($name:literal, $summary:expr, $($path:tt)+) => {
        col(
            $name,
            Cell::Real(|r| r.$($path)+, |r, v| r.$($path)+ = v),
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
    count!("hosts_shared_pool", hosts_shared_pool, Summary::Interval),
    real_at!("shortage_pct_l1", Summary::Interval, price.shortage_pct[0]),
    real_at!("shortage_pct_l2", Summary::Interval, price.shortage_pct[1]),
    real_at!("shortage_pct_l3", Summary::Interval, price.shortage_pct[2]),
    real_at!(
        "shortage_pct_l1_dedicated",
        Summary::Interval,
        price.shortage_pct_dedicated[0]
    ),
    real_at!(
        "shortage_pct_l2_dedicated",
        Summary::Interval,
        price.shortage_pct_dedicated[1]
    ),
    real_at!(
        "shortage_pct_l3_dedicated",
        Summary::Interval,
        price.shortage_pct_dedicated[2]
    ),
    real_at!(
        "shortage_pct_l1_shared_pool",
        Summary::Interval,
        price.shortage_pct_shared_pool[0]
    ),
    real_at!(
        "shortage_pct_l2_shared_pool",
        Summary::Interval,
        price.shortage_pct_shared_pool[1]
    ),
    real_at!(
        "shortage_pct_l3_shared_pool",
        Summary::Interval,
        price.shortage_pct_shared_pool[2]
    ),
    real_at!("shortage_p99_l1", Summary::Interval, price.shortage_p99[0]),
    real_at!("shortage_p99_l2", Summary::Interval, price.shortage_p99[1]),
    real_at!("shortage_p99_l3", Summary::Interval, price.shortage_p99[2]),
    real_at!(
        "shortage_time_pct_l1",
        Summary::Interval,
        price.shortage_time_pct[0]
    ),
    real_at!(
        "shortage_time_pct_l2",
        Summary::Interval,
        price.shortage_time_pct[1]
    ),
    real_at!(
        "shortage_time_pct_l3",
        Summary::Interval,
        price.shortage_time_pct[2]
    ),
    real_at!(
        "shortage_mean_pct_l1",
        Summary::Interval,
        price.shortage_mean_pct[0]
    ),
    real_at!(
        "shortage_mean_pct_l2",
        Summary::Interval,
        price.shortage_mean_pct[1]
    ),
    real_at!(
        "shortage_mean_pct_l3",
        Summary::Interval,
        price.shortage_mean_pct[2]
    ),
    real_at!(
        "shortage_worst_host_pct_l1",
        Summary::Interval,
        price.shortage_worst_host_pct[0]
    ),
    real_at!(
        "shortage_worst_host_pct_l2",
        Summary::Interval,
        price.shortage_worst_host_pct[1]
    ),
    real_at!(
        "shortage_worst_host_pct_l3",
        Summary::Interval,
        price.shortage_worst_host_pct[2]
    ),
    real_at!(
        "energy_kwh_slackvm",
        Summary::Interval,
        price.energy_kwh_slackvm
    ),
    real_at!(
        "energy_kwh_dedicated",
        Summary::Interval,
        price.energy_kwh_dedicated
    ),
    real_at!(
        "energy_kwh_shared_pool",
        Summary::Interval,
        price.energy_kwh_shared_pool
    ),
    real_at!("co2e_kg_slackvm", Summary::Interval, price.co2e_kg_slackvm),
];

/// The header line of `sizing.csv` (the names of [`COLUMNS`]).
pub static HEADER: LazyLock<String> =
    LazyLock::new(|| COLUMNS.iter().map(|c| c.name).collect::<Vec<_>>().join(","));
