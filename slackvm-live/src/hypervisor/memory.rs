//! The in-memory backend: VMs exist only in the daemon, CPU usage is
//! synthetic (a seeded random walk per VM, so runs are reproducible) and,
//! when a state file is given, the VM list (with each VM's vNode CPU ids)
//! is persisted after every change so that a restarted daemon adopts its
//! VMs onto the same CPUs, as it would from libvirt. The state file is the
//! backend's truth: [`Hypervisor::existing`] reads it again, so a VM an
//! operator deletes from the file (or marks `"running": false`) is seen by
//! the daemon's reconciliation as a libvirt domain undefined or shut off
//! outside the daemon would be. `latency` makes every start/stop take that
//! long (outside the backend's lock), to test slow hypervisors.

use super::{FoundVm, Hypervisor, HypervisorError, VmSpec, VmUsage};
use slackvm_sim::rng::Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct MemVm {
    spec: VmSpec,
    pinning: Vec<u32>,
    vnode_cpus: Vec<u32>,
    running: bool,
    rng: Rng,
    cpu_time_ns: u64,
    last_sample: Instant,
    /// Current synthetic utilisation of the VM's vCPUs, in [0, 1].
    util: f64,
    /// Order of creation (persisted order).
    seq: u64,
}

#[derive(Debug)]
struct Inner {
    vms: BTreeMap<String, MemVm>,
    next_seq: u64,
}

/// VMs held in memory.
#[derive(Debug)]
pub struct MemoryBackend {
    inner: Mutex<Inner>,
    seed: u64,
    state_file: Option<PathBuf>,
    latency: Duration,
}

/// One VM of the state file.
#[derive(serde::Serialize, serde::Deserialize)]
struct StateVm {
    #[serde(flatten)]
    spec: VmSpec,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    vnode_cpus: Vec<u32>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    running: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StateFile {
    vms: Vec<StateVm>,
}

impl MemoryBackend {
    /// A backend with a seed for synthetic usage and an optional state file
    /// (loaded now when it exists).
    pub fn new(seed: u64, state_file: Option<PathBuf>) -> Result<Self, HypervisorError> {
        let backend = MemoryBackend {
            inner: Mutex::new(Inner {
                vms: BTreeMap::new(),
                next_seq: 0,
            }),
            seed,
            state_file,
            latency: Duration::ZERO,
        };
        backend.reload()?;
        Ok(backend)
    }

    /// Every start and stop takes `latency` (slept outside the lock).
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// CPU ids a VM is pinned to (tests, diagnostics).
    pub fn pinning_of(&self, name: &str) -> Option<Vec<u32>> {
        self.lock().vms.get(name).map(|v| v.pinning.clone())
    }

    /// Makes the VM list match the state file (when there is one): VMs
    /// missing from the file vanish, new ones appear, flags are updated.
    fn reload(&self) -> Result<(), HypervisorError> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        let Some(saved) = load_state(path)? else {
            return Ok(());
        };
        let mut inner = self.lock();
        let keep: std::collections::BTreeSet<&str> =
            saved.iter().map(|v| v.spec.name.as_str()).collect();
        inner.vms.retain(|name, _| keep.contains(name.as_str()));
        for vm in saved {
            match inner.vms.get_mut(&vm.spec.name) {
                Some(known) => {
                    known.running = vm.running;
                    known.vnode_cpus = vm.vnode_cpus;
                }
                None => self.insert(&mut inner, vm.spec, Vec::new(), vm.vnode_cpus, vm.running),
            }
        }
        Ok(())
    }

    fn insert(
        &self,
        inner: &mut Inner,
        spec: VmSpec,
        pinning: Vec<u32>,
        vnode_cpus: Vec<u32>,
        running: bool,
    ) {
        let rng = Rng::derive(self.seed, &spec.name, 0);
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.vms.insert(
            spec.name.clone(),
            MemVm {
                spec,
                pinning,
                vnode_cpus,
                running,
                rng,
                cpu_time_ns: 0,
                last_sample: Instant::now(),
                util: 0.3,
                seq,
            },
        );
    }

    fn ordered(inner: &Inner) -> Vec<&MemVm> {
        let mut vms: Vec<&MemVm> = inner.vms.values().collect();
        vms.sort_by_key(|v| v.seq);
        vms
    }

    fn persist(&self, inner: &Inner) -> Result<(), HypervisorError> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        let err = |message: String| HypervisorError::State {
            path: path.display().to_string(),
            message,
        };
        let vms = Self::ordered(inner)
            .into_iter()
            .map(|v| StateVm {
                spec: v.spec.clone(),
                vnode_cpus: v.vnode_cpus.clone(),
                running: v.running,
            })
            .collect();
        let body =
            serde_json::to_string_pretty(&StateFile { vms }).map_err(|e| err(e.to_string()))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, body).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
    }

    fn slow_down(&self) {
        if !self.latency.is_zero() {
            std::thread::sleep(self.latency);
        }
    }
}

