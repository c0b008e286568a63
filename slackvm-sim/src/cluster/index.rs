//! The host index: a segment tree over host indexes that lets `first-fit`,
//! `best-fit` and `worst-fit` (and `paper`) decide without probing every
//! host, with exactly the choices of the straightforward scans in
//! [`super::policy`] (kept as the test oracle; proptest compares them).
//!
//! Whether a VM fits a host is the model's non-linear rule (critical size,
//! shared oversubscribed groups, vNode capacities), so no key orders hosts
//! exactly. Each node keeps bounds over its subtree instead:
//! - per level and memory stratum, the largest room CPUs
//!   ([`Room`]: what a VM of that level can still bring, as vCPUs / level)
//!   of a host with at least that much memory room: a subtree below the
//!   VM's [`Demand`] holds no host that fits (the model's contract, see
//!   [`HostModel::room`]);
//! - per level, the largest `floor(room_cpus) * host_mb + room_mb *
//!   host_cpus` of one host (worst fit's bound);
//! - the smallest room left now, `free_cpus * host_mb + free_mb *
//!   host_cpus` (the measure of [`super::fit::slack_after`]), less what
//!   a VM can add at most (best fit's bound).
//!
//! First fit walks to the leftmost host whose bound passes and probes it,
//! moving right on a miss. Best and worst fit are one branch and bound
//! ([`HostIndex::search`]); ties go to the lowest index as in the scans.
//! When the policy asks for it and the VMs form few classes, an exact
//! per-class table ([`super::classes`]) answers best or worst fit instead.
//!
//! Hosts in the empty host's state are left out of the tree: they all
//! answer alike, so the lowest-numbered one stands for them (a kept
//! ordered set). Updates after a placement or a departure are O(log
//! hosts).

use super::classes::ClassTable;
use super::fit::{slack_after, slack_signed, ClassGoal};
use super::model::{Demand, HostModel, Room, Usage, ROOM_EPS};
use std::collections::BTreeSet;

/// Most memory strata (distinct VM memory sizes) an index keeps.
pub const MAX_STRATA: usize = 16;

/// Bounds over hosts, one tree node per range of host indexes.
#[derive(Debug, Clone)]
pub struct HostIndex {
    /// Leaves (a power of two, at least 1).
    size: usize,
    /// Hosts indexed (leaves `0..len`).
    len: usize,
    /// Level indexes per node.
    levels: usize,
    /// Memory thresholds (MB), increasing from 0: the VMs' memory sizes,
    /// or quantiles of them when they are more than [`MAX_STRATA`].
    strata_mb: Vec<u64>,
    /// Per node, level index and stratum k, the largest room CPUs of a
    /// host of the subtree with at least `strata_mb[k]` MB of room (-inf
    /// for none): CPU and MB rooms of two different hosts never combine
    /// into a false candidate when the VM's memory is a threshold.
    room_cpus: Vec<f64>,
    /// Per node and level index, the largest `floor(room_cpus) * host_mb +
    /// room_mb * host_cpus` of one host of the subtree (worst fit's bound).
    room_sum: Vec<f64>,
    /// Largest room MB in the subtree.
    room_mem_mb: Vec<u64>,
    /// Smallest room left now in the subtree, less each host's extra CPU
    /// growth (+max for no host).
    slack_now: Vec<i128>,
    /// Host capacity.
    cap: Usage,
    /// Hosts in the empty host's state: left out of the tree, stood for
    /// by the lowest-numbered one.
    pristine: BTreeSet<usize>,
    /// Exact best- or worst-fit answers per VM class, when asked for and
    /// possible.
    classes: Option<ClassTable>,
}

/// The memory thresholds of an index over `model`'s VMs.
fn strata_of<M: HostModel>(model: &M) -> Vec<u64> {
    let mut sizes: Vec<u64> = (0..model.vm_count())
        .map(|vm| model.demand(vm).mem_mb)
        .collect();
    sizes.push(0);
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.len() <= MAX_STRATA {
        return sizes;
    }
    // Evenly spaced ranks, always keeping 0.
    let last = sizes.len() - 1;
    let mut out: Vec<u64> = (0..MAX_STRATA)
        .map(|k| sizes[k * last / (MAX_STRATA - 1)])
        .collect();
    out.dedup();
    out
}

