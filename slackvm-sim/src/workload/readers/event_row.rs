//! One row of the event list CSV as the readers parse it ([`RawRow`]):
//! its fields borrowed from the input's buffer, shared by the general path
//! ([`super::event_csv`]), the fast path ([`super::event_fast`]) and the
//! list builder ([`super::event_build`]).

use super::CpuStats;
use crate::level::Level;
use crate::workload::events::{EventKind, VmSpec};

/// The fields of one row, borrowed from the reader's buffer.
#[derive(Debug)]
pub(super) struct RawRow<'a> {
    pub(super) time_s: u64,
    pub(super) kind: EventKind,
    pub(super) id: &'a str,
    pub(super) vcpus: u32,
    pub(super) mem_mb: u64,
    pub(super) level: Level,
    pub(super) profile: Option<&'a str>,
    pub(super) cpu: Option<CpuStats>,
}

impl RawRow<'_> {
    /// The VM's record.
    pub(super) fn to_vm(&self) -> VmSpec {
        VmSpec {
            id: self.id.to_string(),
            vcpus: self.vcpus,
            mem_mb: self.mem_mb,
            level: self.level,
            profile: self.profile.map(str::to_string),
        }
    }
}

/// A CPU column's percentage as a fraction (above 100 counts as 100);
/// `None` below 0. The one rule of both reading paths.
#[inline]
pub(super) fn cpu_fraction(pct: f64) -> Option<f64> {
    (pct >= 0.0).then(|| pct.min(100.0) / 100.0)
}
