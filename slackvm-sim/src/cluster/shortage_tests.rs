//! CPU shortage and energy: hand-computed cases on one or two hosts for
//! the three layouts (two levels sharing a host, a VM leaving, a host at
//! exactly full supply), and properties on random workloads: 1:1 VMs are
//! never short under SlackVM and dedicated clusters, shortage is never
//! negative, energy does not fall when hosts are added to a fixed load.

use super::cpu::CpuUsage;
use super::energy::PowerModel;
use super::model::{CountingModel, HostModel, ModelOptions, SharedPoolModel, Usage, VnodeModel};
use super::policy::PolicyKind;
use super::price::account;
use super::schedule::{EventOrder, Schedule};
use super::search::min_hosts;
use super::shortage::{AccountingConfig, PoolRule};
use super::testkit::list;
use crate::host::HostOptions;
use crate::level::Level;
use crate::topology::preset;
use proptest::prelude::*;
use std::sync::Arc;

fn cfg(idle_hosts_on: bool) -> AccountingConfig {
    AccountingConfig {
        step_s: 300,
        power: PowerModel::Linear {
            idle_w: 100.0,
            max_w: 200.0,
        },
        idle_hosts_on,
    }
}

fn usage(fractions: &[f64]) -> CpuUsage {
    let mut u = CpuUsage::with_capacity(fractions.len());
    for &f in fractions {
        u.push(0, 300, [f]);
    }
    u
}

/// A 1:1 VM of 4 vCPUs and two 2:1 VMs of 4 vCPUs, all busy but the
/// last (half busy), which leaves at 300 s; a tiny idle VM arriving at
/// 900 s ends the window. Samples at 0, 300, 600 (300 s each).
fn two_levels() -> (Schedule, CpuUsage) {
    let l = list(&[
        (4, 1024, 1.0, 0, None),
        (4, 1024, 2.0, 0, None),
        (4, 1024, 2.0, 0, Some(300)),
        (1, 1024, 1.0, 900, None),
    ]);
    let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
    (s, usage(&[1.0, 1.0, 0.5, 0.0]))
}

#[test]
fn slackvm_counting_two_levels_share_a_host_and_a_vm_leaves() {
    let (s, u) = two_levels();
    let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
    let c = cfg(true);
    let a = account(&s, &m, PolicyKind::Paper, 1, (&u, &c, PoolRule::Model));
    // 1:1 pool: 4 CPUs, demand 4 (exactly full): nothing missed.
    let l1 = &a.levels[0];
    assert_eq!(
        (l1.demand_cpu_s, l1.unserved_cpu_s),
        (3.0 * 300.0 * 4.0, 0.0)
    );
    // 2:1 pool at 0 s: two VMs count ceil(8/2) = 4 CPUs, demand 4 + 2 = 6:
    // 2 missed (1/3 each). From 300 s the lone VM counts 4, demand 4.
    let l2 = &a.levels[1];
    assert_eq!(l2.demand_cpu_s, (6.0 + 4.0 + 4.0) * 300.0);
    assert!((l2.unserved_cpu_s - 2.0 * 300.0).abs() < 1e-9);
    assert!((l2.shortage_pct() - 100.0 * 600.0 / 4200.0).abs() < 1e-9);
    assert_eq!((l2.vm_s, l2.short_vm_s), (1200.0, 600.0));
    assert!((l2.time_pct() - 50.0).abs() < 1e-9);
    assert!((l2.mean_pct() - 100.0 / 6.0).abs() < 1e-9);
    assert_eq!(l2.p99_pct(), 33.34);
    assert_eq!(l2.worst_host().map(|w| w.0), Some(0));
    // Served 8 of 32 CPUs at each sample: 125 W x 900 s.
    assert!((a.energy_kwh - 125.0 * 900.0 / 3.6e6).abs() < 1e-12);
    // A second, empty host draws 100 W when idle hosts stay on, 0 when off.
    let on = account(&s, &m, PolicyKind::Paper, 2, (&u, &c, PoolRule::Model));
    assert!((on.energy_kwh - (125.0 + 100.0) * 900.0 / 3.6e6).abs() < 1e-12);
    let c_off = cfg(false);
    let off = account(&s, &m, PolicyKind::Paper, 2, (&u, &c_off, PoolRule::Model));
    assert!((off.energy_kwh - a.energy_kwh).abs() < 1e-12);
}

#[test]
fn dedicated_hosts_pool_all_their_cpus() {
    let (s, u) = two_levels();
    let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
    let c = cfg(true);
    let sub = s.only_level(Level::TWO);
    let a = account(
        &sub,
        &m,
        PolicyKind::Paper,
        1,
        (&u, &c, PoolRule::WholeHost),
    );
    // Demand 6 then 4 against 32 CPUs: nothing missed.
    assert_eq!(a.levels[1].unserved_cpu_s, 0.0);
    assert_eq!(a.levels[1].demand_cpu_s, 4200.0);
}

