//! Offline replay (local-scheduler.md, "Replaying a monitoring trace"):
//! a monitoring trace in, the local scheduler recomputing every vNode, a
//! trace out in the same format, plus a summary and the series figure 3
//! plots. Two streaming passes over the input (the first learns each VM's
//! shape and first/last sighting, the second replays timestamp by
//! timestamp), so memory stays flat in trace length.

use crate::host::{Host, HostOptions};
use crate::pyfmt;
use crate::scheduler::{DeployError, LocalScheduler, VmRequest};
use crate::topology::Topology;
use crate::trace::{RecKind, Record, Res, TraceError, TraceReader, TraceWriter};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

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
}

/// A VM as learnt from the first pass.
#[derive(Debug, Clone, Default)]
struct VmTrace {
    uuid: String,
    name: String,
    vcpus: Option<f64>,
    mem: Option<f64>,
    level: Option<f64>,
    level_text: Option<String>,
    first_s: Option<u64>,
    last_s: u64,
    refused: bool,
}

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

/// VM rows of one vNode at one timestamp: (uuid, val), one per uuid, input order.
type VmRows = Vec<(String, Option<f64>)>;

/// The per-timestamp input rows, grouped.
#[derive(Default)]
struct Step {
    global: [Option<f64>; 2],
    subset: [BTreeMap<String, Option<f64>>; 2],
    /// (res, subset id) -> VM rows (uuid, val) in input order, one per uuid.
    vms: [BTreeMap<String, VmRows>; 2],
}

impl Step {
    fn clear(&mut self) {
        self.global = [None, None];
        for i in 0..2 {
            self.subset[i].clear();
            self.vms[i].clear();
        }
    }

    fn add(&mut self, r: &Record) {
        let Some(res) = r.res else { return };
        let i = res.index();
        match r.rec {
            Some(RecKind::Global) => self.global[i] = r.val,
            Some(RecKind::Subset) => {
                let id = r.subset.clone().unwrap_or_else(|| "None".into());
                self.subset[i].insert(id.clone(), r.val);
                self.vms[i].entry(id).or_default();
            }
            Some(RecKind::Vm) => {
                let id = r.subset.clone().unwrap_or_else(|| "None".into());
                let uuid = r.vm_uuid.clone().unwrap_or_else(|| "None".into());
                let rows = self.vms[i].entry(id).or_default();
                // The prototype keys VM usage by uuid: first position, last value.
                match rows.iter_mut().find(|(u, _)| *u == uuid) {
                    Some(row) => row.1 = r.val,
                    None => rows.push((uuid, r.val)),
                }
            }
            None => {}
        }
    }
}

/// Where the input trace comes from (read twice: once to learn, once to replay).
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

struct Learnt {
    vms: Vec<VmTrace>,
    index: HashMap<String, usize>,
    timestamps: Vec<u64>,
    rows: u64,
}

fn learn(input: &TraceSource) -> Result<Learnt, ReplayError> {
    let mut reader = input.open()?;
    let mut rec = Record::default();
    let mut learnt = Learnt {
        vms: Vec::new(),
        index: HashMap::new(),
        timestamps: Vec::new(),
        rows: 0,
    };
    while reader.next_into(&mut rec)? {
        learnt.rows += 1;
        match learnt.timestamps.last() {
            Some(&last) if rec.tmp < last => {
                return Err(ReplayError::Unsorted {
                    path: PathBuf::from(input.name()),
                    line: reader.line(),
                    tmp: rec.tmp,
                    previous: last,
                })
            }
            Some(&last) if rec.tmp == last => {}
            _ => learnt.timestamps.push(rec.tmp),
        }
        if rec.rec == Some(RecKind::Vm) {
            learn_vm(&mut learnt, &rec);
        }
    }
    Ok(learnt)
}

fn learn_vm(learnt: &mut Learnt, rec: &Record) {
    let uuid = rec.vm_uuid.as_deref().unwrap_or("None");
    let idx = match learnt.index.get(uuid) {
        Some(&i) => i,
        None => {
            learnt.vms.push(VmTrace {
                uuid: uuid.to_string(),
                ..VmTrace::default()
            });
            learnt.index.insert(uuid.to_string(), learnt.vms.len() - 1);
            learnt.vms.len() - 1
        }
    };
    let vm = &mut learnt.vms[idx];
    vm.name = rec.vm_cmn.clone().unwrap_or_else(|| "None".into());
    match rec.res {
        Some(Res::Cpu) => {
            vm.vcpus = rec.config;
            vm.level_text = rec.sb_oc.clone();
            vm.level = rec.sb_oc.as_deref().and_then(|s| s.parse().ok());
            vm.first_s.get_or_insert(rec.tmp);
            vm.last_s = rec.tmp;
        }
        Some(Res::Mem) => vm.mem = rec.config,
        None => {}
    }
}

