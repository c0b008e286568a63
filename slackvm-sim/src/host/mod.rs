//! THE local scheduler of one host (local-scheduler.md): one CPU vNode per
//! oversubscription level, one memory pool, transactional deployment,
//! shrink on removal, pinning with balancing, progress and status. The
//! simulator (replay, cluster `vnode` model) and the live daemon all drive
//! this one implementation through [`crate::scheduler::LocalScheduler`].
//! It knows nothing of time, traces or hypervisors.

mod capacity;
mod cores;
mod memory;
mod pinning;
mod progress;
mod quirks;
mod restore;
mod status;

pub use capacity::{missing_for, unused_after, virtual_avail};
pub use memory::MemPool;
pub use quirks::{Quirks, QUIRK_NAMES};
pub use status::{HostStatus, ResourceStatus, VNodeStatus};

use crate::level::Level;
use crate::scheduler::{
    DeployError, LocalScheduler, Placement, Removal, RemoveError, VmInfo, VmRequest,
};
use crate::topology::Topology;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Default critical size of the pinning balance (prototype: OVSB_CRITICAL_SIZE).
pub const DEFAULT_CRITICAL_SIZE: usize = 6;

/// Options of a host: quirk switches and the balancing critical size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostOptions {
    /// Prototype quirks.
    pub quirks: Quirks,
    /// Oversubscribed vNodes with fewer VMs than this share free CPUs.
    pub critical_size: usize,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            quirks: Quirks::default(),
            critical_size: DEFAULT_CRITICAL_SIZE,
        }
    }
}

/// A VM as its vNode sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Consumer {
    pub name: String,
    pub vcpus: u32,
}

/// A set of CPUs dedicated to one level, plus its VMs.
#[derive(Debug, Clone, PartialEq)]
pub struct VNode {
    level: Level,
    /// CPU indexes in the order they were added (released LIFO).
    cpus: Vec<usize>,
    consumers: Vec<Consumer>,
    alloc_vcpus: u64,
    /// `dist_sum[c]` = sum of distances from CPU index c to this vNode's CPUs.
    dist_sum: Vec<u32>,
}

impl VNode {
    fn new(level: Level, n: usize) -> Self {
        VNode {
            level,
            cpus: Vec::new(),
            consumers: Vec::new(),
            alloc_vcpus: 0,
            dist_sum: vec![0; n],
        }
    }
    /// Oversubscription level.
    pub fn level(&self) -> Level {
        self.level
    }
    /// CPUs held.
    pub fn cap(&self) -> u64 {
        self.cpus.len() as u64
    }
    /// vCPUs allocated.
    pub fn alloc_vcpus(&self) -> u64 {
        self.alloc_vcpus
    }
    /// Number of VMs.
    pub fn vm_count(&self) -> usize {
        self.consumers.len()
    }
    /// Names of its VMs, in deployment order.
    pub fn vm_names(&self) -> impl Iterator<Item = &str> {
        self.consumers.iter().map(|c| c.name.as_str())
    }
    /// CPU indexes held, in the order they were added.
    pub fn cpu_indexes(&self) -> &[usize] {
        &self.cpus
    }
    /// Largest vCPU count among its VMs.
    pub fn max_vcpus(&self) -> u64 {
        self.consumers
            .iter()
            .map(|c| u64::from(c.vcpus))
            .max()
            .unwrap_or(0)
    }
    /// CPUs it could release now.
    pub fn unused(&self) -> u64 {
        unused_after(
            self.cap(),
            self.alloc_vcpus,
            self.level.get(),
            self.max_vcpus(),
        )
    }
}

/// Where a hosted VM lives.
#[derive(Debug, Clone, PartialEq)]
struct VmEntry {
    vcpus: u32,
    mem_mb: u64,
    level: Level,
    vnode: usize,
}

const FREE: u16 = u16::MAX;

/// One host running the SlackVM local scheduler.
#[derive(Debug, Clone)]
pub struct Host {
    topo: Arc<Topology>,
    opts: HostOptions,
    vnodes: Vec<VNode>,
    /// vNode index owning each CPU index, or FREE.
    owner: Vec<u16>,
    free_cpus: usize,
    /// Sum of distances from each CPU index to every held CPU.
    held_dist_sum: Vec<u32>,
    mem: MemPool,
    vms: BTreeMap<String, VmEntry>,
}

