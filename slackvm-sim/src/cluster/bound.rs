//! The per-time lower bound (docs/cluster.md): after every event, in
//! processing order, the VMs present need at least `sum over levels of
//! A_l / l` CPUs (each level at its ratio) and their memory; the cluster
//! needs at least `ceil(max(CPU need / host CPUs, memory need / host MB))`
//! hosts at that moment. The bound is the maximum over the run. Memory is
//! the schedule's effective memory (the cap, when on), so the bound holds
//! for both host models and starts the host-count search.

use super::model::Usage;
use super::schedule::{Schedule, MAX_LEVELS};

/// Smallest host count any policy could use (see the module header).
pub fn lower_bound(schedule: &Schedule, capacity: Usage) -> usize {
    let mut a = [0u64; MAX_LEVELS];
    let mut mem = 0u64;
    let mut best = 0usize;
    for e in &schedule.events {
        let v = &schedule.vms[e.vm()];
        let i = usize::from(v.level_idx);
        if e.is_arrival() {
            a[i] += u64::from(v.vcpus);
            mem += v.mem_mb;
            let cpu_need: f64 = schedule
                .levels
                .iter()
                .enumerate()
                .map(|(j, &l)| a[j] as f64 / l.get())
                .sum();
            // Tolerance: sums such as 1/3 + 2/3 must not round up past 1.
            let by_cpu = (cpu_need / capacity.cpus as f64 - 1e-9).ceil().max(0.0) as usize;
            let by_mem = mem.div_ceil(capacity.mem_mb) as usize;
            best = best.max(by_cpu).max(by_mem);
        } else {
            a[i] -= u64::from(v.vcpus);
            mem -= v.mem_mb;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::schedule::EventOrder;
    use crate::cluster::testkit::list;

    #[test]
    fn bound_counts_each_level_at_its_ratio_at_the_peak() {
        // 1:1 20 vCPUs + 2:1 24 vCPUs + 3:1 30 vCPUs = 20 + 12 + 10 = 42 CPUs
        // -> 2 hosts of 32.
        let l = list(&[
            (20, 1024, 1.0, 0, None),
            (24, 1024, 2.0, 0, None),
            (30, 1024, 3.0, 0, None),
        ]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let cap = Usage {
            cpus: 32,
            mem_mb: 131_072,
        };
        assert_eq!(lower_bound(&s, cap), 2);
        // Memory: three premium VMs of 61440 MB -> 184320 MB -> 2 hosts.
        let l = list(&[
            (1, 61440, 1.0, 0, None),
            (1, 61440, 1.0, 0, None),
            (1, 61440, 1.0, 0, None),
        ]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        assert_eq!(lower_bound(&s, cap), 2);
        // Arrivals first at a boundary: 16 + 16 + 16 present at once -> 2.
        let l = list(&[
            (16, 1, 1.0, 0, Some(360)),
            (16, 1, 1.0, 0, None),
            (16, 1, 1.0, 360, None),
        ]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        assert_eq!(lower_bound(&s, cap), 2);
        let s = Schedule::new(&l, EventOrder::DeparturesFirst, true).unwrap();
        assert_eq!(lower_bound(&s, cap), 1);
    }
}
