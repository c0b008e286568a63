//! The local daemon: THE local scheduler of `slackvm-sim` ([`Host`],
//! driven only through its public methods) and a hypervisor backend. The
//! scheduler state ([`LocalCore`]) sits behind a lock that is NEVER held
//! across a hypervisor call: a deployment reserves its CPUs and memory in
//! the scheduler, the hypervisor starts the VM with no lock held, then the
//! reservation is committed or rolled back ([`txn`]). Reads (`/status`,
//! `/listvm`, ...) only wait for scheduler bookkeeping. This module holds
//! the bookkeeping and the start-up adoption; [`txn`] the transactions,
//! re-pinning and reconciliation.

mod routes;
pub mod txn;

pub use routes::{router, LocalDaemon, LocalOptions};

use crate::hypervisor::{FoundVm, Hypervisor, HypervisorError, VmSpec};
use serde_json::{json, Map, Value};
use slackvm_sim::scheduler::{DeployError, RemoveError, VmRequest};
use slackvm_sim::Host;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a deployment failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployFailure {
    /// The scheduler refused (the host is unchanged).
    #[error(transparent)]
    Refused(#[from] DeployError),
    /// The hypervisor failed; the scheduler was rolled back.
    #[error("hypervisor: {0}")]
    Hypervisor(#[source] HypervisorError),
}

/// Why a removal failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoveFailure {
    /// No such VM.
    #[error(transparent)]
    NotHosted(#[from] RemoveError),
    /// The VM is being deployed or removed by another request.
    #[error("VM `{0}` is busy (a deployment or removal is in progress)")]
    Busy(String),
    /// The hypervisor failed; the scheduler was rolled back.
    #[error("hypervisor: {0}")]
    Hypervisor(#[source] HypervisorError),
}

/// What adoption at start-up (or reconciliation) did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdoptReport {
    /// VMs now managed, in adoption order.
    pub adopted: Vec<String>,
    /// VMs found but refused by the scheduler (name, reason).
    pub refused: Vec<(String, String)>,
    /// VMs adopted at level 1.0 because none was recorded.
    pub defaulted_level: Vec<String>,
    /// VMs put back on their recorded CPUs.
    pub restored_exactly: Vec<String>,
    /// VMs adopted while shut off (their resources stay booked).
    pub shut_off: Vec<String>,
    /// VMs the daemon managed that vanished from the hypervisor (released).
    pub released: Vec<String>,
}

/// The scheduler of one host and its bookkeeping.
pub struct LocalCore {
    host: Host,
    hv: Arc<dyn Hypervisor>,
    /// VMs running (committed), by name.
    specs: BTreeMap<String, VmSpec>,
    /// VMs reserved in the scheduler whose hypervisor call is in flight.
    busy: BTreeMap<String, &'static str>,
    /// Reserved VMs whose reservation created their vNode.
    created_vnode: std::collections::BTreeSet<String>,
    /// VMs whose last pinning failed, with the error.
    faulty: BTreeMap<String, String>,
}

impl std::fmt::Debug for LocalCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCore")
            .field("backend", &self.hv.kind())
            .field("vms", &self.specs.len())
            .field("busy", &self.busy)
            .finish()
    }
}

/// The scheduler request of a spec.
fn request_of(spec: &VmSpec) -> VmRequest {
    VmRequest::new(spec.name.clone(), spec.vcpus, spec.mem_mb, spec.level)
}

impl LocalCore {
    /// A core over an empty scheduler host.
    pub fn new(host: Host, hv: Box<dyn Hypervisor>) -> Self {
        LocalCore {
            host,
            hv: Arc::from(hv),
            specs: BTreeMap::new(),
            busy: BTreeMap::new(),
            created_vnode: std::collections::BTreeSet::new(),
            faulty: BTreeMap::new(),
        }
    }

    /// The scheduler's host (read-only).
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The backend.
    pub fn hypervisor(&self) -> &dyn Hypervisor {
        self.hv.as_ref()
    }

    /// A shared handle on the backend (to call it without the lock).
    pub fn hypervisor_handle(&self) -> Arc<dyn Hypervisor> {
        Arc::clone(&self.hv)
    }

