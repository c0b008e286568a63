//! Hand-worked expectations for each rule of docs/scheduler.md, and
//! proptest invariants over random deploy/remove sequences.

use super::*;
use crate::scheduler::{DeployError, VmRequest};
use crate::topology::{preset, synthetic};
use proptest::prelude::*;

fn host(name: &str, quirks: Quirks) -> Host {
    Host::new(
        Arc::new(preset(name).unwrap()),
        HostOptions {
            quirks,
            critical_size: DEFAULT_CRITICAL_SIZE,
        },
    )
}

fn lv(level: f64) -> Level {
    Level::new(level).unwrap()
}

fn vm(name: &str, vcpus: u32, mem_mb: u64, level: f64) -> VmRequest {
    VmRequest::new(name, vcpus, mem_mb, lv(level))
}

fn cpus(h: &Host, level: f64) -> Vec<u32> {
    h.vnode_cpu_ids(h.vnode_of_level(lv(level)).unwrap())
}

#[test]
fn first_vnode_starts_at_first_cpu_then_smt_sibling_then_ccx() {
    let mut h = host("epyc-7662-exp", Quirks::default());
    h.deploy(&vm("a", 4, 1024, 1.0)).unwrap();
    // Empty host: every average is 0, so the first CPU in list order (12);
    // then the closest to 12: its SMT sibling 140 (10), then same CCX (40) in list order.
    assert_eq!(cpus(&h, 1.0), vec![12, 140, 13, 14]);
}

#[test]
fn new_vnode_starts_farthest_from_held_cpus() {
    let mut h = host("epyc-7662-exp", Quirks::default());
    h.deploy(&vm("a", 4, 1024, 1.0)).unwrap();
    h.deploy(&vm("b", 2, 1024, 2.0)).unwrap();
    // Socket 1 CPUs are at 72 from all held CPUs (the largest); first in list: 64.
    assert_eq!(cpus(&h, 2.0), vec![64, 192]);
}

#[test]
fn growth_takes_the_closest_on_average_then_shrink_releases_it_first() {
    let mut h = host("epyc-7662-exp", Quirks::default());
    h.deploy(&vm("a", 4, 1024, 1.0)).unwrap();
    let p = h.deploy(&vm("c", 1, 1024, 1.0)).unwrap();
    // 141: 40+40+10+40 = 130 to {12,140,13,14}; 142 ties at 130 but comes later; 15 sums 160.
    assert_eq!(p.cpus_added, vec![141]);
    h.deploy(&vm("d", 1, 1024, 1.0)).unwrap();
    assert_eq!(cpus(&h, 1.0), vec![12, 140, 13, 14, 141, 142]);
    let r = h.remove("c").unwrap();
    // cap 6, alloc 5, r 1: one unused CPU, the last added (142).
    assert_eq!(r.cpus_released, vec![142]);
    assert_eq!(cpus(&h, 1.0), vec![12, 140, 13, 14, 141]);
}

#[test]
fn oversubscribed_capacity_rules() {
    let mut h = host("laptop-8", Quirks::default());
    h.deploy(&vm("a", 4, 1024, 2.0)).unwrap();
    assert_eq!(h.vnodes()[0].cap(), 4, "first VM gets exactly its vCPUs");
    h.deploy(&vm("b", 2, 1024, 2.0)).unwrap();
    assert_eq!(h.vnodes()[0].cap(), 4, "avail 8 - 4 = 4 >= 2: no growth");
    h.deploy(&vm("c", 4, 1024, 2.0)).unwrap();
    // avail 8 - 6 = 2, need 2 -> ceil(2/2) = 1 CPU.
    assert_eq!(h.vnodes()[0].cap(), 5);
    h.remove("a").unwrap();
    // cap 5, alloc 6: avail 4 -> floor(4/2) = 2 unused, used 3 < max 4 -> keep 4.
    assert_eq!(h.vnodes()[0].cap(), 4);
    h.remove("c").unwrap();
    // cap 4, alloc 2: avail 6 -> 3 unused, used 1 < max 2 -> keep 2.
    assert_eq!(h.vnodes()[0].cap(), 2);
    h.remove("b").unwrap();
    assert_eq!(
        h.vnodes()[0].cap(),
        0,
        "emptied vNode stays listed with 0 CPUs"
    );
    assert_eq!(h.vnodes().len(), 1);
}

