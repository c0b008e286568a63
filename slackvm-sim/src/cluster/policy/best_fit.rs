//! `best-fit`: the fitting host left with the least room after the VM
//! ([`super::slack_after`]); ties to the lowest index. Empty hosts are
//! candidates too, so its host count is searched, not found on demand, and
//! it is not guaranteed monotone in N.

use super::{slack_after, Policy};
use crate::cluster::classes::ClassGoal;
use crate::cluster::index::HostIndex;
use crate::cluster::model::HostModel;

/// Best fit on summed normalised room.
#[derive(Debug, Clone, Copy, Default)]
pub struct BestFit;

impl Policy for BestFit {
    fn name(&self) -> &'static str {
        "best-fit"
    }
    fn choose<M: HostModel>(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        let cap = model.capacity();
        let mut best: Option<(u128, usize)> = None;
        for (i, h) in hosts.iter().enumerate() {
            if let Some(after) = model.probe(h, vm) {
                let s = slack_after(cap, after);
                if best.is_none_or(|(b, _)| s < b) {
                    best = Some((s, i));
                }
            }
        }
        best.map(|(_, i)| i)
    }
    fn uses_index(&self) -> bool {
        true
    }
    fn exact_classes(&self) -> Option<ClassGoal> {
        Some(ClassGoal::Least)
    }
    fn choose_indexed<M: HostModel>(
        &self,
        model: &M,
        hosts: &[M::Host],
        index: &HostIndex,
        vm: usize,
    ) -> Option<usize> {
        index.best_fit(model, hosts, vm)
    }
}
