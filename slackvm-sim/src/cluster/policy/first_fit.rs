//! `first-fit`: the lowest-index host that fits. A run opening hosts on
//! demand places every VM exactly as a run on N hosts does as long as it
//! never opens host N, so its host count is the minimum (one pass).

use super::{Choose, IndexRule, Policy};
use crate::cluster::model::HostModel;

/// First fit in host order.
#[derive(Debug, Clone, Copy, Default)]
pub struct FirstFit;

impl Policy for FirstFit {
    fn name(&self) -> &'static str {
        "first-fit"
    }
    fn on_demand_exact(&self) -> bool {
        true
    }
    fn index_rule(&self) -> Option<IndexRule> {
        Some(IndexRule::FirstFit)
    }
}

impl<M: HostModel> Choose<M> for FirstFit {
    fn choose(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        hosts.iter().position(|h| model.probe(h, vm).is_some())
    }
}
