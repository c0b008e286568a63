//! Removals resource by resource, as the published prototype's replay does
//! them (docs/scheduler.md, "Quirks"). The prototype keeps one consumer
//! list per resource (a CPU vNode's, the memory pool's), so a VM can leave
//! one and stay in the other, and its removal shrinks each resource
//! whether or not that resource still held the VM:
//! - [`Host::drop_from`] takes a VM out of its CPU vNode or out of the
//!   memory pool only, and shrinks that resource (quirk
//!   `replay-drop-per-resource`); the VM stays listed while the other
//!   resource holds it;
//! - [`Host::remove_shrinking`] is the prototype's removal of a VM of a
//!   level: per resource, the VM is taken out if held and the resource
//!   shrinks either way (quirk `replay-absent-removal-shrinks`);
//! - [`Host::roll_back_cpu`] is the prototype's rollback of a deployment
//!   memory refused: the CPU side grows, takes the VM, loses it and
//!   shrinks (quirk `replay-rollback-regrows`).
//!
//! [`Host::remove`] of a VM held by one resource only
//! frees that resource.

use super::{Consumer, Host};
use crate::level::Level;
use crate::scheduler::VmRequest;

/// One of the host's two resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostResource {
    /// The CPU vNodes.
    Cpu,
    /// The memory pool.
    Mem,
}

impl Host {
    /// True when `res` holds VM `name` (its CPU vNode, or the memory pool).
    pub fn holds(&self, name: &str, res: HostResource) -> bool {
        let Some(entry) = self.vms.get(name) else {
            return false;
        };
        match res {
            HostResource::Cpu => self.vnodes[entry.vnode]
                .consumers
                .iter()
                .any(|c| c.name == name),
            HostResource::Mem => self.mem.vm_names().any(|n| n == name),
        }
    }

    /// Takes VM `name` out of one resource only and shrinks that resource
    /// (a CPU vNode releases its unused CPUs, last added first; the pool
    /// its unused MB). The VM stays hosted while the other resource holds
    /// it. False (and nothing changes) when `res` did not hold it.
    pub fn drop_from(&mut self, name: &str, res: HostResource) -> bool {
        if !self.holds(name, res) {
            return false;
        }
        match res {
            HostResource::Cpu => {
                let vi = self.vms[name].vnode;
                self.take_consumer(vi, name);
                self.shrink(vi);
            }
            HostResource::Mem => self.mem.remove(name),
        }
        self.forget_if_gone(name);
        self.debug_check();
        true
    }

    /// The prototype's removal of VM `name` of `level`, held or not: when
    /// the host has a vNode of `level`, the VM is taken out of it if there
    /// and the vNode shrinks either way; then the VM is taken out of the
    /// memory pool if there and the pool shrinks either way. Without a
    /// vNode of `level` nothing changes (the prototype's CPU side refuses
    /// and its memory side is not reached).
    pub fn remove_shrinking(&mut self, name: &str, level: Level) {
        let Some(vi) = self.vnode_of_level(level) else {
            return;
        };
        if self.vms.get(name).is_some_and(|e| e.vnode == vi) {
            self.take_consumer(vi, name);
        }
        self.shrink(vi);
        if self.holds(name, HostResource::Mem) {
            self.mem.remove(name);
        } else {
            self.mem.shrink();
        }
        self.forget_if_gone(name);
        self.debug_check();
    }

    /// The prototype's rollback of `req`, which memory refused: the vNode
    /// of its level grows as the deployment grew it (by the creation rule
    /// when `created`, the refusal having created the vNode), takes the
    /// VM, then loses it and shrinks. In floating point at levels such as
    /// 1.2 the shrink can leave the vNode one CPU bigger than before.
    /// Nothing happens when the host lists no vNode of the level (quirk
    /// `keep-vnode-after-rollback` off and a new level).
    pub fn roll_back_cpu(&mut self, req: &VmRequest, created: bool) {
        let Some(vi) = self.vnode_of_level(req.level) else {
            return;
        };
        let (_, missing) = self.cpu_growth(req.level, req.vcpus);
        let missing = missing as usize;
        if missing > self.free_cpus {
            return; // the CPU side refused: nothing was taken
        }
        let empty = self.vnodes[vi].cpus.is_empty();
        if empty && (created || !self.opts.quirks.empty_vnode_first_free) {
            self.create_cpus(vi, missing);
        } else {
            self.grow_cpus(vi, missing);
        }
        let vnode = &mut self.vnodes[vi];
        vnode.consumers.push(Consumer {
            name: req.name.clone(),
            vcpus: req.vcpus,
        });
        vnode.alloc_vcpus += u64::from(req.vcpus);
        self.take_consumer(vi, &req.name);
        self.shrink(vi);
        self.debug_check();
    }

