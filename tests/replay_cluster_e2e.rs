//! End-to-end: `replay --cluster DIR` on generated traces (one with its own
//! topology file) gives, per host, the same bytes as single replays, with
//! 1 and 2 threads; a malformed trace is named with its line and does not
//! spoil the other hosts' outputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("slackvm-cluster-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().expect("binary runs")
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

const REPLAY: &str = env!("CARGO_BIN_EXE_replay");
const DATASETS: &str = env!("CARGO_BIN_EXE_datasets");

/// Three hosts: a and b on laptop-8 (the cluster's --topology), c with
/// its own host-32 topology file.
fn cluster_dir(dir: &Path) {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    for (name, seed, topo) in [
        ("a.tsv", "1", "laptop-8"),
        ("b.tsv.gz", "2", "laptop-8"),
        ("c.tsv", "3", "host-32"),
    ] {
        ok(run(
            DATASETS,
            &[
                "trace",
                "--topology",
                topo,
                "--seed",
                seed,
                "--duration-s",
                "1800",
                "--peak-arrivals-per-h",
                "40",
                "--out",
                &p(name),
            ],
        ));
    }
    ok(run(
        DATASETS,
        &["preset", "host-32", "--out", &p("c.topology.json")],
    ));
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn cluster_outputs_equal_single_replays_with_1_and_2_threads() {
    let root = temp("same");
    let dir = root.join("in");
    std::fs::create_dir_all(&dir).unwrap();
    cluster_dir(&dir);
    let s = |p: &Path| p.to_str().unwrap().to_string();
    for threads in ["1", "2"] {
        let out = root.join(format!("out-{threads}"));
        ok(run(
            REPLAY,
            &[
                "--cluster",
                &s(&dir),
                "--topology",
                "laptop-8",
                "--threads",
                threads,
                "--out",
                &s(&out),
                "-q",
            ],
        ));
        for (host, trace, topo) in [
            ("a", "a.tsv", "laptop-8".to_string()),
            ("b", "b.tsv.gz", "laptop-8".into()),
            ("c", "c.tsv", s(&dir.join("c.topology.json"))),
        ] {
            let single = root.join(format!("single-{host}"));
            ok(run(
                REPLAY,
                &[
                    "--trace",
                    &s(&dir.join(trace)),
                    "--topology",
                    &topo,
                    "--out",
                    &s(&single),
                    "-q",
                ],
            ));
            let (a, b) = (files(&out.join(host)), files(&single));
            assert_eq!(
                a.len(),
                4,
                "{host}: {:?}",
                a.iter().map(|f| &f.0).collect::<Vec<_>>()
            );
            assert!(
                a == b,
                "host {host} with {threads} threads differs from its single replay"
            );
        }
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("cluster-summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(summary["totals"]["hosts"], 3);
        assert_eq!(summary["totals"]["failed"], 0);
        let own = summary["hosts"][2]["topology"].as_str().unwrap();
        assert!(own.ends_with("c.topology.json"), "{summary}");
        let svg = std::fs::read_to_string(out.join("cluster.svg")).unwrap();
        assert!(svg.contains("time (s)") && svg.contains("CPUs") && svg.contains("busy (dashed)"));
    }
    let (one, two) = (files(&root.join("out-1")), files(&root.join("out-2")));
    assert!(one == two, "cluster files differ between 1 and 2 threads");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_failing_host_is_named_and_spoils_nothing() {
    let root = temp("fail");
    let dir = root.join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.tsv");
    ok(run(
        DATASETS,
        &[
            "trace",
            "--topology",
            "laptop-8",
            "--seed",
            "5",
            "--duration-s",
            "600",
            "--out",
            good.to_str().unwrap(),
        ],
    ));
    let text = std::fs::read_to_string(&good).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let cols: Vec<&str> = lines[3].split('\t').collect();
    let broken = format!(
        "{}\t{}\t{}\tnot-a-number\t{}",
        cols[0],
        cols[1],
        cols[2],
        cols[4..].join("\t")
    );
    lines[3] = broken;
    std::fs::write(dir.join("bad.tsv"), lines.join("\n") + "\n").unwrap();
    let out = root.join("out");
    let o = run(
        REPLAY,
        &[
            "--cluster",
            dir.to_str().unwrap(),
            "--topology",
            "laptop-8",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("host bad:") && err.contains("bad.tsv:4"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        files(&out.join("good")).len(),
        4,
        "the good host is written"
    );
    assert!(
        !out.join("bad").join("monitoring.tsv").exists(),
        "no partial output"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("cluster-summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["totals"]["failed"], 1);
    assert!(summary["hosts"][0]["error"]
        .as_str()
        .unwrap()
        .contains("bad.tsv:4"));
    std::fs::remove_dir_all(root).unwrap();
}
