//! The `sweep` command line: subcommands and flag groups (clap), and how
//! the price, memory-cap and trace flags turn into library values.

use super::*;

#[derive(Parser)]
#[command(
    about = "Cluster sizing sweep: SlackVM vs dedicated clusters per oversubscription level",
    version,
    propagate_version = true,
    args_conflicts_with_subcommands = true,
    args_override_self = true,
    allow_negative_numbers = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
pub(crate) struct ScaleArgs {
    /// Hosts of the cluster.
    #[arg(long, default_value_t = 20_000, value_parser = at_least_one)]
    pub(crate) hosts: usize,
    /// VMs of the synthetic workload (each arrives once and may depart once).
    #[arg(long, default_value_t = 40_000, value_parser = at_least_one)]
    pub(crate) vms: usize,
    /// Placement policy: paper, progress, first-fit, best-fit, worst-fit.
    #[arg(long, default_value = "first-fit")]
    pub(crate) policy: String,
    /// Host model: counting or vnode.
    #[arg(long, default_value = "counting")]
    pub(crate) model: String,
    #[command(flatten)]
    pub(crate) host: HostArgs,
    /// Catalogue the synthetic VM shapes are drawn from (built-in name or JSON/YAML file).
    #[arg(long, default_value = "ovhcloud2023")]
    pub(crate) catalogue: String,
    /// Levels: shares a/b/c (% of 1:1/2:1/3:1 VMs; synthetic default 34/33/33), or with --trace a rule (docs/traces.md; trace default: every VM 1:1, event lists: `file`).
    #[arg(long)]
    pub(crate) levels: Option<String>,
    /// Average share of the hosts' CPUs the synthetic workload asks for (%).
    #[arg(long, default_value_t = 70, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(crate) occupancy_pct: u32,
    /// Arrival window of the synthetic workload (s).
    #[arg(long, default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) horizon_s: u64,
    /// Seed of the synthetic workload.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    #[command(flatten)]
    pub(crate) trace: TraceArgs,
    /// Write the synthetic workload as a Huawei-East-1 CSV to this file and stop.
    #[arg(long)]
    pub(crate) export_huawei: Option<PathBuf>,
    /// Write a synthetic Azure V2 vmtable of --vms VMs (seed --seed) to this file and stop.
    #[arg(long)]
    pub(crate) export_vmtable: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) cap: CapArgs,
    /// Order of simultaneous events: arrivals-first (published) or departures-first.
    #[arg(long, default_value = "arrivals-first")]
    pub(crate) order: String,
    /// Decide by scanning every host (the straightforward oracle) instead of the host index.
    #[arg(long)]
    pub(crate) scan: bool,
    /// No progress messages (the JSON line is still printed).
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(Args)]
pub(crate) struct RunArgs {
    /// Seeds per cell (seeds FIRST, FIRST+1, ...).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub(crate) seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    pub(crate) first_seed: u64,
    /// Policies, comma-separated: paper, progress, first-fit, best-fit, worst-fit, or `all`.
    #[arg(long, default_value = "paper")]
    pub(crate) policy: String,
    /// Host models, comma-separated: counting, vnode, or `all`.
    #[arg(long, default_value = "counting")]
    pub(crate) model: String,
    /// Catalogues, comma-separated: built-in names (ovhcloud2023, azure2017, chameleon2020) or JSON/YAML files.
    #[arg(long, default_value = "ovhcloud2023,azure2017")]
    pub(crate) catalogue: String,
    /// Initial VM counts, comma-separated.
    #[arg(long, default_value = "100,200,300,400,500")]
    pub(crate) vms: String,
    /// Level distributions a/b/c (1:1/2:1/3:1 %), comma-separated, or `paper` for the 15 of the paper.
    #[arg(long, default_value = "paper")]
    pub(crate) distribution: String,
    #[command(flatten)]
    pub(crate) cap: CapArgs,
    /// Order of simultaneous events: arrivals-first (published) or departures-first.
    #[arg(long, default_value = "arrivals-first")]
    pub(crate) order: String,
    #[command(flatten)]
    pub(crate) host: HostArgs,
    #[command(flatten)]
    pub(crate) trace: TraceArgs,
    /// With --trace: level rule (A/B/C, flavor:FILE, azure-category, priority, huawei-shared, file; docs/traces.md).
    #[arg(long)]
    pub(crate) levels: Option<String>,
    /// Output directory.
    #[arg(long, default_value = "figures")]
    pub(crate) out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = at_least_one)]
    pub(crate) threads: Option<usize>,
    /// Run only the i-th of n slices of the grid (i from 1), e.g. 3/10, or `auto` inside a Slurm job array.
    #[arg(long)]
    pub(crate) shard: Option<String>,
    /// No progress bar or tables.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Read this run's flags from a TOML file (keys: these flags without
    /// dashes; flags given here win; docs/sweep-config.md).
    #[arg(long, value_name = "FILE.toml")]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) price: PriceArgs,
}

