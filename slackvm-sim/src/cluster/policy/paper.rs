//! `paper`: what the published cluster simulation effectively does. Its
//! loop computes each host's progress toward the ideal memory-per-core
//! ratio, but the comparison that should keep the best host is written so
//! that the first host that fits is always kept (docs/cluster.md):
//! in effect first fit in host order. Same choices as `first-fit`; kept as
//! its own policy so outputs name what was reproduced.

use super::first_fit::FirstFit;
use super::{Choose, IndexRule, Policy};
use crate::cluster::model::HostModel;

/// The published code's placement (first host that fits).
#[derive(Debug, Clone, Copy, Default)]
pub struct Paper;

impl Policy for Paper {
    fn name(&self) -> &'static str {
        "paper"
    }
    fn on_demand_exact(&self) -> bool {
        FirstFit.on_demand_exact()
    }
    fn index_rule(&self) -> Option<IndexRule> {
        FirstFit.index_rule()
    }
}

// Every decision is first fit's.
impl<M: HostModel> Choose<M> for Paper {
    fn choose(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        FirstFit.choose(model, hosts, vm)
    }
}
