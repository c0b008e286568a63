//! # slackvm-sim
//!
//! A deterministic simulator of SlackVM (Jacquet, Ledoux, Rouvoy, IEEE
//! CLUSTER 2024): hosts whose CPUs are split into one vNode per
//! oversubscription level.
//!
//! Map of the crate (data flows top to bottom):
//! - [`topology`]: CPUs, caches, NUMA, the distance rule; prototype JSON,
//!   Linux sysfs, generated presets.
//! - [`host`]: THE local scheduler (vNodes, capacity, core choice, memory,
//!   pinning, progress, status, quirk switches).
//! - [`scheduler`]: the trait every driver uses (replay, cluster, daemon).
//! - [`trace`]: the monitoring trace (streaming TSV, gzip), Python-style
//!   number formatting in [`pyfmt`].
//! - [`replay`]: trace in, host, trace out (+ summary).
//! - [`tracegen`]: seeded single-host monitoring trace generator.
//! - [`workload`]: VM catalogues, usage profiles, the seeded cluster
//!   workload generator, the event-list CSV and public trace readers.
//! - [`cluster`]: the cluster experiment (event loop, host models,
//!   placement policies, host-count search, dedicated baseline).
//! - [`sweep`]: the cluster-sizing grid (parallel, sharded, merged),
//!   its CSV outputs, statistics and figures.
//! - [`plot`]: SVG figures.
//! - [`rng`]: the seeded random stream (stable across crate versions).

pub mod cluster;
pub mod host;
pub mod plot;
pub mod pyfmt;
pub mod replay;
pub mod rng;
pub mod scheduler;
pub mod sweep;
pub mod topology;
pub mod trace;
pub mod tracegen;
pub mod workload;

pub use host::{Host, HostOptions, Quirks};
pub use scheduler::{
    DeployError, LocalScheduler, Placement, Removal, RemoveError, VmInfo, VmRequest,
};
pub use topology::Topology;
