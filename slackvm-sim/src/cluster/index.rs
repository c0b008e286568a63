//! The host index: a segment tree over host indexes that lets `first-fit`,
//! `best-fit` and `worst-fit` (and `paper`) decide without probing every
//! host, with exactly the choices of the straightforward scans in
//! [`super::policy`] (kept as the test oracle; proptest compares them).
//!
//! Whether a VM fits a host is the model's non-linear rule (critical size,
//! shared oversubscribed groups, vNode capacities), so no key orders hosts
//! exactly. Each node keeps bounds over its subtree instead:
//! - the largest [`Room`] (per level: CPUs a VM of that level can still
//!   bring, as vCPUs / level; and MB): a subtree whose largest room is
//!   below the VM's [`Demand`] holds no host that fits (the model's
//!   contract, see [`HostModel::room`]);
//! - per level, the largest `room_cpus * host_mb + room_mb * host_cpus` of
//!   one host (worst fit's bound);
//! - the smallest room left now, `free_cpus * host_mb + free_mb *
//!   host_cpus` (the measure of [`super::policy::slack_after`]).
//!
//! First fit walks to the leftmost host whose bound passes and probes it,
//! moving right on a miss. Best and worst fit are branch and bound: the
//! room left after the VM is at most `floor(room_cpus - demand) * host_mb
//! + (room_mb - vm_mb) * host_cpus` (worst fit prunes below its best) and
//! at least `room_now - (max_growth + extra_growth) * host_mb - vm_mb *
//! host_cpus` (best fit prunes above its best); ties go to the lowest index as in the scans.
//! Every decision probes only candidates the bounds cannot rule out;
//! updates after a placement or a departure are O(log hosts).

use super::model::{Demand, HostModel, Room, Usage, ROOM_EPS};
use super::policy::slack_after;

/// Bounds over hosts, one tree node per range of host indexes.
#[derive(Debug, Clone)]
pub struct HostIndex {
    /// Leaves (a power of two, at least 1).
    size: usize,
    /// Hosts indexed (leaves `0..len`).
    len: usize,
    /// Level indexes per node.
    levels: usize,
    /// Per node and level index, the largest room CPUs in the subtree
    /// (-inf for no host).
    room_cpus: Vec<f64>,
    /// Per node and level index, the largest `room_cpus * host_mb +
    /// room_mb * host_cpus` of one host of the subtree (worst fit's bound
    /// without mixing two hosts' rooms).
    room_sum: Vec<f64>,
    /// Largest room MB in the subtree.
    room_mem_mb: Vec<u64>,
    /// Smallest room left now in the subtree, less each host's extra CPU
    /// growth (+max for no host).
    slack_now: Vec<i128>,
    /// Host capacity.
    cap: Usage,
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
    /// An index over `hosts`.
    pub fn new<M: HostModel>(model: &M, hosts: &[M::Host]) -> Self {
        let size = hosts.len().next_power_of_two().max(1);
        let levels = model.level_count();
        debug_assert!((1..=super::schedule::MAX_LEVELS).contains(&levels));
        let mut index = HostIndex {
            size,
            len: hosts.len(),
            levels,
            room_cpus: vec![f64::NEG_INFINITY; 2 * size * levels],
            room_sum: vec![f64::NEG_INFINITY; 2 * size * levels],
            room_mem_mb: vec![0; 2 * size],
            slack_now: vec![i128::MAX; 2 * size],
            cap: model.capacity(),
        };
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
        self.set_leaf(model, i, host);
        let mut node = (self.size + i) / 2;
        while node >= 1 {
            self.pull(node);
            node /= 2;
        }
    }

    /// Indexes one more host (the cluster opened it), at index `len()`.
    pub fn push<M: HostModel>(&mut self, model: &M, hosts: &[M::Host]) {
        debug_assert_eq!(hosts.len(), self.len + 1);
        if hosts.len() > self.size {
            *self = HostIndex::new(model, hosts);
            return;
        }
        self.len += 1;
        self.update(model, self.len - 1, &hosts[self.len - 1]);
    }

