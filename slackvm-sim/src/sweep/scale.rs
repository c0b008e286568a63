//! `sweep scale`: one workload (synthetic, or read from a trace) run once
//! on a fixed number of hosts with one policy and one host model, refusals
//! counted, timed. What the scaling report and `figures/scaling.svg` are
//! made of. The writers of [`crate::workload::export`] are re-exported here:
//! they let the trace path (reader included) be timed on a file of any size.

use crate::cluster::engine::{run, EngineOptions, Hosts, OnRefusal, RunOutcome};
use crate::cluster::model::{CountingModel, ModelKind, ModelOptions, VnodeModel};
use crate::cluster::schedule::{EventOrder, Schedule};
use crate::cluster::{ClusterError, PolicyKind};
use crate::host::HostOptions;
use crate::topology::synthetic;
use crate::topology::{Topology, TopologyError};
pub use crate::workload::export::{write_huawei, write_vmtable};
use crate::workload::EventList;
use std::sync::Arc;
use std::time::Instant;

/// How a scale run places VMs.
#[derive(Debug, Clone)]
pub struct ScaleConfig {
    /// Placement policy.
    pub policy: PolicyKind,
    /// Host model.
    pub model: ModelKind,
    /// Hosts of the cluster.
    pub hosts: usize,
    /// CPUs of one host (`vnode` hosts: one socket of this many cores, 8
    /// cores per L3).
    pub host_cpus: u32,
    /// MB of one host.
    pub host_mem_mb: u64,
    /// The published 8 GiB memory cap for oversubscribed VMs.
    pub mem_cap: bool,
    /// Order of simultaneous events.
    pub order: EventOrder,
    /// Decide by scanning every host (the oracle) instead of the index.
    pub scan: bool,
    /// Topology of `vnode` hosts (`None`: one socket of `host_cpus` cores).
    pub topology: Option<Arc<Topology>>,
}

impl ScaleConfig {
    /// `first-fit` on the counting model, hosts of 32 CPUs and 128 GB,
    /// memory cap on, arrivals first, index on.
    pub fn new(hosts: usize) -> Self {
        ScaleConfig {
            policy: PolicyKind::FirstFit,
            model: ModelKind::Counting,
            hosts,
            host_cpus: 32,
            host_mem_mb: 131_072,
            mem_cap: true,
            order: EventOrder::ArrivalsFirst,
            scan: false,
            topology: None,
        }
    }
}

/// Why a scale run cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScaleError {
    /// The workload is not valid for the cluster engine.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The host shape is not a valid topology.
    #[error("host shape ({cpus} CPUs, {mem_mb} MB): {source}")]
    Topology {
        /// CPUs asked.
        cpus: u32,
        /// MB asked.
        mem_mb: u64,
        /// Why.
        source: TopologyError,
    },
}

/// The measured result of one run.
#[derive(Debug, Clone)]
pub struct ScaleRun {
    /// The engine's outcome.
    pub outcome: RunOutcome,
    /// Events processed (arrivals and departures).
    pub events: usize,
    /// Seconds to prepare the schedule (validation, processing order).
    pub prepare_s: f64,
    /// Seconds of the event loop.
    pub simulate_s: f64,
}

/// Runs `list` once as `cfg` says.
pub fn run_scale(list: &EventList, cfg: &ScaleConfig) -> Result<ScaleRun, ScaleError> {
    let start = Instant::now();
    let schedule = Schedule::new(list, cfg.order, cfg.mem_cap)?;
    run_schedule(&schedule, cfg, start.elapsed().as_secs_f64())
}

/// Runs a prepared schedule once as `cfg` says (its order and memory cap
/// win over `cfg`'s); `prepare_s` is the time it took to prepare.
pub fn run_schedule(
    schedule: &Schedule,
    cfg: &ScaleConfig,
    prepare_s: f64,
) -> Result<ScaleRun, ScaleError> {
    let opts = EngineOptions {
        on_refusal: OnRefusal::Count,
        scan: cfg.scan,
    };
    let hosts = Hosts::Fixed(cfg.hosts);
    let start = Instant::now();
    let outcome = match cfg.model {
        ModelKind::Counting => {
            let counting = ModelOptions {
                cpus: u64::from(cfg.host_cpus),
                mem_mb: cfg.host_mem_mb,
                ..ModelOptions::default()
            };
            let model = CountingModel::new(&schedule.vms, &schedule.levels, counting);
            run(schedule, &model, cfg.policy, hosts, opts)
        }
        ModelKind::Vnode => {
            let topo = match &cfg.topology {
                Some(t) => Arc::clone(t),
                None => Arc::new(synthetic(1, cfg.host_cpus, 1, 8, cfg.host_mem_mb).map_err(
                    |source| ScaleError::Topology {
                        cpus: cfg.host_cpus,
                        mem_mb: cfg.host_mem_mb,
                        source,
                    },
                )?),
            };
            let model = VnodeModel::new(&schedule.vms, &schedule.ids, topo, HostOptions::default());
            run(schedule, &model, cfg.policy, hosts, opts)
        }
    };
    Ok(ScaleRun {
        outcome,
        events: schedule.events.len(),
        prepare_s,
        simulate_s: start.elapsed().as_secs_f64(),
    })
}

/// Peak resident memory of this process in MB (Linux `VmHWM`), if known.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::synthetic::{scale_workload, ScaleSpec};
    use crate::workload::{parse_huawei, Catalogue};

    #[test]
    fn indexed_and_scanned_scale_runs_agree() {
        // Above INDEX_MIN_HOSTS, so the index is used.
        let spec = ScaleSpec::new(160, 3000);
        let list = scale_workload(&Catalogue::ovhcloud2023(), &spec).unwrap();
        for policy in PolicyKind::ALL {
            for model in [ModelKind::Counting, ModelKind::Vnode] {
                let mut cfg = ScaleConfig::new(160);
                cfg.policy = policy;
                cfg.model = model;
                let fast = run_scale(&list, &cfg).unwrap();
                cfg.scan = true;
                let slow = run_scale(&list, &cfg).unwrap();
                assert_eq!(
                    fast.outcome,
                    slow.outcome,
                    "{} {}",
                    policy.name(),
                    model.name()
                );
                assert_eq!(fast.events, list.events.len());
            }
        }
    }

    #[test]
    fn a_huawei_export_reads_back_as_the_same_workload() {
        let spec = ScaleSpec {
            level_shares_pct: [100, 0, 0],
            ..ScaleSpec::new(20, 500)
        };
        let list = scale_workload(&Catalogue::ovhcloud2023(), &spec).unwrap();
        let mut bytes = Vec::new();
        write_huawei(&list, &mut bytes).unwrap();
        let back = parse_huawei(bytes.as_slice(), "export").unwrap();
        assert_eq!(back.vms.len(), list.vms.len());
        assert_eq!(back.events.len(), list.events.len());
        let cfg = ScaleConfig::new(20);
        let a = run_scale(&list, &cfg).unwrap();
        let b = run_scale(&back, &cfg).unwrap();
        assert_eq!(
            (a.outcome.placed, a.outcome.refused),
            (b.outcome.placed, b.outcome.refused)
        );
    }
}
