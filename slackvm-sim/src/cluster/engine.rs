//! The discrete-event loop (cluster-experiment.md): a [`Schedule`]'s steps
//! in order on a cluster of hosts of one [`HostModel`], each arrival placed
//! by a [`Policy`]. Integer time; at a time, events run in the schedule's
//! order (arrivals first by default). A refusal ends the run ("does not
//! fit", the paper's rule) or is counted and the VM skipped
//! ([`OnRefusal`]). The loop allocates nothing per event: hosts and the
//! VM-to-host map are sized once per run.
//!
//! Measured along the way: hosts ever used, refusals, and the time
//! integral of CPUs and MB in use over `[0, horizon)` (for the share of
//! unallocated capacity).

use super::index::HostIndex;
use super::model::{HostModel, Usage};
use super::policy::Policy;
use super::schedule::Schedule;

/// What happens when no host fits an arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnRefusal {
    /// The run ends: this host count does not fit the workload.
    #[default]
    Stop,
    /// The VM is counted as refused and never placed (its departure is a no-op).
    Count,
}

/// How many hosts the cluster has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hosts {
    /// Exactly N hosts.
    Fixed(usize),
    /// A new host is opened whenever no open host fits (first-fit style
    /// policies only give the minimum this way, see [`Policy::on_demand_exact`]).
    OnDemand,
}

/// Options of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineOptions {
    /// Refusal rule.
    pub on_refusal: OnRefusal,
    /// Decide by scanning every host even when the policy has an index
    /// (the straightforward oracle; same choices, slower).
    pub scan: bool,
}

/// One refused arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Time (s).
    pub time_s: u64,
    /// VM index.
    pub vm: usize,
}

/// Capacity summed over a cluster and time (for the unallocated shares).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capacity {
    /// Integral of CPUs in use over time (CPU x s).
    pub cpu_s: u128,
    /// Integral of MB in use over time (MB x s).
    pub mem_mb_s: u128,
    /// Length of the window (s); 1 when every event is at time 0 (the
    /// state after them is then weighted 1 s).
    pub window_s: u64,
}

/// Result of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// Hosts that held a VM at some point (highest index + 1).
    pub hosts_used: usize,
    /// Hosts of the cluster (N, or those opened on demand).
    pub hosts: usize,
    /// Refused arrivals (at most 1 with [`OnRefusal::Stop`]).
    pub refused: u64,
    /// The first refusal.
    pub first_refusal: Option<Refusal>,
    /// Arrivals placed.
    pub placed: u64,
    /// Peak number of VMs hosted at once.
    pub peak_vms: u64,
    /// Departures after which a host counted more than its capacity (the
    /// counting model can rise when a group falls below the critical size).
    pub over_capacity_after_departure: u64,
    /// Usage integrated over time (meaningful for complete runs).
    pub usage: Capacity,
}

impl RunOutcome {
    /// True when every arrival was placed.
    pub fn fits(&self) -> bool {
        self.refused == 0
    }
}

const UNPLACED: u32 = u32::MAX;

/// Below this many hosts a scan beats keeping the index up to date (the
/// `sweep` bench: a paper cell's searches run on a few dozen hosts).
pub const INDEX_MIN_HOSTS: usize = 128;

/// Whether a run keeps a [`HostIndex`]: the policy has one, the options
/// allow it, and the cluster is large enough (or grows on demand).
fn use_index<P: Policy>(policy: &P, hosts: Hosts, opts: EngineOptions) -> bool {
    let large = match hosts {
        Hosts::Fixed(n) => n >= INDEX_MIN_HOSTS,
        Hosts::OnDemand => true,
    };
    policy.uses_index() && !opts.scan && large
}

