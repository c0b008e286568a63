//! Reading the running Linux machine's topology from `/sys` and
//! `/proc/meminfo`, with CPUs excluded on request. The root directory is a
//! parameter so tests can point it at a fake tree.

use super::{parse_cpu_list, Cpu, Topology, TopologyError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to read and how.
#[derive(Debug, Clone)]
pub struct SysfsOptions {
    /// Root of the file system (`/` on a real machine).
    pub root: PathBuf,
    /// CPU ids reserved for the host.
    pub excluded: Vec<u32>,
    /// Prototype quirk 4: use the socket id as the NUMA node id.
    pub socket_as_numa: bool,
}

impl Default for SysfsOptions {
    fn default() -> Self {
        SysfsOptions {
            root: PathBuf::from("/"),
            excluded: Vec::new(),
            socket_as_numa: false,
        }
    }
}

fn read(path: &Path) -> Result<String, TopologyError> {
    std::fs::read_to_string(path).map_err(|source| TopologyError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn bad(path: &Path, field: &str, message: impl Into<String>) -> TopologyError {
    TopologyError::Field {
        path: path.to_path_buf(),
        field: field.to_string(),
        message: message.into(),
    }
}

fn read_list(path: &Path) -> Result<Vec<u32>, TopologyError> {
    parse_cpu_list(&read(path)?).map_err(|m| bad(path, "cpu list", m))
}

fn read_num(path: &Path) -> Result<i64, TopologyError> {
    let text = read(path)?;
    text.trim()
        .parse()
        .map_err(|_| bad(path, "value", format!("not an integer: `{}`", text.trim())))
}

/// Reads the machine's topology.
pub fn read_linux(opts: &SysfsOptions) -> Result<Topology, TopologyError> {
    let cpu_dir = opts.root.join("sys/devices/system/cpu");
    let online = read_list(&cpu_dir.join("online"))?;
    let host_count = online.iter().max().map_or(0, |m| m + 1);
    let node_of = read_nodes(&opts.root.join("sys/devices/system/node"))?;
    let mut cpus = Vec::new();
    for &id in &online {
        let dir = cpu_dir.join(format!("cpu{id}"));
        let topo_dir = dir.join("topology");
        let package = read_num(&topo_dir.join("physical_package_id"))? as u32;
        let smt: Vec<u32> = read_list(&topo_dir.join("thread_siblings_list"))?
            .into_iter()
            .filter(|&x| x != id)
            .collect();
        let pkg_path = if topo_dir.join("package_cpus_list").exists() {
            topo_dir.join("package_cpus_list")
        } else {
            topo_dir.join("core_siblings_list")
        };
        let pkg: Vec<u32> = read_list(&pkg_path)?
            .into_iter()
            .filter(|&x| x != id)
            .collect();
        let numa_node = if opts.socket_as_numa {
            package
        } else {
            node_of.1.get(&id).copied().unwrap_or(0)
        };
        let max_freq_khz = read_num(&dir.join("cpufreq/cpuinfo_max_freq")).map_or(0, |f| f as u64);
        cpus.push(Cpu {
            id,
            numa_node,
            smt_siblings: smt,
            package_siblings: pkg,
            cache_ids: read_caches(&dir.join("cache"), id, package)?,
            max_freq_khz,
        });
    }
    let mem_mb = read_meminfo_mb(&opts.root.join("proc/meminfo"))?;
    let origin = cpu_dir.display().to_string();
    let full = Topology::new(&origin, cpus, node_of.0, host_count, mem_mb, mem_mb)?;
    if opts.excluded.is_empty() {
        Ok(full)
    } else {
        full.excluding(&opts.excluded)
    }
}

/// Node distance matrix and CPU -> node map (one node when absent).
type Nodes = (BTreeMap<u32, Vec<u32>>, BTreeMap<u32, u32>);

fn read_nodes(node_dir: &Path) -> Result<Nodes, TopologyError> {
    let mut distances = BTreeMap::new();
    let mut cpu_node = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(node_dir) else {
        distances.insert(0, vec![10]);
        return Ok((distances, cpu_node));
    };
    let mut nodes: Vec<u32> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.strip_prefix("node")?.parse().ok())
        .collect();
    nodes.sort_unstable();
    for node in nodes {
        let dir = node_dir.join(format!("node{node}"));
        let dist_path = dir.join("distance");
        let row = read(&dist_path)?
            .split_whitespace()
            .map(|x| {
                x.parse::<u32>()
                    .map_err(|_| bad(&dist_path, "distance", format!("bad value `{x}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        distances.insert(node, row);
        for cpu in read_list(&dir.join("cpulist"))? {
            cpu_node.insert(cpu, node);
        }
    }
    if distances.is_empty() {
        distances.insert(0, vec![10]);
    }
    Ok((distances, cpu_node))
}

/// Cache ids for indexes 0..=3. A missing `id` file is replaced by the
/// smallest CPU sharing that cache; a missing index by the core (L1, L2)
/// or the package (L3), so every CPU has the same four levels.
fn read_caches(cache_dir: &Path, id: u32, package: u32) -> Result<Vec<i64>, TopologyError> {
    let mut ids = Vec::with_capacity(4);
    for index in 0..4 {
        let dir = cache_dir.join(format!("index{index}"));
        let value = if dir.join("id").exists() {
            read_num(&dir.join("id"))?
        } else if dir.join("shared_cpu_list").exists() {
            i64::from(
                read_list(&dir.join("shared_cpu_list"))?
                    .into_iter()
                    .min()
                    .unwrap_or(id),
            )
        } else if index < 3 {
            i64::from(id)
        } else {
            i64::from(package)
        };
        ids.push(value);
    }
    Ok(ids)
}

fn read_meminfo_mb(path: &Path) -> Result<u64, TopologyError> {
    let text = read(path)?;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("MemTotal:") {
            let kb: u64 = rest
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .map_err(|_| bad(path, "MemTotal", format!("cannot parse `{}`", rest.trim())))?;
            return Ok(kb / 1024);
        }
    }
    Err(bad(path, "MemTotal", "missing"))
}
