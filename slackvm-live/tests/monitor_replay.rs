//! Monitoring round trip: a trace written by a live local daemon, replayed
//! by the simulator's `replay`, gives back the vNode sizes the daemon had
//! at every timestamp.

mod common;

use common::{get, success, temp_dir, topology_file, Daemon, LOCAL};
use slackvm_sim::replay::{replay, ReplayOptions, TraceSource};
use slackvm_sim::trace::{RecKind, Record, Res, TraceReader};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn read_trace(path: &Path) -> Vec<Record> {
    let mut reader = TraceReader::open_any(path).expect("open trace");
    let mut out = Vec::new();
    let mut rec = Record::default();
    while reader.next_into(&mut rec).expect("valid trace row") {
        out.push(rec.clone());
    }
    out
}

fn steps(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect::<BTreeSet<_>>()
        .len()
}

/// Waits (10 s at most) until the trace holds one more monitoring step.
async fn next_step(path: &Path) {
    let n = steps(path);
    for _ in 0..200 {
        if steps(path) > n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no new monitoring step in {}", path.display());
}

/// (tmp, subset id) -> config of the cpu/mem vNode records.
fn vnode_sizes(records: &[Record], res: Res) -> BTreeMap<(u64, String), u64> {
    records
        .iter()
        .filter(|r| r.rec == Some(RecKind::Subset) && r.res == Some(res))
        .map(|r| ((r.tmp, r.subset.clone().unwrap()), r.config.unwrap() as u64))
        .collect()
}

#[tokio::test]
async fn live_trace_replays_to_the_same_vnode_sizes() {
    let dir = temp_dir("monitor-replay");
    let topo_path = topology_file(&dir, "host-32");
    let trace = dir.join("live.tsv");
    let mut d = Daemon::start(
        LOCAL,
        &[
            "--listen",
            "127.0.0.1:0",
            "--topology",
            topo_path.to_str().unwrap(),
            "--trace",
            trace.to_str().unwrap(),
            "--delay-s",
            "1",
        ],
        &dir,
    );
    next_step(&trace).await;
    let script: [&[&str]; 4] = [
        &[
            "/deploy?name=a&cpu=2&mem=2&oc=1",
            "/deploy?name=b&cpu=3&mem=1&oc=2",
        ],
        &[
            "/deploy?name=c&cpu=1&mem=4&oc=2",
            "/deploy?name=d&cpu=4&mem=1&oc=3",
        ],
        &["/remove?name=b"],
        &["/remove?name=a", "/deploy?name=e&cpu=2&mem=2&oc=2"],
    ];
    for batch in script {
        for path in batch {
            assert!(success(&get(&d.addr, path).await.1), "{path}");
        }
        next_step(&trace).await;
    }
    d.terminate();

    let live = read_trace(&trace);
    let live_cpu = vnode_sizes(&live, Res::Cpu);
    assert!(
        live_cpu.values().any(|&n| n > 0),
        "the live trace shows vNodes"
    );

    let topo = Arc::new(slackvm_sim::topology::load_json_file(&topo_path).unwrap());
    let replayed = dir.join("replayed.tsv");
    let mut writer = slackvm_sim::trace::TraceWriter::create(&replayed).unwrap();
    let outcome = replay(
        topo,
        ReplayOptions::default(),
        &TraceSource::File(trace.clone()),
        Some(&mut writer),
        &mut |_, _| {},
    )
    .expect("replay of the live trace");
    writer.finish().unwrap();
    assert!(
        outcome.summary.refused.is_empty(),
        "{:?}",
        outcome.summary.refused
    );

    // Every vNode size of the live trace, at every timestamp, comes back.
    let mut from_series = BTreeMap::new();
    for s in &outcome.series {
        let id = format!("subset-{}", slackvm_sim::pyfmt::float(s.level));
        for &(tmp, held, _) in &s.points {
            from_series.insert((tmp, id.clone()), held);
        }
    }
    let back = read_trace(&replayed);
    assert_eq!(
        vnode_sizes(&back, Res::Cpu),
        live_cpu,
        "cpu vNode sizes (replayed trace)"
    );
    for (key, held) in &live_cpu {
        assert_eq!(from_series.get(key), Some(held), "{key:?}");
    }
    assert_eq!(
        vnode_sizes(&back, Res::Mem),
        vnode_sizes(&live, Res::Mem),
        "memory pool sizes"
    );
}
