//! The local daemon: THE local scheduler of `slackvm-sim` ([`Host`],
//! driven only through [`LocalScheduler`]) and a hypervisor backend, kept
//! together in one [`LocalCore`] behind one lock, so concurrent requests
//! are serialised and no CPU is ever handed out twice. Every change is a
//! transaction: the scheduler decides, the hypervisor applies, and a failed
//! hypervisor call restores the scheduler snapshot taken before.

mod routes;

pub use routes::{router, LocalDaemon, LocalOptions};

use crate::hypervisor::{Hypervisor, HypervisorError, VmSpec};
use serde_json::{json, Map, Value};
use slackvm_sim::scheduler::{
    DeployError, LocalScheduler, Placement, Removal, RemoveError, VmRequest,
};
use slackvm_sim::{pyfmt, Host};
use std::collections::BTreeMap;

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
    /// The hypervisor failed; the scheduler was rolled back.
    #[error("hypervisor: {0}")]
    Hypervisor(#[source] HypervisorError),
}

/// What adoption at start-up did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdoptReport {
    /// VMs now managed, in adoption order.
    pub adopted: Vec<String>,
    /// VMs found but refused by the scheduler (name, reason).
    pub refused: Vec<(String, String)>,
    /// VMs adopted at level 1.0 because none was recorded.
    pub defaulted_level: Vec<String>,
}

/// The scheduler and the hypervisor of one host.
pub struct LocalCore {
    host: Host,
    hv: Box<dyn Hypervisor>,
    specs: BTreeMap<String, VmSpec>,
}

impl std::fmt::Debug for LocalCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCore")
            .field("backend", &self.hv.kind())
            .field("vms", &self.specs.len())
            .finish()
    }
}

fn request_of(spec: &VmSpec) -> VmRequest {
    VmRequest::new(spec.name.clone(), spec.vcpus, spec.mem_mb, spec.level)
}

impl LocalCore {
    /// A core over an empty scheduler host.
    pub fn new(host: Host, hv: Box<dyn Hypervisor>) -> Self {
        LocalCore {
            host,
            hv,
            specs: BTreeMap::new(),
        }
    }

    /// The scheduler's host (read-only).
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The backend.
    pub fn hypervisor(&mut self) -> &mut dyn Hypervisor {
        self.hv.as_mut()
    }

    /// Specs of the managed VMs.
    pub fn specs(&self) -> &BTreeMap<String, VmSpec> {
        &self.specs
    }

    /// Places the VMs the hypervisor already runs (in its order), then pins
    /// each to the set the scheduler gives it.
    pub fn adopt(&mut self) -> Result<AdoptReport, HypervisorError> {
        let mut report = AdoptReport::default();
        for found in self.hv.existing()? {
            let name = found.spec.name.clone();
            match self.host.deploy(&request_of(&found.spec)) {
                Ok(_) => {
                    if !found.level_recorded {
                        report.defaulted_level.push(name.clone());
                    }
                    self.specs.insert(name.clone(), found.spec);
                    report.adopted.push(name);
                }
                Err(e) => {
                    eprintln!("warning: cannot adopt VM `{name}`: {e}");
                    report.refused.push((name, e.to_string()));
                }
            }
        }
        let pinning = self.host.pinning();
        for name in &report.adopted {
            if let Some(cpus) = pinning.get(name) {
                self.hv.pin(name, cpus)?;
            }
        }
        Ok(report)
    }

    /// Deploys a VM: scheduler first, then the hypervisor creates it pinned
    /// to its vNode and re-pins the VMs whose set changed. Any hypervisor
    /// failure restores the scheduler as it was.
    pub fn deploy(&mut self, spec: VmSpec) -> Result<Placement, DeployFailure> {
        let snapshot = self.host.clone();
        let before = self.host.pinning();
        let placement = self.host.deploy(&request_of(&spec))?;
        let after = self.host.pinning();
        let cpus = after.get(&spec.name).cloned().unwrap_or_default();
        if let Err(e) = self.hv.start(&spec, &cpus) {
            self.host = snapshot;
            return Err(DeployFailure::Hypervisor(e));
        }
        if let Err(e) = self.repin(&before, &after) {
            if let Err(stop) = self.hv.stop(&spec.name) {
                eprintln!("warning: rollback of `{}`: {stop}", spec.name);
            }
            self.host = snapshot;
            if let Err(back) = self.repin(&after, &before) {
                eprintln!("warning: restoring pinning after a failed deployment: {back}");
            }
            return Err(DeployFailure::Hypervisor(e));
        }
        self.specs.insert(spec.name.clone(), spec);
        Ok(placement)
    }

    /// Removes a VM: scheduler first, then the hypervisor destroys it (a
    /// failure restores the scheduler), then the remaining VMs whose set
    /// changed are re-pinned (a failure there is only logged: the VM is
    /// already gone).
    pub fn remove(&mut self, name: &str) -> Result<Removal, RemoveFailure> {
        let snapshot = self.host.clone();
        let before = self.host.pinning();
        let removal = self.host.remove(name)?;
        if let Err(e) = self.hv.stop(name) {
            self.host = snapshot;
            return Err(RemoveFailure::Hypervisor(e));
        }
        self.specs.remove(name);
        let after = self.host.pinning();
        if let Err(e) = self.repin(&before, &after) {
            eprintln!("warning: re-pinning after removing `{name}`: {e}");
        }
        Ok(removal)
    }

    /// Pins the VMs present in both maps whose set changed.
    fn repin(
        &mut self,
        before: &BTreeMap<String, Vec<u32>>,
        after: &BTreeMap<String, Vec<u32>>,
    ) -> Result<(), HypervisorError> {
        for (name, cpus) in after {
            if before.get(name).is_some_and(|old| old != cpus) {
                self.hv.pin(name, cpus)?;
            }
        }
        Ok(())
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
            .map(|(i, v)| (pyfmt::float(v.level()), json!(self.host.vnode_cpu_ids(i))))
            .collect();
        json!({"vms": vms, "vnodes": vnodes})
    }
}
