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
//! - [`level`]: the validated oversubscription level used for every
//!   level key (`1.0`, `subset-2.0`).
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
//! - [`output`]: every output file (refuses an input as output; temporary
//!   file renamed on success).
//!
//! [`plot`], [`sweep`], the event-list CSV and the public trace readers
//! belong to the experiment harness, the default cargo feature `harness`
//! (rayon, plotters, csv). A program that needs only the scheduler core
//! and the monitoring trace (like `slackvm-live`) depends on this crate
//! with `default-features = false`.
//!
//! # Quick tour
//!
//! Place VMs on one host with the local scheduler (the same code the
//! replay, the cluster model and the live daemon drive):
//!
//! ```
//! use slackvm_sim::{topology, Host, HostOptions, Level, VmRequest};
//! use std::sync::Arc;
//!
//! let topo = Arc::new(topology::preset("host-32")?); // 32 CPUs, 128 GB
//! let mut host = Host::new(topo, HostOptions::default());
//! // A 4-vCPU VM at level 2:1: its vNode gets at least 4 CPUs (a VM never
//! // has more vCPUs than its vNode has CPUs), room for 8 vCPUs at 2:1.
//! let placed = host.deploy(&VmRequest::new("vm-1", 4, 8192, Level::new(2.0)?))?;
//! assert_eq!(placed.vnode_cpus.len(), 4);
//! assert_eq!(host.list(), ["vm-1"]);
//! host.remove("vm-1")?;
//! assert_eq!(host.held_cpus(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Generate a monitoring trace, then replay it (more in
//! `examples/replay_from_code.rs`):
//!
//! ```
//! use slackvm_sim::replay::{replay, ReplayOptions, TraceSource};
//! use slackvm_sim::trace::TraceWriter;
//! use slackvm_sim::tracegen::{generate, TraceGenConfig};
//! use slackvm_sim::topology;
//! use std::sync::Arc;
//!
//! let dir = std::env::temp_dir().join(format!("slackvm-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("trace.tsv");
//! let topo = Arc::new(topology::preset("laptop-8")?);
//! let cfg = TraceGenConfig { duration_s: 600, ..TraceGenConfig::default() };
//! let mut writer = TraceWriter::create(&path)?;
//! generate(topo.clone(), &cfg, &mut writer)?;
//! writer.finish()?;
//!
//! let source = TraceSource::File(path);
//! let outcome = replay(topo, ReplayOptions::default(), &source, None, &mut |_, _| {})?;
//! assert!(outcome.summary.rows_in > 0);
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Size a cluster for a generated workload: SlackVM's shared cluster
//! against one dedicated cluster per level (more in
//! `examples/size_a_cluster.rs`):
//!
//! ```
//! use slackvm_sim::cluster::{size_workload, SizingConfig};
//! use slackvm_sim::workload::{generate, Catalogue, GeneratorConfig};
//! use slackvm_sim::topology;
//! use std::sync::Arc;
//!
//! let cfg = GeneratorConfig::builder(Catalogue::ovhcloud2023())
//!     .initial_vms(100)
//!     .seed(1)
//!     .build()?;
//! let workload = generate(&cfg);
//! let sizing = size_workload(&workload, &SizingConfig::paper(Arc::new(topology::preset("host-32")?)))?;
//! assert!(sizing.hosts_slackvm <= sizing.hosts_dedicated);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cluster;
pub mod host;
pub mod level;
pub mod output;
#[cfg(feature = "harness")]
pub mod plot;
pub mod pyfmt;
pub mod replay;
pub mod rng;
pub mod scheduler;
#[cfg(feature = "harness")]
pub mod sweep;
pub mod topology;
pub mod trace;
pub mod tracegen;
pub mod workload;

pub use host::{Host, HostOptions, Quirks};
pub use level::{Level, LevelError};
pub use scheduler::{DeployError, Placement, Removal, RemoveError, VmInfo, VmRequest};
pub use topology::Topology;
