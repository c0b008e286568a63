//! `progress`: the rule the published code intends. Among the hosts that
//! fit, the one whose memory-per-core ratio the VM moves most toward the
//! ideal (docs/scheduler.md, "Progress"); ties to the lowest index (a
//! later host must be strictly better). Searched, not found on demand.

use super::{Choose, Policy};
use crate::cluster::model::HostModel;

/// Largest progress toward the ideal ratio.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProgressPolicy;

impl Policy for ProgressPolicy {
    fn name(&self) -> &'static str {
        "progress"
    }
}

impl<M: HostModel> Choose<M> for ProgressPolicy {
    fn choose(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        let mut best: Option<(f64, usize)> = None;
        for (i, h) in hosts.iter().enumerate() {
            if model.probe(h, vm).is_some() {
                let p = model.progress(h, vm);
                if best.is_none_or(|(b, _)| p > b) {
                    best = Some((p, i));
                }
            }
        }
        best.map(|(_, i)| i)
    }
}
