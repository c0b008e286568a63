//! The published simulation's host model (docs/cluster.md): no
//! topology, each host counts CPUs. Per level l, `A_l` summed vCPUs and
//! `n_l` VMs; a group S of levels needs `P(S) = sum A_l` CPUs if it holds
//! fewer VMs than the critical size (2), else `ceil(sum A_l / min level of
//! S)`. CPUs in use = `P(premium) + min(sum of P({l}) over oversubscribed
//! levels, P(all oversubscribed levels))`: with levels 1, 2, 3 this is the
//! published `P({1}) + min(P({2}) + P({3}), P({2,3}))`. A VM fits when the
//! CPUs in use with it stay within the host's CPUs and memory within its MB.
//! The memory cap is applied by [`super::super::Schedule`].

use super::{progress_formula, Demand, HostModel, ModelOptions, Pools, Room, Usage};
use crate::cluster::schedule::{ClusterVm, MAX_LEVELS};
use crate::level::Level;

/// State of a counting host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CountingHost {
    a: [u64; MAX_LEVELS],
    n: [u32; MAX_LEVELS],
    mem_mb: u64,
    cpus: u64,
}

impl CountingHost {
    /// Summed vCPUs per level index.
    pub fn vcpus(&self) -> &[u64; MAX_LEVELS] {
        &self.a
    }
    /// VMs per level index.
    pub fn vm_counts(&self) -> &[u32; MAX_LEVELS] {
        &self.n
    }
}

/// The counting model over a schedule's VMs.
#[derive(Debug, Clone)]
pub struct CountingModel<'a> {
    vms: &'a [ClusterVm],
    levels: &'a [Level],
    opts: ModelOptions,
    /// Per level index, what one vCPU counts at least: `1 / max(level, 1)`
    /// (a group counts at least its vCPUs / its smallest level, premium
    /// at least its vCPUs).
    min_cpu_per_vcpu: [f64; MAX_LEVELS],
}

impl<'a> CountingModel<'a> {
    /// A model for these VMs and levels (from one [`crate::cluster::Schedule`]).
    pub fn new(vms: &'a [ClusterVm], levels: &'a [Level], opts: ModelOptions) -> Self {
        debug_assert!(levels.len() <= MAX_LEVELS);
        let mut min_cpu_per_vcpu = [0.0; MAX_LEVELS];
        for (m, &level) in min_cpu_per_vcpu.iter_mut().zip(levels) {
            *m = 1.0 / level.get();
        }
        CountingModel {
            vms,
            levels,
            opts,
            min_cpu_per_vcpu,
        }
    }

    /// CPUs in use for per-level summed vCPUs `a` and VM counts `n`.
    pub fn cpus_in_use(&self, a: &[u64; MAX_LEVELS], n: &[u32; MAX_LEVELS]) -> u64 {
        let p = self.parts(a, n);
        p.premium + p.separate.min(p.shared)
    }

    /// The terms of the count: premium groups, oversubscribed levels
    /// counted separately, and all oversubscribed levels as one group.
    fn parts(&self, a: &[u64; MAX_LEVELS], n: &[u32; MAX_LEVELS]) -> Parts {
        let crit = self.opts.critical_size;
        let group = |sum_a: u64, count: u32, min_level: f64| -> u64 {
            if count < crit {
                sum_a
            } else {
                (sum_a as f64 / min_level).ceil() as u64
            }
        };
        let mut p = Parts {
            premium: 0,
            separate: 0,
            shared: 0,
            over_vcpus: 0,
            over_min_level: f64::INFINITY,
            by_level: [0; MAX_LEVELS],
        };
        let mut count = 0u32;
        for (i, level) in self.levels.iter().map(|l| l.get()).enumerate() {
            if n[i] == 0 {
                continue;
            }
            p.by_level[i] = group(a[i], n[i], level);
            if level <= 1.0 {
                p.premium += p.by_level[i];
            } else {
                p.separate += p.by_level[i];
                p.over_vcpus += a[i];
                count += n[i];
                p.over_min_level = p.over_min_level.min(level);
            }
        }
        if count > 0 {
            p.shared = group(p.over_vcpus, count, p.over_min_level);
        }
        p
    }

    /// CPUs a host will count at least with a VM of level index `i` added,
    /// less the VM's vCPUs / level (see [`Room`]): premium levels add at
    /// least their vCPUs to their group; an oversubscribed level adds at
    /// least vCPUs / level both to its own group and to the shared one
    /// (whose smallest level may become its level).
    fn floor_before_vm(&self, host: &CountingHost, p: &Parts, i: usize) -> f64 {
        let level = self.levels[i].get();
        if level <= 1.0 {
            return (host.cpus - p.by_level[i] + host.a[i]) as f64;
        }
        let separate = (p.separate - p.by_level[i]) as f64 + host.a[i] as f64 / level;
        let shared = p.over_vcpus as f64 / p.over_min_level.min(level);
        p.premium as f64 + separate.min(shared)
    }
}

