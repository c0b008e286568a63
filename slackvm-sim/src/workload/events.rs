//! The event list: VMs (shape, level, optional usage profile) and their
//! arrivals and departures in integer seconds. This is the one input of the
//! cluster simulator; generators and trace readers only produce it.

use crate::level::Level;
/// One VM of a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct VmSpec {
    /// Identifier, unique in the list (also the VM name on hosts).
    pub id: String,
    /// vCPUs.
    pub vcpus: u32,
    /// Memory in MB.
    pub mem_mb: u64,
    /// CPU oversubscription level (1.0, 2.0, 3.0, ...).
    pub level: Level,
    /// Usage profile name, when known.
    pub profile: Option<String>,
}

/// Arrival or departure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// The VM asks to be placed.
    Arrival,
    /// The VM leaves and frees its resources.
    Departure,
}

/// One event: at `time_s`, VM number `vm` (index into [`EventList::vms`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Seconds since the start of the run.
    pub time_s: u64,
    /// What happens.
    pub kind: EventKind,
    /// Index of the VM in [`EventList::vms`].
    pub vm: usize,
}

/// A workload: its VMs and its events, sorted by time (stable within a time
/// in the order they were produced).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventList {
    /// Every VM.
    pub vms: Vec<VmSpec>,
    /// Every event, by non-decreasing time.
    pub events: Vec<Event>,
}

impl EventList {
    /// Builds a list from VMs and their spans `(arrival_s, departure_s)`
    /// (`None`: alive until the end of the run, no departure event). The
    /// canonical order of every list this module produces: by time; at one
    /// time, arrivals (in VM order) before departures (in VM order).
    /// Extra VMs or spans beyond the shorter of the two are ignored.
    pub fn from_spans(vms: Vec<VmSpec>, spans: &[(u64, Option<u64>)]) -> Self {
        let n = vms.len().min(spans.len());
        let spans = &spans[..n];
        let mut vms = vms;
        vms.truncate(n);
        let events = if spans.is_sorted_by_key(|s| s.0) {
            merged_events(spans)
        } else {
            let mut list = EventList {
                vms: Vec::new(),
                events: Vec::with_capacity(2 * n),
            };
            for (vm, &(time_s, _)) in spans.iter().enumerate() {
                list.events.push(Event {
                    time_s,
                    kind: EventKind::Arrival,
                    vm,
                });
            }
            for (vm, &(_, departure_s)) in spans.iter().enumerate() {
                if let Some(time_s) = departure_s {
                    list.events.push(Event {
                        time_s,
                        kind: EventKind::Departure,
                        vm,
                    });
                }
            }
            list.sort_stable();
            list.events
        };
        EventList { vms, events }
    }

    /// Sorts the events by time, keeping the current order within a time.
    pub fn sort_stable(&mut self) {
        self.events.sort_by_key(|e| e.time_s);
    }

    /// Time of the last event (0 when there is none).
    pub fn end_time_s(&self) -> u64 {
        self.events.iter().map(|e| e.time_s).max().unwrap_or(0)
    }
}

/// The canonical events of spans whose arrivals are in time order: the
/// departures sorted by (time, VM), merged after the arrivals of each time
/// (what the stable sort of arrivals then departures gives, in one pass).
fn merged_events(spans: &[(u64, Option<u64>)]) -> Vec<Event> {
    let mut departures: Vec<(u64, usize)> = spans
        .iter()
        .enumerate()
        .filter_map(|(vm, s)| s.1.map(|t| (t, vm)))
        .collect();
    departures.sort_unstable();
    let mut events = Vec::with_capacity(spans.len() + departures.len());
    let mut next = departures.iter().peekable();
    for (vm, &(time_s, _)) in spans.iter().enumerate() {
        while let Some(&&(t, d)) = next.peek() {
            if t >= time_s {
                break;
            }
            events.push(Event {
                time_s: t,
                kind: EventKind::Departure,
                vm: d,
            });
            next.next();
        }
        events.push(Event {
            time_s,
            kind: EventKind::Arrival,
            vm,
        });
    }
    events.extend(next.map(|&(time_s, vm)| Event {
        time_s,
        kind: EventKind::Departure,
        vm,
    }));
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vm(i: usize) -> VmSpec {
        VmSpec {
            id: format!("v{i}"),
            vcpus: 1,
            mem_mb: 1,
            level: crate::level::Level::ONE,
            profile: None,
        }
    }

    proptest! {
        /// The merge gives what the stable sort of arrivals then
        /// departures gives.
        #[test]
        fn merged_events_equal_the_stable_sort(raw in proptest::collection::vec((0u64..20, proptest::option::of(0u64..20)), 0..40)) {
            let mut spans: Vec<(u64, Option<u64>)> = raw.iter().map(|&(a, d)| (a, d.map(|d| a + d))).collect();
            spans.sort_by_key(|s| s.0);
            let mut sorted = EventList::default();
            for (vm, s) in spans.iter().enumerate() {
                sorted.events.push(Event { time_s: s.0, kind: EventKind::Arrival, vm });
            }
            for (vm, s) in spans.iter().enumerate() {
                if let Some(t) = s.1 {
                    sorted.events.push(Event { time_s: t, kind: EventKind::Departure, vm });
                }
            }
            sorted.sort_stable();
            let list = EventList::from_spans((0..spans.len()).map(vm).collect(), &spans);
            prop_assert_eq!(list.events, sorted.events);
        }
    }
}
