//! `worst-fit`: the fitting host left with the most room after the VM
//! ([`super::slack_after`]); ties to the lowest index. It spreads VMs over
//! every host it is given, so its host count is searched and not
//! guaranteed monotone in N.

use super::{extreme_scan, Choose, IndexRule, Policy};
use crate::cluster::fit::ClassGoal;
use crate::cluster::model::HostModel;

/// Worst fit on summed normalised room.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorstFit;

impl Policy for WorstFit {
    fn name(&self) -> &'static str {
        "worst-fit"
    }
    fn index_rule(&self) -> Option<IndexRule> {
        Some(IndexRule::WorstFit)
    }
}

impl<M: HostModel> Choose<M> for WorstFit {
    fn choose(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        extreme_scan(model, hosts, vm, ClassGoal::Most)
    }
}
