//! Progress toward the host's ideal memory-per-core ratio
//! (local-scheduler.md, "Progress"): what the global scheduler maximises.

use super::{missing_for, Host};
use crate::level::Level;

/// Progress a VM of `vcpus`, `mem_mb` at `level` would bring to `host`.
pub fn progress(host: &Host, vcpus: u32, mem_mb: u64, level: Level) -> f64 {
    let usable_cpus = host.topology().cpu_count() as f64;
    let ideal = host.mem().allowed_mb() as f64 / usable_cpus;
    let cpu_used = host.held_cpus() as f64;
    let mem_used = host.mem().size_mb() as f64;
    let current = if cpu_used > 0.0 {
        mem_used / cpu_used
    } else {
        ideal
    };
    let cpus_added = match host.vnode_of_level(level) {
        Some(vi) => {
            let v = &host.vnodes()[vi];
            missing_for(v.cap(), v.alloc_vcpus(), level.get(), u64::from(vcpus))
        }
        None => u64::from(vcpus),
    } as f64;
    let mem_added = host.mem().missing_mb(mem_mb) as f64;
    let cpu_after = cpu_used + cpus_added;
    let potential = if cpu_after > 0.0 {
        (mem_used + mem_added) / cpu_after
    } else {
        ideal
    };
    let progress = (current - ideal).abs() - (potential - ideal).abs();
    if progress < 0.0 {
        progress * (1.0 + cpu_used / usable_cpus)
    } else {
        progress
    }
}
