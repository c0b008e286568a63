//! Issue 12 on the local daemon, each finding reproduced over real HTTP on
//! loopback (memory backend; `--memory-latency-ms` stands for a slow
//! hypervisor, the state file for changes made outside the daemon):
//! F4 reads during a slow deployment, F5 reconciliation, F6 exact CPU sets
//! after a restart, F7 the closed door, F8 `.env` as python-dotenv reads
//! it, F9/F10 limits and JSON errors.

mod common;

use common::{eventually, get, local_daemon, raw, success, temp_dir, LOCAL};
use serde_json::{json, Value};

/// F4: while a deployment waits on the hypervisor, `/status`, `/listvm`
/// and other deployments are served (the scheduler lock is not held).
#[tokio::test]
async fn f4_reads_and_deploys_do_not_wait_for_a_slow_deploy() {
    let dir = temp_dir("f4");
    let d = local_daemon(&dir, "host-32", &["--memory-latency-ms", "3000"]);
    let addr = d.addr.clone();
    let slow = tokio::spawn(async move { get(&addr, "/deploy?name=slow&cpu=2&mem=1&oc=2").await });
    let addr = d.addr.clone();
    assert!(
        eventually(5, || {
            let addr = addr.clone();
            async move { get(&addr, "/status").await.1["backend"]["busy"]["slow"] == "deploying" }
        })
        .await,
        "the reservation shows while the hypervisor works"
    );
    // Answered while `slow` is still starting: nothing waited for it.
    let (code, status) = get(&d.addr, "/status").await;
    assert_eq!(code, 200);
    assert_eq!(status["backend"]["busy"]["slow"], "deploying", "{status}");
    assert_eq!(
        status["cpu"]["subset"]["2.0"]["palloc"], 2,
        "CPUs reserved before the start"
    );
    assert_eq!(get(&d.addr, "/listvm").await.1, json!(["slow"]));
    // A second deployment runs alongside the first; the name is taken meanwhile.
    let (code, v) = get(&d.addr, "/deploy?name=slow&cpu=1&mem=1&oc=1").await;
    assert_eq!(code, 409, "{v}");
    let (code, v) = get(&d.addr, "/remove?name=slow").await;
    assert_eq!(code, 409, "a VM being deployed cannot be removed yet: {v}");
    let (code, v) = slow.await.unwrap();
    assert_eq!((code, success(&v)), (200, true), "{v}");
    let status = get(&d.addr, "/status").await.1;
    assert_eq!(status["backend"]["busy"], json!({}));
}

