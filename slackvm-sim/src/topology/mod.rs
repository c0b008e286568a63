//! Host topology: the CPUs a local scheduler may hand out, their SMT and
//! cache sharing, NUMA placement, and the distance rule of the published
//! prototype. Owns the model and its validation; file formats live in
//! `json.rs` (prototype format), Linux discovery in `sysfs.rs`, generated
//! reference machines in `presets.rs`. Nothing here knows about vNodes.

mod check;
mod json;
mod presets;
mod sysfs;

pub use check::{MAX_CACHE_LEVELS, MAX_CPUS, MAX_NUMA_DISTANCE};
pub use json::{load_json_file, parse_json, stale_distances, to_json_string, write_json_file};
pub use presets::{preset, preset_names, synthetic, Preset};
pub use sysfs::{read_linux, SysfsOptions};

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Errors raised while building, loading or reading a topology.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TopologyError {
    /// A file could not be read or written.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{path}: invalid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A field is missing or invalid.
    #[error("{path}: field `{field}`: {message}")]
    Field {
        /// The file (or the topology's name).
        path: PathBuf,
        /// The field, as a JSON path (`memset.allowed`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// No preset has this name: (name, known names).
    #[error("unknown topology preset `{0}` (known: {1})")]
    UnknownPreset(String, String),
}

/// One usable CPU (a hardware thread).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpu {
    /// Linux CPU id.
    pub id: u32,
    /// NUMA node id (the prototype stores the socket id here).
    pub numa_node: u32,
    /// SMT siblings (other hardware threads of the same core).
    pub smt_siblings: Vec<u32>,
    /// Other CPUs of the same package.
    pub package_siblings: Vec<u32>,
    /// Cache id per cache index (0 L1d, 1 L1i, 2 L2, 3 L3).
    pub cache_ids: Vec<i64>,
    /// Maximum frequency in kHz.
    pub max_freq_khz: u64,
}

/// A host: its usable CPUs (in tie-breaking order), NUMA distances and
/// memory. Distances are computed once, by CPU index.
#[derive(Debug, Clone)]
pub struct Topology {
    name: String,
    cpus: Vec<Cpu>,
    numa_distances: BTreeMap<u32, Vec<u32>>,
    host_cpu_count: u32,
    mem_total_mb: u64,
    mem_allowed_mb: u64,
    /// `distance[i * n + j]` between CPU indexes i and j.
    distance: Vec<u16>,
}

impl Topology {
    /// Builds a topology and checks it (`check.rs`): at most [`MAX_CPUS`]
    /// CPUs, unique ids, siblings that exist, the same cache levels on
    /// every CPU, a square NUMA matrix covering every node. `origin` names
    /// the source in errors (a file, a preset).
    pub fn new(
        origin: &str,
        cpus: Vec<Cpu>,
        numa_distances: BTreeMap<u32, Vec<u32>>,
        host_cpu_count: u32,
        mem_total_mb: u64,
        mem_allowed_mb: u64,
    ) -> Result<Self, TopologyError> {
        let checker = check::Checker { origin };
        checker.all(
            &cpus,
            &numa_distances,
            host_cpu_count,
            (mem_total_mb, mem_allowed_mb),
        )?;
        let mut topo = Topology {
            name: origin.to_string(),
            cpus,
            numa_distances,
            host_cpu_count,
            mem_total_mb,
            mem_allowed_mb,
            distance: Vec::new(),
        };
        topo.distance = topo.compute_distances();
        Ok(topo)
    }

    fn compute_distances(&self) -> Vec<u16> {
        let n = self.cpus.len();
        let mut d = vec![0u16; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    d[i * n + j] = self.rule_distance(&self.cpus[i], &self.cpus[j]);
                }
            }
        }
        d
    }

    /// The prototype's distance rule: `10 * (level + 1)` at the first cache
    /// level two CPUs share, else `10 * levels + numa_distance`.
    fn rule_distance(&self, a: &Cpu, b: &Cpu) -> u16 {
        for (level, (ca, cb)) in a.cache_ids.iter().zip(&b.cache_ids).enumerate() {
            if ca == cb {
                return 10 * (level as u16 + 1);
            }
        }
        let numa = self.numa_distances[&a.numa_node][b.numa_node as usize];
        10 * a.cache_ids.len() as u16 + numa as u16
    }

    /// Name of the source (file path or preset name).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Usable CPUs in tie-breaking order.
    pub fn cpus(&self) -> &[Cpu] {
        &self.cpus
    }
    /// Number of usable CPUs.
    pub fn cpu_count(&self) -> usize {
        self.cpus.len()
    }
    /// CPUs of the whole machine, excluded ones included (pinning mask length).
    pub fn host_cpu_count(&self) -> u32 {
        self.host_cpu_count
    }
    /// Total memory in MB.
    pub fn mem_total_mb(&self) -> u64 {
        self.mem_total_mb
    }
    /// Memory VMs may use, in MB.
    pub fn mem_allowed_mb(&self) -> u64 {
        self.mem_allowed_mb
    }
    /// NUMA distance matrix by node id.
    pub fn numa_distances(&self) -> &BTreeMap<u32, Vec<u32>> {
        &self.numa_distances
    }
    /// Distance between CPU indexes (positions in `cpus()`).
    #[inline]
    pub fn distance_idx(&self, i: usize, j: usize) -> u16 {
        self.distance[i * self.cpus.len() + j]
    }
    /// Row of distances from CPU index `i` to every CPU index.
    #[inline]
    pub fn distance_row(&self, i: usize) -> &[u16] {
        let n = self.cpus.len();
        &self.distance[i * n..(i + 1) * n]
    }
    /// Distance between two CPU ids, if both are usable.
    pub fn distance(&self, a: u32, b: u32) -> Option<u16> {
        Some(self.distance_idx(self.index_of(a)?, self.index_of(b)?))
    }
    /// Position of a CPU id in `cpus()`.
    pub fn index_of(&self, id: u32) -> Option<usize> {
        self.cpus.iter().position(|c| c.id == id)
    }
    /// A copy without the given CPU ids (for hosts that reserve CPUs).
    pub fn excluding(&self, excluded: &[u32]) -> Result<Topology, TopologyError> {
        let keep = |id: &u32| !excluded.contains(id);
        let cpus = self
            .cpus
            .iter()
            .filter(|c| keep(&c.id))
            .map(|c| Cpu {
                smt_siblings: c.smt_siblings.iter().copied().filter(keep).collect(),
                package_siblings: c.package_siblings.iter().copied().filter(keep).collect(),
                ..c.clone()
            })
            .collect();
        Topology::new(
            &self.name,
            cpus,
            self.numa_distances.clone(),
            self.host_cpu_count,
            self.mem_total_mb,
            self.mem_allowed_mb,
        )
    }
    /// Same topology under another display name.
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }
}

/// Parses a CPU list such as `0-11,128-139` into ids.
pub fn parse_cpu_list(text: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.trim().is_empty()) {
        let part = part.trim();
        match part.split_once('-') {
            Some((a, b)) => {
                let a: u32 = a
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad cpu id `{a}` in `{part}`"))?;
                let b: u32 = b
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad cpu id `{b}` in `{part}`"))?;
                if b < a {
                    return Err(format!("empty range `{part}`"));
                }
                out.extend(a..=b);
            }
            None => out.push(part.parse().map_err(|_| format!("bad cpu id `{part}`"))?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
