//! `replay`: replays a monitoring trace on a topology with the SlackVM local
//! scheduler and writes the recomputed trace (`monitoring.tsv`), a
//! `summary.json` and the paper's figure 3 (`figure3.svg`). With no
//! arguments it uses the EPYC 7662 topology and trace embedded in the binary.

use anyhow::{bail, Context, Result};
use clap::Parser;
use slackvm::cli::progress_bar;
use slackvm_sim::host::{HostOptions, Quirks};
use slackvm_sim::output::OutputSet;
use slackvm_sim::plot::cluster_replay;
use slackvm_sim::replay::cluster::{self, ClusterReplay};
use slackvm_sim::replay::cluster_summary;
use slackvm_sim::replay::files::{check_outputs, FolderReplay};
use slackvm_sim::replay::{first_pass, ReplayOptions, TraceSource};
use slackvm_sim::topology::{self, Topology};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const EMBEDDED_TOPOLOGY: &str = include_str!("../../datasets/topology_EPYC-7662-exp.json");
const EMBEDDED_TRACE: &[u8] = include_bytes!("../../datasets/trace_EPYC-7662-exp.tsv.gz");

#[derive(Parser)]
#[command(
    about = "Replay a monitoring trace with the SlackVM local scheduler (figure 3 of the paper)",
    version,
    allow_negative_numbers = true,
    after_help = Quirks::help()
)]
struct Cli {
    /// Topology: a prototype JSON file or a preset name (epyc-7662, epyc-7662-exp, host-32, laptop-8).
    /// Default: the embedded EPYC 7662 with 24 CPUs reserved (232 usable).
    #[arg(long)]
    topology: Option<String>,
    /// Monitoring trace (TSV, plain or .gz; `-` for stdin). Default: the embedded EPYC trace.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Output folder for monitoring.tsv, summary.json and figure3.svg.
    #[arg(long, default_value = "figures")]
    out: PathBuf,
    /// `prototype` reproduces the published prototype's output (all quirks on);
    /// `fixed` turns every quirk off; default: the paper's scheduling quirks on, reading bugs fixed.
    #[arg(long)]
    compat: Option<String>,
    /// Set one quirk, e.g. `--quirk empty-vnode-first-free=off` (repeatable; applied after --compat).
    #[arg(long)]
    quirk: Vec<String>,
    /// Critical size of the pinning balance (OVSB_CRITICAL_SIZE).
    #[arg(long, default_value_t = slackvm_sim::host::DEFAULT_CRITICAL_SIZE,
          value_parser = slackvm::cli::at_least_one)]
    critical_size: usize,
    /// Do not write figure3.svg (nor cluster.svg).
    #[arg(long)]
    no_figure: bool,
    /// Replay a cluster: DIR holds one trace per host (NAME.tsv or NAME.tsv.gz, optionally
    /// NAME.topology.json beside it, else --topology applies), replayed in parallel into OUT/NAME/,
    /// plus OUT/cluster-summary.json and OUT/cluster.svg.
    #[arg(long, value_name = "DIR", conflicts_with = "trace")]
    cluster: Option<PathBuf>,
    /// Worker threads of --cluster (default: one per core).
    #[arg(long, value_parser = slackvm::cli::at_least_one)]
    threads: Option<usize>,
    /// Quiet: no progress bar, no report.
    #[arg(short, long)]
    quiet: bool,
}

fn quirks(cli: &Cli) -> Result<Quirks> {
    let mut q = match cli.compat.as_deref() {
        None | Some("paper") => Quirks::default(),
        Some("prototype") => Quirks::prototype(),
        Some("fixed") => Quirks::fixed(),
        Some(other) => bail!("--compat: unknown mode `{other}` (use prototype, paper or fixed)"),
    };
    for item in &cli.quirk {
        q.apply_list(item)
            .map_err(|e| anyhow::anyhow!("--quirk: {e}"))?;
    }
    Ok(q)
}

fn load_topology(cli: &Cli) -> Result<Topology> {
    Ok(match cli.topology.as_deref() {
        None => topology::parse_json(EMBEDDED_TOPOLOGY, "embedded:topology_EPYC-7662-exp.json")?,
        Some(spec) if Path::new(spec).exists() => topology::load_json_file(spec.as_ref())?,
        Some(spec) if spec.ends_with(".json") => bail!("--topology: file `{spec}` does not exist"),
        Some(spec) => topology::preset(spec).context("--topology")?,
    })
}

fn main() -> std::process::ExitCode {
    slackvm::cli::run(|| real_main(Cli::parse()))
}

