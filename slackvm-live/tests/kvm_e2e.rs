//! Real QEMU/KVM through a running libvirt daemon (feature `live`): the
//! local daemon deploys VMs of different levels from a tiny qcow2, the
//! pinning is checked with `virsh vcpupin` and in the vCPU threads'
//! affinity (`/proc/PID/task/TID/status`), a restarted daemon keeps the
//! exact CPU sets, a restarted libvirtd does not break the next deployment
//! (reconnection), and removal leaves no domain behind.
//!
//! Skips with a printed reason when libvirtd, virsh or qemu-img is absent
//! (`SLACKVM_KVM_URI`, default `qemu:///system`; `SLACKVM_LIBVIRTD_PID`
//! names the daemon's PID file so the test can restart it, as `.ci/run`
//! does). `--domain-type kvm` when /dev/kvm is usable, else `qemu`. One
//! level per CPU: on a 2-CPU machine the third VM shares a level.
#![cfg(feature = "live")]

mod common;

use common::{get, success, temp_dir, Daemon, LOCAL};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn uri() -> String {
    std::env::var("SLACKVM_KVM_URI").unwrap_or_else(|_| "qemu:///system".into())
}

fn virsh(args: &[&str]) -> Option<String> {
    let out = Command::new("virsh")
        .arg("-c")
        .arg(uri())
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Why the test cannot run here, if it cannot.
fn skip_reason() -> Option<String> {
    if Command::new("qemu-img").arg("--version").output().is_err() {
        return Some("qemu-img not installed".into());
    }
    if virsh(&["version"]).is_none() {
        return Some(format!(
            "no libvirt daemon answers on {} (virsh version failed)",
            uri()
        ));
    }
    None
}

fn domain_type() -> &'static str {
    let usable = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok();
    if usable {
        "kvm"
    } else {
        "qemu"
    }
}

/// CPU ids of `virsh vcpupin NAME` (one set per vCPU).
fn virsh_pins(name: &str) -> Vec<Vec<u32>> {
    let text = virsh(&["vcpupin", name]).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            parts.next()?.parse::<u32>().ok()?;
            slackvm_sim::topology::parse_cpu_list(parts.next()?).ok()
        })
        .collect()
}

/// Affinity of each vCPU thread of the VM's QEMU process.
fn thread_affinity(name: &str) -> Vec<Vec<u32>> {
    let pid_file = format!("/run/libvirt/qemu/{name}.pid");
    let Ok(pid) = std::fs::read_to_string(&pid_file) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let tasks = format!("/proc/{}/task", pid.trim());
    for entry in std::fs::read_dir(tasks).into_iter().flatten().flatten() {
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if !comm.starts_with("CPU ") {
            continue;
        }
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        if let Some(list) = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        {
            out.push(slackvm_sim::topology::parse_cpu_list(list.trim()).unwrap());
        }
    }
    out
}

fn start_local(dir: &Path, images: &Path) -> Daemon {
    let uri = uri();
    Daemon::start(
        LOCAL,
        &[
            "--listen",
            "127.0.0.1:0",
            "--backend",
            "libvirt",
            "--libvirt-uri",
            &uri,
            "--domain-type",
            domain_type(),
            "--emulator",
            "/usr/bin/qemu-system-x86_64",
            "--machine",
            "pc",
            "--image-root",
            images.to_str().unwrap(),
            "--reconcile-s",
            "3600",
        ],
        dir,
    )
}

/// Checks every VM of `/pinning` with virsh and the threads' affinity.
async fn assert_pinned(addr: &str) -> BTreeMap<String, Vec<u32>> {
    let pinning = get(addr, "/pinning").await.1;
    let mut sets = BTreeMap::new();
    for (vm, cpus) in pinning["vms"].as_object().unwrap() {
        let want: Vec<u32> = common::ids(cpus).into_iter().map(|c| c as u32).collect();
        let pins = virsh_pins(vm);
        assert!(!pins.is_empty(), "virsh vcpupin {vm}");
        assert!(
            pins.iter().all(|p| *p == want),
            "{vm}: virsh {pins:?} vs {want:?}"
        );
        let threads = thread_affinity(vm);
        assert!(!threads.is_empty(), "{vm}: no vCPU thread found");
        assert!(
            threads.iter().all(|t| *t == want),
            "{vm}: threads {threads:?} vs {want:?}"
        );
        sets.insert(vm.clone(), want);
    }
    sets
}