    /// Takes VM `name` out of vNode `vi` (no shrink); false when absent.
    pub(super) fn take_consumer(&mut self, vi: usize, name: &str) -> bool {
        let vnode = &mut self.vnodes[vi];
        let Some(pos) = vnode.consumers.iter().position(|c| c.name == name) else {
            return false;
        };
        let c = vnode.consumers.remove(pos);
        vnode.alloc_vcpus -= u64::from(c.vcpus);
        true
    }

    /// Forgets VM `name` once neither resource holds it.
    fn forget_if_gone(&mut self, name: &str) {
        if !self.holds(name, HostResource::Cpu) && !self.holds(name, HostResource::Mem) {
            self.vms.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{HostOptions, Quirks};
    use crate::scheduler::VmRequest;
    use crate::topology::preset;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn host(name: &str) -> Host {
        let opts = HostOptions {
            quirks: Quirks::fixed(),
            ..HostOptions::default()
        };
        Host::new(Arc::new(preset(name).unwrap()), opts)
    }

    fn cpus(h: &Host, level: Level) -> u64 {
        h.view().vnode(level).map_or(0, |v| v.cap())
    }

    #[test]
    fn a_vm_dropped_from_one_resource_keeps_the_other() {
        // laptop-8, level 1: a (2 vCPUs, 1024 MB) and b (2 vCPUs, 2048 MB):
        // vNode 4 CPUs, pool 3072 MB.
        let mut h = host("laptop-8");
        h.deploy(&VmRequest::new("a", 2, 1024, Level::ONE)).unwrap();
        h.deploy(&VmRequest::new("b", 2, 2048, Level::ONE)).unwrap();
        // a leaves memory only: pool 3072 - 1024 = 2048, vNode still 4.
        assert!(h.drop_from("a", HostResource::Mem));
        assert!(!h.drop_from("a", HostResource::Mem), "already gone");
        assert_eq!((cpus(&h, Level::ONE), h.mem().size_mb()), (4, 2048));
        // b leaves its vNode only: cap 4, alloc 2 -> 2 unused, 2 CPUs left.
        assert!(h.drop_from("b", HostResource::Cpu));
        assert_eq!((cpus(&h, Level::ONE), h.mem().size_mb()), (2, 2048));
        assert!(h.holds("a", HostResource::Cpu) && !h.holds("a", HostResource::Mem));
        assert!(h.holds("b", HostResource::Mem) && !h.holds("b", HostResource::Cpu));
        assert_eq!(h.list(), ["a", "b"]);
        // An ordinary removal frees what is left of each.
        h.remove("a").unwrap();
        h.remove("b").unwrap();
        assert_eq!(
            (cpus(&h, Level::ONE), h.mem().size_mb(), h.vm_count()),
            (0, 0, 0)
        );
        h.check_invariants().unwrap();
    }

    #[test]
    fn removing_an_absent_vm_still_shrinks_at_level_1_2() {
        // host-32, level 1.2: a (31 vCPUs) gets 31 CPUs. Its removal
        // releases floor((31 * 1.2 - 0) / 1.2) = floor(30.999999999999996)
        // = 30 CPUs in floating point, so the emptied vNode keeps 1.
        let lv = Level::new(1.2).unwrap();
        let mut h = host("host-32");
        h.deploy(&VmRequest::new("a", 31, 1024, lv)).unwrap();
        h.remove("a").unwrap();
        assert_eq!(cpus(&h, lv), 1);
        // Removing a VM the host never held shrinks again: 1.2 / 1.2 = 1.
        h.remove_shrinking("refused", lv);
        assert_eq!((cpus(&h, lv), h.free_cpus()), (0, 32));
        // No vNode of the level: nothing happens.
        h.remove_shrinking("other", Level::TWO);
        assert_eq!(h.vnodes().len(), 1);
    }

    #[test]
    fn removing_a_held_vm_shrinks_each_resource_once() {
        // The same removal through remove_shrinking: one shrink per
        // resource, so the emptied 1.2 vNode keeps its 1 CPU.
        let lv = Level::new(1.2).unwrap();
        let mut h = host("host-32");
        h.deploy(&VmRequest::new("a", 31, 1024, lv)).unwrap();
        h.remove_shrinking("a", lv);
        assert_eq!((cpus(&h, lv), h.mem().size_mb(), h.vm_count()), (1, 0, 0));
    }

    #[test]
    fn a_rolled_back_deployment_can_leave_a_cpu_behind_at_level_1_2() {
        // host-32, level 1.2: a (5 vCPUs) gets 5 CPUs; b (1 vCPU) fits in
        // avail = 5 * 1.2 - 5 = 1.0. c (1 vCPU), refused by memory: the
        // prototype grows by ceil((1 - (6.0 - 6)) / 1.2) = 1 CPU, then
        // takes c out and shrinks by floor((6 * 1.2 - 6) / 1.2) =
        // floor(0.9999999999999992) = 0: the vNode keeps 6 CPUs.
        let lv = Level::new(1.2).unwrap();
        let mut h = host("host-32");
        h.deploy(&VmRequest::new("a", 5, 1024, lv)).unwrap();
        h.deploy(&VmRequest::new("b", 1, 1024, lv)).unwrap();
        h.roll_back_cpu(&VmRequest::new("c", 1, 1024, lv), false);
        assert_eq!((cpus(&h, lv), h.vm_count()), (6, 2));
        // A vNode the refusal created (listed with 0 CPUs): a 31-vCPU VM
        // takes 31 CPUs by the creation rule and gives back
        // floor(31 * 1.2 / 1.2) = 30.
        let three = Level::THREE;
        let mut h = host("host-32");
        h.deploy(&VmRequest::new("x", 1, 1024, three)).unwrap();
        h.remove("x").unwrap();
        h.roll_back_cpu(&VmRequest::new("big", 31, 1024, lv), true);
        assert_eq!(h.vnodes().len(), 1, "no vNode of 1.2: nothing");
        let mut h = host("host-32");
        h.deploy(&VmRequest::new("y", 1, 1024, lv)).unwrap();
        h.remove("y").unwrap();
        h.roll_back_cpu(&VmRequest::new("big", 31, 1024, lv), true);
        assert_eq!((cpus(&h, lv), h.free_cpus(), h.vm_count()), (1, 31, 0));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Deploy(u32, u64, f64),
        Drop(usize, bool),
        RemoveShrinking(usize),
        Remove(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let level = prop::sample::select(vec![1.0, 2.0, 3.0]);
        prop_oneof![
            3 => (1u32..9, 256u64..20_000, level).prop_map(|(c, m, l)| Op::Deploy(c, m, l)),
            2 => (0usize..64, any::<bool>()).prop_map(|(k, cpu)| Op::Drop(k, cpu)),
            1 => (0usize..64).prop_map(Op::RemoveShrinking),
            1 => (0usize..64).prop_map(Op::Remove),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Partial drops and prototype removals in any order keep the
        /// invariants, and removing whatever is left empties the host.
        #[test]
        fn partial_removals_keep_the_invariants(ops in prop::collection::vec(op(), 1..60)) {
            let mut h = host("laptop-8");
            let mut names: Vec<(String, Level)> = Vec::new();
            for (i, op) in ops.into_iter().enumerate() {
                let pick = |k: usize, names: &mut Vec<(String, Level)>| {
                    (!names.is_empty()).then(|| names.remove(k % names.len()))
                };
                match op {
                    Op::Deploy(c, m, l) => {
                        let (name, lv) = (format!("vm{i}"), Level::new(l).unwrap());
                        if h.deploy(&VmRequest::new(&name, c, m, lv)).is_ok() {
                            names.push((name, lv));
                        }
                    }
                    Op::Drop(k, cpu) => {
                        if let Some((n, lv)) = pick(k, &mut names) {
                            let res = if cpu { HostResource::Cpu } else { HostResource::Mem };
                            prop_assert!(h.drop_from(&n, res) || !h.holds(&n, res));
                            if h.list().contains(&n) {
                                names.push((n, lv));
                            }
                        }
                    }
                    Op::RemoveShrinking(k) => {
                        if let Some((n, lv)) = pick(k, &mut names) {
                            h.remove_shrinking(&n, lv);
                            prop_assert!(!h.list().contains(&n));
                        }
                    }
                    Op::Remove(k) => {
                        if let Some((n, _)) = pick(k, &mut names) {
                            h.remove(&n).unwrap();
                        }
                    }
                }
                h.check_invariants().map_err(TestCaseError::fail)?;
            }
            for (n, _) in names {
                h.remove(&n).unwrap();
            }
            prop_assert_eq!((h.free_cpus(), h.mem().size_mb(), h.vm_count()), (8, 0, 0));
        }
    }
}
