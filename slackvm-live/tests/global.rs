//! The global daemon over two real local daemons: placement by the rule of
//! docs/http-api.md, VM -> host map and its rebuild at start, one host killed
//! while the global keeps serving, a silent host skipped within the
//! deadline.

mod common;

use common::{get, success, temp_dir, topology_file, Daemon, GLOBAL, LOCAL};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn local(dir: &std::path::Path, preset: &str) -> Daemon {
    let topo = topology_file(dir, preset);
    Daemon::start(
        LOCAL,
        &[
            "--listen",
            "127.0.0.1:0",
            "--topology",
            topo.to_str().unwrap(),
        ],
        dir,
    )
}

fn global(dir: &std::path::Path, nodes: &[&str]) -> Daemon {
    let list = nodes.join(",");
    Daemon::start(
        GLOBAL,
        &[
            "--listen",
            "127.0.0.1:0",
            "--nodes",
            &list,
            "--node-timeout-ms",
            "500",
            "--delay-s",
            "1",
        ],
        dir,
    )
}

#[tokio::test]
async fn places_on_the_host_with_largest_progress() {
    let dir = temp_dir("global-place");
    let a = local(&dir, "laptop-8");
    let b = local(&dir, "laptop-8");
    let g = global(&dir, &[&a.addr, &b.addr]);

    // Empty identical hosts: equal progress, the first configured wins.
    let (code, v) = get(&g.addr, "/deploy?name=v1&cpu=2&mem=8&oc=1").await;
    assert_eq!((code, success(&v)), (200, true), "{v}");
    assert_eq!(get(&a.addr, "/listvm").await.1, json!(["v1"]));

    // Now a memory-heavy VM: each host's /progress decides.
    let pa = get(&a.addr, "/progress?cpu=2&mem=8&oc=1").await.1["progress"]
        .as_f64()
        .unwrap();
    let pb = get(&b.addr, "/progress?cpu=2&mem=8&oc=1").await.1["progress"]
        .as_f64()
        .unwrap();
    assert_ne!(pa, pb);
    let want = if pb > pa { &b.addr } else { &a.addr };
    assert!(success(
        &get(&g.addr, "/deploy?name=v2&cpu=2&mem=8&oc=1").await.1
    ));
    let listed = get(want, "/listvm").await.1;
    assert!(
        listed.as_array().unwrap().contains(&json!("v2")),
        "v2 not on {want}: {listed}"
    );

    let (_, map) = get(&g.addr, "/listvm").await;
    assert_eq!(map["v1"], json!(a.addr));
    assert_eq!(map["v2"], json!(want));

    let (_, status) = get(&g.addr, "/status").await;
    assert_eq!(status.as_object().unwrap().len(), 2);
    assert!(status[&a.addr]["cpu"]["avail"].is_u64());

    // Fill both hosts; the next VM fits nowhere.
    let mut i = 0;
    loop {
        let (_, v) = get(&g.addr, &format!("/deploy?name=f{i}&cpu=2&mem=1&oc=1")).await;
        if !success(&v) {
            assert_eq!(v["reason"], "No appropriate node found");
            break;
        }
        i += 1;
        assert!(i < 20, "hosts never filled");
    }
    let free = |s: &Value| s["cpu"]["avail"].as_u64().unwrap();
    assert!(
        free(&get(&a.addr, "/status").await.1) < 2 && free(&get(&b.addr, "/status").await.1) < 2
    );

    // Duplicate names are refused cluster-wide; bad parameters are 400.
    let (code, _) = get(&g.addr, "/deploy?name=v1&cpu=1&mem=1&oc=3").await;
    assert_eq!(code, 409);
    let (code, v) = get(&g.addr, "/deploy?name=x&cpu=1&mem=1&oc=0").await;
    assert_eq!((code, v["parameter"].as_str()), (400, Some("oc")));
    let (code, v) = get(&g.addr, "/remove").await;
    assert_eq!((code, v["parameter"].as_str()), (400, Some("name")));

    // Removal goes to the right host.
    let (code, v) = get(&g.addr, "/remove?name=v2").await;
    assert_eq!((code, success(&v)), (200, true), "{v}");
    assert!(!get(want, "/listvm")
        .await
        .1
        .as_array()
        .unwrap()
        .contains(&json!("v2")));
    let (code, _) = get(&g.addr, "/remove?name=v2").await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn restarted_global_rebuilds_its_map() {
    let dir = temp_dir("global-rebuild");
    let a = local(&dir, "laptop-8");
    let b = local(&dir, "laptop-8");
    assert!(success(
        &get(&a.addr, "/deploy?name=on-a&cpu=1&mem=1&oc=2").await.1
    ));
    assert!(success(
        &get(&b.addr, "/deploy?name=on-b&cpu=1&mem=1&oc=1").await.1
    ));
    let g = global(&dir, &[&a.addr, &b.addr]);
    let (_, map) = get(&g.addr, "/listvm").await;
    assert_eq!(map, json!({"on-a": a.addr, "on-b": b.addr}));
    let (code, v) = get(&g.addr, "/remove?name=on-b").await;
    assert_eq!((code, success(&v)), (200, true));
    assert_eq!(get(&b.addr, "/listvm").await.1, json!([]));
}

#[tokio::test]
async fn killed_host_is_skipped_and_global_keeps_serving() {
    let dir = temp_dir("global-kill");
    let mut a = local(&dir, "laptop-8");
    let b = local(&dir, "laptop-8");
    // A host that accepts connections but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let g = global(&dir, &[&silent_addr, &a.addr, &b.addr]);

    assert!(success(
        &get(&g.addr, "/deploy?name=first&cpu=1&mem=1&oc=1").await.1
    ));
    assert_eq!(get(&a.addr, "/listvm").await.1, json!(["first"]));
    a.kill();

    let started = Instant::now();
    let (_, status) = get(&g.addr, "/status").await;
    assert_eq!(
        status.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec![&b.addr]
    );
    let (code, v) = get(&g.addr, "/deploy?name=second&cpu=2&mem=1&oc=2").await;
    assert_eq!((code, success(&v)), (200, true), "{v}");
    assert_eq!(get(&b.addr, "/listvm").await.1, json!(["second"]));
    let (_, map) = get(&g.addr, "/listvm").await;
    assert_eq!(map["second"], json!(b.addr));
    // Each call waited at most the 500 ms deadline for the silent host.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    // Removing a VM of the dead host fails cleanly (502), others still work.
    let (code, v) = get(&g.addr, "/remove?name=first").await;
    assert_eq!((code, success(&v)), (502, false), "{v}");
    let (code, v) = get(&g.addr, "/remove?name=second").await;
    assert_eq!((code, success(&v)), (200, true), "{v}");
    drop(silent);
}
