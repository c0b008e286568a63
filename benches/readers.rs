//! `readers` bench: reading workload files from memory (no disk speed
//! measured), in MB/s of text:
//! - `event_csv`: our event list CSV (a synthetic workload of 150,000
//!   VMs, 300,000 rows, written by `write_event_csv`) read from memory;
//! - `event_csv_file`: the same bytes read from a file (in the page
//!   cache) as `sweep --trace F --format events` reads it (`read_trace`);
//! - `huawei`: the same workload written in the Huawei-East-1 format with
//!   decimal times, as the real file (`sweep scale --export-huawei`);
//! - `vmtable`: an Azure V2 vmtable of 100,000 VMs (long base64-like ids,
//!   float CPU columns, bucket labels), like the real file;
//! - `huawei_230k_e2e`: end to end on a 230,000-row Huawei-format trace
//!   (115,000 VMs of Huawei-like flavours, what `sweep scale --vms 115000
//!   --hosts 50 --host-cpus 64 --host-mem-gb 128 --levels 100/0/0
//!   --catalogue huawei-like.yaml --export-huawei` writes): read, levels
//!   (every VM 1:1), schedule, first-fit on 50 hosts of 64 CPUs / 128 GB,
//!   as `sweep scale --trace` does minus the file system.
//!
//! Each is measured twice: group `readers` in wall time, group
//! `readers_cpu` in this thread's CPU time (`common/cpu_clock.rs`), which
//! a shared machine disturbs much less.
//!
//! Run: `cargo bench --bench readers -- --warm-up-time 1 --measurement-time 3`
//! (`readers_cpu/` for the CPU-time group only).

#[path = "common/cpu_clock.rs"]
mod cpu_clock;

use criterion::measurement::Measurement;
use criterion::{criterion_group, BenchmarkGroup, Criterion, Throughput};
use slackvm_sim::cluster::model::ModelKind;
use slackvm_sim::cluster::schedule::EventOrder;
use slackvm_sim::cluster::synthetic::{scale_workload, ScaleSpec};
use slackvm_sim::cluster::PolicyKind;
use slackvm_sim::sweep::host::HostSpec;
use slackvm_sim::sweep::scale::{run_schedule, write_huawei, write_vmtable, ScaleConfig};
use slackvm_sim::sweep::trace::{leveled_schedule_owned, Oversize, TraceSpec};
use slackvm_sim::workload::{
    parse_azure_vmtable, parse_huawei, read_event_list, read_trace, write_event_csv, Catalogue,
    LevelRule, ReadOptions, ReadReport, TraceFormat, TraceRead, VmAttrs,
};
use std::hint::black_box;
use std::path::Path;
use std::sync::OnceLock;

/// Huawei-like flavours (shares of vCPUs and GB as in the public trace's
/// flavour list, written by hand).
const HUAWEI_LIKE: &str = "name: huawei-like
vcpus:
  - {size: 1, share: 0.45}
  - {size: 2, share: 0.25}
  - {size: 4, share: 0.15}
  - {size: 8, share: 0.1}
  - {size: 16, share: 0.03}
  - {size: 32, share: 0.015}
  - {size: 64, share: 0.005}
memory_gb:
  - {size: 2, share: 0.45}
  - {size: 4, share: 0.25}
  - {size: 8, share: 0.15}
  - {size: 16, share: 0.1}
  - {size: 32, share: 0.03}
  - {size: 64, share: 0.015}
  - {size: 128, share: 0.005}
";

struct Inputs {
    events: Vec<u8>,
    /// `events` written to a file.
    events_file: std::path::PathBuf,
    huawei: Vec<u8>,
    vmtable: Vec<u8>,
    huawei_230k: Vec<u8>,
}

static INPUTS: OnceLock<Inputs> = OnceLock::new();