/// A subtree: node number and the host range `[lo, hi)` it covers.
#[derive(Debug, Clone, Copy)]
struct Span {
    node: usize,
    lo: usize,
    hi: usize,
}

impl Span {
    fn children(self) -> (Span, Span) {
        let mid = (self.lo + self.hi) / 2;
        (
            Span {
                node: 2 * self.node,
                lo: self.lo,
                hi: mid,
            },
            Span {
                node: 2 * self.node + 1,
                lo: mid,
                hi: self.hi,
            },
        )
    }
    fn is_leaf(self) -> bool {
        self.hi - self.lo == 1
    }
}

/// Best candidate so far of a branch and bound: (room after, host).
type Best = Option<(u128, usize)>;

impl HostIndex {
    /// An index over `hosts` (bounds only).
    pub fn new<M: HostModel>(model: &M, hosts: &[M::Host]) -> Self {
        Self::with_classes(model, hosts, None)
    }

    /// An index over `hosts`; with a goal, also a per-class table
    /// answering best or worst fit exactly when the VMs form few classes
    /// ([`super::classes`]).
    pub fn with_classes<M: HostModel>(
        model: &M,
        hosts: &[M::Host],
        goal: Option<ClassGoal>,
    ) -> Self {
        let size = hosts.len().next_power_of_two().max(1);
        let levels = model.level_count();
        debug_assert!((1..=super::schedule::MAX_LEVELS).contains(&levels));
        let strata_mb = strata_of(model);
        debug_assert!(strata_mb.first() == Some(&0) && strata_mb.len() <= MAX_STRATA);
        let mut index = HostIndex {
            size,
            len: hosts.len(),
            levels,
            room_cpus: vec![f64::NEG_INFINITY; 2 * size * levels * strata_mb.len()],
            strata_mb,
            room_sum: vec![f64::NEG_INFINITY; 2 * size * levels],
            room_mem_mb: vec![0; 2 * size],
            slack_now: vec![i128::MAX; 2 * size],
            cap: model.capacity(),
            pristine: BTreeSet::new(),
            classes: None,
        };
        if let Some(goal) = goal {
            index.classes = ClassTable::new(model, hosts, size, goal);
        }
        for (i, h) in hosts.iter().enumerate() {
            index.set_leaf(model, i, h);
        }
        for node in (1..size).rev() {
            index.pull(node);
        }
        index
    }

    /// Hosts indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no host is indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Records that host `i` changed (after a placement or a departure).
    pub fn update<M: HostModel>(&mut self, model: &M, i: usize, host: &M::Host) {
        debug_assert!(i < self.len, "host {i} not indexed");
        if let Some(t) = self.classes.as_mut() {
            t.update(model, i, host);
        }
        self.set_leaf(model, i, host);
        // Climb while a node changes: above an unchanged node nothing can.
        let mut node = (self.size + i) / 2;
        while node >= 1 && self.pull(node) {
            node /= 2;
        }
        // Costly (a clone per node): only on the small trees of the tests.
        debug_assert!(
            self.size > 64 || (1..self.size).all(|n| !self.clone().pull(n)),
            "stale node after updating host {i}"
        );
    }

    /// Indexes one more host (the cluster opened it), at index `len()`.
    pub fn push<M: HostModel>(&mut self, model: &M, hosts: &[M::Host]) {
        debug_assert_eq!(hosts.len(), self.len + 1);
        if hosts.len() > self.size {
            let goal = self.classes.as_ref().map(ClassTable::goal);
            *self = HostIndex::with_classes(model, hosts, goal);
            return;
        }
        self.len += 1;
        self.update(model, self.len - 1, &hosts[self.len - 1]);
    }