/// Runs a schedule.
pub fn run<M: HostModel, P: Policy>(
    schedule: &Schedule,
    model: &M,
    policy: &P,
    hosts: Hosts,
    opts: EngineOptions,
) -> RunOutcome {
    let mut cluster: Vec<M::Host> = match hosts {
        Hosts::Fixed(n) => vec![model.empty_host(); n],
        Hosts::OnDemand => Vec::with_capacity(64),
    };
    let mut index = use_index(policy, hosts, opts)
        .then(|| HostIndex::with_classes(model, &cluster, policy.exact_classes()));
    let cap = model.capacity();
    let mut on: Vec<u32> = vec![UNPLACED; schedule.vms.len()];
    let mut out = RunOutcome {
        hosts_used: 0,
        hosts: cluster.len(),
        refused: 0,
        first_refusal: None,
        placed: 0,
        peak_vms: 0,
        over_capacity_after_departure: 0,
        usage: Capacity::default(),
    };
    let (mut cpus, mut mem, mut vms_now) = (0u64, 0u64, 0u64);
    let mut last_t = schedule
        .steps
        .first()
        .map_or(0, |s| s.time_s)
        .min(schedule.horizon_s);
    let mut integrate = |t: u64, cpus: u64, mem: u64, out: &mut RunOutcome| {
        let t = t.min(schedule.horizon_s);
        if t > last_t {
            let dt = u128::from(t - last_t);
            out.usage.cpu_s += u128::from(cpus) * dt;
            out.usage.mem_mb_s += u128::from(mem) * dt;
            last_t = t;
        }
    };
    for step in &schedule.steps {
        integrate(step.time_s, cpus, mem, &mut out);
        let vm = step.vm as usize;
        if step.arrival {
            let mut chosen = match &index {
                Some(ix) => policy.choose_indexed(model, &cluster, ix, vm),
                None => policy.choose(model, &cluster, vm),
            };
            if chosen.is_none() && hosts == Hosts::OnDemand {
                let fresh = model.empty_host();
                if model.probe(&fresh, vm).is_some() {
                    cluster.push(fresh);
                    if let Some(ix) = index.as_mut() {
                        ix.push(model, &cluster);
                    }
                    chosen = Some(cluster.len() - 1);
                }
            }
            let placed = chosen.and_then(|h| {
                let before = model.usage(&cluster[h]);
                model.place(&mut cluster[h], vm).then_some((h, before))
            });
            match placed {
                Some((h, before)) => {
                    let after = model.usage(&cluster[h]);
                    if let Some(ix) = index.as_mut() {
                        ix.update(model, h, &cluster[h]);
                    }
                    debug_assert!(
                        after.cpus <= cap.cpus && after.mem_mb <= cap.mem_mb,
                        "host {h} over capacity"
                    );
                    cpus = cpus + after.cpus - before.cpus;
                    mem = mem + after.mem_mb - before.mem_mb;
                    on[vm] = h as u32;
                    out.placed += 1;
                    out.hosts_used = out.hosts_used.max(h + 1);
                    vms_now += 1;
                    out.peak_vms = out.peak_vms.max(vms_now);
                }
                None => {
                    out.refused += 1;
                    if out.first_refusal.is_none() {
                        out.first_refusal = Some(Refusal {
                            time_s: step.time_s,
                            vm,
                        });
                    }
                    if opts.on_refusal == OnRefusal::Stop {
                        out.hosts = cluster.len();
                        return out;
                    }
                }
            }
        } else {
            let h = on[vm];
            if h != UNPLACED {
                let host = &mut cluster[h as usize];
                let before: Usage = model.usage(host);
                model.remove(host, vm);
                let after = model.usage(host);
                if let Some(ix) = index.as_mut() {
                    ix.update(model, h as usize, host);
                }
                if after.cpus > cap.cpus || after.mem_mb > cap.mem_mb {
                    out.over_capacity_after_departure += 1;
                }
                cpus = cpus - before.cpus + after.cpus;
                mem = mem - before.mem_mb + after.mem_mb;
                on[vm] = UNPLACED;
                vms_now -= 1;
            }
        }
    }
    integrate(schedule.horizon_s, cpus, mem, &mut out);
    if schedule.horizon_s == 0 {
        out.usage = Capacity {
            cpu_s: u128::from(cpus),
            mem_mb_s: u128::from(mem),
            window_s: 1,
        };
    } else {
        out.usage.window_s = schedule.horizon_s;
    }
    out.hosts = cluster.len();
    debug_assert_eq!(
        cpus,
        cluster.iter().map(|h| model.usage(h).cpus).sum::<u64>(),
        "CPU total drifted"
    );
    out
}

/// [`run`] with the policy named by a [`super::PolicyKind`].
pub fn run_kind<M: HostModel>(
    schedule: &Schedule,
    model: &M,
    policy: super::PolicyKind,
    hosts: Hosts,
    opts: EngineOptions,
) -> RunOutcome {
    crate::with_policy!(policy, p => run(schedule, model, p, hosts, opts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::model::{CountingModel, ModelOptions};
    use crate::cluster::policy::paper::Paper;
    use crate::cluster::schedule::EventOrder;
    use crate::cluster::testkit::list;

    /// Two premium 16-vCPU VMs fill a host. At t=360 the first leaves and a
    /// third arrives: arrivals first, the third needs a second host.
    fn boundary() -> crate::workload::EventList {
        list(&[
            (16, 1024, 1.0, 0, Some(360)),
            (16, 1024, 1.0, 0, None),
            (16, 1024, 1.0, 360, Some(720)),
        ])
    }

    #[test]
    fn arrivals_first_needs_one_more_host_at_a_boundary() {
        let l = boundary();
        let opts = EngineOptions::default();
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let r = run(&s, &m, &Paper, Hosts::Fixed(1), opts);
        assert!(!r.fits());
        assert_eq!(r.first_refusal, Some(Refusal { time_s: 360, vm: 2 }));
        assert!(run(&s, &m, &Paper, Hosts::Fixed(2), opts).fits());
        assert_eq!(run(&s, &m, &Paper, Hosts::OnDemand, opts).hosts_used, 2);
        let s = Schedule::new(&l, EventOrder::DeparturesFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        assert!(run(&s, &m, &Paper, Hosts::Fixed(1), opts).fits());
    }

    #[test]
    fn counted_refusals_skip_the_vm_and_its_departure() {
        let l = boundary();
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let r = run(
            &s,
            &m,
            &Paper,
            Hosts::Fixed(1),
            EngineOptions {
                on_refusal: OnRefusal::Count,
                ..EngineOptions::default()
            },
        );
        assert_eq!((r.refused, r.placed), (1, 2));
    }

    #[test]
    fn usage_is_integrated_over_the_window() {
        let l = boundary();
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let r = run(&s, &m, &Paper, Hosts::Fixed(2), EngineOptions::default());
        // [0,360): 32 CPUs; [360,720): 32 CPUs (vm1 + vm2); window 720 s.
        assert_eq!(
            r.usage,
            Capacity {
                cpu_s: 32 * 720,
                mem_mb_s: 2048 * 720,
                window_s: 720
            }
        );
        assert_eq!(r.peak_vms, 3);
    }
}
