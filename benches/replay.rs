//! `replay` bench: the shipped EPYC 7662 trace (266,693 rows, gzip)
//! replayed end to end on its topology, as `cargo run --release --bin
//! replay` does with no arguments, minus the figure and the disk: the
//! recomputed trace goes to `io::sink`. Throughput in input rows.
//!
//! - `replay/full`: both passes ([`replay`]), the default quirks;
//! - `replay/first_pass`: the first pass alone;
//! - `replay/prototype`: both passes with every prototype quirk on.
//!
//! Run: `cargo bench --bench replay`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use slackvm_sim::host::{HostOptions, Quirks};
use slackvm_sim::replay::{first_pass, replay, ReplayOptions, TraceSource};
use slackvm_sim::topology::{self, Topology};
use slackvm_sim::trace::TraceWriter;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const TRACE: &str = "datasets/trace_EPYC-7662-exp.tsv.gz";
const TOPOLOGY: &str = "datasets/topology_EPYC-7662-exp.json";
const ROWS: u64 = 266_693;

fn load() -> (Arc<Topology>, TraceSource) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let topo = topology::load_json_file(&root.join(TOPOLOGY)).expect("shipped topology");
    let path = root.join(TRACE);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let source = TraceSource::Bytes(TRACE.into(), bytes.leak());
    (Arc::new(topo), source)
}

fn run(topo: &Arc<Topology>, source: &TraceSource, quirks: Quirks) -> u64 {
    let sink = Box::new(std::io::sink());
    let mut w = TraceWriter::from_writer(Path::new("sink"), sink).expect("header");
    let opts = ReplayOptions {
        host: HostOptions {
            quirks,
            ..HostOptions::default()
        },
    };
    let outcome = replay(topo.clone(), opts, source, Some(&mut w), &mut |_, _| {})
        .expect("the shipped trace replays");
    assert_eq!(outcome.summary.rows_in, ROWS, "the shipped trace changed");
    w.finish().expect("flush to sink")
}

fn bench(c: &mut Criterion) {
    let (topo, source) = load();
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(ROWS));
    group.bench_function("full", |b| {
        b.iter(|| run(&topo, black_box(&source), Quirks::default()))
    });
    group.bench_function("first_pass", |b| {
        b.iter(|| first_pass(black_box(&source)).expect("first pass"))
    });
    group.bench_function("prototype", |b| {
        b.iter(|| run(&topo, black_box(&source), Quirks::prototype()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
