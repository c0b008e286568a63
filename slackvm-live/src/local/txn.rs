//! Transactions of the local daemon, none holding the scheduler lock
//! across a hypervisor call:
//! - deploy: reserve in the scheduler (lock), start on the hypervisor (no
//!   lock), commit (lock), then re-pin; a failed start, or a failed
//!   re-pin of the VMs it displaced, rolls the reservation back;
//! - remove: mark the VM busy (lock), stop it (no lock), release it (lock),
//!   re-pin; a VM the hypervisor no longer knows is released and logged;
//! - re-pinning ([`Shared::sync_pins`]): one at a time, compares what the
//!   scheduler wants with what was applied last and calls the hypervisor
//!   for the differences (pin set, and the vNode CPU ids it records);
//! - reconciliation ([`Shared::reconcile`]): lists the hypervisor's VMs
//!   with no lock held, then releases vanished VMs and adopts unknown ones.
//!   Deployments and removals hold `mutations` shared, reconciliation
//!   holds it exclusively, so its listing is never stale.

use super::{DeployFailure, LocalCore, RemoveFailure};
use crate::hypervisor::{Hypervisor, HypervisorError, VmSpec};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, RwLock};

/// A VM's pin set and its vNode's CPU ids.
type Pins = (Vec<u32>, Vec<u32>);
/// Pins last applied to each VM.
type Applied = BTreeMap<String, Pins>;

/// Applies `(name, wanted, applied before)` in order; stops after the
/// first failure.
fn apply_pins(
    hv: &dyn Hypervisor,
    jobs: Vec<(String, Pins, Pins)>,
) -> Vec<(String, Pins, Result<(), HypervisorError>)> {
    let mut out = Vec::with_capacity(jobs.len());
    for (name, want, old) in jobs {
        let mut outcome = Ok(());
        if old.0 != want.0 {
            outcome = hv.pin(&name, &want.0);
        }
        if outcome.is_ok() && old.1 != want.1 {
            outcome = hv.record_cpus(&name, &want.1);
        }
        // A VM stopped meanwhile (its removal runs outside the lock) is
        // not a pinning failure: the next pass no longer wants it.
        if matches!(outcome, Err(HypervisorError::UnknownVm(_))) {
            continue;
        }
        let failed = outcome.is_err();
        out.push((name, want, outcome));
        if failed {
            break;
        }
    }
    out
}

/// What the request handlers share.
#[derive(Debug, Clone)]
pub struct Shared {
    /// Scheduler and bookkeeping (never locked across a hypervisor call).
    pub core: Arc<Mutex<LocalCore>>,
    hv: Arc<dyn Hypervisor>,
    applied: Arc<Mutex<Applied>>,
    mutations: Arc<RwLock<()>>,
}

impl std::fmt::Debug for dyn Hypervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind())
    }
}

/// Runs a blocking hypervisor call on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, HypervisorError> + Send + 'static,
) -> Result<T, HypervisorError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(HypervisorError::Backend {
            operation: "task",
            vm: "-".into(),
            message: e.to_string(),
        })
    })
}

impl Shared {
    /// Wraps a core whose VMs were adopted (and pinned) already.
    pub fn new(core: LocalCore) -> Self {
        let hv = core.hypervisor_handle();
        let applied = core.wanted_pins();
        Shared {
            core: Arc::new(Mutex::new(core)),
            hv,
            applied: Arc::new(Mutex::new(applied)),
            mutations: Arc::new(RwLock::new(())),
        }
    }

    /// Deploys a VM (see the module header).
    pub async fn deploy(&self, spec: VmSpec) -> Result<(), DeployFailure> {
        let _shared = self.mutations.read().await;
        let (cpus, created_vnode) = {
            let mut core = self.core.lock().await;
            let cpus = core.reserve(&spec)?;
            (cpus, core.created_vnode(&spec.name))
        };
        let (hv, s, c) = (self.hv.clone(), spec.clone(), cpus.clone());
        if let Err(e) = blocking(move || hv.start(&s, &c)).await {
            self.core.lock().await.cancel(&spec.name, created_vnode);
            return Err(DeployFailure::Hypervisor(e));
        }
        let name = spec.name.clone();
        self.applied
            .lock()
            .await
            .insert(name.clone(), (cpus, Vec::new()));
        self.core.lock().await.commit(spec);
        if let Err((vm, e)) = self.sync_pins().await {
            eprintln!("warning: deploying `{name}`: re-pinning `{vm}` failed: {e}; rolled back");
            self.undo_deploy(&name, created_vnode).await;
            return Err(DeployFailure::Hypervisor(e));
        }
        Ok(())
    }

