//! [`Level`]: a CPU oversubscription level (1.0 = premium, 2.0 = 2:1, ...),
//! validated once where it enters the program and used for every level
//! key afterwards (vNodes, status lines, trace `subset-*` ids, summaries).
//! Equality, order and hash are those of its canonical value, so `2` and
//! `2.0` are the same level; it is displayed the prototype's (Python's)
//! way, `1.0`, `2.0`, `1.2`, and (de)serialised as a plain number.

use crate::pyfmt;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Prefix of a vNode id in the monitoring trace (`subset-2.0`).
pub const SUBSET_PREFIX: &str = "subset-";

/// An oversubscription level: finite, in `[Level::MIN_VALUE, Level::MAX_VALUE]`.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Level(f64);

/// Why a number or a text is not a level.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LevelError {
    /// Not a finite number in the accepted range.
    #[error("level {value} must be a finite number in [1.0, {max}]", max = Level::MAX_VALUE)]
    OutOfRange {
        /// The refused value.
        value: f64,
    },
    /// The text is not a number.
    #[error("level `{text}` is not a number")]
    NotANumber {
        /// The refused text.
        text: String,
    },
    /// The text is not a `subset-<level>` vNode id.
    #[error("`{text}` is not a vNode id of the form `subset-<level>`")]
    NotASubsetKey {
        /// The refused text.
        text: String,
    },
}

impl Level {
    /// Smallest level (no oversubscription).
    pub const MIN_VALUE: f64 = 1.0;
    /// Largest accepted level (1000 vCPUs per CPU).
    pub const MAX_VALUE: f64 = 1000.0;
    /// Level 1.0 (premium; also the memory pool's level).
    pub const ONE: Level = Level(1.0);
    /// Level 2.0 (2:1).
    pub const TWO: Level = Level(2.0);
    /// Level 3.0 (3:1).
    pub const THREE: Level = Level(3.0);

    /// Validates a number: finite and in `[MIN_VALUE, MAX_VALUE]`.
    pub fn new(value: f64) -> Result<Level, LevelError> {
        if value.is_finite() && (Self::MIN_VALUE..=Self::MAX_VALUE).contains(&value) {
            Ok(Level(value))
        } else {
            Err(LevelError::OutOfRange { value })
        }
    }

    /// The level as a number (for arithmetic, never for comparison).
    #[inline]
    pub fn get(self) -> f64 {
        self.0
    }

    /// Bits of the canonical value: equal levels have equal bits (there
    /// is no `-0.0` or NaN in range).
    #[inline]
    pub fn to_bits(self) -> u64 {
        self.0.to_bits()
    }

    /// The vNode id of the monitoring trace: `subset-2.0`.
    pub fn subset_key(self) -> String {
        format!("{SUBSET_PREFIX}{self}")
    }

    /// The one parser of [`Level::subset_key`]: `subset-2.0` (or `subset-2`)
    /// gives level 2.0.
    pub fn from_subset_key(text: &str) -> Result<Level, LevelError> {
        let rest = text
            .strip_prefix(SUBSET_PREFIX)
            .ok_or_else(|| LevelError::NotASubsetKey {
                text: text.to_string(),
            })?;
        rest.parse()
    }
}

impl PartialEq for Level {
    fn eq(&self, other: &Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}

impl Eq for Level {}

impl Hash for Level {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_bits().hash(state);
    }
}

impl PartialOrd for Level {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Level {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Compares with a plain number (tests and literals: `level == 2.0`).
impl PartialEq<f64> for Level {
    fn eq(&self, other: &f64) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Level {
    /// Python's `str(float)`: `1.0`, `2.0`, `1.2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&pyfmt::float(self.0))
    }
}

impl FromStr for Level {
    type Err = LevelError;

    /// `2`, `2.0`, `1.2`: any number text, then validated.
    fn from_str(text: &str) -> Result<Level, LevelError> {
        let value: f64 = text.trim().parse().map_err(|_| LevelError::NotANumber {
            text: text.to_string(),
        })?;
        Level::new(value)
    }
}

impl TryFrom<f64> for Level {
    type Error = LevelError;

