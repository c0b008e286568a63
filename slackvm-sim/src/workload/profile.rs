//! CPU usage profiles: the four Azure 2017
//! profiles with their frequency, CPU average and 95th percentile bounds,
//! arrival, departure and periodicity rates, and the study's variants
//! (`standard`, `inc`, `fatinc`).

use std::fmt;
use std::str::FromStr;

/// One usage profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// Name written in event lists (`low_with_peak`, ...).
    pub name: &'static str,
    /// Share of VMs with this profile.
    pub freq: f64,
    /// Bounds of the VM's average CPU usage, in %.
    pub avg_pct: (f64, f64),
    /// Bounds of the VM's 95th percentile CPU usage, in %.
    pub p95_pct: (f64, f64),
    /// New VMs per day, per initial VM of this profile.
    pub arrival: f64,
    /// Share of the VMs of this profile (per batch) with a finite lifetime.
    pub departure: f64,
    /// Share of the VMs of this profile (per batch) whose usage repeats daily.
    pub periodicity: f64,
}

/// The Azure 2017 profiles, in the order of the published table. This order
/// is the order in which profile lists are built before shuffling.
pub const AZURE2017_PROFILES: [Profile; 4] = [
    Profile {
        name: "low_with_peak",
        freq: 0.36,
        avg_pct: (0.2, 33.3),
        p95_pct: (66.6, 100.0),
        arrival: 0.60,
        departure: 0.60,
        periodicity: 0.011,
    },
    Profile {
        name: "low",
        freq: 0.28,
        avg_pct: (0.0, 25.9),
        p95_pct: (0.0, 31.2),
        arrival: 0.15,
        departure: 0.15,
        periodicity: 0.004,
    },
    Profile {
        name: "intensive",
        freq: 0.14,
        avg_pct: (29.3, 100.0),
        p95_pct: (52.1, 100.0),
        arrival: 0.57,
        departure: 0.57,
        periodicity: 0.008,
    },
    Profile {
        name: "low_mid",
        freq: 0.21,
        avg_pct: (0.1, 51.9),
        p95_pct: (26.0, 70.2),
        arrival: 0.32,
        departure: 0.32,
        periodicity: 0.008,
    },
];

/// Which rates the profiles use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ProfileVariant {
    /// The published table as is.
    #[default]
    Standard,
    /// Departures 0.2 / 0 / 0.17 / 0 (in table order): the cluster grows.
    Inc,
    /// Arrival 1 and departure 0 for every profile.
    FatInc,
}

/// An unknown variant name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile variant `{0}` (expected standard, inc or fatinc)")]
pub struct UnknownVariant(pub String);

impl ProfileVariant {
    /// Every variant, in a fixed order.
    pub const ALL: [ProfileVariant; 3] = [
        ProfileVariant::Standard,
        ProfileVariant::Inc,
        ProfileVariant::FatInc,
    ];

    /// Name (`standard`, `inc`, `fatinc`).
    pub fn name(self) -> &'static str {
        match self {
            ProfileVariant::Standard => "standard",
            ProfileVariant::Inc => "inc",
            ProfileVariant::FatInc => "fatinc",
        }
    }

    /// The four profiles with this variant's rates, in table order.
    pub fn profiles(self) -> [Profile; 4] {
        let mut p = AZURE2017_PROFILES;
        match self {
            ProfileVariant::Standard => {}
            ProfileVariant::Inc => {
                for (prof, dep) in p.iter_mut().zip([0.2, 0.0, 0.17, 0.0]) {
                    prof.departure = dep;
                }
            }
            ProfileVariant::FatInc => {
                for prof in &mut p {
                    prof.arrival = 1.0;
                    prof.departure = 0.0;
                }
            }
        }
        p
    }
}

impl fmt::Display for ProfileVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ProfileVariant {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| UnknownVariant(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_change_only_their_rates() {
        let s = ProfileVariant::Standard.profiles();
        assert_eq!(s, AZURE2017_PROFILES);
        let inc = ProfileVariant::Inc.profiles();
        let deps: Vec<f64> = inc.iter().map(|p| p.departure).collect();
        assert_eq!(deps, vec![0.2, 0.0, 0.17, 0.0]);
        assert_eq!(inc[0].arrival, 0.60);
        let fat = ProfileVariant::FatInc.profiles();
        assert!(fat.iter().all(|p| p.arrival == 1.0 && p.departure == 0.0));
        assert_eq!(fat[3].periodicity, 0.008);
    }

    #[test]
    fn names_round_trip() {
        for v in ProfileVariant::ALL {
            assert_eq!(v.name().parse::<ProfileVariant>(), Ok(v));
        }
        assert!("big".parse::<ProfileVariant>().is_err());
    }

    #[test]
    fn bounds_are_ordered() {
        for p in AZURE2017_PROFILES {
            assert!(p.avg_pct.0 <= p.avg_pct.1 && p.p95_pct.0 <= p.p95_pct.1);
        }
    }
}
