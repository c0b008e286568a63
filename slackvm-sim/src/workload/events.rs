//! The event list: VMs (shape, level, optional usage profile) and their
//! arrivals and departures in integer seconds. This is the one input of the
//! cluster simulator; generators and trace readers only produce it.

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
    pub level: f64,
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