    async fn undo_deploy(&self, name: &str, created_vnode: bool) {
        let (hv, n) = (self.hv.clone(), name.to_string());
        if let Err(stop) = blocking(move || hv.stop(&n)).await {
            eprintln!("warning: rollback of `{name}`: {stop}");
        }
        self.core.lock().await.cancel(name, created_vnode);
        self.applied.lock().await.remove(name);
        if let Err((vm, e)) = self.sync_pins().await {
            eprintln!("warning: restoring the pinning of `{vm}` after a failed deployment: {e}");
        }
    }

    /// Removes a VM (see the module header).
    pub async fn remove(&self, name: &str) -> Result<(), RemoveFailure> {
        let _shared = self.mutations.read().await;
        self.core.lock().await.begin_removal(name)?;
        let (hv, n) = (self.hv.clone(), name.to_string());
        match blocking(move || hv.stop(&n)).await {
            Ok(()) => {}
            Err(HypervisorError::UnknownVm(_)) => {
                eprintln!("warning: VM `{name}` had vanished from the hypervisor: released");
            }
            Err(e) => {
                self.core.lock().await.abort_removal(name);
                return Err(RemoveFailure::Hypervisor(e));
            }
        }
        self.core.lock().await.release(name);
        self.applied.lock().await.remove(name);
        if let Err((vm, e)) = self.sync_pins().await {
            eprintln!("warning: re-pinning `{vm}` after removing `{name}`: {e}");
        }
        Ok(())
    }

    /// Applies the pinning the scheduler wants where it differs from what
    /// was applied; stops at the first failure, returning the VM.
    pub async fn sync_pins(&self) -> Result<(), (String, HypervisorError)> {
        let mut applied = self.applied.lock().await;
        let want = self.core.lock().await.wanted_pins();
        applied.retain(|name, _| want.contains_key(name));
        let (todo, settled): (Vec<_>, Vec<_>) = want
            .into_iter()
            .partition(|(name, w)| applied.get(name) != Some(w));
        {
            let mut core = self.core.lock().await;
            for (name, _) in settled {
                if core.faulty().contains_key(&name) {
                    core.note_pin(&name, Ok(()));
                }
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        // One trip to the blocking pool for the whole pass, in order,
        // stopping at the first failure.
        let jobs: Vec<(String, Pins, Pins)> = todo
            .into_iter()
            .map(|(name, want)| {
                let old = applied.get(&name).cloned().unwrap_or_default();
                (name, want, old)
            })
            .collect();
        let hv = self.hv.clone();
        let outcomes = tokio::task::spawn_blocking(move || apply_pins(hv.as_ref(), jobs))
            .await
            .map_err(|e| {
                let failure = HypervisorError::Backend {
                    operation: "pin",
                    vm: "-".into(),
                    message: e.to_string(),
                };
                ("-".to_string(), failure)
            })?;
        let mut core = self.core.lock().await;
        for (name, want, outcome) in outcomes {
            let failed = outcome.as_ref().err().map(ToString::to_string);
            core.note_pin(&name, outcome);
            if let Some(message) = failed {
                return Err((
                    name.clone(),
                    HypervisorError::Backend {
                        operation: "pin",
                        vm: name,
                        message,
                    },
                ));
            }
            applied.insert(name, want);
        }
        Ok(())
    }

    /// One reconciliation pass (see the module header).
    pub async fn reconcile(&self) -> Result<super::AdoptReport, HypervisorError> {
        let _exclusive = self.mutations.write().await;
        let hv = self.hv.clone();
        let found = blocking(move || hv.existing()).await?;
        let report = self.core.lock().await.reconcile(found);
        drop(_exclusive);
        if let Err((vm, e)) = self.sync_pins().await {
            eprintln!("warning: re-pinning `{vm}` after reconciliation: {e}");
        }
        Ok(report)
    }

    /// Reconciles every `period`, forever (failures logged).
    pub async fn reconcile_every(self, period: Duration) {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            if let Err(e) = self.reconcile().await {
                eprintln!("warning: reconciliation with the hypervisor failed: {e}");
            }
        }
    }
}
