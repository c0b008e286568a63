//! The host index against the scans it replaces: on random workloads and
//! clusters, every decision of `paper`, `first-fit`, `best-fit` and
//! `worst-fit` through [`HostIndex`] equals the straightforward scan's,
//! whole runs agree, and both host models keep the [`HostModel::room`]
//! contract the index relies on.

use super::classes::ClassGoal;
use super::engine::{run, EngineOptions, Hosts, OnRefusal, INDEX_MIN_HOSTS};
use super::index::HostIndex;
use super::model::{CountingModel, HostModel, ModelOptions, VnodeModel};
use super::policy::PolicyKind;
use super::schedule::{EventOrder, Schedule};
use super::testkit::list;
use crate::host::{HostOptions, Quirks};
use crate::topology::preset;
use proptest::prelude::*;
use std::sync::Arc;

type Spec = (u32, u64, f64, u64, Option<u64>);

fn workload() -> impl Strategy<Value = Vec<Spec>> {
    let vm = (
        prop::sample::select(vec![1u32, 2, 3, 4, 6, 8, 16, 24]),
        // Few sizes (one stratum each) or many (more than MAX_STRATA).
        prop_oneof![
            prop::sample::select(vec![1024u64, 2048, 4096, 8192, 15360, 30720, 61440]),
            512u64..65536,
        ],
        prop::sample::select(vec![1.0f64, 1.5, 2.0, 3.0]),
        0u64..8,
        prop::option::of(1u64..6),
    )
        .prop_map(|(c, m, l, a, d)| (c, m, l, a * 60, d.map(|d| (a + d) * 60)));
    prop::collection::vec(vm, 1..90)
}

/// Replays the schedule on `n` hosts with counted refusals, choosing by
/// scan, and at every arrival checks the room contract on every host and
/// that each indexed policy makes the scan's choice.
fn compare_decisions<M: HostModel>(s: &Schedule, m: &M, n: usize) -> Result<(), TestCaseError> {
    let mut hosts = vec![m.empty_host(); n];
    let mut index = HostIndex::new(m, &hosts);
    let mut least = HostIndex::with_classes(m, &hosts, Some(ClassGoal::Least));
    let mut most = HostIndex::with_classes(m, &hosts, Some(ClassGoal::Most));
    let mut on = vec![None; s.vms.len()];
    for (k, e) in s.events.iter().enumerate() {
        let vm = e.vm();
        if !e.is_arrival() {
            if let Some(h) = on[vm].take() {
                m.remove(&mut hosts[h], vm);
                index.update(m, h, &hosts[h]);
                least.update(m, h, &hosts[h]);
                most.update(m, h, &hosts[h]);
            }
            continue;
        }
        check_room_contract(m, &hosts, vm)?;
        for p in PolicyKind::ALL {
            let (scan, indexed) = (
                p.choose(m, &hosts, vm),
                p.choose_indexed(m, &hosts, &index, vm),
            );
            prop_assert_eq!(scan, indexed, "policy {} at step {}", p.name(), k);
            for (goal, ix) in [("least", &least), ("most", &most)] {
                let classed = p.choose_indexed(m, &hosts, ix, vm);
                prop_assert_eq!(
                    scan,
                    classed,
                    "policy {} (classes {}) at step {}",
                    p.name(),
                    goal,
                    k
                );
            }
        }
        // Move the cluster along with a policy that varies by step.
        let p = PolicyKind::ALL[k % PolicyKind::ALL.len()];
        if let Some(h) = p.choose(m, &hosts, vm) {
            prop_assert!(m.place(&mut hosts[h], vm));
            index.update(m, h, &hosts[h]);
            least.update(m, h, &hosts[h]);
            most.update(m, h, &hosts[h]);
            on[vm] = Some(h);
        }
    }
    Ok(())
}

/// Whenever a VM fits a host, its demand passes the host's room and the
/// usage grows by at most what the demand says.
fn check_room_contract<M: HostModel>(
    m: &M,
    hosts: &[M::Host],
    vm: usize,
) -> Result<(), TestCaseError> {
    let d = m.demand(vm);
    for (i, h) in hosts.iter().enumerate() {
        if let Some(after) = m.probe(h, vm) {
            let room = m.room(h);
            let now = m.usage(h);
            prop_assert!(
                d.may_fit(room.cpus[d.level_idx], room.mem_mb),
                "host {} room {:?} demand {:?}",
                i,
                room,
                d
            );
            prop_assert!(
                after.cpus <= now.cpus + d.max_cpu_growth + room.extra_cpu_growth,
                "{} host {} cpus {} -> {} demand {:?}",
                m.name(),
                i,
                now.cpus,
                after.cpus,
                d
            );
            prop_assert!(after.mem_mb <= now.mem_mb + d.mem_mb, "host {} mem", i);
        }
    }
    Ok(())
}

/// Whole runs with and without the index give the same outcome.
fn compare_runs<M: HostModel>(s: &Schedule, m: &M, n: usize) -> Result<(), TestCaseError> {
    for p in PolicyKind::ALL {
        // Small clusters scan (below INDEX_MIN_HOSTS); the larger one and
        // on-demand runs use the index.
        for hosts in [
            Hosts::Fixed(n),
            Hosts::Fixed(INDEX_MIN_HOSTS + n),
            Hosts::OnDemand,
        ] {
            for on_refusal in [OnRefusal::Stop, OnRefusal::Count] {
                let fast = EngineOptions {
                    on_refusal,
                    scan: false,
                };
                let slow = EngineOptions {
                    on_refusal,
                    scan: true,
                };
                prop_assert_eq!(
                    run(s, m, p, hosts, fast),
                    run(s, m, p, hosts, slow),
                    "policy {} hosts {:?}",
                    p.name(),
                    hosts
                );
            }
        }
    }
    Ok(())
}

fn vnode_model(s: &Schedule, quirks: Quirks) -> VnodeModel {
    let opts = HostOptions {
        quirks,
        ..HostOptions::default()
    };
    VnodeModel::new(&s.vms, &s.ids, Arc::new(preset("host-32").unwrap()), opts)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn indexed_choices_equal_the_scans(
        specs in workload(),
        cap in any::<bool>(),
        n in 1usize..40,
        prototype in any::<bool>(),
    ) {
        let l = list(&specs);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, cap).unwrap();
        let counting = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        compare_decisions(&s, &counting, n)?;
        compare_runs(&s, &counting, n)?;
        let quirks = if prototype { Quirks::prototype() } else { Quirks::default() };
        let vnode = vnode_model(&s, quirks);
        compare_decisions(&s, &vnode, n)?;
        compare_runs(&s, &vnode, n)?;
    }
}

#[test]
fn an_index_over_no_host_finds_nothing() {
    let l = list(&[(2, 1024, 1.0, 0, None)]);
    let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
    let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
    let index = HostIndex::new(&m, &[]);
    assert!(index.is_empty());
    assert_eq!(index.first_fit(&m, &[], 0), None);
    assert_eq!(index.best_fit(&m, &[], 0), None);
    assert_eq!(index.worst_fit(&m, &[], 0), None);
}