    /// Specs of the managed (running) VMs.
    pub fn specs(&self) -> &BTreeMap<String, VmSpec> {
        &self.specs
    }

    /// VMs whose pinning failed, with the error.
    pub fn faulty(&self) -> &BTreeMap<String, String> {
        &self.faulty
    }

    /// Places a VM found on the hypervisor: on its recorded CPUs when
    /// they can be honoured, else by the placement rule.
    fn place_found(&mut self, found: &FoundVm, report: &mut AdoptReport) -> Result<(), String> {
        let req = request_of(&found.spec);
        let name = &found.spec.name;
        if !found.vnode_cpus.is_empty() {
            match self.host.restore(&req, &found.vnode_cpus) {
                Ok(_) => {
                    report.restored_exactly.push(name.clone());
                    return Ok(());
                }
                Err(e) => eprintln!(
                    "warning: VM `{name}`: recorded CPUs not restored ({e}); placed again"
                ),
            }
        }
        self.host
            .deploy(&req)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Takes a VM found on the hypervisor under management.
    fn adopt_one(&mut self, found: FoundVm, report: &mut AdoptReport) {
        let name = found.spec.name.clone();
        if let Err(e) = self.place_found(&found, report) {
            eprintln!("warning: cannot adopt VM `{name}`: {e}");
            report.refused.push((name, e));
            return;
        }
        if !found.level_recorded {
            report.defaulted_level.push(name.clone());
        }
        if !found.running {
            eprintln!("warning: VM `{name}` is shut off: adopted, its resources stay booked until /remove");
            report.shut_off.push(name.clone());
        }
        self.specs.insert(name.clone(), found.spec);
        report.adopted.push(name);
    }

    /// Places the VMs the hypervisor already has (in its order, on their
    /// recorded CPUs when possible), then pins each to the set the
    /// scheduler gives it and records its vNode CPUs. A pin failure marks
    /// that VM (see [`LocalCore::faulty`]), it does not fail adoption.
    pub fn adopt(&mut self) -> Result<AdoptReport, HypervisorError> {
        let mut report = AdoptReport::default();
        for found in self.hv.existing()? {
            self.adopt_one(found, &mut report);
        }
        let want = self.wanted_pins();
        for (name, (cpus, vnode_cpus)) in &want {
            let pinned = self
                .hv
                .pin(name, cpus)
                .and_then(|()| self.hv.record_cpus(name, vnode_cpus));
            self.note_pin(name, pinned);
        }
        Ok(report)
    }

    /// Records the outcome of pinning a VM (logged once per change).
    pub fn note_pin(&mut self, name: &str, outcome: Result<(), HypervisorError>) {
        match outcome {
            Ok(()) => {
                if self.faulty.remove(name).is_some() {
                    eprintln!("info: VM `{name}` pinned again");
                }
            }
            Err(e) => {
                if self.specs.contains_key(name) {
                    eprintln!("warning: VM `{name}` could not be pinned: {e}");
                    self.faulty.insert(name.to_string(), e.to_string());
                }
            }
        }
    }

    /// For every running VM (not being removed): its pinning set and its
    /// vNode's CPU ids.
    pub fn wanted_pins(&self) -> BTreeMap<String, (Vec<u32>, Vec<u32>)> {
        let pinning = self.host.pinning();
        self.specs
            .iter()
            .filter(|(name, _)| !self.busy.contains_key(*name))
            .filter_map(|(name, spec)| {
                let cpus = pinning.get(name)?.clone();
                let vi = self.host.vnode_of_level(spec.level)?;
                Some((name.clone(), (cpus, self.host.vnode_cpu_ids(vi))))
            })
            .collect()
    }

    /// Reserves a VM in the scheduler (marked busy); returns the CPUs to
    /// start it on.
    pub fn reserve(&mut self, spec: &VmSpec) -> Result<Vec<u32>, DeployError> {
        if self.busy.contains_key(&spec.name) {
            return Err(DeployError::AlreadyHosted {
                vm: spec.name.clone(),
            });
        }
        let req = request_of(spec);
        let new_vnode = self.host.vnode_of_level(req.level).is_none();
        self.host.deploy(&req)?;
        self.busy.insert(spec.name.clone(), "deploying");
        if new_vnode {
            self.created_vnode.insert(spec.name.clone());
        }
        Ok(self.host.pinning().remove(&spec.name).unwrap_or_default())
    }

    /// The hypervisor created the reserved VM: it is now managed.
    pub fn commit(&mut self, spec: VmSpec) {
        debug_assert!(self.host.vm(&spec.name).is_some());
        self.busy.remove(&spec.name);
        self.created_vnode.remove(&spec.name);
        self.specs.insert(spec.name.clone(), spec);
    }

    /// Undoes a reservation whose VM did not start (or was stopped again
    /// by a rollback): the host is as before it, vNode included.
    pub fn cancel(&mut self, name: &str, created_vnode: bool) {
        self.busy.remove(name);
        self.specs.remove(name);
        self.faulty.remove(name);
        let created = self.created_vnode.remove(name) || created_vnode;
        if let Err(e) = self.host.cancel(name, created) {
            eprintln!("warning: cancelling `{name}`: {e}");
        }
    }

    /// True when the reservation of `name` created its vNode.
    pub fn created_vnode(&self, name: &str) -> bool {
        self.created_vnode.contains(name)
    }

    /// Releases a VM from the scheduler (removal done, vanished domain).
    pub fn release(&mut self, name: &str) {
        self.busy.remove(name);
        self.specs.remove(name);
        self.faulty.remove(name);
        if let Err(e) = self.host.remove(name) {
            eprintln!("warning: releasing `{name}`: {e}");
        }
    }

    /// Marks a running VM as being removed.
    pub fn begin_removal(&mut self, name: &str) -> Result<(), RemoveFailure> {
        if self.busy.contains_key(name) {
            return Err(RemoveFailure::Busy(name.to_string()));
        }
        if !self.specs.contains_key(name) {
            return Err(RemoveFailure::NotHosted(RemoveError::NotHosted {
                vm: name.to_string(),
            }));
        }
        self.busy.insert(name.to_string(), "removing");
        Ok(())
    }

    /// A removal failed on the hypervisor: the VM stays managed.
    pub fn abort_removal(&mut self, name: &str) {
        self.busy.remove(name);
    }

    /// `{"kind", "connected", "reconnects", "last_error", "faulty": {vm:
    /// error}, "busy": {vm: "deploying"|"removing"}}`.
    pub fn health_json(&self) -> Value {
        let h = self.hv.health();
        json!({
            "kind": self.hv.kind(),
            "connected": h.connected,
            "reconnects": h.reconnects,
            "last_error": h.last_error,
            "faulty": self.faulty,
            "busy": self.busy,
        })
    }

    /// `{"vms": {name: [cpu ids]}, "vnodes": {"<level>": [cpu ids held]}}`.
    pub fn pinning_json(&self) -> Value {
        let vms: Map<String, Value> = self
            .host
            .pinning()
            .into_iter()
            .map(|(n, cpus)| (n, json!(cpus)))
            .collect();
        let vnodes: Map<String, Value> = self
            .host
            .vnodes()
            .iter()
            .enumerate()
            .map(|(i, v)| (v.level().to_string(), json!(self.host.vnode_cpu_ids(i))))
            .collect();
        json!({"vms": vms, "vnodes": vnodes})
    }

    /// Reconciliation with what the hypervisor has: managed VMs it no
    /// longer has are released; VMs it has that nobody manages are
    /// adopted. VMs with a call in flight are left alone.
    pub fn reconcile(&mut self, found: Vec<FoundVm>) -> AdoptReport {
        let mut report = AdoptReport::default();
        let present: std::collections::BTreeSet<&str> =
            found.iter().map(|f| f.spec.name.as_str()).collect();
        let vanished: Vec<String> = self
            .specs
            .keys()
            .filter(|n| !present.contains(n.as_str()) && !self.busy.contains_key(*n))
            .cloned()
            .collect();
        for name in vanished {
            eprintln!("warning: VM `{name}` vanished from the hypervisor: released");
            self.release(&name);
            report.released.push(name);
        }
        for f in found {
            let name = &f.spec.name;
            if self.host.vm(name).is_none() && !self.busy.contains_key(name) {
                eprintln!("info: VM `{name}` found on the hypervisor: adopting it");
                self.adopt_one(f, &mut report);
            }
        }
        report
    }
}
