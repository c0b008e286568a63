//! Which CPUs a vNode gets (docs/scheduler.md, "Which CPUs"): the farthest
//! free CPU starts a new vNode, the CPUs closest to that start complete it
//! (one ordering, computed once), and a vNode grows one CPU at a time
//! toward the free CPU closest on average to its current CPUs. Averages are
//! compared through integer sums kept up to date on every change (same
//! denominator, so the same order), which makes each choice O(CPUs).
//! Ties go to the earlier CPU in the topology's list.

use super::{Host, FREE};

impl Host {
    /// Free CPU index with the largest summed distance to all held CPUs.
    fn farthest_free(&self) -> Option<usize> {
        let mut best: Option<(usize, u32)> = None;
        for (i, &sum) in self.held_dist_sum.iter().enumerate() {
            if self.owner[i] == FREE && best.is_none_or(|(_, b)| sum > b) {
                best = Some((i, sum));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Free CPU index with the smallest summed distance to the vNode's CPUs.
    fn closest_free(&self, vi: usize) -> Option<usize> {
        let sums = &self.vnodes[vi].dist_sum;
        let mut best: Option<(usize, u32)> = None;
        for (i, &sum) in sums.iter().enumerate() {
            if self.owner[i] == FREE && best.is_none_or(|(_, b)| sum < b) {
                best = Some((i, sum));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Creation rule: farthest start, then the `count - 1` free CPUs closest
    /// to it. The caller has checked that `count` CPUs are free.
    pub(super) fn create_cpus(&mut self, vi: usize, count: usize) -> Vec<usize> {
        debug_assert!(count <= self.free_cpus);
        if count == 0 {
            return Vec::new();
        }
        let start = self.farthest_free().expect("no free CPU for a new vNode");
        self.take_cpu(vi, start);
        let row = self.topo.distance_row(start);
        let mut order: Vec<usize> = (0..self.owner.len())
            .filter(|&i| self.owner[i] == FREE)
            .collect();
        order.sort_by_key(|&i| row[i]); // stable: ties keep list order
        let mut added = Vec::with_capacity(count);
        added.push(start);
        for &cpu in order.iter().take(count - 1) {
            self.take_cpu(vi, cpu);
            added.push(cpu);
        }
        added
    }

    /// Growth rule: `count` times, the free CPU closest on average to the
    /// vNode's current CPUs. The caller has checked that `count` CPUs are free.
    pub(super) fn grow_cpus(&mut self, vi: usize, count: usize) -> Vec<usize> {
        debug_assert!(count <= self.free_cpus);
        let mut added = Vec::with_capacity(count);
        for _ in 0..count {
            let cpu = self.closest_free(vi).expect("no free CPU to grow a vNode");
            self.take_cpu(vi, cpu);
            added.push(cpu);
        }
        added
    }

    pub(super) fn take_cpu(&mut self, vi: usize, cpu: usize) {
        debug_assert_eq!(self.owner[cpu], FREE);
        self.owner[cpu] = vi as u16;
        self.free_cpus -= 1;
        let row = self.topo.distance_row(cpu);
        let vnode = &mut self.vnodes[vi];
        vnode.cpus.push(cpu);
        for ((v, h), &d) in vnode
            .dist_sum
            .iter_mut()
            .zip(self.held_dist_sum.iter_mut())
            .zip(row)
        {
            *v += u32::from(d);
            *h += u32::from(d);
        }
    }

    pub(super) fn release_cpu(&mut self, vi: usize, cpu: usize) {
        debug_assert_eq!(self.owner[cpu], vi as u16);
        self.owner[cpu] = FREE;
        self.free_cpus += 1;
        let row = self.topo.distance_row(cpu);
        let vnode = &mut self.vnodes[vi];
        let pos = vnode
            .cpus
            .iter()
            .rposition(|&c| c == cpu)
            .expect("released CPU not in vNode");
        vnode.cpus.remove(pos);
        for ((v, h), &d) in vnode
            .dist_sum
            .iter_mut()
            .zip(self.held_dist_sum.iter_mut())
            .zip(row)
        {
            *v -= u32::from(d);
            *h -= u32::from(d);
        }
    }
}
