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
