//! The local daemon over libvirt's built-in test driver (feature `live`):
//! domains defined with their level in the metadata, pinned to their
//! vNode, re-pinned when vNodes change, destroyed and undefined on
//! removal, adopted again at start-up. Read back through the same
//! connection (the test driver keeps its state per connection).
#![cfg(feature = "live")]

mod common;

use common::{get, ids, success, temp_dir, topology_file, Daemon, LOCAL};
use serde_json::Value;
use slackvm_live::hypervisor::domain_xml::{self, DomainTemplate};
use slackvm_live::hypervisor::libvirt::LibvirtBackend;
use slackvm_live::local::{self, LocalCore, LocalOptions};
use slackvm_live::params::DiskPolicy;
use slackvm_sim::{Host, HostOptions};
use std::sync::Arc;
use virt::connect::Connect;

fn template() -> DomainTemplate {
    DomainTemplate {
        domain_type: "test".into(),
        emulator: None,
        machine: None,
    }
}

fn node_uri(dir: &std::path::Path) -> String {
    let node = dir.join("node.xml");
    std::fs::write(&node, "<node></node>\n").unwrap();
    format!("test://{}", node.display())
}

fn host() -> Host {
    Host::new(
        Arc::new(slackvm_sim::topology::preset("host-32").unwrap()),
        HostOptions::default(),
    )
}

/// Checks every managed domain against the daemon's /pinning: XML
/// `<vcpupin>` and `virDomainGetVcpuPinInfo` both give the VM's set.
fn assert_domains_match(readback: &LibvirtBackend, pinning: &Value) {
    for (vm, cpus) in pinning["vms"].as_object().unwrap() {
        let want: Vec<u32> = ids(cpus).into_iter().map(|c| c as u32).collect();
        let info = readback.pin_info(vm).unwrap();
        assert!(!info.is_empty());
        for (vcpu, set) in info.iter().enumerate() {
            assert_eq!(set, &want, "{vm} vCPU {vcpu} (pin info)");
        }
        let xml = readback.xml(vm).unwrap();
        let pins = domain_xml::vcpu_pins(&xml);
        assert_eq!(pins.len(), info.len(), "{vm}: one <vcpupin> per vCPU");
        for set in pins.values() {
            assert_eq!(set, &want, "{vm} (domain XML)");
        }
    }
}

