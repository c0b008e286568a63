//! The smallest host count with no refusal.
//!
//! - First-fit style policies ([`Policy::on_demand_exact`]: `paper`,
//!   `first-fit`): one run opening hosts on demand. A run on N hosts makes
//!   the same choices as long as the on-demand run never opens host N, so
//!   N fits iff N >= the hosts it opened: exact, and monotone in N.
//! - Others (`progress`, `best-fit`, `worst-fit`): an exponential then
//!   binary search from the per-time lower bound ([`super::bound`]), which
//!   assumes monotonicity. These policies are not guaranteed monotone (a
//!   spare host changes later choices), so the answer is verified around:
//!   the `verify` counts below it are run too (the smallest that fits is
//!   kept), and N+1 must fit; any surprise sets
//!   [`SearchResult::non_monotone`].
//!
//! A run on `arrivals` hosts always fits (every VM is checked to fit an
//! empty host, and each present VM could have a host of its own), which
//! bounds the search.

use super::bound::lower_bound;
use super::engine::{run, EngineOptions, Hosts, OnRefusal, RunOutcome};
use super::model::HostModel;
use super::policy::PolicyKind;
use super::schedule::Schedule;
use super::ClusterError;

/// How the count was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMethod {
    /// One on-demand run (exact for first-fit style policies).
    OnePass,
    /// Exponential + binary search with verification.
    Bisection,
    /// Nothing to place.
    Empty,
}

/// Result of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult {
    /// Smallest host count found with no refusal.
    pub hosts: usize,
    /// Simulations run.
    pub runs: u32,
    /// Method.
    pub method: SearchMethod,
    /// True when verification found the policy non-monotone around the answer.
    pub non_monotone: bool,
    /// The lower bound the search started from.
    pub lower_bound: usize,
    /// The run at `hosts` hosts.
    pub outcome: RunOutcome,
}

/// Checks that every arriving VM fits an empty host.
pub fn check_sizes<M: HostModel>(schedule: &Schedule, model: &M) -> Result<(), ClusterError> {
    let empty = model.empty_host();
    for e in schedule.events.iter().filter(|e| e.is_arrival()) {
        let i = e.vm();
        if model.probe(&empty, i).is_none() {
            let v = &schedule.vms[i];
            return Err(ClusterError::VmTooLarge {
                vm: schedule.ids[i].clone(),
                vcpus: v.vcpus,
                mem_mb: v.mem_mb,
                level: v.level,
                model: model.name(),
            });
        }
    }
    Ok(())
}

/// Runs with refusals stopping the run, counted.
struct Trials<'a, M: HostModel> {
    schedule: &'a Schedule,
    model: &'a M,
    policy: PolicyKind,
    runs: u32,
}

impl<M: HostModel> Trials<'_, M> {
    fn on(&mut self, hosts: Hosts) -> RunOutcome {
        self.runs += 1;
        let opts = EngineOptions {
            on_refusal: OnRefusal::Stop,
            ..EngineOptions::default()
        };
        run(self.schedule, self.model, self.policy, hosts, opts)
    }
}

/// A host count known to fit and one known not to (`fail < fits`).
struct Bracket {
    fail: usize,
    fits: usize,
    good: RunOutcome,
}

/// Exponential steps from `lo`: lo, lo+1, lo+3, lo+7, ... (capped at the
/// ceiling) until a count fits.
fn bracket<M: HostModel>(
    t: &mut Trials<'_, M>,
    lo: usize,
    ceiling: usize,
) -> Result<Bracket, ClusterError> {
    let (mut fail, mut step, mut n) = (lo - 1, 1usize, lo);
    loop {
        let r = t.on(Hosts::Fixed(n));
        if r.fits() {
            return Ok(Bracket {
                fail,
                fits: n,
                good: r,
            });
        }
        if n >= ceiling {
            return Err(ClusterError::SearchExhausted {
                ceiling,
                policy: t.policy.name(),
            });
        }
        fail = n;
        n = (lo + 2 * step - 1).min(ceiling);
        step *= 2;
    }
}

/// Binary search inside a bracket, down to adjacent counts.
fn bisect<M: HostModel>(t: &mut Trials<'_, M>, mut b: Bracket) -> Bracket {
    while b.fits - b.fail > 1 {
        let mid = b.fail + (b.fits - b.fail) / 2;
        let r = t.on(Hosts::Fixed(mid));
        if r.fits() {
            b.fits = mid;
            b.good = r;
        } else {
            b.fail = mid;
        }
    }
    b
}

/// Runs `verify` counts below the answer (down to `lo`; the smallest that
/// fits wins) and the count above it (which must fit): returns the answer,
/// its run and whether the policy showed itself non-monotone.
fn verify<M: HostModel>(
    t: &mut Trials<'_, M>,
    b: Bracket,
    lo: usize,
    verify: usize,
) -> (usize, RunOutcome, bool) {
    let (n, mut good) = (b.fits, b.good);
    let (mut m, mut non_monotone) = (n, false);
    for k in 2..=verify + 1 {
        let Some(below) = n.checked_sub(k) else { break };
        if below < lo {
            break;
        }
        let r = t.on(Hosts::Fixed(below));
        if r.fits() {
            non_monotone = true;
            m = below;
            good = r;
        }
    }
    if !t.on(Hosts::Fixed(n + 1)).fits() {
        non_monotone = true;
    }
    (m, good, non_monotone)
}

