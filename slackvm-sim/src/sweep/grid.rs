//! The grid of a sweep and its canonical order. A grid point ("unit") is a
//! catalogue, a level distribution, an initial VM count and a seed: one
//! generated workload, sized with every requested policy and model. Units
//! are enumerated catalogue-major in the order given, then distribution
//! (the 15 triples of [`DISTRIBUTIONS`]), VM count, seed. A shard `i/n`
//! runs the i-th of n contiguous slices of that list (i from 1).

use super::SweepError;
use crate::cluster::price::PriceConfig;
use crate::cluster::{EventOrder, ModelKind, PolicyKind};

/// The paper's 15 level distributions (oc1, oc2, oc3) in 25% steps, in the
/// order of its table.
pub const DISTRIBUTIONS: [[u32; 3]; 15] = [
    [0, 0, 100],
    [0, 25, 75],
    [0, 50, 50],
    [0, 75, 25],
    [0, 100, 0],
    [25, 0, 75],
    [25, 25, 50],
    [25, 50, 25],
    [25, 75, 0],
    [50, 0, 50],
    [50, 25, 25],
    [50, 50, 0],
    [75, 0, 25],
    [75, 25, 0],
    [100, 0, 0],
];

/// The paper's initial VM counts.
pub const PAPER_VMS: [usize; 5] = [100, 200, 300, 400, 500];
/// The paper's catalogues.
pub const PAPER_CATALOGUES: [&str; 2] = ["ovhcloud2023", "azure2017"];

/// A slice of a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Parses `i/n` with 1 <= i <= n.
    pub fn parse(text: &str) -> Result<Shard, SweepError> {
        let bad = |message: String| SweepError::Param {
            param: "--shard",
            message,
        };
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| bad(format!("`{text}` is not of the form i/n")))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| bad(format!("`{i}` is not a number")))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| bad(format!("`{n}` is not a number")))?;
        if count == 0 || index == 0 || index > count {
            return Err(bad(format!("need 1 <= i <= n, got {index}/{count}")));
        }
        Ok(Shard { index, count })
    }
    /// Range of unit indexes of this shard among `total`.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        (self.index - 1) * total / self.count..self.index * total / self.count
    }
}

/// One grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// Catalogue name or file.
    pub catalogue: String,
    /// Level shares in integer percent.
    pub shares: [u32; 3],
    /// Initial VM count.
    pub vms: usize,
    /// Seed of the generator.
    pub seed: u64,
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct GridSpec {
    /// Catalogue names (built-in) or files.
    pub catalogues: Vec<String>,
    /// Level distributions.
    pub distributions: Vec<[u32; 3]>,
    /// Initial VM counts.
    pub vms: Vec<usize>,
    /// Seeds (each a separate workload per cell).
    pub seeds: Vec<u64>,
    /// Policies.
    pub policies: Vec<PolicyKind>,
    /// Host models.
    pub models: Vec<ModelKind>,
    /// 8 GiB memory cap (published: on).
    pub mem_cap: bool,
    /// Order of simultaneous events (published: arrivals first).
    pub order: EventOrder,
    /// `--topology`: preset or JSON file of `vnode` hosts (see [`super::host`]).
    pub topology: Option<String>,
    /// `--host-cpus` (with `--host-mem-gb`): the `counting` host.
    pub host_cpus: Option<u32>,
    /// `--host-mem-gb`.
    pub host_mem_gb: Option<u64>,
    /// Shared-pool ratio, usage step, power model, idle hosts, grid
    /// intensity (the CPU usage comes from each generated workload).
    pub price: PriceConfig,
}

impl GridSpec {
    /// The paper's grid for `seeds` seeds (0, 1, ...): both catalogues, 15
    /// distributions, 100..500 VMs, `paper` policy, `counting` model.
    pub fn paper(seeds: u64) -> GridSpec {
        GridSpec {
            catalogues: PAPER_CATALOGUES.iter().map(|s| s.to_string()).collect(),
            distributions: DISTRIBUTIONS.to_vec(),
            vms: PAPER_VMS.to_vec(),
            seeds: (0..seeds).collect(),
            policies: vec![PolicyKind::Paper],
            models: vec![ModelKind::Counting],
            mem_cap: true,
            order: EventOrder::ArrivalsFirst,
            topology: None,
            host_cpus: None,
            host_mem_gb: None,
            price: PriceConfig::default(),
        }
    }

    /// Checks the lists.
    pub fn validate(&self) -> Result<(), SweepError> {
        let empty = |param: &'static str, len: usize| {
            if len == 0 {
                Err(SweepError::Param {
                    param,
                    message: "the list is empty".into(),
                })
            } else {
                Ok(())
            }
        };
        empty("--catalogue", self.catalogues.len())?;
        empty("--distribution", self.distributions.len())?;
        empty("--vms", self.vms.len())?;
        empty("--seeds", self.seeds.len())?;
        empty("--policy", self.policies.len())?;
        empty("--model", self.models.len())?;
        for d in &self.distributions {
            if d.iter().sum::<u32>() != 100 {
                return Err(SweepError::Param {
                    param: "--distribution",
                    message: format!("{}/{}/{} does not sum to 100", d[0], d[1], d[2]),
                });
            }
        }
        Ok(())
    }

    /// Every unit in canonical order.
    pub fn units(&self) -> Vec<Unit> {
        let mut out = Vec::new();
        for c in &self.catalogues {
            for d in &self.distributions {
                for &vms in &self.vms {
                    for &seed in &self.seeds {
                        out.push(Unit {
                            catalogue: c.clone(),
                            shares: *d,
                            vms,
                            seed,
                        });
                    }
                }
            }
        }
        out
    }
}

/// Parses a distribution `a/b/c` (integer percents summing to 100).
pub fn parse_distribution(text: &str) -> Result<[u32; 3], SweepError> {
    let bad = || SweepError::Param {
        param: "--distribution",
        message: format!("`{text}` is not three integer percents a/b/c summing to 100"),
    };
    crate::workload::levels::parse_shares(text).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_grid_once() {
        for total in [0usize, 1, 7, 150] {
            for n in 1..6 {
                let mut covered = Vec::new();
                for i in 1..=n {
                    covered.extend(Shard { index: i, count: n }.range(total));
                }
                assert_eq!(covered, (0..total).collect::<Vec<_>>());
            }
        }
        assert!(Shard::parse("0/2").is_err());
        assert!(Shard::parse("3/2").is_err());
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
    }

    #[test]
    fn the_paper_grid_has_150_cells() {
        let g = GridSpec::paper(1);
        assert_eq!(g.units().len(), 2 * 15 * 5);
        assert!(DISTRIBUTIONS.iter().all(|d| d.iter().sum::<u32>() == 100));
        assert_eq!(parse_distribution("25/50/25").unwrap(), [25, 50, 25]);
        assert!(parse_distribution("25/50/20").is_err());
    }
}