#[test]
fn refusal_for_missing_cpus_leaves_the_host_unchanged() {
    let mut h = host("laptop-8", Quirks::default());
    h.deploy(&vm("a", 6, 1024, 1.0)).unwrap();
    let before = h.clone();
    let e = h.deploy(&vm("b", 3, 1024, 1.0)).unwrap_err();
    assert!(
        matches!(
            e,
            DeployError::NotEnoughCpu {
                missing_cpus: 3,
                free_cpus: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.resource(), "not enough cpu");
    assert_eq!(h, before);
    // A new level that does not fit is refused too, and no vNode is created.
    let e = h.deploy(&vm("c", 3, 1024, 3.0)).unwrap_err();
    assert_eq!(e.resource(), "not enough cpu");
    assert_eq!(h, before);
}

#[test]
fn memory_refusal_rolls_back_the_cpu_side() {
    let mut h = host("laptop-8", Quirks::default());
    h.deploy(&vm("a", 2, 30_000, 1.0)).unwrap();
    let before = h.clone();
    let e = h.deploy(&vm("b", 2, 2_000, 2.0)).unwrap_err();
    assert!(
        matches!(e, DeployError::NotEnoughMem { free_mb: 1776, .. }),
        "{e:?}"
    );
    assert_eq!(h, before, "new vNode removed, CPUs freed");
    let e = h.deploy(&vm("c", 1, 2_000, 1.0)).unwrap_err();
    assert_eq!(e.resource(), "not enough mem");
    assert_eq!(h, before, "existing vNode shrunk back");
}

#[test]
fn prototype_keeps_the_vnode_a_rolled_back_deployment_created() {
    let mut h = host("laptop-8", Quirks::prototype());
    h.deploy(&vm("a", 2, 30_000, 1.0)).unwrap();
    h.deploy(&vm("b", 2, 2_000, 2.0)).unwrap_err();
    assert_eq!(h.vnodes().len(), 2);
    assert_eq!(h.vnodes()[1].cap(), 0);
    assert_eq!(h.free_cpus(), 6);
}

#[test]
fn quirk1_empty_vnode_regrows_from_first_free_cpu() {
    let run = |quirks| {
        let mut h = host("epyc-7662-exp", quirks);
        h.deploy(&vm("a", 4, 1024, 1.0)).unwrap();
        h.deploy(&vm("b", 2, 1024, 2.0)).unwrap();
        h.remove("b").unwrap();
        h.deploy(&vm("c", 2, 1024, 2.0)).unwrap();
        cpus(&h, 2.0)
    };
    // On (default): growth rule from an empty set: first free in list order (15), then its sibling.
    assert_eq!(run(Quirks::default()), vec![15, 143]);
    // Off: the creation rule again: farthest from held CPUs (socket 1).
    let mut fixed = Quirks::default();
    fixed.set("empty-vnode-first-free", false).unwrap();
    assert_eq!(run(fixed), vec![64, 192]);
}

#[test]
fn quirk3_balance_condition_mixes_units() {
    // laptop-8: level 1 takes 4, level 3 holds 3 CPUs for 9 vCPUs, level 2 holds 1: no free CPU.
    let build = |quirks| {
        let mut h = host("laptop-8", quirks);
        h.deploy(&vm("p", 4, 1024, 1.0)).unwrap();
        for n in ["t1", "t2", "t3"] {
            h.deploy(&vm(n, 3, 1024, 3.0)).unwrap();
        }
        h.deploy(&vm("d", 1, 1024, 2.0)).unwrap();
        h
    };
    let on = build(Quirks::default());
    assert_eq!(on.free_cpus(), 0);
    // A = 10 vCPUs, rmin 2: ceil(10/2) = 5. Quirk: 0 free + 10 vCPUs >= 5: shared.
    assert!(on.is_balanced());
    let pins = on.pinning();
    assert_eq!(pins["d"], pins["t1"]);
    assert_eq!(pins["d"].len(), 4);
    assert_eq!(pins["p"].len(), 4);
    // Fixed: 0 free + 4 CPUs < 5: each vNode keeps its own CPUs.
    let mut fixed = Quirks::default();
    fixed.set("balance-mixed-units", false).unwrap();
    let off = build(fixed);
    assert!(!off.is_balanced());
    assert_eq!(off.pinning()["d"].len(), 1);
}

#[test]
fn balance_shares_free_cpus_with_small_oversubscribed_vnodes() {
    let mut h = host("laptop-8", Quirks::fixed());
    h.deploy(&vm("a", 2, 1024, 2.0)).unwrap();
    // 1 VM < critical size 6: pinned to its 2 CPUs and the 6 free ones.
    assert_eq!(h.pinning()["a"], (0..8).collect::<Vec<u32>>());
    h.deploy(&vm("b", 2, 1024, 1.0)).unwrap();
    assert_eq!(h.pinning()["b"].len(), 2, "premium VMs are never shared");
    assert_eq!(h.pinning()["a"].len(), 6);
}

#[test]
fn progress_toward_the_ideal_ratio() {
    let mut h = host("laptop-8", Quirks::default());
    // ideal = 31776 / 8 = 3972; empty host: current = ideal; potential = 4096/2 = 2048.
    assert_eq!(h.progress(2, 4096, lv(1.0)), -1924.0);
    h.deploy(&vm("a", 2, 4096, 1.0)).unwrap();
    // current 2048; potential (4096+8192)/3 = 4096: 1924 - 124.
    assert_eq!(h.progress(1, 8192, lv(1.0)), 1800.0);
    // potential 5120/4 = 1280: 1924 - 2692 = -768, times 1 + 2/8.
    assert_eq!(h.progress(2, 1024, lv(1.0)), -960.0);
}

#[test]
fn status_reports_capacities_in_the_prototype_shape() {
    let mut h = host("laptop-8", Quirks::default());
    h.deploy(&vm("a", 3, 2048, 2.0)).unwrap();
    let s = h.status();
    assert_eq!(s.cpu.avail, 5);
    let v = s.cpu.subset(lv(2.0)).unwrap();
    assert_eq!(
        (v.pcap, v.palloc, v.vavail, v.vpotential),
        (3, 3, 3.0, 10.0)
    );
    let json = s.to_json();
    assert_eq!(
        json["cpu"]["subset"]["2.0"]["vavail"],
        serde_json::json!(3.0)
    );
    assert_eq!(json["mem"]["subset"]["1"]["pcap"], serde_json::json!(2048));
    assert_eq!(json["mem"]["avail"], serde_json::json!(31776 - 2048));
}

#[test]
fn invalid_requests_are_refused_with_the_vm_named() {
    let mut h = host("laptop-8", Quirks::default());
    let e = h.deploy(&vm("z", 0, 1, 1.0)).unwrap_err();
    assert!(e.to_string().contains("`z`"));
    // A level out of range cannot even be built into a request.
    assert!(Level::new(0.5).is_err());
    assert!(Level::new(f64::NAN).is_err());
    h.deploy(&vm("z", 1, 1, 1.0)).unwrap();
    assert!(matches!(
        h.deploy(&vm("z", 1, 1, 1.0)),
        Err(DeployError::AlreadyHosted { .. })
    ));
    assert!(h.remove("nope").is_err());
}

/// Non-empty vNodes (level bits, CPU ids, VM names), free CPUs, pool size, pool allocation.
type Shape = (Vec<(u64, Vec<u32>, Vec<String>)>, usize, u64, u64);

/// What must survive a deploy+remove pair: everything but vNodes emptied on the way.
fn shape(h: &Host) -> Shape {
    let vnodes = (0..h.vnodes().len())
        .filter(|&i| h.vnodes()[i].cap() > 0 || h.vnodes()[i].vm_count() > 0)
        .map(|i| {
            let v = &h.vnodes()[i];
            (
                v.level().to_bits(),
                h.vnode_cpu_ids(i),
                v.vm_names().map(String::from).collect(),
            )
        })
        .collect();
    (vnodes, h.free_cpus(), h.mem().size_mb(), h.mem().alloc_mb())
}

#[derive(Debug, Clone)]
enum Op {
    Deploy(u32, u64, f64),
    Remove(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u32..9, 256u64..40_000, prop::sample::select(vec![1.0, 1.5, 2.0, 3.0, 4.0]))
            .prop_map(|(c, m, l)| Op::Deploy(c, m, l)),
        2 => (0usize..64).prop_map(Op::Remove),
    ]
}

fn topo() -> impl Strategy<Value = Arc<Topology>> {
    (1u32..3, 1u32..9, 1u32..3, 1u32..5, 16_000u64..200_000)
        .prop_map(|(s, c, t, l3, mem)| Arc::new(synthetic(s, c, t, l3, mem).unwrap()))
}

fn quirks() -> impl Strategy<Value = Quirks> {
    prop::sample::select(vec![
        Quirks::default(),
        Quirks::fixed(),
        Quirks::prototype(),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_sequences_keep_the_invariants(topo in topo(), quirks in quirks(), ops in prop::collection::vec(op(), 1..80)) {
        let mut h = Host::new(topo, HostOptions { quirks, critical_size: 6 });
        let mut names: Vec<String> = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Op::Deploy(c, m, l) => {
                    let before = h.clone();
                    let name = format!("vm{i}");
                    match h.deploy(&VmRequest::new(&name, c, m, lv(l))) {
                        Ok(_) => {
                            names.push(name.clone());
                            // Deploy then remove gives the previous state back.
                            let mut undo = h.clone();
                            undo.remove(&name).unwrap();
                            prop_assert_eq!(shape(&undo), shape(&before));
                        }
                        Err(_) if !quirks.keep_vnode_after_rollback => prop_assert_eq!(&h, &before),
                        Err(_) => prop_assert_eq!(shape(&h), shape(&before)),
                    }
                }
                Op::Remove(k) if !names.is_empty() => {
                    let name = names.remove(k % names.len());
                    h.remove(&name).unwrap();
                }
                Op::Remove(_) => {}
            }
            h.check_invariants().map_err(TestCaseError::fail)?;
            for v in h.vnodes() {
                prop_assert!(v.cap() as f64 >= (v.alloc_vcpus() as f64 / v.level().get()).ceil());
                prop_assert!(v.cap() >= v.max_vcpus());
            }
            prop_assert!(h.mem().size_mb() <= h.topology().mem_allowed_mb());
        }
        for name in names {
            h.remove(&name).unwrap();
        }
        prop_assert_eq!(h.free_cpus(), h.topology().cpu_count());
        prop_assert_eq!(h.mem().size_mb(), 0);
        prop_assert_eq!(h.vm_count(), 0);
    }
}
