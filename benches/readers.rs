//! `readers` bench: reading workload files from memory (no disk speed
//! measured), in MB/s of text:
//! - `event_csv`: our event list CSV (a synthetic workload of 150,000
//!   VMs, 300,000 rows, written by `write_event_csv`);
//! - `huawei`: the same workload written in the Huawei-East-1 format with
//!   decimal times, as the real file (`sweep scale --export-huawei`);
//! - `vmtable`: an Azure V2 vmtable of 100,000 VMs (long base64-like ids,
//!   float CPU columns, bucket labels), like the real file.
//!
//! Run: `cargo bench --bench readers -- --warm-up-time 1 --measurement-time 3`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use slackvm_sim::cluster::synthetic::{scale_workload, ScaleSpec};
use slackvm_sim::sweep::scale::{write_huawei, write_vmtable};
use slackvm_sim::workload::{
    parse_azure_vmtable, parse_huawei, read_event_list, write_event_csv, Catalogue,
};
use std::hint::black_box;

fn inputs() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let spec = ScaleSpec::new(2_000, 150_000);
    let list = scale_workload(&Catalogue::ovhcloud2023(), &spec).expect("workload");
    let mut events = Vec::new();
    write_event_csv(&list, &mut events).expect("event csv");
    let mut huawei = Vec::new();
    write_huawei(&list, &mut huawei).expect("huawei");
    let mut vmtable = Vec::new();
    write_vmtable(100_000, 7, &mut vmtable).expect("vmtable");
    (events, huawei, vmtable)
}

fn bench(c: &mut Criterion) {
    let (events, huawei, vmtable) = inputs();
    let mut group = c.benchmark_group("readers");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(events.len() as u64));
    group.bench_function("event_csv", |b| {
        b.iter(|| read_event_list(black_box(events.as_slice()), "bench").expect("parses"))
    });
    group.throughput(Throughput::Bytes(huawei.len() as u64));
    group.bench_function("huawei", |b| {
        b.iter(|| parse_huawei(black_box(huawei.as_slice()), "bench").expect("parses"))
    });
    group.throughput(Throughput::Bytes(vmtable.len() as u64));
    group.bench_function("vmtable", |b| {
        b.iter(|| parse_azure_vmtable(black_box(vmtable.as_slice()), "bench").expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
