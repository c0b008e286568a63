//! CPU shortage per level and host energy, measured along one run
//! ([`Accountant`], an engine [`Observer`]).
//!
//! At every usage step `t = k * step_s` before the end of the workload
//! (the state after every event at or before `t`), weighted by the step's
//! length (the last one cut at the end; one sample of weight 1 s when all
//! events are at time 0):
//! - per host and pool ([`super::model::Pools`]: a vNode, a counted group,
//!   the shared pool; or the whole host for a dedicated cluster, see
//!   [`PoolRule`]), demand `D = sum of usage x vCPUs` of its VMs and
//!   supply `S` = its CPUs; shortage = `max(D - S, 0)`, shared by its VMs
//!   in proportion to their demand: each misses the fraction `(D - S) / D`;
//! - per level: demanded and unserved CPU-seconds, VM-seconds and those in
//!   shortage, the time-weighted distribution of the fraction missed (to
//!   0.01%), and per host the unserved share (the worst host);
//! - energy: each host draws `P(CPUs served / host CPUs)`; a host without
//!   VMs draws `P(0)` when idle hosts stay on, nothing when they are off.
//!
//! This is an upper bound of CPU starvation in the sense of steal time: no
//! interference, cache or frequency effect is modelled, and a pool never
//! borrows the idle CPUs of another.

use super::cpu::{CpuUsage, Span};
use super::energy::PowerModel;
use super::model::{HostModel, Pools};
use super::schedule::{ClusterVm, MAX_LEVELS};

/// Something told of every step of a run (see [`super::engine::run_observed`]).
pub trait Observer<M: HostModel> {
    /// Time advances to `t_s` (before the events at `t_s`).
    fn advance(&mut self, _t_s: u64, _model: &M, _hosts: &[M::Host]) {}
    /// VM `vm` was placed on host `host`.
    fn placed(&mut self, _vm: usize, _host: usize) {}
    /// VM `vm` left.
    fn departed(&mut self, _vm: usize) {}
    /// The run ended (complete).
    fn finish(&mut self, _model: &M, _hosts: &[M::Host]) {}
}

impl<M: HostModel> Observer<M> for () {}

/// Which CPUs a level's VMs draw from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolRule {
    /// The host model's pools (SlackVM's vNodes, the shared pool).
    Model,
    /// All of the host's CPUs, one pool (a dedicated cluster).
    WholeHost,
}

/// What the accounting needs besides the run.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountingConfig {
    /// Usage step (s).
    pub step_s: u64,
    /// Power model of a host.
    pub power: PowerModel,
    /// Hosts without VMs stay on (draw idle watts).
    pub idle_hosts_on: bool,
}

/// Bins of the shortage fraction's distribution (0.01% each).
const BINS: usize = 10_001;

/// Shortage of one level over a run.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelShortage {
    /// Demanded CPU-seconds.
    pub demand_cpu_s: f64,
    /// Demanded CPU-seconds not served.
    pub unserved_cpu_s: f64,
    /// VM-seconds sampled.
    pub vm_s: f64,
    /// VM-seconds in a pool short of CPU.
    pub short_vm_s: f64,
    /// Time-weighted sum of the fraction missed.
    frac_vm_s: f64,
    /// Time-weighted distribution of the fraction missed (0.01% bins).
    hist: Vec<f64>,
    /// Per host: (demanded, unserved) CPU-seconds.
    per_host: Vec<(f64, f64)>,
}

impl LevelShortage {
    fn new() -> Self {
        LevelShortage {
            demand_cpu_s: 0.0,
            unserved_cpu_s: 0.0,
            vm_s: 0.0,
            short_vm_s: 0.0,
            frac_vm_s: 0.0,
            hist: vec![0.0; BINS],
            per_host: Vec::new(),
        }
    }
    /// Share of the demanded CPU-seconds not served (%).
    pub fn shortage_pct(&self) -> f64 {
        pct(self.unserved_cpu_s, self.demand_cpu_s)
    }
    /// Share of VM-time spent short of CPU (%).
    pub fn time_pct(&self) -> f64 {
        pct(self.short_vm_s, self.vm_s)
    }
    /// Mean fraction of its demand a VM misses (%, time-weighted).
    pub fn mean_pct(&self) -> f64 {
        pct(self.frac_vm_s, self.vm_s)
    }
    /// 99th percentile of the fraction missed over VM-time (%, to 0.01).
    pub fn p99_pct(&self) -> f64 {
        let total: f64 = self.hist.iter().sum();
        if total <= 0.0 {
            return 0.0;
        }
        let mut cum = 0.0;
        for (b, w) in self.hist.iter().enumerate() {
            cum += w;
            if cum >= 0.99 * total {
                return b as f64 / 100.0;
            }
        }
        100.0
    }
    /// The host whose VMs of this level missed the largest share of their
    /// demand, and that share (%); `None` without demand.
    pub fn worst_host(&self) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for (h, &(d, u)) in self.per_host.iter().enumerate() {
            if d > 0.0 && best.is_none_or(|(_, b)| pct(u, d) > b) {
                best = Some((h, pct(u, d)));
            }
        }
        best
    }
}

