//! The first pass over a trace: each VM's shape (vCPUs, memory, level,
//! name: its last row wins), its first and last CPU sighting, and the
//! order of arrivals and departures. O(VMs) memory, whatever the trace's
//! length; needs no topology, so a caller can load one meanwhile.
//! Standard input is copied to a [`Spool`] on the way, for the second pass.

use super::fxhash::FastMap;
use super::input::TraceSource;
use super::ReplayError;
use crate::trace::{RecKind, Record, Res, Spool, TraceReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A VM as learnt from the first pass (its last row wins).
#[derive(Debug, Clone, Default)]
pub(super) struct VmTrace {
    pub uuid: String,
    pub name: String,
    pub vcpus: Option<f64>,
    pub mem: Option<f64>,
    pub level: Option<f64>,
    /// `level` as written (`sb_oc`).
    pub level_text: Option<String>,
    pub first_s: Option<u64>,
    pub last_s: u64,
}

/// What the first pass learnt: the VMs, and the order of their arrivals
/// and departures.
#[derive(Debug, Default)]
pub(super) struct Learnt {
    pub vms: Vec<VmTrace>,
    pub index: FastMap<String, u32>,
    pub timestamps: u64,
    pub rows: u64,
    /// VM indexes with a CPU row, by first sighting (then index).
    pub arrivals: Vec<u32>,
    /// The same, by last sighting (then index).
    pub departures: Vec<u32>,
}

/// Columns the first pass does not need (the second pass checks `val` and
/// `subset`; `sb_dsc` is free text).
const SKIPPED_BY_LEARN: [&str; 3] = ["val", "subset", "sb_dsc"];

/// What the first pass over a trace learnt (each VM's shape, first and
/// last sighting); O(VMs) memory. Needs no topology, so a caller can load
/// one meanwhile.
pub struct FirstPass {
    pub(super) learnt: Learnt,
    pub(super) wall: Duration,
    /// The copy of standard input, when that was the input.
    pub(super) spool: Option<Spool>,
}

impl std::fmt::Debug for FirstPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstPass")
            .field("rows", &self.learnt.rows)
            .field("timestamps", &self.learnt.timestamps)
            .field("vms", &self.learnt.vms.len())
            .finish()
    }
}

/// The first of the replay's two passes (see [`super::replay_learnt`]).
pub fn first_pass(input: &TraceSource) -> Result<FirstPass, ReplayError> {
    let started = Instant::now();
    let (learnt, spool) = learn(input)?;
    Ok(FirstPass {
        learnt,
        wall: started.elapsed(),
        spool,
    })
}

fn learn(input: &TraceSource) -> Result<(Learnt, Option<Spool>), ReplayError> {
    let (mut reader, spool) = match input {
        TraceSource::File(p) if p.as_path() == Path::new("-") => {
            let (reader, spool) = Spool::stdin()?;
            (reader, Some(spool))
        }
        _ => (input.open()?, None),
    };
    reader.skip_columns(&SKIPPED_BY_LEARN);
    let mut learnt = Learnt::default();
    read_rows(&mut learnt, &mut reader, input)?;
    learnt.order();
    Ok((learnt, spool))
}

fn read_rows(
    learnt: &mut Learnt,
    reader: &mut TraceReader,
    input: &TraceSource,
) -> Result<(), ReplayError> {
    let mut rec = Record::default();
    let mut last: Option<u64> = None;
    while reader.next_into(&mut rec)? {
        learnt.rows += 1;
        match last {
            Some(previous) if rec.tmp < previous => {
                return Err(ReplayError::Unsorted {
                    path: PathBuf::from(input.name()),
                    line: reader.line(),
                    tmp: rec.tmp,
                    previous,
                })
            }
            Some(previous) if rec.tmp == previous => {}
            _ => {
                learnt.timestamps += 1;
                last = Some(rec.tmp);
            }
        }
        if rec.rec == Some(RecKind::Vm) {
            learnt.learn_vm(&rec);
        }
    }
    Ok(())
}

