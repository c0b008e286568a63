//! One row of `sizing.csv`: a workload sized with one policy and one host
//! model. Written with fixed decimals (4) and read back by the same code,
//! so summaries computed from parsed rows are identical whoever wrote them.
//!
//! The columns are defined once, in [`COLUMNS`] ([`super::columns`]): each names its CSV
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

pub use super::columns::{Cell, Column, Summary, COLUMNS, HEADER};
use super::SweepError;
use crate::cluster::{EventOrder, ModelKind, PolicyKind};
use crate::workload::BUILTIN_CATALOGUES;
use std::cmp::Ordering;
use std::path::Path;

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
    /// Hosts of the shared-pool layout.
    pub hosts_shared_pool: usize,
    /// Shortage per level and energy (NaN when CPU usage is unknown).
    pub price: PriceCols,
}

/// The price-of-packing columns of a row, per level 1:1, 2:1, 3:1 (%
/// values; NaN when the workload's CPU usage is unknown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceCols {
    /// Demanded CPU-seconds not served, SlackVM (%).
    pub shortage_pct: [f64; 3],
    /// The same in the dedicated clusters.
    pub shortage_pct_dedicated: [f64; 3],
    /// The same in the shared-pool cluster.
    pub shortage_pct_shared_pool: [f64; 3],
    /// 99th percentile over VM-time of the share of demand missed, SlackVM (%).
    pub shortage_p99: [f64; 3],
    /// Share of VM-time short of CPU, SlackVM (%).
    pub shortage_time_pct: [f64; 3],
    /// Mean share of demand missed over VM-time, SlackVM (%).
    pub shortage_mean_pct: [f64; 3],
    /// The worst host's share of demand missed, SlackVM (%).
    pub shortage_worst_host_pct: [f64; 3],
    /// Energy of the SlackVM cluster over the workload's span (kWh).
    pub energy_kwh_slackvm: f64,
    /// Energy of the dedicated clusters (kWh).
    pub energy_kwh_dedicated: f64,
    /// Energy of the shared-pool cluster (kWh).
    pub energy_kwh_shared_pool: f64,
    /// CO2e of the SlackVM cluster's energy (kg).
    pub co2e_kg_slackvm: f64,
}

impl PriceCols {
    /// Every value unknown (NaN).
    pub fn unknown() -> Self {
        let n = [f64::NAN; 3];
        PriceCols {
            shortage_pct: n,
            shortage_pct_dedicated: n,
            shortage_pct_shared_pool: n,
            shortage_p99: n,
            shortage_time_pct: n,
            shortage_mean_pct: n,
            shortage_worst_host_pct: n,
            energy_kwh_slackvm: f64::NAN,
            energy_kwh_dedicated: f64::NAN,
            energy_kwh_shared_pool: f64::NAN,
            co2e_kg_slackvm: f64::NAN,
        }
    }
    /// The columns of a measured price (levels 1.0, 2.0, 3.0; a level
    /// absent from the workload has no shortage).
    pub fn of(p: &crate::cluster::price::Price) -> Self {
        let per = |f: &dyn Fn(usize) -> f64| {
            crate::workload::LEVELS.map(|l| p.level_idx(l).map_or(0.0, f))
        };
        let s = &p.slackvm.levels;
        PriceCols {
            shortage_pct: per(&|i| s[i].shortage_pct()),
            shortage_pct_dedicated: per(&|i| p.dedicated[i].shortage_pct()),
            shortage_pct_shared_pool: per(&|i| p.shared_pool.levels[i].shortage_pct()),
            shortage_p99: per(&|i| s[i].p99_pct()),
            shortage_time_pct: per(&|i| s[i].time_pct()),
            shortage_mean_pct: per(&|i| s[i].mean_pct()),
            shortage_worst_host_pct: per(&|i| s[i].worst_host().map_or(0.0, |w| w.1)),
            energy_kwh_slackvm: p.slackvm.energy_kwh,
            energy_kwh_dedicated: p.dedicated_energy_kwh,
            energy_kwh_shared_pool: p.shared_pool.energy_kwh,
            co2e_kg_slackvm: p.co2e_kg_slackvm,
        }
    }
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
            hosts_shared_pool: 0,
            price: PriceCols::unknown(),
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
        hosts_shared_pool: 72,
        price: PriceCols::unknown(),
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
