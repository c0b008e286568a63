//! `slackvm-local`: the local scheduler daemon of one host (default
//! 127.0.0.1:8099). Flags override the prototype's environment variables
//! (and a `.env` file). Prints `listening on ADDR` once ready.

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use slackvm_live::config::{self, EnvSource};
use slackvm_live::hypervisor::domain_xml::DomainTemplate;
use slackvm_live::hypervisor::memory::MemoryBackend;
use slackvm_live::hypervisor::Hypervisor;
use slackvm_live::local::{self, LocalCore, LocalOptions};
use slackvm_live::params::{DiskPolicy, Levels};
use slackvm_live::server::Limits;
use slackvm_live::{monitor, startup, trace};
use slackvm_sim::topology::{self, SysfsOptions, Topology};
use slackvm_sim::{Host, HostOptions};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    /// VMs in memory, synthetic usage (runs anywhere).
    Memory,
    /// libvirt (needs the `live` feature).
    Libvirt,
}

#[derive(Debug, Parser)]
#[command(version, about = "SlackVM local scheduler daemon")]
struct Args {
    /// Address to listen on (overrides SCL_URL/SCL_PORT; default 127.0.0.1:8099).
    #[arg(long)]
    listen: Option<String>,
    /// Allow a non-loopback listen address (needs --token-file or --insecure-no-token).
    #[arg(long)]
    allow_remote: bool,
    /// With --allow-remote: serve without a token (logged as a warning).
    #[arg(long)]
    insecure_no_token: bool,
    /// Accepted `oc` levels, comma separated (others are refused with 400).
    #[arg(long, default_value = "1.0,2.0,3.0")]
    levels: String,
    /// Memory backend: every deployment and removal takes this long (tests of slow hypervisors).
    #[arg(long, default_value_t = 0)]
    memory_latency_ms: u64,
    /// Reconcile with the hypervisor every N seconds (VMs removed or added outside the daemon).
    #[arg(long, default_value_t = 30.0)]
    reconcile_s: f64,
    /// Time a client has to send its request headers, in milliseconds (also the keep-alive idle limit).
    #[arg(long, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// Connections served at once.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Topology JSON file (prototype format); default: read this machine's /sys.
    #[arg(long, conflicts_with = "preset")]
    topology: Option<PathBuf>,
    /// A generated topology preset instead (epyc-7662, epyc-7662-exp, host-32, laptop-8).
    #[arg(long)]
    preset: Option<String>,
    /// CPU ids reserved for the host, e.g. `0-1` (overrides TOPO_EXCLUDE).
    #[arg(long)]
    exclude: Option<String>,
    /// Balancing critical size (overrides OVSB_CRITICAL_SIZE; default 6).
    #[arg(long)]
    critical_size: Option<usize>,
    /// Hypervisor backend.
    #[arg(long, value_enum, default_value_t = Backend::Memory)]
    backend: Backend,
    /// Memory backend: file the VM list is persisted to (restart recovery).
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Memory backend: seed of the synthetic usage.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// libvirt URI (overrides QEMU_URL; default qemu:///system).
    #[arg(long)]
    libvirt_uri: Option<String>,
    /// Emulator binary (overrides QEMU_LOC).
    #[arg(long)]
    emulator: Option<String>,
    /// Machine type (overrides QEMU_MACHINE).
    #[arg(long)]
    machine: Option<String>,
    /// Domain type: kvm, qemu or test.
    #[arg(long, default_value = "kvm")]
    domain_type: String,
    /// Directory disk images must lie under (none: any absolute path to a
    /// regular file on a loopback-only daemon, no disk otherwise).
    #[arg(long)]
    image_root: Option<PathBuf>,
    /// File holding a bearer token required on every request.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Monitoring trace to write (created at start); no monitoring without it.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Monitoring period in seconds (overrides SCL_DELAY; default 15).
    #[arg(long)]
    delay_s: Option<f64>,
    /// Where /proc is (per-CPU usage and memory).
    #[arg(long, default_value = "/proc")]
    proc_root: PathBuf,
    /// `.env` file read when present.
    #[arg(long, default_value = ".env")]
    env_file: PathBuf,
}

fn load_topology(args: &Args, env: &EnvSource) -> Result<Topology> {
    let excluded = match args.exclude.as_deref().or(env.get("TOPO_EXCLUDE")) {
        Some(list) => topology::parse_cpu_list(list)
            .map_err(anyhow::Error::msg)
            .context("TOPO_EXCLUDE / --exclude")?,
        None => Vec::new(),
    };
    let topo = if let Some(path) = &args.topology {
        topology::load_json_file(path)?
    } else if let Some(name) = &args.preset {
        topology::preset(name)?
    } else {
        return Ok(topology::read_linux(&SysfsOptions {
            excluded,
            ..SysfsOptions::default()
        })?);
    };
    Ok(if excluded.is_empty() {
        topo
    } else {
        topo.excluding(&excluded)?
    })
}

