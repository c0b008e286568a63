//! One row of `sizing.csv`: a workload sized with one policy and one host
//! model. Written with fixed decimals (4) and read back by the same code,
//! so summaries computed from parsed rows are identical whoever wrote them.
//!
//! Columns (the first 17 are the documented ones, then ours):
//! `catalogue,oc1,oc2,oc3,vms,seed,policy,model,hosts_slackvm,
//! hosts_dedicated,hosts_oc1,hosts_oc2,hosts_oc3,gain_pct,lower_bound,
//! unallocated_cpu_pct,unallocated_mem_pct,dedicated_unallocated_cpu_pct,
//! dedicated_unallocated_mem_pct,mem_cap,event_order,workload_vms,runs,
//! non_monotone,level_rule,host,oversize_vms`.
//!
//! `level_rule` is how levels were given (`a/b/c` for the grid, a trace's
//! `--levels` rule), `host` the host shape (`32cpu-128gb` for `counting`,
//! the topology's name for `vnode`), `oversize_vms` the VMs left out
//! because they fit no empty host (`--oversize drop|count`).

use super::SweepError;
use crate::cluster::{EventOrder, ModelKind, PolicyKind};
use crate::workload::BUILTIN_CATALOGUES;
use std::cmp::Ordering;
use std::path::Path;

/// The header line of `sizing.csv`.
pub const HEADER: &str = "catalogue,oc1,oc2,oc3,vms,seed,policy,model,hosts_slackvm,hosts_dedicated,hosts_oc1,hosts_oc2,hosts_oc3,gain_pct,lower_bound,unallocated_cpu_pct,unallocated_mem_pct,dedicated_unallocated_cpu_pct,dedicated_unallocated_mem_pct,mem_cap,event_order,workload_vms,runs,non_monotone,level_rule,host,oversize_vms";

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

    /// The CSV line (no newline).
    pub fn to_line(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{:.4},{},{:.4},{:.4},{:.4},{:.4},{},{},{},{},{},{},{},{}",
            self.catalogue,
            self.shares[0],
            self.shares[1],
            self.shares[2],
            self.vms,
            self.seed,
            self.policy.name(),
            self.model.name(),
            self.hosts_slackvm,
            self.hosts_dedicated,
            self.hosts_level[0],
            self.hosts_level[1],
            self.hosts_level[2],
            self.gain_pct,
            self.lower_bound,
            self.unallocated_cpu_pct,
            self.unallocated_mem_pct,
            self.dedicated_unallocated_cpu_pct,
            self.dedicated_unallocated_mem_pct,
            self.mem_cap,
            self.order.name(),
            self.workload_vms,
            self.runs,
            self.non_monotone,
            self.level_rule,
            self.host,
            self.oversize_vms
        )
    }

    /// Parses a line written by [`SizingRow::to_line`].
    pub fn parse(line: &str, path: &Path, line_no: usize) -> Result<SizingRow, SweepError> {
        let err = |message: String| SweepError::Csv {
            path: path.to_path_buf(),
            line: line_no,
            message,
        };
        let f: Vec<&str> = line.split(',').collect();
        let want = HEADER.split(',').count();
        if f.len() != want {
            return Err(err(format!("{} fields, expected {want}", f.len())));
        }
        let names: Vec<&str> = HEADER.split(',').collect();
        fn num<T: std::str::FromStr>(f: &[&str], names: &[&str], i: usize) -> Result<T, String> {
            f[i].parse()
                .map_err(|_| format!("column `{}`: `{}` is not a valid value", names[i], f[i]))
        }
        let n = |i| num::<usize>(&f, &names, i).map_err(err);
        let x = |i| num::<f64>(&f, &names, i).map_err(err);
        let b = |i| num::<bool>(&f, &names, i).map_err(err);
        let u = |i| num::<u32>(&f, &names, i).map_err(err);
        Ok(SizingRow {
            catalogue: f[0].to_string(),
            shares: [u(1)?, u(2)?, u(3)?],
            vms: n(4)?,
            seed: num::<u64>(&f, &names, 5).map_err(err)?,
            policy: PolicyKind::parse(f[6]).map_err(|e| err(e.to_string()))?,
            model: ModelKind::parse(f[7]).map_err(|e| err(e.to_string()))?,
            hosts_slackvm: n(8)?,
            hosts_dedicated: n(9)?,
            hosts_level: [n(10)?, n(11)?, n(12)?],
            gain_pct: x(13)?,
            lower_bound: n(14)?,
            unallocated_cpu_pct: x(15)?,
            unallocated_mem_pct: x(16)?,
            dedicated_unallocated_cpu_pct: x(17)?,
            dedicated_unallocated_mem_pct: x(18)?,
            mem_cap: b(19)?,
            order: EventOrder::parse(f[20]).map_err(|e| err(e.to_string()))?,
            workload_vms: n(21)?,
            runs: u(22)?,
            non_monotone: b(23)?,
            level_rule: f[24].to_string(),
            host: f[25].to_string(),
            oversize_vms: n(26)?,
        })
    }
}

/// Reads a `sizing.csv`.
pub fn read_sizing(path: &Path) -> Result<Vec<SizingRow>, SweepError> {
    let text = std::fs::read_to_string(path).map_err(|e| SweepError::io(path, e))?;
    let mut lines = text.lines();
    match lines.next() {
        Some(h) if h == HEADER => {}
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
    csv_text(HEADER, rows.iter().map(SizingRow::to_line))
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
