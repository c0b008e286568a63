//! One workload sized both ways (docs/cluster.md): SlackVM (all
//! levels sharing one cluster) and the dedicated baseline (the same search
//! on each level's VMs alone, minima summed), the gain, the lower bound and
//! the shares of unallocated CPU and memory.
//!
//! Unallocated share of a configuration: `1 - (CPUs in use, integrated over
//! [0, horizon)) / (hosts x host CPUs x horizon)` (same for memory), with
//! the hosts at the minimal count; for the dedicated baseline the three
//! clusters are summed. The horizon is the time of the workload's last
//! event.

use super::engine::Capacity;
use super::model::{CountingModel, HostModel, ModelKind, ModelOptions, Usage, VnodeModel};
use super::policy::PolicyKind;
use super::price::{price, shared_pool_hosts, Price, PriceConfig};
use super::schedule::{EventOrder, Schedule};
use super::search::{min_hosts, SearchResult};
use super::ClusterError;
use crate::host::HostOptions;
use crate::level::Level;
use crate::topology::Topology;
use crate::workload::EventList;
use std::sync::Arc;

/// How to size a workload.
#[derive(Debug, Clone)]
pub struct SizingConfig {
    /// Placement policy.
    pub policy: PolicyKind,
    /// Host model.
    pub model: ModelKind,
    /// 8 GiB memory cap for oversubscribed VMs (published code: on).
    pub mem_cap: bool,
    /// Order of simultaneous events (published: arrivals first).
    pub order: EventOrder,
    /// Counting model parameters.
    pub counting: ModelOptions,
    /// Topology of `vnode` hosts.
    pub topology: Arc<Topology>,
    /// Options of `vnode` hosts.
    pub host_options: HostOptions,
    /// Counts below the answer verified for non-monotone policies.
    pub verify: usize,
    /// Shared-pool layout, CPU usage, power (the price of packing).
    pub price: PriceConfig,
}

impl SizingConfig {
    /// The paper's setting (paper policy, counting model, memory cap,
    /// arrivals first) on a topology used if the model is switched to `vnode`.
    pub fn paper(topology: Arc<Topology>) -> Self {
        SizingConfig {
            policy: PolicyKind::Paper,
            model: ModelKind::Counting,
            mem_cap: true,
            order: EventOrder::ArrivalsFirst,
            counting: ModelOptions::default(),
            topology,
            host_options: HostOptions::default(),
            verify: 2,
            price: PriceConfig::default(),
        }
    }
}

/// Hosts needed by one level's dedicated cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSizing {
    /// Level.
    pub level: Level,
    /// Hosts.
    pub hosts: usize,
}

/// The sizing of one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    /// Hosts of the shared (SlackVM) cluster.
    pub hosts_slackvm: usize,
    /// Dedicated clusters, by increasing level.
    pub per_level: Vec<LevelSizing>,
    /// Sum of the dedicated clusters.
    pub hosts_dedicated: usize,
    /// `(dedicated - slackvm) / dedicated` in %.
    pub gain_pct: f64,
    /// Per-time lower bound of the shared cluster.
    pub lower_bound: usize,
    /// Unallocated CPU share of the shared cluster (%).
    pub unallocated_cpu_pct: f64,
    /// Unallocated memory share of the shared cluster (%).
    pub unallocated_mem_pct: f64,
    /// Unallocated CPU share of the dedicated clusters (%).
    pub dedicated_unallocated_cpu_pct: f64,
    /// Unallocated memory share of the dedicated clusters (%).
    pub dedicated_unallocated_mem_pct: f64,
    /// Simulations run in total.
    pub runs: u32,
    /// Any search found its policy non-monotone.
    pub non_monotone: bool,
    /// VMs in the workload.
    pub vms: usize,
    /// Hosts of the shared-pool layout (same search and policy).
    pub hosts_shared_pool: usize,
    /// Shortage and energy of the three layouts, when CPU usage is known.
    pub price: Option<Price>,
}

impl Sizing {
    /// Hosts of the dedicated cluster of a level (0 if absent).
    pub fn hosts_of_level(&self, level: Level) -> usize {
        self.per_level
            .iter()
            .find(|l| l.level == level)
            .map_or(0, |l| l.hosts)
    }
}

fn unallocated_pct(used: &[(usize, Capacity)], cap: Usage) -> (f64, f64) {
    let (mut cpu, mut mem, mut cpu_cap, mut mem_cap) = (0u128, 0u128, 0u128, 0u128);
    for (hosts, c) in used {
        cpu += c.cpu_s;
        mem += c.mem_mb_s;
        cpu_cap += *hosts as u128 * u128::from(cap.cpus) * u128::from(c.window_s);
        mem_cap += *hosts as u128 * u128::from(cap.mem_mb) * u128::from(c.window_s);
    }
    let pct = |u: u128, c: u128| {
        if c == 0 {
            0.0
        } else {
            100.0 * (1.0 - u as f64 / c as f64)
        }
    };
    (pct(cpu, cpu_cap), pct(mem, mem_cap))
}

