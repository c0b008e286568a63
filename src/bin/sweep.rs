//! `sweep`: the cluster-sizing grid of the paper (how many hosts SlackVM
//! saves against one dedicated cluster per oversubscription level). With
//! no arguments: both catalogues, the 15 distributions, 100..500 initial
//! VMs, `paper` policy, `counting` model, one seed; writes `figures/` and
//! prints our OVHcloud 500-VM table beside the paper's. Thin: parses flags
//! and calls `slackvm_sim::sweep`.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use slackvm_sim::cluster::{EventOrder, ModelKind, PolicyKind};
use slackvm_sim::sweep::grid::{
    parse_distribution, GridSpec, Shard, DISTRIBUTIONS, PAPER_CATALOGUES, PAPER_VMS,
};
use slackvm_sim::sweep::{merge_dirs, paper, run_grid, write_outputs, OutputFiles};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(
    about = "Cluster sizing sweep: SlackVM vs dedicated clusters per oversubscription level",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Join the sizing.csv of shard directories into the outputs a single run writes.
    Merge {
        /// Shard output directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, default_value = "figures")]
        out: PathBuf,
        /// No output but errors.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Scan sizing.csv files with polars: summary.csv plus per-policy and per-model pivots (feature `analysis`).
    Report {
        /// Directories or sizing.csv files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, default_value = "figures/report")]
        out: PathBuf,
    },
    /// Summarise a monitoring trace per vNode with polars (feature `analysis`).
    TraceStats {
        /// Monitoring trace (TSV).
        trace: PathBuf,
        /// Output CSV (default: print).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args)]
struct RunArgs {
    /// Seeds per cell (seeds FIRST, FIRST+1, ...).
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Policies, comma-separated: paper, progress, first-fit, best-fit, worst-fit, or `all`.
    #[arg(long, default_value = "paper")]
    policy: String,
    /// Host models, comma-separated: counting, vnode, or `all`.
    #[arg(long, default_value = "counting")]
    model: String,
    /// Catalogues, comma-separated: built-in names (ovhcloud2023, azure2017, chameleon2020) or JSON/YAML files.
    #[arg(long, default_value = "ovhcloud2023,azure2017")]
    catalogue: String,
    /// Initial VM counts, comma-separated.
    #[arg(long, default_value = "100,200,300,400,500")]
    vms: String,
    /// Level distributions a/b/c (1:1/2:1/3:1 %), comma-separated, or `paper` for the 15 of the paper.
    #[arg(long, default_value = "paper")]
    distribution: String,
    /// Turn off the published 8 GiB memory cap for oversubscribed VMs.
    #[arg(long)]
    no_mem_cap: bool,
    /// Order of simultaneous events: arrivals-first (published) or departures-first.
    #[arg(long, default_value = "arrivals-first")]
    order: String,
    /// Topology preset of `vnode` hosts.
    #[arg(long, default_value = "host-32")]
    topology: String,
    /// Output directory.
    #[arg(long, default_value = "figures")]
    out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Run only the i-th of n slices of the grid (i from 1), e.g. 3/10 for a job array.
    #[arg(long)]
    shard: Option<String>,
    /// No progress bar or tables.
    #[arg(short, long)]
    quiet: bool,
}

fn list<T>(text: &str, all: &[T], parse: impl Fn(&str) -> Result<T>) -> Result<Vec<T>>
where
    T: Copy,
{
    if text == "all" {
        return Ok(all.to_vec());
    }
    text.split(',').map(|s| parse(s.trim())).collect()
}

fn spec_of(a: &RunArgs) -> Result<GridSpec> {
    let mut spec = GridSpec::paper(1);
    spec.seeds = (a.first_seed..a.first_seed.saturating_add(a.seeds)).collect();
    spec.policies = list(&a.policy, &PolicyKind::ALL, |s| Ok(PolicyKind::parse(s)?))?;
    spec.models = list(&a.model, &ModelKind::ALL, |s| Ok(ModelKind::parse(s)?))?;
    spec.catalogues = a
        .catalogue
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    spec.vms = a
        .vms
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<usize>()
                .with_context(|| format!("--vms: `{s}` is not a count"))
        })
        .collect::<Result<_>>()?;
    spec.distributions = if a.distribution == "paper" {
        DISTRIBUTIONS.to_vec()
    } else {
        a.distribution
            .split(',')
            .map(|s| Ok(parse_distribution(s)?))
            .collect::<Result<_>>()?
    };
    spec.mem_cap = !a.no_mem_cap;
    spec.order = EventOrder::parse(&a.order)?;
    spec.topology = a.topology.clone();
    Ok(spec)
}

fn report_files(files: &OutputFiles, quiet: bool) {
    if quiet {
        return;
    }
    eprintln!(
        "wrote {} rows to {}, {} cells to {}, {} figures",
        files.rows.len(),
        files.sizing.display(),
        files.cells.len(),
        files.summary.display(),
        files.figures.len()
    );
    if let Some((table, _)) = paper::compare_ovh_500(&files.cells) {
        println!("{table}");
    }
}

fn run(a: &RunArgs) -> Result<()> {
    let spec = spec_of(a)?;
    let shard = a.shard.as_deref().map(Shard::parse).transpose()?;
    let total = spec.units().len();
    let units = shard.map_or(total, |s| s.range(total).len());
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(units as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} workloads {msg}")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    if !a.quiet {
        eprintln!(
            "sweep: {} workloads x {} policies x {} models, memory cap {}, event order {}{}",
            units,
            spec.policies.len(),
            spec.models.len(),
            if spec.mem_cap { "on" } else { "off" },
            spec.order.name(),
            shard.map_or(String::new(), |s| format!(
                ", shard {}/{}",
                s.index, s.count
            ))
        );
    }
    let start = Instant::now();
    let rows = run_grid(&spec, shard, a.threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let files = write_outputs(&a.out, &rows)?;
    if !a.quiet {
        eprintln!("done in {:.1} s", start.elapsed().as_secs_f64());
    }
    report_files(&files, a.quiet);
    Ok(())
}

#[cfg(feature = "analysis")]
fn report(inputs: &[PathBuf], out: &Path) -> Result<()> {
    let files = slackvm_sim::sweep::analysis::report(inputs, out)?;
    for f in files {
        eprintln!("wrote {}", f.display());
    }
    Ok(())
}

#[cfg(not(feature = "analysis"))]
fn report(_inputs: &[PathBuf], _out: &Path) -> Result<()> {
    anyhow::bail!("`sweep report` needs the `analysis` feature: cargo run --release --features analysis --bin sweep -- report DIR")
}

#[cfg(feature = "analysis")]
fn trace_stats(trace: &Path, out: Option<&Path>) -> Result<()> {
    let text = slackvm_sim::sweep::analysis::trace_stats_csv(trace)?;
    match out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

#[cfg(not(feature = "analysis"))]
fn trace_stats(_trace: &Path, _out: Option<&Path>) -> Result<()> {
    anyhow::bail!("`sweep trace-stats` needs the `analysis` feature: cargo run --release --features analysis --bin sweep -- trace-stats TRACE")
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // Keep the paper grid constants referenced so `--help` defaults stay in sync.
    debug_assert_eq!(PAPER_CATALOGUES.join(","), "ovhcloud2023,azure2017");
    debug_assert_eq!(PAPER_VMS.len(), 5);
    match &cli.command {
        None => run(&cli.run),
        Some(Command::Merge { dirs, out, quiet }) => {
            let files = merge_dirs(dirs, out)?;
            report_files(&files, *quiet);
            Ok(())
        }
        Some(Command::Report { inputs, out }) => report(inputs, out),
        Some(Command::TraceStats { trace, out }) => trace_stats(trace, out.as_deref()),
    }
}
