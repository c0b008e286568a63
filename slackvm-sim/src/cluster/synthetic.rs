//! Synthetic clusters and workloads for scaling measurements (`sweep
//! scale`, the `placement` and `sweep` benches): seeded, sized by hosts and
//! VMs rather than by the paper's days and slices.
//!
//! - [`scale_workload`]: `vms` VMs whose shapes are drawn from a catalogue's
//!   rank-paired set and whose levels follow the given shares; arrivals are
//!   uniform over the horizon and lifetimes uniform over `1..=2L` s, with
//!   `L` chosen so that the CPUs the VMs need on average (vCPUs / level)
//!   would fill `occupancy_pct` of the hosts' CPUs in steady state. Every
//!   VM departs (a workload too small to fill the hosts gets lifetimes
//!   longer than the horizon): V VMs make 2V events.
//! - [`fill_hosts`]: a cluster brought to about `occupancy_pct` of its CPUs
//!   host by host (each host to its own uniform draw between twice the
//!   target minus 100% and 100%), to time one decision on a busy cluster.

use super::model::HostModel;
use crate::rng::Rng;
use crate::workload::levels::{check_level_shares, level_list, LevelError};
use crate::workload::{Catalogue, EventList, VmSpec};

/// VMs of the catalogue's rank-paired set VMs are drawn from.
const SHAPE_POOL: usize = 1000;

/// What [`scale_workload`] builds.
#[derive(Debug, Clone)]
pub struct ScaleSpec {
    /// Hosts the workload is sized for.
    pub hosts: usize,
    /// VMs (each has one arrival and at most one departure event).
    pub vms: usize,
    /// CPUs of one host.
    pub host_cpus: u64,
    /// Target share of the hosts' CPUs in use on average (%).
    pub occupancy_pct: u32,
    /// Shares of levels 1.0, 2.0, 3.0 (%).
    pub level_shares_pct: [u32; 3],
    /// Length of the arrival window (s).
    pub horizon_s: u64,
    /// Seed.
    pub seed: u64,
}

impl ScaleSpec {
    /// `vms` VMs for `hosts` hosts of 32 CPUs, 70% occupancy, levels in
    /// equal thirds (34/33/33), one day, seed 0.
    pub fn new(hosts: usize, vms: usize) -> Self {
        ScaleSpec {
            hosts,
            vms,
            host_cpus: 32,
            occupancy_pct: 70,
            level_shares_pct: [34, 33, 33],
            horizon_s: 86_400,
            seed: 0,
        }
    }
}

/// `n` VM shapes and levels drawn from `catalogue` (stream `"scale"`).
pub fn draw_vms(
    catalogue: &Catalogue,
    n: usize,
    shares_pct: [u32; 3],
    seed: u64,
) -> Result<Vec<VmSpec>, LevelError> {
    check_level_shares(shares_pct)?;
    let pool = catalogue.shapes(SHAPE_POOL);
    debug_assert!(!pool.is_empty(), "catalogue without shapes");
    let mut rng = Rng::derive(seed, "scale", 0);
    let levels = level_list(shares_pct, n, &mut Rng::derive(seed, "scale-levels", 0));
    Ok(levels
        .into_iter()
        .enumerate()
        .map(|(i, level)| {
            let (vcpus, mem_mb) = pool[rng.below(pool.len() as u64) as usize];
            VmSpec {
                id: format!("vm-{i}"),
                vcpus,
                mem_mb,
                level,
                profile: None,
            }
        })
        .collect())
}

