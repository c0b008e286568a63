//! A cluster of live local daemons (memory backend), each writing its own
//! monitoring trace into one folder (`NAME.tsv` + `NAME.topology.json`),
//! replayed at once by the simulator's cluster replay: every host accepts
//! what its daemon accepted and finds the daemon's vNode sizes again.

mod common;

use common::{get, success, temp_dir, Daemon, LOCAL};
use slackvm_sim::replay::cluster::{discover, ClusterReplay};
use slackvm_sim::replay::ReplayOptions;
use slackvm_sim::trace::{RecKind, Record, Res, TraceReader};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn sizes(path: &Path) -> BTreeMap<(u64, String), u64> {
    let mut reader = TraceReader::open_any(path).expect("open trace");
    let mut rec = Record::default();
    let mut out = BTreeMap::new();
    while reader.next_into(&mut rec).expect("valid row") {
        if rec.rec == Some(RecKind::Subset) && rec.res == Some(Res::Cpu) {
            let id = rec.subset.clone().unwrap_or_default();
            out.insert((rec.tmp, id), rec.config.unwrap_or(0.0) as u64);
        }
    }
    out
}

fn steps(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let tmps: BTreeSet<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect();
    tmps.len()
}

/// Waits (10 s at most) until every trace holds `n` monitoring steps.
async fn all_reach(traces: &[std::path::PathBuf], n: usize) {
    for _ in 0..200 {
        if traces.iter().all(|t| steps(t) >= n) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the daemons did not write {n} monitoring steps");
}

#[tokio::test]
async fn live_daemons_traces_replay_as_a_cluster() {
    let dir = temp_dir("cluster-replay");
    let traces_dir = dir.join("traces");
    std::fs::create_dir_all(&traces_dir).unwrap();
    let presets = ["host-32", "laptop-8", "host-32"];
    let mut daemons = Vec::new();
    let mut traces = Vec::new();
    for (i, preset) in presets.iter().enumerate() {
        let topo = traces_dir.join(format!("h{i}.topology.json"));
        let t = slackvm_sim::topology::preset(preset).unwrap();
        slackvm_sim::topology::write_json_file(&t, &topo).unwrap();
        let trace = traces_dir.join(format!("h{i}.tsv"));
        let args = [
            "--listen",
            "127.0.0.1:0",
            "--topology",
            topo.to_str().unwrap(),
            "--trace",
            trace.to_str().unwrap(),
            "--delay-s",
            "1",
        ];
        daemons.push(Daemon::start(LOCAL, &args, &dir));
        traces.push(trace);
    }
    all_reach(&traces, 1).await;
    let mut deployed = 0;
    for (i, d) in daemons.iter().enumerate() {
        for (k, oc) in [1, 2, 3].iter().enumerate().take(i + 1) {
            let path = format!("/deploy?name=v{i}{k}&cpu=2&mem=1&oc={oc}");
            assert!(success(&get(&d.addr, &path).await.1), "{path}");
            deployed += 1;
        }
    }
    all_reach(&traces, 3).await;
    assert!(success(&get(&daemons[2].addr, "/remove?name=v20").await.1));
    all_reach(&traces, 5).await;
    for d in &mut daemons {
        d.terminate();
    }

    let hosts = discover(&traces_dir).expect("three hosts");
    assert_eq!(hosts.len(), 3);
    let out = dir.join("out");
    let job = ClusterReplay {
        topo: Arc::new(slackvm_sim::topology::preset("host-32").unwrap()),
        opts: ReplayOptions::default(),
        out: out.clone(),
        threads: Some(2),
        figures: false,
    };
    let results = job.run(&hosts).expect("thread pool");
    let mut accepted = 0;
    for r in &results {
        let outcome = r.outcome.as_ref().expect("every live trace replays");
        assert!(
            outcome.summary.refused.is_empty(),
            "{:?}",
            outcome.summary.refused
        );
        accepted += outcome.summary.accepted.values().sum::<u64>();
        let live = sizes(&r.host.trace);
        let back = sizes(&out.join(&r.host.name).join("monitoring.tsv"));
        assert_eq!(
            back, live,
            "host {}: the replay finds the daemon's vNode sizes",
            r.host.name
        );
    }
    assert_eq!(accepted, deployed);
    std::fs::remove_dir_all(dir).unwrap();
}
