//! The event list being built from the event CSV's rows ([`Builder`]):
//! the VMs and events, and the checks that need the rows before: every
//! VM arrives once, departs at most once after arriving, and departs with
//! the columns it arrived with. A departure is checked against its
//! arrival through the id index alone: the index holds, per VM, its
//! number and its columns interned as one number.

use super::event_row::RawRow;
use crate::workload::events::{Event, EventKind, EventList};
use crate::workload::idmap::{FxHasher, IdIndex, IdMap};

/// The columns a departure repeats, interned: equal columns, equal
/// number (below [`DEPARTED`]).
#[derive(Default)]
struct Shapes {
    /// Profile name -> number.
    profiles: IdMap<u32>,
    /// (vcpus, mem_mb, level bits, profile number or `u32::MAX`) -> number.
    numbers: std::collections::HashMap<
        (u32, u64, u64, u32),
        u32,
        std::hash::BuildHasherDefault<FxHasher>,
    >,
}

/// Marks, in an index entry's shape, a VM that departed.
const DEPARTED: u32 = 1 << 31;

impl Shapes {
    fn key(raw: &RawRow<'_>, profile: u32) -> (u32, u64, u64, u32) {
        (raw.vcpus, raw.mem_mb, raw.level.to_bits(), profile)
    }

    /// The number of the row's columns, if interned.
    fn find(&self, raw: &RawRow<'_>) -> Option<u32> {
        let profile = match raw.profile {
            None => u32::MAX,
            Some(p) => *self.profiles.get(p)?,
        };
        self.numbers.get(&Self::key(raw, profile)).copied()
    }

    /// The number of the row's columns, interned if new; `None` past
    /// [`DEPARTED`] shapes.
    fn intern(&mut self, raw: &RawRow<'_>) -> Option<u32> {
        let profile = match raw.profile {
            None => u32::MAX,
            Some(p) => match self.profiles.get(p) {
                Some(&n) => n,
                None => {
                    let n = self.profiles.len() as u32;
                    self.profiles.insert(p.to_string(), n);
                    n
                }
            },
        };
        let next = self.numbers.len() as u32;
        let n = *self.numbers.entry(Self::key(raw, profile)).or_insert(next);
        (n < DEPARTED).then_some(n)
    }
}

/// A VM in the id index: its number, and its interned columns (with
/// [`DEPARTED`] once it left).
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    vm: u32,
    shape: u32,
}

/// The event list being built, with its id index.
#[derive(Default)]
pub(super) struct Builder {
    pub(super) list: EventList,
    index: IdIndex<Entry>,
    shapes: Shapes,
}

impl Builder {
    /// Room for the rows of about `bytes` of text (an estimate: short
    /// rows make the lists grow as usual; room not written to costs no
    /// memory).
    pub(super) fn reserve_for(&mut self, bytes: u64) {
        let rows = usize::try_from(bytes / ROW_BYTES_EST).unwrap_or(usize::MAX);
        let vms = rows / 2 + rows / 16;
        // A failed reservation only means the lists grow as they go.
        let _ = self.list.events.try_reserve(rows);
        let _ = self.list.vms.try_reserve(vms);
    }

    /// Adds a row; on a refusal (the message, about column `vm_id`),
    /// nothing changed.
    pub(super) fn add(&mut self, raw: &RawRow<'_>) -> Result<(), String> {
        let vms = &self.list.vms;
        let ids = |e: &Entry| vms[e.vm as usize].id.as_str();
        let vm = match raw.kind {
            EventKind::Arrival => {
                let vm = u32::try_from(vms.len())
                    .ok()
                    .filter(|&n| n < u32::MAX)
                    .ok_or_else(|| "more than 4294967294 VMs".to_string())?;
                // Interning a shape twice gives the same number: no harm
                // if the row is then refused.
                let shape = self
                    .shapes
                    .intern(raw)
                    .ok_or_else(|| "more than 2^31 distinct VM columns".to_string())?;
                if !self.index.insert_new(raw.id, Entry { vm, shape }, ids) {
                    return Err(format!("VM `{}` arrives twice", raw.id));
                }
                self.list.vms.push(raw.to_vm());
                vm as usize
            }
            EventKind::Departure => {
                let shape = self.shapes.find(raw);
                let Some(e) = self.index.get_mut(raw.id, ids) else {
                    return Err(format!("VM `{}` departs before arriving", raw.id));
                };
                if e.shape & DEPARTED != 0 {
                    return Err(format!("VM `{}` departs twice", raw.id));
                }
                if shape != Some(e.shape) {
                    return Err(format!(
                        "VM `{}` departs with columns that differ from its arrival",
                        raw.id
                    ));
                }
                e.shape |= DEPARTED;
                e.vm as usize
            }
        };
        self.list.events.push(Event {
            time_s: raw.time_s,
            kind: raw.kind,
            vm,
        });
        Ok(())
    }
}

/// Bytes per row assumed when reserving room (rows are 35-45 bytes with
/// short ids; an underestimate only makes the lists grow).
const ROW_BYTES_EST: u64 = 32;
