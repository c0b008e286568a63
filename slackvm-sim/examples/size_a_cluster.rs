//! Size a cluster from code: how many 32-CPU hosts a generated workload
//! needs with SlackVM (one shared cluster, a vNode per level on each host)
//! against one dedicated cluster per oversubscription level, for two
//! placement policies. Run: `cargo run -p slackvm-sim --example
//! size_a_cluster`.
//!
//! The workload could as well come from a file in the event-list format
//! (`slackvm_sim::workload::read_event_list`, docs/event-csv.md) or a public
//! trace reader.

use slackvm_sim::cluster::{size_workload, PolicyKind, SizingConfig};
use slackvm_sim::topology;
use slackvm_sim::workload::{generate, Catalogue, GeneratorConfig};
use std::error::Error;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn Error>> {
    // 300 VMs on day 0 drawn from the OVHcloud 2023 catalogue, 50% premium
    // (1:1), 25% at 2:1, 25% at 3:1; arrivals and departures over the
    // following days follow the Azure 2017 usage profiles (seeded).
    let cfg = GeneratorConfig::builder(Catalogue::ovhcloud2023())
        .initial_vms(300)
        .level_shares_pct([50, 25, 25])
        .seed(7)
        .build()?;
    let workload = generate(&cfg);
    println!(
        "{} VMs, {} events",
        workload.vms.len(),
        workload.events.len()
    );

    // The paper's setting: counting host model, 8 GiB cap of oversubscribed
    // VMs, arrivals before departures at equal times, 32-CPU/128-GB hosts.
    let host = Arc::new(topology::preset("host-32")?);
    println!("policy     SlackVM  dedicated (1:1 + 2:1 + 3:1)  gain");
    for policy in [PolicyKind::Paper, PolicyKind::BestFit] {
        let mut sizing_cfg = SizingConfig::paper(host.clone());
        sizing_cfg.policy = policy;
        let s = size_workload(&workload, &sizing_cfg)?;
        let per_level: Vec<String> = s.per_level.iter().map(|l| l.hosts.to_string()).collect();
        println!(
            "{:<10} {:>7}  {:>9} ({})  {:>5.1}%",
            policy.name(),
            s.hosts_slackvm,
            s.hosts_dedicated,
            per_level.join(" + "),
            s.gain_pct
        );
        // Sharing hosts never needs more of them than the sum of the
        // dedicated clusters, and never fewer than the per-time bound.
        assert!(s.hosts_slackvm <= s.hosts_dedicated);
        assert!(s.hosts_slackvm >= s.lower_bound);
    }
    Ok(())
}
