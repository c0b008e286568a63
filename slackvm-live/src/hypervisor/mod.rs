//! The hypervisor behind a local daemon, as one trait: start a VM pinned to
//! a CPU set, re-pin it, stop it, list the VMs already there (adoption at
//! start-up) and read usage. Backends: [`memory::MemoryBackend`] (default,
//! runs anywhere) and, with feature `live`, `libvirt::LibvirtBackend`.
//! Calls are blocking and take `&self` (backends lock what they need
//! inside): the local daemon runs them on tokio's blocking pool WITHOUT
//! holding the scheduler lock, so reads never wait for a hypervisor.

pub mod domain_xml;
pub mod memory;

#[cfg(feature = "live")]
pub mod libvirt;

use slackvm_sim::level::Level;
use std::path::PathBuf;

/// What a backend needs to create a VM.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VmSpec {
    /// Name (validated: `[A-Za-z0-9._-]{1,64}`).
    pub name: String,
    /// vCPUs.
    pub vcpus: u32,
    /// Memory in MB.
    pub mem_mb: u64,
    /// Oversubscription level (stored in the domain metadata).
    pub level: Level,
    /// Disk image, canonical path.
    #[serde(default)]
    pub disk: Option<PathBuf>,
}

/// A VM found on the hypervisor at start-up.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundVm {
    /// Its description (level 1.0 when none, or no valid one, was recorded).
    pub spec: VmSpec,
    /// False when the level was missing and defaulted to 1.0.
    pub level_recorded: bool,
    /// False when the VM exists but is shut off.
    pub running: bool,
    /// CPU ids of its vNode in the order the scheduler added them, as
    /// recorded by [`Hypervisor::record_cpus`] (empty: none recorded).
    pub vnode_cpus: Vec<u32>,
}

/// Usage counters of one VM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VmUsage {
    /// Cumulated CPU time, ns (all vCPUs).
    pub cpu_time_ns: u64,
    /// Memory in use, MB (None when the hypervisor cannot tell).
    pub mem_used_mb: Option<u64>,
}

/// A hypervisor call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HypervisorError {
    /// No such VM on the hypervisor.
    #[error("VM `{0}` is unknown to the hypervisor")]
    UnknownVm(String),
    /// The VM already exists on the hypervisor.
    #[error("VM `{0}` already exists on the hypervisor")]
    AlreadyExists(String),
    /// The backend refused or failed (libvirt error text, I/O error...).
    #[error("{operation} `{vm}`: {message}")]
    Backend {
        /// What was attempted (`define`, `start`, `pin`, ...).
        operation: &'static str,
        /// VM name (or `-`).
        vm: String,
        /// Backend message.
        message: String,
    },
    /// The backend's own state file cannot be read or written.
    #[error("state file {path}: {message}")]
    State {
        /// File.
        path: String,
        /// What failed.
        message: String,
    },
}

/// What a backend says about itself in `/status` (`backend` key).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BackendHealth {
    /// False while the backend cannot be reached (e.g. libvirtd down).
    pub connected: bool,
    /// Reconnections since start.
    pub reconnects: u64,
    /// The last connection error, if any.
    pub last_error: Option<String>,
}

/// A hypervisor backend.
pub trait Hypervisor: Send + Sync {
    /// Backend name (`memory`, `libvirt`).
    fn kind(&self) -> &'static str;
    /// Creates and starts a VM whose every vCPU is pinned to `cpus`.
    fn start(&self, spec: &VmSpec, cpus: &[u32]) -> Result<(), HypervisorError>;
    /// Pins every vCPU of a running VM to `cpus`.
    fn pin(&self, name: &str, cpus: &[u32]) -> Result<(), HypervisorError>;
    /// Stops and deletes a VM.
    fn stop(&self, name: &str) -> Result<(), HypervisorError>;
    /// VMs already present (adopted at start-up), in a stable order.
    fn existing(&self) -> Result<Vec<FoundVm>, HypervisorError>;
    /// Usage counters of a VM.
    fn usage(&self, name: &str) -> Result<VmUsage, HypervisorError>;
    /// A stable identifier of the VM (libvirt UUID), if any.
    fn uuid(&self, name: &str) -> Option<String>;
    /// Persists the VM's vNode CPU ids (ordered) so a restart restores the
    /// exact placement.
    fn record_cpus(&self, name: &str, vnode_cpus: &[u32]) -> Result<(), HypervisorError> {
        let _ = (name, vnode_cpus);
        Ok(())
    }
    /// Connection health (always connected unless the backend says not).
    fn health(&self) -> BackendHealth {
        BackendHealth {
            connected: true,
            ..BackendHealth::default()
        }
    }
}
