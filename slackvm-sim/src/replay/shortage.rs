//! CPU shortage per level: a vNode's demand (sum over its hosted VMs of
//! usage x vCPUs) above the CPUs it holds is CPU its VMs wanted and did
//! not get. Each timestamp counts for the time until the next one (the
//! last for the gap before it), so VM-seconds are exact on irregular
//! steps.

use serde::Serialize;
use std::collections::BTreeMap;

/// CPU shortage of one level over a replay (`summary.json`, `shortage`).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct LevelShortage {
    /// VM-seconds hosted: VMs in the level's vNode x time to the next timestamp.
    pub vm_s: u64,
    /// Of those, VM-seconds while the vNode was short of CPUs.
    pub vm_s_in_shortage: u64,
    /// `vm_s_in_shortage / vm_s` (0 when nothing was hosted).
    pub share_in_shortage: f64,
    /// Mean, over the timestamps where the vNode hosted VMs, of the
    /// shortage fraction `max(0, demand - CPUs held) / demand`.
    pub mean_fraction: f64,
    /// 99th percentile (nearest rank) of the same fractions.
    pub p99_fraction: f64,
    /// Largest shortage in CPUs (`demand - CPUs held`, 4 decimals), 0 if none.
    pub peak_cpus: f64,
    /// First timestamp of that peak (`null` if never short).
    pub peak_time_s: Option<u64>,
    /// VM-timestamps of hosted VMs whose CPU usage was missing (`None` or
    /// no row): counted as 0 in the demand.
    pub missing_cpu_usage: u64,
    /// The same for memory usage.
    pub missing_mem_usage: u64,
}

/// A level's running sums.
#[derive(Debug, Default)]
struct Acc {
    out: LevelShortage,
    fractions: Vec<f64>,
}

/// One vNode at one timestamp: (level key, VMs hosted, short of CPUs).
type Pending = (String, u64, bool);

/// Accumulates shortage as timestamps are emitted.
#[derive(Debug, Default)]
pub(super) struct ShortageTracker {
    levels: BTreeMap<String, Acc>,
    pending: Vec<Pending>,
    pending_time: Option<u64>,
    last_gap_s: u64,
}

impl ShortageTracker {
    /// Starts timestamp `tmp`: the previous one weighs `tmp - previous`.
    pub fn begin(&mut self, tmp: u64) {
        if let Some(t) = self.pending_time {
            debug_assert!(tmp > t, "timestamps increase");
            self.last_gap_s = tmp - t;
            self.commit(self.last_gap_s);
        }
        self.pending_time = Some(tmp);
    }

    fn commit(&mut self, weight_s: u64) {
        for (key, vms, short) in self.pending.drain(..) {
            let acc = self.levels.entry(key).or_default();
            acc.out.vm_s += vms * weight_s;
            if short {
                acc.out.vm_s_in_shortage += vms * weight_s;
            }
        }
    }

    /// The vNode of `level` at the current timestamp: `vms` hosted VMs
    /// wanting `demand` CPUs, holding `cpus`.
    pub fn sample(&mut self, level: &str, vms: u64, demand: f64, cpus: u64) {
        let now = self.pending_time;
        let acc = self.acc(level);
        let short_cpus = demand - cpus as f64;
        if vms > 0 {
            let fraction = if short_cpus > 0.0 {
                short_cpus / demand
            } else {
                0.0
            };
            acc.fractions.push(fraction);
        }
        if short_cpus > acc.out.peak_cpus {
            acc.out.peak_cpus = short_cpus;
            acc.out.peak_time_s = now;
        }
        self.pending
            .push((level.to_string(), vms, short_cpus > 0.0));
    }

    /// A hosted VM of `level` with no usage; `cpu` for a CPU usage.
    pub fn missing(&mut self, level: &str, cpu: bool) {
        let acc = self.acc(level);
        if cpu {
            acc.out.missing_cpu_usage += 1;
        } else {
            acc.out.missing_mem_usage += 1;
        }
    }

    fn acc(&mut self, level: &str) -> &mut Acc {
        if !self.levels.contains_key(level) {
            self.levels.insert(level.to_string(), Acc::default());
        }
        self.levels.get_mut(level).expect("inserted above")
    }

    /// The per-level results; the last timestamp weighs the gap before it
    /// (1 s when there was only one).
    pub fn finish(mut self) -> BTreeMap<String, LevelShortage> {
        let weight = if self.last_gap_s > 0 {
            self.last_gap_s
        } else {
            1
        };
        self.commit(weight);
        self.levels
            .into_iter()
            .map(|(key, mut acc)| {
                let o = &mut acc.out;
                o.peak_cpus = crate::pyfmt::round4(o.peak_cpus);
                o.share_in_shortage = ratio(o.vm_s_in_shortage as f64, o.vm_s as f64);
                let n = acc.fractions.len();
                o.mean_fraction = ratio(acc.fractions.iter().sum(), n as f64);
                acc.fractions.sort_by(f64::total_cmp);
                let rank = (0.99 * n as f64).ceil() as usize;
                o.p99_fraction = acc
                    .fractions
                    .get(rank.saturating_sub(1))
                    .copied()
                    .unwrap_or(0.0);
                (key, acc.out)
            })
            .collect()
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortage_by_hand() {
        let mut t = ShortageTracker::default();
        // t=0: 2 VMs want 3 CPUs of 2 held: short by 1 (fraction 1/3), for 10 s.
        t.begin(0);
        t.sample("2.0", 2, 3.0, 2);
        t.sample("1.0", 1, 0.5, 1);
        // t=10: 1 VM wants 1 of 2: no shortage, for 20 s.
        t.begin(10);
        t.sample("2.0", 1, 1.0, 2);
        t.missing("2.0", true);
        // t=30 (last): weighs the previous gap, 20 s; empty vNode.
        t.begin(30);
        t.sample("2.0", 0, 0.0, 0);
        t.missing("1.0", false);
        let out = t.finish();
        let two = &out["2.0"];
        assert_eq!((two.vm_s, two.vm_s_in_shortage), (2 * 10 + 20, 2 * 10));
        assert_eq!(two.share_in_shortage, 0.5);
        assert!((two.mean_fraction - 1.0 / 6.0).abs() < 1e-12);
        assert!((two.p99_fraction - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!((two.peak_cpus, two.peak_time_s), (1.0, Some(0)));
        assert_eq!((two.missing_cpu_usage, two.missing_mem_usage), (1, 0));
        let one = &out["1.0"];
        assert_eq!(
            (one.vm_s, one.share_in_shortage, one.peak_time_s),
            (10, 0.0, None)
        );
        assert_eq!(one.missing_mem_usage, 1);
    }

    #[test]
    fn a_single_timestamp_weighs_one_second() {
        let mut t = ShortageTracker::default();
        t.begin(5);
        t.sample("3.0", 4, 8.0, 2);
        let out = t.finish();
        assert_eq!((out["3.0"].vm_s, out["3.0"].vm_s_in_shortage), (4, 4));
        assert_eq!(out["3.0"].p99_fraction, 0.75);
    }
}
