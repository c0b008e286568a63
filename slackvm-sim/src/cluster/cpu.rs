//! CPU usage of every VM of a schedule, as a fraction of its vCPUs in
//! [0, 1], looked up at any time: the input of the shortage accounting
//! ([`super::shortage`]). Each VM has a piecewise-constant series (value
//! `k` holds over `[start + k step, start + (k+1) step)`; before the start
//! the first value, after the end the last).
//!
//! Sources:
//! - the generator's per-slice usage ([`CpuUsage::from_slices`]);
//! - a mean, 95th percentile and max per VM (Azure vmtable's avgcpu,
//!   p95maxcpu, maxcpu, or an event CSV's `avg/p95/max` column):
//!   [`stats_series`], a seeded series matching the three;
//! - a constant per VM, or any series given at a fixed step.

use crate::rng::Rng;
use crate::workload::VmUsage;

/// Where one VM's values sit in [`CpuUsage::values`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    start_s: u64,
    step_s: u64,
    first: u32,
    len: u32,
}

/// Per-VM CPU usage series (fractions of the VM's vCPUs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CpuUsage {
    spans: Vec<Span>,
    values: Vec<f32>,
}

impl CpuUsage {
    /// An empty set, to be filled VM by VM with [`CpuUsage::push`].
    pub fn with_capacity(vms: usize) -> Self {
        CpuUsage {
            spans: Vec::with_capacity(vms),
            values: Vec::new(),
        }
    }
    /// Adds the next VM's series: `fractions[k]` from `start_s + k *
    /// step_s` (values are clamped to [0, 1]; an empty series is idle).
    pub fn push(&mut self, start_s: u64, step_s: u64, fractions: impl IntoIterator<Item = f64>) {
        let first = self.values.len() as u32;
        self.values.extend(fractions.into_iter().map(|f| {
            if f.is_finite() {
                f.clamp(0.0, 1.0) as f32
            } else {
                0.0
            }
        }));
        let len = self.values.len() as u32 - first;
        self.spans.push(Span {
            start_s,
            step_s: step_s.max(1),
            first,
            len,
        });
    }
    /// The generator's per-slice usage (`cpu_pct` per slice of `slice_s`).
    pub fn from_slices(usage: &[VmUsage], slice_s: u64) -> Self {
        let mut out = CpuUsage::with_capacity(usage.len());
        for u in usage {
            let pct = u.cpu_pct.iter().map(|p| p / 100.0);
            out.push(u.first_slice * slice_s, slice_s, pct);
        }
        out
    }
    /// Every VM at one constant fraction.
    pub fn constant(vms: usize, fraction: f64) -> Self {
        let mut out = CpuUsage::with_capacity(vms);
        for _ in 0..vms {
            out.push(0, 1, [fraction]);
        }
        out
    }
    /// VMs described.
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    /// True when no VM is described.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    /// The fraction of VM `vm`'s vCPUs in use at `t_s` (0 for an unknown VM).
    #[inline]
    pub fn at(&self, vm: usize, t_s: u64) -> f64 {
        self.spans.get(vm).map_or(0.0, |s| self.at_span(*s, t_s))
    }
    /// Where VM `vm`'s series sits (idle when out of range), for callers
    /// that look the same VM up at many times ([`CpuUsage::at_span`]).
    pub(crate) fn span(&self, vm: usize) -> Span {
        self.spans.get(vm).copied().unwrap_or_default()
    }
    /// The value of the series at `span` at `t_s` (see [`CpuUsage::at`]).
    #[inline]
    pub(crate) fn at_span(&self, s: Span, t_s: u64) -> f64 {
        if s.len == 0 {
            return 0.0;
        }
        let k = (t_s.saturating_sub(s.start_s) / s.step_s).min(u64::from(s.len - 1));
        f64::from(self.values[s.first as usize + k as usize])
    }
}

