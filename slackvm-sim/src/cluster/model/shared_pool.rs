//! The shared-pool layout (OpenStack Nova's `cpu_dedicated_set` /
//! `cpu_shared_set`, Kubernetes' static CPU manager): on every host, 1:1
//! VMs get dedicated cores (their vCPUs, pinned) and ALL oversubscribed
//! VMs share ONE pool at a single ratio, whatever their level. A host
//! holds `pinned + ceil(shared vCPUs / ratio)` CPUs in use; a VM fits when
//! that stays within the host's CPUs and its memory within the host's MB.
//! No critical size: the pool is counted at its ratio from the first VM.
//! For the shortage accounting the pool has every CPU not pinned.
//!
//! The default ratio is the smallest oversubscribed level of the workload:
//! the only single ratio that keeps every level's promise (a 3:1 VM then
//! gets 2:1 service, never a 2:1 VM 3:1 service).

use super::{progress_formula, Demand, HostModel, Pools, Room, Usage};
use crate::cluster::schedule::{ClusterVm, MAX_LEVELS};
use crate::level::Level;

/// State of a shared-pool host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SharedPoolHost {
    /// vCPUs of the 1:1 VMs (dedicated cores).
    pinned: u64,
    /// vCPUs of the oversubscribed VMs (the shared pool).
    shared_vcpus: u64,
    vms: u32,
    mem_mb: u64,
}

/// The shared-pool model over a schedule's VMs.
#[derive(Debug, Clone)]
pub struct SharedPoolModel<'a> {
    vms: &'a [ClusterVm],
    levels: &'a [Level],
    capacity: Usage,
    ratio: f64,
}

impl<'a> SharedPoolModel<'a> {
    /// A model for these VMs and levels on hosts of `capacity`, the shared
    /// pool at `ratio` (`None`: the smallest oversubscribed level, 1.0 when
    /// there is none).
    pub fn new(
        vms: &'a [ClusterVm],
        levels: &'a [Level],
        capacity: Usage,
        ratio: Option<f64>,
    ) -> Self {
        let smallest = levels
            .iter()
            .find(|&&l| l > Level::ONE)
            .map_or(1.0, |l| l.get());
        let ratio = ratio
            .filter(|r| r.is_finite() && *r >= 1.0)
            .unwrap_or(smallest);
        SharedPoolModel {
            vms,
            levels,
            capacity,
            ratio,
        }
    }
    /// The pool's ratio.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }
    fn cpus(&self, pinned: u64, shared_vcpus: u64) -> u64 {
        pinned + (shared_vcpus as f64 / self.ratio - 1e-9).ceil().max(0.0) as u64
    }
    fn with(&self, host: &SharedPoolHost, vm: usize) -> SharedPoolHost {
        let v = &self.vms[vm];
        let mut h = host.clone();
        if v.level == Level::ONE {
            h.pinned += u64::from(v.vcpus);
        } else {
            h.shared_vcpus += u64::from(v.vcpus);
        }
        h.vms += 1;
        h.mem_mb += v.mem_mb;
        h
    }
}