fn pct(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        100.0 * a / b
    } else {
        0.0
    }
}

/// Shortage per level index and energy of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Accounting {
    /// Per level index of the schedule.
    pub levels: Vec<LevelShortage>,
    /// Energy of the cluster over the workload's span (kWh).
    pub energy_kwh: f64,
}

/// Per host and level index, summed demand at the current sample.
type PerLevel = [f64; MAX_LEVELS];

/// A VM present in the cluster, with what a sample needs of it (kept in a
/// dense array so that a sample streams through it).
#[derive(Debug, Clone, Copy)]
struct Slot {
    vm: u32,
    host: u32,
    level: u8,
    vcpus: f64,
    usage: Span,
}

/// The shortage and energy accounting of one run (see the module header).
/// Per sample the cost is one usage lookup per present VM and one pool
/// settlement per busy host; a host's pools are recomputed only after a VM
/// arrived on it or left it.
#[derive(Debug)]
pub struct Accountant<'a> {
    cpu: &'a CpuUsage,
    vms: &'a [ClusterVm],
    cfg: &'a AccountingConfig,
    rule: PoolRule,
    horizon_s: u64,
    next_t: u64,
    present: Vec<Slot>,
    /// Demand of `present[i]` at the current sample.
    slot_demand: Vec<f64>,
    /// Index in `present` of each VM (`u32::MAX`: absent).
    pos: Vec<u32>,
    demand: Vec<PerLevel>,
    missed: Vec<PerLevel>,
    /// Pools of each host, `None` once a VM arrived or left.
    pools: Vec<Option<Pools>>,
    touched: Vec<u32>,
    /// Hosts already in `touched` at this sample.
    seen: Vec<bool>,
    out: Accounting,
    energy_ws: f64,
}

impl<'a> Accountant<'a> {
    /// An accountant for a run of `vms` (a schedule's) ending at `horizon_s`.
    pub fn new(
        vms: &'a [ClusterVm],
        levels: usize,
        cpu: &'a CpuUsage,
        cfg: &'a AccountingConfig,
        rule: PoolRule,
        horizon_s: u64,
    ) -> Self {
        Accountant {
            cpu,
            vms,
            cfg,
            rule,
            horizon_s,
            next_t: 0,
            present: Vec::new(),
            slot_demand: Vec::new(),
            pos: vec![u32::MAX; vms.len()],
            demand: Vec::new(),
            missed: Vec::new(),
            pools: Vec::new(),
            touched: Vec::new(),
            seen: Vec::new(),
            out: Accounting {
                levels: (0..levels.max(1)).map(|_| LevelShortage::new()).collect(),
                energy_kwh: 0.0,
            },
            energy_ws: 0.0,
        }
    }

    /// The result (after the run's end).
    pub fn into_accounting(mut self) -> Accounting {
        self.out.energy_kwh = self.energy_ws / 3.6e6;
        self.out
    }

    fn grow_hosts(&mut self, hosts: usize) {
        if self.demand.len() < hosts {
            self.demand.resize(hosts, [0.0; MAX_LEVELS]);
            self.missed.resize(hosts, [0.0; MAX_LEVELS]);
            self.seen.resize(hosts, false);
            self.pools.resize(hosts, None);
        }
    }

    /// One sample at `t` of weight `w_s` seconds.
    fn sample<M: HostModel>(&mut self, t: u64, w_s: f64, model: &M, hosts: &[M::Host]) {
        self.grow_hosts(hosts.len());
        self.slot_demand.resize(self.present.len(), 0.0);
        for (slot, d) in self.present.iter().zip(self.slot_demand.iter_mut()) {
            let h = slot.host as usize;
            if !self.seen[h] {
                self.seen[h] = true;
                self.touched.push(h as u32);
            }
            *d = self.cpu.at_span(slot.usage, t) * slot.vcpus;
            self.demand[h][usize::from(slot.level)] += *d;
        }
        let cap_cpus = model.capacity().cpus as f64;
        let mut busy_w = 0.0;
        for k in 0..self.touched.len() {
            let h = self.touched[k] as usize;
            let served = self.settle(h, model, &hosts[h]);
            busy_w += self.cfg.power.watts(served / cap_cpus);
        }
        let idle = hosts.len().saturating_sub(self.touched.len()) as f64;
        let idle_w = if self.cfg.idle_hosts_on {
            self.cfg.power.watts(0.0)
        } else {
            0.0
        };
        self.energy_ws += (busy_w + idle * idle_w) * w_s;
        self.charge(w_s, hosts.len());
        for &h in &self.touched {
            self.demand[h as usize] = [0.0; MAX_LEVELS];
            self.seen[h as usize] = false;
        }
        self.touched.clear();
    }

