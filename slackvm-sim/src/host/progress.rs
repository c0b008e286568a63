//! Progress toward the host's ideal memory-per-core ratio
//! (docs/scheduler.md, "Progress"): what the global scheduler maximises.
//! THE formula ([`progress_formula`]) is shared by this host and the
//! cluster's counting model, which differ only in how they count usage.

use super::Host;
use crate::level::Level;

/// CPUs and MB a host holds (in use) or can hold (capacity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Physical CPUs.
    pub cpus: u64,
    /// MB.
    pub mem_mb: u64,
}

/// Progress toward the ideal memory-per-core ratio, from the host's CPUs
/// and MB in use now (`before`) and with the VM (`after`).
pub fn progress_formula(capacity: Usage, before: Usage, after: Usage) -> f64 {
    let usable = capacity.cpus as f64;
    let ideal = capacity.mem_mb as f64 / usable;
    let cpu_used = before.cpus as f64;
    let current = if before.cpus > 0 {
        before.mem_mb as f64 / cpu_used
    } else {
        ideal
    };
    let potential = if after.cpus > 0 {
        after.mem_mb as f64 / after.cpus as f64
    } else {
        ideal
    };
    let progress = (current - ideal).abs() - (potential - ideal).abs();
    if progress < 0.0 {
        progress * (1.0 + cpu_used / usable)
    } else {
        progress
    }
}

/// Progress a VM of `vcpus`, `mem_mb` at `level` would bring to `host`
/// (whether or not it fits): its vNode's CPU growth and the pool's.
pub fn progress(host: &Host, vcpus: u32, mem_mb: u64, level: Level) -> f64 {
    let capacity = Usage {
        cpus: host.topology().cpu_count() as u64,
        mem_mb: host.mem().allowed_mb(),
    };
    let before = Usage {
        cpus: host.held_cpus() as u64,
        mem_mb: host.mem().size_mb(),
    };
    let (_, cpus_added) = host.cpu_growth(level, vcpus);
    let after = Usage {
        cpus: before.cpus + cpus_added,
        mem_mb: before.mem_mb + host.mem().missing_mb(mem_mb),
    };
    progress_formula(capacity, before, after)
}
