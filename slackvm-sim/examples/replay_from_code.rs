//! Replay from code: generate a small monitoring trace for a 32-CPU
//! host, replay it with the prototype's quirks and with them all off, and
//! compare what each accepted. Run: `cargo run -p slackvm-sim --example
//! replay_from_code`.
//!
//! The same calls drive the `replay` binary: [`first_pass`] learns each VM
//! from the trace, [`replay_learnt`] replays it on a [`Host`] (here through
//! [`replay`], which does both) and may write the recomputed trace.
//!
//! [`first_pass`]: slackvm_sim::replay::first_pass
//! [`replay_learnt`]: slackvm_sim::replay::replay_learnt
//! [`Host`]: slackvm_sim::Host

use slackvm_sim::host::{HostOptions, Quirks};
use slackvm_sim::replay::{replay, ReplayOptions, TraceSource};
use slackvm_sim::topology;
use slackvm_sim::trace::TraceWriter;
use slackvm_sim::tracegen::{generate, TraceGenConfig};
use std::error::Error;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("slackvm-example-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let topo = Arc::new(topology::preset("host-32")?);

    // 1. A seeded two-hour trace at 15-s steps (any trace in the monitoring
    //    format would do: see docs/monitoring-trace.md).
    let trace = dir.join("trace.tsv.gz");
    let cfg = TraceGenConfig {
        duration_s: 7_200,
        peak_arrivals_per_h: 30.0,
        ..TraceGenConfig::default()
    };
    let mut writer = TraceWriter::create(&trace)?;
    let made = generate(topo.clone(), &cfg, &mut writer)?;
    writer.finish()?;
    println!("generated {} VMs, {} rows", made.vms, made.rows);

    // 2. Replay it twice: the paper's defaults, then every quirk off.
    let source = TraceSource::File(trace);
    for (name, quirks) in [("paper", Quirks::default()), ("fixed", Quirks::fixed())] {
        let opts = ReplayOptions {
            host: HostOptions {
                quirks,
                ..HostOptions::default()
            },
        };
        let out = replay(topo.clone(), opts, &source, None, &mut |_, _| {})?;
        let s = &out.summary;
        let accepted: u64 = s.accepted.values().sum();
        println!(
            "{name}: {} timestamps, {accepted} deployments accepted, {} refused, {} vNode series",
            s.timestamps,
            s.refused.len(),
            out.series.len()
        );
        assert_eq!(s.timestamps, 7_200 / 15 + 1); // 0, 15, ..., 7200
        assert!(accepted > 0, "a replay that accepts nothing is broken");
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
