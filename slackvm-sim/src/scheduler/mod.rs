//! The vocabulary of the local scheduler's interface: requests, answers,
//! errors and the host status ([`HostStatus`]) that every driver (the offline
//! replay, the cluster simulator's `vnode` host model, the trace generator
//! and the live daemon) exchanges with [`crate::host::Host`] through its
//! methods `deploy`, `remove`, `status`, `progress`, `list`, `vm` and
//! `pinning`. There is one local scheduler, so there is no trait. It says
//! nothing about time, traces or hypervisors; `host` depends on this
//! module, never the reverse.

mod status;

pub use status::{HostStatus, ResourceStatus, VNodeStatus};

use crate::level::Level;

/// A request to host a VM.
#[derive(Debug, Clone, PartialEq)]
pub struct VmRequest {
    /// Unique name on the host.
    pub name: String,
    /// vCPU count (>= 1).
    pub vcpus: u32,
    /// Memory in MB.
    pub mem_mb: u64,
    /// CPU oversubscription level (1.0 = premium).
    pub level: Level,
}

impl VmRequest {
    /// Convenience constructor.
    pub fn new(name: impl Into<String>, vcpus: u32, mem_mb: u64, level: Level) -> Self {
        VmRequest {
            name: name.into(),
            vcpus,
            mem_mb,
            level,
        }
    }
}

/// An accepted deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The VM.
    pub vm: String,
    /// Its level (its vNode).
    pub level: Level,
    /// CPU ids the vNode gained for it, in the order taken.
    pub cpus_added: Vec<u32>,
    /// CPU ids of the vNode afterwards, in the order they were added.
    pub vnode_cpus: Vec<u32>,
}

/// An accepted removal.
#[derive(Debug, Clone, PartialEq)]
pub struct Removal {
    /// The VM.
    pub vm: String,
    /// Its level.
    pub level: Level,
    /// CPU ids its vNode released (last added first).
    pub cpus_released: Vec<u32>,
}

/// What a host knows of one of its VMs.
#[derive(Debug, Clone, PartialEq)]
pub struct VmInfo {
    /// Name.
    pub name: String,
    /// vCPUs.
    pub vcpus: u32,
    /// Memory in MB.
    pub mem_mb: u64,
    /// Level.
    pub level: Level,
    /// CPU ids its vCPUs are pinned to.
    pub pinning: Vec<u32>,
}

/// Why a deployment was refused. A refusal leaves the host unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The vNode cannot grow enough.
    #[error("not enough cpu for VM `{vm}`: {missing_cpus} CPUs missing, {free_cpus} free")]
    NotEnoughCpu {
        /// VM name.
        vm: String,
        /// CPUs the vNode would need to gain.
        missing_cpus: u64,
        /// Free CPUs on the host.
        free_cpus: u64,
    },
    /// The memory pool cannot grow enough.
    #[error("not enough mem for VM `{vm}`: {mem_mb} MB requested, {free_mb} MB free")]
    NotEnoughMem {
        /// VM name.
        vm: String,
        /// Requested MB.
        mem_mb: u64,
        /// MB the pool could still gain.
        free_mb: u64,
    },
    /// A VM of that name is already hosted.
    #[error("VM `{vm}` is already hosted")]
    AlreadyHosted {
        /// VM name.
        vm: String,
    },
    /// The request itself is malformed.
    #[error("invalid request for VM `{vm}`: {message}")]
    InvalidRequest {
        /// VM name.
        vm: String,
        /// What is wrong.
        message: String,
    },
}

impl DeployError {
    /// The prototype's short reason: `not enough cpu`, `not enough mem`, ...
    pub fn resource(&self) -> &'static str {
        match self {
            DeployError::NotEnoughCpu { .. } => "not enough cpu",
            DeployError::NotEnoughMem { .. } => "not enough mem",
            DeployError::AlreadyHosted { .. } => "already hosted",
            DeployError::InvalidRequest { .. } => "invalid request",
        }
    }
}

/// Why a removal was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoveError {
    /// No such VM on this host.
    #[error("VM `{vm}` does not exist on this host")]
    NotHosted {
        /// VM name.
        vm: String,
    },
}
