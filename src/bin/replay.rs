//! `replay`: replays a monitoring trace on a topology with the SlackVM local
//! scheduler and writes the recomputed trace (`monitoring.tsv`), a
//! `summary.json` and the paper's figure 3 (`figure3.svg`). With no
//! arguments it uses the EPYC 7662 topology and trace embedded in the binary.

use anyhow::{bail, Context, Result};
use clap::Parser;
use slackvm::cli::progress_bar;
use slackvm_sim::host::{HostOptions, Quirks};
use slackvm_sim::output::OutputSet;
use slackvm_sim::plot::figure3;
use slackvm_sim::replay::{first_pass, replay_learnt, ReplayOptions, TraceSource};
use slackvm_sim::topology::{self, Topology};
use slackvm_sim::trace::TraceWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const EMBEDDED_TOPOLOGY: &str = include_str!("../../datasets/topology_EPYC-7662-exp.json");
const EMBEDDED_TRACE: &[u8] = include_bytes!("../../datasets/trace_EPYC-7662-exp.tsv.gz");

#[derive(Parser)]
#[command(
    about = "Replay a monitoring trace with the SlackVM local scheduler (figure 3 of the paper)",
    version,
    allow_negative_numbers = true,
    after_help = "Quirk names for --quirk: empty-vnode-first-free, replay-mem-kib, balance-mixed-units, \
socket-as-numa, keep-vnode-after-rollback, replay-first-step-clamp, replay-drop-unreported, \
replay-copy-records."
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
    /// Do not write figure3.svg.
    #[arg(long)]
    no_figure: bool,
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
    let q = quirks(&cli)?;
    let source = match &cli.trace {
        Some(p) => TraceSource::File(p.clone()),
        None => TraceSource::Bytes("embedded:trace_EPYC-7662-exp.tsv.gz".into(), EMBEDDED_TRACE),
    };
    // Every output is staged and renamed into --out only once the whole
    // replay succeeded; none may be an input.
    let mut outputs = OutputSet::new(cli.trace.as_deref());
    if let Some(t) = &cli.topology {
        outputs.add_input(Path::new(t));
    }
    for name in OUTPUT_NAMES {
        outputs
            .check(&cli.out.join(name))
            .map_err(|e| anyhow::anyhow!("--out: {e}"))?;
    }
    // The first pass over the trace needs no topology: load it meanwhile.
    let (topo, first) = std::thread::scope(|s| {
        let topo = s.spawn(|| load_topology(&cli));
        let first = first_pass(&source);
        (topo.join(), first)
    });
    let topo = Arc::new(topo.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
    let first = first?;
    let out_path = cli.out.join("monitoring.tsv");
    let mut writer = TraceWriter::create_as(&outputs.stage(&out_path)?, &out_path)?;
    let opts = ReplayOptions {
        host: HostOptions {
            quirks: q,
            critical_size: cli.critical_size,
        },
    };
    let bar = progress_bar(0, "timestamps", cli.quiet);
    let outcome = replay_learnt(
        topo.clone(),
        opts,
        &source,
        first,
        Some(&mut writer),
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )?;
    writer.finish()?;
    bar.finish_and_clear();
    outputs.write(
        &cli.out.join("summary.json"),
        summary_json(&outcome.summary)?.as_bytes(),
    )?;
    if !cli.no_figure {
        let title = format!("vNodes on {} ({} CPUs)", topo.name(), topo.cpu_count());
        let svg = outputs.stage(&cli.out.join("figure3.svg"))?;
        figure3::draw(&outcome.series, &title, &svg).map_err(|e| anyhow::anyhow!(e))?;
    }
    outputs.commit()?;
    if !cli.quiet {
        report(&outcome.summary, &cli.out);
    }
    Ok(())
}

/// The three files a replay writes into `--out`.
const OUTPUT_NAMES: [&str; 3] = ["monitoring.tsv", "summary.json", "figure3.svg"];

/// `summary.json` without the machine's timings (`wall_s`, `rows_per_s`),
/// so that the file depends on the inputs only; the timings go to stdout.
fn summary_json(summary: &slackvm_sim::replay::ReplaySummary) -> Result<String> {
    let mut value = serde_json::to_value(summary)?;
    if let Some(map) = value.as_object_mut() {
        map.remove("wall_s");
        map.remove("rows_per_s");
    }
    Ok(serde_json::to_string_pretty(&value)? + "\n")
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
        "wrote {}/{{monitoring.tsv, summary.json, figure3.svg}}\n",
        out.display()
    );
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(text.as_bytes());
}
