//! End-to-end checks of the workspace's shape: the live daemons build
//! without the experiment harness (issue 9), and the crate documentation
//! covers every crate.

use std::process::Command;

fn cargo(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn live_daemons_do_not_build_the_harness() {
    let tree = cargo(&[
        "tree",
        "--offline",
        "-p",
        "slackvm-live",
        "-e",
        "normal",
        "--prefix",
        "none",
    ]);
    assert!(tree.contains("slackvm-sim"), "{tree}");
    for banned in ["rayon ", "plotters ", "csv ", "indicatif ", "serde_yaml "] {
        assert!(
            !tree.lines().any(|l| l.starts_with(banned)),
            "slackvm-live pulls {banned}:\n{tree}"
        );
    }
}

#[test]
fn the_harness_is_a_default_feature_of_the_simulator() {
    let tree = cargo(&[
        "tree",
        "--offline",
        "-p",
        "slackvm-sim",
        "-e",
        "normal",
        "--prefix",
        "none",
    ]);
    for wanted in ["rayon ", "plotters ", "csv "] {
        assert!(tree.lines().any(|l| l.starts_with(wanted)), "{tree}");
    }
}
