//! The event list prepared once for many runs: VMs in a compact form (level
//! index, effective memory) and the events in processing order. Building it
//! validates the list; runs then never allocate per event.
//!
//! Order of simultaneous events: the published simulation frees departing
//! VMs a few seconds after a slice boundary, so arrivals at a time are
//! placed before the departures of that time ([`EventOrder::ArrivalsFirst`],
//! the default). [`EventOrder::DeparturesFirst`] is the easier variant.
//! Within one kind, events keep their order in the list.

use std::sync::Arc;

use super::ClusterError;
use crate::level::Level;
use crate::workload::{EventKind, EventList};

/// Largest number of distinct levels in one schedule.
pub const MAX_LEVELS: usize = 8;

/// Memory (MB) at or above which the published code counts an
/// oversubscribed VM as [`MEM_CAP_TO_MB`] (its literal threshold is 8129).
pub const MEM_CAP_FROM_MB: u64 = 8129;
/// What a capped VM's memory counts for.
pub const MEM_CAP_TO_MB: u64 = 8192;

/// Order of events that share a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventOrder {
    /// Arrivals placed before departures free anything (published order).
    ArrivalsFirst,
    /// Departures free resources before arrivals are placed.
    DeparturesFirst,
}

impl EventOrder {
    /// Name used in options and outputs.
    pub fn name(self) -> &'static str {
        match self {
            EventOrder::ArrivalsFirst => "arrivals-first",
            EventOrder::DeparturesFirst => "departures-first",
        }
    }
    /// Parses a name given by [`EventOrder::name`].
    pub fn parse(name: &str) -> Result<Self, ClusterError> {
        match name {
            "arrivals-first" => Ok(EventOrder::ArrivalsFirst),
            "departures-first" => Ok(EventOrder::DeparturesFirst),
            _ => Err(ClusterError::UnknownName {
                what: "event order",
                name: name.to_string(),
                known: "arrivals-first, departures-first".into(),
            }),
        }
    }
}

/// Effective memory of a VM: capped to 8192 MB when it is oversubscribed
/// and holds 8129 MB or more, if `mem_cap` is on.
pub fn effective_mem_mb(mem_mb: u64, level: Level, mem_cap: bool) -> u64 {
    if mem_cap && level > Level::ONE && mem_mb >= MEM_CAP_FROM_MB {
        MEM_CAP_TO_MB
    } else {
        mem_mb
    }
}

/// One VM as the cluster sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterVm {
    /// vCPUs.
    pub vcpus: u32,
    /// Memory counted on hosts (after the cap, if on).
    pub mem_mb: u64,
    /// Memory requested in the event list.
    pub mem_requested_mb: u64,
    /// Level.
    pub level: Level,
    /// Index of the level in [`Schedule::levels`].
    pub level_idx: u8,
}

/// One event in processing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// VM `vm` (index in [`Schedule::vms`]) asks to be placed at `time_s`.
    Arrival {
        /// Seconds.
        time_s: u64,
        /// VM index.
        vm: u32,
    },
    /// VM `vm` leaves at `time_s`.
    Departure {
        /// Seconds.
        time_s: u64,
        /// VM index.
        vm: u32,
    },
}

impl Event {
    /// When it happens (s).
    #[inline]
    pub fn time_s(self) -> u64 {
        match self {
            Event::Arrival { time_s, .. } | Event::Departure { time_s, .. } => time_s,
        }
    }
    /// The VM's index in [`Schedule::vms`].
    #[inline]
    pub fn vm(self) -> usize {
        match self {
            Event::Arrival { vm, .. } | Event::Departure { vm, .. } => vm as usize,
        }
    }
    /// True for an arrival.
    #[inline]
    pub fn is_arrival(self) -> bool {
        matches!(self, Event::Arrival { .. })
    }
}

/// A validated event list in processing order.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// VMs (same indexes as the event list).
    pub vms: Vec<ClusterVm>,
    /// VM ids (shared: the schedules of one list, per level, share them).
    pub ids: Arc<[String]>,
    /// Distinct levels, increasing.
    pub levels: Vec<Level>,
    /// Events in processing order.
    pub events: Vec<Event>,
    /// Order used for simultaneous events.
    pub order: EventOrder,
    /// Whether the memory cap was applied.
    pub mem_cap: bool,
    /// End of the measurement window (time of the last event of the whole
    /// list, kept by [`Schedule::only_level`]).
    pub horizon_s: u64,
}

