//! One vNode: the CPUs dedicated to one oversubscription level, in the
//! order they were taken, and the VMs it serves.

use super::capacity::unused_after;
use crate::level::Level;

/// A VM as its vNode sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Consumer {
    pub name: String,
    pub vcpus: u32,
}

/// A set of CPUs dedicated to one level, plus its VMs.
#[derive(Debug, Clone, PartialEq)]
pub struct VNode {
    pub(super) level: Level,
    /// CPU indexes in the order they were added (released LIFO).
    pub(super) cpus: Vec<usize>,
    pub(super) consumers: Vec<Consumer>,
    pub(super) alloc_vcpus: u64,
    /// `dist_sum[c]` = sum of distances from CPU index c to this vNode's CPUs.
    pub(super) dist_sum: Vec<u32>,
}

impl VNode {
    pub(super) fn new(level: Level, n: usize) -> Self {
        VNode {
            level,
            cpus: Vec::new(),
            consumers: Vec::new(),
            alloc_vcpus: 0,
            dist_sum: vec![0; n],
        }
    }
    /// Oversubscription level.
    pub fn level(&self) -> Level {
        self.level
    }
    /// CPUs held.
    pub fn cap(&self) -> u64 {
        self.cpus.len() as u64
    }
    /// vCPUs allocated.
    pub fn alloc_vcpus(&self) -> u64 {
        self.alloc_vcpus
    }
    /// Number of VMs.
    pub fn vm_count(&self) -> usize {
        self.consumers.len()
    }
    /// Names of its VMs, in deployment order.
    pub fn vm_names(&self) -> impl Iterator<Item = &str> {
        self.consumers.iter().map(|c| c.name.as_str())
    }
    /// CPU indexes held, in the order they were added.
    pub fn cpu_indexes(&self) -> &[usize] {
        &self.cpus
    }
    /// Largest vCPU count among its VMs.
    pub fn max_vcpus(&self) -> u64 {
        self.consumers
            .iter()
            .map(|c| u64::from(c.vcpus))
            .max()
            .unwrap_or(0)
    }
    /// CPUs it could release now.
    pub fn unused(&self) -> u64 {
        unused_after(
            self.cap(),
            self.alloc_vcpus,
            self.level.get(),
            self.max_vcpus(),
        )
    }
}
