//! The discrete-event loop (docs/cluster.md): a [`Schedule`]'s steps
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
use super::policy::{Choose, IndexRule, PolicyKind};
use super::schedule::{Event, Schedule};
use super::shortage::Observer;

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
    /// policies only give the minimum this way, see
    /// [`super::policy::Policy::on_demand_exact`]).
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
fn use_index(rule: Option<IndexRule>, hosts: Hosts, opts: EngineOptions) -> bool {
    let large = match hosts {
        Hosts::Fixed(n) => n >= INDEX_MIN_HOSTS,
        Hosts::OnDemand => true,
    };
    rule.is_some() && !opts.scan && large
}

/// A cluster during one run: its hosts, where each VM is, the index, and
/// what is measured along the way. [`run`] feeds it the schedule's events.
struct Cluster<'a, M: HostModel, O: Observer<M>> {
    model: &'a M,
    obs: &'a mut O,
    policy: &'a dyn Choose<M>,
    /// The index and the rule it answers, when the run keeps one.
    index: Option<(HostIndex, IndexRule)>,
    hosts: Vec<M::Host>,
    on_demand: bool,
    /// Host of each VM, or [`UNPLACED`].
    on: Vec<u32>,
    cap: Usage,
    /// CPUs and MB in use over the whole cluster.
    in_use: Usage,
    vms_now: u64,
    /// Time up to which usage is integrated.
    last_t: u64,
    horizon_s: u64,
    out: RunOutcome,
}

impl<'a, M: HostModel, O: Observer<M>> Cluster<'a, M, O> {
    fn new(
        schedule: &Schedule,
        model: &'a M,
        policy: &'a dyn Choose<M>,
        (hosts, opts): (Hosts, EngineOptions),
        obs: &'a mut O,
    ) -> Self {
        let cluster: Vec<M::Host> = match hosts {
            Hosts::Fixed(n) => vec![model.empty_host(); n],
            Hosts::OnDemand => Vec::with_capacity(64),
        };
        let rule = policy.index_rule();
        let index = rule.filter(|_| use_index(rule, hosts, opts)).map(|rule| {
            let ix = HostIndex::with_classes(model, &cluster, rule.exact_classes());
            (ix, rule)
        });
        let first_t = schedule.events.first().map_or(0, |e| e.time_s());
        Cluster {
            model,
            obs,
            policy,
            index,
            out: RunOutcome {
                hosts_used: 0,
                hosts: cluster.len(),
                refused: 0,
                first_refusal: None,
                placed: 0,
                peak_vms: 0,
                over_capacity_after_departure: 0,
                usage: Capacity::default(),
            },
            hosts: cluster,
            on_demand: hosts == Hosts::OnDemand,
            on: vec![UNPLACED; schedule.vms.len()],
            cap: model.capacity(),
            in_use: Usage::default(),
            vms_now: 0,
            last_t: first_t.min(schedule.horizon_s),
            horizon_s: schedule.horizon_s,
        }
    }

    /// Adds the usage held since the last call, up to `t` (capped at the
    /// horizon).
    fn integrate(&mut self, t: u64) {
        self.obs.advance(t, self.model, &self.hosts);
        let t = t.min(self.horizon_s);
        if t > self.last_t {
            let dt = u128::from(t - self.last_t);
            self.out.usage.cpu_s += u128::from(self.in_use.cpus) * dt;
            self.out.usage.mem_mb_s += u128::from(self.in_use.mem_mb) * dt;
            self.last_t = t;
        }
    }

    /// The policy's host for VM `vm`, opening one when the cluster grows
    /// on demand and none fits.
    fn choose(&mut self, vm: usize) -> Option<usize> {
        let chosen = match &self.index {
            Some((ix, rule)) => rule.choose(ix, self.model, &self.hosts, vm),
            None => self.policy.choose(self.model, &self.hosts, vm),
        };
        if chosen.is_some() || !self.on_demand {
            return chosen;
        }
        let fresh = self.model.empty_host();
        self.model.probe(&fresh, vm)?;
        self.hosts.push(fresh);
        if let Some((ix, _)) = self.index.as_mut() {
            ix.push(self.model, &self.hosts);
        }
        Some(self.hosts.len() - 1)
    }

    /// Host `h` changed from `before`: index and totals follow.
    fn changed(&mut self, h: usize, before: Usage) -> Usage {
        let after = self.model.usage(&self.hosts[h]);
        if let Some((ix, _)) = self.index.as_mut() {
            ix.update(self.model, h, &self.hosts[h]);
        }
        self.in_use.cpus = self.in_use.cpus + after.cpus - before.cpus;
        self.in_use.mem_mb = self.in_use.mem_mb + after.mem_mb - before.mem_mb;
        after
    }

