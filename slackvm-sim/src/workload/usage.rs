//! Per-slice CPU usage of generated VMs. The cluster experiment ignores
//! it; it is produced only on
//! request ([`super::generator::generate_with_usage`]) and can be written as
//! a CSV with [`write_usage_csv`].
//!
//! Drawing, per VM, from its own stream `Rng::derive(seed, "usage", vm)`:
//! 1. average `avg` uniform in the profile's average bounds;
//! 2. 95th percentile `p95` uniform in `[max(avg, p95_lo), p95_hi)` (or
//!    `max(avg, p95_lo)` when that range is empty);
//! 3. spread: starting at 25 points, multiplied by 0.9 until
//!    `avg + 1.645 * sd <= p95` (the normal law's 95th percentile), at most
//!    200 times, then 0;
//! 4. one value per slice of a day (periodic VMs: the same value for the
//!    same slice of every day) or per slice of the VM's life (others):
//!    `min(|normal(avg, sd)|, 100)`.
//!
//! # Usage CSV
//! Header `vm_id,slice,time_s,cpu_pct`; one row per VM (in VM order) and per
//! slice of its life, `time_s = slice * slice_s`, `cpu_pct` in % of the
//! VM's vCPUs with 3 decimals.

use std::io::{self, Write};

use super::events::EventList;
use super::profile::Profile;
use crate::rng::Rng;

/// z-score of the normal law's 95th percentile.
const Z95: f64 = 1.645;

/// CPU usage of one VM, one value per slice from `first_slice`.
#[derive(Debug, Clone, PartialEq)]
pub struct VmUsage {
    /// Slice of the first value (the VM's start slice).
    pub first_slice: u64,
    /// CPU usage in % of the VM's vCPUs, one per slice of its life.
    pub cpu_pct: Vec<f64>,
}

/// The spread whose 95th percentile falls at or below `p95`.
pub fn shrink_spread(avg_pct: f64, p95_pct: f64) -> f64 {
    let mut sd = 25.0;
    for _ in 0..200 {
        if avg_pct + Z95 * sd <= p95_pct {
            return sd;
        }
        sd *= 0.9;
    }
    0.0
}

/// Draws the usage of a VM of `profile` alive during slices
/// `[first_slice, end_slice)`.
pub fn draw_usage(
    profile: &Profile,
    periodic: bool,
    first_slice: u64,
    end_slice: u64,
    slices_per_day: u64,
    rng: &mut Rng,
) -> VmUsage {
    let avg = draw_between(rng, profile.avg_pct.0, profile.avg_pct.1);
    let p95 = draw_between(rng, avg.max(profile.p95_pct.0), profile.p95_pct.1);
    let sd = shrink_spread(avg, p95);
    let value = |rng: &mut Rng| rng.normal(avg, sd).abs().min(100.0);
    let slices = first_slice..end_slice.max(first_slice);
    let cpu_pct = if periodic {
        let day: Vec<f64> = (0..slices_per_day.max(1)).map(|_| value(rng)).collect();
        slices
            .map(|s| day[(s % slices_per_day.max(1)) as usize])
            .collect()
    } else {
        slices.map(|_| value(rng)).collect()
    };
    VmUsage {
        first_slice,
        cpu_pct,
    }
}

fn draw_between(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    if lo < hi {
        rng.uniform(lo, hi)
    } else {
        lo
    }
}

/// Writes the usage CSV (see the module header). `usage[i]` belongs to
/// `list.vms[i]`.
pub fn write_usage_csv<W: Write>(
    list: &EventList,
    usage: &[VmUsage],
    slice_s: u64,
    out: W,
) -> io::Result<()> {
    let mut out = io::BufWriter::new(out);
    writeln!(out, "vm_id,slice,time_s,cpu_pct")?;
    for (vm, u) in list.vms.iter().zip(usage) {
        for (i, v) in u.cpu_pct.iter().enumerate() {
            let slice = u.first_slice + i as u64;
            writeln!(out, "{},{},{},{:.3}", vm.id, slice, slice * slice_s, v)?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Level;
    use crate::workload::profile::AZURE2017_PROFILES;

    #[test]
    fn spread_meets_percentile() {
        // 25 * 0.9^k with 10 + 1.645 sd <= 20: sd <= 6.079; 25*0.9^14 = 5.72.
        let sd = shrink_spread(10.0, 20.0);
        assert!((sd - 25.0 * 0.9f64.powi(14)).abs() < 1e-12);
        assert_eq!(shrink_spread(50.0, 50.0), 0.0);
        assert_eq!(shrink_spread(0.0, 100.0), 25.0);
    }

    #[test]
    fn usage_csv_by_hand() {
        use crate::workload::events::VmSpec;
        let vm = |id: &str| VmSpec {
            id: id.into(),
            vcpus: 1,
            mem_mb: 1,
            level: Level::ONE,
            profile: None,
        };
        let list = EventList::from_spans(vec![vm("a"), vm("b")], &[(0, None), (720, None)]);
        let usage = [
            VmUsage {
                first_slice: 0,
                cpu_pct: vec![1.0, 2.5],
            },
            VmUsage {
                first_slice: 2,
                cpu_pct: vec![99.9999],
            },
        ];
        let mut out = Vec::new();
        write_usage_csv(&list, &usage, 360, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "vm_id,slice,time_s,cpu_pct\na,0,0,1.000\na,1,360,2.500\nb,2,720,100.000\n"
        );
    }

    #[test]
    fn periodic_repeats_daily_and_values_are_bounded() {
        let p = AZURE2017_PROFILES[2];
        let u = draw_usage(&p, true, 3, 3 + 48, 24, &mut Rng::new(5));
        assert_eq!(u.cpu_pct.len(), 48);
        for i in 0..24 {
            assert_eq!(u.cpu_pct[i], u.cpu_pct[i + 24]);
        }
        assert!(u.cpu_pct.iter().all(|&v| (0.0..=100.0).contains(&v)));
        let n = draw_usage(&p, false, 0, 48, 24, &mut Rng::new(5));
        assert_ne!(n.cpu_pct[0..24], n.cpu_pct[24..48]);
    }
}
