//! `replay --cluster DIR`: one monitoring trace per host (`NAME.tsv` or
//! `NAME.tsv.gz`, optionally `NAME.topology.json` beside it), replayed in
//! parallel (rayon), each exactly as a single replay would into
//! `OUT/NAME/` ([`super::files`]); then `cluster-summary.json` and
//! `cluster.svg` over the hosts that replayed. A failing host is reported
//! with its error (file and line) and does not stop the others.

use super::files::{FolderError, FolderReplay};
use super::{first_pass, ReplayOptions, ReplayOutcome, TraceSource};
use crate::topology::{self, Topology};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One host of a cluster folder.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterHost {
    /// `NAME` of `NAME.tsv[.gz]`.
    pub name: String,
    /// Its trace.
    pub trace: PathBuf,
    /// `NAME.topology.json`, when present.
    pub topology: Option<PathBuf>,
}

/// Why a cluster folder cannot be replayed at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The folder cannot be listed.
    #[error("--cluster {path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// No `NAME.tsv` or `NAME.tsv.gz` in it.
    #[error("--cluster {0}: no trace (NAME.tsv or NAME.tsv.gz) in this folder")]
    Empty(PathBuf),
    /// Two traces for one host (`NAME.tsv` and `NAME.tsv.gz`).
    #[error("--cluster {dir}: host `{name}` has two traces (NAME.tsv and NAME.tsv.gz)")]
    Duplicate {
        /// The folder.
        dir: PathBuf,
        /// The host.
        name: String,
    },
    /// `--threads` could not build a thread pool.
    #[error("--threads: {0}")]
    Threads(String),
}

/// The hosts of `dir`, sorted by name.
pub fn discover(dir: &Path) -> Result<Vec<ClusterHost>, ClusterError> {
    let io = |source| ClusterError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut hosts: Vec<ClusterHost> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let file = entry
            .map_err(io)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(name) = file
            .strip_suffix(".tsv.gz")
            .or_else(|| file.strip_suffix(".tsv"))
        else {
            continue;
        };
        if name.is_empty() || name.starts_with('.') {
            continue;
        }
        if hosts.iter().any(|h| h.name == name) {
            return Err(ClusterError::Duplicate {
                dir: dir.to_path_buf(),
                name: name.to_string(),
            });
        }
        let topo = dir.join(format!("{name}.topology.json"));
        hosts.push(ClusterHost {
            name: name.to_string(),
            trace: dir.join(&file),
            topology: topo.is_file().then_some(topo),
        });
    }
    if hosts.is_empty() {
        return Err(ClusterError::Empty(dir.to_path_buf()));
    }
    hosts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(hosts)
}

/// What became of one host.
#[derive(Debug)]
pub struct HostResult {
    /// The host.
    pub host: ClusterHost,
    /// Its replay, or the error that stopped it (naming file and line).
    pub outcome: Result<ReplayOutcome, String>,
}

/// How to replay a cluster folder.
#[derive(Debug, Clone)]
pub struct ClusterReplay {
    /// Topology of the hosts without `NAME.topology.json`.
    pub topo: Arc<Topology>,
    /// Options of every host.
    pub opts: ReplayOptions,
    /// Output folder (`OUT/NAME/` per host).
    pub out: PathBuf,
    /// Worker threads (`None`: rayon's default, one per core).
    pub threads: Option<usize>,
    /// Write each host's `figure3.svg`.
    pub figures: bool,
}

impl ClusterReplay {
    /// Replays every host of `hosts` in parallel; results in `hosts` order.
    pub fn run(&self, hosts: &[ClusterHost]) -> Result<Vec<HostResult>, ClusterError> {
        let mut pool = rayon::ThreadPoolBuilder::new();
        if let Some(n) = self.threads {
            pool = pool.num_threads(n);
        }
        let pool = pool
            .build()
            .map_err(|e| ClusterError::Threads(e.to_string()))?;
        Ok(pool.install(|| {
            hosts
                .par_iter()
                .map(|h| HostResult {
                    host: h.clone(),
                    outcome: self.one(h).map_err(|e| format!("host {}: {e}", h.name)),
                })
                .collect()
        }))
    }

    /// The single replay of one host, as `replay --trace` would do it.
    pub fn folder(&self, h: &ClusterHost) -> Result<FolderReplay, FolderError> {
        let topo = match &h.topology {
            Some(path) => Arc::new(
                topology::load_json_file(path)
                    .map_err(|e| FolderError::Topology(format!("{}: {e}", path.display())))?,
            ),
            None => self.topo.clone(),
        };
        let mut inputs = vec![h.trace.clone()];
        inputs.extend(h.topology.clone());
        Ok(FolderReplay {
            topo,
            opts: self.opts,
            source: TraceSource::File(h.trace.clone()),
            out: self.out.join(&h.name),
            figure: self.figures,
            inputs,
        })
    }

    fn one(&self, h: &ClusterHost) -> Result<ReplayOutcome, FolderError> {
        let job = self.folder(h)?;
        job.check()?;
        let first = first_pass(&job.source)?;
        job.run(first, &mut |_, _| {})
    }
}
