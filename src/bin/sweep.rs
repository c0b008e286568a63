//! `sweep`: the cluster-sizing grid of the paper (how many hosts SlackVM
//! saves against one dedicated cluster per oversubscription level). With
//! no arguments: both catalogues, the 15 distributions, 100..500 initial
//! VMs, `paper` policy, `counting` model, one seed; writes `figures/` and
//! prints our OVHcloud 500-VM table beside the paper's. Thin: parses flags
//! and calls `slackvm_sim::sweep`.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use slackvm::cli::{at_least_one, progress_bar};
use slackvm_sim::cluster::energy::PowerModel;
use slackvm_sim::cluster::price::PriceConfig;
use slackvm_sim::cluster::shortage::AccountingConfig;
use slackvm_sim::cluster::synthetic::{scale_workload, ScaleSpec};
use slackvm_sim::cluster::{EventOrder, ModelKind, PolicyKind, Schedule};
use slackvm_sim::output::OutputSet;
use slackvm_sim::sweep::grid::{
    parse_distribution, GridSpec, Shard, DISTRIBUTIONS, PAPER_CATALOGUES, PAPER_VMS,
};
use slackvm_sim::sweep::host::HostSpec;
use slackvm_sim::sweep::scale::{
    peak_rss_mb, run_schedule, write_huawei, write_vmtable, ScaleConfig,
};
use slackvm_sim::sweep::scaling::{
    run_series, scaling_svg, ScalePoint, EVENTS_SERIES, HOSTS_SERIES, SCALING_POLICIES,
};
use slackvm_sim::sweep::shard::{fingerprint, shard_from_env, write_manifest, Manifest, MANIFEST};
use slackvm_sim::sweep::trace::{
    leveled_schedule_owned, run_trace, trace_name, Oversize, TraceSpec,
};
use slackvm_sim::sweep::{
    merge_dirs, paper, run_grid, write_outputs, OutputFiles, SizingRow, SweepError,
};
use slackvm_sim::workload::rules::parse_level;
use slackvm_sim::workload::{
    read_trace, Catalogue, EventList, HostShape, LevelRule, ReadOptions, TraceFormat, TraceRead,
};
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
    Scale(Box<ScaleArgs>),
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
    #[command(flatten)]
    host: HostArgs,
    /// Catalogue the synthetic VM shapes are drawn from (built-in name or JSON/YAML file).
    #[arg(long, default_value = "ovhcloud2023")]
    catalogue: String,
    /// Levels: shares a/b/c (% of 1:1/2:1/3:1 VMs; synthetic default 34/33/33), or with --trace a rule (docs/traces.md; trace default: every VM 1:1, event lists: `file`).
    #[arg(long)]
    levels: Option<String>,
    /// Average share of the hosts' CPUs the synthetic workload asks for (%).
    #[arg(long, default_value_t = 70, value_parser = clap::value_parser!(u32).range(1..=100))]
    occupancy_pct: u32,
    /// Arrival window of the synthetic workload (s).
    #[arg(long, default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    horizon_s: u64,
    /// Seed of the synthetic workload.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    trace: TraceArgs,
    /// Write the synthetic workload as a Huawei-East-1 CSV to this file and stop.
    #[arg(long)]
    export_huawei: Option<PathBuf>,
    /// Write a synthetic Azure V2 vmtable of --vms VMs (seed --seed) to this file and stop.
    #[arg(long)]
    export_vmtable: Option<PathBuf>,
    #[command(flatten)]
    cap: CapArgs,
    /// Order of simultaneous events: arrivals-first (published) or departures-first.
    #[arg(long, default_value = "arrivals-first")]
    order: String,
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
    #[command(flatten)]
    cap: CapArgs,
    /// Order of simultaneous events: arrivals-first (published) or departures-first.
    #[arg(long, default_value = "arrivals-first")]
    order: String,
    #[command(flatten)]
    host: HostArgs,
    #[command(flatten)]
    trace: TraceArgs,
    /// With --trace: level rule (A/B/C, flavor:FILE, azure-category, priority, huawei-shared, file; docs/traces.md).
    #[arg(long)]
    levels: Option<String>,
    /// Output directory.
    #[arg(long, default_value = "figures")]
    out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = at_least_one)]
    threads: Option<usize>,
    /// Run only the i-th of n slices of the grid (i from 1), e.g. 3/10, or `auto` inside a Slurm job array.
    #[arg(long)]
    shard: Option<String>,
    /// No progress bar or tables.
    #[arg(short, long)]
    quiet: bool,
    /// Read this run's flags from a TOML file (keys: these flags without
    /// dashes; flags given here win; docs/sweep-config.md).
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    #[command(flatten)]
    price: PriceArgs,
}