    fn set_leaf<M: HostModel>(&mut self, model: &M, i: usize, host: &M::Host) {
        if model.is_pristine(host) {
            self.pristine.insert(i);
            self.clear_leaf(i);
            return;
        }
        self.pristine.remove(&i);
        let Room {
            cpus,
            mem_mb,
            extra_cpu_growth,
        } = model.room(host);
        debug_assert!(cpus[..self.levels].iter().all(|c| !c.is_nan()));
        let leaf = self.size + i;
        let (cap_cpus, cap_mem) = (self.cap.cpus as f64, self.cap.mem_mb as f64);
        let strata = self.strata_mb.len();
        for (l, &c) in cpus.iter().enumerate().take(self.levels) {
            let slot = (leaf * self.levels + l) * strata;
            for (k, &t) in self.strata_mb.iter().enumerate() {
                self.room_cpus[slot + k] = if mem_mb >= t { c } else { f64::NEG_INFINITY };
            }
            self.room_sum[leaf * self.levels + l] =
                (c + ROOM_EPS).floor() * cap_mem + mem_mb as f64 * cap_cpus;
        }
        self.room_mem_mb[leaf] = mem_mb;
        self.slack_now[leaf] = slack_signed(self.cap, model.usage(host))
            - i128::from(extra_cpu_growth) * i128::from(self.cap.mem_mb);
    }

    /// Leaves host `i` out of the tree's bounds.
    fn clear_leaf(&mut self, i: usize) {
        let leaf = self.size + i;
        let w = self.levels * self.strata_mb.len();
        self.room_cpus[leaf * w..(leaf + 1) * w].fill(f64::NEG_INFINITY);
        self.room_sum[leaf * self.levels..(leaf + 1) * self.levels].fill(f64::NEG_INFINITY);
        self.room_mem_mb[leaf] = 0;
        self.slack_now[leaf] = i128::MAX;
    }

    /// The lowest-numbered pristine host, if VM `vm` fits it, and the room
    /// it would have left.
    fn pristine_candidate<M: HostModel>(&self, model: &M, hosts: &[M::Host], vm: usize) -> Best {
        let &p = self.pristine.first()?;
        let after = model.probe(&hosts[p], vm)?;
        Some((slack_after(self.cap, after), p))
    }

    /// Recomputes `node` from its children; true when it changed.
    fn pull(&mut self, node: usize) -> bool {
        let (l, r) = (2 * node, 2 * node + 1);
        let mut changed = false;
        let mut set = |slot: &mut f64, v: f64| {
            // Bit equality: -inf and exact values compare as stored.
            changed |= slot.to_bits() != v.to_bits();
            *slot = v;
        };
        let k = self.levels;
        for j in 0..k {
            let v = self.room_sum[l * k + j].max(self.room_sum[r * k + j]);
            set(&mut self.room_sum[node * k + j], v);
        }
        let w = k * self.strata_mb.len();
        for j in 0..w {
            let v = self.room_cpus[l * w + j].max(self.room_cpus[r * w + j]);
            set(&mut self.room_cpus[node * w + j], v);
        }
        let mem = self.room_mem_mb[l].max(self.room_mem_mb[r]);
        let slack = self.slack_now[l].min(self.slack_now[r]);
        changed |= mem != self.room_mem_mb[node] || slack != self.slack_now[node];
        self.room_mem_mb[node] = mem;
        self.slack_now[node] = slack;
        changed
    }

    fn root(&self) -> Span {
        Span {
            node: 1,
            lo: 0,
            hi: self.size,
        }
    }

    /// The slot of `room_cpus` for VM demand `d` at node 0: level, then
    /// the largest stratum at or below the VM's memory.
    fn slot(&self, d: &Demand) -> usize {
        let k = self.strata_mb.partition_point(|&t| t <= d.mem_mb) - 1;
        d.level_idx * self.strata_mb.len() + k
    }

