//! `price` bench: the usage accounting of the price of packing at scale —
//! 40,000 VMs (OVHcloud shapes, levels 34/33/33, seed 0) that arrive in the
//! first hour and leave one day later (also spread over an hour), replayed
//! first-fit on a fixed cluster of 20,000 counting hosts of 32 CPUs, every
//! VM's CPU usage a seeded avg/p95/max series (30% / 80% / 100%) at the
//! default 300 s step: about 300 samples x 40,000 VMs = 12 M VM-steps.
//!
//! Two variants: `plain` (the run alone, no observer) and `accounted`
//! (the same run with the shortage and energy [`Accountant`] attached);
//! their difference is the cost of the accounting. Throughput in VMs.
//!
//! Run: `cargo bench --bench price`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use slackvm_sim::cluster::cpu::{stats_series, CpuUsage};
use slackvm_sim::cluster::engine::run;
use slackvm_sim::cluster::price::account;
use slackvm_sim::cluster::shortage::{AccountingConfig, PoolRule};
use slackvm_sim::cluster::synthetic::draw_vms;
use slackvm_sim::cluster::{
    CountingModel, EngineOptions, EventOrder, Hosts, ModelOptions, PolicyKind, Schedule,
};
use slackvm_sim::rng::Rng;
use slackvm_sim::workload::{Catalogue, EventList};
use std::hint::black_box;
use std::time::Duration;

const HOSTS: usize = 20_000;
const VMS: usize = 40_000;
const STEP_S: u64 = 300;
const HOUR_S: u64 = 3_600;
const DAY_S: u64 = 86_400;

fn setup() -> (Schedule, CpuUsage) {
    let catalogue = Catalogue::builtin("ovhcloud2023").expect("built-in catalogue");
    let vms = draw_vms(&catalogue, VMS, [34, 33, 33], 0).expect("valid shares");
    let mut rng = Rng::new(0);
    // VM indexes in arrival order, as trace readers and generators give them.
    let mut arrivals_s: Vec<u64> = (0..VMS).map(|_| rng.below(HOUR_S)).collect();
    arrivals_s.sort_unstable();
    let spans: Vec<(u64, Option<u64>)> = arrivals_s
        .into_iter()
        .map(|a_s| (a_s, Some(a_s + DAY_S + rng.below(HOUR_S))))
        .collect();
    let mut list = EventList::from_spans(vms, &spans);
    list.sort_stable();
    let schedule = Schedule::new(&list, EventOrder::ArrivalsFirst, true).expect("valid list");
    let steps = (schedule.horizon_s / STEP_S + 1) as usize;
    let mut cpu = CpuUsage::with_capacity(VMS);
    for vm in 0..schedule.vms.len() {
        cpu.push(0, STEP_S, stats_series(0.3, 0.8, 1.0, steps, 0, vm as u64));
    }
    (schedule, cpu)
}

fn price(c: &mut Criterion) {
    let (schedule, cpu) = setup();
    let model = CountingModel::new(&schedule.vms, &schedule.levels, ModelOptions::default());
    let cfg = AccountingConfig {
        step_s: STEP_S,
        power: Default::default(),
        idle_hosts_on: true,
    };
    let mut group = c.benchmark_group("price/20k-hosts-40k-vms");
    group.throughput(Throughput::Elements(VMS as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("plain", |b| {
        b.iter(|| {
            let opts = EngineOptions::default();
            black_box(run(
                &schedule,
                &model,
                PolicyKind::FirstFit,
                Hosts::Fixed(HOSTS),
                opts,
            ))
        })
    });
    group.bench_function("accounted", |b| {
        b.iter(|| {
            let rule = (&cpu, &cfg, PoolRule::Model);
            black_box(account(
                &schedule,
                &model,
                PolicyKind::FirstFit,
                HOSTS,
                rule,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, price);
criterion_main!(benches);