    /// Places VM `vm` arriving at `time_s`; false when refused.
    fn arrive(&mut self, time_s: u64, vm: usize) -> bool {
        let placed = self.choose(vm).filter(|&h| {
            let before = self.model.usage(&self.hosts[h]);
            self.model.place(&mut self.hosts[h], vm) && {
                let after = self.changed(h, before);
                debug_assert!(
                    after.cpus <= self.cap.cpus && after.mem_mb <= self.cap.mem_mb,
                    "host {h} over capacity"
                );
                true
            }
        });
        let Some(h) = placed else {
            self.out.refused += 1;
            if self.out.first_refusal.is_none() {
                self.out.first_refusal = Some(Refusal { time_s, vm });
            }
            return false;
        };
        self.on[vm] = h as u32;
        self.obs.placed(vm, h);
        self.out.placed += 1;
        self.out.hosts_used = self.out.hosts_used.max(h + 1);
        self.vms_now += 1;
        self.out.peak_vms = self.out.peak_vms.max(self.vms_now);
        true
    }

    /// Removes VM `vm` if it was placed.
    fn depart(&mut self, vm: usize) {
        let h = self.on[vm];
        if h == UNPLACED {
            return;
        }
        let h = h as usize;
        let before = self.model.usage(&self.hosts[h]);
        self.model.remove(&mut self.hosts[h], vm);
        let after = self.changed(h, before);
        if after.cpus > self.cap.cpus || after.mem_mb > self.cap.mem_mb {
            self.out.over_capacity_after_departure += 1;
        }
        self.on[vm] = UNPLACED;
        self.obs.departed(vm);
        self.vms_now -= 1;
    }

    /// The outcome of a run stopped at a refusal.
    fn stopped(mut self) -> RunOutcome {
        self.out.hosts = self.hosts.len();
        self.out
    }

    /// The outcome of a complete run: usage integrated to the horizon.
    fn finish(mut self) -> RunOutcome {
        self.integrate(self.horizon_s);
        self.obs.finish(self.model, &self.hosts);
        if self.horizon_s == 0 {
            self.out.usage = Capacity {
                cpu_s: u128::from(self.in_use.cpus),
                mem_mb_s: u128::from(self.in_use.mem_mb),
                window_s: 1,
            };
        } else {
            self.out.usage.window_s = self.horizon_s;
        }
        debug_assert_eq!(
            self.in_use.cpus,
            self.hosts
                .iter()
                .map(|h| self.model.usage(h).cpus)
                .sum::<u64>(),
            "CPU total drifted"
        );
        self.stopped()
    }
}

/// Runs a schedule: each event in order, integrating usage up to it first.
pub fn run<M: HostModel>(
    schedule: &Schedule,
    model: &M,
    policy: PolicyKind,
    hosts: Hosts,
    opts: EngineOptions,
) -> RunOutcome {
    run_with(schedule, model, policy.policy::<M>(), hosts, opts)
}

/// [`run`], telling `obs` of every step (time advancing, placements,
/// departures, the end of a complete run).
pub fn run_observed<M: HostModel, O: Observer<M>>(
    schedule: &Schedule,
    model: &M,
    policy: PolicyKind,
    (hosts, opts): (Hosts, EngineOptions),
    obs: &mut O,
) -> RunOutcome {
    let policy = policy.policy::<M>();
    let cluster = Cluster::new(schedule, model, policy, (hosts, opts), obs);
    cluster.replay(schedule, opts)
}

/// [`run`] with any policy: the extension point for a policy defined
/// outside this crate (implement [`super::Policy`] and [`Choose`]; see
/// `examples/custom_policy.rs`). The built-in ones go through the same
/// path ([`PolicyKind::policy`]).
pub fn run_with<M: HostModel>(
    schedule: &Schedule,
    model: &M,
    policy: &dyn Choose<M>,
    hosts: Hosts,
    opts: EngineOptions,
) -> RunOutcome {
    let mut none = ();
    let cluster = Cluster::new(schedule, model, policy, (hosts, opts), &mut none);
    cluster.replay(schedule, opts)
}

impl<M: HostModel, O: Observer<M>> Cluster<'_, M, O> {
    /// Feeds every event of `schedule`, in order, then finishes.
    fn replay(mut self, schedule: &Schedule, opts: EngineOptions) -> RunOutcome {
        for &event in &schedule.events {
            self.integrate(event.time_s());
            match event {
                Event::Arrival { time_s, vm } => {
                    let placed = self.arrive(time_s, vm as usize);
                    if !placed && opts.on_refusal == OnRefusal::Stop {
                        return self.stopped();
                    }
                }
                Event::Departure { vm, .. } => self.depart(vm as usize),
            }
        }
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::model::{CountingModel, ModelOptions};
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
        let r = run(&s, &m, PolicyKind::Paper, Hosts::Fixed(1), opts);
        assert!(!r.fits());
        assert_eq!(r.first_refusal, Some(Refusal { time_s: 360, vm: 2 }));
        assert!(run(&s, &m, PolicyKind::Paper, Hosts::Fixed(2), opts).fits());
        assert_eq!(
            run(&s, &m, PolicyKind::Paper, Hosts::OnDemand, opts).hosts_used,
            2
        );
        let s = Schedule::new(&l, EventOrder::DeparturesFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        assert!(run(&s, &m, PolicyKind::Paper, Hosts::Fixed(1), opts).fits());
    }

    #[test]
    fn counted_refusals_skip_the_vm_and_its_departure() {
        let l = boundary();
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let r = run(
            &s,
            &m,
            PolicyKind::Paper,
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
        let r = run(
            &s,
            &m,
            PolicyKind::Paper,
            Hosts::Fixed(2),
            EngineOptions::default(),
        );
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
