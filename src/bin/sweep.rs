//! `sweep`: the cluster-sizing grid of the paper (how many hosts SlackVM
//! saves against one dedicated cluster per oversubscription level). With
//! no arguments: both catalogues, the 15 distributions, 100..500 initial
//! VMs, `paper` policy, `counting` model, one seed; writes `figures/` and
//! prints our OVHcloud 500-VM table beside the paper's. Thin: parses flags
//! and calls `slackvm_sim::sweep`.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use slackvm::cli::{at_least_one, progress_bar};
use slackvm_sim::cluster::synthetic::{scale_workload, ScaleSpec};
use slackvm_sim::cluster::{EventOrder, ModelKind, Policy, PolicyKind};
use slackvm_sim::output::OutputSet;
use slackvm_sim::sweep::grid::{
    parse_distribution, GridSpec, Shard, DISTRIBUTIONS, PAPER_CATALOGUES, PAPER_VMS,
};
use slackvm_sim::sweep::scale::{peak_rss_mb, run_scale, write_huawei, ScaleConfig};
use slackvm_sim::sweep::scaling::{
    run_series, scaling_svg, ScalePoint, EVENTS_SERIES, HOSTS_SERIES, SCALING_POLICIES,
};
use slackvm_sim::sweep::{merge_dirs, paper, run_grid, write_outputs, OutputFiles, SweepError};
use slackvm_sim::workload::{read_event_csv, read_huawei, Catalogue, EventList};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(
    about = "Cluster sizing sweep: SlackVM vs dedicated clusters per oversubscription level",
    version,
    propagate_version = true,
    args_conflicts_with_subcommands = true,
    args_override_self = true,
    allow_negative_numbers = true
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
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Time one large run: a synthetic workload (or a trace) on a fixed number of hosts; prints one JSON line.
    #[command(allow_negative_numbers = true)]
    Scale(ScaleArgs),
    /// The scaling report: timed runs by hosts (1k..100k) and by events (up to ~1M), written as scaling.jsonl and scaling.svg.
    Scaling {
        /// Output directory (default under target/, untracked: the shipped
        /// figures/scaling.* are rewritten only with `--out figures`).
        #[arg(long, default_value = "target/scaling")]
        out: PathBuf,
        /// Redraw scaling.svg from an existing scaling.jsonl instead of running.
        #[arg(long)]
        from: Option<PathBuf>,
        /// No progress output.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Summarise a monitoring trace per vNode with polars (feature `analysis`).
    TraceStats {
        /// Monitoring trace (TSV).
        trace: PathBuf,
        /// Output CSV (default: print).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors (and the CSV when --out is not given).
        #[arg(short, long)]
        quiet: bool,
    },
}

#[derive(Args)]
struct ScaleArgs {
    /// Hosts of the cluster.
    #[arg(long, default_value_t = 20_000, value_parser = at_least_one)]
    hosts: usize,
    /// VMs of the synthetic workload (each arrives once and may depart once).
    #[arg(long, default_value_t = 40_000, value_parser = at_least_one)]
    vms: usize,
    /// Placement policy: paper, progress, first-fit, best-fit, worst-fit.
    #[arg(long, default_value = "first-fit")]
    policy: String,
    /// Host model: counting or vnode.
    #[arg(long, default_value = "counting")]
    model: String,
    /// CPUs per host.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=65_535))]
    host_cpus: u32,
    /// Memory per host (GB).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    host_mem_gb: u64,
    /// Catalogue the synthetic VM shapes are drawn from (built-in name or JSON/YAML file).
    #[arg(long, default_value = "ovhcloud2023")]
    catalogue: String,
    /// Level shares a/b/c (% of 1:1/2:1/3:1 VMs) of the synthetic workload.
    #[arg(long, default_value = "34/33/33")]
    levels: String,
    /// Average share of the hosts' CPUs the synthetic workload asks for (%).
    #[arg(long, default_value_t = 70, value_parser = clap::value_parser!(u32).range(1..=100))]
    occupancy_pct: u32,
    /// Arrival window of the synthetic workload (s).
    #[arg(long, default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    horizon_s: u64,
    /// Seed of the synthetic workload.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run this trace instead of a synthetic workload (format: --format).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Format of --trace: huawei (Huawei-East-1 CSV) or events (our event-list CSV).
    #[arg(long, default_value = "huawei")]
    format: String,
    /// Write the synthetic workload as a Huawei-East-1 CSV to this file and stop.
    #[arg(long)]
    export_huawei: Option<PathBuf>,
    /// Turn off the published 8 GiB memory cap for oversubscribed VMs.
    #[arg(long)]
    no_mem_cap: bool,
    /// Decide by scanning every host (the straightforward oracle) instead of the host index.
    #[arg(long)]
    scan: bool,
    /// No progress messages (the JSON line is still printed).
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct RunArgs {
    /// Seeds per cell (seeds FIRST, FIRST+1, ...).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
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
    #[arg(long, value_parser = at_least_one)]
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
        .map(|s| match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => anyhow::bail!("--vms: `{s}` is not a count >= 1"),
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
    let bar = progress_bar(units as u64, "workloads", a.quiet);
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

fn scale_workload_of(a: &ScaleArgs) -> Result<(EventList, String)> {
    if let Some(path) = &a.trace {
        let list = match a.format.as_str() {
            "huawei" => read_huawei(path)?,
            "events" => read_event_csv(path)?,
            other => {
                anyhow::bail!("--format: unknown trace format `{other}` (known: huawei, events)")
            }
        };
        return Ok((list, path.display().to_string()));
    }
    let catalogue = Catalogue::resolve(&a.catalogue)?;
    let shares = parse_distribution(&a.levels).map_err(|e| match e {
        SweepError::Param { message, .. } => anyhow::anyhow!("--levels: {message}"),
        other => anyhow::anyhow!("--levels: {other}"),
    })?;
    let spec = ScaleSpec {
        hosts: a.hosts,
        vms: a.vms,
        host_cpus: u64::from(a.host_cpus),
        occupancy_pct: a.occupancy_pct,
        level_shares_pct: shares,
        horizon_s: a.horizon_s,
        seed: a.seed,
    };
    Ok((scale_workload(&catalogue, &spec)?, "synthetic".to_string()))
}

fn scale(a: &ScaleArgs) -> Result<()> {
    let start = Instant::now();
    if !a.quiet {
        eprintln!("scale: building the workload");
    }
    let (list, source) = scale_workload_of(a)?;
    if let Some(path) = &a.export_huawei {
        let mut outputs = OutputSet::new(a.trace.as_deref());
        let tmp = outputs.stage(path).context("--export-huawei")?;
        let file =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", path.display()))?;
        write_huawei(&list, file).with_context(|| format!("writing {}", path.display()))?;
        outputs.commit()?;
        if !a.quiet {
            eprintln!(
                "wrote {} VMs, {} events to {}",
                list.vms.len(),
                list.events.len(),
                path.display()
            );
        }
        return Ok(());
    }
    let load_s = start.elapsed().as_secs_f64();
    let mut cfg = ScaleConfig::new(a.hosts);
    cfg.policy = PolicyKind::parse(&a.policy)?;
    cfg.model = ModelKind::parse(&a.model)?;
    cfg.host_cpus = a.host_cpus;
    cfg.host_mem_mb = a
        .host_mem_gb
        .checked_mul(1024)
        .context("--host-mem-gb is too large")?;
    cfg.mem_cap = !a.no_mem_cap;
    cfg.scan = a.scan;
    if !a.quiet {
        eprintln!(
            "scale: {} VMs, {} events on {} hosts, {} / {}",
            list.vms.len(),
            list.events.len(),
            a.hosts,
            cfg.policy.name(),
            cfg.model.name()
        );
    }
    let run = run_scale(&list, &cfg)?;
    let wall_s = start.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "source": source,
        "hosts": a.hosts,
        "vms": list.vms.len(),
        "policy": cfg.policy.name(),
        "model": cfg.model.name(),
        "index": !cfg.scan && slackvm_sim::with_policy!(cfg.policy, p => p.uses_index()),
        "events": run.events,
        "placed": run.outcome.placed,
        "refused": run.outcome.refused,
        "hosts_used": run.outcome.hosts_used,
        "load_s": load_s,
        "prepare_s": run.prepare_s,
        "simulate_s": run.simulate_s,
        "wall_s": wall_s,
        "events_per_s": run.events as f64 / wall_s,
        "simulate_events_per_s": run.events as f64 / run.simulate_s,
        "peak_rss_mb": peak_rss_mb(),
    });
    println!("{line}");
    Ok(())
}

fn read_points(path: &Path) -> Result<Vec<ScalePoint>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let points: Vec<ScalePoint> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{}:{}: not a scaling point", path.display(), i + 1))
        })
        .collect::<Result<_>>()?;
    if points.is_empty() {
        anyhow::bail!("--from: {} holds no scaling point", path.display());
    }
    Ok(points)
}