    fn set_leaf<M: HostModel>(&mut self, model: &M, i: usize, host: &M::Host) {
        let Room {
            cpus,
            mem_mb,
            extra_cpu_growth,
        } = model.room(host);
        debug_assert!(cpus[..self.levels].iter().all(|c| !c.is_nan()));
        let leaf = self.size + i;
        let (cap_cpus, cap_mem) = (self.cap.cpus as f64, self.cap.mem_mb as f64);
        for (l, &c) in cpus.iter().enumerate().take(self.levels) {
            self.room_cpus[leaf * self.levels + l] = c;
            self.room_sum[leaf * self.levels + l] = c * cap_mem + mem_mb as f64 * cap_cpus;
        }
        self.room_mem_mb[leaf] = mem_mb;
        self.slack_now[leaf] = slack_signed(self.cap, model.usage(host))
            - i128::from(extra_cpu_growth) * i128::from(self.cap.mem_mb);
    }

    fn pull(&mut self, node: usize) {
        let (l, r) = (2 * node, 2 * node + 1);
        let k = self.levels;
        for j in 0..k {
            self.room_cpus[node * k + j] = self.room_cpus[l * k + j].max(self.room_cpus[r * k + j]);
            self.room_sum[node * k + j] = self.room_sum[l * k + j].max(self.room_sum[r * k + j]);
        }
        self.room_mem_mb[node] = self.room_mem_mb[l].max(self.room_mem_mb[r]);
        self.slack_now[node] = self.slack_now[l].min(self.slack_now[r]);
    }

    fn root(&self) -> Span {
        Span {
            node: 1,
            lo: 0,
            hi: self.size,
        }
    }

    fn may_fit(&self, d: &Demand, node: usize) -> bool {
        d.may_fit(
            self.room_cpus[node * self.levels + d.level_idx],
            self.room_mem_mb[node],
        )
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
        let d = model.demand(vm);
        let mut from = 0;
        // Each round moves `from` right: at most `len` rounds.
        while let Some(i) = self.leftmost_candidate(&d, self.root(), from) {
            if model.probe(&hosts[i], vm).is_some() {
                return Some(i);
            }
            from = i + 1;
        }
        None
    }

    /// The leftmost host at or after `from` in `span` whose bound passes.
    fn leftmost_candidate(&self, d: &Demand, span: Span, from: usize) -> Option<usize> {
        if span.hi <= from || span.lo >= self.len || !self.may_fit(d, span.node) {
            return None;
        }
        if span.is_leaf() {
            return Some(span.lo);
        }
        let (left, right) = span.children();
        self.leftmost_candidate(d, left, from)
            .or_else(|| self.leftmost_candidate(d, right, from))
    }

    /// The fitting host left with the least room, lowest index on ties
    /// (the choice of [`super::policy::best_fit`]).
    pub fn best_fit<M: HostModel>(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        debug_assert_eq!(hosts.len(), self.len);
        let d = model.demand(vm);
        let mut best: Best = None;
        self.best_in(model, hosts, vm, &d, self.root(), &mut best);
        best.map(|(_, i)| i)
    }

    fn best_in<M: HostModel>(
        &self,
        model: &M,
        hosts: &[M::Host],
        vm: usize,
        d: &Demand,
        span: Span,
        best: &mut Best,
    ) {
        if span.lo >= self.len || !self.may_fit(d, span.node) {
            return;
        }
        let lower = self.lower_after(d, span.node);
        if best.is_some_and(|(b, i)| lower > b || (lower == b && span.lo > i)) {
            return;
        }
        if span.is_leaf() {
            if let Some(after) = model.probe(&hosts[span.lo], vm) {
                let s = slack_after(self.cap, after);
                debug_assert!(s >= lower, "best-fit lower bound above the truth");
                if best.is_none_or(|(b, i)| s < b || (s == b && span.lo < i)) {
                    *best = Some((s, span.lo));
                }
            }
            return;
        }
        let (left, right) = span.children();
        if self.lower_after(d, right.node) < self.lower_after(d, left.node) {
            self.best_in(model, hosts, vm, d, right, best);
            self.best_in(model, hosts, vm, d, left, best);
        } else {
            self.best_in(model, hosts, vm, d, left, best);
            self.best_in(model, hosts, vm, d, right, best);
        }
    }

