//! Runs a grid (or one shard of it) in parallel with rayon: one task per
//! unit (generate the workload once, size it with every policy and model).
//! Each row depends only on its unit, and rows are sorted canonically
//! afterwards, so the thread count never changes the output.

use super::grid::{GridSpec, Shard, Unit};
use super::host::HostSpec;
use super::rows::{PriceCols, SizingRow};
use super::SweepError;
use crate::cluster::cpu::CpuUsage;
use crate::cluster::price::PriceConfig;
use crate::cluster::schedule::Schedule;
use crate::cluster::sizing::size_schedule;
use crate::cluster::{ModelKind, PolicyKind};
use crate::host::HostOptions;
use crate::level::Level;
use crate::workload::{generate_with_usage, Catalogue, GeneratorConfig};
use rayon::prelude::*;
use std::sync::Arc;

/// Runs the units of `spec` (all, or those of `shard`) on `threads` threads
/// (`None`: rayon's default), calling `tick` after each unit. Rows come
/// back in canonical order.
pub fn run_grid(
    spec: &GridSpec,
    shard: Option<Shard>,
    threads: Option<usize>,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<SizingRow>, SweepError> {
    spec.validate()?;
    let catalogues: Vec<Catalogue> = spec
        .catalogues
        .iter()
        .map(|c| {
            Catalogue::resolve(c).map_err(|e| SweepError::Param {
                param: "--catalogue",
                message: e.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    let host = HostSpec::resolve(spec.host_cpus, spec.host_mem_gb, spec.topology.as_deref())?;
    let units = spec.units();
    let range = shard.map_or(0..units.len(), |s| s.range(units.len()));
    let units = &units[range];
    let work = || -> Result<Vec<SizingRow>, SweepError> {
        let per_unit: Vec<Vec<SizingRow>> = units
            .par_iter()
            .map(|u| {
                let cat_idx = spec
                    .catalogues
                    .iter()
                    .position(|c| *c == u.catalogue)
                    .unwrap_or(0);
                let rows = run_unit(spec, &catalogues[cat_idx], u, &host);
                tick();
                rows
            })
            .collect::<Result<_, _>>()?;
        let mut rows: Vec<SizingRow> = per_unit.into_iter().flatten().collect();
        rows.sort_by(SizingRow::canonical_cmp);
        Ok(rows)
    };
    in_pool(threads, work)
}

/// Runs `work` on a pool of `threads` threads (rayon's global pool when
/// `None`); a pool that cannot be built is an error naming `--threads`.
pub(crate) fn in_pool<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> Result<T, SweepError> + Send,
) -> Result<T, SweepError> {
    match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| SweepError::Param {
                param: "--threads",
                message: e.to_string(),
            })?
            .install(work),
        None => work(),
    }
}

/// Sizes one unit with every policy and model of the grid.
pub fn run_unit(
    spec: &GridSpec,
    catalogue: &Catalogue,
    u: &Unit,
    host: &HostSpec,
) -> Result<Vec<SizingRow>, SweepError> {
    let wl_err = |message: String| SweepError::Workload {
        catalogue: catalogue.name.clone(),
        oc1: u.shares[0],
        oc2: u.shares[1],
        oc3: u.shares[2],
        vms: u.vms,
        seed: u.seed,
        message,
    };
    let cfg = GeneratorConfig::builder(catalogue.clone())
        .initial_vms(u.vms)
        .level_shares_pct(u.shares)
        .seed(u.seed)
        .build()
        .map_err(|e| wl_err(e.to_string()))?;
    let (list, usage) = generate_with_usage(&cfg);
    let mut price = spec.price.clone();
    price.cpu = Some(Arc::new(CpuUsage::from_slices(&usage, cfg.slice_s())));
    let schedule =
        Schedule::new(&list, spec.order, spec.mem_cap).map_err(|e| wl_err(e.to_string()))?;
    let mut rows = Vec::with_capacity(spec.policies.len() * spec.models.len());
    let shares = format!("{}/{}/{}", u.shares[0], u.shares[1], u.shares[2]);
    for &policy in &spec.policies {
        for &model in &spec.models {
            let what = || {
                format!(
                    "{} {shares} {} VMs seed {} {} {}",
                    catalogue.name,
                    u.vms,
                    u.seed,
                    policy.name(),
                    model.name()
                )
            };
            let point = Point {
                catalogue: &catalogue.name,
                shares: u.shares,
                vms: u.vms,
                seed: u.seed,
                level_rule: &shares,
                oversize_vms: 0,
                price: &price,
            };
            rows.push(size_point(&schedule, host, policy, model, &point, what)?);
        }
    }
    Ok(rows)
}

/// What names a row besides its sizing.
pub(crate) struct Point<'a> {
    pub catalogue: &'a str,
    pub shares: [u32; 3],
    pub vms: usize,
    pub seed: u64,
    pub level_rule: &'a str,
    pub oversize_vms: usize,
    /// Shared-pool ratio, CPU usage and power of the price of packing.
    pub price: &'a PriceConfig,
}

/// Sizes `schedule` with one policy and model into a row.
pub(crate) fn size_point(
    schedule: &Schedule,
    host: &HostSpec,
    policy: PolicyKind,
    model: ModelKind,
    p: &Point<'_>,
    what: impl Fn() -> String,
) -> Result<SizingRow, SweepError> {
    let mut sc = host.sizing_config();
    sc.policy = policy;
    sc.model = model;
    sc.mem_cap = schedule.mem_cap;
    sc.order = schedule.order;
    sc.host_options = HostOptions::default();
    sc.price = p.price.clone();
    let s = size_schedule(schedule, &sc).map_err(|source| SweepError::Cluster {
        what: what(),
        source,
    })?;
    Ok(SizingRow {
        catalogue: p.catalogue.to_string(),
        shares: p.shares,
        vms: p.vms,
        seed: p.seed,
        policy,
        model,
        hosts_slackvm: s.hosts_slackvm,
        hosts_dedicated: s.hosts_dedicated,
        hosts_level: [
            s.hosts_of_level(Level::ONE),
            s.hosts_of_level(Level::TWO),
            s.hosts_of_level(Level::THREE),
        ],
        gain_pct: s.gain_pct,
        lower_bound: s.lower_bound,
        unallocated_cpu_pct: s.unallocated_cpu_pct,
        unallocated_mem_pct: s.unallocated_mem_pct,
        dedicated_unallocated_cpu_pct: s.dedicated_unallocated_cpu_pct,
        dedicated_unallocated_mem_pct: s.dedicated_unallocated_mem_pct,
        mem_cap: schedule.mem_cap,
        order: schedule.order,
        workload_vms: s.vms - p.oversize_vms,
        runs: s.runs,
        non_monotone: s.non_monotone,
        level_rule: p.level_rule.to_string(),
        host: host.name(model),
        oversize_vms: p.oversize_vms,
        hosts_shared_pool: s.hosts_shared_pool,
        price: s.price.as_ref().map_or(PriceCols::unknown(), PriceCols::of),
    })
}
