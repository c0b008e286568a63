//! Exact undo and redo of placements, for the live daemon:
//! - [`Host::restore`] puts a VM back onto the exact CPUs it held before a
//!   restart: its vNode gets back the CPU ids recorded for it, in their
//!   recorded order, instead of whatever the placement rules would pick on
//!   an empty host. Anything that cannot be honoured (a CPU id unknown to
//!   the topology or held by another vNode, too few CPUs for the VM) is
//!   refused and the host is left unchanged, so the caller can fall back
//!   to an ordinary deployment.
//! - [`Host::cancel`] undoes a deployment whose VM never started: a
//!   removal that also forgets the vNode the deployment created, so a
//!   failed start leaves no empty vNode behind.

use super::{capacity::virtual_avail, Consumer, Host, VNode, VmEntry, FREE};
use crate::scheduler::{DeployError, Placement, RemoveError, VmRequest};

impl Host {
    /// Places `req` in the vNode of its level holding `vnode_cpu_ids` (in
    /// that order; CPUs the vNode already holds are kept, the others are
    /// taken). The vNode grows by the placement rule only if the recorded
    /// CPUs are too few. Errors leave the host unchanged.
    pub fn restore(
        &mut self,
        req: &VmRequest,
        vnode_cpu_ids: &[u32],
    ) -> Result<Placement, DeployError> {
        let mut next = self.clone();
        let placement = next.restore_inner(req, vnode_cpu_ids)?;
        next.debug_check();
        *self = next;
        Ok(placement)
    }

    /// Undoes the deployment of `name` (its VM never started): removes it
    /// and, when `created_vnode` and its vNode is now empty and the last
    /// one, forgets that vNode too.
    pub fn cancel(&mut self, name: &str, created_vnode: bool) -> Result<(), RemoveError> {
        let vi = self
            .vms
            .get(name)
            .map(|e| e.vnode)
            .ok_or_else(|| RemoveError::NotHosted {
                vm: name.to_string(),
            })?;
        self.remove_inner(name)?;
        let last = vi + 1 == self.vnodes.len();
        if created_vnode
            && last
            && self.vnodes[vi].cpus.is_empty()
            && self.vnodes[vi].consumers.is_empty()
        {
            self.vnodes.pop();
        }
        self.debug_check();
        Ok(())
    }

    /// Gives vNode `vi` the recorded CPU ids it does not hold yet.
    fn take_recorded(&mut self, vi: usize, ids: &[u32]) -> Result<(), String> {
        for &id in ids {
            let index = self
                .topo
                .cpus()
                .iter()
                .position(|c| c.id == id)
                .ok_or_else(|| format!("recorded CPU {id} is not in the topology"))?;
            match self.owner[index] {
                FREE => self.take_cpu(vi, index),
                owner if usize::from(owner) == vi => {}
                _ => return Err(format!("recorded CPU {id} is held by another vNode")),
            }
        }
        Ok(())
    }

    fn restore_inner(
        &mut self,
        req: &VmRequest,
        vnode_cpu_ids: &[u32],
    ) -> Result<Placement, DeployError> {
        self.validate(req)?;
        let vi = self.vnode_of_level(req.level).unwrap_or_else(|| {
            self.vnodes
                .push(VNode::new(req.level, self.topo.cpu_count()));
            self.vnodes.len() - 1
        });
        self.take_recorded(vi, vnode_cpu_ids)
            .map_err(|message| DeployError::InvalidRequest {
                vm: req.name.clone(),
                message,
            })?;
        let vnode = &self.vnodes[vi];
        let need = super::missing_for(
            vnode.cap(),
            vnode.alloc_vcpus,
            req.level.get(),
            u64::from(req.vcpus),
        );
        if need as usize > self.free_cpus {
            return Err(DeployError::NotEnoughCpu {
                vm: req.name.clone(),
                missing_cpus: need,
                free_cpus: self.free_cpus as u64,
            });
        }
        let added = self.grow_cpus(vi, need as usize);
        let vnode = &mut self.vnodes[vi];
        vnode.consumers.push(Consumer {
            name: req.name.clone(),
            vcpus: req.vcpus,
        });
        vnode.alloc_vcpus += u64::from(req.vcpus);
        debug_assert!(virtual_avail(vnode.cap(), vnode.alloc_vcpus, vnode.level.get()) >= 0.0);
        self.probe_mem(req)?;
        self.mem.commit(&req.name, req.mem_mb);
        let entry = VmEntry {
            vcpus: req.vcpus,
            mem_mb: req.mem_mb,
            level: req.level,
            vnode: vi,
        };
        self.vms.insert(req.name.clone(), entry);
        Ok(Placement {
            vm: req.name.clone(),
            level: req.level,
            cpus_added: added.iter().map(|&i| self.topo.cpus()[i].id).collect(),
            vnode_cpus: self.vnode_cpu_ids(vi),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::scheduler::VmRequest;
    use crate::{Host, HostOptions};
    use std::sync::Arc;

    fn host() -> Host {
        Host::new(
            Arc::new(crate::topology::preset("host-32").unwrap()),
            HostOptions::default(),
        )
    }

    fn lv(level: f64) -> crate::level::Level {
        crate::level::Level::new(level).unwrap()
    }

    #[test]
    fn restores_exact_cpus_after_a_removal_history() {
        let mut h = host();
        for (i, (vcpus, level)) in [(4, 1.0), (3, 2.0), (2, 1.0), (5, 3.0), (2, 2.0)]
            .into_iter()
            .enumerate()
        {
            h.deploy(&VmRequest::new(format!("v{i}"), vcpus, 1024, lv(level)))
                .unwrap();
        }
        h.remove("v0").unwrap();
        h.remove("v3").unwrap();
        h.deploy(&VmRequest::new("v5", 3, 512, lv(3.0))).unwrap();
        let mut again = host();
        // vNode by vNode (their order is part of the status), VMs in order.
        for (vi, vnode) in h.vnodes().iter().enumerate() {
            for name in vnode.vm_names() {
                let vm = h.vm(name).unwrap();
                let req = VmRequest::new(name, vm.vcpus, vm.mem_mb, vm.level);
                again.restore(&req, &h.vnode_cpu_ids(vi)).unwrap();
            }
        }
        assert_eq!(again.pinning(), h.pinning());
        assert_eq!(again.status(), h.status());
        again.check_invariants().unwrap();
    }

    #[test]
    fn cancel_forgets_the_vnode_it_created() {
        let mut h = host();
        h.deploy(&VmRequest::new("a", 2, 1024, lv(1.0))).unwrap();
        let before = h.clone();
        h.deploy(&VmRequest::new("b", 2, 1024, lv(3.0))).unwrap();
        h.cancel("b", true).unwrap();
        assert_eq!(h, before);
        h.deploy(&VmRequest::new("c", 1, 1024, lv(1.0))).unwrap();
        h.cancel("c", false).unwrap();
        assert_eq!(h, before);
        assert!(h.cancel("zz", true).is_err());
    }

    #[test]
    fn conflicts_leave_the_host_unchanged() {
        let mut h = host();
        h.deploy(&VmRequest::new("a", 2, 1024, lv(1.0))).unwrap();
        let held = h.vnode_cpu_ids(0);
        let before = h.clone();
        let err = h
            .restore(&VmRequest::new("b", 2, 1024, lv(2.0)), &held)
            .unwrap_err();
        assert!(err.to_string().contains("held by another vNode"), "{err}");
        assert!(h
            .restore(&VmRequest::new("c", 1, 1, lv(2.0)), &[9999])
            .is_err());
        assert_eq!(h, before);
    }
}
