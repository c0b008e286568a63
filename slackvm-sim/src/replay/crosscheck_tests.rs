//! Cross-check of the two shortage measures (the price of packing): the
//! cluster simulator's accounting ([`crate::cluster::shortage`]) of a
//! one-host `vnode` cluster must see, per level, the same vNode demand and
//! the same CPU shortage as the replay's recomputation of that host's
//! monitoring trace, on the same VMs and the same usage.

use super::testkit::{replay_rows, vm_rows};
use crate::cluster::cpu::CpuUsage;
use crate::cluster::price::account;
use crate::cluster::shortage::{AccountingConfig, PoolRule};
use crate::cluster::{EventOrder, PolicyKind, Schedule, VnodeModel};
use crate::host::{HostOptions, Quirks};
use crate::level::Level;
use crate::topology;
use crate::workload::{Event, EventKind, EventList, VmSpec};
use std::sync::Arc;

const STEP_S: u64 = 60;
/// The cluster keeps usage as `f32` (0.6 is 0.60000002): CPU-seconds
/// agree to about 1e-5 here.
const TOL: f64 = 1e-4;
const TIMES_S: [u64; 4] = [0, 60, 120, 180];

/// (name, vCPUs, level, CPU usage at each of [`TIMES_S`]).
type Vm = (&'static str, u32, &'static str, [f64; 4]);

/// laptop-8: a and b (2 vCPUs each, 2:1) share a 2-CPU vNode and want up
/// to 3.2 CPUs; c (4 vCPUs, 1:1) has its own 4 CPUs and is never short.
const VMS: [Vm; 3] = [
    ("a", 2, "2.0", [1.0, 0.75, 0.5, 1.0]),
    ("b", 2, "2.0", [0.6, 0.25, 1.0, 0.6]),
    ("c", 4, "1.0", [0.5, 1.0, 0.25, 0.0]),
];

fn trace_rows() -> Vec<String> {
    let mut rows = Vec::new();
    for (k, tmp) in TIMES_S.into_iter().enumerate() {
        let vms: Vec<[String; 2]> = VMS
            .iter()
            .map(|&(n, vcpus, level, u)| vm_rows(tmp, n, vcpus, level, 1024, &u[k].to_string()))
            .collect();
        rows.push(format!(
            "{tmp}\tglobal\tcpu\t0.5\t8\tNone\tNone\tNone\tNone\tNone\tNone"
        ));
        rows.extend(vms.iter().map(|v| v[0].clone()));
        rows.push(format!(
            "{tmp}\tglobal\tmem\t0.5\t31776\tNone\tNone\tNone\tNone\tNone\tNone"
        ));
        rows.extend(vms.iter().map(|v| v[1].clone()));
    }
    rows
}

/// The same VMs as a cluster workload: all arrive at 0, leave at 240.
fn cluster_inputs() -> (Schedule, CpuUsage) {
    let mut list = EventList::default();
    let mut cpu = CpuUsage::with_capacity(VMS.len());
    for (i, &(n, vcpus, level, u)) in VMS.iter().enumerate() {
        let level: Level = level.parse().expect("a level");
        let vm = VmSpec {
            id: n.into(),
            vcpus,
            mem_mb: 1024,
            level,
            profile: None,
        };
        list.vms.push(vm);
        let end_s = TIMES_S[3] + STEP_S;
        for (time_s, kind) in [(0, EventKind::Arrival), (end_s, EventKind::Departure)] {
            list.events.push(Event {
                time_s,
                kind,
                vm: i,
            });
        }
        cpu.push(0, STEP_S, u);
    }
    list.events.sort_by_key(|e| (e.time_s, e.kind, e.vm));
    let schedule = Schedule::new(&list, EventOrder::ArrivalsFirst, false).expect("valid list");
    (schedule, cpu)
}

#[test]
fn one_host_cluster_sees_the_replay_s_vnode_demand_and_shortage() {
    let (_, outcome) = replay_rows("laptop-8", Quirks::fixed(), &trace_rows());
    let (schedule, cpu) = cluster_inputs();
    let topo = Arc::new(topology::preset("laptop-8").expect("preset"));
    let model = VnodeModel::new(&schedule.vms, &schedule.ids, topo, HostOptions::default());
    let cfg = AccountingConfig {
        step_s: STEP_S,
        power: Default::default(),
        idle_hosts_on: true,
    };
    let acc = account(
        &schedule,
        &model,
        PolicyKind::FirstFit,
        1,
        (&cpu, &cfg, PoolRule::Model),
    );
    for series in &outcome.series {
        let (mut demand_cpu_s, mut unserved_cpu_s) = (0.0, 0.0);
        for p in series.iter_points() {
            let d = p.demand.expect("recomputed demand");
            demand_cpu_s += d * STEP_S as f64;
            unserved_cpu_s += (d - p.held as f64).max(0.0) * STEP_S as f64;
        }
        let i = schedule
            .levels
            .iter()
            .position(|&l| l == series.level)
            .expect("level");
        let got = &acc.levels[i];
        assert!(
            (got.demand_cpu_s - demand_cpu_s).abs() < TOL,
            "{}",
            series.level
        );
        assert!(
            (got.unserved_cpu_s - unserved_cpu_s).abs() < TOL,
            "{}",
            series.level
        );
        let replay_short = &outcome.summary.shortage[&series.level.to_string()];
        assert_eq!(got.short_vm_s, replay_short.vm_s_in_shortage as f64);
        assert_eq!(got.vm_s, replay_short.vm_s as f64);
    }
    // Hand-worked: demand 2:1 = 3.2, 2.0, 3.0, 3.2 CPUs on 2 CPUs held:
    // short 1.2 + 0 + 1.0 + 1.2 = 3.4 CPU x 60 s; 1:1 never short.
    let two = schedule
        .levels
        .iter()
        .position(|&l| l == Level::TWO)
        .expect("2:1");
    assert!((acc.levels[two].demand_cpu_s - 11.4 * 60.0).abs() < TOL);
    assert!((acc.levels[two].unserved_cpu_s - 3.4 * 60.0).abs() < TOL);
    let one = schedule
        .levels
        .iter()
        .position(|&l| l == Level::ONE)
        .expect("1:1");
    assert_eq!(acc.levels[one].unserved_cpu_s, 0.0);
    assert_eq!(outcome.series.len(), 2, "one vNode per level");
}
