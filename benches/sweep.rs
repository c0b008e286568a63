//! `sweep` bench: one cell of the paper grid end to end on one thread —
//! generating the OVHcloud workload (500 initial VMs, levels 33/33/34 %,
//! seed 0), then sizing it: the SlackVM cluster and the three dedicated
//! clusters, each by its host-count search (one pass for first-fit style
//! policies, bisection with verification otherwise). Throughput in cells.
//!
//! Variants: `paper`/`counting` (the published setting), `best-fit` and
//! `progress` on `counting`, and `paper` on `vnode` (the local scheduler
//! on `host-32`).
//!
//! Run: `cargo bench --bench sweep`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use slackvm_sim::cluster::{ModelKind, PolicyKind};
use slackvm_sim::sweep::{run_grid, GridSpec};
use std::hint::black_box;
use std::time::Duration;

fn cell(policy: PolicyKind, model: ModelKind) -> GridSpec {
    let mut spec = GridSpec::paper(1);
    spec.catalogues = vec!["ovhcloud2023".into()];
    spec.distributions = vec![[33, 33, 34]];
    spec.vms = vec![500];
    spec.policies = vec![policy];
    spec.models = vec![model];
    spec
}

fn sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("sweep/cell-ovh-500");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(4));
    let variants = [
        (PolicyKind::Paper, ModelKind::Counting),
        (PolicyKind::BestFit, ModelKind::Counting),
        (PolicyKind::Progress, ModelKind::Counting),
        (PolicyKind::Paper, ModelKind::Vnode),
    ];
    for (policy, model) in variants {
        let spec = cell(policy, model);
        let id = BenchmarkId::new(policy.name(), model.name());
        group.bench_function(id, |b| {
            b.iter(|| black_box(run_grid(&spec, None, Some(1), &|| {}).expect("paper cell runs")))
        });
    }
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
