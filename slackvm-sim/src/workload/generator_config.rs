//! What the seeded workload generator ([`super::generator`]) is asked for:
//! a [`GeneratorConfig`], built and validated by its consuming builder
//! (field ranges, run-length overflow), and the error a bad field gives.

use super::catalogue::Catalogue;
use super::levels::{check_level_shares, LevelError};
use super::profile::ProfileVariant;

/// A configuration that is not valid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GeneratorError {
    /// Level shares do not sum to 100.
    #[error("generator field `level_shares_pct`: {0}")]
    Levels(#[from] LevelError),
    /// A field that must be positive is 0 (or not finite).
    #[error("generator field `{field}`: must be > 0 (got {value})")]
    NotPositive {
        /// Field name.
        field: &'static str,
        /// Value given.
        value: String,
    },
    /// `days * slices_per_day * slice_s` does not fit in 64 bits.
    #[error("generator fields `days`, `slices_per_day`, `slice_s`: the run length overflows")]
    Overflow,
}

/// What to generate. Build it with [`GeneratorConfig::builder`]; the
/// defaults are the cluster experiment's (docs/cluster.md): 500
/// initial VMs, all at level 1.0, standard profiles, 7 days of 24 slices
/// of 360 s, seed 0, burst scale 0.25 day.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    pub(super) catalogue: Catalogue,
    pub(super) initial_vms: usize,
    pub(super) level_shares_pct: [u32; 3],
    pub(super) variant: ProfileVariant,
    pub(super) days: u32,
    pub(super) slices_per_day: u32,
    pub(super) slice_s: u64,
    pub(super) seed: u64,
    pub(super) burst_scale: f64,
}

/// Consuming builder of a [`GeneratorConfig`].
#[derive(Debug, Clone)]
#[must_use]
pub struct GeneratorConfigBuilder {
    cfg: GeneratorConfig,
}

impl GeneratorConfig {
    /// A builder with the cluster experiment's defaults.
    pub fn builder(catalogue: Catalogue) -> GeneratorConfigBuilder {
        GeneratorConfigBuilder {
            cfg: GeneratorConfig {
                catalogue,
                initial_vms: 500,
                level_shares_pct: [100, 0, 0],
                variant: ProfileVariant::Standard,
                days: 7,
                slices_per_day: 24,
                slice_s: 360,
                seed: 0,
                burst_scale: 0.25,
            },
        }
    }
    /// The catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }
    /// Number of VMs asked for on day 0.
    pub fn initial_vms(&self) -> usize {
        self.initial_vms
    }
    /// Integer percents of levels 1.0, 2.0, 3.0.
    pub fn level_shares_pct(&self) -> [u32; 3] {
        self.level_shares_pct
    }
    /// Profile variant.
    pub fn variant(&self) -> ProfileVariant {
        self.variant
    }
    /// Days in the run.
    pub fn days(&self) -> u32 {
        self.days
    }
    /// Slices in a day.
    pub fn slices_per_day(&self) -> u32 {
        self.slices_per_day
    }
    /// Length of a slice in seconds.
    pub fn slice_s(&self) -> u64 {
        self.slice_s
    }
    /// Seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Scale of the arrival burst, in days.
    pub fn burst_scale(&self) -> f64 {
        self.burst_scale
    }
    /// Slices in the run.
    pub fn total_slices(&self) -> u64 {
        u64::from(self.days) * u64::from(self.slices_per_day)
    }
    /// Length of the run in seconds.
    pub fn run_s(&self) -> u64 {
        self.total_slices() * self.slice_s
    }
}

impl GeneratorConfigBuilder {
    /// Number of VMs asked for on day 0 (0 gives an empty workload).
    pub fn initial_vms(mut self, n: usize) -> Self {
        self.cfg.initial_vms = n;
        self
    }
    /// Integer percents of levels 1.0, 2.0, 3.0 (must sum to 100).
    pub fn level_shares_pct(mut self, shares: [u32; 3]) -> Self {
        self.cfg.level_shares_pct = shares;
        self
    }
    /// Profile variant.
    pub fn profile_variant(mut self, v: ProfileVariant) -> Self {
        self.cfg.variant = v;
        self
    }
    /// Days in the run (>= 1).
    pub fn days(mut self, d: u32) -> Self {
        self.cfg.days = d;
        self
    }
    /// Slices in a day (>= 1).
    pub fn slices_per_day(mut self, s: u32) -> Self {
        self.cfg.slices_per_day = s;
        self
    }
    /// Slice length in seconds (>= 1).
    pub fn slice_s(mut self, s: u64) -> Self {
        self.cfg.slice_s = s;
        self
    }
    /// Seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.cfg.seed = s;
        self
    }
    /// Scale of the arrival burst in days (> 0; default 0.25).
    pub fn burst_scale(mut self, days: f64) -> Self {
        self.cfg.burst_scale = days;
        self
    }
    /// Checks and returns the configuration.
    pub fn build(self) -> Result<GeneratorConfig, GeneratorError> {
        let c = self.cfg;
        check_level_shares(c.level_shares_pct)?;
        let positive = |field: &'static str, ok: bool, value: String| {
            if ok {
                Ok(())
            } else {
                Err(GeneratorError::NotPositive { field, value })
            }
        };
        positive("days", c.days > 0, c.days.to_string())?;
        positive(
            "slices_per_day",
            c.slices_per_day > 0,
            c.slices_per_day.to_string(),
        )?;
        positive("slice_s", c.slice_s > 0, c.slice_s.to_string())?;
        positive(
            "burst_scale",
            c.burst_scale.is_finite() && c.burst_scale > 0.0,
            c.burst_scale.to_string(),
        )?;
        c.total_slices()
            .checked_mul(c.slice_s)
            .ok_or(GeneratorError::Overflow)?;
        Ok(c)
    }
}
