//! What one host of the cluster is, behind [`HostModel`]: the published
//! CPU-counting code ([`counting`]) or the real local scheduler on a
//! topology ([`vnode`]). A model answers "would this VM fit, and what would
//! the host hold then" without changing the host, so every policy can
//! compare hosts; `place` then commits.

pub mod counting;
pub mod shared_pool;
pub mod vnode;

pub use counting::CountingModel;
pub use shared_pool::SharedPoolModel;
pub use vnode::VnodeModel;

use super::schedule::MAX_LEVELS;
use super::ClusterError;

// CPUs and MB held, and THE progress formula: the scheduler core's.
pub use crate::host::{progress_formula, Usage};

/// What a host could still take, as upper bounds, for the host index
/// ([`crate::cluster::index`]). Per level index `l`, `cpus[l]` bounds the
/// vCPUs / level a VM of that level can bring: the host's CPUs in use after
/// such a VM are at least `capacity - cpus[l] + vcpus / level` (premium:
/// `+ vcpus`), whatever the level rules round.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Room {
    /// Per level index, CPUs (real, may be negative on an over-capacity host).
    pub cpus: [f64; MAX_LEVELS],
    /// MB.
    pub mem_mb: u64,
    /// CPUs in use can grow by up to this much more than a VM's
    /// [`Demand::max_cpu_growth`] on this host.
    pub extra_cpu_growth: u64,
}

/// What a VM needs of a host's [`Room`] to have a chance to fit, and how
/// much it can add to the host's usage.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Demand {
    /// Level index of the VM.
    pub level_idx: usize,
    /// vCPUs.
    pub vcpus: u32,
    /// vCPUs / level (real; vCPUs for premium).
    pub cpus: f64,
    /// MB (also the most the host's MB in use can grow).
    pub mem_mb: u64,
    /// The most the host's CPUs in use can grow.
    pub max_cpu_growth: u64,
}

/// Rounding slack of [`Room`] comparisons (the bounds are summed in f64).
pub const ROOM_EPS: f64 = 1e-6;

impl Demand {
    /// False when a host with this room (CPUs of the VM's level, MB)
    /// certainly cannot take the VM.
    #[inline]
    pub fn may_fit(&self, room_cpus: f64, room_mem_mb: u64) -> bool {
        room_cpus >= self.cpus - ROOM_EPS && room_mem_mb >= self.mem_mb
    }
}

/// Where the VMs of each level draw CPU on a host: per level index, the
/// pool slot it belongs to, and per slot the CPUs it has (a vNode, a
/// counted group, a shared pool). Used by the CPU shortage accounting.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pools {
    /// Pool slot of each level index.
    pub of_level: [u8; MAX_LEVELS],
    /// CPUs of each slot.
    pub cpus: [f64; MAX_LEVELS],
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
    /// added (docs/scheduler.md, "Progress").
    fn progress(&self, host: &Self::Host, vm: usize) -> f64;
    /// Upper bounds of what the host could still take (see [`Room`]).
    /// Contract, checked by proptest: when `probe(host, vm)` fits,
    /// `demand(vm).may_fit(room.cpus[demand.level_idx], room.mem_mb)` holds and the usage
    /// after is at most the usage now plus `max_cpu_growth +
    /// room.extra_cpu_growth` CPUs and `mem_mb` MB.
    fn room(&self, host: &Self::Host) -> Room;
    /// What VM `vm` needs of a [`Room`] (see [`Demand`]).
    fn demand(&self, vm: usize) -> Demand;
    /// Level indexes [`HostModel::room`] fills (`1..=MAX_LEVELS`).
    fn level_count(&self) -> usize;
    /// VMs the model knows (indexes `0..vm_count()`).
    fn vm_count(&self) -> usize;
    /// True when every probe on `host` answers as on
    /// [`HostModel::empty_host`] (the index then stands for all such
    /// hosts by the lowest-numbered one).
    fn is_pristine(&self, host: &Self::Host) -> bool;
    /// The CPU pools of the host now (see [`Pools`]).
    fn pools(&self, host: &Self::Host) -> Pools;
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