fn size_with<M: HostModel>(
    schedule: &Schedule,
    model: &M,
    cfg: &SizingConfig,
) -> Result<Sizing, ClusterError> {
    let shared: SearchResult = min_hosts(schedule, model, cfg.policy, cfg.verify)?;
    let mut per_level = Vec::with_capacity(schedule.levels.len());
    let mut runs = shared.runs;
    let mut non_monotone = shared.non_monotone;
    let mut dedicated_use = Vec::with_capacity(schedule.levels.len());
    for &level in &schedule.levels {
        let sub = schedule.only_level(level);
        let r = min_hosts(&sub, model, cfg.policy, cfg.verify)?;
        runs += r.runs;
        non_monotone |= r.non_monotone;
        dedicated_use.push((r.hosts, r.outcome.usage));
        per_level.push(LevelSizing {
            level,
            hosts: r.hosts,
        });
    }
    let hosts_dedicated: usize = per_level.iter().map(|l| l.hosts).sum();
    let gain_pct = if hosts_dedicated == 0 {
        0.0
    } else {
        100.0 * (hosts_dedicated as f64 - shared.hosts as f64) / hosts_dedicated as f64
    };
    let cap = model.capacity();
    let (uc, um) = unallocated_pct(&[(shared.hosts, shared.outcome.usage)], cap);
    let (dc, dm) = unallocated_pct(&dedicated_use, cap);
    let hosts_shared_pool = shared_pool_hosts(schedule, model, cfg.policy, &cfg.price, cfg.verify)?;
    let counts: Vec<usize> = per_level.iter().map(|l| l.hosts).collect();
    let hosts = (shared.hosts, counts.as_slice(), hosts_shared_pool);
    let price = price(schedule, model, cfg.policy, hosts, &cfg.price);
    Ok(Sizing {
        hosts_slackvm: shared.hosts,
        per_level,
        hosts_dedicated,
        gain_pct,
        lower_bound: shared.lower_bound,
        unallocated_cpu_pct: uc,
        unallocated_mem_pct: um,
        dedicated_unallocated_cpu_pct: dc,
        dedicated_unallocated_mem_pct: dm,
        runs,
        non_monotone,
        vms: schedule.vms.len(),
        hosts_shared_pool,
        price,
    })
}

/// Sizes a workload with a policy and host model.
pub fn size_workload(list: &EventList, cfg: &SizingConfig) -> Result<Sizing, ClusterError> {
    let schedule = Schedule::new(list, cfg.order, cfg.mem_cap)?;
    size_schedule(&schedule, cfg)
}

/// Sizes a prepared schedule (its order and memory cap win over `cfg`'s).
pub fn size_schedule(schedule: &Schedule, cfg: &SizingConfig) -> Result<Sizing, ClusterError> {
    match cfg.model {
        ModelKind::Counting => {
            let m = CountingModel::new(&schedule.vms, &schedule.levels, cfg.counting);
            size_with(schedule, &m, cfg)
        }
        ModelKind::Vnode => {
            let m = VnodeModel::new(
                &schedule.vms,
                &schedule.ids,
                Arc::clone(&cfg.topology),
                cfg.host_options,
            );
            size_with(schedule, &m, cfg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::testkit::list;
    use crate::topology::preset;

    #[test]
    fn sharing_saves_a_host_when_levels_complement() {
        // Level 2 alone: two 2:1 VMs of 20 vCPUs -> ceil(40/2) = 20 CPUs: 1 host.
        // Level 1 alone: one 20-vCPU VM: 1 host. Shared: 20 + 20 = 40 > 32: 2.
        let l = list(&[
            (20, 1024, 2.0, 0, None),
            (20, 1024, 2.0, 0, None),
            (20, 1024, 1.0, 0, None),
        ]);
        let cfg = SizingConfig::paper(Arc::new(preset("host-32").unwrap()));
        let s = size_workload(&l, &cfg).unwrap();
        assert_eq!(
            (s.hosts_slackvm, s.hosts_dedicated, s.gain_pct),
            (2, 2, 0.0)
        );
        assert_eq!(s.hosts_of_level(Level::ONE), 1);
        // 2:1 (12+12 -> 12 CPUs) and 3:1 (12+12+12 -> 12 CPUs) and 1:1 (8):
        // dedicated 3 hosts; shared 12 + 12 + 8 = 32 on one host: gain 66.7%.
        let l = list(&[
            (12, 1024, 2.0, 0, None),
            (12, 1024, 2.0, 0, None),
            (12, 1024, 3.0, 0, None),
            (12, 1024, 3.0, 0, None),
            (12, 1024, 3.0, 0, None),
            (8, 1024, 1.0, 0, None),
        ]);
        let s = size_workload(&l, &cfg).unwrap();
        assert_eq!((s.hosts_slackvm, s.hosts_dedicated), (1, 3));
        assert!((s.gain_pct - 200.0 / 3.0).abs() < 1e-9);
        // Every event at time 0: the state after them is measured; 32 of 32 CPUs.
        assert_eq!(s.unallocated_cpu_pct, 0.0);
        assert!((s.dedicated_unallocated_cpu_pct - 100.0 * (1.0 - 32.0 / 96.0)).abs() < 1e-9);
    }
}
