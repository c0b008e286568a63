//! Replay of a hand-written trace on the 8-CPU laptop preset, with every
//! expected row worked out by hand from docs/scheduler.md and docs/monitoring-trace.md,
//! in the default mode and in prototype-compatibility mode.

use slackvm_sim::host::{HostOptions, Quirks};
use slackvm_sim::replay::{replay, ReplayOptions, TraceSource};
use slackvm_sim::topology::preset;
use slackvm_sim::trace::TraceWriter;
use std::path::PathBuf;
use std::sync::Arc;

fn input() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/small_trace.tsv")
}

/// Replays and returns the output rows without their `sb_dsc` column.
fn run(quirks: Quirks) -> (Vec<String>, slackvm_sim::replay::ReplaySummary) {
    let dir = std::env::temp_dir().join(format!(
        "slackvm-replay-test-{}-{}",
        std::process::id(),
        quirks.replay_mem_kib
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.tsv");
    let mut w = TraceWriter::create(&out).unwrap();
    let opts = ReplayOptions {
        host: HostOptions {
            quirks,
            ..HostOptions::default()
        },
    };
    let outcome = replay(
        Arc::new(preset("laptop-8").unwrap()),
        opts,
        &TraceSource::File(input()),
        Some(&mut w),
        &mut |_, _| {},
    )
    .unwrap();
    w.finish().unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let rows = text
        .lines()
        .map(|l| l.rsplit_once('\t').unwrap().0.replace('\t', " "))
        .collect();
    (rows, outcome.summary)
}

const PROTOTYPE: &str = "tmp rec res val config subset vm_uuid vm_cmn sb_oc sb_unused
0 global cpu 0.1 8 None None None None None
0 subset cpu 0.5 2 subset-2.0 None None 2.0 0
0 vm cpu 0.25 2 subset-2.0 ua a 2.0 None
0 subset cpu 0.3 0 subset-1.0 None None 1.0 0
0 vm cpu 0.3 1 subset-1.0 us s 1.0 None
0 global mem 0.2 31776 None None None None None
0 subset mem 0.4 4 subset-1 None None 1 0
0 vm mem 0.5 4 subset-1 ua a 1 None
0 vm mem 0.6 2 subset-1 us s 1 None
15 global cpu 0.2 8 None None None None None
15 subset cpu 0.5 2 subset-2.0 None None 2.0 0
15 vm cpu 0.25 2 subset-2.0 ua a 2.0 None
15 subset cpu 1e-05 4 subset-1.0 None None 1.0 0
15 vm cpu 1e-05 4 subset-1.0 ub b 1.0 None
15 global mem None 31776 None None None None None
15 subset mem 0.4 12 subset-1 None None 1 0
15 vm mem 0.5 4 subset-1 ua a 1 None
15 vm mem 0.7 8 subset-1 ub b 1 None
30 global cpu 0.3 8 None None None None None
30 subset cpu 0.0 0 subset-2.0 None None 2.0 0
30 subset cpu 0.9 4 subset-1.0 None None 1.0 0
30 vm cpu 0.9 4 subset-1.0 ub b 1.0 None
30 global mem 0.3 31776 None None None None None
30 subset mem 0.4 8 subset-1 None None 1 0
30 vm mem 0.7 8 subset-1 ub b 1 None";

#[test]
fn prototype_mode_reproduces_the_prototype_rows() {
    let (rows, summary) = run(Quirks::prototype());
    let want: Vec<String> = PROTOTYPE.lines().map(String::from).collect();
    assert_eq!(rows, want);
    assert_eq!(summary.accepted.values().sum::<u64>(), 3);
    assert!(summary.refused.is_empty());
}

/// The default quirks, but records copied from the input as the prototype
/// does (`replay-copy-records`, issue 10: the default now recomputes them).
fn default_copying() -> Quirks {
    let mut q = Quirks::default();
    q.replay_copy_records = true;
    q
}

#[test]
fn default_mode_uses_megabytes_and_removes_after_the_last_sighting() {
    let (rows, summary) = run(default_copying());
    let want: Vec<String> = PROTOTYPE
        .replace(
            "0 subset cpu 0.3 0 subset-1.0",
            "0 subset cpu 0.3 1 subset-1.0",
        )
        .replace(
            "0 subset mem 0.4 4 subset-1",
            "0 subset mem 0.4 6144 subset-1",
        )
        .replace("0 vm mem 0.5 4 subset-1", "0 vm mem 0.5 4096 subset-1")
        .replace("0 vm mem 0.6 2 subset-1", "0 vm mem 0.6 2048 subset-1")
        .replace(
            "15 subset mem 0.4 12 subset-1",
            "15 subset mem 0.4 12288 subset-1",
        )
        .replace("15 vm mem 0.5 4 subset-1", "15 vm mem 0.5 4096 subset-1")
        .replace("15 vm mem 0.7 8 subset-1", "15 vm mem 0.7 8192 subset-1")
        .replace(
            "30 subset mem 0.4 8 subset-1",
            "30 subset mem 0.4 8192 subset-1",
        )
        .replace("30 vm mem 0.7 8 subset-1", "30 vm mem 0.7 8192 subset-1")
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(rows, want);
    let cpu1 = summary
        .vnodes
        .iter()
        .find(|v| v.subset == "subset-1.0")
        .unwrap();
    // Level 1: 1 CPU, grows to 5 for b, shrinks to 4 when s leaves.
    assert_eq!((cpu1.min, cpu1.max, cpu1.last), (1, 4, 4));
}

#[test]
fn refused_vms_are_reported_and_their_rows_copied() {
    // On a 2-CPU host a (2 vCPUs, 2:1) takes both CPUs: s and b are refused.
    let topo = Arc::new(slackvm_sim::topology::synthetic(1, 1, 2, 1, 31_776).unwrap());
    let opts = ReplayOptions {
        host: HostOptions {
            quirks: default_copying(),
            ..HostOptions::default()
        },
    };
    let outcome = replay(
        topo,
        opts,
        &TraceSource::File(input()),
        None,
        &mut |_, _| {},
    )
    .unwrap();
    let s = outcome.summary;
    let refused: Vec<(&str, u64, &str)> = s
        .refused
        .iter()
        .map(|r| (r.vm.as_str(), r.time_s, r.resource.as_str()))
        .collect();
    assert_eq!(refused, vec![("s", 0, "cpu"), ("b", 15, "cpu")]);
    // No level-1 vNode exists, so only the memory pool carries s's and b's rows:
    // 7 rows at 0, 7 at 15, 5 at 30.
    assert_eq!(s.rows_out, 19);
}

#[test]
fn malformed_rows_are_reported_with_their_line() {
    let dir = std::env::temp_dir().join(format!("slackvm-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.tsv");
    let text = std::fs::read_to_string(input())
        .unwrap()
        .replace("15\tglobal\tcpu\t0.2", "15\tglobal\tcpu\tzero");
    std::fs::write(&bad, text).unwrap();
    let e = replay(
        Arc::new(preset("laptop-8").unwrap()),
        ReplayOptions::default(),
        &TraceSource::File(bad.clone()),
        None,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bad.tsv:11") && e.contains("val") && e.contains("zero"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
