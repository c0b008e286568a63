//! THE local scheduler of one host (docs/scheduler.md): one CPU vNode per
//! oversubscription level, one memory pool, transactional deployment
//! (`deploy.rs`: [`Host::probe`], then its commit), shrink on removal,
//! pinning with balancing, progress and status. The simulator (replay,
//! cluster `vnode` model, trace generator) and the live daemon all drive
//! this one implementation; projections read it through [`HostView`].
//! It knows nothing of time, traces or hypervisors.

mod capacity;
mod check;
mod cores;
mod deploy;
mod memory;
mod partial;
mod pinning;
mod progress;
mod quirks;
mod restore;
mod status;
mod view;
mod vnode;

pub use capacity::{missing_for, unused_after, virtual_avail};
pub use deploy::{Probe, MAX_VNODES};
pub use memory::MemPool;
pub use partial::HostResource;
pub use progress::{progress_formula, Usage};
pub use quirks::{QuirkInfo, QuirkLayer, Quirks, QUIRKS, QUIRK_NAMES};
pub use view::{HostView, VNodeView};
pub use vnode::VNode;
// The status types live beside the interface; re-exported for old paths.
pub use crate::scheduler::{HostStatus, ResourceStatus, VNodeStatus};

use crate::level::Level;
use crate::scheduler::{DeployError, Placement, Removal, RemoveError, VmInfo, VmRequest};
use crate::topology::Topology;
use std::collections::BTreeMap;
use std::sync::Arc;
use vnode::Consumer;

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

/// Where a hosted VM lives.
#[derive(Debug, Clone, PartialEq)]
struct VmEntry {
    vcpus: u32,
    mem_mb: u64,
    level: Level,
    vnode: usize,
}

/// Owner of a free CPU in the owner map (vNode indexes are below it).
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
    /// An empty host on a topology. Every [`Topology`] fits: its size is
    /// checked when it is built ([`crate::topology::MAX_CPUS`]).
    pub fn new(topo: Arc<Topology>, opts: HostOptions) -> Self {
        let n = topo.cpu_count();
        debug_assert!(n <= crate::topology::MAX_CPUS);
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
}

/// The interface every driver uses (replay, cluster `vnode` model, trace
/// generator, live daemon): there is one local scheduler, so these are
/// plain methods, not a trait.
impl Host {
    /// Places a VM (CPU first, then memory; all or nothing): a
    /// [`Host::probe`] then its commit. A refusal leaves the host unchanged.
    pub fn deploy(&mut self, request: &VmRequest) -> Result<Placement, DeployError> {
        let out = self.deploy_inner(request);
        self.debug_check();
        out
    }

    /// Removes a VM; its vNode and the memory pool shrink.
    pub fn remove(&mut self, name: &str) -> Result<Removal, RemoveError> {
        let out = self.remove_inner(name);
        self.debug_check();
        out
    }

    /// Free resources and per-vNode capacities.
    pub fn status(&self) -> HostStatus {
        status::status(self)
    }

    /// Progress toward the ideal memory-per-core ratio if such a VM were added.
    pub fn progress(&self, vcpus: u32, mem_mb: u64, level: Level) -> f64 {
        progress::progress(self, vcpus, mem_mb, level)
    }

    /// Names of hosted VMs, sorted.
    pub fn list(&self) -> Vec<String> {
        self.vms.keys().cloned().collect()
    }

    /// One hosted VM.
    pub fn vm(&self, name: &str) -> Option<VmInfo> {
        let e = self.vms.get(name)?;
        Some(VmInfo {
            name: name.to_string(),
            vcpus: e.vcpus,
            mem_mb: e.mem_mb,
            level: e.level,
            pinning: self.pinning_of_vnode(e.vnode),
        })
    }

    /// CPU ids every hosted VM is pinned to.
    pub fn pinning(&self) -> BTreeMap<String, Vec<u32>> {
        let sets = self.pinning_sets();
        self.vms
            .iter()
            .map(|(n, e)| (n.clone(), sets[e.vnode].clone()))
            .collect()
    }
}

#[cfg(test)]
mod probe_tests;
#[cfg(test)]
mod tests;