fn real_main(cli: Cli) -> Result<()> {
    if let Some(dir) = &cli.cluster {
        return cluster_main(&cli, dir);
    }
    let q = quirks(&cli)?;
    let source = match &cli.trace {
        Some(p) => TraceSource::File(p.clone()),
        None => TraceSource::Bytes("embedded:trace_EPYC-7662-exp.tsv.gz".into(), EMBEDDED_TRACE),
    };
    let mut inputs: Vec<PathBuf> = cli.trace.iter().cloned().collect();
    inputs.extend(cli.topology.as_ref().map(PathBuf::from));
    // Outputs that are inputs are refused before anything is read.
    check_outputs(&cli.out, &inputs).map_err(|e| anyhow::anyhow!("--out: {e}"))?;
    // The first pass over the trace needs no topology: load it meanwhile.
    let (topo, first) = std::thread::scope(|s| {
        let topo = s.spawn(|| load_topology(&cli));
        let first = first_pass(&source);
        (topo.join(), first)
    });
    let topo = Arc::new(topo.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
    let first = first?;
    let job = FolderReplay {
        topo,
        opts: options(&cli, q),
        source,
        out: cli.out.clone(),
        figure: !cli.no_figure,
        inputs,
    };
    let bar = progress_bar(0, "timestamps", cli.quiet);
    let outcome = job.run(first, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    if !cli.quiet {
        report(&outcome.summary, &cli.out);
    }
    Ok(())
}

fn options(cli: &Cli, quirks: Quirks) -> ReplayOptions {
    ReplayOptions {
        host: HostOptions {
            quirks,
            critical_size: cli.critical_size,
        },
    }
}

/// `--cluster DIR`: every host's trace replayed in parallel into OUT/NAME/,
/// then cluster-summary.json and cluster.svg; a failing host is named
/// (with its line) after the others are written.
fn cluster_main(cli: &Cli, dir: &Path) -> Result<()> {
    let q = quirks(cli)?;
    let hosts = cluster::discover(dir)?;
    let job = ClusterReplay {
        topo: Arc::new(load_topology(cli)?),
        opts: options(cli, q),
        out: cli.out.clone(),
        threads: cli.threads,
        figures: !cli.no_figure,
    };
    let bar = progress_bar(hosts.len() as u64, "hosts", cli.quiet);
    let results = job.run(&hosts)?;
    bar.finish_and_clear();
    let timeline = cluster_summary::timeline(&results);
    let summary = cluster_summary::summarize(&results, &timeline);
    let inputs: Vec<&Path> = hosts.iter().map(|h| h.trace.as_path()).collect();
    let mut outputs = OutputSet::new(inputs);
    let json = serde_json::to_string_pretty(&summary)? + "\n";
    outputs.write(&cli.out.join("cluster-summary.json"), json.as_bytes())?;
    if !cli.no_figure {
        let svg = outputs.stage(&cli.out.join("cluster.svg"))?;
        let title = format!("CPUs of the {} hosts of {}", hosts.len(), dir.display());
        cluster_replay::draw(&timeline, &title, &svg).map_err(|e| anyhow::anyhow!(e))?;
    }
    outputs.commit()?;
    let failed: Vec<&str> = results
        .iter()
        .filter_map(|r| r.outcome.as_ref().err().map(String::as_str))
        .collect();
    if !cli.quiet {
        println!(
            "replayed {} of {} hosts into {}",
            hosts.len() - failed.len(),
            hosts.len(),
            cli.out.display()
        );
    }
    if !failed.is_empty() {
        bail!("{}", failed.join("\n"));
    }
    Ok(())
}

fn report(s: &slackvm_sim::replay::ReplaySummary, out: &Path) {
    use std::io::Write;
    let mut text = String::new();
    text += &format!(
        "replayed {} rows ({} timestamps, {} VMs) in {:.3} s: {:.0} rows/s\n",
        s.rows_in, s.timestamps, s.vms_seen, s.wall_s, s.rows_per_s
    );
    for (level, n) in &s.accepted {
        let refused = s.refused_per_level.get(level).copied().unwrap_or(0);
        text += &format!("  level {level}: {n} accepted, {refused} refused\n");
    }
    for r in &s.refused {
        text += &format!(
            "  refused {} at {} s (level {}): {}\n",
            r.vm, r.time_s, r.level, r.resource
        );
    }
    for v in &s.vnodes {
        text += &format!(
            "  {} {}: min {} max {} final {}\n",
            v.res, v.subset, v.min, v.max, v.last
        );
    }
    text += &format!(
        "wrote {}/{{monitoring.tsv, summary.json, figure3.csv, figure3.svg}}\n",
        out.display()
    );
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(text.as_bytes());
}
