//! Offline replay (docs/scheduler.md, "Replaying a monitoring trace"):
//! a monitoring trace in, the local scheduler recomputing every vNode, a
//! trace out in the same format, plus a summary and the series figure 3
//! plots. Two streaming passes over the input (the first learns each VM's
//! shape and first/last sighting, the second replays timestamp by
//! timestamp), so memory stays flat in trace length.
//!
//! One concern per file:
//! - `driver.rs`: the input source, options, the second pass's loop
//!   ([`replay`], [`replay_learnt`]);
//! - `first_pass.rs`: what the first pass learns ([`first_pass`]);
//! - `step.rs`: one timestamp's input rows, grouped by vNode and VM;
//! - `replayer.rs`: the host and its arrivals and departures;
//! - `emit.rs`: the output rows of a timestamp (vNode columns from
//!   [`crate::trace::snapshot`]);
//! - `recompute.rs`: the default output rows, recomputed for this host
//!   (`emit.rs` copies the input's usage with `replay-copy-records`);
//! - `shortage.rs`: CPU shortage per level (demand above a vNode's CPUs);
//! - `summary.rs`: `summary.json` and figure 3's series;
//! - `error.rs`, `fxhash.rs` (the id maps' hash);
//! - [`files`] (feature `harness`): one replay's output folder;
//! - [`cluster`], [`cluster_summary`] (feature `harness`): `replay
//!   --cluster`, one trace per host replayed in parallel.
//!
//! Speed (see `benches/replay.rs`): no allocation per row. The second pass
//! groups a timestamp's rows by integer ids (the VM's index from the first
//! pass, interned vNode ids), arrivals and departures come from lists
//! sorted once, the vNode views (ids, JSON descriptions) are rebuilt only
//! after the host changed, and output rows are written from borrowed text.
//! Each pass parses only the columns it uses (the first checks `config`,
//! `vm_cmn`, `sb_oc`, `sb_unused`; the second `val`, `subset`; so a
//! malformed usage is reported by the second pass, with its line), and the
//! second reads ahead on another thread. [`first_pass`] needs no topology,
//! so a caller can load one meanwhile. Standard input (`-`) is copied to a
//! temporary file by the first pass for the second to read.

#[cfg(feature = "harness")]
pub mod cluster;
#[cfg(feature = "harness")]
pub mod cluster_summary;
#[cfg(test)]
mod crosscheck_tests;
mod driver;
mod emit;
mod error;
#[cfg(feature = "harness")]
pub mod files;
mod first_pass;
mod fxhash;
mod input;
#[cfg(test)]
mod quirk_tests;
mod recompute;
mod replayer;
mod shortage;
mod step;
mod summary;
#[cfg(test)]
mod testkit;
mod view;

pub use driver::{replay, replay_learnt};
pub use error::ReplayError;
pub use first_pass::{first_pass, FirstPass};
pub use input::{ReplayOptions, TraceSource};
pub use shortage::LevelShortage;
pub use summary::{Refusal, ReplayOutcome, ReplaySummary, SeriesPoint, VNodeSeries, VNodeSummary};