/// The price of packing: CPU shortage per level, energy, the shared-pool layout.
#[derive(Args)]
struct PriceArgs {
    /// Step of the VMs' CPU usage series and of the shortage accounting (s).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    usage_step_s: u64,
    /// Ratio of the shared pool of the shared-pool layout (default: the smallest oversubscribed level).
    #[arg(long)]
    shared_pool_ratio: Option<f64>,
    /// Host power model: linear:IDLE_W:MAX_W, a shipped SPECpower table (hp-ml110-g4, hp-ml110-g5) or a table file (load_pct,watts).
    #[arg(long, default_value = "hp-ml110-g4")]
    power: String,
    /// Hosts without VMs draw their idle power (on) or nothing (off).
    #[arg(long, default_value = "on", value_parser = ["on", "off"])]
    idle_hosts: String,
    /// Grid carbon intensity (g CO2e per kWh; default: IEA world average 2018).
    #[arg(long, default_value_t = slackvm_sim::cluster::energy::DEFAULT_GRID_G_PER_KWH)]
    grid_gco2_per_kwh: f64,
}

impl PriceArgs {
    fn config(&self) -> Result<PriceConfig> {
        let power = if Path::new(&self.power).is_file() {
            let text = std::fs::read_to_string(&self.power)
                .with_context(|| format!("--power: reading {}", self.power))?;
            PowerModel::parse_table(&text)
                .map_err(|e| anyhow::anyhow!("--power {}: {e}", self.power))?
        } else {
            PowerModel::parse(&self.power).map_err(|e| anyhow::anyhow!("--power: {e}"))?
        };
        if let Some(r) = self.shared_pool_ratio {
            anyhow::ensure!(
                r.is_finite() && r >= 1.0,
                "--shared-pool-ratio: {r} is not a ratio >= 1"
            );
        }
        let g = self.grid_gco2_per_kwh;
        anyhow::ensure!(
            g.is_finite() && g >= 0.0,
            "--grid-gco2-per-kwh: {g} is not >= 0"
        );
        Ok(PriceConfig {
            cpu: None,
            accounting: AccountingConfig {
                step_s: self.usage_step_s,
                power,
                idle_hosts_on: self.idle_hosts == "on",
            },
            shared_pool_ratio: self.shared_pool_ratio,
            grid_g_per_kwh: g,
        })
    }
}

#[derive(Args)]
struct HostArgs {
    /// CPUs of a `counting` host (default 32, or the topology's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=65_535))]
    host_cpus: Option<u32>,
    /// Memory of a `counting` host in GB (default 128, or the topology's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    host_mem_gb: Option<u64>,
    /// Host of the `vnode` model: a topology JSON file or a preset (host-32, epyc-7662, epyc-7662-exp, laptop-8).
    #[arg(long)]
    topology: Option<String>,
}

#[derive(Args)]
struct CapArgs {
    /// Apply the published 8 GiB memory cap for oversubscribed VMs (the grid's default).
    #[arg(long, conflicts_with = "no_mem_cap")]
    mem_cap: bool,
    /// Turn off the published 8 GiB memory cap for oversubscribed VMs.
    #[arg(long)]
    no_mem_cap: bool,
}

