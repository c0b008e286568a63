//! The topology-aware host model: every host is a real
//! [`crate::host::Host`] (vNodes on a topology, the local scheduler of
//! docs/scheduler.md), driven through its methods (`probe_capacity`, `deploy`, `remove`).
//! Whether a VM fits is the host's own dry run ([`Host::probe_capacity`]:
//! by shape, so a class of VMs probes alike), so the
//! fit rules exist once; deployment is that probe and its commit.

use super::{Demand, HostModel, Pools, Room, Usage};
use crate::cluster::schedule::{ClusterVm, MAX_LEVELS};
use crate::host::{Host, HostOptions};
use crate::level::Level;
use crate::scheduler::VmRequest;
use crate::topology::Topology;
use std::sync::Arc;

/// The vnode model over a schedule's VMs.
#[derive(Debug, Clone)]
pub struct VnodeModel {
    topo: Arc<Topology>,
    opts: HostOptions,
    /// One prepared request per VM (built once, so runs do not allocate).
    requests: Vec<VmRequest>,
    /// Level index of each VM (as in the schedule).
    level_idx: Vec<usize>,
    /// Level of each level index.
    levels: Vec<Level>,
}

impl VnodeModel {
    /// A model for these VMs (effective memory) named by `ids`, on hosts of
    /// topology `topo`.
    pub fn new(vms: &[ClusterVm], ids: &[String], topo: Arc<Topology>, opts: HostOptions) -> Self {
        // Schedule::new validated every level.
        let level_of = |v: &ClusterVm| v.level;
        let requests = vms
            .iter()
            .zip(ids)
            .map(|(v, id)| VmRequest::new(id.clone(), v.vcpus, v.mem_mb, level_of(v)))
            .collect();
        let level_idx: Vec<usize> = vms.iter().map(|v| usize::from(v.level_idx)).collect();
        let mut levels = vec![Level::ONE; level_idx.iter().max().map_or(0, |&m| m + 1)];
        for v in vms {
            levels[usize::from(v.level_idx)] = level_of(v);
        }
        debug_assert!(levels.len() <= MAX_LEVELS);
        VnodeModel {
            topo,
            opts,
            requests,
            level_idx,
            levels,
        }
    }
}

impl HostModel for VnodeModel {
    type Host = Host;

    fn name(&self) -> &'static str {
        "vnode"
    }
    fn empty_host(&self) -> Host {
        Host::new(Arc::clone(&self.topo), self.opts)
    }
    fn capacity(&self) -> Usage {
        Usage {
            cpus: self.topo.cpu_count() as u64,
            mem_mb: self.topo.mem_allowed_mb(),
        }
    }
    fn probe(&self, host: &Host, vm: usize) -> Option<Usage> {
        let p = host.probe_capacity(&self.requests[vm]).ok()?;
        Some(Usage {
            cpus: p.held_cpus_after,
            mem_mb: p.mem_size_after_mb,
        })
    }
    fn place(&self, host: &mut Host, vm: usize) -> bool {
        // Deploy is probe + commit (host/deploy.rs): one set of fit rules.
        host.deploy(&self.requests[vm]).is_ok()
    }
    fn remove(&self, host: &mut Host, vm: usize) {
        let removed = host.remove(&self.requests[vm].name);
        debug_assert!(removed.is_ok(), "removing a VM the host does not hold");
    }
    fn usage(&self, host: &Host) -> Usage {
        Usage {
            cpus: host.held_cpus() as u64,
            mem_mb: host.mem().size_mb(),
        }
    }
    fn progress(&self, host: &Host, vm: usize) -> f64 {
        let r = &self.requests[vm];
        host.progress(r.vcpus, r.mem_mb, r.level)
    }
    fn room(&self, host: &Host) -> Room {
        // The VM's vNode grows to at least (vCPUs + its VMs') / level and
        // never shrinks on a deployment; other vNodes keep their CPUs.
        let free = host.free_cpus() as f64;
        let mut cpus = [f64::NEG_INFINITY; MAX_LEVELS];
        for (c, &level) in cpus.iter_mut().zip(&self.levels) {
            *c = host.vnode_of_level(level).map_or(free, |i| {
                let v = &host.vnodes()[i];
                free + v.cap() as f64 - v.alloc_vcpus() as f64 / level.get()
            });
        }
        let mem = host.mem();
        Room {
            cpus,
            mem_mb: mem.allowed_mb().saturating_sub(mem.alloc_mb()),
            extra_cpu_growth: 0,
        }
    }
    fn demand(&self, vm: usize) -> Demand {
        let r = &self.requests[vm];
        Demand {
            vcpus: r.vcpus,
            level_idx: self.level_idx[vm],
            cpus: f64::from(r.vcpus) / r.level.get(),
            mem_mb: r.mem_mb,
            // A vNode grows by at most the request (capacity.rs,
            // `missing_for`); below level 1 by up to vcpus / level.
            max_cpu_growth: (f64::from(r.vcpus) / r.level.get().min(1.0)).ceil() as u64,
        }
    }
    fn level_count(&self) -> usize {
        self.levels.len().max(1)
    }
    fn vm_count(&self) -> usize {
        self.requests.len()
    }
    fn is_pristine(&self, host: &Host) -> bool {
        // Probes read vNode capacities and the memory pool only.
        host.vnodes().is_empty() && host.mem().size_mb() == 0 && host.mem().alloc_mb() == 0
    }
    /// Each level's vNode (its CPUs held) is its pool.
    fn pools(&self, host: &Host) -> Pools {
        let mut out = Pools::default();
        for (i, &level) in self.levels.iter().enumerate() {
            out.of_level[i] = i as u8;
            out.cpus[i] = host
                .vnode_of_level(level)
                .map_or(0.0, |v| host.vnodes()[v].cap() as f64);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::schedule::{EventOrder, Schedule};
    use crate::cluster::testkit::list;
    use crate::topology::preset;

    #[test]
    fn vnode_hosts_hold_vnodes_by_level() {
        let l = list(&[
            (4, 4096, 2.0, 0, None),
            (4, 4096, 2.0, 0, None),
            (8, 4096, 1.0, 0, None),
            (32, 4096, 1.0, 0, None),
        ]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = VnodeModel::new(
            &s.vms,
            &s.ids,
            Arc::new(preset("host-32").unwrap()),
            HostOptions::default(),
        );
        let mut h = m.empty_host();
        assert!(m.place(&mut h, 0));
        // Second 2:1 VM of 4 vCPUs: avail 4*2-4 = 4, nothing missing.
        assert_eq!(
            m.probe(&h, 1),
            Some(Usage {
                cpus: 4,
                mem_mb: 8192
            })
        );
        assert!(m.place(&mut h, 1));
        assert!(m.place(&mut h, 2));
        assert_eq!(
            m.usage(&h),
            Usage {
                cpus: 12,
                mem_mb: 12288
            }
        );
        assert_eq!(m.probe(&h, 3), None);
        assert!(!m.place(&mut h, 3));
        m.remove(&mut h, 2);
        assert_eq!(m.usage(&h).cpus, 4);
    }
}
