//! Which host a VM goes to: one file per policy, one arm in
//! [`PolicyKind::policy`] (the only place policies are listed as values).
//! A policy only reads hosts (through [`HostModel::probe`] and
//! [`HostModel::progress`]) and names the chosen index; ties always go to
//! the lowest host index.
//!
//! Each policy implements [`Policy`] (its name and the properties the
//! engine and the search ask for) and [`Choose`] (the straightforward scan
//! over every host, generic in the host model). [`PolicyKind`] is the
//! enum the rest of the crate passes around; its methods dispatch through
//! the one match. When the policy names an [`IndexRule`], the engine asks
//! the [`HostIndex`] instead of scanning (same choices, proptest-checked).
//! Fit measures live in [`super::fit`].

pub mod best_fit;
pub mod first_fit;
pub mod paper;
pub mod progress;
pub mod worst_fit;

use super::fit::{slack_after, ClassGoal};
use super::index::HostIndex;
use super::model::{CountingModel, HostModel};
use super::ClusterError;

/// What the engine and the search ask of a policy, whatever the host model.
pub trait Policy: Sync {
    /// Name used in options and outputs.
    fn name(&self) -> &'static str;
    /// Which question of the [`HostIndex`] gives this policy's choice,
    /// if any; the engine then keeps an index.
    fn index_rule(&self) -> Option<IndexRule> {
        None
    }
    /// True when a run that opens a new host only when none fits places
    /// every VM exactly as a run on any N >= (hosts it opened) would; its
    /// host count is then the minimum, found in one pass.
    fn on_demand_exact(&self) -> bool {
        false
    }
}

/// The straightforward choice of a policy on hosts of model `M`.
pub trait Choose<M: HostModel>: Policy {
    /// Index of the host VM `vm` goes to, or `None` when no host fits: the
    /// scan over every host (the oracle of the indexed choice).
    fn choose(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize>;
}

/// The questions a [`HostIndex`] answers exactly as the scans would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexRule {
    /// Lowest-index host that fits.
    FirstFit,
    /// Fitting host left with the least room.
    BestFit,
    /// Fitting host left with the most room.
    WorstFit,
}

impl IndexRule {
    /// The per-class table an index should keep for this rule, if any
    /// ([`super::classes`]; costs one probe per class per host update).
    pub fn exact_classes(self) -> Option<ClassGoal> {
        match self {
            IndexRule::FirstFit => None,
            IndexRule::BestFit => Some(ClassGoal::Least),
            IndexRule::WorstFit => Some(ClassGoal::Most),
        }
    }
    /// The choice for VM `vm` from an index kept up to date over `hosts`.
    #[inline]
    pub fn choose<M: HostModel>(
        self,
        index: &HostIndex,
        model: &M,
        hosts: &[M::Host],
        vm: usize,
    ) -> Option<usize> {
        match self {
            IndexRule::FirstFit => index.first_fit(model, hosts, vm),
            IndexRule::BestFit => index.best_fit(model, hosts, vm),
            IndexRule::WorstFit => index.worst_fit(model, hosts, vm),
        }
    }
}

/// The fitting host whose room after the VM ([`slack_after`]) is the
/// `goal`'s extreme: the first of the least (best fit) or of the most
/// (worst fit).
pub(crate) fn extreme_scan<M: HostModel>(
    model: &M,
    hosts: &[M::Host],
    vm: usize,
    goal: ClassGoal,
) -> Option<usize> {
    let cap = model.capacity();
    let mut best: Option<(u128, usize)> = None;
    for (i, h) in hosts.iter().enumerate() {
        if let Some(after) = model.probe(h, vm) {
            let room = slack_after(cap, after);
            if best.is_none_or(|(b, _)| goal.beats(room, b)) {
                best = Some((room, i));
            }
        }
    }
    best.map(|(_, i)| i)
}

/// The policies by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// What the published code does: first host that fits.
    Paper,
    /// The intended rule: largest progress toward the ideal ratio.
    Progress,
    /// Lowest-index host that fits.
    FirstFit,
    /// Fitting host left with the least room.
    BestFit,
    /// Fitting host left with the most room.
    WorstFit,
}

impl PolicyKind {
    /// Every policy, in output order.
    pub const ALL: [PolicyKind; 5] = [
        PolicyKind::Paper,
        PolicyKind::Progress,
        PolicyKind::FirstFit,
        PolicyKind::BestFit,
        PolicyKind::WorstFit,
    ];

