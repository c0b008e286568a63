//! `slackvm-global`: the global scheduler daemon (default
//! 127.0.0.1:8100) over the local daemons given by `--nodes` or
//! `SCG_NODE_URL_LIST`. Prints `listening on ADDR` once ready.

use anyhow::{bail, Result};
use clap::Parser;
use slackvm_live::config::{self, EnvSource};
use slackvm_live::global::{self, Global, GlobalOptions};
use slackvm_live::params::Levels;
use slackvm_live::server::Limits;
use slackvm_live::startup;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(version, about = "SlackVM global scheduler daemon")]
struct Args {
    /// Address to listen on (overrides SCG_URL/SCG_PORT; default 127.0.0.1:8100).
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
    /// Largest answer read from a local daemon, in bytes.
    #[arg(long, default_value_t = 4 << 20)]
    max_answer_bytes: usize,
    /// Time a client has to send its request headers, in milliseconds (also the keep-alive idle limit).
    #[arg(long, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// Connections served at once.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Local daemons, comma separated `host:port` (overrides SCG_NODE_URL_LIST).
    #[arg(long)]
    nodes: Option<String>,
    /// Polling period in seconds (overrides SCG_DELAY; default 15).
    #[arg(long)]
    delay_s: Option<f64>,
    /// Deadline of every call to a local daemon, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    node_timeout_ms: u64,
    /// File holding a bearer token: required from clients and sent to the local daemons.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// `.env` file read when present.
    #[arg(long, default_value = ".env")]
    env_file: PathBuf,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let env = EnvSource::load(&args.env_file)?;
    let addr = startup::GLOBAL.addr(args.listen.as_deref(), &env)?;
    let token = startup::read_token(args.token_file.as_deref())?;
    startup::Exposure {
        allow_remote: args.allow_remote,
        has_token: token.is_some(),
        insecure_no_token: args.insecure_no_token,
    }
    .check(addr)?;
    let levels = Levels::parse(&args.levels)
        .map_err(|e| anyhow::anyhow!("--levels `{}`: {e}", args.levels))?;
    let nodes = config::node_list(
        args.nodes
            .as_deref()
            .or(env.get("SCG_NODE_URL_LIST"))
            .unwrap_or(""),
    );
    if nodes.is_empty() {
        bail!("no local daemon configured: give --nodes host:port,... or SCG_NODE_URL_LIST");
    }
    let period = startup::GLOBAL.delay(args.delay_s, &env)?;
    let g = Global::new(GlobalOptions {
        nodes,
        node_timeout: Duration::from_millis(args.node_timeout_ms.max(1)),
        token: token.clone(),
        levels,
        max_answer_bytes: args.max_answer_bytes.max(1024),
    });
    let known = g.refresh_vms().await;
    eprintln!(
        "info: {} host(s) configured, {} VM(s) found",
        g.nodes().len(),
        known.len()
    );
    tokio::spawn(g.clone().poll(period));
    let limits = Limits {
        header_timeout: Duration::from_millis(args.header_timeout_ms.max(1)),
        max_connections: args.max_connections.max(1),
    };
    startup::serve(addr, global::router(g, token.as_deref()), limits).await?;
    Ok(())
}
