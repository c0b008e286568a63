//! Exact best- and worst-fit answers per VM class, for
//! [`super::index::HostIndex`].
//!
//! VMs with the same level, vCPUs and (effective) MB probe every host
//! alike: they form a class. When a workload has at most [`MAX_CLASSES`]
//! classes, a segment tree keeps, per class and node, the smallest (best
//! fit) or largest (worst fit) room a host of the subtree would have left
//! after a VM of the class, with a sentinel for "fits no host". The choice
//! is then the leftmost leaf holding the root's value: O(log hosts), no
//! probe at decision time. Each host update probes the host once per
//! class.

use super::fit::slack_after;
pub use super::fit::ClassGoal;
use super::model::HostModel;
use std::collections::BTreeMap;

/// Most classes a table keeps; more and the index falls back to bounds.
pub const MAX_CLASSES: usize = 64;

impl ClassGoal {
    /// The value of a host that does not fit.
    fn none(self) -> u64 {
        match self {
            ClassGoal::Least => u64::MAX,
            ClassGoal::Most => 0,
        }
    }
    /// The value of a host left with `room` (stored +1 for `Most`, so 0
    /// stays the sentinel).
    fn value(self, room: u64) -> u64 {
        match self {
            ClassGoal::Least => room,
            ClassGoal::Most => room + 1,
        }
    }
    fn pick(self, a: u64, b: u64) -> u64 {
        match self {
            ClassGoal::Least => a.min(b),
            ClassGoal::Most => a.max(b),
        }
    }
}

/// Per class, the least or most room left after a VM of the class, over hosts.
#[derive(Debug, Clone)]
pub struct ClassTable {
    /// Which extreme.
    goal: ClassGoal,
    /// Class of each VM.
    class_of_vm: Vec<u8>,
    /// One VM of each class (probed for the class).
    rep_vm: Vec<usize>,
    /// Leaves (a power of two).
    size: usize,
    /// `best[node * classes + c]`: the goal's value over the subtree.
    best: Vec<u64>,
}

impl ClassTable {
    /// A table over `hosts` when the model's VMs form at most
    /// [`MAX_CLASSES`] classes and rooms fit in 64 bits; `None` otherwise.
    pub fn new<M: HostModel>(
        model: &M,
        hosts: &[M::Host],
        size: usize,
        goal: ClassGoal,
    ) -> Option<Self> {
        let cap = model.capacity();
        let widest = u128::from(cap.cpus) * u128::from(cap.mem_mb) * 2;
        if widest >= u128::from(u64::MAX) {
            return None;
        }
        let mut ids: BTreeMap<(usize, u32, u64), u8> = BTreeMap::new();
        let mut rep_vm = Vec::new();
        let mut class_of_vm = Vec::with_capacity(model.vm_count());
        for vm in 0..model.vm_count() {
            let d = model.demand(vm);
            let key = (d.level_idx, d.vcpus, d.mem_mb);
            let next = ids.len();
            let id = *ids.entry(key).or_insert_with(|| {
                rep_vm.push(vm);
                next as u8
            });
            if ids.len() > MAX_CLASSES {
                return None;
            }
            class_of_vm.push(id);
        }
        let mut table = ClassTable {
            goal,
            class_of_vm,
            rep_vm,
            size,
            best: Vec::new(),
        };
        table.best = vec![goal.none(); 2 * size * table.classes()];
        for (i, h) in hosts.iter().enumerate() {
            table.set_leaf(model, i, h);
        }
        for node in (1..size).rev() {
            table.pull(node);
        }
        Some(table)
    }

    fn classes(&self) -> usize {
        self.rep_vm.len()
    }

    /// Records host `i`'s new state.
    pub fn update<M: HostModel>(&mut self, model: &M, i: usize, host: &M::Host) {
        self.set_leaf(model, i, host);
        // Climb while a node changes: above an unchanged node nothing can.
        let mut node = (self.size + i) / 2;
        while node >= 1 && self.pull(node) {
            node /= 2;
        }
    }

    fn set_leaf<M: HostModel>(&mut self, model: &M, i: usize, host: &M::Host) {
        let cap = model.capacity();
        let k = self.classes();
        let leaf = self.size + i;
        for (c, &vm) in self.rep_vm.iter().enumerate() {
            // Fits in u64: checked against the widest room in `new`.
            self.best[leaf * k + c] = model.probe(host, vm).map_or(self.goal.none(), |after| {
                self.goal.value(slack_after(cap, after) as u64)
            });
        }
    }

    /// Recomputes `node` from its children; true when it changed.
    fn pull(&mut self, node: usize) -> bool {
        let k = self.classes();
        let (l, r) = (2 * node * k, (2 * node + 1) * k);
        let mut changed = false;
        for c in 0..k {
            let v = self.goal.pick(self.best[l + c], self.best[r + c]);
            changed |= v != self.best[node * k + c];
            self.best[node * k + c] = v;
        }
        changed
    }

    /// Which extreme the table keeps.
    pub fn goal(&self) -> ClassGoal {
        self.goal
    }

    /// The leftmost host with the least (or most) room left after VM
    /// `vm`, or `None` when none fits.
    pub fn choose(&self, vm: usize) -> Option<usize> {
        let k = self.classes();
        let c = usize::from(self.class_of_vm[vm]);
        let target = self.best[k + c];
        if target == self.goal.none() {
            return None;
        }
        let mut node = 1;
        // One step per tree level.
        while node < self.size {
            node = if self.best[2 * node * k + c] == target {
                2 * node
            } else {
                2 * node + 1
            };
            debug_assert_eq!(self.best[node * k + c], target);
        }
        Some(node - self.size)
    }
}