impl HostModel for SharedPoolModel<'_> {
    type Host = SharedPoolHost;

    fn name(&self) -> &'static str {
        "shared-pool"
    }
    fn empty_host(&self) -> SharedPoolHost {
        SharedPoolHost::default()
    }
    fn capacity(&self) -> Usage {
        self.capacity
    }
    fn probe(&self, host: &SharedPoolHost, vm: usize) -> Option<Usage> {
        let h = self.with(host, vm);
        let after = self.usage(&h);
        (after.cpus <= self.capacity.cpus && after.mem_mb <= self.capacity.mem_mb).then_some(after)
    }
    fn place(&self, host: &mut SharedPoolHost, vm: usize) -> bool {
        if self.probe(host, vm).is_none() {
            return false;
        }
        *host = self.with(host, vm);
        true
    }
    fn remove(&self, host: &mut SharedPoolHost, vm: usize) {
        let v = &self.vms[vm];
        debug_assert!(host.vms > 0 && host.mem_mb >= v.mem_mb);
        if v.level == Level::ONE {
            host.pinned -= u64::from(v.vcpus);
        } else {
            host.shared_vcpus -= u64::from(v.vcpus);
        }
        host.vms -= 1;
        host.mem_mb -= v.mem_mb;
    }
    fn usage(&self, host: &SharedPoolHost) -> Usage {
        Usage {
            cpus: self.cpus(host.pinned, host.shared_vcpus),
            mem_mb: host.mem_mb,
        }
    }
    fn progress(&self, host: &SharedPoolHost, vm: usize) -> f64 {
        let after = self.usage(&self.with(host, vm));
        progress_formula(self.capacity, self.usage(host), after)
    }
    fn room(&self, host: &SharedPoolHost) -> Room {
        // A VM adds at least vCPUs / ratio (shared) or its vCPUs (pinned)
        // to `pinned + shared / ratio`, which the count rounds up.
        let floor = host.pinned as f64 + host.shared_vcpus as f64 / self.ratio;
        let mut cpus = [f64::NEG_INFINITY; MAX_LEVELS];
        for c in cpus.iter_mut().take(self.levels.len()) {
            *c = self.capacity.cpus as f64 - floor;
        }
        Room {
            cpus,
            mem_mb: self.capacity.mem_mb.saturating_sub(host.mem_mb),
            extra_cpu_growth: 0,
        }
    }
    fn demand(&self, vm: usize) -> Demand {
        let v = &self.vms[vm];
        let per_vcpu = if v.level == Level::ONE {
            1.0
        } else {
            1.0 / self.ratio
        };
        Demand {
            level_idx: usize::from(v.level_idx),
            vcpus: v.vcpus,
            cpus: f64::from(v.vcpus) * per_vcpu,
            mem_mb: v.mem_mb,
            max_cpu_growth: u64::from(v.vcpus),
        }
    }
    fn level_count(&self) -> usize {
        self.levels.len().max(1)
    }
    fn vm_count(&self) -> usize {
        self.vms.len()
    }
    fn is_pristine(&self, host: &SharedPoolHost) -> bool {
        host.vms == 0 && host.mem_mb == 0
    }
    /// 1:1 levels: their pinned cores; every oversubscribed level: one
    /// pool of all the host's CPUs not pinned.
    fn pools(&self, host: &SharedPoolHost) -> Pools {
        let first_over = self
            .levels
            .iter()
            .position(|&l| l > Level::ONE)
            .unwrap_or(0);
        let mut out = Pools::default();
        for (i, &level) in self.levels.iter().enumerate() {
            if level == Level::ONE {
                out.of_level[i] = i as u8;
                out.cpus[i] = host.pinned as f64;
            } else {
                out.of_level[i] = first_over as u8;
            }
        }
        if self.levels.iter().any(|&l| l > Level::ONE) {
            out.cpus[first_over] = self.capacity.cpus.saturating_sub(host.pinned) as f64;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::schedule::{EventOrder, Schedule};
    use crate::cluster::testkit::list;

    #[test]
    fn one_shared_pool_at_the_smallest_oversubscribed_level() {
        // 1:1 of 8 vCPUs pinned; 2:1 of 10 and 3:1 of 12 share one pool at
        // 2:1: ceil(22 / 2) = 11 -> 19 CPUs. A 3:1 VM of 26 more vCPUs:
        // ceil(48 / 2) = 24 -> 32: fits exactly; 27 would not.
        let l = list(&[
            (8, 1024, 1.0, 0, None),
            (10, 1024, 2.0, 0, None),
            (12, 1024, 3.0, 0, None),
            (26, 1024, 3.0, 0, None),
            (27, 1024, 3.0, 0, None),
        ]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let cap = Usage {
            cpus: 32,
            mem_mb: 131_072,
        };
        let m = SharedPoolModel::new(&s.vms, &s.levels, cap, None);
        assert_eq!(m.ratio(), 2.0);
        let mut h = m.empty_host();
        for vm in 0..3 {
            assert!(m.place(&mut h, vm));
        }
        assert_eq!(m.usage(&h).cpus, 19);
        assert_eq!(m.probe(&h, 3).map(|u| u.cpus), Some(32));
        assert_eq!(m.probe(&h, 4), None);
        let p = m.pools(&h);
        assert_eq!(
            (p.of_level, p.cpus[0], p.cpus[1]),
            ([0, 1, 1, 0, 0, 0, 0, 0], 8.0, 24.0)
        );
        m.remove(&mut h, 1);
        assert_eq!(m.usage(&h).cpus, 8 + 6);
    }
}