fn inputs() -> &'static Inputs {
    INPUTS.get_or_init(|| {
        let spec = ScaleSpec::new(2_000, 150_000);
        let list = scale_workload(&Catalogue::ovhcloud2023(), &spec).expect("workload");
        let mut events = Vec::new();
        write_event_csv(&list, &mut events).expect("event csv");
        let events_file =
            std::env::temp_dir().join(format!("slackvm-bench-{}.csv", std::process::id()));
        std::fs::write(&events_file, &events).expect("writes the event file");
        let mut huawei = Vec::new();
        write_huawei(&list, &mut huawei).expect("huawei");
        let mut vmtable = Vec::new();
        write_vmtable(100_000, 7, &mut vmtable).expect("vmtable");
        let like = Catalogue::from_yaml_str(HUAWEI_LIKE, Path::new("huawei-like.yaml"), "x")
            .expect("catalogue");
        let spec = ScaleSpec {
            host_cpus: 64,
            level_shares_pct: [100, 0, 0],
            ..ScaleSpec::new(50, 115_000)
        };
        let list = scale_workload(&like, &spec).expect("workload");
        let mut huawei_230k = Vec::new();
        write_huawei(&list, &mut huawei_230k).expect("huawei");
        Inputs {
            events,
            events_file,
            huawei,
            vmtable,
            huawei_230k,
        }
    })
}

/// `sweep scale --trace F --format huawei --hosts 50 --host-cpus 64
/// --host-mem-gb 128 --policy first-fit` on bytes in memory; VMs placed.
fn huawei_e2e(bytes: &[u8], host: &HostSpec) -> u64 {
    let list = parse_huawei(bytes, "bench").expect("parses");
    let trace = TraceRead {
        format: TraceFormat::Huawei,
        list,
        attrs: VmAttrs::none(),
        report: ReadReport::default(),
        usage: None,
    };
    let spec = TraceSpec {
        name: "h230k.csv".into(),
        rule: LevelRule::Shares([100, 0, 0]),
        seeds: vec![0],
        policies: vec![PolicyKind::FirstFit],
        models: vec![ModelKind::Counting],
        mem_cap: false,
        order: EventOrder::ArrivalsFirst,
        host: host.clone(),
        oversize: Oversize::Error,
        price: Default::default(),
    };
    let (schedule, _, _) =
        leveled_schedule_owned(&spec, trace, 0, ModelKind::Counting, true).expect("levels");
    let mut cfg = ScaleConfig::new(50);
    cfg.host_cpus = 64;
    cfg.host_mem_mb = 131_072;
    cfg.mem_cap = false;
    let run = run_schedule(&schedule, &cfg, 0.0).expect("runs");
    run.outcome.placed
}

fn group<M: Measurement>(mut group: BenchmarkGroup<'_, M>) {
    let inp = inputs();
    group.sample_size(10);
    group.throughput(Throughput::Bytes(inp.events.len() as u64));
    group.bench_function("event_csv", |b| {
        b.iter(|| read_event_list(black_box(inp.events.as_slice()), "bench").expect("parses"))
    });
    group.bench_function("event_csv_file", |b| {
        b.iter(|| {
            read_trace(
                &inp.events_file,
                TraceFormat::Events,
                &ReadOptions::default(),
            )
            .expect("reads")
        })
    });
    group.throughput(Throughput::Bytes(inp.huawei.len() as u64));
    group.bench_function("huawei", |b| {
        b.iter(|| parse_huawei(black_box(inp.huawei.as_slice()), "bench").expect("parses"))
    });
    group.throughput(Throughput::Bytes(inp.vmtable.len() as u64));
    group.bench_function("vmtable", |b| {
        b.iter(|| parse_azure_vmtable(black_box(inp.vmtable.as_slice()), "bench").expect("parses"))
    });
    let host = HostSpec::resolve(Some(64), Some(128), None).expect("host");
    group.throughput(Throughput::Bytes(inp.huawei_230k.len() as u64));
    group.bench_function("huawei_230k_e2e", |b| {
        b.iter(|| huawei_e2e(black_box(inp.huawei_230k.as_slice()), &host))
    });
    group.finish();
}

fn wall(c: &mut Criterion) {
    group(c.benchmark_group("readers"));
}

fn cpu(c: &mut Criterion<cpu_clock::CpuClock>) {
    group(c.benchmark_group("readers_cpu"));
}

criterion_group!(wall_benches, wall);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(cpu_clock::CpuClock);
    targets = cpu
}

/// `criterion_main!` plus the removal of the event file.
fn main() {
    wall_benches();
    cpu_benches();
    if let Some(inp) = INPUTS.get() {
        let _ = std::fs::remove_file(&inp.events_file);
    }
    Criterion::default().configure_from_args().final_summary();
}
