//! End-to-end: `sweep report` and `sweep trace-stats`, the polars analysis
//! behind the `analysis` feature (`cargo test --features analysis`; CI runs
//! it with `--all-features`). Without the feature, both subcommands refuse
//! with a message naming the feature.

use std::path::PathBuf;
use std::process::{Command, Output};

fn sweep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sweep"))
        .args(args)
        .output()
        .expect("run sweep")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "slackvm-analysis-e2e-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

const TRACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/small_trace.tsv");

#[cfg(feature = "analysis")]
mod with_polars {
    use super::*;

    #[test]
    fn report_summarises_a_sweep_directory() {
        let dir = tmp("report");
        let d = dir.to_str().unwrap();
        let grid = [
            "--vms",
            "100",
            "--catalogue",
            "ovhcloud2023",
            "--distribution",
            "33/33/34,0/50/50",
        ];
        let mut args = vec![
            "-q",
            "--seeds",
            "2",
            "--policy",
            "paper,first-fit",
            "--out",
            d,
        ];
        args.extend(grid);
        let r = sweep(&args);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let out = dir.join("report");
        let r = sweep(&["report", d, "--out", out.to_str().unwrap()]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        for name in ["summary.csv", "by_policy.csv", "by_model.csv"] {
            let text =
                std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(text.lines().count() >= 2, "{name} has no rows:\n{text}");
        }
        let by_policy = std::fs::read_to_string(out.join("by_policy.csv")).unwrap();
        assert!(
            by_policy.contains("paper") && by_policy.contains("first-fit"),
            "{by_policy}"
        );
        // Same input, same bytes.
        let again = dir.join("again");
        let r = sweep(&["report", d, "--out", again.to_str().unwrap()]);
        assert!(r.status.success());
        for name in ["summary.csv", "by_policy.csv", "by_model.csv"] {
            assert_eq!(
                std::fs::read(out.join(name)).unwrap(),
                std::fs::read(again.join(name)).unwrap(),
                "{name}"
            );
        }
        let r = sweep(&["report", "/nonexistent/sweep-dir"]);
        assert!(!r.status.success());
        assert!(String::from_utf8_lossy(&r.stderr).contains("/nonexistent/sweep-dir"));
    }

    #[test]
    fn trace_stats_prints_one_row_per_vnode() {
        let r = sweep(&["trace-stats", TRACE]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let text = String::from_utf8(r.stdout).unwrap();
        assert!(text.starts_with("vnode,"), "{text}");
        assert!(
            text.lines().skip(1).all(|l| l.starts_with("subset-")),
            "{text}"
        );
        assert!(text.lines().count() >= 2, "{text}");
        let dir = tmp("stats");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("stats.csv");
        let r = sweep(&["trace-stats", TRACE, "--out", file.to_str().unwrap()]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
        let r = sweep(&["trace-stats", "/nonexistent/trace.tsv"]);
        assert!(!r.status.success());
        assert!(String::from_utf8_lossy(&r.stderr).contains("/nonexistent/trace.tsv"));
    }
}

#[cfg(not(feature = "analysis"))]
#[test]
fn without_the_feature_both_subcommands_say_which_feature_they_need() {
    let dir = tmp("nofeature");
    for args in [
        vec!["report", dir.to_str().unwrap()],
        vec!["trace-stats", TRACE],
    ] {
        let r = sweep(&args);
        assert!(!r.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("`analysis` feature"), "{args:?}: {err}");
    }
}
