//! `best-fit`: the fitting host left with the least room after the VM
//! ([`super::slack_after`]); ties to the lowest index. Empty hosts are
//! candidates too, so its host count is searched, not found on demand, and
//! it is not guaranteed monotone in N.

use super::{extreme_scan, Choose, IndexRule, Policy};
use crate::cluster::fit::ClassGoal;
use crate::cluster::model::HostModel;

/// Best fit on summed normalised room.
#[derive(Debug, Clone, Copy, Default)]
pub struct BestFit;

impl Policy for BestFit {
    fn name(&self) -> &'static str {
        "best-fit"
    }
    fn index_rule(&self) -> Option<IndexRule> {
        Some(IndexRule::BestFit)
    }
}

impl<M: HostModel> Choose<M> for BestFit {
    fn choose(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        extreme_scan(model, hosts, vm, ClassGoal::Least)
    }
}
