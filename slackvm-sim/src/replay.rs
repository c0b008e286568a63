//! Offline replay (local-scheduler.md, "Replaying a monitoring trace"):
//! a monitoring trace in, the local scheduler recomputing every vNode, a
//! trace out in the same format, plus a summary and the series figure 3
//! plots. Two streaming passes over the input (the first learns each VM's
//! shape and first/last sighting, the second replays timestamp by
//! timestamp), so memory stays flat in trace length.
//!
//! Speed (see `benches/replay.rs`): no allocation per row. The second pass
//! groups a timestamp's rows by integer ids (the VM's index from the first
//! pass, interned vNode ids), arrivals and departures come from lists
//! sorted once, the vNode views (ids, JSON descriptions) are rebuilt only
//! after the host changed, and output rows are written from borrowed text.
//! Each pass parses only the columns it uses (the first checks `config`,
//! `vm_cmn`, `sb_oc`, `sb_unused`; the second `val`, `subset`; so a
//! malformed usage is reported by the second pass, with its line), and the
//! second reads ahead on another thread. [`first_pass`] needs no topology,
//! so a caller can load one meanwhile. Standard input (`-`) is copied to a
//! temporary file by the first pass for the second to read.

use crate::host::{Host, HostOptions};
use crate::pyfmt;
use crate::scheduler::{DeployError, LocalScheduler, VmRequest};
use crate::topology::Topology;
use crate::trace::{
    PrefetchReader, RecKind, Record, Res, Row, Spool, TraceError, TraceReader, TraceWriter,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Errors of a replay.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// Reading or writing a trace failed.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The input is not sorted by time.
    #[error("{path}:{line}: column `tmp`: time {tmp} comes after {previous}; the trace must be sorted by tmp")]
    Unsorted {
        /// File.
        path: PathBuf,
        /// Line.
        line: u64,
        /// Offending time.
        tmp: u64,
        /// Time of the row before.
        previous: u64,
    },
    /// The second pass met a VM the first pass did not see.
    #[error("{path}:{line}: column `vm_uuid`: VM `{uuid}` was not in the first pass; the trace changed while it was replayed")]
    Changed {
        /// File.
        path: PathBuf,
        /// Line.
        line: u64,
        /// The unknown VM.
        uuid: String,
    },
}

/// A VM as learnt from the first pass (its last row wins).
#[derive(Debug, Clone, Default)]
struct VmTrace {
    uuid: String,
    name: String,
    vcpus: Option<f64>,
    mem: Option<f64>,
    level: Option<f64>,
    /// `level` as written (`sb_oc`).
    level_text: Option<String>,
    first_s: Option<u64>,
    last_s: u64,
}

/// FxHash (rustc's): a fast hash for the VM and vNode id maps, whose keys
/// come from the trace being replayed, not from an adversary.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A refused deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    /// VM name.
    pub vm: String,
    /// VM identifier.
    pub uuid: String,
    /// Time of the refused deployment.
    pub time_s: u64,
    /// Level key (`2.0`).
    pub level: String,
    /// `cpu`, `mem` or `invalid`.
    pub resource: String,
    /// Full reason.
    pub reason: String,
}

/// Size of one vNode over the replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VNodeSummary {
    /// `subset-2.0`, `subset-1`.
    pub subset: String,
    /// `cpu` or `mem`.
    pub res: String,
    /// Smallest size reported (CPUs or MB).
    pub min: u64,
    /// Largest size reported.
    pub max: u64,
    /// Size at the last timestamp.
    #[serde(rename = "final")]
    pub last: u64,
}