/// The state a replay carries from one timestamp to the next.
struct Replayer<'a> {
    host: Host,
    opts: ReplayOptions,
    learnt: &'a mut Learnt,
    summary: ReplaySummary,
    series: Vec<VNodeSeries>,
    sizes: BTreeMap<(usize, String), VNodeSummary>,
}

impl Replayer<'_> {
    fn replayed_mem_mb(&self, vm: &VmTrace) -> Option<u64> {
        let mem = vm.mem? as u64;
        Some(if self.opts.host.quirks.replay_mem_kib {
            mem / 1024
        } else {
            mem
        })
    }

    fn deploy_arrivals(&mut self, tmp: u64) {
        for i in 0..self.learnt.vms.len() {
            let vm = &self.learnt.vms[i];
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
            match self.host.deploy(&req) {
                Ok(_) => *self.summary.accepted.entry(key).or_default() += 1,
                Err(e) => self.refuse(i, tmp, key, &e),
            }
        }
    }

    fn refuse(&mut self, i: usize, tmp: u64, key: String, e: &DeployError) {
        let vm = &mut self.learnt.vms[i];
        vm.refused = true;
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

    fn remove_departures(&mut self, k: usize) {
        let previous = if k == 0 {
            if !self.opts.host.quirks.replay_first_step_clamp {
                return;
            }
            self.learnt.timestamps[0]
        } else {
            self.learnt.timestamps[k - 1]
        };
        for vm in &self.learnt.vms {
            if vm.first_s.is_some() && vm.last_s == previous {
                // Refused or already gone: nothing to free, as in the prototype.
                let _ = self.host.remove(&vm.uuid);
            }
        }
    }

    fn vm_config(&self, uuid: &str, res: Res) -> Option<f64> {
        let vm = &self.learnt.vms[*self.learnt.index.get(uuid)?];
        match res {
            Res::Cpu => vm.vcpus.map(f64::trunc),
            Res::Mem => self.replayed_mem_mb(vm).map(|m| m as f64),
        }
    }

    fn track(&mut self, order: usize, subset: &str, res: Res, size: u64) {
        let entry = self
            .sizes
            .entry((order, subset.to_string()))
            .or_insert(VNodeSummary {
                subset: subset.to_string(),
                res: res.as_str().into(),
                min: size,
                max: size,
                last: size,
            });
        entry.min = entry.min.min(size);
        entry.max = entry.max.max(size);
        entry.last = size;
    }

    fn emit(
        &mut self,
        tmp: u64,
        step: &Step,
        out: &mut Option<&mut TraceWriter>,
    ) -> Result<(), ReplayError> {
        let mut rows: Vec<Record> = Vec::new();
        let mut unreported: Vec<String> = Vec::new();
        for res in [Res::Cpu, Res::Mem] {
            let topo = self.host.topology();
            let capacity = match res {
                Res::Cpu => topo.cpu_count() as f64,
                Res::Mem => topo.mem_allowed_mb() as f64,
            };
            rows.push(Record {
                tmp,
                rec: Some(RecKind::Global),
                res: Some(res),
                val: step.global[res.index()],
                config: Some(capacity),
                ..Record::default()
            });
            for (order, v) in self.vnode_views(res).into_iter().enumerate() {
                let val = step.subset[res.index()].get(&v.subset).copied().flatten();
                if res == Res::Cpu {
                    self.record_series(order, v.level, tmp, v.size, val);
                }
                self.track(order + res.index() * 1000, &v.subset, res, v.size);
                rows.push(Record {
                    tmp,
                    rec: Some(RecKind::Subset),
                    res: Some(res),
                    val,
                    config: Some(v.size as f64),
                    subset: Some(v.subset.clone()),
                    sb_oc: Some(v.oc.clone()),
                    sb_unused: Some(v.unused as f64),
                    sb_dsc: Some(v.dsc.clone()),
                    ..Record::default()
                });
                let reported = step.vms[res.index()].get(&v.subset);
                for (uuid, val) in reported.into_iter().flatten() {
                    let name = self
                        .learnt
                        .index
                        .get(uuid)
                        .map(|&i| self.learnt.vms[i].name.clone());
                    rows.push(Record {
                        tmp,
                        rec: Some(RecKind::Vm),
                        res: Some(res),
                        val: *val,
                        config: self.vm_config(uuid, res),
                        subset: Some(v.subset.clone()),
                        vm_uuid: Some(uuid.clone()),
                        vm_cmn: name,
                        sb_oc: Some(v.oc.clone()),
                        ..Record::default()
                    });
                }
                if self.opts.host.quirks.replay_drop_unreported {
                    for hosted in &v.vms {
                        if !reported.is_some_and(|r| r.iter().any(|(u, _)| u == hosted)) {
                            unreported.push(hosted.clone());
                        }
                    }
                }
            }
        }
        if let Some(w) = out.as_deref_mut() {
            for r in &rows {
                w.write(r)?;
            }
        }
        self.summary.rows_out += rows.len() as u64;
        for uuid in unreported {
            let _ = self.host.remove(&uuid);
        }
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

    fn vnode_views(&self, res: Res) -> Vec<VNodeView> {
        match res {
            Res::Cpu => self
                .host
                .vnodes()
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let oc = pyfmt::float(v.level());
                    let cpus = self.host.vnode_cpu_ids(i);
                    let vms: Vec<String> = v.vm_names().map(str::to_string).collect();
                    VNodeView {
                        subset: format!("subset-{oc}"),
                        dsc: serde_json::json!({"level": v.level(), "cpus": cpus, "vms": vms})
                            .to_string(),
                        oc,
                        level: v.level(),
                        size: v.cap(),
                        unused: v.unused(),
                        vms,
                    }
                })
                .collect(),
            Res::Mem => {
                let m = self.host.mem();
                if !m.exists() {
                    return Vec::new();
                }
                let vms: Vec<String> = m.vm_names().map(str::to_string).collect();
                vec![VNodeView {
                    subset: "subset-1".into(),
                    oc: "1".into(),
                    level: 1.0,
                    size: m.size_mb(),
                    unused: m.unused_mb(),
                    dsc: serde_json::json!({"range_mb": [0, m.size_mb()], "vms": vms}).to_string(),
                    vms,
                }]
            }
        }
    }
}

