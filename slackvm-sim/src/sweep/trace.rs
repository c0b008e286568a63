//! `sweep --trace FILE`: the minimum-host search on a VM trace instead of
//! generated workloads. The trace is read once; a unit is one seed (the
//! level draw), one policy and one model, in that order (seed-major), so a
//! shard `i/n` runs a contiguous slice as the grid does. Each unit gives
//! the trace's VMs their levels ([`LevelRule`]), leaves out VMs no empty
//! host can take if `--oversize drop|count` says so (else that is an error
//! naming the VM), and sizes the rest: SlackVM against one dedicated
//! cluster per level, with the lower bound. Rows are the grid's
//! (`catalogue` = the trace file's name, `vms` = its VM count, `oc1..3` =
//! the integer % of VMs at each level, `level_rule` = the rule). When the
//! trace gives every VM's CPU use (vmtable), the price-of-packing columns
//! (shortage per level, energy) are measured ([`unit_price`]).

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use super::grid::Shard;
use super::host::HostSpec;
use super::rows::SizingRow;
use super::run::{in_pool, size_point, Point};
use super::SweepError;
use crate::cluster::cpu::{stats_series, CpuUsage};
use crate::cluster::model::{CountingModel, HostModel, VnodeModel};
use crate::cluster::price::PriceConfig;
use crate::cluster::schedule::{EventOrder, Schedule};
use crate::cluster::{ModelKind, PolicyKind};
use crate::host::HostOptions;
use crate::workload::readers::monitoring::UsageSamples;
use crate::workload::{CpuStats, EventKind, LevelRule, TraceRead};

/// What to do with a VM that no empty host can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversize {
    /// Stop with an error naming the VM (default).
    Error,
    /// Leave it out of the workload; counted in `oversize_vms`.
    Drop,
    /// Sizing: as `drop`. `sweep scale`: the VM stays and is refused on
    /// arrival, counted with the refusals.
    Count,
}

impl Oversize {
    /// Parses `error`, `drop` or `count`.
    pub fn parse(text: &str) -> Result<Oversize, SweepError> {
        match text {
            "error" => Ok(Oversize::Error),
            "drop" => Ok(Oversize::Drop),
            "count" => Ok(Oversize::Count),
            _ => Err(SweepError::Param {
                param: "--oversize",
                message: format!("`{text}` is not error, drop or count"),
            }),
        }
    }
}

/// A trace sweep.
#[derive(Debug, Clone)]
pub struct TraceSpec {
    /// Name written in the `catalogue` column (the file name).
    pub name: String,
    /// How levels are given.
    pub rule: LevelRule,
    /// Seeds of the level draws.
    pub seeds: Vec<u64>,
    /// Policies.
    pub policies: Vec<PolicyKind>,
    /// Host models.
    pub models: Vec<ModelKind>,
    /// 8 GiB memory cap.
    pub mem_cap: bool,
    /// Order of simultaneous events.
    pub order: EventOrder,
    /// Hosts.
    pub host: HostSpec,
    /// VMs no empty host takes.
    pub oversize: Oversize,
    /// Price of packing (usage step, power, shared pool, grid); its CPU
    /// usage is the trace's, per unit ([`unit_price`]).
    pub price: PriceConfig,
}

/// One unit of a trace sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceUnit {
    /// Seed of the level draw.
    pub seed: u64,
    /// Policy.
    pub policy: PolicyKind,
    /// Model.
    pub model: ModelKind,
}

impl TraceSpec {
    /// Every unit, seed-major, then policy, then model.
    pub fn units(&self) -> Vec<TraceUnit> {
        let mut out = Vec::new();
        for &seed in &self.seeds {
            for &policy in &self.policies {
                for &model in &self.models {
                    out.push(TraceUnit {
                        seed,
                        policy,
                        model,
                    });
                }
            }
        }
        out
    }
}