/// What a replay did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplaySummary {
    /// Input trace.
    pub input: String,
    /// Topology used.
    pub topology: String,
    /// Quirk switches in force.
    pub quirks: BTreeMap<String, bool>,
    /// Timestamps replayed.
    pub timestamps: u64,
    /// Rows read (one pass).
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// VMs seen in the trace.
    pub vms_seen: u64,
    /// Accepted deployments per level key.
    pub accepted: BTreeMap<String, u64>,
    /// Refused deployments per level key.
    pub refused_per_level: BTreeMap<String, u64>,
    /// Every refusal, in replay order.
    pub refused: Vec<Refusal>,
    /// Per vNode sizes.
    pub vnodes: Vec<VNodeSummary>,
    /// Wall time of the replay in seconds.
    pub wall_s: f64,
    /// Input rows per second of wall time.
    pub rows_per_s: f64,
}

/// One vNode's CPUs held and busy over time (what figure 3 plots).
#[derive(Debug, Clone, PartialEq)]
pub struct VNodeSeries {
    /// Level.
    pub level: f64,
    /// `(tmp, CPUs held, CPUs busy)`.
    pub points: Vec<(u64, u64, Option<f64>)>,
}

/// Outputs of a replay.
#[derive(Debug, Clone)]
pub struct ReplayOutcome {
    /// Summary.
    pub summary: ReplaySummary,
    /// CPU vNode series, in creation order.
    pub series: Vec<VNodeSeries>,
}

/// One vNode's rows at the current timestamp.
#[derive(Default)]
struct SubsetRows {
    /// Timestamp these rows belong to (older ones are stale).
    stamp: u32,
    /// Usage of the vNode's own row (last one wins).
    val: Option<f64>,
    /// (VM index, usage) in input order, one per VM, last usage wins.
    vms: Vec<(u32, Option<f64>)>,
}

/// Where a VM was last reported: (stamp, vNode id, position in its rows).
type Seen = (u32, u32, u32);

/// The per-timestamp input rows, grouped by resource and vNode id.
/// Buffers live across timestamps; a stamp marks which entries are current.
#[derive(Default)]
struct Step {
    stamp: u32,
    global: [Option<f64>; 2],
    /// Per resource, per vNode id.
    subsets: [Vec<SubsetRows>; 2],
    /// Per VM index, per resource.
    seen: Vec<[Seen; 2]>,
    /// vNode ids (`subset` texts) to small integers.
    ids: FastMap<String, u32>,
}

impl Step {
    fn new(vms: usize) -> Self {
        Step {
            seen: vec![[(0, 0, 0); 2]; vms],
            ..Step::default()
        }
    }

    /// Starts a new timestamp.
    fn begin(&mut self) {
        self.stamp += 1;
        self.global = [None, None];
    }