struct VNodeView {
    subset: String,
    oc: String,
    level: f64,
    size: u64,
    unused: u64,
    dsc: String,
    vms: Vec<String>,
}

/// Replays `input` on `topo`, writing the recomputed trace to `out` when
/// given. `progress(done, total)` is called as timestamps complete.
pub fn replay(
    topo: Arc<Topology>,
    opts: ReplayOptions,
    input: &TraceSource,
    mut out: Option<&mut TraceWriter>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ReplayOutcome, ReplayError> {
    let started = Instant::now();
    let mut learnt = learn(input)?;
    let total = learnt.timestamps.len() as u64;
    let quirks = quirk_map(&opts);
    let mut r = Replayer {
        host: Host::new(topo.clone(), opts.host),
        opts,
        summary: ReplaySummary {
            input: input.name(),
            topology: topo.name().to_string(),
            quirks,
            timestamps: total,
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
        learnt: &mut learnt,
        series: Vec::new(),
        sizes: BTreeMap::new(),
    };
    let mut reader = input.open()?;
    let mut rec = Record::default();
    let mut step = Step::default();
    let mut k = 0usize;
    let mut pending = reader.next_into(&mut rec)?;
    while pending {
        let tmp = rec.tmp;
        step.clear();
        while pending && rec.tmp == tmp {
            step.add(&rec);
            pending = reader.next_into(&mut rec)?;
        }
        r.deploy_arrivals(tmp);
        r.remove_departures(k);
        r.emit(tmp, &step, &mut out)?;
        k += 1;
        if k.is_multiple_of(64) || k as u64 == total {
            progress(k as u64, total);
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    r.summary.vnodes = r.sizes.into_values().collect();
    r.summary.wall_s = wall_s;
    r.summary.rows_per_s = if wall_s > 0.0 {
        r.summary.rows_in as f64 / wall_s
    } else {
        0.0
    };
    Ok(ReplayOutcome {
        summary: r.summary,
        series: r.series,
    })
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
