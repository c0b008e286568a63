//! `placement` bench: the cost of ONE placement decision, per policy, on
//! clusters of 10 to 100,000 hosts at about 70% CPU occupancy, for both
//! host models (`counting`: the published CPU counting; `vnode`: the local
//! scheduler on the 32-CPU `host-32` topology).
//!
//! Set-up (not timed): VMs drawn from the OVHcloud 2023 catalogue (levels
//! 34/33/33 %, memory cap on), hosts filled one by one to a uniform draw
//! between 40% and 100% of their CPUs ([`fill_hosts`]), then the host index
//! built as the engine builds it. Timed: choosing a host for one of 64
//! probe VMs (cycled), without placing it. `first-fit`, `best-fit`,
//! `worst-fit` and `paper` decide through the index; `progress` scans. The
//! `*-scan` entries (counting model) time the straightforward scans the
//! index replaces, for comparison.
//!
//! Run: `cargo bench --bench placement` (about 6 minutes); one size:
//! `cargo bench --bench placement -- /1000$`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use slackvm_sim::cluster::model::{CountingModel, HostModel, ModelOptions, VnodeModel};
use slackvm_sim::cluster::synthetic::{draw_vms, fill_hosts};
use slackvm_sim::cluster::{EventOrder, HostIndex, PolicyKind, Schedule};
use slackvm_sim::host::HostOptions;
use slackvm_sim::topology::preset;
use slackvm_sim::workload::{Catalogue, EventList};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 100_000];
const PROBES: usize = 64;
const OCCUPANCY_PCT: u32 = 70;
const SEED: u64 = 7;

/// VMs enough to fill `hosts` hosts of 32 CPUs to ~70%, then the probes.
fn schedule(hosts: usize) -> (Schedule, usize) {
    let cat = Catalogue::ovhcloud2023();
    let sample = draw_vms(&cat, 4096, [34, 33, 33], SEED).expect("level shares");
    let mean_cpus: f64 = sample
        .iter()
        .map(|v| f64::from(v.vcpus) / v.level.get())
        .sum::<f64>()
        / sample.len() as f64;
    let fill = ((hosts as f64 * 32.0 * 0.8 / mean_cpus) * 1.3) as usize + 64;
    let vms = draw_vms(&cat, fill + PROBES, [34, 33, 33], SEED).expect("level shares");
    let list = EventList::from_spans(vms, &vec![(0, None); fill + PROBES]);
    let s = Schedule::new(&list, EventOrder::ArrivalsFirst, true).expect("valid workload");
    (s, fill)
}

fn decide<M: HostModel>(c: &mut Criterion, model_name: &str, model: &M, hosts: usize, fill: usize) {
    let (cluster, used) = fill_hosts(model, hosts, fill, OCCUPANCY_PCT, SEED);
    assert!(used <= fill, "fill overran");
    let probes: Vec<usize> = (fill..fill + PROBES).collect();
    let mut group = c.benchmark_group(format!("placement/{model_name}"));
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for p in PolicyKind::ALL {
        let index = HostIndex::with_classes(model, &cluster, p.exact_classes());
        let mut k = 0;
        group.bench_function(BenchmarkId::new(p.name(), hosts), |b| {
            b.iter(|| {
                k = (k + 1) % PROBES;
                black_box(p.choose_indexed(model, &cluster, &index, probes[k]))
            })
        });
        if model_name == "counting" && p.uses_index() && p != PolicyKind::Paper {
            let mut k = 0;
            group.bench_function(BenchmarkId::new(format!("{}-scan", p.name()), hosts), |b| {
                b.iter(|| {
                    k = (k + 1) % PROBES;
                    black_box(p.choose(model, &cluster, probes[k]))
                })
            });
        }
    }
    group.finish();
}

fn placement(c: &mut Criterion) {
    let topo = Arc::new(preset("host-32").expect("preset host-32"));
    for hosts in SIZES {
        let (s, fill) = schedule(hosts);
        let counting = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        decide(c, "counting", &counting, hosts, fill);
        let vnode = VnodeModel::new(&s.vms, &s.ids, Arc::clone(&topo), HostOptions::default());
        decide(c, "vnode", &vnode, hosts, fill);
    }
}

criterion_group!(benches, placement);
criterion_main!(benches);
