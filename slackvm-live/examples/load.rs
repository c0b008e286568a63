//! Load tool for a local daemon on loopback: N keep-alive connections,
//! each sending requests back to back for a fixed duration; prints
//! requests/s and latency percentiles.
//!
//! `cargo run --release -p slackvm-live --example load -- ADDR MODE SECONDS CONNECTIONS`
//! with MODE `status` (GET /status) or `deploy-remove` (a /deploy then a
//! /remove of the same VM, timed as one pair).

use anyhow::{bail, Context, Result};
use slackvm_live::client::Conn;
use std::time::{Duration, Instant};

async fn status_once(conn: &mut Conn, _worker: usize, _i: u64) -> Result<()> {
    let a = conn.get("/status", false).await?;
    if a.status != 200 {
        bail!("/status answered {}", a.status);
    }
    Ok(())
}

async fn pair_once(conn: &mut Conn, worker: usize, i: u64) -> Result<()> {
    let name = format!("load-{worker}-{i}");
    let a = conn
        .get(&format!("/deploy?name={name}&cpu=1&mem=1&oc=2"), false)
        .await?;
    if a.status != 200 || !String::from_utf8_lossy(&a.body).contains("\"success\":true") {
        bail!(
            "deploy {name}: {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        );
    }
    let r = conn.get(&format!("/remove?name={name}"), false).await?;
    if r.status != 200 {
        bail!("remove {name}: {}", r.status);
    }
    Ok(())
}

async fn worker(
    addr: String,
    mode: String,
    worker: usize,
    until: Instant,
) -> Result<Vec<Duration>> {
    let mut conn = Conn::connect(&addr, None).await?;
    let mut lat = Vec::new();
    let mut i = 0;
    while Instant::now() < until {
        let t = Instant::now();
        if mode == "status" {
            status_once(&mut conn, worker, i).await?;
        } else {
            pair_once(&mut conn, worker, i).await?;
        }
        lat.push(t.elapsed());
        i += 1;
    }
    Ok(lat)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, mode, secs, conns] = args.as_slice() else {
        bail!("usage: load ADDR status|deploy-remove SECONDS CONNECTIONS");
    };
    if mode != "status" && mode != "deploy-remove" {
        bail!("MODE must be status or deploy-remove");
    }
    let secs: f64 = secs.parse().context("SECONDS")?;
    let conns: usize = conns.parse().context("CONNECTIONS")?;
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(secs);
    let mut set = tokio::task::JoinSet::new();
    for w in 0..conns {
        set.spawn(worker(addr.clone(), mode.clone(), w, until));
    }
    let mut all = Vec::new();
    while let Some(joined) = set.join_next().await {
        all.extend(joined??);
    }
    let wall = started.elapsed().as_secs_f64();
    all.sort_unstable();
    if all.is_empty() {
        bail!("no request completed");
    }
    let unit = if mode == "status" {
        "requests"
    } else {
        "deploy+remove pairs"
    };
    println!(
        "{mode}: {} {unit} in {wall:.2} s over {conns} connections: {:.0} {unit}/s; latency p50 {:?} p99 {:?} max {:?}",
        all.len(),
        all.len() as f64 / wall,
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all[all.len() - 1],
    );
    Ok(())
}
