//! The local scheduler's invariants over many random operation sequences
//! (deploy, remove, with every quirk set, on random topologies). The case
//! count comes from `SLACKVM_HOST_CASES` (default 256, so `cargo test`
//! stays quick); CI runs 100 000 cases in a release build:
//! `SLACKVM_HOST_CASES=100000 cargo test --release -p slackvm-sim --test host_invariants_scale`.

use proptest::prelude::*;
use slackvm_sim::scheduler::VmRequest;
use slackvm_sim::topology::synthetic;
use slackvm_sim::{Host, HostOptions, Level, Quirks};
use std::sync::Arc;

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

fn cases() -> u32 {
    std::env::var("SLACKVM_HOST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Applies one operation and checks the invariants that must hold after it.
fn apply(h: &mut Host, names: &mut Vec<String>, i: usize, op: Op) -> Result<(), TestCaseError> {
    match op {
        Op::Deploy(c, m, l) => {
            let before = h.clone();
            let name = format!("vm{i}");
            let level = Level::new(l).map_err(|e| TestCaseError::fail(e.to_string()))?;
            match h.deploy(&VmRequest::new(&name, c, m, level)) {
                Ok(p) => {
                    prop_assert!(
                        p.vnode_cpus.len() as u64 >= u64::from(c).div_ceil(l.ceil() as u64)
                    );
                    names.push(name);
                }
                Err(_) => prop_assert_eq!(h.list(), before.list(), "a refusal changes no VM"),
            }
        }
        Op::Remove(k) if !names.is_empty() => {
            let name = names.remove(k % names.len());
            h.remove(&name)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        Op::Remove(_) => {}
    }
    h.check_invariants().map_err(TestCaseError::fail)?;
    let pinning = h.pinning();
    prop_assert_eq!(pinning.len(), names.len());
    for v in h.vnodes() {
        prop_assert!(v.cap() as f64 >= (v.alloc_vcpus() as f64 / v.level().get()).ceil());
    }
    prop_assert!(h.mem().size_mb() <= h.topology().mem_allowed_mb());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_sequences_keep_the_invariants(
        shape in (1u32..3, 1u32..9, 1u32..3, 1u32..5, 16_000u64..200_000),
        quirks in prop::sample::select(vec![Quirks::default(), Quirks::fixed(), Quirks::prototype()]),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let (s, c, t, l3, mem) = shape;
        let topo = Arc::new(synthetic(s, c, t, l3, mem).unwrap());
        let mut h = Host::new(topo, HostOptions { quirks, critical_size: 6 });
        let mut names = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            apply(&mut h, &mut names, i, op)?;
        }
        for name in names {
            h.remove(&name).unwrap();
        }
        prop_assert_eq!(h.free_cpus(), h.topology().cpu_count());
        prop_assert_eq!(h.mem().size_mb(), 0);
        prop_assert_eq!(h.vm_count(), 0);
    }
}