impl CapArgs {
    /// The cap of a trace run: explicit, required when the rule gives
    /// oversubscribed levels (off, and irrelevant, when every VM is 1:1).
    fn for_trace(&self, rule: &LevelRule) -> Result<bool> {
        let all_premium = matches!(rule, LevelRule::Shares([100, 0, 0]));
        self.resolve(all_premium.then_some(false))
    }

    /// The cap: explicit, or the default (`None`: required).
    fn resolve(&self, default: Option<bool>) -> Result<bool> {
        match (self.mem_cap, self.no_mem_cap, default) {
            (true, _, _) => Ok(true),
            (_, true, _) => Ok(false),
            (_, _, Some(d)) => Ok(d),
            _ => anyhow::bail!("--mem-cap or --no-mem-cap: with --trace say which memory cap to use (the published 8 GiB cap for oversubscribed VMs alone makes much of the gain on real traces)"),
        }
    }
}

#[derive(Args)]
struct TraceArgs {
    /// A VM trace instead of generated workloads (see --format).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Format of --trace: huawei, azure-vmtable, azure-packing (SQLite), events.
    #[arg(long, default_value = "huawei")]
    format: String,
    /// Skip malformed trace rows (counted and reported) instead of stopping at the first.
    #[arg(long)]
    skip_bad_rows: bool,
    /// azure-vmtable: value of a bucket label, `cores:>24=30` or `mem:>64=70` (defaults: Azure's notebook); repeatable.
    #[arg(long)]
    bucket: Vec<String>,
    /// azure-packing: machine type (vmType.machineId) whose shapes are used (needed when the file has several).
    #[arg(long)]
    machine_id: Option<i64>,
    /// The level of shared-CPU VMs under `--levels huawei-shared`: 2:1 or 3:1.
    #[arg(long, default_value = "3:1")]
    shared_level: String,
    /// A VM no empty host can take: error (default), drop (left out, counted) or count (sizing: as drop; scale: refused and counted).
    #[arg(long, default_value = "error")]
    oversize: String,
}

impl TraceArgs {
    /// The format of --trace.
    fn format(&self) -> Result<TraceFormat> {
        Ok(TraceFormat::parse(&self.format)?)
    }

    /// Reads the trace, reporting skipped rows unless quiet.
    fn read(&self, path: &Path, host: &HostSpec, quiet: bool) -> Result<TraceRead> {
        let format = self.format()?;
        let mut opts = ReadOptions {
            skip_bad_rows: self.skip_bad_rows,
            host: HostShape {
                cpus: host.cpus,
                mem_mb: host.mem_mb,
            },
            machine_id: self.machine_id,
            ..ReadOptions::default()
        };
        for b in &self.bucket {
            opts.buckets.set(b)?;
        }
        let t = read_trace(path, format, &opts)?;
        let r = &t.report;
        if !quiet {
            eprintln!(
                "read {}: {} rows, {} VMs, {} events{}",
                path.display(),
                r.rows,
                t.list.vms.len(),
                t.list.events.len(),
                if r.ended_before_start > 0 {
                    format!(", {} VMs ended before the window", r.ended_before_start)
                } else {
                    String::new()
                }
            );
        }
        if r.skipped > 0 && !quiet {
            eprintln!(
                "skipped {} malformed rows (--skip-bad-rows); the first:",
                r.skipped
            );
            for e in &r.first_skipped {
                eprintln!("  {e}");
            }
        }
        Ok(t)
    }

