//! `slackvm-client`: the prototype's client (deploy, remove, status,
//! progress, listvm) against a local or the global daemon. Prints the JSON
//! answer; exits 1 when the answer is not a success.

use anyhow::Result;
use clap::{Parser, Subcommand};
use serde_json::Value;
use slackvm_live::config::{self, EnvSource};
use slackvm_live::{client, startup};
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
        #[command(flatten)]
        shape: Shape,
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
        #[command(flatten)]
        shape: Shape,
    },
    /// VMs hosted.
    Listvm,
}

/// A VM's shape, as `deploy` and `progress` take it.
#[derive(Debug, clap::Args)]
struct Shape {
    /// vCPUs.
    #[arg(long)]
    cpu: u32,
    /// Memory in GB (fractional allowed).
    #[arg(long)]
    mem: f64,
    /// Oversubscription level.
    #[arg(long, default_value_t = 1.0)]
    oc: f64,
}

impl Shape {
    /// The query parameters `cpu`, `mem`, `oc`.
    fn query(&self) -> Vec<(&'static str, String)> {
        vec![
            ("cpu", self.cpu.to_string()),
            ("mem", self.mem.to_string()),
            ("oc", self.oc.to_string()),
        ]
    }
}

fn path_of(command: &Command) -> String {
    match command {
        Command::Deploy { name, shape, qcow2 } => {
            let mut q = vec![("name", name.clone())];
            q.extend(shape.query());
            if let Some(d) = qcow2 {
                q.push(("qcow2", d.clone()));
            }
            client::path_with_query("/deploy", &q)
        }
        Command::Remove { name } => client::path_with_query("/remove", &[("name", name.clone())]),
        Command::Status => "/status".into(),
        Command::Progress { shape } => client::path_with_query("/progress", &shape.query()),
        Command::Listvm => "/listvm".into(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let env = EnvSource::load(&args.env_file)?;
    let addr = match &args.url {
        Some(u) => config::strip_scheme(u).to_string(),
        None => startup::LOCAL.addr(None, &env)?.to_string(),
    };
    let token = startup::read_token(args.token_file.as_deref())?;
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