/// Runs the units of `spec` on `trace` (all, or a shard's), `tick` after
/// each. Rows come back in canonical order.
pub fn run_trace(
    spec: &TraceSpec,
    trace: &TraceRead,
    shard: Option<Shard>,
    threads: Option<usize>,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<SizingRow>, SweepError> {
    for (param, empty) in [
        ("--seeds", spec.seeds.is_empty()),
        ("--policy", spec.policies.is_empty()),
        ("--model", spec.models.is_empty()),
    ] {
        if empty {
            return Err(SweepError::Param {
                param,
                message: "the list is empty".into(),
            });
        }
    }
    let units = spec.units();
    let range = shard.map_or(0..units.len(), |s| s.range(units.len()));
    let work = || -> Result<Vec<SizingRow>, SweepError> {
        let mut rows: Vec<SizingRow> = units[range.clone()]
            .par_iter()
            .map(|u| {
                let row = run_unit(spec, trace, u);
                tick();
                row
            })
            .collect::<Result<_, _>>()?;
        rows.sort_by(SizingRow::canonical_cmp);
        Ok(rows)
    };
    in_pool(threads, work)
}

/// The trace with its levels for one seed, as a schedule, with the VMs
/// no empty host of `model` takes left out (or an error naming the first;
/// `keep_counted`: with [`Oversize::Count`] they stay, for `sweep scale`).
/// Returns the schedule, the VMs per level and the oversized VMs.
pub fn leveled_schedule(
    spec: &TraceSpec,
    trace: &TraceRead,
    seed: u64,
    model: ModelKind,
    keep_counted: bool,
) -> Result<(Schedule, [usize; 3], usize), SweepError> {
    leveled_schedule_owned(spec, trace.clone(), seed, model, keep_counted)
}

/// [`leveled_schedule`] consuming the trace (no copy: for one large run).
pub fn leveled_schedule_owned(
    spec: &TraceSpec,
    mut t: TraceRead,
    seed: u64,
    model: ModelKind,
    keep_counted: bool,
) -> Result<(Schedule, [usize; 3], usize), SweepError> {
    let counts = spec.rule.apply(&mut t, seed)?;
    let mut s = Schedule::from_list(t.list, spec.order, spec.mem_cap).map_err(|source| {
        SweepError::Cluster {
            what: spec.name.clone(),
            source,
        }
    })?;
    let big = oversized(&s, &spec.host, model);
    if big.is_empty() {
        return Ok((s, counts, 0));
    }
    if spec.oversize == Oversize::Error {
        let v = &s.vms[big[0]];
        return Err(SweepError::Param {
            param: "--oversize",
            message: format!(
                "{}: VM `{}` ({} vCPUs, {} MB, level {}:1) fits no empty {} host ({}); {} VMs in all: leave them out with --oversize drop or count, or give larger hosts",
                spec.name, s.ids[big[0]], v.vcpus, v.mem_mb, v.level.get(), model.name(), spec.host.name(model), big.len()
            ),
        });
    }
    if keep_counted && spec.oversize == Oversize::Count {
        return Ok((s, counts, big.len()));
    }
    let mut keep = vec![true; s.vms.len()];
    big.iter().for_each(|&i| keep[i] = false);
    s.retain_vms(|vm| keep[vm]);
    Ok((s, counts, big.len()))
}

/// Indexes of the VMs no empty host of `model` takes.
fn oversized(s: &Schedule, host: &HostSpec, model: ModelKind) -> Vec<usize> {
    fn check<M: HostModel>(s: &Schedule, m: &M) -> Vec<usize> {
        let empty = m.empty_host();
        (0..s.vms.len())
            .filter(|&i| m.probe(&empty, i).is_none())
            .collect()
    }
    let sc = host.sizing_config();
    match model {
        ModelKind::Counting => check(s, &CountingModel::new(&s.vms, &s.levels, sc.counting)),
        ModelKind::Vnode => check(
            s,
            &VnodeModel::new(
                &s.vms,
                &s.ids,
                std::sync::Arc::clone(&host.topology),
                HostOptions::default(),
            ),
        ),
    }
}

fn run_unit(spec: &TraceSpec, trace: &TraceRead, u: &TraceUnit) -> Result<SizingRow, SweepError> {
    let (schedule, counts, oversize_vms) = leveled_schedule(spec, trace, u.seed, u.model, false)?;
    let n = trace.list.vms.len().max(1);
    let pct = |c: usize| ((c * 100 + n / 2) / n) as u32;
    let shares = match spec.rule {
        LevelRule::Shares(s) => s,
        _ => [pct(counts[0]), pct(counts[1]), pct(counts[2])],
    };
    let rule = spec.rule.name();
    let point = Point {
        catalogue: &spec.name,
        shares,
        vms: trace.list.vms.len(),
        seed: u.seed,
        level_rule: &rule,
        oversize_vms,
        price: &unit_price(spec, trace, u.seed),
    };
    let what = || {
        format!(
            "{} seed {} {} {}",
            spec.name,
            u.seed,
            u.policy.name(),
            u.model.name()
        )
    };
    size_point(&schedule, &spec.host, u.policy, u.model, &point, what)
}

/// The price-of-packing settings of one unit: the spec's, with the VMs'
/// CPU usage when the trace gives every VM's summary (vmtable avg/p95/max:
/// [`stats_series`] over the VM's life at the usage step, seeded with the
/// unit's seed and the VM's index). A trace without usage gets none: its
/// shortage and energy columns are `NaN`, never invented.
pub fn unit_price(spec: &TraceSpec, trace: &TraceRead, seed: u64) -> PriceConfig {
    let mut price = spec.price.clone();
    if let Some(samples) = &trace.usage {
        price.cpu = Some(Arc::new(recorded_usage(
            trace,
            samples,
            price.accounting.step_s,
        )));
        return price;
    }
    let stats: Option<Vec<CpuStats>> = (0..trace.list.vms.len())
        .map(|vm| trace.attrs.get(vm).cpu)
        .collect();
    let Some(stats) = stats.filter(|s| !s.is_empty() && s.len() == trace.list.vms.len()) else {
        return price;
    };
    let step_s = price.accounting.step_s.max(1);
    let spans = life_spans(trace);
    let mut usage = CpuUsage::with_capacity(stats.len());
    for (vm, (s, &(start_s, stop_s))) in stats.iter().zip(&spans).enumerate() {
        let n = (stop_s.saturating_sub(start_s).div_ceil(step_s)).max(1) as usize;
        usage.push(
            start_s,
            step_s,
            stats_series(s.avg, s.p95, s.max, n, seed, vm as u64),
        );
    }
    price.cpu = Some(Arc::new(usage));
    price
}

/// The usage a monitoring trace recorded, held at the usage step: the
/// value at `start + k step` is the VM's last sample at or before it (its
/// first before its first sample), over the VM's life.
fn recorded_usage(trace: &TraceRead, samples: &UsageSamples, step_s: u64) -> CpuUsage {
    debug_assert_eq!(samples.len(), trace.list.vms.len());
    let step_s = step_s.max(1);
    let spans = life_spans(trace);
    let mut usage = CpuUsage::with_capacity(samples.len());
    for (s, &(start_s, stop_s)) in samples.iter().zip(&spans) {
        let n = (stop_s.saturating_sub(start_s).div_ceil(step_s)).max(1);
        let mut next = 0;
        let values = (0..n).map(|k| {
            let t = start_s + k * step_s;
            while next + 1 < s.len() && s[next + 1].0 <= t {
                next += 1;
            }
            s.get(next).map_or(0.0, |&(_, u)| f64::from(u))
        });
        usage.push(start_s, step_s, values.collect::<Vec<_>>());
    }
    usage
}

/// Each VM's `(arrival, departure or end of the trace)` in seconds.
fn life_spans(trace: &TraceRead) -> Vec<(u64, u64)> {
    let end_s = trace.list.end_time_s();
    let mut spans = vec![(0u64, end_s); trace.list.vms.len()];
    for e in &trace.list.events {
        match e.kind {
            EventKind::Arrival => spans[e.vm].0 = e.time_s,
            EventKind::Departure => spans[e.vm].1 = e.time_s,
        }
    }
    spans
}

/// The name of a trace in outputs: its file name.
pub fn trace_name(path: &std::path::Path) -> String {
    path.file_name()
        .map_or_else(
            || PathBuf::from(path).display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
        .replace([',', '\n', '\r'], "_")
}
