//! `vnode` bench: the local scheduler's deploy and remove on the 256-CPU
//! EPYC 7662 preset, on an empty host and on a near-full one, for a few VM
//! sizes and levels. Throughput in operations (one deploy or one remove).
//!
//! Each measured call starts from a fresh copy of the prepared host (the
//! copy is set-up, not measured), so every deploy creates or grows the same
//! vNode and every remove shrinks it the same way.
//!
//! `vnode_scaling` deploys (into an existing or a new vNode) and removes an
//! 8-vCPU VM on half-full synthetic hosts of 128 to 2048 CPUs: the
//! farthest/closest CPU searches scan the CPUs once per CPU taken (distance
//! sums kept incrementally), so time per operation should grow about
//! linearly with the CPU count, not quadratically.
//!
//! Run: `cargo bench --bench vnode`.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use slackvm_sim::host::{Host, HostOptions};
use slackvm_sim::scheduler::VmRequest;
use slackvm_sim::topology::{self, Topology};
use slackvm_sim::Level;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const SIZES: [u32; 4] = [1, 4, 16, 64];
const LEVELS: [Level; 3] = [Level::ONE, Level::TWO, Level::THREE];
const MEM_MB: u64 = 2048;

/// Fills the host with 2-vCPU VMs, levels in turn, until at most `free`
/// CPUs are left free.
fn fill(host: &mut Host, free: usize) {
    let mut i = 0;
    while host.free_cpus() > free {
        let level = LEVELS[i % LEVELS.len()];
        let req = VmRequest::new(format!("fill-{i}"), 2, MEM_MB, level);
        host.deploy(&req).expect("filling VM fits");
        i += 1;
    }
}

/// An empty host, or one filled until `vcpus` (plus a little) CPUs are free.
fn prepared(topo: &Arc<Topology>, near_full: bool, vcpus: u32) -> Host {
    let mut host = Host::new(topo.clone(), HostOptions::default());
    if near_full {
        fill(&mut host, vcpus as usize + 4);
    }
    host
}

fn deploy_remove(c: &mut Criterion, topo: &Arc<Topology>) {
    let mut group = c.benchmark_group("vnode");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    group.throughput(Throughput::Elements(1));
    for near_full in [false, true] {
        let state = if near_full { "near_full" } else { "empty" };
        for vcpus in SIZES {
            let base = prepared(topo, near_full, vcpus);
            for level in LEVELS {
                let req = VmRequest::new("bench-vm", vcpus, MEM_MB, level);
                let case = format!("{state}/{vcpus}vcpu/level{}", level.get());
                group.bench_function(BenchmarkId::new("deploy", &case), |b| {
                    b.iter_batched_ref(
                        || base.clone(),
                        |host| host.deploy(black_box(&req)).expect("fits"),
                        BatchSize::SmallInput,
                    )
                });
                let mut hosting = base.clone();
                hosting.deploy(&req).expect("fits");
                group.bench_function(BenchmarkId::new("remove", &case), |b| {
                    b.iter_batched_ref(
                        || hosting.clone(),
                        |host| host.remove(black_box("bench-vm")).expect("hosted"),
                        BatchSize::SmallInput,
                    )
                });
            }
        }
    }
    group.finish();
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("vnode_scaling");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    group.throughput(Throughput::Elements(1));
    for cores in [32u32, 64, 128, 256, 512] {
        // 2 sockets x cores x 2 threads = 4 * cores CPUs.
        let topo = Arc::new(topology::synthetic(2, cores, 2, 4, 1 << 22).expect("shape"));
        let cpus = topo.cpu_count();
        let mut base = Host::new(topo.clone(), HostOptions::default());
        fill(&mut base, cpus / 2);
        let req = VmRequest::new("bench-vm", 8, MEM_MB, Level::TWO);
        group.bench_function(BenchmarkId::new("deploy_8vcpu", cpus), |b| {
            b.iter_batched_ref(
                || base.clone(),
                |host| host.deploy(black_box(&req)).expect("fits"),
                BatchSize::SmallInput,
            )
        });
        let level_5 = Level::new(5.0).expect("5.0 is a level");
        let new_vnode = VmRequest::new("bench-vm", 8, MEM_MB, level_5);
        group.bench_function(BenchmarkId::new("create_vnode_8vcpu", cpus), |b| {
            b.iter_batched_ref(
                || base.clone(),
                |host| host.deploy(black_box(&new_vnode)).expect("fits"),
                BatchSize::SmallInput,
            )
        });
        let mut hosting = base.clone();
        hosting.deploy(&req).expect("fits");
        group.bench_function(BenchmarkId::new("remove_8vcpu", cpus), |b| {
            b.iter_batched_ref(
                || hosting.clone(),
                |host| host.remove(black_box("bench-vm")).expect("hosted"),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let topo = Arc::new(topology::preset("epyc-7662").expect("preset"));
    assert_eq!(topo.cpu_count(), 256);
    deploy_remove(c, &topo);
    scaling(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
