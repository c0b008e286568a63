//! Deployment and removal (docs/scheduler.md, "Deployment", "Removal").
//! [`Host::probe`] is the dry run: would the VM fit, into which vNode, by
//! how much would the host grow. A deployment is that probe and then its
//! commit (CPUs by the rules of `cores.rs`, then memory), so a refusal
//! never touches the host (except for quirk `keep-vnode-after-rollback`,
//! which leaves the prototype's empty vNode behind). Removal shrinks the
//! VM's vNode and the memory pool.

use super::{missing_for, virtual_avail, Consumer, Host, VNode, VmEntry, FREE};
use crate::level::Level;
use crate::scheduler::{DeployError, Placement, Removal, RemoveError, VmRequest};

/// Most vNodes a host lists (vNode indexes live in a `u16` owner map).
pub const MAX_VNODES: usize = FREE as usize;

/// What a deployment would do ([`Host::probe`]); nothing is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The level of the VM (its vNode).
    pub level: Level,
    /// Index of its vNode in creation order (the next index when the
    /// deployment creates it).
    pub vnode: usize,
    /// True when the deployment creates the vNode.
    pub creates_vnode: bool,
    /// CPUs the vNode gains.
    pub cpus_added: u64,
    /// MB the memory pool gains.
    pub mem_added_mb: u64,
    /// CPUs held by all vNodes afterwards.
    pub held_cpus_after: u64,
    /// Size of the memory pool afterwards, MB.
    pub mem_size_after_mb: u64,
}

impl Host {
    pub(super) fn validate(&self, req: &VmRequest) -> Result<(), DeployError> {
        let invalid = |message: &str| DeployError::InvalidRequest {
            vm: req.name.clone(),
            message: message.into(),
        };
        if req.name.is_empty() {
            return Err(invalid("empty VM name"));
        }
        if req.vcpus == 0 {
            return Err(invalid("vCPU count must be at least 1"));
        }
        if self.vms.contains_key(&req.name) {
            return Err(DeployError::AlreadyHosted {
                vm: req.name.clone(),
            });
        }
        Ok(())
    }

    /// The vNode of `level` (if any) and the CPUs it must gain to host
    /// `vcpus` more vCPUs (a new vNode gains `vcpus`).
    pub(super) fn cpu_growth(&self, level: Level, vcpus: u32) -> (Option<usize>, u64) {
        let existing = self.vnode_of_level(level);
        let (cap, alloc) = existing.map_or((0, 0), |i| {
            (self.vnodes[i].cap(), self.vnodes[i].alloc_vcpus())
        });
        (
            existing,
            missing_for(cap, alloc, level.get(), u64::from(vcpus)),
        )
    }

    /// Dry run of [`Host::deploy`]: the same checks in the
    /// same order (request, CPU, memory) and the same error, or where the
    /// VM would go and how much the host would grow. Never changes the host.
    pub fn probe(&self, req: &VmRequest) -> Result<Probe, DeployError> {
        self.validate(req)?;
        self.probe_capacity(req)
    }

    /// The MB the memory pool would grow by for `req`, or the refusal
    /// naming the VM (shared by [`Host::probe`] and the restore).
    pub(super) fn probe_mem(&self, req: &VmRequest) -> Result<u64, DeployError> {
        self.mem
            .probe(req.mem_mb)
            .map_err(|free_mb| DeployError::NotEnoughMem {
                vm: req.name.clone(),
                mem_mb: req.mem_mb,
                free_mb,
            })
    }

    /// The capacity part of [`Host::probe`]: would a VM of this level,
    /// vCPUs and MB fit, whatever its name (the cluster's host model asks
    /// this for a whole class of VMs at once). The name only labels errors.
    pub fn probe_capacity(&self, req: &VmRequest) -> Result<Probe, DeployError> {
        let (existing, missing) = self.cpu_growth(req.level, req.vcpus);
        if existing.is_none() && self.vnodes.len() >= MAX_VNODES {
            return Err(DeployError::InvalidRequest {
                vm: req.name.clone(),
                message: format!("the host already lists {MAX_VNODES} vNodes, the most it can"),
            });
        }
        if missing > self.free_cpus as u64 {
            return Err(DeployError::NotEnoughCpu {
                vm: req.name.clone(),
                missing_cpus: missing,
                free_cpus: self.free_cpus as u64,
            });
        }
        let mem_added_mb = self.probe_mem(req)?;
        Ok(Probe {
            level: req.level,
            vnode: existing.unwrap_or(self.vnodes.len()),
            creates_vnode: existing.is_none(),
            cpus_added: missing,
            mem_added_mb,
            held_cpus_after: self.held_cpus() as u64 + missing,
            mem_size_after_mb: self.mem.size_mb() + mem_added_mb,
        })
    }