fn backend(args: &Args, env: &EnvSource) -> Result<Box<dyn Hypervisor>> {
    match args.backend {
        Backend::Memory => Ok(Box::new(
            MemoryBackend::new(args.seed, args.state_file.clone())?
                .with_latency(Duration::from_millis(args.memory_latency_ms)),
        )),
        Backend::Libvirt => libvirt_backend(args, env),
    }
}

#[cfg(feature = "live")]
fn libvirt_backend(args: &Args, env: &EnvSource) -> Result<Box<dyn Hypervisor>> {
    let uri = args
        .libvirt_uri
        .clone()
        .or_else(|| env.get("QEMU_URL").map(str::to_string))
        .unwrap_or_else(|| "qemu:///system".to_string());
    let template = DomainTemplate {
        domain_type: args.domain_type.clone(),
        emulator: args
            .emulator
            .clone()
            .or_else(|| env.get("QEMU_LOC").map(str::to_string)),
        machine: args
            .machine
            .clone()
            .or_else(|| env.get("QEMU_MACHINE").map(str::to_string)),
    };
    let b = slackvm_live::hypervisor::libvirt::LibvirtBackend::open(&uri, template)
        .with_context(|| format!("libvirt connection to {uri}"))?;
    Ok(Box::new(b))
}

#[cfg(not(feature = "live"))]
fn libvirt_backend(_args: &Args, _env: &EnvSource) -> Result<Box<dyn Hypervisor>> {
    let _ = DomainTemplate::default();
    anyhow::bail!("the libvirt backend needs a build with `--features live` (Debian: apt-get install libvirt-dev pkg-config)")
}

fn image_root(args: &Args) -> Result<Option<PathBuf>> {
    args.image_root
        .as_ref()
        .map(|p| std::fs::canonicalize(p).with_context(|| format!("--image-root {}", p.display())))
        .transpose()
}

/// The local scheduler over this host's topology and the chosen backend,
/// with the backend's VMs adopted.
fn local_core(args: &Args, env: &EnvSource) -> Result<LocalCore> {
    let topo = Arc::new(load_topology(args, env)?);
    let critical_size = match args.critical_size {
        Some(n) => n,
        None => env
            .parse::<usize>("OVSB_CRITICAL_SIZE")?
            .unwrap_or(slackvm_sim::host::DEFAULT_CRITICAL_SIZE),
    };
    let host = Host::new(
        topo.clone(),
        HostOptions {
            critical_size,
            ..HostOptions::default()
        },
    );
    let mut core = LocalCore::new(host, backend(args, env)?);
    let report = core.adopt().context("adopting the hypervisor's VMs")?;
    eprintln!(
        "info: {} usable CPUs, {} MB; backend {}; adopted {} VM(s) ({} on their recorded CPUs), {} refused, {} could not be pinned",
        topo.cpu_count(),
        topo.mem_allowed_mb(),
        core.hypervisor().kind(),
        report.adopted.len(),
        report.restored_exactly.len(),
        report.refused.len(),
        core.faulty().len()
    );
    Ok(core)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let env = EnvSource::load(&args.env_file)?;
    let addr = startup::LOCAL.addr(args.listen.as_deref(), &env)?;
    let token = startup::read_token(args.token_file.as_deref())?;
    startup::Exposure {
        allow_remote: args.allow_remote,
        has_token: token.is_some(),
        insecure_no_token: args.insecure_no_token,
    }
    .check(addr)?;
    let levels = Levels::parse(&args.levels)
        .map_err(|e| anyhow::anyhow!("--levels `{}`: {e}", args.levels))?;
    let reconcile = config::positive_secs("--reconcile-s", args.reconcile_s)?;
    let core = local_core(&args, &env)?;
    let opts = LocalOptions {
        disks: DiskPolicy::of(image_root(&args)?, addr.ip().is_loopback()),
        token,
        levels,
    };
    let (app, daemon) = local::router(core, opts);
    tokio::spawn(daemon.shared.clone().reconcile_every(reconcile));
    if let Some(path) = &args.trace {
        let period = startup::LOCAL.delay(args.delay_s, &env)?;
        let writer = trace::create_live(path)?;
        let mon = monitor::Monitor::new(args.proc_root.clone());
        tokio::spawn(monitor::run(daemon.core.clone(), mon, writer, period));
    }
    let limits = Limits {
        header_timeout: Duration::from_millis(args.header_timeout_ms.max(1)),
        max_connections: args.max_connections.max(1),
    };
    startup::serve(addr, app, limits).await?;
    Ok(())
}
