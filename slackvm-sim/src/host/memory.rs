//! The host's memory pool (docs/scheduler.md, "Memory"): one range
//! [0, size) MB for every level, grown by what a VM misses and shrunk by
//! what removals free, never beyond the host's usable memory. It exists
//! (and is reported) from the first accepted VM on.

use super::capacity::{missing_for, unused_after};

/// The memory pool and the VMs it serves, in deployment order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemPool {
    allowed_mb: u64,
    size_mb: u64,
    alloc_mb: u64,
    exists: bool,
    consumers: Vec<(String, u64)>,
}

impl MemPool {
    /// An empty pool for a host with `allowed_mb` usable.
    pub fn new(allowed_mb: u64) -> Self {
        MemPool {
            allowed_mb,
            size_mb: 0,
            alloc_mb: 0,
            exists: false,
            consumers: Vec::new(),
        }
    }
    /// MB held by the pool.
    pub fn size_mb(&self) -> u64 {
        self.size_mb
    }
    /// MB allocated to VMs.
    pub fn alloc_mb(&self) -> u64 {
        self.alloc_mb
    }
    /// Usable MB of the host.
    pub fn allowed_mb(&self) -> u64 {
        self.allowed_mb
    }
    /// MB not held by the pool.
    pub fn free_mb(&self) -> u64 {
        self.allowed_mb - self.size_mb
    }
    /// True once a VM has been accepted.
    pub fn exists(&self) -> bool {
        self.exists
    }
    /// Number of VMs.
    pub fn vm_count(&self) -> usize {
        self.consumers.len()
    }
    /// Names of its VMs in deployment order.
    pub fn vm_names(&self) -> impl Iterator<Item = &str> {
        self.consumers.iter().map(|(n, _)| n.as_str())
    }
    /// MB the pool must gain to host `mem_mb` more.
    pub fn missing_mb(&self, mem_mb: u64) -> u64 {
        missing_for(self.size_mb, self.alloc_mb, 1.0, mem_mb)
    }
    /// MB the pool could release now.
    pub fn unused_mb(&self) -> u64 {
        let max = self.consumers.iter().map(|(_, m)| *m).max().unwrap_or(0);
        unused_after(self.size_mb, self.alloc_mb, 1.0, max)
    }

    /// MB the pool would gain to host a VM of `mem_mb`, or the free MB
    /// when it cannot grow that much.
    pub(super) fn probe(&self, mem_mb: u64) -> Result<u64, u64> {
        let missing = self.missing_mb(mem_mb);
        if self.size_mb + missing > self.allowed_mb {
            return Err(self.free_mb());
        }
        Ok(missing)
    }

    /// Adds a VM that [`MemPool::probe`] accepted.
    pub(super) fn commit(&mut self, name: &str, mem_mb: u64) {
        let missing = self.missing_mb(mem_mb);
        debug_assert!(self.size_mb + missing <= self.allowed_mb);
        self.size_mb += missing;
        self.alloc_mb += mem_mb;
        self.exists = true;
        self.consumers.push((name.to_string(), mem_mb));
    }

    /// Removes a VM and shrinks.
    pub(super) fn remove(&mut self, name: &str) {
        if let Some(pos) = self.consumers.iter().position(|(n, _)| n == name) {
            let (_, mem) = self.consumers.remove(pos);
            self.alloc_mb -= mem;
            self.shrink();
        }
    }

    /// Releases the MB the pool could release now (as after a removal).
    pub(super) fn shrink(&mut self) {
        self.size_mb -= self.unused_mb();
    }

    pub(super) fn check(&self) -> Result<(), String> {
        if self.size_mb > self.allowed_mb {
            return Err(format!(
                "memory pool {} MB above usable {} MB",
                self.size_mb, self.allowed_mb
            ));
        }
        if self.alloc_mb > self.size_mb {
            return Err(format!(
                "memory allocated {} MB above pool {} MB",
                self.alloc_mb, self.size_mb
            ));
        }
        let sum: u64 = self.consumers.iter().map(|(_, m)| m).sum();
        if sum != self.alloc_mb {
            return Err("memory allocation drifted".into());
        }
        Ok(())
    }
}
