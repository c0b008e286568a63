//! The host's invariants (docs/scheduler.md): every CPU in at most one
//! vNode, capacities that cover allocations and the largest VM, counters
//! in step with the lists. Checked after every operation in debug builds
//! and by the tests.

use super::{virtual_avail, Host, HostResource, VNode, FREE};

impl Host {
    /// Checks the invariants of docs/scheduler.md; used by debug builds after
    /// every operation and by tests.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut owned = vec![FREE; self.topo.cpu_count()];
        for (vi, v) in self.vnodes.iter().enumerate() {
            for &c in &v.cpus {
                if owned[c] != FREE {
                    return Err(format!("cpu index {c} is in vNodes {} and {vi}", owned[c]));
                }
                owned[c] = vi as u16;
            }
            check_vnode(v)?;
        }
        if owned != self.owner {
            return Err("owner map out of date".into());
        }
        if self.owner.iter().filter(|&&o| o == FREE).count() != self.free_cpus {
            return Err("free count out of date".into());
        }
        self.mem.check()?;
        let hosted: usize = self.vnodes.iter().map(VNode::vm_count).sum();
        if hosted != self.vms.len() || self.mem.vm_count() != self.vms.len() {
            return self.check_partial_vms();
        }
        Ok(())
    }

    /// The VM lists when some VM is held by one resource only (quirk
    /// `replay-drop-per-resource`): every listed VM is in its vNode or in
    /// the pool, and every VM of a vNode or of the pool is listed (in that
    /// vNode).
    fn check_partial_vms(&self) -> Result<(), String> {
        for name in self.vms.keys() {
            if !self.holds(name, HostResource::Cpu) && !self.holds(name, HostResource::Mem) {
                return Err(format!("VM {name} listed but held by no resource"));
            }
        }
        for (vi, v) in self.vnodes.iter().enumerate() {
            if let Some(n) = v
                .vm_names()
                .find(|n| self.vms.get(*n).map(|e| e.vnode) != Some(vi))
            {
                return Err(format!("VM {n} of vNode {} not listed there", v.level));
            }
        }
        if let Some(n) = self.mem.vm_names().find(|n| !self.vms.contains_key(*n)) {
            return Err(format!("VM {n} of the memory pool not listed"));
        }
        Ok(())
    }

    pub(super) fn debug_check(&self) {
        #[cfg(debug_assertions)]
        if let Err(e) = self.check_invariants() {
            panic!("host invariant broken: {e}");
        }
    }
}

fn check_vnode(v: &VNode) -> Result<(), String> {
    if virtual_avail(v.cap(), v.alloc_vcpus, v.level.get()) < 0.0 {
        return Err(format!(
            "vNode {} holds {} CPUs for {} vCPUs",
            v.level,
            v.cap(),
            v.alloc_vcpus
        ));
    }
    if v.cap() < v.max_vcpus() {
        return Err(format!(
            "vNode {} holds fewer CPUs than its largest VM",
            v.level
        ));
    }
    let alloc: u64 = v.consumers.iter().map(|c| u64::from(c.vcpus)).sum();
    if alloc != v.alloc_vcpus {
        return Err(format!("vNode {} allocation drifted", v.level));
    }
    Ok(())
}
