//! `cluster-summary.json` and the cluster's timeline: per host and in
//! total, deployments accepted and refused per level, CPUs held and busy
//! per level over time (min / mean / max over timestamps), CPU shortage.
//! The cluster's timeline is the union of the hosts' timestamps; at each,
//! a host counts with its last point at or before it (nothing before its
//! first timestamp or after its last).

use super::cluster::HostResult;
use super::{LevelShortage, VNodeSeries};
use crate::level::Level;
use crate::pyfmt;
use serde::Serialize;
use std::collections::BTreeMap;

/// Min, mean and max of a quantity over timestamps (4 decimals).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Stats {
    /// Smallest value.
    pub min: f64,
    /// Mean over the timestamps.
    pub mean: f64,
    /// Largest value.
    pub max: f64,
}

impl Stats {
    fn of(values: impl Iterator<Item = f64>) -> Stats {
        let (mut min, mut max, mut sum, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0u64);
        for v in values {
            min = min.min(v);
            max = max.max(v);
            sum += v;
            n += 1;
        }
        if n == 0 {
            return Stats::default();
        }
        Stats {
            min: pyfmt::round4(min),
            mean: pyfmt::round4(sum / n as f64),
            max: pyfmt::round4(max),
        }
    }
}

/// CPUs held and busy by one level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct LevelCpus {
    /// CPUs held by the level's vNode(s).
    pub held: Stats,
    /// CPUs busy in them (a missing value counts as 0).
    pub busy: Stats,
}

/// One host in `cluster-summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostEntry {
    /// Host name (`NAME` of `NAME.tsv`).
    pub name: String,
    /// Its trace.
    pub trace: String,
    /// The error that stopped its replay (then nothing else is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Topology name.
    pub topology: String,
    /// Accepted deployments per level.
    pub accepted: BTreeMap<String, u64>,
    /// Refused deployments per level.
    pub refused: BTreeMap<String, u64>,
    /// CPUs held and busy per level, over the timestamps its vNode existed.
    pub cpus: BTreeMap<String, LevelCpus>,
    /// CPU shortage per level.
    pub shortage: BTreeMap<String, LevelShortage>,
}

/// The cluster in total.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Totals {
    /// Hosts in the folder.
    pub hosts: u64,
    /// Hosts whose replay failed (not counted below).
    pub failed: u64,
    /// Accepted deployments per level.
    pub accepted: BTreeMap<String, u64>,
    /// Refused deployments per level.
    pub refused: BTreeMap<String, u64>,
    /// CPUs held and busy per level summed over hosts, over the cluster's timeline.
    pub cpus: BTreeMap<String, LevelCpus>,
    /// VM-seconds hosted per level, summed over hosts.
    pub vm_s: BTreeMap<String, u64>,
    /// VM-seconds in CPU shortage per level, summed over hosts.
    pub vm_s_in_shortage: BTreeMap<String, u64>,
}

/// `cluster-summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterSummary {
    /// Per host, by name.
    pub hosts: Vec<HostEntry>,
    /// The cluster.
    pub totals: Totals,
}

/// The cluster's CPUs per level at one time: `(time_s, [(level, held,
/// busy)])` with levels in increasing order.
pub type Moment = (u64, Vec<(Level, f64, f64)>);

/// The cluster's CPUs per level over time.
pub type Timeline = Vec<Moment>;

/// Summary of a cluster replay.
pub fn summarize(results: &[HostResult], timeline: &Timeline) -> ClusterSummary {
    let mut totals = Totals {
        hosts: results.len() as u64,
        ..Totals::default()
    };
    let hosts = results.iter().map(|r| host_entry(r, &mut totals)).collect();
    let levels: Vec<Level> = timeline
        .first()
        .map(|(_, l)| l.iter().map(|x| x.0).collect())
        .unwrap_or_default();
    for (k, &level) in levels.iter().enumerate() {
        let cpus = LevelCpus {
            held: Stats::of(timeline.iter().map(|(_, l)| l[k].1)),
            busy: Stats::of(timeline.iter().map(|(_, l)| l[k].2)),
        };
        totals.cpus.insert(pyfmt::float(level), cpus);
    }
    ClusterSummary { hosts, totals }
}

fn host_entry(r: &HostResult, totals: &mut Totals) -> HostEntry {
    let mut entry = HostEntry {
        name: r.host.name.clone(),
        trace: r.host.trace.display().to_string(),
        error: None,
        topology: String::new(),
        accepted: BTreeMap::new(),
        refused: BTreeMap::new(),
        cpus: BTreeMap::new(),
        shortage: BTreeMap::new(),
    };
    let outcome = match &r.outcome {
        Ok(o) => o,
        Err(e) => {
            entry.error = Some(e.clone());
            totals.failed += 1;
            return entry;
        }
    };
    let s = &outcome.summary;
    entry.topology.clone_from(&s.topology);
    entry.accepted.clone_from(&s.accepted);
    entry.refused.clone_from(&s.refused_per_level);
    entry.shortage.clone_from(&s.shortage);
    for (k, n) in &s.accepted {
        *totals.accepted.entry(k.clone()).or_default() += n;
    }
    for (k, n) in &s.refused_per_level {
        *totals.refused.entry(k.clone()).or_default() += n;
    }
    for (k, sh) in &s.shortage {
        *totals.vm_s.entry(k.clone()).or_default() += sh.vm_s;
        *totals.vm_s_in_shortage.entry(k.clone()).or_default() += sh.vm_s_in_shortage;
    }
    for series in &outcome.series {
        let cpus = LevelCpus {
            held: Stats::of(series.points.iter().map(|p| p.1 as f64)),
            busy: Stats::of(series.points.iter().map(|p| p.2.unwrap_or(0.0))),
        };
        entry.cpus.insert(pyfmt::float(series.level), cpus);
    }
    entry
}

/// The cluster's timeline from the hosts that replayed.
pub fn timeline(results: &[HostResult]) -> Timeline {
    let hosts: Vec<&[VNodeSeries]> = results
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok())
        .map(|o| o.series.as_slice())
        .collect();
    let mut levels: Vec<Level> = hosts
        .iter()
        .flat_map(|h| h.iter().map(|s| s.level))
        .collect();
    levels.sort();
    levels.dedup();
    let mut times: Vec<u64> = hosts
        .iter()
        .flat_map(|h| h.iter().flat_map(|s| s.points.iter().map(|p| p.0)))
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut out: Timeline = times
        .iter()
        .map(|&t| (t, levels.iter().map(|&l| (l, 0.0, 0.0)).collect()))
        .collect();
    for series in &hosts {
        let end = series
            .iter()
            .filter_map(|s| s.points.last())
            .map(|p| p.0)
            .max();
        for s in series.iter() {
            let k = levels.iter().position(|&l| l == s.level).unwrap_or(0);
            add_steps(&mut out, k, s, end.unwrap_or(0));
        }
    }
    out
}

/// Adds one vNode's step function (until its host's last timestamp `end`).
fn add_steps(out: &mut Timeline, k: usize, s: &VNodeSeries, end: u64) {
    let mut next = 0;
    let mut current: Option<(u64, Option<f64>)> = None;
    for (t, levels) in out.iter_mut() {
        while let Some(p) = s.points.get(next).filter(|p| p.0 <= *t) {
            current = Some((p.1, p.2));
            next += 1;
        }
        if *t > end {
            break;
        }
        if let Some((held, busy)) = current {
            levels[k].1 += held as f64;
            levels[k].2 += busy.unwrap_or(0.0);
        }
    }
}