fn read_state(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// F5: a VM deleted outside the daemon is released (its CPUs freed, its
/// name reusable); one created outside is adopted, shut off or not.
#[tokio::test]
async fn f5_reconciliation_releases_vanished_and_adopts_unknown_vms() {
    let dir = temp_dir("f5");
    let state = dir.join("vms.json");
    let s = state.to_str().unwrap();
    let d = local_daemon(
        &dir,
        "host-32",
        &["--state-file", s, "--reconcile-s", "0.2"],
    );
    for q in ["name=a&cpu=4&mem=1&oc=1", "name=b&cpu=2&mem=1&oc=2"] {
        assert!(success(&get(&d.addr, &format!("/deploy?{q}")).await.1));
    }
    // The operator deletes `a` behind the daemon's back and adds `c`, shut off.
    let mut file = read_state(&state);
    let vms = file["vms"].as_array_mut().unwrap();
    vms.retain(|v| v["name"] != "a");
    vms.push(json!({"name": "c", "vcpus": 1, "mem_mb": 512, "level": 3.0, "running": false}));
    std::fs::write(&state, serde_json::to_string(&file).unwrap()).unwrap();
    let addr = d.addr.clone();
    assert!(
        eventually(5, || {
            let addr = addr.clone();
            async move { get(&addr, "/listvm").await.1 == json!(["b", "c"]) }
        })
        .await
    );
    let status = get(&d.addr, "/status").await.1;
    assert_eq!(
        status["cpu"]["subset"]["1.0"]["pcap"], 0,
        "a's CPUs released: {status}"
    );
    // `a` can be deployed again; `c` (shut off) can be removed.
    assert!(success(
        &get(&d.addr, "/deploy?name=a&cpu=1&mem=1&oc=1").await.1
    ));
    let (code, v) = get(&d.addr, "/remove?name=c").await;
    assert_eq!((code, success(&v)), (200, true), "{v}");
}

/// F5: a VM that vanished is released by `/remove` itself (before the
/// next reconciliation), not answered 500 forever.
#[tokio::test]
async fn f5_removing_a_vanished_vm_releases_it() {
    let dir = temp_dir("f5-remove");
    let state = dir.join("vms.json");
    let s = state.to_str().unwrap();
    let d = local_daemon(
        &dir,
        "laptop-8",
        &["--state-file", s, "--reconcile-s", "3600"],
    );
    assert!(success(
        &get(&d.addr, "/deploy?name=gone&cpu=2&mem=1&oc=1").await.1
    ));
    std::fs::write(&state, r#"{"vms": []}"#).unwrap();
    let (code, v) = get(&d.addr, "/remove?name=gone").await;
    assert_eq!((code, success(&v)), (200, true), "{v}");
    assert_eq!(get(&d.addr, "/status").await.1["cpu"]["avail"], 8);
}

/// F6: after a removal history, a restarted daemon puts every VM back on
/// exactly the CPUs it had (vNode sets and pinning identical).
#[tokio::test]
async fn f6_restart_keeps_exact_cpu_sets() {
    let dir = temp_dir("f6");
    let state = dir.join("vms.json");
    let s = state.to_str().unwrap().to_string();
    let mut d = local_daemon(&dir, "host-32", &["--state-file", &s]);
    for i in 0..24u32 {
        let oc = [1.0, 2.0, 3.0][(i % 3) as usize];
        let q = format!("/deploy?name=v{i}&cpu={}&mem=1&oc={oc}", 1 + i % 3);
        assert!(success(&get(&d.addr, &q).await.1), "{q}");
    }
    for i in [0, 4, 5, 9, 13, 20] {
        assert!(success(
            &get(&d.addr, &format!("/remove?name=v{i}")).await.1
        ));
    }
    for i in 24..28u32 {
        let q = format!("/deploy?name=v{i}&cpu=2&mem=1&oc=2");
        assert!(success(&get(&d.addr, &q).await.1), "{q}");
    }
    let before = get(&d.addr, "/pinning").await.1;
    let status_before = get(&d.addr, "/status").await.1;
    d.kill();
    let d2 = local_daemon(&dir, "host-32", &["--state-file", &s]);
    assert_eq!(get(&d2.addr, "/pinning").await.1, before);
    assert_eq!(get(&d2.addr, "/status").await.1, status_before);
}

/// F7: HEAD never changes state; without a token, what a web page could
/// send is refused; the prototype's plain GETs still work.
#[tokio::test]
async fn f7_head_and_browser_requests_are_refused() {
    let dir = temp_dir("f7");
    let d = local_daemon(&dir, "laptop-8", &[]);
    let a = &d.addr;
    let req = |method: &str, path: &str, extra: &str| {
        format!("{method} {path} HTTP/1.1\r\nHost: {a}\r\n{extra}Connection: close\r\n\r\n")
    };
    let (code, _) = raw(a, &req("HEAD", "/deploy?name=h&cpu=1&mem=1&oc=1", "")).await;
    assert_eq!(code, 405);
    let (code, _) = raw(a, &req("HEAD", "/remove?name=h", "")).await;
    assert_eq!(code, 405);
    let forged = format!(
        "GET /deploy?name=x&cpu=1&mem=1&oc=1 HTTP/1.1\r\nHost: evil.example:{}\r\nConnection: close\r\n\r\n",
        a.rsplit(':').next().unwrap()
    );
    let (code, v) = raw(a, &forged).await;
    assert_eq!((code, v["success"].as_bool()), (403, Some(false)), "{v}");
    for extra in [
        "Origin: http://evil.example\r\n",
        "Origin: null\r\n",
        "Sec-Fetch-Site: cross-site\r\n",
    ] {
        let (code, v) = raw(a, &req("GET", "/deploy?name=x&cpu=1&mem=1&oc=1", extra)).await;
        assert_eq!(code, 403, "{extra}: {v}");
    }
    let local_page = "Origin: http://127.0.0.1:3000\r\nSec-Fetch-Site: same-origin\r\n";
    let (code, _) = raw(a, &req("GET", "/status", local_page)).await;
    assert_eq!(code, 200);
    assert_eq!(get(a, "/listvm").await.1, json!([]), "nothing was created");
    // The prototype's tools: plain GETs (python-requests sends Host: 127.0.0.1:PORT).
    assert!(success(&get(a, "/deploy?name=ok&cpu=1&mem=1&oc=2").await.1));
    let (code, _) = raw(
        a,
        &req("GET", "/listvm", "User-Agent: python-requests/2.31\r\n"),
    )
    .await;
    assert_eq!(code, 200);
}

/// F7: idle sockets are dropped after the header timeout and capped, so
/// they cannot make the daemon unresponsive.
#[tokio::test]
async fn f7_idle_sockets_do_not_block_the_daemon() {
    let dir = temp_dir("f7-idle");
    let d = local_daemon(
        &dir,
        "laptop-8",
        &["--header-timeout-ms", "500", "--max-connections", "64"],
    );
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(tokio::net::TcpStream::connect(&d.addr).await.unwrap());
    }
    // Served once the idle ones time out (within the client's 10 s).
    let (code, _) = get(&d.addr, "/status").await;
    assert_eq!(code, 200);
    drop(idle);
}

/// F7: `--allow-remote` without a token refuses to start, unless
/// `--insecure-no-token` says so explicitly (then a warning is logged).
#[test]
fn f7_remote_without_token_refuses_to_start() {
    let dir = temp_dir("f7-remote");
    let out = std::process::Command::new(LOCAL)
        .args([
            "--listen",
            "0.0.0.0:0",
            "--allow-remote",
            "--preset",
            "laptop-8",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--token-file") && err.contains("--insecure-no-token"),
        "{err}"
    );
}

/// F8: a `.env` written as for python-dotenv (spaces around `=`, quotes,
/// inline comments, `export`) is read as python-dotenv reads it.
#[tokio::test]
async fn f8_dotenv_as_python_dotenv_reads_it() {
    let dir = temp_dir("f8");
    std::fs::write(
        dir.join(".env"),
        "# prototype-style settings\nSCL_DELAY=15 # seconds\nSCL_URL=\"127.0.0.1\"\n\
         export OVSB_CRITICAL_SIZE = 4\nTOPO_EXCLUDE = \"\" # CPU ids to exclude (e.g. 0,1 )\n\
         QEMU_URL='qemu:///system'\nINFLUXDB_TOKEN=\"token # not a comment\"\n",
    )
    .unwrap();
    let d = common::Daemon::start(
        LOCAL,
        &["--listen", "127.0.0.1:0", "--preset", "laptop-8"],
        &dir,
    );
    assert_eq!(
        get(&d.addr, "/status").await.1["cpu"]["avail"],
        8,
        "TOPO_EXCLUDE empty"
    );
}

/// F9/F10: only configured levels, safe names, no empty disk path, JSON
/// bodies on every error.
#[tokio::test]
async fn f9_f10_limits_and_json_errors() {
    let dir = temp_dir("f9");
    let d = local_daemon(&dir, "host-32", &["--levels", "1,2,2.5"]);
    let a = &d.addr;
    for (q, param) in [
        ("name=x&cpu=1&mem=1&oc=3", "oc"),
        ("name=x&cpu=1&mem=1&oc=1.0001", "oc"),
        ("name=.&cpu=1&mem=1&oc=1", "name"),
        ("name=..&cpu=1&mem=1&oc=1", "name"),
        ("name=-rf&cpu=1&mem=1&oc=1", "name"),
        ("name=x&cpu=1&mem=1&oc=1&qcow2=", "qcow2"),
    ] {
        let (code, v) = get(a, &format!("/deploy?{q}")).await;
        assert_eq!(
            (code, v["parameter"].as_str()),
            (400, Some(param)),
            "{q}: {v}"
        );
    }
    assert!(success(
        &get(a, "/deploy?name=x&cpu=1&mem=1&oc=2.5").await.1
    ));
    let (code, v) = get(a, "/progress?cpu=1&mem=1&oc=7").await;
    assert_eq!((code, v["parameter"].as_str()), (400, Some("oc")));
    let status = get(a, "/status").await.1;
    assert_eq!(
        status["cpu"]["subset"].as_object().unwrap().len(),
        1,
        "{status}"
    );
    let (code, v) = get(a, "/nope").await;
    assert_eq!((code, v["success"].as_bool()), (404, Some(false)), "{v}");
    let post = format!(
        "POST /deploy HTTP/1.1\r\nHost: {a}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (code, v) = raw(a, &post).await;
    assert_eq!((code, v["success"].as_bool()), (405, Some(false)), "{v}");
    let (code, v) = get(a, "/remove?name=unknown").await;
    assert_eq!((code, v["reason"].as_str()), (404, Some("does not exist")));
}