/// Terms of [`CountingModel::cpus_in_use`].
#[derive(Debug, Clone, Copy)]
struct Parts {
    premium: u64,
    separate: u64,
    shared: u64,
    /// vCPUs of every oversubscribed level.
    over_vcpus: u64,
    /// Smallest oversubscribed level present (inf when none).
    over_min_level: f64,
    /// Count of each level's group alone.
    by_level: [u64; MAX_LEVELS],
}

impl HostModel for CountingModel<'_> {
    type Host = CountingHost;

    fn name(&self) -> &'static str {
        "counting"
    }
    fn empty_host(&self) -> CountingHost {
        CountingHost::default()
    }
    fn capacity(&self) -> Usage {
        Usage {
            cpus: self.opts.cpus,
            mem_mb: self.opts.mem_mb,
        }
    }
    fn probe(&self, host: &CountingHost, vm: usize) -> Option<Usage> {
        let v = &self.vms[vm];
        let mem_mb = host.mem_mb + v.mem_mb;
        if mem_mb > self.opts.mem_mb {
            return None;
        }
        let (mut a, mut n) = (host.a, host.n);
        a[usize::from(v.level_idx)] += u64::from(v.vcpus);
        n[usize::from(v.level_idx)] += 1;
        let cpus = self.cpus_in_use(&a, &n);
        (cpus <= self.opts.cpus).then_some(Usage { cpus, mem_mb })
    }
    fn place(&self, host: &mut CountingHost, vm: usize) -> bool {
        let Some(after) = self.probe(host, vm) else {
            return false;
        };
        let v = &self.vms[vm];
        host.a[usize::from(v.level_idx)] += u64::from(v.vcpus);
        host.n[usize::from(v.level_idx)] += 1;
        host.mem_mb = after.mem_mb;
        host.cpus = after.cpus;
        true
    }
    fn remove(&self, host: &mut CountingHost, vm: usize) {
        let v = &self.vms[vm];
        let i = usize::from(v.level_idx);
        debug_assert!(host.n[i] > 0 && host.a[i] >= u64::from(v.vcpus) && host.mem_mb >= v.mem_mb);
        host.a[i] -= u64::from(v.vcpus);
        host.n[i] -= 1;
        host.mem_mb -= v.mem_mb;
        host.cpus = self.cpus_in_use(&host.a, &host.n);
    }
    fn usage(&self, host: &CountingHost) -> Usage {
        Usage {
            cpus: host.cpus,
            mem_mb: host.mem_mb,
        }
    }
    fn progress(&self, host: &CountingHost, vm: usize) -> f64 {
        let v = &self.vms[vm];
        let mut a = host.a;
        let mut n = host.n;
        a[usize::from(v.level_idx)] += u64::from(v.vcpus);
        n[usize::from(v.level_idx)] += 1;
        let after = Usage {
            cpus: self.cpus_in_use(&a, &n),
            mem_mb: host.mem_mb + v.mem_mb,
        };
        progress_formula(self.capacity(), self.usage(host), after)
    }
    fn room(&self, host: &CountingHost) -> Room {
        let p = self.parts(&host.a, &host.n);
        debug_assert_eq!(host.cpus, p.premium + p.separate.min(p.shared));
        let mut cpus = [f64::NEG_INFINITY; MAX_LEVELS];
        for (i, c) in cpus.iter_mut().enumerate().take(self.levels.len()) {
            *c = self.opts.cpus as f64 - self.floor_before_vm(host, &p, i);
        }
        // A VM can also end the sharing discount (a new smallest level
        // raises the shared term): the count can grow by that much more.
        Room {
            cpus,
            mem_mb: self.opts.mem_mb.saturating_sub(host.mem_mb),
            extra_cpu_growth: p.separate.saturating_sub(p.shared),
        }
    }
    fn demand(&self, vm: usize) -> Demand {
        let v = &self.vms[vm];
        Demand {
            vcpus: v.vcpus,
            level_idx: usize::from(v.level_idx),
            cpus: f64::from(v.vcpus) * self.min_cpu_per_vcpu[usize::from(v.level_idx)],
            mem_mb: v.mem_mb,
            // Levels are >= 1 (`Level` is validated), so adding vCPUs to a
            // group never raises its count by more than them, plus the
            // host's [`Room::extra_cpu_growth`].
            max_cpu_growth: u64::from(v.vcpus),
        }
    }
    fn level_count(&self) -> usize {
        self.levels.len().max(1)
    }
    fn vm_count(&self) -> usize {
        self.vms.len()
    }
    fn is_pristine(&self, host: &CountingHost) -> bool {
        host.mem_mb == 0 && host.n.iter().all(|&n| n == 0)
    }
    /// Each level's group is its pool, except that when the count shares
    /// the oversubscribed levels (their joint count is smaller), they all
    /// draw from one pool of that joint count (a tie keeps them apart).
    fn pools(&self, host: &CountingHost) -> Pools {
        let p = self.parts(&host.a, &host.n);
        let share = p.shared < p.separate;
        let first_over = self
            .levels
            .iter()
            .position(|&l| l > Level::ONE)
            .unwrap_or(0);
        let mut out = Pools::default();
        for (i, &level) in self.levels.iter().enumerate() {
            if share && level > Level::ONE {
                out.of_level[i] = first_over as u8;
            } else {
                out.of_level[i] = i as u8;
                out.cpus[i] = p.by_level[i] as f64;
            }
        }
        if share {
            out.cpus[first_over] = p.shared as f64;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::schedule::{EventOrder, Schedule};
    use crate::cluster::testkit::list;

    /// Places every VM of the list on one host, returning (CPUs, MB) after each.
    fn fill(vms: &[(u32, u64, f64)], mem_cap: bool) -> Vec<Option<Usage>> {
        let l = list(
            &vms.iter()
                .map(|&(c, m, lv)| (c, m, lv, 0, None))
                .collect::<Vec<_>>(),
        );
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, mem_cap).unwrap();
        let model = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let mut h = model.empty_host();
        (0..vms.len())
            .map(|i| model.place(&mut h, i).then(|| model.usage(&h)))
            .collect()
    }

    fn cpus(u: &[Option<Usage>]) -> Vec<u64> {
        u.iter().map(|x| x.map_or(u64::MAX, |x| x.cpus)).collect()
    }

    #[test]
    fn a_lone_vm_counts_one_to_one_whatever_its_level() {
        // Critical size 2: one 3:1 VM of 4 vCPUs needs 4 CPUs.
        assert_eq!(cpus(&fill(&[(4, 1024, 3.0)], true)), vec![4]);
        // Second VM of the level: ceil((4 + 2) / 3) = 2.
        assert_eq!(
            cpus(&fill(&[(4, 1024, 3.0), (2, 1024, 3.0)], true)),
            vec![4, 2]
        );
        // Premium never shrinks: 4 + 2.
        assert_eq!(
            cpus(&fill(&[(4, 1024, 1.0), (2, 1024, 1.0)], true)),
            vec![4, 6]
        );
    }

    #[test]
    fn levels_two_and_three_share_when_cheaper() {
        // One 2:1 VM (3 vCPUs) + one 3:1 VM (4): separately 3 + 4 = 7,
        // shared ceil(7 / 2) = 4 -> 4.
        assert_eq!(
            cpus(&fill(&[(3, 1024, 2.0), (4, 1024, 3.0)], true)),
            vec![3, 4]
        );
        // Two 2:1 (2+2) then two 3:1 (3+3). Third VM: separately
        // ceil(4/2) + 3 = 5, shared ceil(7/2) = 4 -> 4. Fourth: separately
        // 2 + ceil(6/3) = 4, shared ceil(10/2) = 5 -> 4.
        let u = fill(
            &[
                (2, 1024, 2.0),
                (2, 1024, 2.0),
                (3, 1024, 3.0),
                (3, 1024, 3.0),
            ],
            true,
        );
        assert_eq!(cpus(&u), vec![2, 2, 4, 4]);
        // A premium VM adds one to one: 4 + 4 = 8.
        let u = fill(&[(3, 1024, 2.0), (4, 1024, 3.0), (4, 1024, 1.0)], true);
        assert_eq!(cpus(&u), vec![3, 4, 8]);
    }

    #[test]
    fn fits_up_to_exactly_32_cpus_and_128_gb() {
        // Two premium 16-vCPU VMs fill the host; a third 1-vCPU one does not fit.
        let u = fill(&[(16, 1024, 1.0), (16, 1024, 1.0), (1, 1024, 1.0)], true);
        assert_eq!(cpus(&u), vec![16, 32, u64::MAX]);
        // 2 x 61440 MB + 8192 = 131072: fits exactly; one MB more does not.
        let u = fill(&[(1, 61440, 1.0), (1, 61440, 1.0), (1, 8192, 1.0)], true);
        assert_eq!(u[2].map(|x| x.mem_mb), Some(131_072));
        let u = fill(&[(1, 61440, 1.0), (1, 61440, 1.0), (1, 8193, 1.0)], true);
        assert_eq!(u[2], None);
    }

    #[test]
    fn memory_cap_lets_oversubscribed_vms_count_8192_mb() {
        // Three 2:1 VMs of 61440 MB: capped they count 3 x 8192.
        let vms = [(1, 61440, 2.0), (1, 61440, 2.0), (1, 61440, 2.0)];
        let u = fill(&vms, true);
        assert_eq!(u[2].map(|x| x.mem_mb), Some(3 * 8192));
        let u = fill(&vms, false);
        assert_eq!(u[2], None);
        assert_eq!(u[1].map(|x| x.mem_mb), Some(122_880));
    }

    #[test]
    fn progress_follows_the_local_scheduler_formula() {
        let l = list(&[(4, 4096, 1.0, 0, None), (4, 32768, 1.0, 0, None)]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let model = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let mut h = model.empty_host();
        // Empty host: current = ideal = 4096; potential 4096 / 4 = 1024:
        // progress = 0 - 3072 = -3072, times (1 + 0/32).
        assert_eq!(model.progress(&h, 0), -3072.0);
        assert!(model.place(&mut h, 0));
        // 4 CPUs, 4096 MB: current 1024; with vm1: 36864 / 8 = 4608;
        // progress = 3072 - 512 = 2560.
        assert_eq!(model.progress(&h, 1), 2560.0);
    }
}
