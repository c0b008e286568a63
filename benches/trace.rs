//! `trace` bench: reading and writing the monitoring trace (docs/monitoring-trace.md),
//! plain and gzip, on the shipped EPYC 7662 trace (266,693 rows).
//!
//! Two groups measure the same work: `trace_bytes` reports MB/s of
//! *uncompressed* TSV (for gzip too, so plain and gzip compare directly),
//! `trace_rows` reports rows/s. Writing goes to `io::sink` (plain) or a
//! gzip encoder into `io::sink` at the level `TraceWriter::create` uses
//! for `.gz` paths, so no disk speed is measured.
//!
//! Run: `cargo bench --bench trace`.

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use slackvm_sim::trace::{self, Record, TraceReader, TraceWriter};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const TRACE: &str = "datasets/trace_EPYC-7662-exp.tsv.gz";

/// The shipped trace, gzip as shipped and decompressed once.
struct Input {
    gz: &'static [u8],
    plain: &'static [u8],
    records: Vec<Record>,
}

fn load() -> Input {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(TRACE);
    let gz = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let plain = trace::decompress(&gz).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let plain: &'static [u8] = plain.leak();
    let records = TraceReader::from_bytes("plain", plain)
        .expect("header")
        .collect::<Result<Vec<_>, _>>()
        .expect("the shipped trace parses");
    Input {
        gz: gz.leak(),
        plain,
        records,
    }
}

fn read_all(name: &str, data: &'static [u8]) -> u64 {
    let mut reader = TraceReader::from_bytes(name, data).expect("header");
    let mut rec = Record::default();
    let mut rows = 0u64;
    while reader.next_into(&mut rec).expect("row parses") {
        rows += 1;
    }
    black_box(&rec);
    rows
}

fn write_all(records: &[Record], gzip: bool) -> u64 {
    let sink = Box::new(std::io::sink());
    let name = Path::new("sink");
    let mut w = if gzip {
        TraceWriter::gzip_to(name, sink)
    } else {
        TraceWriter::from_writer(name, sink)
    }
    .expect("header");
    for r in records {
        w.write(r).expect("write to sink");
    }
    w.finish().expect("flush to sink")
}

fn cases(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, input: &Input) {
    group.bench_function("read_plain", |b| {
        b.iter(|| read_all("plain", black_box(input.plain)))
    });
    group.bench_function("read_gzip", |b| {
        b.iter(|| read_all("gzip", black_box(input.gz)))
    });
    group.bench_function("write_plain", |b| {
        b.iter(|| write_all(black_box(&input.records), false))
    });
    group.bench_function("write_gzip", |b| {
        b.iter(|| write_all(black_box(&input.records), true))
    });
}

fn bench(c: &mut Criterion) {
    let input = load();
    let rows = input.records.len() as u64;
    assert_eq!(rows, 266_693, "the shipped trace changed");

    let mut group = c.benchmark_group("trace_bytes");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(input.plain.len() as u64));
    cases(&mut group, &input);
    group.finish();

    let mut group = c.benchmark_group("trace_rows");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(rows));
    cases(&mut group, &input);
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
