//! `slackvm-client`: the prototype's client (deploy, remove, status,
//! progress, listvm) against a local or the global daemon. Prints the JSON
//! answer; exits 1 when the answer is not a success.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde_json::Value;
use slackvm_live::config::{self, EnvSource};
use slackvm_live::{api, client};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(version, about = "SlackVM client for the local and global daemons")]
struct Args {
    /// Daemon address (default: SCL_URL:SCL_PORT, else 127.0.0.1:8099).
    #[arg(long)]
    url: Option<String>,
    /// File holding the bearer token.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Deadline in seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout_s: f64,
    /// `.env` file read when present.
    #[arg(long, default_value = ".env")]
    env_file: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a VM.
    Deploy {
        #[arg(long)]
        name: String,
        /// vCPUs.
        #[arg(long)]
        cpu: u32,
        /// Memory in GB (fractional allowed).
        #[arg(long)]
        mem: f64,
        /// Oversubscription level.
        #[arg(long, default_value_t = 1.0)]
        oc: f64,
        /// Disk image path (on the host).
        #[arg(long)]
        qcow2: Option<String>,
    },
    /// Delete a VM.
    Remove {
        #[arg(long)]
        name: String,
    },
    /// Host (or cluster) status.
    Status,
    /// Progress toward the ideal memory-per-core ratio for such a VM.
    Progress {
        #[arg(long)]
        cpu: u32,
        #[arg(long)]
        mem: f64,
        #[arg(long, default_value_t = 1.0)]
        oc: f64,
    },
    /// VMs hosted.
    Listvm,
}

fn path_of(command: &Command) -> String {
    match command {
        Command::Deploy {
            name,
            cpu,
            mem,
            oc,
            qcow2,
        } => {
            let mut q = vec![
                ("name", name.clone()),
                ("cpu", cpu.to_string()),
                ("mem", mem.to_string()),
                ("oc", oc.to_string()),
            ];
            if let Some(d) = qcow2 {
                q.push(("qcow2", d.clone()));
            }
            client::path_with_query("/deploy", &q)
        }
        Command::Remove { name } => client::path_with_query("/remove", &[("name", name.clone())]),
        Command::Status => "/status".into(),
        Command::Progress { cpu, mem, oc } => client::path_with_query(
            "/progress",
            &[
                ("cpu", cpu.to_string()),
                ("mem", mem.to_string()),
                ("oc", oc.to_string()),
            ],
        ),
        Command::Listvm => "/listvm".into(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let env = EnvSource::load(&args.env_file)?;
    let addr = match &args.url {
        Some(u) => config::strip_scheme(u).to_string(),
        None => {
            config::listen_addr(None, &env, "SCL_URL", "SCL_PORT", "127.0.0.1:8099")?.to_string()
        }
    };
    let token = args
        .token_file
        .as_deref()
        .map(api::read_token_file)
        .transpose()
        .context("--token-file")?;
    let timeout = Duration::from_secs_f64(args.timeout_s.clamp(0.001, 86_400.0));
    let (status, body) =
        client::get_json(&addr, &path_of(&args.command), token.as_deref(), timeout).await?;
    println!("{}", serde_json::to_string_pretty(&body)?);
    let failed = status != 200 || body.get("success").and_then(Value::as_bool) == Some(false);
    if failed {
        std::process::exit(1);
    }
    Ok(())
}