/// Smallest host count for `schedule` under `policy`; `verify` extra
/// counts below the answer are checked for non-monotone policies.
pub fn min_hosts<M: HostModel>(
    schedule: &Schedule,
    model: &M,
    policy: PolicyKind,
    verify_below: usize,
) -> Result<SearchResult, ClusterError> {
    check_sizes(schedule, model)?;
    let lb = lower_bound(schedule, model.capacity());
    let arrivals = schedule.arrivals();
    let mut t = Trials {
        schedule,
        model,
        policy,
        runs: 0,
    };
    let found = |hosts, runs, method, non_monotone, lower_bound, outcome| SearchResult {
        hosts,
        runs,
        method,
        non_monotone,
        lower_bound,
        outcome,
    };
    if arrivals == 0 {
        let outcome = t.on(Hosts::Fixed(0));
        return Ok(found(0, 0, SearchMethod::Empty, false, 0, outcome));
    }
    if policy.on_demand_exact() {
        let mut outcome = t.on(Hosts::OnDemand);
        debug_assert!(outcome.fits() && outcome.hosts_used >= lb);
        outcome.hosts = outcome.hosts_used;
        let n = outcome.hosts_used;
        return Ok(found(n, 1, SearchMethod::OnePass, false, lb, outcome));
    }
    let lo = lb.max(1);
    let b = bracket(&mut t, lo, arrivals.max(lo))?;
    let b = bisect(&mut t, b);
    let (m, good, non_monotone) = verify(&mut t, b, lo, verify_below);
    let method = SearchMethod::Bisection;
    Ok(found(m, t.runs, method, non_monotone, lb, good))
}

/// Linear scan from 1 (for tests): the smallest N whose run fits.
#[cfg(test)]
pub(crate) fn linear_scan<M: HostModel>(
    schedule: &Schedule,
    model: &M,
    policy: PolicyKind,
) -> usize {
    (1..)
        .find(|&n| {
            run(
                schedule,
                model,
                policy,
                Hosts::Fixed(n),
                EngineOptions::default(),
            )
            .fits()
        })
        .expect("unbounded")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::model::{CountingModel, ModelOptions};
    use crate::cluster::schedule::EventOrder;
    use crate::cluster::testkit::list;

    /// Ten premium 8-vCPU VMs present at once (4 per host: 3 hosts), then
    /// they all leave and four 32-vCPU VMs arrive: 4 hosts.
    fn known() -> crate::workload::EventList {
        let mut vms: Vec<(u32, u64, f64, u64, Option<u64>)> =
            (0..10).map(|_| (8, 1024, 1.0, 0, Some(360))).collect();
        vms.extend((0..4).map(|_| (32, 1024, 1.0, 720, None)));
        list(&vms)
    }

    #[test]
    fn search_finds_the_known_answer_with_every_policy() {
        let l = known();
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        for p in PolicyKind::ALL {
            let r = min_hosts(&s, &m, p, 2).unwrap();
            assert_eq!(r.hosts, 4, "{}", p.name());
            assert!(!r.non_monotone);
            assert_eq!(r.lower_bound, 4);
        }
    }

    #[test]
    fn one_pass_agrees_with_bisection_and_linear_scan() {
        // Hand-worked: t=0 hosts hold 24 + 12; t=360 the 20 goes to host 1
        // (32), the 4 to host 0 (28); t=720 the 12 goes to host 1 again: 2.
        let l = list(&[
            (12, 1024, 1.0, 0, Some(720)),
            (12, 1024, 1.0, 0, None),
            (12, 1024, 1.0, 0, Some(360)),
            (20, 1024, 1.0, 360, None),
            (4, 1024, 1.0, 360, None),
            (12, 1024, 1.0, 720, None),
        ]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        let one = min_hosts(&s, &m, PolicyKind::Paper, 2).unwrap();
        assert_eq!(one.method, SearchMethod::OnePass);
        assert_eq!(one.hosts, linear_scan(&s, &m, PolicyKind::Paper));
        assert_eq!(one.hosts, 2);
    }

    #[test]
    fn an_oversized_vm_is_an_error_not_an_endless_search() {
        let l = list(&[(33, 1024, 1.0, 0, None)]);
        let s = Schedule::new(&l, EventOrder::ArrivalsFirst, true).unwrap();
        let m = CountingModel::new(&s.vms, &s.levels, ModelOptions::default());
        assert!(matches!(
            min_hosts(&s, &m, PolicyKind::BestFit, 2),
            Err(ClusterError::VmTooLarge { .. })
        ));
    }
}