    /// Host `h`'s pools (cached until a VM arrives or leaves).
    fn pools_of<M: HostModel>(&mut self, h: usize, model: &M, host: &M::Host) -> Pools {
        if let Some(p) = self.pools[h] {
            debug_assert!(self.rule == PoolRule::WholeHost || p == model.pools(host));
            return p;
        }
        let p = match self.rule {
            PoolRule::Model => model.pools(host),
            PoolRule::WholeHost => {
                let mut p = Pools::default();
                p.cpus[0] = model.capacity().cpus as f64;
                p
            }
        };
        self.pools[h] = Some(p);
        p
    }

    /// Host `h`'s pools against their supply: the fraction each level
    /// misses goes to `missed[h]`; returns the CPUs served.
    fn settle<M: HostModel>(&mut self, h: usize, model: &M, host: &M::Host) -> f64 {
        let pools = self.pools_of(h, model, host);
        let mut pool_demand = [0.0; MAX_LEVELS];
        for (l, &d) in self.demand[h].iter().enumerate() {
            pool_demand[usize::from(pools.of_level[l])] += d;
        }
        let mut served = 0.0;
        for (d, s) in pool_demand.iter().zip(pools.cpus) {
            served += d.min(s);
        }
        for l in 0..MAX_LEVELS {
            let slot = usize::from(pools.of_level[l]);
            let (d, s) = (pool_demand[slot], pools.cpus[slot]);
            self.missed[h][l] = if d > s { (d - s) / d } else { 0.0 };
            debug_assert!(self.missed[h][l] >= 0.0);
        }
        served
    }

    /// Charges every present VM's demand and missed fraction to its level.
    fn charge(&mut self, w_s: f64, hosts: usize) {
        for acc in &mut self.out.levels {
            if acc.per_host.len() < hosts {
                acc.per_host.resize(hosts, (0.0, 0.0));
            }
        }
        for (slot, &demand) in self.present.iter().zip(&self.slot_demand) {
            let h = slot.host as usize;
            let l = usize::from(slot.level);
            let d = demand * w_s;
            let f = self.missed[h][l];
            let acc = &mut self.out.levels[l];
            acc.demand_cpu_s += d;
            acc.vm_s += w_s;
            acc.per_host[h].0 += d;
            if f > 0.0 {
                acc.unserved_cpu_s += d * f;
                acc.frac_vm_s += f * w_s;
                acc.short_vm_s += w_s;
                acc.per_host[h].1 += d * f;
            }
            acc.hist[((f * 10_000.0).ceil() as usize).min(BINS - 1)] += w_s;
        }
    }

    /// Samples every step time before `t` (at most up to the horizon).
    fn catch_up<M: HostModel>(&mut self, t: u64, model: &M, hosts: &[M::Host]) {
        let step = self.cfg.step_s.max(1);
        while self.next_t < t.min(self.horizon_s) {
            let w = step.min(self.horizon_s - self.next_t) as f64;
            self.sample(self.next_t, w, model, hosts);
            self.next_t += step;
        }
    }
}

impl<M: HostModel> Observer<M> for Accountant<'_> {
    fn advance(&mut self, t_s: u64, model: &M, hosts: &[M::Host]) {
        self.catch_up(t_s, model, hosts);
    }
    fn placed(&mut self, vm: usize, host: usize) {
        debug_assert_eq!(self.pos[vm], u32::MAX, "placed twice");
        self.grow_hosts(host + 1);
        self.pools[host] = None;
        self.pos[vm] = self.present.len() as u32;
        self.present.push(Slot {
            vm: vm as u32,
            host: host as u32,
            level: self.vms[vm].level_idx,
            vcpus: f64::from(self.vms[vm].vcpus),
            usage: self.cpu.span(vm),
        });
    }
    fn departed(&mut self, vm: usize) {
        let p = self.pos[vm] as usize;
        debug_assert_eq!(self.present[p].vm as usize, vm);
        self.pools[self.present[p].host as usize] = None;
        self.present.swap_remove(p);
        if let Some(moved) = self.present.get(p) {
            self.pos[moved.vm as usize] = p as u32;
        }
        self.pos[vm] = u32::MAX;
    }
    fn finish(&mut self, model: &M, hosts: &[M::Host]) {
        if self.horizon_s == 0 {
            self.sample(0, 1.0, model, hosts);
        } else {
            self.catch_up(self.horizon_s, model, hosts);
        }
    }
}