    /// Largest room CPUs for the VM (`slot` from [`HostIndex::slot`]).
    fn room_cpus_at(&self, node: usize, slot: usize) -> f64 {
        self.room_cpus[node * self.levels * self.strata_mb.len() + slot]
    }

    fn may_fit(&self, d: &Demand, slot: usize, node: usize) -> bool {
        d.may_fit(self.room_cpus_at(node, slot), self.room_mem_mb[node])
    }

    fn query<M: HostModel>(&self, model: &M, vm: usize) -> Query {
        let d = model.demand(vm);
        Query {
            slot: self.slot(&d),
            // d.cpus = vCPUs / level; ROOM_EPS absorbs 3 * (1/3) != 1.
            cpus_floor: (d.cpus + ROOM_EPS).floor() as i128,
            d,
            vm,
        }
    }

    /// The lowest host index that fits VM `vm` (the choice of
    /// [`super::policy::first_fit`]).
    pub fn first_fit<M: HostModel>(
        &self,
        model: &M,
        hosts: &[M::Host],
        vm: usize,
    ) -> Option<usize> {
        debug_assert_eq!(hosts.len(), self.len);
        let q = self.query(model, vm);
        let pristine = self.pristine_candidate(model, hosts, vm).map(|(_, p)| p);
        let mut from = 0;
        // Each round moves `from` right: at most `len` rounds.
        while let Some(i) = self.leftmost_candidate(&q, self.root(), from) {
            if pristine.is_some_and(|p| p < i) {
                break;
            }
            if model.probe(&hosts[i], vm).is_some() {
                return Some(i);
            }
            from = i + 1;
        }
        pristine
    }

    /// The leftmost host at or after `from` in `span` whose bound passes.
    fn leftmost_candidate(&self, q: &Query, span: Span, from: usize) -> Option<usize> {
        if span.hi <= from || span.lo >= self.len || !self.may_fit(&q.d, q.slot, span.node) {
            return None;
        }
        if span.is_leaf() {
            return Some(span.lo);
        }
        let (left, right) = span.children();
        self.leftmost_candidate(q, left, from)
            .or_else(|| self.leftmost_candidate(q, right, from))
    }

    /// The fitting host left with the least room, lowest index on ties
    /// (the choice of [`super::policy::best_fit`]).
    pub fn best_fit<M: HostModel>(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        self.extreme_fit(model, hosts, vm, ClassGoal::Least)
    }

    /// The fitting host left with the most room, lowest index on ties
    /// (the choice of [`super::policy::worst_fit`]).
    pub fn worst_fit<M: HostModel>(
        &self,
        model: &M,
        hosts: &[M::Host],
        vm: usize,
    ) -> Option<usize> {
        self.extreme_fit(model, hosts, vm, ClassGoal::Most)
    }

    /// The fitting host left with the least or most room: the class table
    /// when it keeps that goal, else branch and bound.
    fn extreme_fit<M: HostModel>(
        &self,
        model: &M,
        hosts: &[M::Host],
        vm: usize,
        goal: ClassGoal,
    ) -> Option<usize> {
        debug_assert_eq!(hosts.len(), self.len);
        if let Some(t) = self.classes.as_ref().filter(|t| t.goal() == goal) {
            return t.choose(vm);
        }
        let q = self.query(model, vm);
        let mut best: Best = self.pristine_candidate(model, hosts, vm);
        let root = self.root();
        if self.may_fit(&q.d, q.slot, root.node) {
            let bound = self.bound_after(&q, root.node, goal);
            self.search(model, hosts, &q, goal, (root, bound), &mut best);
        }
        best.map(|(_, i)| i)
    }