/// The distinct levels of a list, increasing, after checking every VM.
fn levels_of(list: &EventList) -> Result<Vec<Level>, ClusterError> {
    let mut levels: Vec<Level> = Vec::new();
    for (index, vm) in list.vms.iter().enumerate() {
        let bad = |message: String| ClusterError::InvalidVm {
            vm: vm.id.clone(),
            index,
            message,
        };
        if vm.vcpus == 0 {
            return Err(bad("vcpus must be at least 1".into()));
        }
        let level = vm.level;
        if vm.id.is_empty() {
            return Err(bad("empty id".into()));
        }
        if !levels.contains(&level) {
            levels.push(level);
        }
    }
    if levels.len() > MAX_LEVELS {
        return Err(ClusterError::TooManyLevels {
            count: levels.len(),
            max: MAX_LEVELS,
        });
    }
    levels.sort();
    Ok(levels)
}

/// Checks that events name known VMs, come in time order, and that each
/// VM arrives at most once and departs only after arriving; returns the
/// time of the last event.
fn check_events(list: &EventList) -> Result<u64, ClusterError> {
    let mut arrived = vec![0u8; list.vms.len()];
    let mut last_time = 0;
    for (index, e) in list.events.iter().enumerate() {
        let bad = |message: String| ClusterError::InvalidEvent { index, message };
        if e.vm >= list.vms.len() {
            return Err(bad(format!(
                "VM index {} out of {} VMs",
                e.vm,
                list.vms.len()
            )));
        }
        if e.time_s < last_time {
            return Err(bad(format!(
                "time {} s before the previous event's {} s",
                e.time_s, last_time
            )));
        }
        last_time = e.time_s;
        let state = &mut arrived[e.vm];
        match (e.kind, *state) {
            (EventKind::Arrival, 0) => *state = 1,
            (EventKind::Departure, 1) => *state = 2,
            (EventKind::Arrival, _) => {
                return Err(bad(format!("VM `{}` arrives twice", list.vms[e.vm].id)))
            }
            (EventKind::Departure, _) => {
                return Err(bad(format!(
                    "VM `{}` departs without being present",
                    list.vms[e.vm].id
                )))
            }
        }
    }
    Ok(last_time)
}

/// The events of a (checked) list in processing order: by time, then
/// arrivals or departures first as `order` says, then list order.
fn ordered_events(list: &EventList, order: EventOrder) -> Vec<Event> {
    let rank = |e: &Event| match (order, e.is_arrival()) {
        (EventOrder::ArrivalsFirst, true) | (EventOrder::DeparturesFirst, false) => 0u8,
        _ => 1u8,
    };
    let mut events: Vec<Event> = list
        .events
        .iter()
        .map(|e| {
            let (time_s, vm) = (e.time_s, e.vm as u32);
            match e.kind {
                EventKind::Arrival => Event::Arrival { time_s, vm },
                EventKind::Departure => Event::Departure { time_s, vm },
            }
        })
        .collect();
    // Stable: keeps the list's order within (time, kind). The readers and
    // the generator write arrivals first at one time: then nothing moves.
    if !events.is_sorted_by_key(|e| (e.time_s(), rank(e))) {
        events.sort_by_key(|e| (e.time_s(), rank(e)));
    }
    events
}

impl Schedule {
    /// Validates and orders an event list.
    pub fn new(list: &EventList, order: EventOrder, mem_cap: bool) -> Result<Self, ClusterError> {
        let mut s = Self::without_ids(list, order, mem_cap)?;
        s.ids = list.vms.iter().map(|v| v.id.clone()).collect();
        Ok(s)
    }

    /// [`Schedule::new`] consuming the list: its VM ids move into the
    /// schedule instead of being copied.
    pub fn from_list(
        list: EventList,
        order: EventOrder,
        mem_cap: bool,
    ) -> Result<Self, ClusterError> {
        let mut s = Self::without_ids(&list, order, mem_cap)?;
        s.ids = list.vms.into_iter().map(|v| v.id).collect();
        Ok(s)
    }