impl Learnt {
    /// Sorts arrivals and departures (stable: VMs sighted at the same
    /// time keep their index order).
    fn order(&mut self) {
        let sighted: Vec<u32> = (0..self.vms.len() as u32)
            .filter(|&i| self.vms[i as usize].first_s.is_some())
            .collect();
        self.arrivals = sighted.clone();
        self.departures = sighted;
        let vms = &self.vms;
        self.arrivals.sort_by_key(|&i| vms[i as usize].first_s);
        self.departures.sort_by_key(|&i| vms[i as usize].last_s);
    }

    fn learn_vm(&mut self, rec: &Record) {
        let uuid = rec.vm_uuid.as_deref().unwrap_or("None");
        let idx = match self.index.get(uuid) {
            Some(&i) => i as usize,
            None => {
                self.vms.push(VmTrace {
                    uuid: uuid.to_string(),
                    ..VmTrace::default()
                });
                let i = self.vms.len() - 1;
                self.index.insert(uuid.to_string(), i as u32);
                i
            }
        };
        let vm = &mut self.vms[idx];
        let name = rec.vm_cmn.as_deref().unwrap_or("None");
        if vm.name != name {
            vm.name.clear();
            vm.name.push_str(name);
        }
        match rec.res {
            Some(Res::Cpu) => {
                vm.vcpus = rec.config;
                // Parsed again only when the text changes (it seldom does).
                if vm.level_text != rec.sb_oc {
                    vm.level_text.clone_from(&rec.sb_oc);
                    vm.level = rec.sb_oc.as_deref().and_then(|s| s.parse().ok());
                }
                vm.first_s.get_or_insert(rec.tmp);
                vm.last_s = rec.tmp;
            }
            Some(Res::Mem) => vm.mem = rec.config,
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{source, trace};
    use super::*;

    #[test]
    fn learns_shapes_sightings_and_order() {
        let text = trace(&[
            "0\tvm\tcpu\t0.5\t2\tsubset-2.0\tub\tb\t2.0\tNone\tNone",
            "0\tvm\tcpu\t0.5\t4\tsubset-1.0\tua\ta\t1.0\tNone\tNone",
            "0\tvm\tmem\t0.5\t4096\tsubset-1\tua\ta\t1\tNone\tNone",
            "15\tvm\tcpu\t0.5\t4\tsubset-1.0\tua\ta\t1.0\tNone\tNone",
            "30\tglobal\tcpu\t0.5\t8\tNone\tNone\tNone\tNone\tNone\tNone",
        ]);
        let first = first_pass(&source(&text)).expect("valid trace");
        let l = &first.learnt;
        assert_eq!((l.rows, l.timestamps, l.vms.len()), (5, 3, 2));
        let a = &l.vms[l.index["ua"] as usize];
        assert_eq!(
            (a.vcpus, a.mem, a.level),
            (Some(4.0), Some(4096.0), Some(1.0))
        );
        assert_eq!((a.first_s, a.last_s), (Some(0), 15));
        // Same first sighting: index order; b leaves first.
        assert_eq!(l.arrivals, vec![0, 1]);
        assert_eq!(l.departures, vec![0, 1]);
        assert_eq!(l.vms[0].last_s, 0);
    }

    #[test]
    fn an_unsorted_trace_names_its_line() {
        let text = trace(&[
            "15\tglobal\tcpu\t0.5\t8\tNone\tNone\tNone\tNone\tNone\tNone",
            "0\tglobal\tcpu\t0.5\t8\tNone\tNone\tNone\tNone\tNone\tNone",
        ]);
        let e = first_pass(&source(&text)).expect_err("unsorted");
        assert!(
            e.to_string()
                .starts_with("mem:3: column `tmp`: time 0 comes after 15"),
            "{e}"
        );
    }
}