    /// At most how little room a host of the subtree can have after the VM.
    fn lower_after(&self, d: &Demand, node: usize) -> u128 {
        let used = i128::from(d.max_cpu_growth) * i128::from(self.cap.mem_mb)
            + i128::from(d.mem_mb) * i128::from(self.cap.cpus);
        let lower = self.slack_now[node].saturating_sub(used);
        u128::try_from(lower.max(0)).unwrap_or(0)
    }

    /// The fitting host left with the most room, lowest index on ties
    /// (the choice of [`super::policy::worst_fit`]).
    pub fn worst_fit<M: HostModel>(
        &self,
        model: &M,
        hosts: &[M::Host],
        vm: usize,
    ) -> Option<usize> {
        debug_assert_eq!(hosts.len(), self.len);
        let d = model.demand(vm);
        let mut best: Best = None;
        self.worst_in(model, hosts, vm, &d, self.root(), &mut best);
        best.map(|(_, i)| i)
    }

    fn worst_in<M: HostModel>(
        &self,
        model: &M,
        hosts: &[M::Host],
        vm: usize,
        d: &Demand,
        span: Span,
        best: &mut Best,
    ) {
        if span.lo >= self.len || !self.may_fit(d, span.node) {
            return;
        }
        let upper = self.upper_after(d, span.node);
        if best.is_some_and(|(b, i)| upper < b || (upper == b && span.lo > i)) {
            return;
        }
        if span.is_leaf() {
            if let Some(after) = model.probe(&hosts[span.lo], vm) {
                let s = slack_after(self.cap, after);
                debug_assert!(s <= upper, "worst-fit upper bound below the truth");
                if best.is_none_or(|(b, i)| s > b || (s == b && span.lo < i)) {
                    *best = Some((s, span.lo));
                }
            }
            return;
        }
        let (left, right) = span.children();
        if self.upper_after(d, right.node) > self.upper_after(d, left.node) {
            self.worst_in(model, hosts, vm, d, right, best);
            self.worst_in(model, hosts, vm, d, left, best);
        } else {
            self.worst_in(model, hosts, vm, d, left, best);
            self.worst_in(model, hosts, vm, d, right, best);
        }
    }

    /// At most how much room a host of the subtree can have after the VM
    /// (only called on subtrees whose bound passes): the smaller of the
    /// bound from the subtree's largest CPU and MB rooms (which may come
    /// from two hosts) and the one from its largest summed room.
    fn upper_after(&self, d: &Demand, node: usize) -> u128 {
        let slot = node * self.levels + d.level_idx;
        let (cap_cpus, cap_mem) = (self.cap.cpus as f64, self.cap.mem_mb as f64);
        let cpus = (self.room_cpus[slot] - d.cpus + ROOM_EPS).floor();
        let cpus = if cpus > 0.0 {
            (cpus as u64).min(self.cap.cpus)
        } else {
            0
        };
        let mem = self.room_mem_mb[node]
            .saturating_sub(d.mem_mb)
            .min(self.cap.mem_mb);
        let split = u128::from(cpus) * u128::from(self.cap.mem_mb)
            + u128::from(mem) * u128::from(self.cap.cpus);
        let sum = self.room_sum[slot] - d.cpus * cap_mem - d.mem_mb as f64 * cap_cpus;
        // f64 rounding: allow a relative error far above the sums' own.
        let sum = (sum + ROOM_EPS * cap_mem + sum.abs() * 1e-9).floor();
        if sum < 0.0 {
            0
        } else if sum < split as f64 {
            sum as u128
        } else {
            split
        }
    }
}

/// Room left now, as [`slack_after`] measures it but signed (a counting
/// host can be over capacity after a departure).
fn slack_signed(cap: Usage, now: Usage) -> i128 {
    let free_cpus = i128::from(cap.cpus) - i128::from(now.cpus);
    let free_mem = i128::from(cap.mem_mb) - i128::from(now.mem_mb);
    free_cpus * i128::from(cap.mem_mb) + free_mem * i128::from(cap.cpus)
}