impl PartialEq for Host {
    fn eq(&self, other: &Self) -> bool {
        self.vnodes == other.vnodes
            && self.owner == other.owner
            && self.free_cpus == other.free_cpus
            && self.held_dist_sum == other.held_dist_sum
            && self.mem == other.mem
            && self.vms == other.vms
    }
}

impl Host {
    /// An empty host on a topology.
    pub fn new(topo: Arc<Topology>, opts: HostOptions) -> Self {
        let n = topo.cpu_count();
        assert!(
            n < usize::from(FREE),
            "topology too large for the owner map"
        );
        Host {
            mem: MemPool::new(topo.mem_allowed_mb()),
            topo,
            opts,
            vnodes: Vec::new(),
            owner: vec![FREE; n],
            free_cpus: n,
            held_dist_sum: vec![0; n],
            vms: BTreeMap::new(),
        }
    }

    /// The topology.
    pub fn topology(&self) -> &Arc<Topology> {
        &self.topo
    }
    /// The options.
    pub fn options(&self) -> &HostOptions {
        &self.opts
    }
    /// vNodes in creation order (emptied ones stay listed with 0 CPUs).
    pub fn vnodes(&self) -> &[VNode] {
        &self.vnodes
    }
    /// The memory pool.
    pub fn mem(&self) -> &MemPool {
        &self.mem
    }
    /// Free CPUs.
    pub fn free_cpus(&self) -> usize {
        self.free_cpus
    }
    /// CPUs held by vNodes.
    pub fn held_cpus(&self) -> usize {
        self.topo.cpu_count() - self.free_cpus
    }
    /// Number of hosted VMs.
    pub fn vm_count(&self) -> usize {
        self.vms.len()
    }
    /// True when the CPU index is not held by any vNode.
    pub fn is_free(&self, cpu_index: usize) -> bool {
        self.owner[cpu_index] == FREE
    }
    /// Index of the vNode of a level.
    pub fn vnode_of_level(&self, level: Level) -> Option<usize> {
        self.vnodes.iter().position(|v| v.level == level)
    }
    /// CPU ids of a vNode, in the order they were added.
    pub fn vnode_cpu_ids(&self, vnode: usize) -> Vec<u32> {
        self.vnodes[vnode]
            .cpus
            .iter()
            .map(|&i| self.topo.cpus()[i].id)
            .collect()
    }

    fn validate(&self, req: &VmRequest) -> Result<(), DeployError> {
        if req.name.is_empty() {
            return Err(DeployError::InvalidRequest {
                vm: req.name.clone(),
                message: "empty VM name".into(),
            });
        }
        if req.vcpus == 0 {
            return Err(DeployError::InvalidRequest {
                vm: req.name.clone(),
                message: "vCPU count must be at least 1".into(),
            });
        }
        if self.vms.contains_key(&req.name) {
            return Err(DeployError::AlreadyHosted {
                vm: req.name.clone(),
            });
        }
        Ok(())
    }

    fn deploy_inner(&mut self, req: &VmRequest) -> Result<Placement, DeployError> {
        self.validate(req)?;
        let existing = self.vnode_of_level(req.level);
        let vi = existing.unwrap_or(self.vnodes.len());
        let (cap, alloc) = existing.map_or((0, 0), |i| {
            (self.vnodes[i].cap(), self.vnodes[i].alloc_vcpus)
        });
        let missing = missing_for(cap, alloc, req.level.get(), u64::from(req.vcpus));
        if missing as usize > self.free_cpus {
            return Err(DeployError::NotEnoughCpu {
                vm: req.name.clone(),
                missing_cpus: missing,
                free_cpus: self.free_cpus as u64,
            });
        }
        if existing.is_none() {
            self.vnodes
                .push(VNode::new(req.level, self.topo.cpu_count()));
        }
        let creation_rule = self.vnodes[vi].cpus.is_empty()
            && (existing.is_none() || !self.opts.quirks.empty_vnode_first_free);
        let added = if creation_rule {
            self.create_cpus(vi, missing as usize)
        } else {
            self.grow_cpus(vi, missing as usize)
        };
        let vnode = &mut self.vnodes[vi];
        debug_assert!(
            virtual_avail(vnode.cap(), vnode.alloc_vcpus, vnode.level.get())
                >= f64::from(req.vcpus)
        );
        vnode.consumers.push(Consumer {
            name: req.name.clone(),
            vcpus: req.vcpus,
        });
        vnode.alloc_vcpus += u64::from(req.vcpus);

        if let Err(free_mb) = self.mem.deploy(&req.name, req.mem_mb) {
            self.rollback_cpu(vi, existing.is_none());
            return Err(DeployError::NotEnoughMem {
                vm: req.name.clone(),
                mem_mb: req.mem_mb,
                free_mb,
            });
        }
        self.vms.insert(
            req.name.clone(),
            VmEntry {
                vcpus: req.vcpus,
                mem_mb: req.mem_mb,
                level: req.level,
                vnode: vi,
            },
        );
        Ok(Placement {
            vm: req.name.clone(),
            level: req.level,
            cpus_added: added.iter().map(|&i| self.topo.cpus()[i].id).collect(),
            vnode_cpus: self.vnode_cpu_ids(vi),
        })
    }

