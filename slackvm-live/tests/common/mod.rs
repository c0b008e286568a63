//! Helpers shared by the integration tests: temporary directories, real
//! daemon processes on ephemeral loopback ports (killed on drop), topology
//! files and short HTTP calls.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slackvm-live-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Writes a preset topology as a prototype JSON file.
pub fn topology_file(dir: &Path, preset: &str) -> PathBuf {
    let path = dir.join(format!("{preset}.json"));
    let topo = slackvm_sim::topology::preset(preset).expect("preset");
    slackvm_sim::topology::write_json_file(&topo, &path).expect("write topology");
    path
}

/// A daemon process; killed when dropped.
pub struct Daemon {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Daemon {
    /// Starts a binary with arguments (listening on 127.0.0.1:0) and waits
    /// for its `listening on ADDR` line (10 s at most). The working
    /// directory is `cwd` so no stray `.env` is read.
    pub fn start(bin: &str, args: &[&str], cwd: &Path) -> Daemon {
        let mut child = Command::new(bin)
            .args(args)
            .current_dir(cwd)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn daemon");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(addr) => Daemon { child, addr },
            Err(_) => {
                let _ = child.kill();
                panic!("{bin} did not start");
            }
        }
    }

    /// Kills the process now (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the process with SIGTERM (graceful) and waits (5 s at most).
    pub fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.kill();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// GET returning (status, JSON), 10 s deadline.
pub async fn get(addr: &str, path: &str) -> (u16, Value) {
    get_with_token(addr, path, None).await
}

/// GET with an optional bearer token.
pub async fn get_with_token(addr: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    slackvm_live::client::get_json(addr, path, token, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("GET {addr}{path}: {e}"))
}

/// `success` of an answer.
pub fn success(v: &Value) -> bool {
    v.get("success").and_then(Value::as_bool) == Some(true)
}

/// CPU ids as a sorted vector from a JSON list.
pub fn ids(v: &Value) -> Vec<u64> {
    let mut out: Vec<u64> = v
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    out.sort_unstable();
    out
}

pub const LOCAL: &str = env!("CARGO_BIN_EXE_slackvm-local");
pub const GLOBAL: &str = env!("CARGO_BIN_EXE_slackvm-global");
pub const CLIENT: &str = env!("CARGO_BIN_EXE_slackvm-client");

/// Sends `request` (raw HTTP/1.1 text) on a new connection and returns
/// (status, JSON body or Null); 10 s deadline.
pub async fn raw(addr: &str, request: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let call = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(request.as_bytes()).await.expect("write");
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.expect("read");
        out
    };
    let out = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .unwrap_or_else(|_| panic!("no answer from {addr} to {request:?}"));
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad answer {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Polls `check` every 100 ms until it holds (at most `secs` seconds).
pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..secs * 10 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Starts a local daemon on a preset topology with extra arguments.
pub fn local_daemon(dir: &Path, preset: &str, extra: &[&str]) -> Daemon {
    let topo = topology_file(dir, preset);
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--topology",
        topo.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Daemon::start(LOCAL, &args, dir)
}
