//! End-to-end: the `sweep` binary on a small grid. Outputs are identical
//! with 1 and 2 threads, and 2 shards merged give the same files byte for
//! byte as a single run; bad arguments fail with a message, not a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("slackvm-sweep-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn sweep(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sweep"))
        .args(args)
        .output()
        .expect("run sweep")
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

const GRID: [&str; 8] = [
    "--vms",
    "100",
    "--catalogue",
    "ovhcloud2023",
    "--seeds",
    "2",
    "--policy",
    "paper,progress",
];

#[test]
fn small_grid_is_deterministic_across_threads_and_shards() {
    let one = tmp("t1");
    let two = tmp("t2");
    let s1 = tmp("s1");
    let s2 = tmp("s2");
    let merged = tmp("merged");
    let run = |out: &Path, extra: &[&str]| {
        let mut args: Vec<&str> = GRID.to_vec();
        let o = out.to_str().unwrap();
        args.extend(["-q", "--out", o]);
        args.extend(extra);
        let r = sweep(&args);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    };
    run(&one, &["--threads", "1"]);
    run(&two, &["--threads", "2"]);
    run(&s1, &["--shard", "1/2"]);
    run(&s2, &["--shard", "2/2", "--threads", "1"]);
    let r = sweep(&[
        "merge",
        s1.to_str().unwrap(),
        s2.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));

    let a = files(&one);
    assert_eq!(a, files(&two), "1 vs 2 threads");
    assert_eq!(a, files(&merged), "single run vs merged shards");
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"sizing.csv") && names.contains(&"summary.csv"));
    assert!(names.contains(&"gains_ovhcloud2023_paper_counting.svg"));
    assert!(names.contains(&"unallocated_ovhcloud2023_progress_counting.svg"));
    assert!(names.contains(&"hosts_ovhcloud2023_paper_counting.svg"));

    let sizing =
        String::from_utf8(a.iter().find(|(n, _)| n == "sizing.csv").unwrap().1.clone()).unwrap();
    let mut lines = sizing.lines();
    assert!(lines.next().unwrap().starts_with(
        "catalogue,oc1,oc2,oc3,vms,seed,policy,model,hosts_slackvm,hosts_dedicated,hosts_oc1,hosts_oc2,hosts_oc3,gain_pct,lower_bound,unallocated_cpu_pct,unallocated_mem_pct"
    ));
    // 15 distributions x 2 seeds x 2 policies.
    assert_eq!(lines.clone().count(), 60);
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        let (slack, ded, lb): (usize, usize, usize) = (
            f[8].parse().unwrap(),
            f[9].parse().unwrap(),
            f[14].parse().unwrap(),
        );
        assert!(lb <= slack && slack <= ded + 1, "{l}");
        assert!(l.contains("arrivals-first"), "{l}");
    }
    // Merging the same shard twice is refused.
    let r = sweep(&[
        "merge",
        s1.to_str().unwrap(),
        s1.to_str().unwrap(),
        "--out",
        tmp("dup").to_str().unwrap(),
        "-q",
    ]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("already read"));
    for d in [one, two, s1, s2, merged] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn bad_arguments_fail_with_a_message() {
    for args in [
        &["--shard", "3/2"][..],
        &["--policy", "random"][..],
        &["--distribution", "50/50/50"][..],
        &["--catalogue", "nowhere.json"][..],
    ] {
        let out = tmp("bad");
        let mut a = args.to_vec();
        a.extend(["-q", "--vms", "100", "--out", out.to_str().unwrap()]);
        let r = sweep(&a);
        assert!(!r.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("Error"), "{err}");
    }
}

/// Parses the one JSON line `sweep scale` prints.
fn scale_line(args: &[&str]) -> serde_json::Value {
    let r = sweep(args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let out = String::from_utf8(r.stdout).unwrap();
    assert_eq!(out.lines().count(), 1, "one JSON line: {out}");
    serde_json::from_str(out.trim()).expect("JSON line")
}

#[test]
fn scale_prints_one_json_line_and_agrees_with_the_scan() {
    let base = [
        "scale", "-q", "--hosts", "40", "--vms", "1500", "--policy", "best-fit",
    ];
    let fast = scale_line(&base);
    for key in [
        "wall_s",
        "events",
        "events_per_s",
        "placed",
        "refused",
        "peak_rss_mb",
    ] {
        assert!(fast.get(key).is_some(), "missing {key}: {fast}");
    }
    assert_eq!(fast["vms"], 1500);
    assert_eq!(fast["index"], true);
    let events = fast["events"].as_u64().unwrap();
    let placed = fast["placed"].as_u64().unwrap();
    let refused = fast["refused"].as_u64().unwrap();
    assert_eq!(placed + refused, 1500);
    assert_eq!(events, 3000, "every VM arrives and departs");
    let mut scan = base.to_vec();
    scan.push("--scan");
    let slow = scale_line(&scan);
    assert_eq!(slow["index"], false);
    for key in ["events", "placed", "refused", "hosts_used"] {
        assert_eq!(fast[key], slow[key], "{key}");
    }
}

#[test]
fn a_huawei_export_runs_back_through_the_reader() {
    let dir = tmp("huawei");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("huawei.csv");
    let f = file.to_str().unwrap();
    let shape = ["--hosts", "30", "--host-cpus", "64", "--levels", "100/0/0"];
    let mut export = vec!["scale", "-q", "--vms", "800", "--export-huawei", f];
    export.extend(shape);
    let r = sweep(&export);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(r.stdout.is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("vmid,cpu,memory,time,type\n"));
    let mut synthetic = vec!["scale", "-q", "--vms", "800"];
    synthetic.extend(shape);
    let mut traced = vec!["scale", "-q", "--trace", f, "--format", "huawei"];
    traced.extend(shape);
    let (a, b) = (scale_line(&synthetic), scale_line(&traced));
    assert_eq!(b["source"], f);
    for key in ["vms", "events", "placed", "refused", "hosts_used"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let bad = sweep(&["scale", "-q", "--trace", f, "--format", "nope"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--format"));
    let missing = sweep(&["scale", "-q", "--trace", "/nonexistent/x.csv"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.csv"));
}

#[test]
fn scaling_redraws_its_figure_from_points() {
    let dir = tmp("scaling");
    std::fs::create_dir_all(&dir).unwrap();
    let points = dir.join("points.jsonl");
    let mut text = String::new();
    for (series, x) in [
        ("hosts", 1000),
        ("hosts", 4000),
        ("events", 9000),
        ("events", 90000),
    ] {
        for p in ["first-fit", "best-fit", "worst-fit"] {
            text.push_str(&format!(
                "{{\"series\":\"{series}\",\"policy\":\"{p}\",\"hosts\":{x},\"vms\":{x},\"events\":{x},\"placed\":{x},\"refused\":0,\"seconds\":0.01}}\n"
            ));
        }
    }
    std::fs::write(&points, text).unwrap();
    let out = dir.join("out");
    let redraw = || {
        let (p, o) = (points.to_str().unwrap(), out.to_str().unwrap());
        sweep(&["scaling", "-q", "--from", p, "--out", o])
    };
    let r = redraw();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let svg = std::fs::read_to_string(out.join("scaling.svg")).unwrap();
    assert!(svg.contains("Run time vs hosts") && svg.contains("worst-fit"));
    std::fs::write(&points, "{not json\n").unwrap();
    let r = redraw();
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("points.jsonl:1"));
}