/// The saved VMs (`None`: no file yet).
fn load_state(path: &Path) -> Result<Option<Vec<StateVm>>, HypervisorError> {
    let err = |message: String| HypervisorError::State {
        path: path.display().to_string(),
        message,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e.to_string())),
    };
    let state: StateFile = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    Ok(Some(state.vms))
}

/// Next synthetic utilisation: a bounded random walk in [0.02, 1].
fn step_util(rng: &mut Rng, util: f64) -> f64 {
    let jitter = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    (util + 0.2 * jitter).clamp(0.02, 1.0)
}

impl Hypervisor for MemoryBackend {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn start(&self, spec: &VmSpec, cpus: &[u32]) -> Result<(), HypervisorError> {
        self.reload()?;
        if self.lock().vms.contains_key(&spec.name) {
            return Err(HypervisorError::AlreadyExists(spec.name.clone()));
        }
        self.slow_down();
        let mut inner = self.lock();
        if inner.vms.contains_key(&spec.name) {
            return Err(HypervisorError::AlreadyExists(spec.name.clone()));
        }
        self.insert(&mut inner, spec.clone(), cpus.to_vec(), Vec::new(), true);
        if let Err(e) = self.persist(&inner) {
            inner.vms.remove(&spec.name);
            return Err(e);
        }
        Ok(())
    }

    fn pin(&self, name: &str, cpus: &[u32]) -> Result<(), HypervisorError> {
        let mut inner = self.lock();
        let vm = inner
            .vms
            .get_mut(name)
            .ok_or_else(|| HypervisorError::UnknownVm(name.to_string()))?;
        vm.pinning = cpus.to_vec();
        Ok(())
    }

    fn record_cpus(&self, name: &str, vnode_cpus: &[u32]) -> Result<(), HypervisorError> {
        let mut inner = self.lock();
        let vm = inner
            .vms
            .get_mut(name)
            .ok_or_else(|| HypervisorError::UnknownVm(name.to_string()))?;
        vm.vnode_cpus = vnode_cpus.to_vec();
        self.persist(&inner)
    }

    fn stop(&self, name: &str) -> Result<(), HypervisorError> {
        self.reload()?;
        if !self.lock().vms.contains_key(name) {
            return Err(HypervisorError::UnknownVm(name.to_string()));
        }
        self.slow_down();
        let mut inner = self.lock();
        let vm = inner
            .vms
            .remove(name)
            .ok_or_else(|| HypervisorError::UnknownVm(name.to_string()))?;
        if let Err(e) = self.persist(&inner) {
            inner.vms.insert(name.to_string(), vm);
            return Err(e);
        }
        Ok(())
    }

    fn existing(&self) -> Result<Vec<FoundVm>, HypervisorError> {
        self.reload()?;
        let inner = self.lock();
        Ok(Self::ordered(&inner)
            .into_iter()
            .map(|v| FoundVm {
                spec: v.spec.clone(),
                level_recorded: true,
                running: v.running,
                vnode_cpus: v.vnode_cpus.clone(),
            })
            .collect())
    }

    fn usage(&self, name: &str) -> Result<VmUsage, HypervisorError> {
        let mut inner = self.lock();
        let vm = inner
            .vms
            .get_mut(name)
            .ok_or_else(|| HypervisorError::UnknownVm(name.to_string()))?;
        let now = Instant::now();
        let elapsed_ns = now.duration_since(vm.last_sample).as_nanos() as f64;
        vm.last_sample = now;
        vm.util = step_util(&mut vm.rng, vm.util);
        vm.cpu_time_ns += (elapsed_ns * vm.util * f64::from(vm.spec.vcpus)) as u64;
        Ok(VmUsage {
            cpu_time_ns: vm.cpu_time_ns,
            mem_used_mb: Some((vm.spec.mem_mb as f64 * (0.5 + 0.4 * vm.util)) as u64),
        })
    }

    fn uuid(&self, _name: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> VmSpec {
        VmSpec {
            name: name.into(),
            vcpus: 2,
            mem_mb: 1024,
            level: slackvm_sim::level::Level::TWO,
            disk: None,
        }
    }

    #[test]
    fn persists_in_creation_order() {
        let dir = std::env::temp_dir().join(format!("slackvm-mem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let _ = std::fs::remove_file(&path);
        let b = MemoryBackend::new(1, Some(path.clone())).unwrap();
        b.start(&spec("zz"), &[0, 1]).unwrap();
        b.start(&spec("aa"), &[2, 3]).unwrap();
        b.start(&spec("mm"), &[4]).unwrap();
        b.stop("aa").unwrap();
        assert!(b.start(&spec("zz"), &[0]).is_err());
        let again = MemoryBackend::new(1, Some(path)).unwrap();
        let names: Vec<String> = again
            .existing()
            .unwrap()
            .into_iter()
            .map(|f| f.spec.name)
            .collect();
        assert_eq!(names, ["zz", "mm"]);
        let u = again.usage("zz").unwrap();
        assert!(u.mem_used_mb.unwrap() <= 1024);
    }
}
