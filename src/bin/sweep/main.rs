//! `sweep`: the cluster-sizing grid of the paper (how many hosts SlackVM
//! saves against one dedicated cluster per oversubscription level). With
//! no arguments: both catalogues, the 15 distributions, 100..500 initial
//! VMs, `paper` policy, `counting` model, one seed; writes `figures/` and
//! prints our OVHcloud 500-VM table beside the paper's. Thin: parses flags
//! (`args`) and calls `slackvm_sim::sweep` (`grid`, `scale`, `analysis`,
//! `config`).

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

mod analysis;
mod args;
mod config;
mod grid;
mod scale;

use analysis::*;
use args::*;
use config::*;
use grid::*;
use scale::*;

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