    /// The small integer of a vNode id.
    fn id(&mut self, subset: &str) -> u32 {
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
    fn rows(&self, res: usize, id: u32) -> Option<&SubsetRows> {
        self.subsets[res]
            .get(id as usize)
            .filter(|r| r.stamp == self.stamp)
    }

    /// Adds one input row; `vm` is the VM index of a VM row.
    fn add(&mut self, r: &Record, vm: Option<u32>) {
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

    /// True when the VM has a row under this vNode at this timestamp.
    fn reported(&self, res: usize, id: u32, vm: u32) -> bool {
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

/// Where the input trace comes from (read twice: once to learn, once to
/// replay; `-`, standard input, is copied to a temporary file on the way).
#[derive(Debug, Clone)]
pub enum TraceSource {
    /// A file (plain or gzip).
    File(PathBuf),
    /// Bytes embedded in the binary (plain or gzip), with a display name.
    Bytes(String, &'static [u8]),
}

impl TraceSource {
    fn open(&self) -> Result<TraceReader, TraceError> {
        match self {
            TraceSource::File(p) => TraceReader::open_any(p),
            TraceSource::Bytes(name, data) => TraceReader::from_bytes(name, data),
        }
    }

    fn name(&self) -> String {
        match self {
            TraceSource::File(p) => p.display().to_string(),
            TraceSource::Bytes(name, _) => name.clone(),
        }
    }
}

/// Options of a replay.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplayOptions {
    /// Host options (quirks included).
    pub host: HostOptions,
}

/// What the first pass learnt: the VMs, and the order of their arrivals
/// and departures. O(VMs) memory, whatever the trace's length.
struct Learnt {
    vms: Vec<VmTrace>,
    index: FastMap<String, u32>,
    timestamps: u64,
    rows: u64,
    /// VM indexes with a CPU row, by first sighting (then index).
    arrivals: Vec<u32>,
    /// The same, by last sighting (then index).
    departures: Vec<u32>,
}

/// Columns the first pass does not need (the second pass checks `val` and
/// `subset`; `sb_dsc` is free text).
const SKIPPED_BY_LEARN: [&str; 3] = ["val", "subset", "sb_dsc"];
/// Columns the second pass does not need (the first pass checked them).
const SKIPPED_BY_REPLAY: [&str; 5] = ["config", "vm_cmn", "sb_oc", "sb_unused", "sb_dsc"];

/// The first pass; standard input is copied to a [`Spool`] on the way,
/// for the second pass to read.
fn learn(input: &TraceSource) -> Result<(Learnt, Option<Spool>), ReplayError> {
    let (mut reader, spool) = match input {
        TraceSource::File(p) if p.as_path() == Path::new("-") => {
            let (reader, spool) = Spool::stdin()?;
            (reader, Some(spool))
        }
        _ => (input.open()?, None),
    };
    reader.skip_columns(&SKIPPED_BY_LEARN);
    let mut rec = Record::default();
    let mut learnt = Learnt {
        vms: Vec::new(),
        index: FastMap::default(),
        timestamps: 0,
        rows: 0,
        arrivals: Vec::new(),
        departures: Vec::new(),
    };
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
            learn_vm(&mut learnt, &rec);
        }
    }
    let sighted: Vec<u32> = (0..learnt.vms.len() as u32)
        .filter(|&i| learnt.vms[i as usize].first_s.is_some())
        .collect();
    learnt.arrivals = sighted.clone();
    learnt.departures = sighted;
    // Stable sorts: VMs sighted at the same time keep their index order.
    let vms = &learnt.vms;
    learnt.arrivals.sort_by_key(|&i| vms[i as usize].first_s);
    learnt.departures.sort_by_key(|&i| vms[i as usize].last_s);
    Ok((learnt, spool))
}

fn learn_vm(learnt: &mut Learnt, rec: &Record) {
    let uuid = rec.vm_uuid.as_deref().unwrap_or("None");
    let idx = match learnt.index.get(uuid) {
        Some(&i) => i as usize,
        None => {
            learnt.vms.push(VmTrace {
                uuid: uuid.to_string(),
                ..VmTrace::default()
            });
            let i = learnt.vms.len() - 1;
            learnt.index.insert(uuid.to_string(), i as u32);
            i
        }
    };
    let vm = &mut learnt.vms[idx];
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

/// What the output says of one vNode at the current host state.
struct VNodeView {
    subset: String,
    /// `subset` as a [`Step`] id.
    id: u32,
    oc: String,
    level: f64,
    size: u64,
    unused: u64,
    dsc: String,
    /// Its VMs, as indexes of the first pass.
    vms: Vec<u32>,
}

/// Min, max and last size of each vNode: by view order, then vNode id.
type Sizes = BTreeMap<usize, BTreeMap<String, VNodeSummary>>;

/// The state a replay carries from one timestamp to the next.
struct Replayer<'a> {
    host: Host,
    opts: ReplayOptions,
    learnt: &'a Learnt,
    summary: ReplaySummary,
    series: Vec<VNodeSeries>,
    sizes: Sizes,
    step: Step,
    /// Views of the CPU vNodes and of the memory pool, per resource.
    views: [Vec<VNodeView>; 2],
    /// The host changed since the views were built.
    dirty: bool,
    next_arrival: usize,
    next_departure: usize,
    /// VMs to remove after this timestamp's rows (a quirk), reused.
    unreported: Vec<u32>,
}

impl<'a> Replayer<'a> {
    fn new(
        topo: Arc<Topology>,
        opts: ReplayOptions,
        input: &TraceSource,
        learnt: &'a Learnt,
    ) -> Self {
        Replayer {
            host: Host::new(topo.clone(), opts.host),
            opts,
            summary: ReplaySummary {
                input: input.name(),
                topology: topo.name().to_string(),
                quirks: quirk_map(&opts),
                timestamps: learnt.timestamps,
                rows_in: learnt.rows,
                rows_out: 0,
                vms_seen: learnt.vms.len() as u64,
                accepted: BTreeMap::new(),
                refused_per_level: BTreeMap::new(),
                refused: Vec::new(),
                vnodes: Vec::new(),
                wall_s: 0.0,
                rows_per_s: 0.0,
            },
            learnt,
            series: Vec::new(),
            sizes: BTreeMap::new(),
            step: Step::new(learnt.vms.len()),
            views: [Vec::new(), Vec::new()],
            dirty: true,
            next_arrival: 0,
            next_departure: 0,
            unreported: Vec::new(),
        }
    }

    /// After a timestamp's rows: arrivals, departures, output rows.
    fn finish_step(
        &mut self,
        tmp: u64,
        previous: Option<u64>,
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        self.deploy_arrivals(tmp);
        // The first timestamp has no previous one; a quirk uses itself.
        let clamp = self.opts.host.quirks.replay_first_step_clamp;
        self.remove_departures(previous.or(clamp.then_some(tmp)));
        self.emit(tmp, out)
    }

    /// The outcome, once every timestamp is replayed.
    fn finish(self, wall_s: f64) -> ReplayOutcome {
        let mut summary = self.summary;
        summary.vnodes = self
            .sizes
            .into_values()
            .flat_map(BTreeMap::into_values)
            .collect();
        summary.wall_s = wall_s;
        summary.rows_per_s = if wall_s > 0.0 {
            summary.rows_in as f64 / wall_s
        } else {
            0.0
        };
        ReplayOutcome {
            summary,
            series: self.series,
        }
    }

    fn replayed_mem_mb(&self, vm: &VmTrace) -> Option<u64> {
        let mem = vm.mem? as u64;
        Some(if self.opts.host.quirks.replay_mem_kib {
            mem / 1024
        } else {
            mem
        })
    }

    /// Groups one input row into the current timestamp.
    fn add(&mut self, rec: &Record, input: &TraceSource, line: u64) -> Result<(), ReplayError> {
        let vm = if rec.rec == Some(RecKind::Vm) {
            let uuid = rec.vm_uuid.as_deref().unwrap_or("None");
            let Some(&i) = self.learnt.index.get(uuid) else {
                return Err(ReplayError::Changed {
                    path: PathBuf::from(input.name()),
                    line,
                    uuid: uuid.to_string(),
                });
            };
            Some(i)
        } else {
            None
        };
        self.step.add(rec, vm);
        Ok(())
    }

    fn deploy_arrivals(&mut self, tmp: u64) {
        let learnt = self.learnt;
        while let Some(&i) = learnt.arrivals.get(self.next_arrival) {
            let vm = &learnt.vms[i as usize];
            if vm.first_s > Some(tmp) {
                break;
            }
            self.next_arrival += 1;
            debug_assert_eq!(vm.first_s, Some(tmp), "every sighting is a timestamp");
            if vm.first_s != Some(tmp) {
                continue;
            }
            let (Some(vcpus), Some(mem_mb), Some(level)) =
                (vm.vcpus, self.replayed_mem_mb(vm), vm.level)
            else {
                continue; // the prototype cannot build such a VM either
            };
            let req = VmRequest::new(vm.uuid.clone(), vcpus as u32, mem_mb, level);
            let key = pyfmt::float(level);
            self.dirty = true;
            match self.host.deploy(&req) {
                Ok(_) => *self.summary.accepted.entry(key).or_default() += 1,
                Err(e) => self.refuse(vm, tmp, key, &e),
            }
        }
    }

    fn refuse(&mut self, vm: &VmTrace, tmp: u64, key: String, e: &DeployError) {
        *self
            .summary
            .refused_per_level
            .entry(key.clone())
            .or_default() += 1;
        let resource = match e {
            DeployError::NotEnoughCpu { .. } => "cpu",
            DeployError::NotEnoughMem { .. } => "mem",
            _ => "invalid",
        };
        self.summary.refused.push(Refusal {
            vm: vm.name.clone(),
            uuid: vm.uuid.clone(),
            time_s: tmp,
            level: key,
            resource: resource.into(),
            reason: e.to_string(),
        });
    }

    /// Removes the VMs last seen at `previous` (the timestamp before this one).
    fn remove_departures(&mut self, previous: Option<u64>) {
        let Some(previous) = previous else { return };
        let learnt = self.learnt;
        while let Some(&i) = learnt.departures.get(self.next_departure) {
            let vm = &learnt.vms[i as usize];
            if vm.last_s > previous {
                break;
            }
            self.next_departure += 1;
            if vm.last_s == previous {
                // Refused or already gone: nothing to free, as in the prototype.
                self.dirty = true;
                let _ = self.host.remove(&vm.uuid);
            }
        }
    }

    fn vm_config(&self, vm: u32, res: Res) -> Option<f64> {
        let vm = &self.learnt.vms[vm as usize];
        match res {
            Res::Cpu => vm.vcpus.map(f64::trunc),
            Res::Mem => self.replayed_mem_mb(vm).map(|m| m as f64),
        }
    }

    fn track(&mut self, order: usize, subset: &str, res: Res, size: u64) {
        let by_id = self.sizes.entry(order).or_default();
        match by_id.get_mut(subset) {
            Some(entry) => {
                entry.min = entry.min.min(size);
                entry.max = entry.max.max(size);
                entry.last = size;
            }
            None => {
                let entry = VNodeSummary {
                    subset: subset.to_string(),
                    res: res.as_str().into(),
                    min: size,
                    max: size,
                    last: size,
                };
                by_id.insert(subset.to_string(), entry);
            }
        }
    }

    /// Writes this timestamp's rows: per resource the host row, then each
    /// vNode's row followed by its VMs' rows.
    fn emit(&mut self, tmp: u64, out: &mut Option<&mut TraceWriter>) -> Result<(), ReplayError> {
        if self.dirty {
            self.views = [self.vnode_views(Res::Cpu), self.vnode_views(Res::Mem)];
            self.dirty = false;
        }
        let views = std::mem::take(&mut self.views);
        let result = [Res::Cpu, Res::Mem]
            .into_iter()
            .try_for_each(|res| self.emit_res(tmp, res, &views[res.index()], out));
        self.views = views;
        result?;
        for i in std::mem::take(&mut self.unreported) {
            self.dirty = true;
            let _ = self.host.remove(&self.learnt.vms[i as usize].uuid);
        }
        Ok(())
    }

    fn emit_res(
        &mut self,
        tmp: u64,
        res: Res,
        views: &[VNodeView],
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        let i = res.index();
        let topo = self.host.topology();
        let capacity = match res {
            Res::Cpu => topo.cpu_count() as f64,
            Res::Mem => topo.mem_allowed_mb() as f64,
        };
        let global = Row {
            tmp,
            rec: Some(RecKind::Global),
            res: Some(res),
            val: self.step.global[i],
            config: Some(capacity),
            ..Row::default()
        };
        self.put(out, &global)?;
        for (order, v) in views.iter().enumerate() {
            let rows = self.step.rows(i, v.id);
            let val = rows.and_then(|r| r.val);
            if res == Res::Cpu {
                self.record_series(order, v.level, tmp, v.size, val);
            }
            self.track(order + i * 1000, &v.subset, res, v.size);
            let subset = Row {
                tmp,
                rec: Some(RecKind::Subset),
                res: Some(res),
                val,
                config: Some(v.size as f64),
                subset: Some(&v.subset),
                sb_oc: Some(&v.oc),
                sb_unused: Some(v.unused as f64),
                sb_dsc: Some(&v.dsc),
                ..Row::default()
            };
            self.put(out, &subset)?;
            self.emit_vms(tmp, res, v, out)?;
            if self.opts.host.quirks.replay_drop_unreported {
                for &hosted in &v.vms {
                    if !self.step.reported(i, v.id, hosted) {
                        self.unreported.push(hosted);
                    }
                }
            }
        }
        Ok(())
    }

    /// The VM rows reported under the vNode, in input order.
    fn emit_vms(
        &mut self,
        tmp: u64,
        res: Res,
        v: &VNodeView,
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        let Some(rows) = self.step.rows(res.index(), v.id) else {
            return Ok(());
        };
        let mut written = 0;
        for &(vm, val) in &rows.vms {
            let trace = &self.learnt.vms[vm as usize];
            let row = Row {
                tmp,
                rec: Some(RecKind::Vm),
                res: Some(res),
                val,
                config: self.vm_config(vm, res),
                subset: Some(&v.subset),
                vm_uuid: Some(&trace.uuid),
                vm_cmn: Some(&trace.name),
                sb_oc: Some(&v.oc),
                ..Row::default()
            };
            if let Some(w) = out.as_deref_mut() {
                w.write_row(&row)?;
            }
            written += 1;
        }
        self.summary.rows_out += written;
        Ok(())
    }

    fn put(
        &mut self,
        out: &mut Option<&mut TraceWriter>,
        row: &Row<'_>,
    ) -> Result<(), ReplayError> {
        if let Some(w) = out.as_deref_mut() {
            w.write_row(row)?;
        }
        self.summary.rows_out += 1;
        Ok(())
    }

    fn record_series(&mut self, order: usize, level: f64, tmp: u64, size: u64, val: Option<f64>) {
        if self.series.len() <= order {
            self.series.push(VNodeSeries {
                level,
                points: Vec::new(),
            });
        }
        self.series[order].points.push((tmp, size, val));
    }

    /// First-pass indexes of hosted VMs (all of them were learnt).
    fn vm_indexes<'n>(&self, names: impl Iterator<Item = &'n str>) -> Vec<u32> {
        names
            .filter_map(|n| {
                let i = self.learnt.index.get(n).copied();
                debug_assert!(i.is_some(), "hosted VM {n} not in the trace");
                i
            })
            .collect()
    }

    fn vnode_views(&mut self, res: Res) -> Vec<VNodeView> {
        match res {
            Res::Cpu => (0..self.host.vnodes().len())
                .map(|i| self.cpu_view(i))
                .collect(),
            Res::Mem => {
                let m = self.host.mem();
                if !m.exists() {
                    return Vec::new();
                }
                let vms: Vec<&str> = m.vm_names().collect();
                let dsc = serde_json::json!({"range_mb": [0, m.size_mb()], "vms": vms}).to_string();
                let (size, unused) = (m.size_mb(), m.unused_mb());
                let vms = self.vm_indexes(m.vm_names());
                vec![VNodeView {
                    id: self.step.id("subset-1"),
                    subset: "subset-1".into(),
                    oc: "1".into(),
                    level: 1.0,
                    size,
                    unused,
                    dsc,
                    vms,
                }]
            }
        }
    }

    fn cpu_view(&mut self, i: usize) -> VNodeView {
        let v = &self.host.vnodes()[i];
        let oc = pyfmt::float(v.level());
        let cpus = self.host.vnode_cpu_ids(i);
        let names: Vec<&str> = v.vm_names().collect();
        let dsc = serde_json::json!({"level": v.level(), "cpus": cpus, "vms": names}).to_string();
        let (level, size, unused) = (v.level(), v.cap(), v.unused());
        let vms = self.vm_indexes(v.vm_names());
        let subset = format!("subset-{oc}");
        VNodeView {
            id: self.step.id(&subset),
            subset,
            dsc,
            oc,
            level,
            size,
            unused,
            vms,
        }
    }
}

/// Replays `input` on `topo`, writing the recomputed trace to `out` when
/// given. `progress(done, total)` is called as timestamps complete.
pub fn replay(
    topo: Arc<Topology>,
    opts: ReplayOptions,
    input: &TraceSource,
    out: Option<&mut TraceWriter>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ReplayOutcome, ReplayError> {
    let first = first_pass(input)?;
    replay_learnt(topo, opts, input, first, out, progress)
}

/// What the first pass over a trace learnt (each VM's shape, first and
/// last sighting); O(VMs) memory. Needs no topology, so a caller can load
/// one meanwhile.
pub struct FirstPass {
    learnt: Learnt,
    wall: Duration,
    /// The copy of standard input, when that was the input.
    spool: Option<Spool>,
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

/// The first of the replay's two passes (see [`replay_learnt`]).
pub fn first_pass(input: &TraceSource) -> Result<FirstPass, ReplayError> {
    let started = Instant::now();
    let (learnt, spool) = learn(input)?;
    Ok(FirstPass {
        learnt,
        wall: started.elapsed(),
        spool,
    })
}

/// The second pass: replays `input` knowing what `first` learnt from it.
/// [`replay`] is [`first_pass`] then this. Rows are read ahead on another
/// thread ([`PrefetchReader`]) while this one schedules and writes.
pub fn replay_learnt(
    topo: Arc<Topology>,
    opts: ReplayOptions,
    input: &TraceSource,
    first: FirstPass,
    mut out: Option<&mut TraceWriter>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ReplayOutcome, ReplayError> {
    let started = Instant::now();
    let learnt = &first.learnt;
    let total = learnt.timestamps;
    let mut r = Replayer::new(topo, opts, input, learnt);
    let mut reader = match &first.spool {
        Some(spool) => spool.reopen()?,
        None => input.open()?,
    };
    reader.skip_columns(&SKIPPED_BY_REPLAY);
    let mut reader = PrefetchReader::spawn(reader);
    let mut k = 0u64;
    let mut current: Option<u64> = None;
    let mut previous: Option<u64> = None;
    loop {
        let row = reader.next_row()?;
        let tmp = row.map(|(rec, _)| rec.tmp);
        if tmp != current {
            if let Some(done) = current {
                r.finish_step(done, previous, &mut out)?;
                previous = Some(done);
                k += 1;
                if k.is_multiple_of(64) || k == total {
                    progress(k, total);
                }
            }
            current = tmp;
            r.step.begin();
        }
        let Some((rec, line)) = row else { break };
        r.add(rec, input, line)?;
    }
    let wall_s = (first.wall + started.elapsed()).as_secs_f64();
    Ok(r.finish(wall_s))
}

fn quirk_map(opts: &ReplayOptions) -> BTreeMap<String, bool> {
    let q = opts.host.quirks;
    [
        ("empty-vnode-first-free", q.empty_vnode_first_free),
        ("replay-mem-kib", q.replay_mem_kib),
        ("balance-mixed-units", q.balance_mixed_units),
        ("socket-as-numa", q.socket_as_numa),
        ("keep-vnode-after-rollback", q.keep_vnode_after_rollback),
        ("replay-first-step-clamp", q.replay_first_step_clamp),
        ("replay-drop-unreported", q.replay_drop_unreported),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