#[test]
fn shared_pool_at_exactly_full_supply_then_short() {
    // 1:1 VM of 16 vCPUs pinned; 2:1 and 3:1 VMs of 16 vCPUs each share
    // the other 16 CPUs (ratio 2: ceil(32/2) = 16, the host is full).
    let l = list(&[
        (16, 1024, 1.0, 0, None),
        (16, 1024, 2.0, 0, None),
        (16, 1024, 3.0, 0, Some(600)),
    ]);
    let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
    let cap = Usage {
        cpus: 32,
        mem_mb: 131_072,
    };
    let m = SharedPoolModel::new(&s.vms, &s.levels, cap, None);
    let c = cfg(true);
    // Half busy: demand 16 = the pool's 16 CPUs: nothing missed.
    let half = usage(&[1.0, 0.5, 0.5]);
    let a = account(&s, &m, PolicyKind::Paper, 1, (&half, &c, PoolRule::Model));
    assert!(a.levels.iter().all(|l| l.unserved_cpu_s == 0.0));
    assert!((a.energy_kwh - 200.0 * 600.0 / 3.6e6).abs() < 1e-12);
    // Three quarters busy: demand 24 > 16: each misses 1/3.
    let busy = usage(&[1.0, 0.75, 0.75]);
    let a = account(&s, &m, PolicyKind::Paper, 1, (&busy, &c, PoolRule::Model));
    assert_eq!(a.levels[0].unserved_cpu_s, 0.0);
    for l in &a.levels[1..] {
        assert!((l.shortage_pct() - 100.0 / 3.0).abs() < 1e-9);
    }
}

#[test]
fn vnode_pools_are_the_vnodes() {
    let (s, u) = two_levels();
    let topo = Arc::new(preset("host-32").unwrap());
    let m = VnodeModel::new(&s.vms, &s.ids, topo, HostOptions::default());
    let c = cfg(true);
    let a = account(&s, &m, PolicyKind::Paper, 1, (&u, &c, PoolRule::Model));
    assert_eq!(a.levels[0].unserved_cpu_s, 0.0);
    // Check against the host itself: the 2:1 vNode's CPUs at 0 s.
    let mut h = m.empty_host();
    for vm in 0..3 {
        assert!(m.place(&mut h, vm));
    }
    let cap2 = m.pools(&h).cpus[1];
    let missed = (6.0f64 - cap2).max(0.0) * 300.0;
    let mut h1 = h.clone();
    m.remove(&mut h1, 2);
    let cap2_after = m.pools(&h1).cpus[1];
    let missed_after = (4.0f64 - cap2_after).max(0.0) * 600.0;
    assert!((a.levels[1].unserved_cpu_s - (missed + missed_after)).abs() < 1e-9);
}

type Spec = (u32, u64, f64, u64, Option<u64>);

fn workload() -> impl Strategy<Value = (Vec<Spec>, Vec<f64>)> {
    let vm = (
        prop::sample::select(vec![1u32, 2, 4, 8, 16]),
        prop::sample::select(vec![2048u64, 4096, 8192, 30720]),
        prop::sample::select(vec![1.0f64, 2.0, 3.0]),
        0u64..6,
        prop::option::of(1u64..5),
    )
        .prop_map(|(c, m, l, a, d)| (c, m, l, a * 300, d.map(|d| (a + d) * 300)));
    prop::collection::vec((vm, 0.0f64..=1.0), 1..30).prop_map(|v| v.into_iter().unzip())
}

fn check_model<M: HostModel>(s: &Schedule, m: &M, u: &CpuUsage) -> Result<(), TestCaseError> {
    let c = cfg(true);
    let p = PolicyKind::FirstFit;
    let n = min_hosts(s, m, p, 2).unwrap().hosts;
    let slack = account(s, m, p, n, (u, &c, PoolRule::Model));
    let premium = s.levels.iter().position(|&l| l == 1.0);
    if let Some(i) = premium {
        prop_assert_eq!(slack.levels[i].unserved_cpu_s, 0.0);
        let sub = s.only_level(Level::ONE);
        let nd = min_hosts(&sub, m, p, 2).unwrap().hosts;
        let ded = account(&sub, m, p, nd, (u, &c, PoolRule::WholeHost));
        prop_assert_eq!(ded.levels[i].unserved_cpu_s, 0.0);
    }
    for l in &slack.levels {
        prop_assert!(l.unserved_cpu_s >= 0.0 && l.unserved_cpu_s <= l.demand_cpu_s + 1e-9);
        prop_assert!(l.p99_pct() >= 0.0 && l.mean_pct() >= 0.0);
    }
    let mut last = slack.energy_kwh;
    for more in 1..3 {
        let e = account(s, m, p, n + more, (u, &c, PoolRule::Model)).energy_kwh;
        prop_assert!(
            e >= last,
            "energy fell from {} to {} with a host more",
            last,
            e
        );
        last = e;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn premium_never_short_shortage_never_negative_energy_monotone((specs, fr) in workload()) {
        let l = list(&specs);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let u = usage(&fr);
        let counting = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        check_model(&s, &counting, &u)?;
        let topo = Arc::new(preset("host-32").unwrap());
        let vnode = VnodeModel::new(&s.vms, &s.ids, topo, HostOptions::default());
        check_model(&s, &vnode, &u)?;
        let sp = SharedPoolModel::new(&s.vms, &s.levels, counting.capacity(), None);
        let n = min_hosts(&s, &sp, PolicyKind::FirstFit, 2).unwrap().hosts;
        let a = account(&s, &sp, PolicyKind::FirstFit, n, (&u, &cfg(true), PoolRule::Model));
        if let Some(i) = s.levels.iter().position(|&l| l == 1.0) {
            prop_assert_eq!(a.levels[i].unserved_cpu_s, 0.0);
        }
    }
}