    /// The level rule of `--levels` for this trace (default: `file` for
    /// event lists, every VM 1:1 for the others).
    fn rule(&self, levels: Option<&str>) -> Result<LevelRule> {
        let shared = parse_level(&self.shared_level)
            .filter(|&l| l > slackvm_sim::level::Level::ONE)
            .ok_or_else(|| {
                anyhow::anyhow!("--shared-level: `{}` is not 2:1 or 3:1", self.shared_level)
            })?;
        let format = self.format()?;
        let default = if format == TraceFormat::Events {
            "file"
        } else {
            "100/0/0"
        };
        let rule = LevelRule::parse(levels.unwrap_or(default), shared)?;
        rule.check_format(format)?;
        Ok(rule)
    }
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
    spec.mem_cap = a.cap.resolve(Some(true))?;
    spec.order = EventOrder::parse(&a.order)?;
    spec.topology = a.host.topology.clone();
    spec.host_cpus = a.host.host_cpus;
    spec.host_mem_gb = a.host.host_mem_gb;
    spec.price = a.price.config()?;
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

/// The shard asked by `--shard` (`auto`: from the Slurm array variables).
fn shard_of(a: &RunArgs) -> Result<Option<Shard>> {
    Ok(match a.shard.as_deref() {
        None => None,
        Some("auto") => Some(shard_from_env(|k| std::env::var(k).ok())?),
        Some(text) => Some(Shard::parse(text)?),
    })
}

/// Writes the outputs of a run: rows, summary, figures, and `shard.json`
/// for a shard (removed from the directory otherwise).
fn finish_run(
    a: &RunArgs,
    rows: &[SizingRow],
    shard: Option<Shard>,
    (total, ran): (usize, usize),
    sweep: &str,
) -> Result<OutputFiles> {
    let files = write_outputs(&a.out, rows)?;
    let manifest = a.out.join(MANIFEST);
    match shard {
        Some(s) => {
            write_manifest(
                &a.out,
                &Manifest {
                    index: s.index,
                    count: s.count,
                    units_total: total,
                    units: ran,
                    sweep: fingerprint(sweep),
                },
            )?;
            if ran == 0 {
                eprintln!(
                    "sweep: shard {}/{} is empty: the sweep has {total} workloads, fewer than its {} shards; wrote an empty sizing.csv and {} so that `sweep merge` knows it",
                    s.index, s.count, s.count, manifest.display()
                );
            }
        }
        None if manifest.exists() => std::fs::remove_file(&manifest)
            .with_context(|| format!("removing the stale {}", manifest.display()))?,
        None => {}
    }
    Ok(files)
}

fn run(a: &RunArgs) -> Result<()> {
    if a.trace.trace.is_some() {
        return run_trace_sweep(a);
    }
    if a.levels.is_some() {
        anyhow::bail!("--levels applies to --trace; the grid's levels are --distribution");
    }
    let spec = spec_of(a)?;
    let shard = shard_of(a)?;
    let total = spec.units().len();
    let units = shard.map_or(total, |s| s.range(total).len());
    let bar = progress_bar(units as u64, "workloads", a.quiet);
    if !a.quiet {
        eprintln!(
            "sweep: {} workloads x {} policies x {} models, memory cap {}, event order {}{}",
            units,
            spec.policies.len(),
            spec.models.len(),
            if spec.mem_cap { "on (8 GiB)" } else { "off" },
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
    let files = finish_run(a, &rows, shard, (total, units), &format!("{spec:?}"))?;
    if !a.quiet {
        eprintln!("done in {:.1} s", start.elapsed().as_secs_f64());
    }
    report_files(&files, a.quiet);
    Ok(())
}

fn run_trace_sweep(a: &RunArgs) -> Result<()> {
    let path = a.trace.trace.as_deref().unwrap_or(Path::new("-"));
    let host = HostSpec::resolve(
        a.host.host_cpus,
        a.host.host_mem_gb,
        a.host.topology.as_deref(),
    )?;
    let rule = a.trace.rule(a.levels.as_deref())?;
    let mem_cap = a.cap.for_trace(&rule)?;
    let trace = a.trace.read(path, &host, a.quiet)?;
    let spec = TraceSpec {
        name: trace_name(path),
        rule,
        seeds: (a.first_seed..a.first_seed.saturating_add(a.seeds)).collect(),
        policies: list(&a.policy, &PolicyKind::ALL, |s| Ok(PolicyKind::parse(s)?))?,
        models: list(&a.model, &ModelKind::ALL, |s| Ok(ModelKind::parse(s)?))?,
        mem_cap,
        order: EventOrder::parse(&a.order)?,
        host,
        oversize: Oversize::parse(&a.trace.oversize)?,
        price: a.price.config()?,
    };
    let shard = shard_of(a)?;
    let total = spec.units().len();
    let units = shard.map_or(total, |s| s.range(total).len());
    if !a.quiet {
        eprintln!(
            "sweep: trace {} ({} VMs), levels {}, memory cap {}, event order {}, {} sizings{}",
            spec.name,
            trace.list.vms.len(),
            spec.rule.name(),
            if mem_cap { "on (8 GiB)" } else { "off" },
            spec.order.name(),
            units,
            shard.map_or(String::new(), |s| format!(
                ", shard {}/{}",
                s.index, s.count
            ))
        );
    }
    let bar = progress_bar(units as u64, "sizings", a.quiet);
    let rows = run_trace(&spec, &trace, shard, a.threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let sweep = format!(
        "trace {} {} {} events {} {:?} {:?} {:?} {} {} {:?} {} {}",
        spec.name,
        trace.list.vms.len(),
        trace.list.events.len(),
        spec.rule.name(),
        spec.seeds,
        spec.policies,
        spec.models,
        mem_cap,
        spec.order.name(),
        spec.oversize,
        spec.host.name(ModelKind::Counting),
        spec.host.name(ModelKind::Vnode)
    );
    let files = finish_run(a, &rows, shard, (total, units), &sweep)?;
    if !a.quiet {
        print_trace_rows(&files.rows);
    }
    Ok(())
}

/// The trace sweep's rows as a table on stdout.
fn print_trace_rows(rows: &[SizingRow]) {
    println!(
        "{:<6} {:<10} {:<9} {:>5} {:>8} {:>9} {:>6} {:>6} {:>6} {:>8} {:>6} {:>8}",
        "seed",
        "policy",
        "model",
        "cap",
        "slackvm",
        "dedicated",
        "1:1",
        "2:1",
        "3:1",
        "gain_%",
        "bound",
        "oversize"
    );
    for r in rows {
        println!(
            "{:<6} {:<10} {:<9} {:>5} {:>8} {:>9} {:>6} {:>6} {:>6} {:>8.2} {:>6} {:>8}",
            r.seed,
            r.policy.name(),
            r.model.name(),
            if r.mem_cap { "on" } else { "off" },
            r.hosts_slackvm,
            r.hosts_dedicated,
            r.hosts_level[0],
            r.hosts_level[1],
            r.hosts_level[2],
            r.gain_pct,
            r.lower_bound,
            r.oversize_vms
        );
    }
}

/// The synthetic workload of `sweep scale`.
fn synthetic_of(a: &ScaleArgs, host: &HostSpec) -> Result<EventList> {
    let catalogue = Catalogue::resolve(&a.catalogue)?;
    let shares =
        parse_distribution(a.levels.as_deref().unwrap_or("34/33/33")).map_err(|e| match e {
            SweepError::Param { message, .. } => anyhow::anyhow!("--levels: {message}"),
            other => anyhow::anyhow!("--levels: {other}"),
        })?;
    let spec = ScaleSpec {
        hosts: a.hosts,
        vms: a.vms,
        host_cpus: u64::from(host.cpus),
        occupancy_pct: a.occupancy_pct,
        level_shares_pct: shares,
        horizon_s: a.horizon_s,
        seed: a.seed,
    };
    Ok(scale_workload(&catalogue, &spec)?)
}

/// The host of `sweep scale`: the flags, or 32 CPUs / 128 GB (a synthetic
/// one-socket `vnode` host).
fn scale_host(a: &ScaleArgs) -> Result<HostSpec> {
    let h = &a.host;
    Ok(match (h.host_cpus, h.host_mem_gb, &h.topology) {
        (None, None, None) => HostSpec::resolve(Some(32), Some(128), None)?,
        (c, g, t) => HostSpec::resolve(c, g, t.as_deref())?,
    })
}

/// Writes a synthetic workload in a public format when asked; true if so.
fn export(a: &ScaleArgs, host: &HostSpec) -> Result<bool> {
    let (path, flag) = match (&a.export_vmtable, &a.export_huawei) {
        (Some(p), _) => (p, "--export-vmtable"),
        (None, Some(p)) => (p, "--export-huawei"),
        (None, None) => return Ok(false),
    };
    // Staged: a failed export leaves any previous file intact.
    let mut outputs = OutputSet::new(a.trace.trace.as_deref());
    let tmp = outputs.stage(path).context(flag)?;
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", path.display()))?;
    let what = if a.export_vmtable.is_some() {
        write_vmtable(a.vms, a.seed, file)
            .with_context(|| format!("writing {}", path.display()))?;
        format!("{} VMs", a.vms)
    } else {
        let list = synthetic_of(a, host)?;
        write_huawei(&list, file).with_context(|| format!("writing {}", path.display()))?;
        format!("{} VMs, {} events", list.vms.len(), list.events.len())
    };
    outputs.commit()?;
    if !a.quiet {
        eprintln!("wrote {what} to {}", path.display());
    }
    Ok(true)
}

/// The schedule of `sweep scale` (a trace with its levels and oversize
/// rule, or the synthetic workload), its source, level rule and oversized VMs.
fn scale_schedule(
    a: &ScaleArgs,
    cfg: &ScaleConfig,
    host: &HostSpec,
) -> Result<(Schedule, String, String, usize)> {
    let Some(path) = &a.trace.trace else {
        let list = synthetic_of(a, host)?;
        let s = Schedule::from_list(list, cfg.order, cfg.mem_cap)?;
        let shares = a.levels.clone().unwrap_or_else(|| "34/33/33".into());
        return Ok((s, "synthetic".into(), shares, 0));
    };
    let trace = a.trace.read(path, host, a.quiet)?;
    let spec = TraceSpec {
        name: trace_name(path),
        rule: a.trace.rule(a.levels.as_deref())?,
        seeds: vec![a.seed],
        policies: vec![cfg.policy],
        models: vec![cfg.model],
        mem_cap: cfg.mem_cap,
        order: cfg.order,
        host: host.clone(),
        oversize: Oversize::parse(&a.trace.oversize)?,
        price: PriceConfig::default(),
    };
    let (s, _, big) = leveled_schedule_owned(&spec, trace, a.seed, cfg.model, true)?;
    Ok((s, path.display().to_string(), spec.rule.name(), big))
}

fn scale(a: &ScaleArgs) -> Result<()> {
    let start = Instant::now();
    let host = scale_host(a)?;
    if export(a, &host)? {
        return Ok(());
    }
    let mut cfg = ScaleConfig::new(a.hosts);
    cfg.policy = PolicyKind::parse(&a.policy)?;
    cfg.model = ModelKind::parse(&a.model)?;
    cfg.host_cpus = host.cpus;
    cfg.host_mem_mb = host.mem_mb;
    cfg.topology = Some(std::sync::Arc::clone(&host.topology));
    cfg.mem_cap = match a.trace.trace {
        Some(_) => a.cap.for_trace(&a.trace.rule(a.levels.as_deref())?)?,
        None => a.cap.resolve(Some(true))?,
    };
    cfg.order = EventOrder::parse(&a.order)?;
    cfg.scan = a.scan;
    if !a.quiet {
        eprintln!("scale: building the workload");
    }
    let (schedule, source, levels, oversize) = scale_schedule(a, &cfg, &host)?;
    let load_s = start.elapsed().as_secs_f64();
    if !a.quiet {
        eprintln!(
            "scale: {} VMs, {} events on {} hosts ({}), {} / {}, levels {}, memory cap {}",
            schedule.vms.len(),
            schedule.events.len(),
            a.hosts,
            host.name(cfg.model),
            cfg.policy.name(),
            cfg.model.name(),
            levels,
            if cfg.mem_cap { "on" } else { "off" }
        );
    }
    let run = run_schedule(&schedule, &cfg, 0.0)?;
    let wall_s = start.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "source": source,
        "hosts": a.hosts,
        "host": host.name(cfg.model),
        "vms": schedule.vms.len(),
        "levels": levels,
        "mem_cap": cfg.mem_cap,
        "event_order": cfg.order.name(),
        "policy": cfg.policy.name(),
        "model": cfg.model.name(),
        "index": !cfg.scan && cfg.policy.uses_index(),
        "events": run.events,
        "placed": run.outcome.placed,
        "refused": run.outcome.refused,
        "oversize_vms": oversize,
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

/// The flags a sweep configuration file holds, in file order.
fn config_flags(path: &Path) -> Result<Vec<String>> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--config: cannot read {shown}"))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| anyhow::anyhow!("--config: {shown}: {e}"))?;
    let command = <Cli as clap::CommandFactory>::command();
    // (flag, repeatable): a repeatable flag takes a list as several flags.
    let known: Vec<(String, bool)> = command
        .get_arguments()
        .filter_map(|a| {
            let repeat = matches!(a.get_action(), clap::ArgAction::Append);
            a.get_long().map(|l| (l.to_string(), repeat))
        })
        .filter(|(l, _)| !matches!(l.as_str(), "config" | "help" | "version"))
        .collect();
    let mut flags = Vec::new();
    for (key, value) in &table {
        let name = key.replace('_', "-");
        let Some(&(_, repeat)) = known.iter().find(|(l, _)| *l == name) else {
            let names: Vec<&str> = known.iter().map(|(l, _)| l.as_str()).collect();
            anyhow::bail!(
                "--config: {shown}: unknown key `{key}` (keys are the flags of `sweep --help`: {})",
                names.join(", ")
            );
        };
        let scalar = |v: &toml::Value| -> Result<String> {
            match v {
                toml::Value::String(s) => Ok(s.clone()),
                toml::Value::Integer(n) => Ok(n.to_string()),
                toml::Value::Float(x) => Ok(x.to_string()),
                _ => anyhow::bail!(
                    "--config: {shown}: key `{key}`: expected a string, a number or a list of them"
                ),
            }
        };
        match value {
            toml::Value::Boolean(true) => flags.push(format!("--{name}")),
            toml::Value::Boolean(false) => {}
            toml::Value::Array(items) => {
                let parts = items.iter().map(scalar).collect::<Result<Vec<_>>>()?;
                if repeat {
                    flags.extend(parts.iter().map(|p| format!("--{name}={p}")));
                } else {
                    flags.push(format!("--{name}={}", parts.join(",")));
                }
            }
            other => flags.push(format!("--{name}={}", scalar(other)?)),
        }
    }
    Ok(flags)
}

fn main() -> std::process::ExitCode {
    slackvm::cli::run(|| {
        let cli = Cli::parse();
        let cli = match &cli.run.config {
            // The file's flags first, then the command line's, which win.
            Some(path) => {
                let mut args: Vec<std::ffi::OsString> = std::env::args_os().take(1).collect();
                args.extend(config_flags(path)?.into_iter().map(Into::into));
                args.extend(std::env::args_os().skip(1));
                Cli::parse_from(args)
            }
            None => cli,
        };
        real_main(cli)
    })
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
