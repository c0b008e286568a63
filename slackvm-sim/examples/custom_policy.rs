//! A new placement policy plugged into the cluster engine, from outside
//! the crate. Run: `cargo run -p slackvm-sim --example custom_policy`.
//!
//! A policy implements two traits of `slackvm_sim::cluster`:
//! - [`Policy`]: its name and what the engine may assume (whether a host
//!   index answers its question, whether opening hosts on demand gives the
//!   minimum count); the defaults (no index, not exact) are always safe;
//! - [`Choose`]: the choice itself, reading hosts only through the
//!   [`HostModel`] (probe = "what would this host use with the VM",
//!   capacity, usage). It must be deterministic: ties to the lowest index.
//!
//! [`run_with`] runs the engine with it. (A policy meant to ship with the
//! crate is a file in `cluster/policy/` plus one arm of
//! `PolicyKind::policy`: then `sweep --policy NAME` knows it too.)

use slackvm_sim::cluster::{
    run, run_with, Choose, CountingModel, EngineOptions, EventOrder, HostModel, Hosts,
    ModelOptions, Policy, PolicyKind, Schedule,
};
use slackvm_sim::workload::{generate, Catalogue, GeneratorConfig};
use std::error::Error;

/// "Ratio fit": the fitting host whose CPU and memory use stay closest to
/// the host's own CPU:memory ratio after the VM (so that neither resource
/// is stranded), ties to the lowest index.
struct RatioFit;

impl Policy for RatioFit {
    fn name(&self) -> &'static str {
        "ratio-fit"
    }
}

impl<M: HostModel> Choose<M> for RatioFit {
    fn choose(&self, model: &M, hosts: &[M::Host], vm: usize) -> Option<usize> {
        let cap = model.capacity();
        let mut best: Option<(u128, usize)> = None;
        for (i, host) in hosts.iter().enumerate() {
            let Some(after) = model.probe(host, vm) else {
                continue;
            };
            // |cpus/cap.cpus - mem/cap.mem| compared exactly, in integers.
            let a = u128::from(after.cpus) * u128::from(cap.mem_mb);
            let b = u128::from(after.mem_mb) * u128::from(cap.cpus);
            let skew = a.abs_diff(b);
            if best.is_none_or(|(s, _)| skew < s) {
                best = Some((skew, i));
            }
        }
        best.map(|(_, i)| i)
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let cfg = GeneratorConfig::builder(Catalogue::ovhcloud2023())
        .initial_vms(300)
        .seed(3)
        .build()?;
    let workload = generate(&cfg);
    // The engine's input: events in the published order, the 8 GiB cap of
    // oversubscribed VMs on; 32-CPU / 128 GB hosts, counting model.
    let schedule = Schedule::new(&workload, EventOrder::ArrivalsFirst, true)?;
    let model = CountingModel::new(&schedule.vms, &schedule.levels, ModelOptions::default());

    // Open a host whenever none fits: the hosts opened size the cluster.
    let opts = EngineOptions::default();
    let ours = run_with(&schedule, &model, &RatioFit, Hosts::OnDemand, opts);
    let first_fit = run(
        &schedule,
        &model,
        PolicyKind::FirstFit,
        Hosts::OnDemand,
        opts,
    );
    println!("{} VMs, hosts opened on demand:", schedule.vms.len());
    println!("  {:<10} {:>4}", RatioFit.name(), ours.hosts);
    println!(
        "  {:<10} {:>4}",
        PolicyKind::FirstFit.name(),
        first_fit.hosts
    );
    assert!(
        ours.fits() && first_fit.fits(),
        "on demand, every VM is placed"
    );
    assert_eq!(ours.placed, first_fit.placed);
    Ok(())
}