#[tokio::test]
async fn libvirt_test_driver_scenario() {
    let dir = temp_dir("libvirt");
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    let disk = images.join("a.qcow2");
    std::fs::write(&disk, b"qcow").unwrap();
    let conn = Connect::open(Some(&node_uri(&dir))).unwrap();
    let readback = LibvirtBackend::from_connect(conn.clone(), template());

    let mut core = LocalCore::new(
        host(),
        Box::new(LibvirtBackend::from_connect(conn.clone(), template())),
    );
    assert!(core.adopt().unwrap().adopted.is_empty());
    let opts = LocalOptions {
        disks: DiskPolicy::Under(std::fs::canonicalize(&images).unwrap()),
        ..LocalOptions::default()
    };
    let (app, daemon) = local::router(core, opts);
    let (listener, addr) = slackvm_live::server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    tokio::spawn(slackvm_live::server::serve(listener, app));
    let addr = addr.to_string();

    let deploy_a = format!("/deploy?name=a&cpu=2&mem=1&oc=2&qcow2={}", disk.display());
    assert!(success(&get(&addr, &deploy_a).await.1));
    assert!(success(
        &get(&addr, "/deploy?name=b&cpu=3&mem=2&oc=3").await.1
    ));
    let xml = readback.xml("a").unwrap();
    assert_eq!(
        domain_xml::level(&xml),
        Some(slackvm_sim::level::Level::TWO),
        "{xml}"
    );
    assert!(xml.contains("<vcpu placement='static'>2</vcpu>"), "{xml}");
    assert!(xml.contains(&disk.canonicalize().unwrap().display().to_string()));
    assert_eq!(
        domain_xml::level(&readback.xml("b").unwrap()),
        Some(slackvm_sim::level::Level::THREE)
    );
    let pinning_before = get(&addr, "/pinning").await.1;
    assert_domains_match(&readback, &pinning_before);

    // A premium VM takes free CPUs: the balanced oversubscribed VMs are re-pinned.
    assert!(success(
        &get(&addr, "/deploy?name=p&cpu=4&mem=1&oc=1").await.1
    ));
    let pinning_after = get(&addr, "/pinning").await.1;
    assert_ne!(
        pinning_before["vms"]["a"], pinning_after["vms"]["a"],
        "a must be re-pinned"
    );
    assert_domains_match(&readback, &pinning_after);

    // Removal destroys and undefines.
    assert!(success(&get(&addr, "/remove?name=b").await.1));
    assert!(conn.lookup_domain_by_name("b").is_err());
    assert_domains_match(&readback, &get(&addr, "/pinning").await.1);
    let status = get(&addr, "/status").await.1;

    // A domain nobody tagged: adopted at level 1.0.
    let stranger = domain_xml::render(
        &template(),
        &slackvm_live::hypervisor::VmSpec {
            name: "stranger".into(),
            vcpus: 1,
            mem_mb: 512,
            level: slackvm_sim::level::Level::ONE,
            disk: None,
        },
        &[0],
    )
    .replace(domain_xml::METADATA_NS, "urn:someone-else");
    conn.define_domain_xml(&stranger).unwrap().create().unwrap();

    // Restart: a new core adopts the running domains with their levels.
    let names = daemon.core.lock().await.host().list();
    assert_eq!(names, ["a", "p"]);
    let mut again = LocalCore::new(
        host(),
        Box::new(LibvirtBackend::from_connect(conn.clone(), template())),
    );
    let report = again.adopt().unwrap();
    let mut adopted = report.adopted.clone();
    adopted.sort();
    assert_eq!(adopted, ["a", "p", "stranger"]);
    assert_eq!(report.defaulted_level, ["stranger"]);
    assert_eq!(again.host().vm("a").unwrap().level, 2.0);
    assert_eq!(again.host().vm("stranger").unwrap().level, 1.0);
    assert_eq!(again.host().vm("p").unwrap().vcpus, 4);
    assert_eq!(again.host().vm("a").unwrap().mem_mb, 1024);
    let cpu_status = &again.host().status().to_json()["cpu"]["subset"]["2.0"];
    for key in ["pcap", "palloc", "vavail"] {
        assert_eq!(
            cpu_status[key], status["cpu"]["subset"]["2.0"][key],
            "{key}"
        );
    }
    for (vm, cpus) in again.host().pinning() {
        for set in readback.pin_info(&vm).unwrap() {
            assert_eq!(set, cpus, "{vm} re-pinned after adoption");
        }
    }
}

#[test]
fn default_test_driver_domain_is_adopted_at_level_one() {
    let mut core = LocalCore::new(
        host(),
        Box::new(LibvirtBackend::open("test:///default", template()).unwrap()),
    );
    let report = core.adopt().unwrap();
    assert!(report.adopted.contains(&"test".to_string()), "{report:?}");
    assert!(report.defaulted_level.contains(&"test".to_string()));
    assert_eq!(core.host().vm("test").unwrap().level, 1.0);
}

#[tokio::test]
async fn local_binary_with_libvirt_backend() {
    let dir = temp_dir("libvirt-bin");
    let uri = node_uri(&dir);
    let topo = topology_file(&dir, "laptop-8");
    let d = Daemon::start(
        LOCAL,
        &[
            "--listen",
            "127.0.0.1:0",
            "--topology",
            topo.to_str().unwrap(),
            "--backend",
            "libvirt",
            "--libvirt-uri",
            &uri,
            "--domain-type",
            "test",
        ],
        &dir,
    );
    assert!(success(
        &get(&d.addr, "/deploy?name=v1&cpu=2&mem=1&oc=2").await.1
    ));
    assert!(success(
        &get(&d.addr, "/deploy?name=v2&cpu=1&mem=1&oc=1").await.1
    ));
    assert_eq!(
        get(&d.addr, "/listvm").await.1,
        serde_json::json!(["v1", "v2"])
    );
    assert!(success(&get(&d.addr, "/remove?name=v1").await.1));
    assert_eq!(get(&d.addr, "/listvm").await.1, serde_json::json!(["v2"]));
}