fn scaling(out: &Path, from: Option<&Path>, quiet: bool) -> Result<()> {
    let mut outputs = OutputSet::new(from);
    let points = match from {
        Some(path) => read_points(path)?,
        None => {
            let total = (HOSTS_SERIES.len() + EVENTS_SERIES.len()) * SCALING_POLICIES.len();
            let bar = progress_bar(total as u64, "runs", quiet);
            let points = run_series(&|p| {
                bar.set_message(format!(
                    "{} {} hosts {} VMs: {:.3} s",
                    p.policy, p.hosts, p.vms, p.seconds
                ));
                bar.inc(1);
            })?;
            bar.finish_and_clear();
            let mut jsonl = String::new();
            for p in &points {
                jsonl.push_str(&serde_json::to_string(p)?);
                jsonl.push('\n');
            }
            outputs.write(&out.join("scaling.jsonl"), jsonl.as_bytes())?;
            points
        }
    };
    let svg = scaling_svg(&points).map_err(|e| anyhow::anyhow!("drawing scaling.svg: {e}"))?;
    let path = out.join("scaling.svg");
    outputs.write(&path, svg.as_bytes()).context("--out")?;
    outputs.commit()?;
    if !quiet {
        for p in &points {
            println!(
                "{:<7} {:<10} {:>7} hosts {:>7} VMs {:>8} events {:>9.4} s",
                p.series, p.policy, p.hosts, p.vms, p.events, p.seconds
            );
        }
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(feature = "analysis")]
fn report(inputs: &[PathBuf], out: &Path, quiet: bool) -> Result<()> {
    let files = slackvm_sim::sweep::analysis::report(inputs, out)?;
    for f in files.iter().filter(|_| !quiet) {
        eprintln!("wrote {}", f.display());
    }
    Ok(())
}

#[cfg(not(feature = "analysis"))]
fn report(_inputs: &[PathBuf], _out: &Path, _quiet: bool) -> Result<()> {
    anyhow::bail!("`sweep report` needs the `analysis` feature: cargo run --release --features analysis --bin sweep -- report DIR")
}

#[cfg(feature = "analysis")]
fn trace_stats(trace: &Path, out: Option<&Path>) -> Result<()> {
    let text = slackvm_sim::sweep::analysis::trace_stats_csv(trace)?;
    match out {
        Some(p) => {
            slackvm_sim::output::write_file(p, text.as_bytes(), &[trace]).context("--out")?
        }
        None => print!("{text}"),
    }
    Ok(())
}

#[cfg(not(feature = "analysis"))]
fn trace_stats(_trace: &Path, _out: Option<&Path>) -> Result<()> {
    anyhow::bail!("`sweep trace-stats` needs the `analysis` feature: cargo run --release --features analysis --bin sweep -- trace-stats TRACE")
}

fn main() -> std::process::ExitCode {
    slackvm::cli::run(|| real_main(Cli::parse()))
}

fn real_main(cli: Cli) -> Result<()> {
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
        Some(Command::Scale(args)) => scale(args),
        Some(Command::Scaling { out, from, quiet }) => scaling(out, from.as_deref(), *quiet),
        Some(Command::Report { inputs, out, quiet }) => report(inputs, out, *quiet),
        Some(Command::TraceStats { trace, out, .. }) => trace_stats(trace, out.as_deref()),
    }
}
