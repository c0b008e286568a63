//! End-to-end on a real one-node Slurm: `scripts/slurm/local-cluster.sh`
//! starts munged, slurmctld and slurmd on this machine, and
//! `scripts/slurm/sweep.sbatch` runs a trace sweep as a job array of 3
//! shards (`--shard auto`) then a dependent merge job. The merged outputs
//! must equal a single run's byte for byte.
//!
//! Needs Debian's `slurm-wlm` and `munge` and root; without them the test
//! prints why and passes, unless `SLACKVM_SLURM_REQUIRED=1` (as `.ci/run`
//! sets after installing them), which makes their absence a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sweep(args: &[&str]) {
    let r = Command::new(env!("CARGO_BIN_EXE_sweep"))
        .args(args)
        .output()
        .expect("run sweep");
    assert!(
        r.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
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

/// Why Slurm cannot run here, if it cannot.
fn missing() -> Option<String> {
    let exes = [
        "/usr/sbin/slurmctld",
        "/usr/sbin/slurmd",
        "/usr/sbin/munged",
        "/usr/bin/sbatch",
    ];
    if let Some(e) = exes.iter().find(|e| !Path::new(e).exists()) {
        return Some(format!(
            "{e} is not installed (apt-get install slurm-wlm munge)"
        ));
    }
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root (the one-node Slurm runs jobs as root)".into());
    }
    None
}

#[test]
fn a_sharded_slurm_sweep_merges_to_the_single_run() {
    if let Some(why) = missing() {
        assert!(
            std::env::var("SLACKVM_SLURM_REQUIRED").as_deref() != Ok("1"),
            "SLACKVM_SLURM_REQUIRED=1 but {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir: PathBuf =
        std::env::temp_dir().join(format!("slackvm-slurm-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("huawei.csv");
    let t = trace.to_str().unwrap();
    sweep(&[
        "scale",
        "-q",
        "--vms",
        "600",
        "--hosts",
        "20",
        "--export-huawei",
        t,
    ]);
    let flags = format!(
        "--trace {t} --format huawei --levels 50/25/25 --mem-cap --seeds 2 --policy first-fit,best-fit --model all"
    );
    let single = dir.join("single");
    let mut args: Vec<&str> = flags.split(' ').collect();
    args.extend(["-q", "--out", single.to_str().unwrap()]);
    sweep(&args);
    let out = dir.join("slurm");
    let r = Command::new("bash")
        .current_dir(root)
        .args([
            "scripts/slurm/local-cluster.sh",
            "bash",
            "scripts/slurm/sweep.sbatch",
        ])
        .env("SWEEP", env!("CARGO_BIN_EXE_sweep"))
        .env("SWEEP_ARGS", &flags)
        .env("SHARDS", "3")
        .env("OUT", &out)
        .env("WAIT", "1")
        .env("WAIT_S", "300")
        .output()
        .expect("run the local Slurm");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(r.status.success(), "{log}");
    assert!(log.contains("(3 shards)"), "{log}");
    for i in 0..3 {
        let manifest = std::fs::read_to_string(out.join(format!("shard-{i}/shard.json"))).unwrap();
        assert!(
            manifest.contains(&format!("\"index\": {}", i + 1)),
            "{manifest}"
        );
        assert!(manifest.contains("\"count\": 3"), "{manifest}");
    }
    assert_eq!(files(&out.join("merged")), files(&single));
    std::fs::remove_dir_all(&dir).unwrap();
}
