//! `slackvm-global`: the global scheduler daemon (default
//! 127.0.0.1:8100) over the local daemons given by `--nodes` or
//! `SCG_NODE_URL_LIST`. Prints `listening on ADDR` once ready.

use anyhow::{bail, Result};
use clap::Parser;
use slackvm_live::config::{self, EnvSource};
use slackvm_live::global::{self, Global, GlobalOptions};
use slackvm_live::startup;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(version, about = "SlackVM global scheduler daemon")]
struct Args {
    /// Address to listen on (overrides SCG_URL/SCG_PORT; default 127.0.0.1:8100).
    #[arg(long)]
    listen: Option<String>,
    /// Allow a non-loopback listen address.
    #[arg(long)]
    allow_remote: bool,
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
    let addr = startup::GLOBAL.listen_addr(args.listen.as_deref(), args.allow_remote, &env)?;
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
    let token = startup::read_token(args.token_file.as_deref())?;
    let g = Global::new(GlobalOptions {
        nodes,
        node_timeout: Duration::from_millis(args.node_timeout_ms.max(1)),
        token: token.clone(),
    });
    let known = g.refresh_vms().await;
    eprintln!(
        "info: {} host(s) configured, {} VM(s) found",
        g.nodes().len(),
        known.len()
    );
    tokio::spawn(g.clone().poll(period));
    startup::serve(addr, global::router(g, token.as_deref())).await?;
    Ok(())
}