    /// The policy of this kind on hosts of model `M`: the one match (a new
    /// policy is its file plus one arm here, and one entry in [`Self::ALL`]).
    pub fn policy<'m, M: HostModel + 'm>(self) -> &'m (dyn Choose<M> + 'm) {
        match self {
            PolicyKind::Paper => &paper::Paper,
            PolicyKind::Progress => &progress::ProgressPolicy,
            PolicyKind::FirstFit => &first_fit::FirstFit,
            PolicyKind::BestFit => &best_fit::BestFit,
            PolicyKind::WorstFit => &worst_fit::WorstFit,
        }
    }
    /// The model-independent properties of the policy (any model gives
    /// the same answers; the counting model is used to pick the value).
    pub fn info(self) -> &'static dyn Policy {
        self.policy::<CountingModel<'static>>()
    }
    /// Name used in options and outputs.
    pub fn name(self) -> &'static str {
        self.info().name()
    }
    /// See [`Policy::index_rule`].
    pub fn index_rule(self) -> Option<IndexRule> {
        self.info().index_rule()
    }
    /// True when the policy decides through a [`HostIndex`].
    pub fn uses_index(self) -> bool {
        self.index_rule().is_some()
    }
    /// The per-class table its index should keep, if any.
    pub fn exact_classes(self) -> Option<ClassGoal> {
        self.index_rule().and_then(IndexRule::exact_classes)
    }
    /// See [`Policy::on_demand_exact`].
    pub fn on_demand_exact(self) -> bool {
        self.info().on_demand_exact()
    }
    /// The scan's choice for VM `vm` (see [`Choose::choose`]).
    pub fn choose<M: HostModel>(self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        self.policy::<M>().choose(model, hosts, vm)
    }
    /// The same choice as [`PolicyKind::choose`], with the help of an
    /// index kept up to date over `hosts` (scans when the policy has no
    /// rule).
    pub fn choose_indexed<M: HostModel>(
        self,
        model: &M,
        hosts: &[M::Host],
        index: &HostIndex,
        vm: usize,
    ) -> Option<usize> {
        match self.index_rule() {
            Some(rule) => rule.choose(index, model, hosts, vm),
            None => self.choose(model, hosts, vm),
        }
    }
    /// Parses a name.
    pub fn parse(name: &str) -> Result<Self, ClusterError> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| ClusterError::UnknownName {
                what: "policy",
                name: name.to_string(),
                known: Self::ALL.map(|p| p.name()).join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    //! Each policy's choice on one hand-built cluster of four counting
    //! hosts (32 CPUs, 131072 MB), for a 2:1 VM of 2 vCPUs and 4096 MB:
    //! - host 0: full (two premium 16-vCPU VMs): does not fit;
    //! - host 1: one premium VM of 8 vCPUs, 65536 MB -> after: 10 CPUs,
    //!   69632 MB; slack = 22*131072 + 61440*32;
    //! - host 2: one premium VM of 4 vCPUs, 4096 MB -> after: 6 CPUs,
    //!   8192 MB; slack = 26*131072 + 122880*32 (the most room);
    //! - host 3: one premium VM of 24 vCPUs, 16384 MB -> after: 26 CPUs,
    //!   20480 MB; slack = 6*131072 + 110592*32 (the least room).
    //!   Progress (ideal 4096 MB/CPU): host 1: current 8192, potential
    //!   6963.2: +1228.8; host 2: current 1024, potential 1365.3: +341.3;
    //!   host 3: current 682.7, potential 787.7: +105.0. Largest: host 1.
    use super::*;
    use crate::cluster::model::{CountingModel, ModelOptions};
    use crate::cluster::schedule::{EventOrder, Schedule};
    use crate::cluster::testkit::list;

    #[test]
    fn each_policy_picks_its_host_on_a_hand_built_cluster() {
        let l = list(&[
            (16, 1024, 1.0, 0, None),
            (16, 1024, 1.0, 0, None),
            (8, 65536, 1.0, 0, None),
            (4, 4096, 1.0, 0, None),
            (24, 16384, 1.0, 0, None),
            (2, 4096, 2.0, 0, None),
        ]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let mut hosts = vec![m.empty_host(); 4];
        for (vm, host) in [(0, 0), (1, 0), (2, 1), (3, 2), (4, 3)] {
            assert!(m.place(&mut hosts[host], vm));
        }
        let pick = |k: PolicyKind| k.choose(&m, &hosts, 5);
        assert_eq!(pick(PolicyKind::Paper), Some(1));
        assert_eq!(pick(PolicyKind::FirstFit), Some(1));
        assert_eq!(pick(PolicyKind::BestFit), Some(3));
        assert_eq!(pick(PolicyKind::WorstFit), Some(2));
        assert_eq!(pick(PolicyKind::Progress), Some(1));
        // Ties go to the lowest index: two empty hosts.
        let empty = vec![m.empty_host(); 2];
        for k in PolicyKind::ALL {
            assert_eq!(k.choose(&m, &empty, 5), Some(0), "{}", k.name());
        }
        // Nothing fits: None.
        let full = vec![hosts[0].clone()];
        for k in PolicyKind::ALL {
            assert_eq!(k.choose(&m, &full, 5), None, "{}", k.name());
        }
    }

    #[test]
    fn progress_prefers_a_host_that_moves_toward_the_ideal_ratio() {
        // host 0: memory-heavy premium VM (2 vCPUs, 32768 MB, ratio 16384);
        // host 1: CPU-heavy (8 vCPUs, 4096 MB, ratio 512). A VM of 1 vCPU
        // and 16384 MB helps host 1 (512 -> 2275.6: +1763.6) and hurts
        // host 0 (16384 -> 16384: 0), so progress picks host 1 where
        // first fit picks host 0.
        let l = list(&[
            (2, 32768, 1.0, 0, None),
            (8, 4096, 1.0, 0, None),
            (1, 16384, 1.0, 0, None),
        ]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let mut hosts = vec![m.empty_host(); 2];
        assert!(m.place(&mut hosts[0], 0));
        assert!(m.place(&mut hosts[1], 1));
        assert_eq!(PolicyKind::Progress.choose(&m, &hosts, 2), Some(1));
        assert_eq!(PolicyKind::Paper.choose(&m, &hosts, 2), Some(0));
    }

    #[test]
    fn names_round_trip() {
        for k in PolicyKind::ALL {
            assert_eq!(PolicyKind::parse(k.name()).unwrap(), k);
        }
        assert!(PolicyKind::parse("random").is_err());
    }
}
