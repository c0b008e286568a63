//! The read-only view of a host that every projection uses (the replay's
//! output, the trace generator, the live monitor, `trace::snapshot`):
//! vNodes with their level, CPU ids and VM names, and the memory pool.
//! Nothing reachable from a view can change the host.

use super::{Host, MemPool, VNode};
use crate::level::Level;
use crate::topology::Topology;

/// A read-only view of a [`Host`] ([`Host::view`]).
#[derive(Debug, Clone, Copy)]
pub struct HostView<'a> {
    host: &'a Host,
}

/// One vNode as a projection sees it.
#[derive(Debug, Clone, Copy)]
pub struct VNodeView<'a> {
    topo: &'a Topology,
    vnode: &'a VNode,
    index: usize,
}

impl Host {
    /// The read-only view of this host.
    pub fn view(&self) -> HostView<'_> {
        HostView { host: self }
    }
}

impl<'a> HostView<'a> {
    /// The topology.
    pub fn topology(self) -> &'a Topology {
        &self.host.topo
    }
    /// Usable CPUs of the host.
    pub fn cpu_count(self) -> usize {
        self.host.topo.cpu_count()
    }
    /// CPUs no vNode holds.
    pub fn free_cpus(self) -> usize {
        self.host.free_cpus
    }
    /// CPUs held by vNodes.
    pub fn held_cpus(self) -> usize {
        self.host.held_cpus()
    }
    /// Number of hosted VMs.
    pub fn vm_count(self) -> usize {
        self.host.vms.len()
    }
    /// Number of vNodes (emptied ones included).
    pub fn vnode_count(self) -> usize {
        self.host.vnodes.len()
    }
    /// vNodes in creation order (emptied ones stay listed with 0 CPUs).
    pub fn vnodes(self) -> impl ExactSizeIterator<Item = VNodeView<'a>> + 'a {
        let topo: &'a Topology = &self.host.topo;
        self.host
            .vnodes
            .iter()
            .enumerate()
            .map(move |(index, vnode)| VNodeView { topo, vnode, index })
    }
    /// The vNode of a level, if the host has one.
    pub fn vnode(self, level: Level) -> Option<VNodeView<'a>> {
        self.vnodes().find(|v| v.level() == level)
    }
    /// The memory pool (its accessors are all read-only).
    pub fn mem(self) -> &'a MemPool {
        &self.host.mem
    }
}

impl<'a> VNodeView<'a> {
    /// Position in creation order (stable while the vNode is listed).
    pub fn index(self) -> usize {
        self.index
    }
    /// Oversubscription level.
    pub fn level(self) -> Level {
        self.vnode.level()
    }
    /// CPUs held.
    pub fn cap(self) -> u64 {
        self.vnode.cap()
    }
    /// vCPUs allocated to its VMs.
    pub fn alloc_vcpus(self) -> u64 {
        self.vnode.alloc_vcpus()
    }
    /// CPUs it could release now.
    pub fn unused(self) -> u64 {
        self.vnode.unused()
    }
    /// Number of VMs.
    pub fn vm_count(self) -> usize {
        self.vnode.vm_count()
    }
    /// Names of its VMs, in deployment order.
    pub fn vm_names(self) -> impl Iterator<Item = &'a str> + 'a {
        self.vnode.vm_names()
    }
    /// Linux ids of the CPUs held, in the order they were added.
    pub fn cpu_ids(self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let cpus = self.topo.cpus();
        self.vnode.cpu_indexes().iter().map(move |&i| cpus[i].id)
    }
}

#[cfg(test)]
mod tests {
    use crate::level::Level;
    use crate::scheduler::VmRequest;
    use crate::topology::preset;
    use crate::{Host, HostOptions};
    use std::sync::Arc;

    #[test]
    fn the_view_shows_vnodes_cpus_vms_and_the_pool() {
        let mut h = Host::new(
            Arc::new(preset("laptop-8").unwrap()),
            HostOptions::default(),
        );
        let empty = h.view();
        assert_eq!(
            (empty.vnode_count(), empty.free_cpus(), empty.vm_count()),
            (0, 8, 0)
        );
        assert!(!empty.mem().exists());
        h.deploy(&VmRequest::new("a", 2, 1024, Level::ONE)).unwrap();
        h.deploy(&VmRequest::new("b", 3, 2048, Level::TWO)).unwrap();
        h.deploy(&VmRequest::new("c", 1, 512, Level::TWO)).unwrap();
        let v = h.view();
        assert_eq!((v.cpu_count(), v.held_cpus(), v.free_cpus()), (8, 5, 3));
        let levels: Vec<Level> = v.vnodes().map(|n| n.level()).collect();
        assert_eq!(levels, [Level::ONE, Level::TWO]);
        let two = v.vnode(Level::TWO).unwrap();
        assert_eq!(two.index(), 1);
        assert_eq!((two.cap(), two.alloc_vcpus(), two.vm_count()), (3, 4, 2));
        assert_eq!(two.vm_names().collect::<Vec<_>>(), ["b", "c"]);
        // CPU ids are the host's own answer, in the order they were added.
        assert_eq!(two.cpu_ids().collect::<Vec<_>>(), h.vnode_cpu_ids(1));
        let mut one: Vec<u32> = v.vnode(Level::ONE).unwrap().cpu_ids().collect();
        one.sort_unstable();
        assert_eq!(
            one,
            h.vm("a").unwrap().pinning,
            "a level-1 VM is pinned to its vNode"
        );
        assert!(v.vnode(Level::THREE).is_none());
        let mem = v.mem();
        assert_eq!((mem.size_mb(), mem.alloc_mb()), (3584, 3584));
        assert_eq!(mem.vm_names().collect::<Vec<_>>(), ["a", "b", "c"]);
    }

    #[test]
    fn emptied_vnodes_stay_listed_with_no_cpu() {
        let mut h = Host::new(
            Arc::new(preset("laptop-8").unwrap()),
            HostOptions::default(),
        );
        h.deploy(&VmRequest::new("a", 2, 1024, Level::THREE))
            .unwrap();
        h.remove("a").unwrap();
        let v = h.view();
        assert_eq!(v.vnode_count(), 1);
        let three = v.vnode(Level::THREE).unwrap();
        assert_eq!(
            (three.cap(), three.cpu_ids().len(), three.vm_count()),
            (0, 0, 0)
        );
        assert_eq!(v.free_cpus(), 8);
    }
}
