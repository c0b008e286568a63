//! The in-memory backend: VMs exist only in the daemon, CPU usage is
//! synthetic (a seeded random walk per VM, so runs are reproducible) and,
//! when a state file is given, the VM list is persisted after every change
//! so that a restarted daemon adopts its VMs as it would from libvirt.

use super::{FoundVm, Hypervisor, HypervisorError, VmSpec, VmUsage};
use slackvm_sim::rng::Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug)]
struct MemVm {
    spec: VmSpec,
    pinning: Vec<u32>,
    rng: Rng,
    cpu_time_ns: u64,
    last_sample: Instant,
    /// Current synthetic utilisation of the VM's vCPUs, in [0, 1].
    util: f64,
    /// Order of creation (persisted order).
    seq: u64,
}

/// VMs held in memory.
#[derive(Debug)]
pub struct MemoryBackend {
    vms: BTreeMap<String, MemVm>,
    seed: u64,
    next_seq: u64,
    state_file: Option<PathBuf>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StateFile {
    vms: Vec<VmSpec>,
}

impl MemoryBackend {
    /// A backend with a seed for synthetic usage and an optional state file
    /// (loaded now when it exists).
    pub fn new(seed: u64, state_file: Option<PathBuf>) -> Result<Self, HypervisorError> {
        let mut backend = MemoryBackend {
            vms: BTreeMap::new(),
            seed,
            next_seq: 0,
            state_file,
        };
        if let Some(path) = backend.state_file.clone() {
            for spec in load_state(&path)? {
                backend.insert(spec, Vec::new());
            }
        }
        Ok(backend)
    }

    /// CPU ids a VM is pinned to (tests, diagnostics).
    pub fn pinning_of(&self, name: &str) -> Option<&[u32]> {
        self.vms.get(name).map(|v| v.pinning.as_slice())
    }

    fn insert(&mut self, spec: VmSpec, pinning: Vec<u32>) {
        let rng = Rng::derive(self.seed, &spec.name, 0);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.vms.insert(
            spec.name.clone(),
            MemVm {
                spec,
                pinning,
                rng,
                cpu_time_ns: 0,
                last_sample: Instant::now(),
                util: 0.3,
                seq,
            },
        );
    }

    fn ordered_specs(&self) -> Vec<VmSpec> {
        let mut vms: Vec<&MemVm> = self.vms.values().collect();
        vms.sort_by_key(|v| v.seq);
        vms.into_iter().map(|v| v.spec.clone()).collect()
    }

    fn persist(&self) -> Result<(), HypervisorError> {
        let Some(path) = &self.state_file else {
            return Ok(());
        };
        let err = |message: String| HypervisorError::State {
            path: path.display().to_string(),
            message,
        };
        let body = serde_json::to_string_pretty(&StateFile {
            vms: self.ordered_specs(),
        })
        .map_err(|e| err(e.to_string()))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, body).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
    }
}

fn load_state(path: &Path) -> Result<Vec<VmSpec>, HypervisorError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(HypervisorError::State {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        }
    };
    let state: StateFile = serde_json::from_str(&text).map_err(|e| HypervisorError::State {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(state.vms)
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

    fn start(&mut self, spec: &VmSpec, cpus: &[u32]) -> Result<(), HypervisorError> {
        if self.vms.contains_key(&spec.name) {
            return Err(HypervisorError::AlreadyExists(spec.name.clone()));
        }
        self.insert(spec.clone(), cpus.to_vec());
        if let Err(e) = self.persist() {
            self.vms.remove(&spec.name);
            return Err(e);
        }
        Ok(())
    }

    fn pin(&mut self, name: &str, cpus: &[u32]) -> Result<(), HypervisorError> {
        let vm = self
            .vms
            .get_mut(name)
            .ok_or_else(|| HypervisorError::UnknownVm(name.to_string()))?;
        vm.pinning = cpus.to_vec();
        Ok(())
    }

    fn stop(&mut self, name: &str) -> Result<(), HypervisorError> {
        let vm = self
            .vms
            .remove(name)
            .ok_or_else(|| HypervisorError::UnknownVm(name.to_string()))?;
        if let Err(e) = self.persist() {
            self.vms.insert(name.to_string(), vm);
            return Err(e);
        }
        Ok(())
    }

    fn existing(&mut self) -> Result<Vec<FoundVm>, HypervisorError> {
        Ok(self
            .ordered_specs()
            .into_iter()
            .map(|spec| FoundVm {
                spec,
                level_recorded: true,
            })
            .collect())
    }

    fn usage(&mut self, name: &str) -> Result<VmUsage, HypervisorError> {
        let vm = self
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

    fn uuid(&mut self, _name: &str) -> Option<String> {
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
            level: 2.0,
            disk: None,
        }
    }

    #[test]
    fn persists_in_creation_order() {
        let dir = std::env::temp_dir().join(format!("slackvm-mem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let _ = std::fs::remove_file(&path);
        let mut b = MemoryBackend::new(1, Some(path.clone())).unwrap();
        b.start(&spec("zz"), &[0, 1]).unwrap();
        b.start(&spec("aa"), &[2, 3]).unwrap();
        b.start(&spec("mm"), &[4]).unwrap();
        b.stop("aa").unwrap();
        assert!(b.start(&spec("zz"), &[0]).is_err());
        let mut again = MemoryBackend::new(1, Some(path)).unwrap();
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
