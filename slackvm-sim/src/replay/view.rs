//! What the output says of one vNode at the current host state (built by
//! emission, kept by the replayer between host changes, read by the
//! recomputation).

use crate::trace::VNodeSnapshot;

/// What the output says of one vNode at the current host state.
pub(super) struct VNodeView {
    /// The vNode's columns.
    pub snap: VNodeSnapshot,
    /// `subset` as a [`super::step::Step`] id.
    pub id: u32,
    /// Its VMs, as indexes of the first pass.
    pub vms: Vec<u32>,
}