/// The synthetic workload of `spec` (see the module header).
pub fn scale_workload(catalogue: &Catalogue, spec: &ScaleSpec) -> Result<EventList, LevelError> {
    let vms = draw_vms(catalogue, spec.vms, spec.level_shares_pct, spec.seed)?;
    let need_cpus: f64 = vms.iter().map(|v| f64::from(v.vcpus) / v.level.get()).sum();
    let target_cpus =
        spec.hosts as f64 * spec.host_cpus as f64 * f64::from(spec.occupancy_pct) / 100.0;
    let horizon_s = spec.horizon_s.max(1);
    // Average VMs alive = vms * mean_life / horizon; their CPUs = target.
    let mean_life_s = if need_cpus > 0.0 {
        target_cpus / need_cpus * horizon_s as f64
    } else {
        f64::INFINITY
    };
    let mut rng = Rng::derive(spec.seed, "scale-times", 0);
    let spans: Vec<(u64, Option<u64>)> = (0..vms.len())
        .map(|_| {
            let arrival_s = rng.below(horizon_s);
            let departure_s = mean_life_s.is_finite().then(|| {
                let max_life_s = (2.0 * mean_life_s).clamp(1.0, 1e15) as u64;
                arrival_s + rng.range_inclusive(1, max_life_s)
            });
            (arrival_s, departure_s)
        })
        .collect();
    let mut list = EventList::from_spans(vms, &spans);
    list.sort_stable();
    Ok(list)
}

/// Places VMs `0..` of the model's schedule on `hosts` empty hosts, host by
/// host, each host up to its own target share of CPUs (see the module
/// header); returns the hosts and the number of VMs used. A VM that does
/// not fit the host being filled is skipped.
pub fn fill_hosts<M: HostModel>(
    model: &M,
    hosts: usize,
    vms: usize,
    occupancy_pct: u32,
    seed: u64,
) -> (Vec<M::Host>, usize) {
    let cap = model.capacity();
    let mut rng = Rng::derive(seed, "fill", 0);
    let low = (2.0 * f64::from(occupancy_pct) / 100.0 - 1.0).clamp(0.0, 1.0);
    let mut out = Vec::with_capacity(hosts);
    let mut next = 0;
    for _ in 0..hosts {
        let mut host = model.empty_host();
        let target = (rng.uniform(low, 1.0) * cap.cpus as f64).round() as u64;
        // At most a few misses in a row: a nearly full host stops.
        let mut misses = 0;
        while next < vms && model.usage(&host).cpus < target && misses < 4 {
            if model.place(&mut host, next) {
                misses = 0;
            } else {
                misses += 1;
            }
            next += 1;
        }
        out.push(host);
    }
    (out, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::model::{CountingModel, ModelOptions};
    use crate::cluster::schedule::{EventOrder, Schedule};

    #[test]
    fn a_scale_workload_is_seeded_and_sized() {
        let cat = Catalogue::ovhcloud2023();
        let spec = ScaleSpec::new(100, 2000);
        let a = scale_workload(&cat, &spec).unwrap();
        assert_eq!(a, scale_workload(&cat, &spec).unwrap());
        assert_eq!(a.vms.len(), 2000);
        let arrivals = a
            .events
            .iter()
            .filter(|e| e.kind == crate::workload::EventKind::Arrival);
        assert_eq!(arrivals.count(), 2000);
        assert!(a.events.windows(2).all(|w| w[0].time_s <= w[1].time_s));
        let other = ScaleSpec { seed: 1, ..spec };
        assert_ne!(a, scale_workload(&cat, &other).unwrap());
    }

    #[test]
    fn every_vm_departs_even_on_many_hosts() {
        let cat = Catalogue::ovhcloud2023();
        let l = scale_workload(&cat, &ScaleSpec::new(10_000, 100)).unwrap();
        assert_eq!(l.events.len(), 200);
        // Too few VMs to fill the hosts: they outlive the one-day window.
        let last = l.events.iter().map(|e| e.time_s).max().unwrap();
        assert!(last > 86_400);
    }

    #[test]
    fn filled_hosts_reach_about_the_target_occupancy() {
        let cat = Catalogue::ovhcloud2023();
        let l = EventList::from_spans(
            draw_vms(&cat, 20_000, [34, 33, 33], 3).unwrap(),
            &vec![(0, None); 20_000],
        );
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let (hosts, used) = fill_hosts(&m, 500, s.vms.len(), 70, 3);
        assert!(used < 20_000, "ran out of VMs");
        let cpus: u64 = hosts.iter().map(|h| m.usage(h).cpus).sum();
        let pct = cpus as f64 * 100.0 / (500.0 * 32.0);
        assert!((60.0..=80.0).contains(&pct), "occupancy {pct:.1}%");
    }
}
