//! Cluster workloads (workload.md): VM catalogues, usage profiles, the
//! seeded generator and readers of public traces, all producing one event
//! list ([`events::EventList`]) that the cluster experiment replays.

pub mod events;

pub use events::{Event, EventKind, EventList, VmSpec};
