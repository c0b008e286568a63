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
        let mut events = Vec::with_capacity(2 * n);
        for (vm, &(arrival_s, _)) in spans.iter().enumerate().take(n) {
            events.push(Event {
                time_s: arrival_s,
                kind: EventKind::Arrival,
                vm,
            });
        }
        for (vm, &(_, departure_s)) in spans.iter().enumerate().take(n) {
            if let Some(time_s) = departure_s {
                events.push(Event {
                    time_s,
                    kind: EventKind::Departure,
                    vm,
                });
            }
        }
        let mut vms = vms;
        vms.truncate(n);
        let mut list = EventList { vms, events };
        list.sort_stable();
        list
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
