//! What one host of the cluster is, behind [`HostModel`]: the published
//! CPU-counting code ([`counting`]) or the real local scheduler on a
//! topology ([`vnode`]). A model answers "would this VM fit, and what would
//! the host hold then" without changing the host, so every policy can
//! compare hosts; `place` then commits.

pub mod counting;
pub mod vnode;

pub use counting::CountingModel;
pub use vnode::VnodeModel;

use super::ClusterError;

/// CPUs and MB a host holds (in use) or can hold (capacity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Physical CPUs.
    pub cpus: u64,
    /// MB.
    pub mem_mb: u64,
}

/// One host model over one [`super::Schedule`] (VMs are named by index).
pub trait HostModel: Sync {
    /// State of one host.
    type Host: Clone + Send;
    /// Name used in options and outputs.
    fn name(&self) -> &'static str;
    /// An empty host.
    fn empty_host(&self) -> Self::Host;
    /// What one host can hold.
    fn capacity(&self) -> Usage;
    /// What the host would hold with VM `vm` added, or `None` when it does
    /// not fit. Never changes the host.
    fn probe(&self, host: &Self::Host, vm: usize) -> Option<Usage>;
    /// Places VM `vm`; false (host unchanged) when it does not fit.
    fn place(&self, host: &mut Self::Host, vm: usize) -> bool;
    /// Removes VM `vm` (which the host holds).
    fn remove(&self, host: &mut Self::Host, vm: usize);
    /// What the host holds now.
    fn usage(&self, host: &Self::Host) -> Usage;
    /// Progress toward the ideal memory-per-core ratio if VM `vm` were
    /// added (local-scheduler.md, "Progress").
    fn progress(&self, host: &Self::Host, vm: usize) -> f64;
}

/// The host models by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelKind {
    /// CPU counting as in the published simulation.
    Counting,
    /// Full local scheduler (vNodes on a topology).
    Vnode,
}

impl ModelKind {
    /// Every model, in output order.
    pub const ALL: [ModelKind; 2] = [ModelKind::Counting, ModelKind::Vnode];

    /// Name used in options and outputs.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Counting => "counting",
            ModelKind::Vnode => "vnode",
        }
    }
    /// Parses a name.
    pub fn parse(name: &str) -> Result<Self, ClusterError> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| ClusterError::UnknownName {
                what: "host model",
                name: name.to_string(),
                known: Self::ALL.map(|m| m.name()).join(", "),
            })
    }
}

/// Options of the counting model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelOptions {
    /// Host CPUs.
    pub cpus: u64,
    /// Host memory (MB).
    pub mem_mb: u64,
    /// A group of levels with fewer VMs than this counts its vCPUs one to
    /// one (published value 2).
    pub critical_size: u32,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            cpus: 32,
            mem_mb: 131_072,
            critical_size: 2,
        }
    }
}

/// Progress toward the ideal memory-per-core ratio, from the host's CPUs
/// and MB in use now and after the VM (local-scheduler.md).
pub fn progress_formula(capacity: Usage, before: Usage, after: Usage) -> f64 {
    let usable = capacity.cpus as f64;
    let ideal = capacity.mem_mb as f64 / usable;
    let cpu_used = before.cpus as f64;
    let current = if before.cpus > 0 {
        before.mem_mb as f64 / cpu_used
    } else {
        ideal
    };
    let potential = if after.cpus > 0 {
        after.mem_mb as f64 / after.cpus as f64
    } else {
        ideal
    };
    let progress = (current - ideal).abs() - (potential - ideal).abs();
    if progress < 0.0 {
        progress * (1.0 + cpu_used / usable)
    } else {
        progress
    }
}
