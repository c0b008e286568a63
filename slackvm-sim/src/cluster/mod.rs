//! The cluster experiment (docs/cluster.md): replay an event list on
//! a cluster of identical hosts and find how many hosts it needs.
//!
//! Map (data flows top to bottom):
//! - [`schedule`]: the event list turned once into a compact processing
//!   order (arrivals before departures at the same time, as published, or
//!   the reverse), with each VM's effective memory (the 8 GiB cap).
//! - [`model`]: what one host is: `counting` (the published CPU-counting
//!   code) or `vnode` (the real local scheduler on a topology).
//! - [`policy`]: which host a VM goes to (`paper`, `progress`, `first-fit`,
//!   `best-fit`, `worst-fit`).
//! - [`fit`]: the fit measures (room left) shared by policies and index.
//! - [`classes`]: exact best- and worst-fit answers per VM class (few classes).
//! - [`index`]: bounds over hosts so first/best/worst fit skip hosts that
//!   cannot fit (same choices as the scans).
//! - [`engine`]: the discrete-event loop on N hosts (or hosts opened on
//!   demand).
//! - [`search`]: the smallest N with no refusal.
//! - [`cpu`]: per-VM CPU usage series; [`shortage`]: CPU shortage per
//!   level and energy along a run; [`energy`]: host power models.
//! - [`bound`]: the per-time lower bound.
//! - [`sizing`]: SlackVM versus the dedicated baseline on one workload.
//! - [`price`]: the shared-pool layout and the price of packing (shortage
//!   per level, energy) of the three layouts.
//! - [`synthetic`]: seeded workloads and busy clusters sized by hosts and
//!   VMs, for scaling measurements.
//!
//! Nothing here reads or writes files; the sweep does.

pub mod bound;
pub mod classes;
pub mod cpu;
pub mod energy;
pub mod engine;
pub mod fit;
pub mod index;
pub mod model;
pub mod policy;
pub mod price;
pub mod schedule;
pub mod search;
pub mod shortage;
pub mod sizing;
pub mod synthetic;

#[cfg(test)]
mod index_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod shortage_tests;
#[cfg(test)]
pub(crate) mod testkit;

pub use engine::{run, run_with, Capacity, EngineOptions, Hosts, OnRefusal, RunOutcome};
pub use index::HostIndex;
pub use model::{CountingModel, HostModel, ModelKind, ModelOptions, VnodeModel};
pub use policy::{Choose, Policy, PolicyKind};
pub use schedule::{Event, EventOrder, Schedule};
pub use search::{min_hosts, SearchMethod, SearchResult};
pub use sizing::{size_workload, Sizing, SizingConfig};

/// Why a cluster experiment cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// A VM of the event list is malformed.
    #[error("VM `{vm}` (index {index}) is invalid: {message}")]
    InvalidVm {
        /// VM id.
        vm: String,
        /// Index in the event list.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// An event names a VM that does not exist, or the events are unsorted.
    #[error("event {index} is invalid: {message}")]
    InvalidEvent {
        /// Index in the event list.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// A VM does not fit even on an empty host: no host count works.
    #[error("VM `{vm}` ({vcpus} vCPUs, {mem_mb} MB, level {level}) does not fit on an empty host of model `{model}`")]
    VmTooLarge {
        /// VM id.
        vm: String,
        /// vCPUs.
        vcpus: u32,
        /// Effective memory (MB).
        mem_mb: u64,
        /// Level.
        level: crate::level::Level,
        /// Host model name.
        model: &'static str,
    },
    /// The counting model supports a bounded number of distinct levels.
    #[error("the event list has {count} distinct levels; at most {max} are supported")]
    TooManyLevels {
        /// Levels found.
        count: usize,
        /// Supported maximum.
        max: usize,
    },
    /// A name given on a command line or in a file is unknown.
    #[error("unknown {what} `{name}` (known: {known})")]
    UnknownName {
        /// Kind of name (policy, model, event order).
        what: &'static str,
        /// The name given.
        name: String,
        /// Accepted names.
        known: String,
    },
    /// A search did not find a host count below its ceiling.
    #[error("no host count up to {ceiling} places the workload with policy `{policy}`")]
    SearchExhausted {
        /// Largest count tried.
        ceiling: usize,
        /// Policy name.
        policy: &'static str,
    },
}