/// A seeded series of `n` fractions whose mean is `avg`, whose 95th
/// percentile (nearest rank, `ceil(0.95 n)`) is `p95` and whose max is
/// `max` (all fractions; reordered so that `avg <= p95 <= max` after
/// clamping to [0, 1]). Model: the ranks above the 95th percentile rise
/// linearly from `p95` to `max`; the ranks up to it follow `p95 (i/m)^k`
/// (a power curve from 0 to `p95`), `k` found by bisection so that the
/// mean is `avg` (to 1e-9, or as close as the curve allows: when `avg` is
/// below what the top ranks alone give, or above `p95`). Values are then
/// shuffled with `Rng::derive(seed, "cpu-stats", vm)`. With fewer than 20
/// values the top rank is `max` and the 95th percentile is that rank.
pub fn stats_series(avg: f64, p95: f64, max: f64, n: usize, seed: u64, vm: u64) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let max = max.clamp(0.0, 1.0);
    let p95 = p95.clamp(0.0, max);
    let avg = avg.clamp(0.0, p95);
    let r95 = (0.95 * n as f64).ceil() as usize;
    let m = r95.min(n - 1).max(1).min(n);
    let top = n - m;
    let mut v: Vec<f64> = (0..top)
        .map(|j| {
            if j + 1 == top {
                max
            } else {
                p95 + (max - p95) * (j + 1) as f64 / top as f64
            }
        })
        .collect();
    if top == 0 {
        v.push(max);
    }
    let low = n - v.len();
    let ln_x: Vec<f64> = (0..low)
        .map(|i| {
            if low > 1 {
                ((i + 1) as f64 / low as f64).ln()
            } else {
                0.0
            }
        })
        .collect();
    let top_sum: f64 = v.iter().sum();
    let k = power_for_mean(&ln_x, p95, avg * n as f64 - top_sum);
    v.extend(ln_x.iter().map(|l| p95 * (k * l).exp()));
    Rng::derive(seed, "cpu-stats", vm).shuffle(&mut v);
    v
}

/// The exponent `k` in `[0, 1e4]` for which `sum_i p95 x_i^k` (with
/// `ln_x[i] = ln x_i`, `x_i` in (0, 1]) is `target`: safeguarded Newton
/// (a Newton step when it stays inside the bracket, else bisection; the
/// sum decreases in `k`), to 1e-12 of the target or of the bracket. When
/// the target is out of reach, the nearest end.
fn power_for_mean(ln_x: &[f64], p95: f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0e4f64);
    let mut k = 1.0;
    for _ in 0..200 {
        let (mut sum, mut slope) = (0.0, 0.0);
        for &l in ln_x {
            let t = p95 * (k * l).exp();
            sum += t;
            slope += t * l;
        }
        let f = sum - target;
        if f.abs() < 1e-12 * target.abs().max(1.0) {
            return k;
        }
        if f > 0.0 {
            lo = k;
        } else {
            hi = k;
        }
        if hi - lo < 1e-12 {
            break;
        }
        let newton = k - f / slope;
        k = if slope < 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_hold_values_over_their_step() {
        let mut u = CpuUsage::with_capacity(2);
        u.push(360, 360, [0.5, 0.25]);
        u.push(0, 300, []);
        assert_eq!(u.at(0, 0), 0.5);
        assert_eq!(u.at(0, 719), 0.5);
        assert_eq!(u.at(0, 720), 0.25);
        assert_eq!(u.at(0, 99_999), 0.25);
        assert_eq!(u.at(1, 10), 0.0);
        assert_eq!(u.at(7, 10), 0.0);
        assert_eq!(CpuUsage::constant(3, 2.0).at(2, 5), 1.0);
    }

    #[test]
    fn stats_series_matches_mean_p95_and_max() {
        for (n, vm) in [(288usize, 1u64), (100, 2), (2016, 3)] {
            let v = stats_series(0.2, 0.6, 0.9, n, 7, vm);
            assert_eq!(v.len(), n);
            let mean = v.iter().sum::<f64>() / n as f64;
            assert!((mean - 0.2).abs() < 1e-6, "{n}: mean {mean}");
            let mut s = v.clone();
            s.sort_by(f64::total_cmp);
            let r95 = (0.95 * n as f64).ceil() as usize;
            assert!((s[r95 - 1] - 0.6).abs() < 1e-9, "{n}: p95 {}", s[r95 - 1]);
            assert_eq!(s[n - 1], 0.9);
            assert_eq!(v, stats_series(0.2, 0.6, 0.9, n, 7, vm), "seeded");
        }
    }
}
