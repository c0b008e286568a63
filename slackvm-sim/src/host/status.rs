//! A host's [`HostStatus`] (docs/scheduler.md, "Status"): free CPUs and
//! MB, and per vNode what it holds, has allocated and could still take.
//! The types and their one JSON form live in [`crate::scheduler`].

use super::Host;
use crate::level::Level;
use crate::scheduler::{HostStatus, ResourceStatus, VNodeStatus};

pub(super) fn status(host: &Host) -> HostStatus {
    let view = host.view();
    let free = view.free_cpus() as u64;
    let cpu = ResourceStatus {
        avail: free,
        subsets: view
            .vnodes()
            .map(|v| VNodeStatus {
                key: v.level().to_string(),
                level: v.level(),
                pcap: v.cap(),
                palloc: v.alloc_vcpus(),
                vavail: super::virtual_avail(v.cap(), v.alloc_vcpus(), v.level().get()),
                vpotential: free as f64 * v.level().get(),
            })
            .collect(),
    };
    let mem = view.mem();
    let mem_status = ResourceStatus {
        avail: mem.free_mb(),
        subsets: if mem.exists() {
            vec![VNodeStatus {
                key: "1".into(),
                level: Level::ONE,
                pcap: mem.size_mb(),
                palloc: mem.alloc_mb(),
                vavail: (mem.size_mb() - mem.alloc_mb()) as f64,
                vpotential: mem.free_mb() as f64,
            }]
        } else {
            Vec::new()
        },
    };
    HostStatus {
        cpu,
        mem: mem_status,
    }
}
