//! End-to-end checks of issue 13 (a newcomer's first hour): outputs never
//! overwrite an input nor a previous good run, impossible values are
//! refused with an error naming their flag (once, no backtrace), every
//! binary answers `--version` and `-q`, and the README's run command
//! leaves the checkout clean.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("slackvm-contact-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn bin(name: &str) -> &'static str {
    match name {
        "replay" => env!("CARGO_BIN_EXE_replay"),
        "sweep" => env!("CARGO_BIN_EXE_sweep"),
        "datasets" => env!("CARGO_BIN_EXE_datasets"),
        other => panic!("unknown binary {other}"),
    }
}

/// Runs a binary with a backtrace requested, as a developer's shell may.
fn run(name: &str, args: &[&str]) -> Output {
    Command::new(bin(name))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn small_trace() -> String {
    format!("{}/tests/data/small_trace.tsv", env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&p).unwrap_or_default())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn replay_refuses_its_input_as_output_and_keeps_it() {
    let dir = tmp("same");
    let trace = dir.join("monitoring.tsv");
    std::fs::copy(small_trace(), &trace).unwrap();
    let before = std::fs::read(&trace).unwrap();
    let o = run(
        "replay",
        &[
            "--topology",
            "laptop-8",
            "--trace",
            trace.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("--out") && err.contains("also an input"),
        "{err}"
    );
    assert_eq!(std::fs::read(&trace).unwrap(), before, "input changed");
    assert_eq!(
        files(&dir).len(),
        1,
        "{:?}",
        files(&dir).iter().map(|f| &f.0).collect::<Vec<_>>()
    );
}

#[test]
fn a_failed_replay_leaves_the_previous_outputs_intact() {
    let dir = tmp("failed");
    let out = dir.join("out");
    let args = |trace: &str| {
        vec![
            "--topology".to_string(),
            "laptop-8".into(),
            "--trace".into(),
            trace.to_string(),
            "--out".into(),
            out.to_str().unwrap().to_string(),
            "-q".into(),
        ]
    };
    let good = Command::new(bin("replay"))
        .args(args(&small_trace()))
        .output()
        .unwrap();
    assert!(good.status.success(), "{}", stderr(&good));
    let previous = files(&out);
    assert_eq!(
        previous.len(),
        4,
        "monitoring.tsv, summary.json, figure3.csv, figure3.svg"
    );
    // The same trace with a malformed row near its end: the first rows
    // replay, then the run fails.
    let text = std::fs::read_to_string(small_trace()).unwrap();
    let bad = dir.join("bad.tsv");
    std::fs::write(
        &bad,
        format!("{text}99\tvm\tcpu\tnot-a-number\t2\tsubset-2.0\tua\ta\t2.0\tNone\tNone\n"),
    )
    .unwrap();
    let o = Command::new(bin("replay"))
        .args(args(bad.to_str().unwrap()))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad.tsv"), "{}", stderr(&o));
    assert_eq!(
        files(&out),
        previous,
        "previous outputs changed or temporaries left"
    );
}

#[test]
fn merge_refuses_to_overwrite_a_shard() {
    let dir = tmp("merge");
    let shard = dir.join("shard");
    let s = shard.to_str().unwrap();
    let o = run(
        "sweep",
        &[
            "--vms",
            "100",
            "--catalogue",
            "ovhcloud2023",
            "--distribution",
            "34/33/33",
            "-q",
            "--out",
            s,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let before = files(&shard);
    let o = run("sweep", &["merge", s, "--out", s, "-q"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("sizing.csv") && stderr(&o).contains("also an input"),
        "{}",
        stderr(&o)
    );
    assert_eq!(files(&shard), before);
}

/// Each impossible value is refused, naming its flag once, with no
/// backtrace and no repeated cause.
#[test]
fn impossible_values_are_refused_naming_their_flag() {
    let dir = tmp("values");
    let out = dir.join("x.tsv");
    let o = out.to_str().unwrap();
    let topo = dir.join("no-memory.json");
    let mut json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/datasets/topology_laptop-8.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    json["memset"]["allowed"] = serde_json::json!(0);
    std::fs::write(&topo, json.to_string()).unwrap();
    let t = topo.to_str().unwrap();
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "datasets",
            vec!["trace", "--peak-arrivals-per-h", "inf", "--out", o],
            "--peak-arrivals-per-h",
        ),
        (
            "datasets",
            vec!["trace", "--peak-arrivals-per-h", "-3", "--out", o],
            "--peak-arrivals-per-h",
        ),
        (
            "datasets",
            vec!["trace", "--peak-arrivals-per-h", "NaN", "--out", o],
            "--peak-arrivals-per-h",
        ),
        (
            "datasets",
            vec!["trace", "--duration-s", "0", "--out", o],
            "--duration-s",
        ),
        (
            "datasets",
            vec!["sysfs", "--exclude", "100000", "--out", o],
            "--exclude",
        ),
        ("datasets", vec!["all"], "--out"),
        ("sweep", vec!["scale", "--hosts", "0"], "--hosts"),
        ("sweep", vec!["scale", "--host-cpus", "0"], "--host-cpus"),
        (
            "sweep",
            vec!["scale", "--host-mem-gb", "0"],
            "--host-mem-gb",
        ),
        (
            "sweep",
            vec!["scale", "--occupancy-pct", "500"],
            "--occupancy-pct",
        ),
        ("sweep", vec!["scale", "--vms", "-5"], "--vms"),
        ("sweep", vec!["scale", "--levels", "50/50"], "--levels"),
        ("sweep", vec!["--vms", "0"], "--vms"),
        ("sweep", vec!["--vms", "-5"], "--vms"),
        ("sweep", vec!["--threads", "0"], "--threads"),
        ("sweep", vec!["--seeds", "0"], "--seeds"),
        ("replay", vec!["--critical-size", "0"], "--critical-size"),
        ("replay", vec!["--topology", t], "memset.allowed"),
    ];
    for (name, args, flag) in cases {
        let r = run(name, &args);
        let err = stderr(&r);
        let what = format!("{name} {args:?}");
        assert!(!r.status.success(), "{what} was accepted");
        assert!(
            err.contains(flag),
            "{what}: error does not name {flag}: {err}"
        );
        assert!(!err.contains("Caused by"), "{what}: {err}");
        assert!(!err.contains("backtrace"), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        if name == "sweep" && args[0] == "scale" && flag == "--levels" {
            assert!(
                !err.contains("--distribution"),
                "{what} blames another flag: {err}"
            );
        }
    }
    assert!(!out.exists(), "a refused run wrote its output");
}

#[test]
fn every_binary_and_subcommand_has_version_and_quiet() {
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("replay", vec![]),
        ("sweep", vec![]),
        ("sweep", vec!["merge"]),
        ("sweep", vec!["scale"]),
        ("sweep", vec!["scaling"]),
        ("sweep", vec!["report"]),
        ("sweep", vec!["trace-stats"]),
        ("datasets", vec![]),
        ("datasets", vec!["trace"]),
        ("datasets", vec!["sysfs"]),
        ("datasets", vec!["preset"]),
        ("datasets", vec!["all"]),
    ];
    for (name, sub) in cases {
        let mut args = sub.clone();
        args.push("--version");
        let v = run(name, &args);
        assert!(
            v.status.success(),
            "{name} {sub:?} --version: {}",
            stderr(&v)
        );
        assert!(String::from_utf8_lossy(&v.stdout).contains(env!("CARGO_PKG_VERSION")));
        let mut args = sub.clone();
        args.push("--help");
        let help = String::from_utf8_lossy(&run(name, &args).stdout).into_owned();
        assert!(
            help.contains("-q, --quiet"),
            "{name} {sub:?} has no -q:\n{help}"
        );
    }
}

/// The README's first command (`replay` with no arguments, default output
/// `figures/`) rewrites only files whose bytes do not change: `git status`
/// is the same before and after.
#[test]
fn the_readme_run_command_leaves_the_checkout_clean() {
    let root = env!("CARGO_MANIFEST_DIR");
    let status = || {
        Command::new("git")
            .args(["status", "--porcelain", "--", "figures", "datasets"])
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let Some(before) = status() else {
        eprintln!("not a git checkout: skipped");
        return;
    };
    let o = Command::new(bin("replay"))
        .arg("-q")
        .current_dir(root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        status().unwrap(),
        before,
        "the README's run command changed tracked files"
    );
}

fn example_config() -> String {
    format!("{}/docs/examples/sweep.toml", env!("CARGO_MANIFEST_DIR"))
}

/// `sweep --config` gives the same bytes as the same flags, and flags on
/// the command line win over the file.
#[test]
fn a_sweep_config_file_equals_its_flags() {
    let dir = tmp("config");
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    let cfg = example_config();
    let o = run(
        "sweep",
        &["--config", &cfg, "--out", a.to_str().unwrap(), "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let flags = [
        "--catalogue",
        "ovhcloud2023",
        "--vms",
        "100,200",
        "--distribution",
        "50/25/25,34/33/33",
        "--policy",
        "paper,best-fit",
        "--model",
        "counting",
        "--seeds",
        "2",
        "--first-seed",
        "0",
        "--order",
        "arrivals-first",
        "--topology",
        "host-32",
        "-q",
        "--out",
    ];
    let mut args = flags.to_vec();
    args.push(b.to_str().unwrap());
    let o = run("sweep", &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(files(&a), files(&b));
    let o = run(
        "sweep",
        &[
            "--config",
            &cfg,
            "--seeds",
            "1",
            "--out",
            c.to_str().unwrap(),
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = |d: &Path| {
        std::fs::read_to_string(d.join("sizing.csv"))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(
        rows(&a) - 1,
        2 * (rows(&c) - 1),
        "--seeds 1 did not win over the file"
    );
}

#[test]
fn a_sweep_config_with_an_unknown_key_is_refused_naming_it() {
    let dir = tmp("config-bad");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "vm = 100\n").unwrap();
    let o = run(
        "sweep",
        &[
            "--config",
            bad.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("bad.toml") && err.contains("`vm`"), "{err}");
    std::fs::write(&bad, "vms = 0\n").unwrap();
    let o = run(
        "sweep",
        &[
            "--config",
            bad.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--vms"), "{}", stderr(&o));
}

/// The shipped example holds every flag of a grid run.
#[test]
fn the_example_config_lists_every_flag() {
    let help = String::from_utf8(run("sweep", &["--help"]).stdout).unwrap();
    let text = std::fs::read_to_string(example_config()).unwrap();
    let flags: Vec<&str> = help
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-'))
        .filter(|w| !w.is_empty() && !matches!(*w, "help" | "version" | "config"))
        .collect();
    assert!(flags.len() > 10, "{flags:?}");
    for f in flags {
        let listed = text.lines().any(|l| {
            let l = l.trim_start_matches('#').trim_start();
            l.starts_with(&format!("{f} =")) || l.starts_with(&format!("{} =", f.replace('-', "_")))
        });
        assert!(listed, "docs/examples/sweep.toml does not list --{f}");
    }
}

#[test]
fn an_empty_scaling_file_is_an_error() {
    let dir = tmp("scaling");
    let empty = dir.join("scaling.jsonl");
    std::fs::write(&empty, "").unwrap();
    let o = run(
        "sweep",
        &[
            "scaling",
            "--from",
            empty.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no scaling point"), "{}", stderr(&o));
    assert!(!dir.join("scaling.svg").exists());
}

/// The shipped documentation never points outside the repository, and its
/// relative links lead to files that exist.
#[test]
fn docs_point_only_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![
        root.join("README.md"),
        root.join("ARCHITECTURE.md"),
        root.join("slackvm-live/README.md"),
    ];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            pages.push(p);
        }
    }
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let shown = page.display();
        assert!(
            !text.contains("shared/spec"),
            "{shown} points to shared/spec"
        );
        assert!(
            !text.contains("../shared"),
            "{shown} points outside the repository"
        );
        // Markdown links `](target)` that are not URLs or anchors.
        for part in text.split("](").skip(1) {
            let target = part.split(')').next().unwrap_or("");
            let target = target.split('#').next().unwrap_or("");
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let path = page.parent().unwrap().join(target);
            assert!(path.exists(), "{shown}: link to {target} leads nowhere");
            let canonical = path.canonicalize().unwrap();
            assert!(
                canonical.starts_with(root.canonicalize().unwrap()),
                "{shown}: {target} is outside the repository"
            );
        }
    }
}
