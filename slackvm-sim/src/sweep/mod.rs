//! The cluster-sizing sweep (docs/cluster.md): a grid of workloads
//! (catalogue x level distribution x initial VM count x seed), each sized
//! with every requested policy and host model, run in parallel, written as
//! `sizing.csv`, `summary.csv` and SVG figures.
//!
//! Map:
//! - [`grid`]: the grid, its canonical order and shards;
//! - [`host`]: the host shape (`--host-cpus`, `--host-mem-gb`, `--topology`);
//! - [`run`]: the parallel run (rayon) of a grid or a shard;
//! - [`columns`]: the columns of `sizing.csv`, defined once;
//! - [`rows`]: one `sizing.csv` row, written and read back;
//! - [`stats`]: mean, confidence and prediction intervals;
//! - [`summary`]: `summary.csv`, per cell over seeds;
//! - [`output`]: the output directory (write, merge shards);
//! - [`shard`]: `--shard auto` (Slurm arrays), `shard.json`, complete sets;
//! - [`trace`]: `sweep --trace`, the same search on a VM trace;
//! - [`paper`]: the published OVHcloud table and the comparison with ours;
//! - [`plots`]: the SVG figures; [`price_plot`]: the price-of-packing figure;
//! - [`scale`]: one timed run of a large workload (`sweep scale`);
//! - [`scaling`]: the scaling series and `scaling.svg` (`sweep scaling`);
//! - `analysis` (feature `analysis`): polars report and trace statistics.
//!
//! Determinism: every row depends only on its grid point; rows are sorted
//! in one canonical order before anything is written, and the summary and
//! figures are computed from the rows as written (parsed back), so a run
//! on any thread count, or shards merged, give the same bytes.

#[cfg(feature = "analysis")]
pub mod analysis;
pub mod columns;
pub mod grid;
pub mod host;
pub mod output;
pub mod paper;
mod plot_style;
pub mod plots;
pub mod price_plot;
pub mod rows;
pub mod run;
pub mod scale;
pub mod scaling;
pub mod shard;
pub mod stats;
pub mod summary;
pub mod trace;

pub use grid::{GridSpec, Shard, DISTRIBUTIONS};
pub use output::{merge_dirs, write_outputs, OutputFiles};
pub use rows::SizingRow;
pub use run::run_grid;
pub use summary::SummaryRow;

use std::path::PathBuf;

/// Why a sweep failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// An output could not be written, or would overwrite an input.
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A CSV file is malformed.
    #[error("{path}: line {line}: {message}")]
    Csv {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A parameter of the grid is invalid.
    #[error("parameter `{param}`: {message}")]
    Param {
        /// Parameter name (as on the command line).
        param: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The workload of a grid point could not be generated.
    #[error("workload {catalogue} {oc1}/{oc2}/{oc3} {vms} VMs seed {seed}: {message}")]
    Workload {
        /// Catalogue.
        catalogue: String,
        /// Shares.
        oc1: u32,
        /// Shares.
        oc2: u32,
        /// Shares.
        oc3: u32,
        /// Initial VMs.
        vms: usize,
        /// Seed.
        seed: u64,
        /// Cause.
        message: String,
    },
    /// A sizing failed.
    #[error("sizing {what}: {source}")]
    Cluster {
        /// Which grid point.
        what: String,
        /// Cause.
        #[source]
        source: crate::cluster::ClusterError,
    },
    /// Two inputs hold the same row.
    #[error("{path}: line {line}: row already read from another file ({key})")]
    Duplicate {
        /// File.
        path: PathBuf,
        /// Line.
        line: usize,
        /// Row key.
        key: String,
    },
    /// The polars analysis failed (feature `analysis`).
    #[error("analysis of {path}: {message}")]
    Analysis {
        /// Input or output concerned.
        path: PathBuf,
        /// Cause.
        message: String,
    },
    /// A level rule cannot be read or applied.
    #[error(transparent)]
    Rule(#[from] crate::workload::RuleError),
    /// A figure could not be drawn.
    #[error("figure {path}: {message}")]
    Plot {
        /// File.
        path: PathBuf,
        /// Cause.
        message: String,
    },
}

impl SweepError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SweepError::Io {
            path: path.into(),
            source,
        }
    }
}