/// Domains a failed earlier run left behind.
fn clean_leftovers() {
    for name in virsh(&["list", "--all", "--name"])
        .unwrap_or_default()
        .lines()
    {
        if name.starts_with("kvm-e2e") {
            let _ = virsh(&["destroy", name]);
            let _ = virsh(&["undefine", name]);
        }
    }
}

fn restart_libvirtd() -> bool {
    let Ok(pid_file) = std::env::var("SLACKVM_LIBVIRTD_PID") else {
        return false;
    };
    let pid = std::fs::read_to_string(&pid_file).unwrap_or_default();
    let pid = pid.trim();
    let _ = Command::new("kill").arg(pid).status();
    for _ in 0..50 {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let ok = Command::new("libvirtd")
        .args(["--daemon", "--pid-file", &pid_file])
        .status()
        .is_ok_and(|s| s.success());
    ok && (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        virsh(&["version"]).is_some()
    })
}

#[tokio::test]
async fn real_kvm_end_to_end() {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return;
    }
    let dir = temp_dir("kvm");
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    clean_leftovers();
    // One tiny (empty, 16 MB) disk per VM: QEMU locks an image it writes.
    let disk = |name: &str| {
        let path = images.join(format!("{name}.qcow2"));
        let made = Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2", path.to_str().unwrap(), "16M"])
            .status()
            .unwrap();
        assert!(made.success());
        path.display().to_string()
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let levels: Vec<f64> = [1.0, 2.0, 3.0, 2.0]
        .into_iter()
        .skip(if cpus >= 3 { 0 } else { 1 })
        .take(3)
        .collect();
    println!(
        "domain type {}, {cpus} CPUs, levels {levels:?}",
        domain_type()
    );
    let mut d = start_local(&dir, &images);
    for (i, level) in levels.iter().enumerate() {
        let name = format!("kvm-e2e-{i}");
        let q = format!(
            "/deploy?name={name}&cpu=1&mem=0.0625&oc={level}&qcow2={}",
            disk(&name)
        );
        let (code, v) = get(&d.addr, &q).await;
        assert_eq!((code, success(&v)), (200, true), "{q}: {v}");
    }
    let before = assert_pinned(&d.addr).await;
    assert_eq!(before.len(), 3);

    // Restart the daemon: exact CPU sets kept.
    d.terminate();
    let d2 = start_local(&dir, &images);
    assert_eq!(assert_pinned(&d2.addr).await, before);

    // Restart libvirtd: the next deployment works (reconnection).
    if restart_libvirtd() {
        let q = format!(
            "/deploy?name=kvm-e2e-after&cpu=1&mem=0.0625&oc=3&qcow2={}",
            disk("kvm-e2e-after")
        );
        let (code, v) = get(&d2.addr, &q).await;
        assert_eq!(
            (code, success(&v)),
            (200, true),
            "after a libvirtd restart: {v}"
        );
        let status = get(&d2.addr, "/status").await.1;
        assert!(
            status["backend"]["reconnects"].as_u64().unwrap() >= 1,
            "{status}"
        );
        assert_pinned(&d2.addr).await;
    } else {
        println!("libvirtd not restarted (set SLACKVM_LIBVIRTD_PID to its PID file)");
    }

    // Remove everything: no domain left.
    let names: Vec<String> =
        serde_json::from_value::<Vec<String>>(get(&d2.addr, "/listvm").await.1).unwrap();
    for name in &names {
        let (code, v) = get(&d2.addr, &format!("/remove?name={name}")).await;
        assert_eq!((code, success(&v)), (200, true), "{v}");
    }
    assert_eq!(get(&d2.addr, "/listvm").await.1, Value::Array(vec![]));
    let left = virsh(&["list", "--all", "--name"]).unwrap_or_default();
    assert!(!left.contains("kvm-e2e"), "domains left: {left}");
}
