//! `datasets`: (re)generates what the project ships in `datasets/` — the
//! topology presets in the prototype's JSON format and the seeded EPYC
//! monitoring trace — or writes the running machine's topology.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use slackvm_sim::output::OutputSet;
use slackvm_sim::topology::{self, parse_cpu_list, SysfsOptions};
use slackvm_sim::trace::TraceWriter;
use slackvm_sim::tracegen::{generate, TraceGenConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    about = "Generate the datasets slackvm ships (topologies, traces)",
    version,
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    what: What,
    /// Quiet: print nothing but errors.
    #[arg(short, long, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum What {
    /// Write every topology preset and the default EPYC trace into DIR
    /// (`--out datasets` regenerates the shipped files).
    All {
        /// Output folder (required: no default, so the shipped `datasets/`
        /// is only rewritten on purpose).
        #[arg(long)]
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
    #[command(allow_negative_numbers = true)]
    Trace {
        /// Topology preset name or JSON file.
        #[arg(long, default_value = "epyc-7662-exp")]
        topology: String,
        /// Seed.
        #[arg(long, default_value_t = TraceGenConfig::default().seed)]
        seed: u64,
        /// Run length in seconds.
        #[arg(long, default_value_t = TraceGenConfig::default().duration_s,
              value_parser = clap::value_parser!(u64).range(1..))]
        duration_s: u64,
        /// Peak arrivals per hour.
        #[arg(long, default_value_t = TraceGenConfig::default().peak_arrivals_per_h,
              value_parser = slackvm::cli::positive_finite)]
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

/// Generates a trace into `out` (staged: renamed into place on success);
/// returns the line to report.
fn write_trace(
    topo: topology::Topology,
    cfg: &TraceGenConfig,
    out: &Path,
    inputs: &[&Path],
) -> Result<String> {
    let mut outputs = OutputSet::new(inputs.iter().copied());
    let mut w = TraceWriter::create_as(&outputs.stage(out).context("--out")?, out)?;
    let stats = generate(Arc::new(topo), cfg, &mut w)?;
    w.finish()?;
    outputs.commit()?;
    Ok(format!(
        "{}: {} VMs, {} refused on this host, {} rows",
        out.display(),
        stats.vms,
        stats.refused,
        stats.rows
    ))
}

fn main() -> std::process::ExitCode {
    slackvm::cli::run(|| real_main(Cli::parse()))
}

fn real_main(cli: Cli) -> Result<()> {
    let quiet = cli.quiet;
    let say = |line: String| {
        if !quiet {
            println!("{line}");
        }
    };
    match cli.what {
        What::All { out } => {
            for p in topology::preset_names() {
                let path = out.join(p.file);
                topology::write_json_file(&topology::preset(p.name)?, &path)?;
                say(format!("{}: {}", path.display(), p.about));
            }
            let trace = out.join("trace_EPYC-7662-exp.tsv.gz");
            let topo = topology::preset("epyc-7662-exp")?;
            say(write_trace(topo, &TraceGenConfig::default(), &trace, &[])?);
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
                socket_as_numa,
                ..SysfsOptions::default()
            };
            let full = topology::read_linux(&opts)?;
            if let Some(id) = excluded.iter().find(|id| full.index_of(**id).is_none()) {
                bail!(
                    "--exclude: CPU {id} does not exist on this machine (CPUs: {})",
                    full.cpus()
                        .iter()
                        .map(|c| c.id.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                );
            }
            let topo = full.excluding(&excluded).context("--exclude")?;
            topology::write_json_file(&topo, &out)?;
            say(format!(
                "{}: {} usable CPUs",
                out.display(),
                topo.cpu_count()
            ));
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
            let topo = load_topology(&topology).context("--topology")?;
            say(write_trace(topo, &cfg, &out, &[Path::new(&topology)])?);
        }
    }
    Ok(())
}
