//! End-to-end: runs the `replay` binary on a small trace and on the embedded
//! default, checks its files, and checks that two runs give identical bytes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn out_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("slackvm-e2e-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn replay(args: &[&str], out: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_replay"))
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("replay runs");
    assert!(
        output.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn small_trace() -> String {
    format!("{}/tests/data/small_trace.tsv", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn replays_a_small_trace_in_prototype_mode() {
    let out = out_dir("small");
    let stdout = replay(
        &[
            "--topology",
            "laptop-8",
            "--trace",
            &small_trace(),
            "--compat",
            "prototype",
        ],
        &out,
    );
    assert!(
        stdout.contains("replayed 25 rows (3 timestamps, 3 VMs)"),
        "{stdout}"
    );
    let trace = std::fs::read_to_string(out.join("monitoring.tsv")).unwrap();
    assert_eq!(trace.lines().count(), 26);
    assert!(trace
        .lines()
        .nth(4)
        .unwrap()
        .starts_with("0\tsubset\tcpu\t0.3\t0\tsubset-1.0"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["accepted"]["1.0"], 2);
    assert_eq!(summary["quirks"]["replay-mem-kib"], true);
    let svg = std::fs::read_to_string(out.join("figure3.svg")).unwrap();
    // Issue 10: axes "time (s)" and "CPUs", a legend naming both line styles.
    assert!(svg.contains("vNode 1:1") && svg.contains("vNode 2:1") && svg.contains("CPUs"));
    assert!(svg.contains("time (s)") && svg.contains("CPUs held (solid)"));
    assert!(svg.contains("CPUs busy (dashed)"));
    let csv = std::fs::read_to_string(out.join("figure3.csv")).unwrap();
    assert!(
        csv.starts_with("time_s,level,held,busy,demand\n0,1.0,"),
        "{csv}"
    );
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn bad_inputs_fail_with_a_clear_message() {
    let out = out_dir("bad");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_replay"))
            .args(args)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    let o = run(&["--trace", "/nonexistent.tsv", "-q"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent.tsv"));
    let o = run(&["--topology", "no-such-preset", "-q"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-preset"));
    let o = run(&["--compat", "python", "-q"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--compat"));
    let o = run(&["--quirk", "nonsense=on", "-q"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown quirk"));
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn the_embedded_default_is_deterministic() {
    let (a, b) = (out_dir("det-a"), out_dir("det-b"));
    replay(&["-q"], &a);
    replay(&["-q"], &b);
    for file in ["monitoring.tsv", "figure3.svg"] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(x == y, "{file} differs between two runs");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["timestamps"], 2001);
    assert!(
        summary["refused"].as_array().unwrap().len() >= 3,
        "a few refusals at peak"
    );
    std::fs::remove_dir_all(a).unwrap();
    std::fs::remove_dir_all(b).unwrap();
}

#[test]
fn standard_input_replays_like_the_file() {
    let (from_file, from_stdin) = (out_dir("stdin-file"), out_dir("stdin-pipe"));
    let args = ["--compat", "prototype", "--topology", "laptop-8", "-q"];
    let small = small_trace();
    let file_args: Vec<&str> = args.iter().copied().chain(["--trace", &small]).collect();
    replay(&file_args, &from_file);
    let mut child = Command::new(env!("CARGO_BIN_EXE_replay"))
        .args(args)
        .args(["--trace", "-", "--out"])
        .arg(&from_stdin)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("replay starts");
    let text = std::fs::read(&small).unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&text).unwrap();
    } // closed: end of input
    assert!(child.wait().unwrap().success(), "replay of stdin failed");
    let (a, b) = (
        std::fs::read(from_file.join("monitoring.tsv")).unwrap(),
        std::fs::read(from_stdin.join("monitoring.tsv")).unwrap(),
    );
    assert!(a == b, "stdin and file replays differ");
    std::fs::remove_dir_all(from_file).unwrap();
    std::fs::remove_dir_all(from_stdin).unwrap();
}