    pub(super) fn deploy_inner(&mut self, req: &VmRequest) -> Result<Placement, DeployError> {
        match self.probe(req) {
            Ok(probe) => Ok(self.commit(req, &probe)),
            Err(e) => {
                self.keep_refused_vnode(req, &e);
                Err(e)
            }
        }
    }

    /// Quirk `keep-vnode-after-rollback`: the prototype creates the vNode
    /// (and takes its CPUs) before memory refuses, then gives the CPUs back
    /// but keeps the vNode, listed with 0 CPUs.
    fn keep_refused_vnode(&mut self, req: &VmRequest, e: &DeployError) {
        if self.opts.quirks.keep_vnode_after_rollback
            && matches!(e, DeployError::NotEnoughMem { .. })
            && self.vnode_of_level(req.level).is_none()
        {
            self.vnodes
                .push(VNode::new(req.level, self.topo.cpu_count()));
        }
    }

    /// Carries out a probe that said yes: CPUs first, then memory.
    fn commit(&mut self, req: &VmRequest, probe: &Probe) -> Placement {
        let vi = probe.vnode;
        if probe.creates_vnode {
            self.vnodes
                .push(VNode::new(req.level, self.topo.cpu_count()));
        }
        // Quirk 1: a vNode listed with 0 CPUs grows by the growth rule.
        let creation_rule = self.vnodes[vi].cpus.is_empty()
            && (probe.creates_vnode || !self.opts.quirks.empty_vnode_first_free);
        let count = probe.cpus_added as usize;
        let added = if creation_rule {
            self.create_cpus(vi, count)
        } else {
            self.grow_cpus(vi, count)
        };
        let vnode = &mut self.vnodes[vi];
        vnode.consumers.push(Consumer {
            name: req.name.clone(),
            vcpus: req.vcpus,
        });
        vnode.alloc_vcpus += u64::from(req.vcpus);
        debug_assert!(virtual_avail(vnode.cap(), vnode.alloc_vcpus, vnode.level.get()) >= 0.0);
        self.mem.commit(&req.name, req.mem_mb);
        debug_assert_eq!(self.held_cpus() as u64, probe.held_cpus_after);
        debug_assert_eq!(self.mem.size_mb(), probe.mem_size_after_mb);
        self.vms.insert(
            req.name.clone(),
            VmEntry {
                vcpus: req.vcpus,
                mem_mb: req.mem_mb,
                level: req.level,
                vnode: vi,
            },
        );
        Placement {
            vm: req.name.clone(),
            level: req.level,
            cpus_added: added.iter().map(|&i| self.topo.cpus()[i].id).collect(),
            vnode_cpus: self.vnode_cpu_ids(vi),
        }
    }

    /// Releases the vNode's unused CPUs, last added first.
    pub(super) fn shrink(&mut self, vi: usize) -> Vec<usize> {
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

    pub(super) fn remove_inner(&mut self, name: &str) -> Result<Removal, RemoveError> {
        let entry = self
            .vms
            .remove(name)
            .ok_or_else(|| RemoveError::NotHosted {
                vm: name.to_string(),
            })?;
        let vi = entry.vnode;
        // Held by memory only after quirk `replay-drop-per-resource`.
        let released = if self.take_consumer(vi, name) {
            self.shrink(vi)
        } else {
            Vec::new()
        };
        self.mem.remove(name);
        Ok(Removal {
            vm: name.to_string(),
            level: entry.level,
            cpus_released: released.iter().map(|&i| self.topo.cpus()[i].id).collect(),
        })
    }
}
