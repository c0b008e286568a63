//! Pinning (docs/scheduler.md, "Pinning"): every vCPU of a VM is pinned to
//! its vNode's CPU set, except that small oversubscribed vNodes (fewer VMs
//! than the critical size) share their CPUs and all free CPUs when the
//! balance condition holds. Pinning never changes capacity; it is a pure
//! function of the host state, recomputed on demand.

use super::{Host, FREE};
use crate::level::Level;

impl Host {
    /// Whether the balance applies, and to which vNode indexes.
    fn balanced_vnodes(&self) -> Option<Vec<usize>> {
        let over: Vec<usize> = (0..self.vnodes.len())
            .filter(|&i| self.vnodes[i].level > Level::ONE && self.vnodes[i].vm_count() > 0)
            .collect();
        let small = over
            .iter()
            .any(|&i| self.vnodes[i].vm_count() < self.opts.critical_size);
        if !small {
            return None;
        }
        let alloc: u64 = over.iter().map(|&i| self.vnodes[i].alloc_vcpus()).sum();
        let rmin = over
            .iter()
            .map(|&i| self.vnodes[i].level.get())
            .fold(f64::INFINITY, f64::min);
        let needed = (alloc as f64 / rmin).ceil() as u64;
        // Quirk 3: the prototype adds vCPUs (alloc) to a count of free CPUs.
        let have = if self.opts.quirks.balance_mixed_units {
            self.free_cpus as u64 + alloc
        } else {
            self.free_cpus as u64 + over.iter().map(|&i| self.vnodes[i].cap()).sum::<u64>()
        };
        (have >= needed).then_some(over)
    }

    /// CPU ids each vNode's VMs are pinned to, by vNode index (sorted ids).
    pub fn pinning_sets(&self) -> Vec<Vec<u32>> {
        let mut sets: Vec<Vec<u32>> = (0..self.vnodes.len())
            .map(|i| self.vnode_cpu_ids(i))
            .collect();
        if let Some(shared) = self.balanced_vnodes() {
            let mut union: Vec<u32> = shared.iter().flat_map(|&i| self.vnode_cpu_ids(i)).collect();
            union.extend(
                self.owner
                    .iter()
                    .enumerate()
                    .filter(|(_, &o)| o == FREE)
                    .map(|(i, _)| self.topo.cpus()[i].id),
            );
            union.sort_unstable();
            for i in shared {
                sets[i] = union.clone();
            }
        }
        for set in &mut sets {
            set.sort_unstable();
        }
        sets
    }

    /// Pinning set of one vNode.
    pub fn pinning_of_vnode(&self, vi: usize) -> Vec<u32> {
        self.pinning_sets().swap_remove(vi)
    }

    /// True when the balance currently shares free CPUs.
    pub fn is_balanced(&self) -> bool {
        self.balanced_vnodes().is_some()
    }
}
