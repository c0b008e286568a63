//! Step grouping: the rows of one timestamp, grouped by resource and
//! vNode id (interned to small integers) with each VM's usage keyed by its
//! first-pass index. Buffers live across timestamps; a stamp marks which
//! entries are current, so a new timestamp allocates nothing.

use super::fxhash::FastMap;
use crate::trace::{RecKind, Record};

/// One vNode's rows at the current timestamp.
#[derive(Default)]
pub(super) struct SubsetRows {
    /// Timestamp these rows belong to (older ones are stale).
    pub stamp: u32,
    /// Usage of the vNode's own row (last one wins).
    pub val: Option<f64>,
    /// (VM index, usage) in input order, one per VM, last usage wins.
    pub vms: Vec<(u32, Option<f64>)>,
}

/// Where a VM was last reported: (stamp, vNode id, position in its rows).
pub(super) type Seen = (u32, u32, u32);

/// The per-timestamp input rows, grouped by resource and vNode id.
/// Buffers live across timestamps; a stamp marks which entries are current.
#[derive(Default)]
pub(super) struct Step {
    pub stamp: u32,
    pub global: [Option<f64>; 2],
    /// Per resource, per vNode id.
    subsets: [Vec<SubsetRows>; 2],
    /// Per VM index, per resource.
    seen: Vec<[Seen; 2]>,
    /// vNode ids (`subset` texts) to small integers.
    ids: FastMap<String, u32>,
}

impl Step {
    pub fn new(vms: usize) -> Self {
        Step {
            seen: vec![[(0, 0, 0); 2]; vms],
            ..Step::default()
        }
    }

    /// Starts a new timestamp.
    pub fn begin(&mut self) {
        self.stamp += 1;
        self.global = [None, None];
    }

    /// The small integer of a vNode id.
    pub fn id(&mut self, subset: &str) -> u32 {
        if let Some(&id) = self.ids.get(subset) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(subset.to_string(), id);
        id
    }

    fn rows_mut(&mut self, res: usize, id: u32) -> &mut SubsetRows {
        let list = &mut self.subsets[res];
        if list.len() <= id as usize {
            list.resize_with(id as usize + 1, SubsetRows::default);
        }
        let rows = &mut list[id as usize];
        if rows.stamp != self.stamp {
            rows.stamp = self.stamp;
            rows.val = None;
            rows.vms.clear();
        }
        rows
    }

    /// The rows of a vNode at this timestamp, if any.
    pub fn rows(&self, res: usize, id: u32) -> Option<&SubsetRows> {
        self.subsets[res]
            .get(id as usize)
            .filter(|r| r.stamp == self.stamp)
    }

    /// Adds one input row; `vm` is the VM index of a VM row.
    pub fn add(&mut self, r: &Record, vm: Option<u32>) {
        let Some(res) = r.res else { return };
        let i = res.index();
        match r.rec {
            Some(RecKind::Global) => self.global[i] = r.val,
            Some(RecKind::Subset) => {
                let id = self.id(r.subset.as_deref().unwrap_or("None"));
                self.rows_mut(i, id).val = r.val;
            }
            Some(RecKind::Vm) => {
                let id = self.id(r.subset.as_deref().unwrap_or("None"));
                let vm = vm.expect("VM rows come with their index");
                self.add_vm(i, id, vm, r.val);
            }
            None => {}
        }
    }

    /// The prototype keys VM usage by uuid: first position, last value.
    fn add_vm(&mut self, res: usize, id: u32, vm: u32, val: Option<f64>) {
        let stamp = self.stamp;
        let (seen_stamp, seen_id, seen_pos) = self.seen[vm as usize][res];
        let rows = self.rows_mut(res, id);
        let pos = if seen_stamp == stamp && seen_id == id {
            Some(seen_pos as usize)
        } else if seen_stamp == stamp {
            // Reported under another vNode too (rare): look for it here.
            rows.vms.iter().position(|&(v, _)| v == vm)
        } else {
            None
        };
        let pos = match pos {
            Some(p) => {
                debug_assert_eq!(rows.vms[p].0, vm);
                rows.vms[p].1 = val;
                p
            }
            None => {
                rows.vms.push((vm, val));
                rows.vms.len() - 1
            }
        };
        self.seen[vm as usize][res] = (stamp, id, pos as u32);
    }

    /// The VM's usage at this timestamp (its last row of the resource,
    /// under any vNode); `None` when it has no row or its row says `None`.
    pub fn usage(&self, res: usize, vm: u32) -> Option<f64> {
        let (stamp, id, pos) = self.seen[vm as usize][res];
        if stamp != self.stamp {
            return None;
        }
        self.subsets[res][id as usize].vms[pos as usize].1
    }

    /// True when the VM has a row under this vNode at this timestamp.
    pub fn reported(&self, res: usize, id: u32, vm: u32) -> bool {
        let (seen_stamp, seen_id, _) = self.seen[vm as usize][res];
        if seen_stamp != self.stamp {
            return false;
        }
        seen_id == id
            || self
                .rows(res, id)
                .is_some_and(|r| r.vms.iter().any(|&(v, _)| v == vm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Res;

    fn vm_row(subset: &str, res: Res, val: Option<f64>) -> Record {
        Record {
            rec: Some(RecKind::Vm),
            res: Some(res),
            val,
            subset: Some(subset.into()),
            ..Record::default()
        }
    }

    #[test]
    fn groups_rows_and_forgets_them_at_the_next_timestamp() {
        let mut step = Step::new(3);
        step.begin();
        step.add(&vm_row("subset-2.0", Res::Cpu, Some(0.5)), Some(1));
        step.add(&vm_row("subset-2.0", Res::Cpu, Some(0.7)), Some(1));
        step.add(&vm_row("subset-2.0", Res::Cpu, None), Some(0));
        step.add(&vm_row("subset-1", Res::Mem, Some(0.2)), Some(0));
        let id = step.id("subset-2.0");
        let rows = step.rows(0, id).expect("rows this timestamp");
        // First position, last value.
        assert_eq!(rows.vms, vec![(1, Some(0.7)), (0, None)]);
        assert!(step.reported(0, id, 1) && step.reported(0, id, 0));
        assert!(!step.reported(0, id, 2));
        assert_eq!(
            (step.usage(0, 1), step.usage(0, 0), step.usage(0, 2)),
            (Some(0.7), None, None)
        );
        assert_eq!(step.usage(1, 0), Some(0.2));
        assert!(
            !step.reported(1, id, 0),
            "reported under subset-1 for memory"
        );
        step.begin();
        assert!(step.rows(0, id).is_none());
        assert!(!step.reported(0, id, 1));
        assert_eq!(step.usage(0, 1), None);
    }

    #[test]
    fn a_vm_reported_under_two_vnodes_is_found_in_both() {
        let mut step = Step::new(1);
        step.begin();
        step.add(&vm_row("subset-2.0", Res::Cpu, Some(0.5)), Some(0));
        step.add(&vm_row("subset-3.0", Res::Cpu, Some(0.6)), Some(0));
        step.add(&vm_row("subset-2.0", Res::Cpu, Some(0.9)), Some(0));
        let (two, three) = (step.id("subset-2.0"), step.id("subset-3.0"));
        assert!(step.reported(0, two, 0) && step.reported(0, three, 0));
        assert_eq!(step.rows(0, two).expect("rows").vms, vec![(0, Some(0.9))]);
    }
}
