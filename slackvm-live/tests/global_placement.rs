//! Issue 12 on the global daemon, each finding reproduced over real HTTP
//! on loopback: F1 idempotent placement (a local slower than the global's
//! deadline, a VM deployed on a local behind the global's back, the same
//! name sent concurrently), F3 a silent host costs one deadline, not a sum,
//! F7 a host refusing the global's token says so, F9 bounded answers.

mod common;

use common::{get, local_daemon, success, temp_dir, Daemon, GLOBAL};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A global daemon (deadline `timeout_ms`, no poll during the test).
fn global(dir: &std::path::Path, nodes: &[&str], timeout_ms: &str, extra: &[&str]) -> Daemon {
    let list = nodes.join(",");
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--nodes",
        &list,
        "--node-timeout-ms",
        timeout_ms,
        "--delay-s",
        "60",
    ];
    args.extend_from_slice(extra);
    Daemon::start(GLOBAL, &args, dir)
}

/// How many of the hosts list `name`.
async fn copies(hosts: &[&Daemon], name: &str) -> usize {
    let mut n = 0;
    for h in hosts {
        let list = get(&h.addr, "/listvm").await.1;
        n += list
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| *v == name)
            .count();
    }
    n
}

/// F1: the local takes longer than the global's deadline; the global asks
/// it, answers 202, and a client retry is 409, never a second VM.
#[tokio::test]
async fn f1_slow_deploy_then_retry_makes_one_vm() {
    let dir = temp_dir("f1-slow");
    let a = local_daemon(&dir, "laptop-8", &["--memory-latency-ms", "1500"]);
    let b = local_daemon(&dir, "laptop-8", &["--memory-latency-ms", "1500"]);
    let g = global(&dir, &[&a.addr, &b.addr], "500", &[]);
    let (code, v) = get(&g.addr, "/deploy?name=vm1&cpu=2&mem=1&oc=1").await;
    assert_eq!((code, success(&v)), (202, true), "{v}");
    for _ in 0..3 {
        let (code, v) = get(&g.addr, "/deploy?name=vm1&cpu=2&mem=1&oc=1").await;
        assert_eq!(code, 409, "{v}");
    }
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(copies(&[&a, &b], "vm1").await, 1);
    assert_eq!(get(&g.addr, "/listvm").await.1["vm1"], json!(a.addr));
}

/// F1: a VM deployed directly on a local since the global's last poll is
/// found at placement time: 409, not a twin on another host.
#[tokio::test]
async fn f1_vm_deployed_behind_the_globals_back_is_not_duplicated() {
    let dir = temp_dir("f1-direct");
    let a = local_daemon(&dir, "laptop-8", &[]);
    let b = local_daemon(&dir, "laptop-8", &[]);
    let g = global(&dir, &[&a.addr, &b.addr], "500", &[]);
    assert!(success(
        &get(&b.addr, "/deploy?name=twin&cpu=1&mem=1&oc=1").await.1
    ));
    let (code, v) = get(&g.addr, "/deploy?name=twin&cpu=1&mem=1&oc=1").await;
    assert_eq!(code, 409, "{v}");
    assert!(v["reason"].as_str().unwrap().contains(&b.addr), "{v}");
    assert_eq!(copies(&[&a, &b], "twin").await, 1);
}

/// F1: the same name sent ten times at once: one VM, the rest 409.
#[tokio::test]
async fn f1_concurrent_deploys_of_one_name_make_one_vm() {
    let dir = temp_dir("f1-race");
    let a = local_daemon(&dir, "laptop-8", &["--memory-latency-ms", "200"]);
    let b = local_daemon(&dir, "laptop-8", &["--memory-latency-ms", "200"]);
    let g = global(&dir, &[&a.addr, &b.addr], "5000", &[]);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let addr = g.addr.clone();
        set.spawn(async move { get(&addr, "/deploy?name=once&cpu=1&mem=1&oc=2").await });
    }
    let mut codes = Vec::new();
    while let Some(r) = set.join_next().await {
        codes.push(r.unwrap().0);
    }
    codes.sort_unstable();
    assert_eq!(codes, [200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(copies(&[&a, &b], "once").await, 1);
}

/// F3: with a host that accepts connections and never answers, ten
/// concurrent deployments all succeed, in about one deadline in total
/// (before: serialised, 1, 2, ..., 10 deadlines).
#[tokio::test]
async fn f3_silent_host_costs_one_deadline_not_a_sum() {
    let dir = temp_dir("f3");
    let a = local_daemon(&dir, "host-32", &[]);
    let b = local_daemon(&dir, "host-32", &[]);
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let g = global(&dir, &[&silent_addr, &a.addr, &b.addr], "1000", &[]);
    // The start-up poll paid the silent host's deadline once and marked it
    // suspect: requests skip it until it answers a poll.
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..10 {
        let addr = g.addr.clone();
        set.spawn(async move { get(&addr, &format!("/deploy?name=c{i}&cpu=1&mem=1&oc=1")).await });
    }
    while let Some(r) = set.join_next().await {
        let (code, v) = r.unwrap();
        assert_eq!((code, success(&v)), (200, true), "{v}");
    }
    let elapsed = started.elapsed();
    // A sum of deadlines would be >= 10 s; allow generous slack for a
    // loaded machine while still ruling the sum out.
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
    let (_, status) = get(&g.addr, "/status").await;
    assert!(status.get(&silent_addr).is_none());
    drop(silent);
}

/// F7: locals require a token the global lacks: `/status` and the refusal
/// say so instead of a bare "No appropriate node found".
#[tokio::test]
async fn f7_global_without_the_locals_token_says_so() {
    let dir = temp_dir("f7-401");
    let token = dir.join("token");
    std::fs::write(&token, "t0k3n\n").unwrap();
    let a = local_daemon(&dir, "laptop-8", &["--token-file", token.to_str().unwrap()]);
    let g = global(&dir, &[&a.addr], "500", &[]);
    let (code, status) = get(&g.addr, "/status").await;
    assert_eq!(code, 200);
    let reason = status[&a.addr]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("401") && reason.contains("token"),
        "{status}"
    );
    let (_, v) = get(&g.addr, "/deploy?name=x&cpu=1&mem=1&oc=1").await;
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("No appropriate node found") && reason.contains("401"),
        "{v}"
    );
}

/// A fake host answering `/status` with an endless body.
async fn huge_host() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[";
                if s.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 1 << 20];
                for _ in 0..400 {
                    if s.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// F9: a host answering hundreds of MB is cut at the bound and skipped;
/// the global keeps serving the others.
#[tokio::test]
async fn f9_oversized_answers_are_cut() {
    let dir = temp_dir("f9-global");
    let a = local_daemon(&dir, "laptop-8", &[]);
    let huge = huge_host().await;
    let g = global(
        &dir,
        &[&huge, &a.addr],
        "5000",
        &["--max-answer-bytes", "65536"],
    );
    let (code, status) = get(&g.addr, "/status").await;
    assert_eq!(code, 200);
    assert!(status.get(&huge).is_none(), "{status}");
    let (code, v) = get(&g.addr, "/deploy?name=ok&cpu=1&mem=1&oc=1").await;
    assert_eq!((code, success(&v)), (200, true), "{v}");
    let (code, v): (u16, Value) = get(&g.addr, "/deploy?name=bad&cpu=1&mem=1&oc=2.5").await;
    assert_eq!((code, v["parameter"].as_str()), (400, Some("oc")));
}