    fn try_from(value: f64) -> Result<Level, LevelError> {
        Level::new(value)
    }
}

impl From<Level> for f64 {
    fn from(level: Level) -> f64 {
        level.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::collections::{BTreeSet, HashSet};

    fn lv(x: f64) -> Level {
        Level::new(x).unwrap()
    }

    fn hash_of(l: Level) -> u64 {
        let mut h = DefaultHasher::new();
        l.hash(&mut h);
        h.finish()
    }

    #[test]
    fn parse_and_display_the_prototype_way() {
        assert_eq!(lv(1.0).to_string(), "1.0");
        assert_eq!(lv(2.0).to_string(), "2.0");
        assert_eq!(lv(1.2).to_string(), "1.2");
        assert_eq!("2".parse::<Level>().unwrap().to_string(), "2.0");
        assert_eq!(" 3.0".parse::<Level>().unwrap(), lv(3.0));
        assert_eq!("1.5".parse::<Level>().unwrap().get(), 1.5);
    }

    #[test]
    fn out_of_range_and_garbage_are_refused() {
        for bad in [0.5, 0.0, -1.0, 1000.5, f64::NAN, f64::INFINITY] {
            assert!(Level::new(bad).is_err(), "{bad}");
        }
        assert!(Level::new(1000.0).is_ok());
        let e = "abc".parse::<Level>().unwrap_err();
        assert!(e.to_string().contains("`abc`"), "{e}");
        let e = Level::new(0.5).unwrap_err();
        assert!(e.to_string().contains("0.5"), "{e}");
        assert!(matches!(
            Level::from_subset_key("vnode-2.0"),
            Err(LevelError::NotASubsetKey { .. })
        ));
        assert!(Level::from_subset_key("subset-0.5").is_err());
    }

    #[test]
    fn subset_key_round_trips() {
        assert_eq!(lv(2.0).subset_key(), "subset-2.0");
        assert_eq!(lv(1.2).subset_key(), "subset-1.2");
        for x in [1.0, 1.2, 1.5, 2.0, 3.0, 7.25, 1000.0] {
            let l = lv(x);
            assert_eq!(Level::from_subset_key(&l.subset_key()).unwrap(), l);
            assert_eq!(l.to_string().parse::<Level>().unwrap(), l);
        }
        assert_eq!(Level::from_subset_key("subset-2").unwrap(), lv(2.0));
        // The memory pool's id `subset-1` reads as level 1.0.
        assert_eq!(Level::from_subset_key("subset-1").unwrap(), Level::ONE);
    }

    #[test]
    fn two_and_two_point_zero_are_one_key() {
        let a: Level = "2".parse().unwrap();
        let b: Level = "2.0".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(hash_of(a), hash_of(b));
        let set: HashSet<Level> = [a, b, lv(2.0)].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_eq!(a, 2.0);
    }

    #[test]
    fn ordering_is_numeric() {
        let sorted: Vec<Level> = [3.0, 1.0, 1.5, 2.0, 10.0]
            .into_iter()
            .map(lv)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let values: Vec<f64> = sorted.iter().map(|l| l.get()).collect();
        assert_eq!(values, [1.0, 1.5, 2.0, 3.0, 10.0]);
        assert!(lv(2.0) > lv(1.5));
        assert_eq!(lv(2.0).max(lv(3.0)), lv(3.0));
    }

    #[test]
    fn serde_is_the_number() {
        assert_eq!(serde_json::to_string(&lv(2.0)).unwrap(), "2.0");
        assert_eq!(serde_json::from_str::<Level>("2").unwrap(), lv(2.0));
        assert_eq!(serde_json::from_str::<Level>("1.5").unwrap(), lv(1.5));
        assert!(serde_json::from_str::<Level>("0.5").is_err());
        assert!(serde_json::from_str::<Level>("\"2\"").is_err());
    }
}
