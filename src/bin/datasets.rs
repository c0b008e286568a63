//! `datasets`: (re)generates what the project ships in `datasets/` — the
//! topology presets in the prototype's JSON format and the seeded EPYC
//! monitoring trace — or writes the running machine's topology.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use slackvm_sim::topology::{self, parse_cpu_list, SysfsOptions};
use slackvm_sim::trace::TraceWriter;
use slackvm_sim::tracegen::{generate, TraceGenConfig};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(about = "Generate the datasets slackvm ships (topologies, traces)")]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Write every topology preset and the default EPYC trace into DIR.
    All {
        /// Output folder.
        #[arg(long, default_value = "datasets")]
        out: PathBuf,
    },
    /// Write one preset (epyc-7662, epyc-7662-exp, host-32, laptop-8).
    Preset {
        /// Preset name.
        name: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Read this machine's topology from /sys and write it.
    Sysfs {
        /// CPU ids reserved for the host, e.g. `0-11,128-139`.
        #[arg(long, default_value = "")]
        exclude: String,
        /// Use the socket id as NUMA node id (prototype quirk 4).
        #[arg(long)]
        socket_as_numa: bool,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Generate a single-host monitoring trace.
    Trace {
        /// Topology preset name or JSON file.
        #[arg(long, default_value = "epyc-7662-exp")]
        topology: String,
        /// Seed.
        #[arg(long, default_value_t = TraceGenConfig::default().seed)]
        seed: u64,
        /// Run length in seconds.
        #[arg(long, default_value_t = TraceGenConfig::default().duration_s)]
        duration_s: u64,
        /// Peak arrivals per hour.
        #[arg(long, default_value_t = TraceGenConfig::default().peak_arrivals_per_h)]
        peak_arrivals_per_h: f64,
        /// Output file (`.gz` compresses).
        #[arg(long)]
        out: PathBuf,
    },
}

fn load_topology(spec: &str) -> Result<topology::Topology> {
    if std::path::Path::new(spec).exists() {
        Ok(topology::load_json_file(spec.as_ref())?)
    } else {
        Ok(topology::preset(spec)?)
    }
}

fn write_trace(
    topo: topology::Topology,
    cfg: &TraceGenConfig,
    out: &std::path::Path,
) -> Result<()> {
    let mut w = TraceWriter::create(out)?;
    let stats = generate(Arc::new(topo), cfg, &mut w)?;
    w.finish()?;
    println!(
        "{}: {} VMs, {} refused on this host, {} rows",
        out.display(),
        stats.vms,
        stats.refused,
        stats.rows
    );
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().what {
        What::All { out } => {
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            for p in topology::preset_names() {
                let path = out.join(p.file);
                topology::write_json_file(&topology::preset(p.name)?, &path)?;
                println!("{}: {}", path.display(), p.about);
            }
            let trace = out.join("trace_EPYC-7662-exp.tsv.gz");
            write_trace(
                topology::preset("epyc-7662-exp")?,
                &TraceGenConfig::default(),
                &trace,
            )?;
        }
        What::Preset { name, out } => topology::write_json_file(&topology::preset(&name)?, &out)?,
        What::Sysfs {
            exclude,
            socket_as_numa,
            out,
        } => {
            let excluded =
                parse_cpu_list(&exclude).map_err(|e| anyhow::anyhow!("--exclude: {e}"))?;
            let opts = SysfsOptions {
                excluded,
                socket_as_numa,
                ..SysfsOptions::default()
            };
            let topo = topology::read_linux(&opts)?;
            topology::write_json_file(&topo, &out)?;
            println!("{}: {} usable CPUs", out.display(), topo.cpu_count());
        }
        What::Trace {
            topology,
            seed,
            duration_s,
            peak_arrivals_per_h,
            out,
        } => {
            let cfg = TraceGenConfig {
                seed,
                duration_s,
                peak_arrivals_per_h,
                ..TraceGenConfig::default()
            };
            write_trace(load_topology(&topology)?, &cfg, &out)?;
        }
    }
    Ok(())
}
