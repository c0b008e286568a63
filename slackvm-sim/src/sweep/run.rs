//! Runs a grid (or one shard of it) in parallel with rayon: one task per
//! unit (generate the workload once, size it with every policy and model).
//! Each row depends only on its unit, and rows are sorted canonically
//! afterwards, so the thread count never changes the output.

use super::grid::{GridSpec, Shard, Unit};
use super::rows::SizingRow;
use super::SweepError;
use crate::cluster::schedule::Schedule;
use crate::cluster::sizing::{size_schedule, SizingConfig};
use crate::host::HostOptions;
use crate::topology::{preset, Topology};
use crate::workload::{generate, Catalogue, GeneratorConfig};
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
    let topo = Arc::new(preset(&spec.topology).map_err(|e| SweepError::Param {
        param: "--topology",
        message: e.to_string(),
    })?);
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
                let rows = run_unit(spec, &catalogues[cat_idx], u, &topo);
                tick();
                rows
            })
            .collect::<Result<_, _>>()?;
        let mut rows: Vec<SizingRow> = per_unit.into_iter().flatten().collect();
        rows.sort_by(SizingRow::canonical_cmp);
        Ok(rows)
    };
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
    topo: &Arc<Topology>,
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
    let list = generate(&cfg);
    let schedule =
        Schedule::new(&list, spec.order, spec.mem_cap).map_err(|e| wl_err(e.to_string()))?;
    let mut rows = Vec::with_capacity(spec.policies.len() * spec.models.len());
    for &policy in &spec.policies {
        for &model in &spec.models {
            let mut sc = SizingConfig::paper(Arc::clone(topo));
            sc.policy = policy;
            sc.model = model;
            sc.mem_cap = spec.mem_cap;
            sc.order = spec.order;
            sc.host_options = HostOptions::default();
            let s = size_schedule(&schedule, &sc).map_err(|source| SweepError::Cluster {
                what: format!(
                    "{} {}/{}/{} {} VMs seed {} {} {}",
                    catalogue.name,
                    u.shares[0],
                    u.shares[1],
                    u.shares[2],
                    u.vms,
                    u.seed,
                    policy.name(),
                    model.name()
                ),
                source,
            })?;
            rows.push(SizingRow {
                catalogue: catalogue.name.clone(),
                shares: u.shares,
                vms: u.vms,
                seed: u.seed,
                policy,
                model,
                hosts_slackvm: s.hosts_slackvm,
                hosts_dedicated: s.hosts_dedicated,
                hosts_level: [
                    s.hosts_of_level(1.0),
                    s.hosts_of_level(2.0),
                    s.hosts_of_level(3.0),
                ],
                gain_pct: s.gain_pct,
                lower_bound: s.lower_bound,
                unallocated_cpu_pct: s.unallocated_cpu_pct,
                unallocated_mem_pct: s.unallocated_mem_pct,
                dedicated_unallocated_cpu_pct: s.dedicated_unallocated_cpu_pct,
                dedicated_unallocated_mem_pct: s.dedicated_unallocated_mem_pct,
                mem_cap: spec.mem_cap,
                order: spec.order,
                workload_vms: s.vms,
                runs: s.runs,
                non_monotone: s.non_monotone,
            });
        }
    }
    Ok(rows)
}