    /// Undo the CPU side of a deployment that memory refused.
    fn rollback_cpu(&mut self, vi: usize, created: bool) {
        let vnode = &mut self.vnodes[vi];
        let last = vnode.consumers.pop().expect("rollback without a consumer");
        vnode.alloc_vcpus -= u64::from(last.vcpus);
        self.shrink(vi);
        if created && !self.opts.quirks.keep_vnode_after_rollback {
            debug_assert!(self.vnodes[vi].cpus.is_empty() && vi + 1 == self.vnodes.len());
            self.vnodes.pop();
        }
    }

    /// Releases the vNode's unused CPUs, last added first.
    fn shrink(&mut self, vi: usize) -> Vec<usize> {
        let unused = self.vnodes[vi].unused() as usize;
        let mut released = Vec::with_capacity(unused);
        for _ in 0..unused {
            let cpu = *self.vnodes[vi]
                .cpus
                .last()
                .expect("unused exceeds capacity");
            self.release_cpu(vi, cpu);
            released.push(cpu);
        }
        released
    }

    fn remove_inner(&mut self, name: &str) -> Result<Removal, RemoveError> {
        let entry = self
            .vms
            .remove(name)
            .ok_or_else(|| RemoveError::NotHosted {
                vm: name.to_string(),
            })?;
        let vi = entry.vnode;
        let vnode = &mut self.vnodes[vi];
        let pos = vnode
            .consumers
            .iter()
            .position(|c| c.name == name)
            .expect("VM listed on the host but not in its vNode");
        vnode.consumers.remove(pos);
        vnode.alloc_vcpus -= u64::from(entry.vcpus);
        let released = self.shrink(vi);
        self.mem.remove(name);
        Ok(Removal {
            vm: name.to_string(),
            level: entry.level,
            cpus_released: released.iter().map(|&i| self.topo.cpus()[i].id).collect(),
        })
    }

    /// Checks the invariants of local-scheduler.md; used by debug builds after
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
            return Err("VM lists disagree".into());
        }
        Ok(())
    }

    fn debug_check(&self) {
        #[cfg(debug_assertions)]
        if let Err(e) = self.check_invariants() {
            panic!("host invariant broken: {e}");
        }
    }
}

impl LocalScheduler for Host {
    fn deploy(&mut self, request: &VmRequest) -> Result<Placement, DeployError> {
        let out = self.deploy_inner(request);
        self.debug_check();
        out
    }

    fn remove(&mut self, name: &str) -> Result<Removal, RemoveError> {
        let out = self.remove_inner(name);
        self.debug_check();
        out
    }

    fn status(&self) -> HostStatus {
        status::status(self)
    }

    fn progress(&self, vcpus: u32, mem_mb: u64, level: Level) -> f64 {
        progress::progress(self, vcpus, mem_mb, level)
    }

    fn list(&self) -> Vec<String> {
        self.vms.keys().cloned().collect()
    }

    fn vm(&self, name: &str) -> Option<VmInfo> {
        let e = self.vms.get(name)?;
        Some(VmInfo {
            name: name.to_string(),
            vcpus: e.vcpus,
            mem_mb: e.mem_mb,
            level: e.level,
            pinning: self.pinning_of_vnode(e.vnode),
        })
    }

    fn pinning(&self) -> BTreeMap<String, Vec<u32>> {
        let sets = self.pinning_sets();
        self.vms
            .iter()
            .map(|(n, e)| (n.clone(), sets[e.vnode].clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests;
