//! The price of packing for one workload: the shared-pool layout sized
//! with the same search and policy, then, when the VMs' CPU usage is
//! known, CPU shortage per level and energy of the three layouts, each
//! replayed at its minimal host count ([`super::shortage`]):
//! - SlackVM: the model's pools (vNodes, or the counted groups);
//! - dedicated clusters: each level's cluster alone, every host one pool
//!   of all its CPUs; energies summed;
//! - shared pool ([`SharedPoolModel`]): pinned 1:1 cores plus one pool.

use super::cpu::CpuUsage;
use super::energy::DEFAULT_GRID_G_PER_KWH;
use super::engine::{run_observed, EngineOptions, Hosts, OnRefusal};
use super::model::{HostModel, SharedPoolModel};
use super::policy::PolicyKind;
use super::schedule::Schedule;
use super::search::min_hosts;
use super::shortage::{Accountant, Accounting, AccountingConfig, LevelShortage, PoolRule};
use super::ClusterError;
use crate::level::Level;
use std::sync::Arc;

/// How to measure the price of packing.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceConfig {
    /// CPU usage of the schedule's VMs (same indexes); `None`: shortage
    /// and energy are not measured (only the shared-pool host count).
    pub cpu: Option<Arc<CpuUsage>>,
    /// Usage step, power model, idle hosts.
    pub accounting: AccountingConfig,
    /// Ratio of the shared pool (`None`: the smallest oversubscribed level).
    pub shared_pool_ratio: Option<f64>,
    /// Grid carbon intensity (g CO2e per kWh).
    pub grid_g_per_kwh: f64,
}

impl Default for PriceConfig {
    fn default() -> Self {
        PriceConfig {
            cpu: None,
            accounting: AccountingConfig {
                step_s: 300,
                power: Default::default(),
                idle_hosts_on: true,
            },
            shared_pool_ratio: None,
            grid_g_per_kwh: DEFAULT_GRID_G_PER_KWH,
        }
    }
}

/// Shortage and energy of the three layouts.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// Levels of the schedule (index order of the shortage vectors).
    pub levels: Vec<Level>,
    /// SlackVM cluster.
    pub slackvm: Accounting,
    /// Per level index, that level in its dedicated cluster.
    pub dedicated: Vec<LevelShortage>,
    /// Energy of the dedicated clusters together (kWh).
    pub dedicated_energy_kwh: f64,
    /// Shared-pool cluster.
    pub shared_pool: Accounting,
    /// CO2e of the SlackVM cluster's energy (kg).
    pub co2e_kg_slackvm: f64,
}

impl Price {
    /// The index of `level` in [`Price::levels`].
    pub fn level_idx(&self, level: Level) -> Option<usize> {
        self.levels.iter().position(|&l| l == level)
    }
}

/// The shared-pool model of a schedule on hosts of `model`'s capacity.
pub fn shared_pool_model<'s, M: HostModel>(
    schedule: &'s Schedule,
    model: &M,
    ratio: Option<f64>,
) -> SharedPoolModel<'s> {
    SharedPoolModel::new(&schedule.vms, &schedule.levels, model.capacity(), ratio)
}

/// Smallest host count of the shared-pool layout.
pub fn shared_pool_hosts<M: HostModel>(
    schedule: &Schedule,
    model: &M,
    policy: PolicyKind,
    cfg: &PriceConfig,
    verify: usize,
) -> Result<usize, ClusterError> {
    let sp = shared_pool_model(schedule, model, cfg.shared_pool_ratio);
    Ok(min_hosts(schedule, &sp, policy, verify)?.hosts)
}

/// Replays `schedule` on `hosts` hosts, accounting shortage and energy.
pub fn account<M: HostModel>(
    schedule: &Schedule,
    model: &M,
    policy: PolicyKind,
    hosts: usize,
    (cpu, cfg, rule): (&CpuUsage, &AccountingConfig, PoolRule),
) -> Accounting {
    let levels = schedule.levels.len();
    let mut acc = Accountant::new(&schedule.vms, levels, cpu, cfg, rule, schedule.horizon_s);
    let opts = EngineOptions {
        on_refusal: OnRefusal::Stop,
        ..EngineOptions::default()
    };
    let out = run_observed(
        schedule,
        model,
        policy,
        (Hosts::Fixed(hosts), opts),
        &mut acc,
    );
    debug_assert!(out.fits(), "a sized cluster refused a VM when replayed");
    acc.into_accounting()
}

/// The price of packing at the given host counts (SlackVM, dedicated per
/// level index, shared pool); `None` without CPU usage.
pub fn price<M: HostModel>(
    schedule: &Schedule,
    model: &M,
    policy: PolicyKind,
    (slackvm, dedicated, shared): (usize, &[usize], usize),
    cfg: &PriceConfig,
) -> Option<Price> {
    let cpu = cfg.cpu.as_deref()?;
    let acc = &cfg.accounting;
    let slack = account(
        schedule,
        model,
        policy,
        slackvm,
        (cpu, acc, PoolRule::Model),
    );
    let mut per_level = Vec::with_capacity(schedule.levels.len());
    let mut dedicated_energy_kwh = 0.0;
    for (i, &level) in schedule.levels.iter().enumerate() {
        let sub = schedule.only_level(level);
        let n = dedicated.get(i).copied().unwrap_or(0);
        let a = account(&sub, model, policy, n, (cpu, acc, PoolRule::WholeHost));
        dedicated_energy_kwh += a.energy_kwh;
        per_level.push(a.levels[i].clone());
    }
    let sp = shared_pool_model(schedule, model, cfg.shared_pool_ratio);
    let shared_pool = account(schedule, &sp, policy, shared, (cpu, acc, PoolRule::Model));
    Some(Price {
        levels: schedule.levels.clone(),
        co2e_kg_slackvm: slack.energy_kwh * cfg.grid_g_per_kwh / 1000.0,
        slackvm: slack,
        dedicated: per_level,
        dedicated_energy_kwh,
        shared_pool,
    })
}
