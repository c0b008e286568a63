//! Validation of a topology before it is built ([`super::Topology::new`]):
//! size limits, unique ids, siblings that exist, the same cache levels on
//! every CPU, a square NUMA matrix covering every node, memory. Each check
//! names the offending field; none panics, whatever the input.

use super::{Cpu, TopologyError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Most usable CPUs a topology may hold: the CPU distance matrix has one
/// `u16` per pair (16,384 CPUs: 512 MiB), and the local scheduler keeps
/// per-CPU `u16` owners and `u32` distance sums.
pub const MAX_CPUS: usize = 16_384;
/// Largest NUMA distance accepted (Linux reports 10..=254).
pub const MAX_NUMA_DISTANCE: u32 = 10_000;
/// Most cache levels a CPU may list.
pub const MAX_CACHE_LEVELS: usize = 16;

/// What the checks need to name the source in their errors.
pub(super) struct Checker<'a> {
    pub origin: &'a str,
}

type Check = Result<(), TopologyError>;

impl Checker<'_> {
    fn err(&self, field: String, message: String) -> TopologyError {
        TopologyError::Field {
            path: PathBuf::from(self.origin),
            field,
            message,
        }
    }

    /// Every check, in order; the first failure is returned.
    pub fn all(
        &self,
        cpus: &[Cpu],
        numa: &BTreeMap<u32, Vec<u32>>,
        host_cpu_count: u32,
        mem_mb: (u64, u64),
    ) -> Check {
        self.size(cpus)?;
        self.unique_ids(cpus)?;
        self.cache_levels_and_ids(cpus, host_cpu_count)?;
        self.siblings(cpus, host_cpu_count)?;
        self.numa(cpus, numa)?;
        self.memory(mem_mb.0, mem_mb.1)
    }

    fn size(&self, cpus: &[Cpu]) -> Check {
        if cpus.is_empty() {
            return Err(self.err("cpuset.cpu_list".into(), "no usable CPU".into()));
        }
        if cpus.len() > MAX_CPUS {
            return Err(self.err(
                "cpuset.cpu_list".into(),
                format!(
                    "{} usable CPUs: at most {MAX_CPUS} are supported",
                    cpus.len()
                ),
            ));
        }
        Ok(())
    }

    fn unique_ids(&self, cpus: &[Cpu]) -> Check {
        let mut seen = BTreeSet::new();
        for (i, cpu) in cpus.iter().enumerate() {
            if !seen.insert(cpu.id) {
                return Err(self.err(
                    format!("cpuset.cpu_list[{i}].cpu_id"),
                    format!("duplicate cpu id {}", cpu.id),
                ));
            }
        }
        Ok(())
    }

    fn cache_levels_and_ids(&self, cpus: &[Cpu], host_cpu_count: u32) -> Check {
        let levels = cpus[0].cache_ids.len();
        if levels > MAX_CACHE_LEVELS {
            return Err(self.err(
                "cpuset.cpu_list[0].cache_level".into(),
                format!("{levels} cache levels: at most {MAX_CACHE_LEVELS} are supported"),
            ));
        }
        for (i, cpu) in cpus.iter().enumerate() {
            if cpu.cache_ids.len() != levels {
                return Err(self.err(
                    format!("cpuset.cpu_list[{i}].cache_level"),
                    format!(
                        "cpu {} has {} cache levels, cpu {} has {levels} (missing cache level)",
                        cpu.id,
                        cpu.cache_ids.len(),
                        cpus[0].id
                    ),
                ));
            }
            if cpu.id >= host_cpu_count {
                return Err(self.err(
                    "cpuset.host_count".into(),
                    format!("cpu id {} is not below host_count {host_cpu_count}", cpu.id),
                ));
            }
        }
        Ok(())
    }

    /// Sibling ids may name excluded CPUs (host_count covers them) but not
    /// CPUs beyond the machine.
    fn siblings(&self, cpus: &[Cpu], host_cpu_count: u32) -> Check {
        for (i, cpu) in cpus.iter().enumerate() {
            for sib in cpu.smt_siblings.iter().chain(cpu.package_siblings.iter()) {
                if *sib >= host_cpu_count {
                    return Err(self.err(
                        format!("cpuset.cpu_list[{i}].sib_smt/sib_cpu"),
                        format!("unknown sibling id {sib} of cpu {}", cpu.id),
                    ));
                }
            }
        }
        Ok(())
    }

    fn numa(&self, cpus: &[Cpu], numa: &BTreeMap<u32, Vec<u32>>) -> Check {
        let nodes = numa.len();
        for (node, row) in numa {
            if row.len() != nodes {
                return Err(self.err(
                    format!("cpuset.numa_distances.{node}"),
                    format!(
                        "non-square distance matrix: row has {} entries for {nodes} nodes",
                        row.len()
                    ),
                ));
            }
            if let Some(d) = row.iter().find(|&&d| d > MAX_NUMA_DISTANCE) {
                return Err(self.err(
                    format!("cpuset.numa_distances.{node}"),
                    format!("distance {d} is above the largest supported, {MAX_NUMA_DISTANCE}"),
                ));
            }
        }
        for (i, cpu) in cpus.iter().enumerate() {
            if !numa.contains_key(&cpu.numa_node) || cpu.numa_node as usize >= nodes {
                return Err(self.err(
                    format!("cpuset.cpu_list[{i}].numa_node"),
                    format!(
                        "cpu {} is on node {} which numa_distances does not describe",
                        cpu.id, cpu.numa_node
                    ),
                ));
            }
        }
        Ok(())
    }

    fn memory(&self, total_mb: u64, allowed_mb: u64) -> Check {
        if allowed_mb > total_mb {
            return Err(self.err(
                "memset.allowed".into(),
                format!("allowed {allowed_mb} MB exceeds total {total_mb} MB"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{Host, HostOptions};
    use crate::topology::Topology;
    use std::sync::Arc;

    fn cpus(n: u32) -> Vec<Cpu> {
        (0..n)
            .map(|id| Cpu {
                id,
                numa_node: 0,
                smt_siblings: Vec::new(),
                package_siblings: Vec::new(),
                cache_ids: vec![i64::from(id), 0],
                max_freq_khz: 1_000_000,
            })
            .collect()
    }

    fn build(n: u32, numa: Vec<u32>) -> Result<Topology, TopologyError> {
        let numa = [(0, numa)].into_iter().collect();
        Topology::new("big.json", cpus(n), numa, n, 1 << 20, 1 << 20)
    }

    #[test]
    fn a_topology_of_65535_cpus_is_refused_naming_the_limit() {
        for n in [65_535, 70_000, MAX_CPUS as u32 + 1] {
            let e = build(n, vec![10]).unwrap_err().to_string();
            assert!(
                e.starts_with("big.json: field `cpuset.cpu_list`:")
                    && e.contains(&format!("{n} usable CPUs"))
                    && e.contains("at most 16384"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_large_accepted_topology_makes_a_host() {
        // A large accepted topology makes a host (no assert on the way).
        let topo = build(2_048, vec![10]).unwrap();
        let host = Host::new(Arc::new(topo), HostOptions::default());
        assert_eq!(host.free_cpus(), 2_048);
    }

    #[test]
    fn distances_that_would_overflow_are_refused() {
        let e = build(2, vec![MAX_NUMA_DISTANCE + 1])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cpuset.numa_distances.0") && e.contains("10000"),
            "{e}"
        );
        let mut deep = cpus(1);
        deep[0].cache_ids = vec![0; MAX_CACHE_LEVELS + 1];
        let numa = [(0, vec![10])].into_iter().collect();
        let e = Topology::new("deep.json", deep, numa, 1, 1, 1).unwrap_err();
        assert!(e.to_string().contains("at most 16 are supported"), "{e}");
    }
}