    fn without_ids(
        list: &EventList,
        order: EventOrder,
        mem_cap: bool,
    ) -> Result<Self, ClusterError> {
        let levels = levels_of(list)?;
        let vms = list
            .vms
            .iter()
            .map(|vm| ClusterVm {
                vcpus: vm.vcpus,
                mem_mb: effective_mem_mb(vm.mem_mb, vm.level, mem_cap),
                mem_requested_mb: vm.mem_mb,
                level: vm.level,
                level_idx: levels.binary_search(&vm.level).unwrap_or(0) as u8,
            })
            .collect();
        let horizon_s = check_events(list)?;
        Ok(Schedule {
            vms,
            ids: Arc::from([]),
            levels: levels.into_iter().collect(),
            events: ordered_events(list, order),
            order,
            mem_cap,
            horizon_s,
        })
    }

    /// The same schedule without the events of the VMs `keep` refuses
    /// (VM indexes kept); the horizon becomes the last remaining event's
    /// time, as if the list had been built without them.
    pub fn retain_vms(&mut self, keep: impl Fn(usize) -> bool) {
        self.events.retain(|e| keep(e.vm()));
        self.horizon_s = self.events.last().map_or(0, |e| e.time_s());
    }

    /// The same schedule restricted to the VMs of one level (the dedicated
    /// cluster of that level); VM indexes and the horizon are kept.
    pub fn only_level(&self, level: Level) -> Schedule {
        let mut out = self.clone();
        out.events.retain(|e| self.vms[e.vm()].level == level);
        out
    }

    /// Number of VMs that arrive in this schedule.
    pub fn arrivals(&self) -> usize {
        self.events.iter().filter(|e| e.is_arrival()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::testkit::vm;
    use crate::workload::Event as ListEvent;

    #[test]
    fn arrivals_come_before_departures_at_the_same_time() {
        let list = EventList {
            vms: vec![vm("a", 1, 1024, 1.0), vm("b", 1, 1024, 2.0)],
            events: vec![
                ListEvent {
                    time_s: 0,
                    kind: EventKind::Arrival,
                    vm: 0,
                },
                ListEvent {
                    time_s: 360,
                    kind: EventKind::Departure,
                    vm: 0,
                },
                ListEvent {
                    time_s: 360,
                    kind: EventKind::Arrival,
                    vm: 1,
                },
            ],
        };
        let s = Schedule::new(&list, EventOrder::ArrivalsFirst, true).unwrap();
        assert_eq!(s.events[1], Event::Arrival { time_s: 360, vm: 1 });
        let s = Schedule::new(&list, EventOrder::DeparturesFirst, true).unwrap();
        assert_eq!(s.events[1], Event::Departure { time_s: 360, vm: 0 });
        assert_eq!(s.levels, vec![1.0, 2.0]);
        assert_eq!(s.horizon_s, 360);
    }

    #[test]
    fn memory_cap_applies_to_oversubscribed_vms_from_8129_mb() {
        assert_eq!(effective_mem_mb(15360, Level::TWO, true), 8192);
        assert_eq!(effective_mem_mb(8129, Level::THREE, true), 8192);
        assert_eq!(effective_mem_mb(8128, Level::THREE, true), 8128);
        assert_eq!(effective_mem_mb(15360, Level::ONE, true), 15360);
        assert_eq!(effective_mem_mb(15360, Level::TWO, false), 15360);
    }

    #[test]
    fn malformed_lists_are_refused_with_the_index() {
        let list = EventList {
            vms: vec![vm("a", 0, 1024, 1.0)],
            events: vec![],
        };
        assert!(matches!(
            Schedule::new(&list, EventOrder::ArrivalsFirst, true),
            Err(ClusterError::InvalidVm { index: 0, .. })
        ));
        let list = EventList {
            vms: vec![vm("a", 1, 1024, 1.0)],
            events: vec![ListEvent {
                time_s: 0,
                kind: EventKind::Departure,
                vm: 0,
            }],
        };
        assert!(matches!(
            Schedule::new(&list, EventOrder::ArrivalsFirst, true),
            Err(ClusterError::InvalidEvent { index: 0, .. })
        ));
    }
}
