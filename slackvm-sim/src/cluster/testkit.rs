//! Small hand-built workloads for the cluster tests.

use crate::workload::{Event, EventKind, EventList, VmSpec};

/// A VM spec.
pub(crate) fn vm(id: &str, vcpus: u32, mem_mb: u64, level: f64) -> VmSpec {
    VmSpec {
        id: id.into(),
        vcpus,
        mem_mb,
        level: crate::level::Level::new(level).expect("a valid level"),
        profile: None,
    }
}

/// An event list from `(vcpus, mem_mb, level, arrival, departure)`; a
/// departure of `None` means the VM stays. Events sorted by time, arrivals
/// and departures in VM order within a time.
pub(crate) fn list(vms: &[(u32, u64, f64, u64, Option<u64>)]) -> EventList {
    let mut events = Vec::new();
    for (i, &(_, _, _, a, d)) in vms.iter().enumerate() {
        events.push(Event {
            time_s: a,
            kind: EventKind::Arrival,
            vm: i,
        });
        if let Some(d) = d {
            events.push(Event {
                time_s: d,
                kind: EventKind::Departure,
                vm: i,
            });
        }
    }
    events.sort_by_key(|e| e.time_s);
    EventList {
        vms: vms
            .iter()
            .enumerate()
            .map(|(i, &(c, m, l, _, _))| vm(&format!("vm{i}"), c, m, l))
            .collect(),
        events,
    }
}