    /// Branch and bound over a subtree whose fit bound passes and whose
    /// bound on the room left is given: children in order of promise, a
    /// subtree pruned when its bound cannot beat the best so far (ties go
    /// to the lowest index, so an equal bound prunes only to the right).
    fn search<M: HostModel>(
        &self,
        model: &M,
        hosts: &[M::Host],
        q: &Query,
        goal: ClassGoal,
        (span, bound): (Span, u128),
        best: &mut Best,
    ) {
        let beats = |a: u128, b: u128| match goal {
            ClassGoal::Least => a < b,
            ClassGoal::Most => a > b,
        };
        if best.is_some_and(|(b, i)| beats(b, bound) || (bound == b && span.lo > i)) {
            return;
        }
        if span.is_leaf() {
            if let Some(after) = model.probe(&hosts[span.lo], q.vm) {
                let s = slack_after(self.cap, after);
                debug_assert!(!beats(s, bound), "{goal:?} bound beaten by the truth");
                if best.is_none_or(|(b, i)| beats(s, b) || (s == b && span.lo < i)) {
                    *best = Some((s, span.lo));
                }
            }
            return;
        }
        let mut kids = self
            .kids(q, span)
            .map(|c| c.map(|c| (c, self.bound_after(q, c.node, goal))));
        if let [Some((_, l)), Some((_, r))] = kids {
            if beats(r, l) {
                kids.swap(0, 1);
            }
        }
        for kid in kids.into_iter().flatten() {
            self.search(model, hosts, q, goal, kid, best);
        }
    }

    /// The children of `span` that hold hosts and whose bound passes.
    fn kids(&self, q: &Query, span: Span) -> [Option<Span>; 2] {
        let (left, right) = span.children();
        let keep = |c: Span| (c.lo < self.len && self.may_fit(&q.d, q.slot, c.node)).then_some(c);
        [keep(left), keep(right)]
    }

    /// The best room left a host of the subtree can reach after the VM:
    /// at least (best fit) or at most (worst fit).
    fn bound_after(&self, q: &Query, node: usize, goal: ClassGoal) -> u128 {
        match goal {
            ClassGoal::Least => self.lower_after(q, node),
            ClassGoal::Most => self.upper_after(q, node),
        }
    }

    /// At most how little room a host of the subtree can have after the VM.
    fn lower_after(&self, q: &Query, node: usize) -> u128 {
        let used = i128::from(q.d.max_cpu_growth) * i128::from(self.cap.mem_mb)
            + i128::from(q.d.mem_mb) * i128::from(self.cap.cpus);
        let lower = self.slack_now[node].saturating_sub(used);
        u128::try_from(lower.max(0)).unwrap_or(0)
    }

    /// At most how much room a host of the subtree can have after the VM
    /// (only called on subtrees whose bound passes): the smaller of the
    /// bound from the subtree's largest CPU and MB rooms (which may come
    /// from two hosts) and the one from its largest summed room. Both use
    /// `floor(room) - floor(vcpus / level) >= floor(room - vcpus / level)`,
    /// exact for a whole number of CPUs.
    fn upper_after(&self, q: &Query, node: usize) -> u128 {
        let (cap_cpus, cap_mem) = (i128::from(self.cap.cpus), i128::from(self.cap.mem_mb));
        let room_floor = (self.room_cpus_at(node, q.slot) + ROOM_EPS).floor();
        let cpus =
            (room_floor.clamp(-1.0, cap_cpus as f64) as i128 - q.cpus_floor).clamp(0, cap_cpus);
        let mem = (i128::from(self.room_mem_mb[node]) - i128::from(q.d.mem_mb)).clamp(0, cap_mem);
        let split = cpus * cap_mem + mem * cap_cpus;
        // `room_sum` holds whole numbers (exact in f64 below 2^53).
        let sum = self.room_sum[node * self.levels + q.d.level_idx] as i128
            - q.cpus_floor * cap_mem
            - i128::from(q.d.mem_mb) * cap_cpus;
        u128::try_from(split.min(sum).max(0)).unwrap_or(0)
    }
}

/// One decision's VM, as the bounds see it.
#[derive(Debug, Clone, Copy)]
struct Query {
    d: Demand,
    /// `room_cpus` slot (level, stratum) at node 0.
    slot: usize,
    /// `floor(vcpus / level)`.
    cpus_floor: i128,
    vm: usize,
}