/// The price of packing: CPU shortage per level, energy, the shared-pool layout.
#[derive(Args)]
pub(crate) struct PriceArgs {
    /// Step of the VMs' CPU usage series and of the shortage accounting (s).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) usage_step_s: u64,
    /// Ratio of the shared pool of the shared-pool layout (default: the smallest oversubscribed level).
    #[arg(long)]
    pub(crate) shared_pool_ratio: Option<f64>,
    /// Host power model: linear:IDLE_W:MAX_W, a shipped SPECpower table (hp-ml110-g4, hp-ml110-g5) or a table file (load_pct,watts).
    #[arg(long, default_value = "hp-ml110-g4")]
    pub(crate) power: String,
    /// Hosts without VMs draw their idle power (on) or nothing (off).
    #[arg(long, default_value = "on", value_parser = ["on", "off"])]
    pub(crate) idle_hosts: String,
    /// Grid carbon intensity (g CO2e per kWh; default: IEA world average 2018).
    #[arg(long, default_value_t = slackvm_sim::cluster::energy::DEFAULT_GRID_G_PER_KWH)]
    pub(crate) grid_gco2_per_kwh: f64,
}

impl PriceArgs {
    pub(crate) fn config(&self) -> Result<PriceConfig> {
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
pub(crate) struct HostArgs {
    /// CPUs of a `counting` host (default 32, or the topology's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=65_535))]
    pub(crate) host_cpus: Option<u32>,
    /// Memory of a `counting` host in GB (default 128, or the topology's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    pub(crate) host_mem_gb: Option<u64>,
    /// Host of the `vnode` model: a topology JSON file or a preset (host-32, epyc-7662, epyc-7662-exp, laptop-8).
    #[arg(long)]
    pub(crate) topology: Option<String>,
}

#[derive(Args)]
pub(crate) struct CapArgs {
    /// Apply the published 8 GiB memory cap for oversubscribed VMs (the grid's default).
    #[arg(long, conflicts_with = "no_mem_cap")]
    pub(crate) mem_cap: bool,
    /// Turn off the published 8 GiB memory cap for oversubscribed VMs.
    #[arg(long)]
    pub(crate) no_mem_cap: bool,
}

impl CapArgs {
    /// The cap of a trace run: explicit, required when the rule gives
    /// oversubscribed levels (off, and irrelevant, when every VM is 1:1).
    pub(crate) fn for_trace(&self, rule: &LevelRule) -> Result<bool> {
        let all_premium = matches!(rule, LevelRule::Shares([100, 0, 0]));
        self.resolve(all_premium.then_some(false))
    }

    /// The cap: explicit, or the default (`None`: required).
    pub(crate) fn resolve(&self, default: Option<bool>) -> Result<bool> {
        match (self.mem_cap, self.no_mem_cap, default) {
            (true, _, _) => Ok(true),
            (_, true, _) => Ok(false),
            (_, _, Some(d)) => Ok(d),
            _ => anyhow::bail!("--mem-cap or --no-mem-cap: with --trace say which memory cap to use (the published 8 GiB cap for oversubscribed VMs alone makes much of the gain on real traces)"),
        }
    }
}

#[derive(Args)]
pub(crate) struct TraceArgs {
    /// A VM trace instead of generated workloads (see --format).
    #[arg(long)]
    pub(crate) trace: Option<PathBuf>,
    /// Format of --trace: huawei, azure-vmtable, azure-packing (SQLite), events, monitoring (our monitoring trace).
    #[arg(long, default_value = "huawei")]
    pub(crate) format: String,
    /// Skip malformed trace rows (counted and reported) instead of stopping at the first.
    #[arg(long)]
    pub(crate) skip_bad_rows: bool,
    /// azure-vmtable: value of a bucket label, `cores:>24=30` or `mem:>64=70` (defaults: Azure's notebook); repeatable.
    #[arg(long)]
    pub(crate) bucket: Vec<String>,
    /// azure-packing: machine type (vmType.machineId) whose shapes are used (needed when the file has several).
    #[arg(long)]
    pub(crate) machine_id: Option<i64>,
    /// The level of shared-CPU VMs under `--levels huawei-shared`: 2:1 or 3:1.
    #[arg(long, default_value = "3:1")]
    pub(crate) shared_level: String,
    /// A VM no empty host can take: error (default), drop (left out, counted) or count (sizing: as drop; scale: refused and counted).
    #[arg(long, default_value = "error")]
    pub(crate) oversize: String,
}

impl TraceArgs {
    /// The format of --trace.
    pub(crate) fn format(&self) -> Result<TraceFormat> {
        Ok(TraceFormat::parse(&self.format)?)
    }

    /// Reads the trace, reporting skipped rows unless quiet.
    pub(crate) fn read(&self, path: &Path, host: &HostSpec, quiet: bool) -> Result<TraceRead> {
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
    pub(crate) fn rule(&self, levels: Option<&str>) -> Result<LevelRule> {
        let shared = parse_level(&self.shared_level)
            .filter(|&l| l > slackvm_sim::level::Level::ONE)
            .ok_or_else(|| {
                anyhow::anyhow!("--shared-level: `{}` is not 2:1 or 3:1", self.shared_level)
            })?;
        let format = self.format()?;
        let default = if matches!(format, TraceFormat::Events | TraceFormat::Monitoring) {
            "file"
        } else {
            "100/0/0"
        };
        let rule = LevelRule::parse(levels.unwrap_or(default), shared)?;
        rule.check_format(format)?;
        Ok(rule)
    }
}
