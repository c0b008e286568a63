//! Oversubscription levels of a set of VMs (docs/catalogues.md "How a set of
//! n VMs is built", step 3): `ceil(share * count)` VMs of each of the levels 1.0,
//! 2.0 and 3.0, shuffled with the seeded stream, cut to `count`. Used by the
//! generator and, through [`assign_levels`], for traces that carry no level
//! (the `--levels` option).

use super::events::EventList;
use crate::level::Level;
use crate::rng::Rng;

/// The levels whose shares are given, in order: 1:1, 2:1, 3:1.
pub const LEVELS: [Level; 3] = [Level::ONE, Level::TWO, Level::THREE];

/// Level shares that do not sum to 100%.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LevelError {
    /// `oc1 + oc2 + oc3 != 100`.
    #[error("level shares {oc1}/{oc2}/{oc3} sum to {sum}%, not 100%", oc1 = shares_pct[0], oc2 = shares_pct[1], oc3 = shares_pct[2])]
    BadSum {
        /// The shares given.
        shares_pct: [u32; 3],
        /// Their sum.
        sum: u64,
    },
}

/// Checks that the shares (integer percents of levels 1.0/2.0/3.0) sum to 100.
pub fn check_level_shares(shares_pct: [u32; 3]) -> Result<(), LevelError> {
    let sum: u64 = shares_pct.iter().map(|&s| u64::from(s)).sum();
    if sum == 100 {
        Ok(())
    } else {
        Err(LevelError::BadSum { shares_pct, sum })
    }
}

/// `count` levels: `ceil(pct * count / 100)` of each level in order 1.0,
/// 2.0, 3.0 (exact integer arithmetic), shuffled, then cut to `count`.
/// Shares must have been checked with [`check_level_shares`].
pub fn level_list(shares_pct: [u32; 3], count: usize, rng: &mut Rng) -> Vec<Level> {
    let mut out = Vec::with_capacity(count + 3);
    for (&pct, &level) in shares_pct.iter().zip(&LEVELS) {
        let n = (u64::from(pct) * count as u64).div_ceil(100) as usize;
        out.extend(std::iter::repeat_n(level, n));
    }
    rng.shuffle(&mut out);
    out.truncate(count);
    out
}

/// Overwrites the level of every VM of `list` with levels drawn as in
/// [`level_list`] over all its VMs (in VM order), from the stream
/// `Rng::derive(seed, "levels", 0)`. Deterministic for a seed.
pub fn assign_levels(
    list: &mut EventList,
    shares_pct: [u32; 3],
    seed: u64,
) -> Result<(), LevelError> {
    check_level_shares(shares_pct)?;
    let levels = level_list(
        shares_pct,
        list.vms.len(),
        &mut Rng::derive(seed, "levels", 0),
    );
    for (vm, level) in list.vms.iter_mut().zip(levels) {
        vm.level = level;
    }
    Ok(())
}

/// Parses level shares `a/b/c`: three integer percents of 1:1, 2:1 and
/// 3:1 VMs summing to 100 (`None` otherwise).
pub fn parse_shares(text: &str) -> Option<[u32; 3]> {
    let parts: Vec<u32> = text
        .split('/')
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .ok()?;
    match parts[..] {
        [a, b, c] if a.checked_add(b)?.checked_add(c)? == 100 => Some([a, b, c]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::events::VmSpec;

    fn count(levels: &[Level], l: f64) -> usize {
        levels.iter().filter(|&&x| x == l).count()
    }

    #[test]
    fn shares_parse_and_huge_numbers_do_not_overflow() {
        assert_eq!(parse_shares("34/33/33"), Some([34, 33, 33]));
        assert_eq!(parse_shares(" 100 / 0 / 0 "), Some([100, 0, 0]));
        assert_eq!(parse_shares("50/50"), None);
        assert_eq!(parse_shares("50/25/20"), None);
        assert_eq!(parse_shares("4294967295/1/100"), None);
        assert_eq!(parse_shares("a/b/c"), None);
    }

    #[test]
    fn ceil_then_cut() {
        // 25/25/50 of 10: ceil(2.5)=3, 3, 5 = 11, shuffled, cut to 10.
        let v = level_list([25, 25, 50], 10, &mut Rng::new(1));
        assert_eq!(v.len(), 10);
        let (a, b, c) = (count(&v, 1.0), count(&v, 2.0), count(&v, 3.0));
        assert_eq!(a + b + c, 10);
        assert!(a <= 3 && b <= 3 && (4..=5).contains(&c));
        // exact shares give exact counts
        let v = level_list([50, 0, 50], 500, &mut Rng::new(2));
        assert_eq!(
            (count(&v, 1.0), count(&v, 2.0), count(&v, 3.0)),
            (250, 0, 250)
        );
    }

    #[test]
    fn assign_is_deterministic_and_checked() {
        let vm = |i: usize| VmSpec {
            id: format!("v{i}"),
            vcpus: 1,
            mem_mb: 1,
            level: Level::ONE,
            profile: None,
        };
        let mut a = EventList {
            vms: (0..40).map(vm).collect(),
            events: vec![],
        };
        let mut b = a.clone();
        assign_levels(&mut a, [0, 50, 50], 9).unwrap();
        assign_levels(&mut b, [0, 50, 50], 9).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.vms.iter().filter(|v| v.level == 2.0).count(), 20);
        let e = assign_levels(&mut b, [50, 50, 1], 9).unwrap_err();
        assert!(e.to_string().contains("101%"));
    }
}
