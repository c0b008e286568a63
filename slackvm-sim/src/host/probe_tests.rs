//! [`Host::probe`]: the dry run agrees with the deployment that follows
//! it (same vNode, same growth, same refusal) and never changes the host.

use super::*;
use crate::scheduler::{DeployError, VmRequest};
use crate::topology::{preset, synthetic};
use proptest::prelude::*;

fn lv(level: f64) -> Level {
    Level::new(level).unwrap()
}

fn host(quirks: Quirks) -> Host {
    Host::new(
        Arc::new(preset("laptop-8").unwrap()),
        HostOptions {
            quirks,
            ..HostOptions::default()
        },
    )
}

/// Probes, deploys, and checks that the deployment did what the probe said.
fn probe_then_deploy(h: &mut Host, req: &VmRequest) -> Result<Probe, DeployError> {
    let before = h.clone();
    let probed = h.probe(req);
    assert_eq!(*h, before, "probe changed the host");
    let deployed = h.deploy(req);
    match (&probed, &deployed) {
        (Ok(p), Ok(placed)) => {
            assert_eq!(p.level, placed.level);
            assert_eq!(p.cpus_added, placed.cpus_added.len() as u64);
            assert_eq!(Some(p.vnode), h.vnode_of_level(req.level));
            assert_eq!(p.creates_vnode, before.vnode_of_level(req.level).is_none());
            assert_eq!(h.vnode_cpu_ids(p.vnode), placed.vnode_cpus);
            assert_eq!(p.held_cpus_after, h.held_cpus() as u64);
            assert_eq!(p.mem_size_after_mb, h.mem().size_mb());
            assert_eq!(p.mem_added_mb, h.mem().size_mb() - before.mem().size_mb());
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("probe {probed:?} but deploy {deployed:?}"),
    }
    probed
}

#[test]
fn probe_names_the_vnode_and_the_growth() {
    let mut h = host(Quirks::default());
    let p = probe_then_deploy(&mut h, &VmRequest::new("a", 3, 2048, lv(2.0))).unwrap();
    // A new vNode gets exactly the VM's vCPUs; the pool grows by its memory.
    assert_eq!(
        (p.vnode, p.creates_vnode, p.cpus_added, p.mem_added_mb),
        (0, true, 3, 2048)
    );
    // Level 2 with 3 CPUs for 3 vCPUs: 3 more vCPUs fit without growing.
    let p = probe_then_deploy(&mut h, &VmRequest::new("b", 3, 1024, lv(2.0))).unwrap();
    assert_eq!((p.vnode, p.creates_vnode, p.cpus_added), (0, false, 0));
    assert_eq!((p.held_cpus_after, p.mem_size_after_mb), (3, 3072));
    // 4 more vCPUs at 2:1 with nothing left: ceil(4 / 2) = 2 more CPUs.
    let p = probe_then_deploy(&mut h, &VmRequest::new("c", 4, 1, lv(2.0))).unwrap();
    assert_eq!((p.cpus_added, p.held_cpus_after), (2, 5));
}

#[test]
fn probe_refuses_as_deploy_does() {
    let mut h = host(Quirks::default());
    probe_then_deploy(&mut h, &VmRequest::new("a", 6, 1024, lv(1.0))).unwrap();
    let e = probe_then_deploy(&mut h, &VmRequest::new("b", 3, 1024, lv(1.0))).unwrap_err();
    assert!(matches!(
        e,
        DeployError::NotEnoughCpu {
            missing_cpus: 3,
            free_cpus: 2,
            ..
        }
    ));
    let e = probe_then_deploy(&mut h, &VmRequest::new("b", 1, 1 << 40, lv(3.0))).unwrap_err();
    assert!(matches!(e, DeployError::NotEnoughMem { .. }));
    let e = probe_then_deploy(&mut h, &VmRequest::new("a", 1, 1, lv(1.0))).unwrap_err();
    assert!(matches!(e, DeployError::AlreadyHosted { .. }));
}

#[derive(Debug, Clone)]
enum Op {
    Deploy(u32, u64, f64),
    Remove(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u32..9, 256u64..60_000, prop::sample::select(vec![1.0, 1.5, 2.0, 3.0]))
            .prop_map(|(c, m, l)| Op::Deploy(c, m, l)),
        1 => (0usize..64).prop_map(Op::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the state, a probe leaves the host as it was, and the
    /// deployment that follows does what the probe announced.
    #[test]
    fn probe_never_mutates_and_predicts_deploy(
        cores in 1u32..9,
        quirks in prop::sample::select(vec![Quirks::default(), Quirks::fixed(), Quirks::prototype()]),
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let topo = Arc::new(synthetic(2, cores, 2, 2, 64_000).unwrap());
        let mut h = Host::new(topo, HostOptions { quirks, ..HostOptions::default() });
        let mut names: Vec<String> = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Op::Deploy(c, m, l) => {
                    let name = format!("vm{i}");
                    if probe_then_deploy(&mut h, &VmRequest::new(&name, c, m, lv(l))).is_ok() {
                        names.push(name);
                    }
                }
                Op::Remove(k) if !names.is_empty() => {
                    let name = names.remove(k % names.len());
                    h.remove(&name).unwrap();
                }
                Op::Remove(_) => {}
            }
        }
    }
}
