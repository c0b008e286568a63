//! # slackvm
//!
//! A Rust reimplementation of SlackVM (Jacquet, Ledoux, Rouvoy, IEEE
//! CLUSTER 2024): VMs of several CPU oversubscription levels (1:1, 2:1,
//! 3:1) on the same hosts, each level in its own vNode of cores.
//!
//! This root package holds the command-line tools (`replay`, `sweep`,
//! `datasets`), the end-to-end tests and the benchmarks. The code lives in
//! two libraries of the workspace:
//!
//! - `slackvm_sim`: the deterministic simulator (topology, THE local
//!   scheduler, monitoring trace, replay, workloads, cluster sizing, sweep
//!   and figures). Start with its crate documentation.
//! - `slackvm_live`: the local and global HTTP daemons driving the same
//!   local scheduler.
//!
//! This crate's own library is [`cli`]: what every binary shares (one
//! progress-bar style, quiet mode).
//!
//! `cargo doc --no-deps --open` documents the three crates of the workspace.

pub mod cli;
