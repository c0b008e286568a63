//! The fit measures shared by the policies, the host index and the
//! per-class tables: the room a host has left, as one exact integer, and
//! which extreme of it a policy looks for. Nothing here knows a policy or
//! an index, so `policy`, `index` and `classes` all depend on this module
//! and never on each other in a circle.
//!
//! Room left ([`slack_after`]): CPUs and memory each normalised by the
//! host's capacity and summed, compared exactly in integers:
//! `free_cpus * host_mem + free_mem * host_cpus`. Larger means emptier.

use super::model::Usage;

/// Room left on a host after a VM, as an exact integer (see the module
/// header); larger means emptier.
pub fn slack_after(capacity: Usage, after: Usage) -> u128 {
    let free_cpus = u128::from(capacity.cpus.saturating_sub(after.cpus));
    let free_mem = u128::from(capacity.mem_mb.saturating_sub(after.mem_mb));
    free_cpus * u128::from(capacity.mem_mb) + free_mem * u128::from(capacity.cpus)
}

/// Room left now, as [`slack_after`] measures it but signed (a counting
/// host can be over capacity after a departure).
pub fn slack_signed(cap: Usage, now: Usage) -> i128 {
    let free_cpus = i128::from(cap.cpus) - i128::from(now.cpus);
    let free_mem = i128::from(cap.mem_mb) - i128::from(now.mem_mb);
    free_cpus * i128::from(cap.mem_mb) + free_mem * i128::from(cap.cpus)
}

/// Which extreme of the room left a choice looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassGoal {
    /// Least room left (best fit).
    Least,
    /// Most room left (worst fit).
    Most,
}

impl ClassGoal {
    /// True when room `a` is strictly better than room `b` for this goal.
    #[inline]
    pub fn beats(self, a: u128, b: u128) -> bool {
        match self {
            ClassGoal::Least => a < b,
            ClassGoal::Most => a > b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_normalised_and_exact() {
        let cap = Usage {
            cpus: 32,
            mem_mb: 131_072,
        };
        let after = Usage {
            cpus: 10,
            mem_mb: 69_632,
        };
        assert_eq!(slack_after(cap, after), 22 * 131_072 + 61_440 * 32);
        assert_eq!(
            slack_signed(cap, after),
            (22 * 131_072 + 61_440 * 32) as i128
        );
        let over = Usage {
            cpus: 33,
            mem_mb: 131_072,
        };
        assert_eq!(slack_after(cap, over), 0);
        assert_eq!(slack_signed(cap, over), -131_072);
        assert!(ClassGoal::Least.beats(1, 2) && ClassGoal::Most.beats(2, 1));
        assert!(!ClassGoal::Least.beats(2, 2) && !ClassGoal::Most.beats(2, 2));
    }
}
