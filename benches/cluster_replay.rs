//! `cluster_replay` bench: `replay --cluster` through its library entry
//! ([`ClusterReplay::run`], then the cluster summary's timeline and
//! totals), on a folder of 8 hosts, each replaying a copy of the shipped
//! EPYC 7662 trace (266,693 rows, gzip) on its topology, with 1 and 2
//! worker threads. Every host writes its `monitoring.tsv`, `summary.json`
//! and `figure3.csv` to a scratch folder under the system's temporary
//! directory (removed at the end), as the binary does with `--no-figure`.
//! Throughput in hosts.
//!
//! Run: `cargo bench --bench cluster_replay`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use slackvm_sim::replay::cluster::{self, ClusterHost, ClusterReplay};
use slackvm_sim::replay::{cluster_summary, ReplayOptions};
use slackvm_sim::topology;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const TRACE: &str = "datasets/trace_EPYC-7662-exp.tsv.gz";
const TOPOLOGY: &str = "datasets/topology_EPYC-7662-exp.json";
const HOSTS: usize = 8;

/// A scratch folder with `HOSTS` copies of the shipped trace
/// (`host0.tsv.gz` ...), and the folder the replays write into.
fn scratch() -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("slackvm-bench-cluster-{}", std::process::id()));
    let traces = dir.join("traces");
    std::fs::create_dir_all(&traces).expect("scratch folder");
    for i in 0..HOSTS {
        std::fs::copy(root.join(TRACE), traces.join(format!("host{i}.tsv.gz")))
            .expect("copy of the shipped trace");
    }
    (dir, traces)
}

fn run(job: &ClusterReplay, hosts: &[ClusterHost]) -> u64 {
    let results = job.run(hosts).expect("thread pool");
    assert!(results.iter().all(|r| r.outcome.is_ok()), "a host failed");
    let timeline = cluster_summary::timeline(&results);
    let summary = cluster_summary::summarize(&results, &timeline);
    std::hint::black_box(summary);
    results.len() as u64
}

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let topo = topology::load_json_file(&root.join(TOPOLOGY)).expect("shipped topology");
    let (dir, traces) = scratch();
    let hosts = cluster::discover(&traces).expect("the scratch hosts");
    assert_eq!(hosts.len(), HOSTS);
    let mut group = c.benchmark_group("cluster_replay");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(HOSTS as u64));
    for threads in [1, 2] {
        let job = ClusterReplay {
            topo: Arc::new(topo.clone()),
            opts: ReplayOptions::default(),
            out: dir.join(format!("out{threads}")),
            threads: Some(threads),
            figures: false,
        };
        group.bench_with_input(BenchmarkId::new("threads", threads), &job, |b, job| {
            b.iter(|| run(job, &hosts))
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
