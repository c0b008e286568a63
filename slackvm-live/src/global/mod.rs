//! The global daemon: knows the local daemons (configured order), polls
//! them, places VMs with the rule of [`placement`], remembers VM -> host
//! (rebuilt from the hosts' `/listvm` at start and at every poll) and
//! forwards removals. Every call to a host has a deadline; an unreachable
//! host is skipped with a warning and never blocks a request.

pub mod placement;
mod routes;

pub use routes::router;

use crate::client::{self, ClientError};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Settings of a global daemon.
#[derive(Debug, Clone)]
pub struct GlobalOptions {
    /// Local daemons (`host:port`), in the order that breaks ties.
    pub nodes: Vec<String>,
    /// Deadline of every call to a local daemon.
    pub node_timeout: Duration,
    /// Bearer token sent to the local daemons and required from clients.
    pub token: Option<String>,
}

/// Shared state of the global daemon.
#[derive(Debug)]
pub struct Global {
    opts: GlobalOptions,
    vm_host: Mutex<BTreeMap<String, String>>,
    down: Mutex<BTreeSet<String>>,
    deploy_lock: tokio::sync::Mutex<()>,
}

/// A deployment forwarded to a host: validated parameters, raw text kept
/// so the local daemon sees exactly what the client sent.
#[derive(Debug, Clone)]
pub struct Forward {
    /// VM name.
    pub name: String,
    /// vCPUs.
    pub vcpus: u32,
    /// Memory in MB (for the fit rule).
    pub mem_mb: u64,
    /// Level.
    pub level: f64,
    /// Query parameters to forward (`name`, `cpu`, `mem`, `oc`, `qcow2`).
    pub query: Vec<(&'static str, String)>,
}

/// The outcome of a global request: status code and JSON body.
pub type Outcome = (u16, Value);

fn fail(status: u16, reason: &str) -> Outcome {
    (status, json!({"success": false, "reason": reason}))
}

impl Global {
    /// A global daemon over the configured hosts.
    pub fn new(opts: GlobalOptions) -> Arc<Self> {
        Arc::new(Global {
            opts,
            vm_host: Mutex::new(BTreeMap::new()),
            down: Mutex::new(BTreeSet::new()),
            deploy_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// The configured hosts.
    pub fn nodes(&self) -> &[String] {
        &self.opts.nodes
    }

    fn vm_map(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.vm_host
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Logs a host going down or coming back (once per change).
    fn note_health(&self, node: &str, result: &Result<Outcome, ClientError>) {
        let mut down = self
            .down
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match result {
            Ok(_) => {
                if down.remove(node) {
                    eprintln!("info: host {node} answers again");
                }
            }
            Err(e) => {
                if down.insert(node.to_string()) {
                    eprintln!("warning: host {node} skipped: {e}");
                }
            }
        }
    }

    /// GET on one host with the deadline.
    pub async fn call(&self, node: &str, path: &str) -> Result<Outcome, ClientError> {
        let result = client::get_json(
            node,
            path,
            self.opts.token.as_deref(),
            self.opts.node_timeout,
        )
        .await;
        self.note_health(node, &result);
        result
    }

    /// The same GET on several hosts at once; results in the given order.
    pub async fn fan_out(
        self: &Arc<Self>,
        nodes: &[String],
        path: &str,
    ) -> Vec<Result<Outcome, ClientError>> {
        let mut set = tokio::task::JoinSet::new();
        for (i, node) in nodes.iter().enumerate() {
            let me = Arc::clone(self);
            let (node, path) = (node.clone(), path.to_string());
            set.spawn(async move { (i, me.call(&node, &path).await) });
        }
        let mut out: Vec<Option<Result<Outcome, ClientError>>> =
            (0..nodes.len()).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            if let Ok((i, r)) = joined {
                out[i] = Some(r);
            }
        }
        out.into_iter()
            .zip(nodes)
            .map(|(r, node)| {
                r.unwrap_or_else(|| {
                    Err(ClientError::Protocol {
                        addr: node.clone(),
                        message: "request task failed".into(),
                    })
                })
            })
            .collect()
    }

    /// `{host: status}` for the hosts that answered.
    pub async fn status(self: &Arc<Self>) -> Value {
        let results = self.fan_out(&self.opts.nodes, "/status").await;
        let mut out = serde_json::Map::new();
        for (node, r) in self.opts.nodes.iter().zip(results) {
            if let Ok((200, status)) = r {
                out.insert(node.clone(), status);
            }
        }
        Value::Object(out)
    }

    /// Refreshes VM -> host from every answering host's `/listvm` (entries
    /// of silent hosts are kept) and returns the map.
    pub async fn refresh_vms(self: &Arc<Self>) -> BTreeMap<String, String> {
        let results = self.fan_out(&self.opts.nodes, "/listvm").await;
        let mut map = self.vm_map();
        for (node, r) in self.opts.nodes.iter().zip(results) {
            let Ok((200, Value::Array(names))) = r else {
                continue;
            };
            map.retain(|_, host| host != node);
            for name in names.iter().filter_map(Value::as_str) {
                map.insert(name.to_string(), node.clone());
            }
        }
        map.clone()
    }

    /// Places and deploys a VM (http-api.md's rule).
    pub async fn deploy(self: &Arc<Self>, vm: &Forward) -> Outcome {
        let _serial = self.deploy_lock.lock().await;
        if let Some(host) = self.vm_map().get(&vm.name) {
            return fail(409, &format!("already hosted on {host}"));
        }
        let Some(node) = self.choose_host(vm).await else {
            return fail(200, "No appropriate node found");
        };
        let path = client::path_with_query("/deploy", &vm.query);
        match self.call(&node, &path).await {
            Ok((status, body)) => {
                if body.get("success").and_then(Value::as_bool) == Some(true) {
                    self.vm_map().insert(vm.name.clone(), node.clone());
                }
                (status, body)
            }
            Err(e) => fail(502, &format!("host {node}: {e}")),
        }
    }

    /// The host with room and the largest progress, if any.
    async fn choose_host(self: &Arc<Self>, vm: &Forward) -> Option<String> {
        let nodes = &self.opts.nodes;
        let statuses = self.fan_out(nodes, "/status").await;
        let fitting: Vec<usize> = statuses
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Ok((200, s)) if placement::host_fits(s, vm.vcpus, vm.mem_mb, vm.level) => Some(i),
                _ => None,
            })
            .collect();
        if fitting.is_empty() {
            return None;
        }
        let query: Vec<(&str, String)> = vm
            .query
            .iter()
            .filter(|(k, _)| matches!(*k, "cpu" | "mem" | "oc"))
            .cloned()
            .collect();
        let path = client::path_with_query("/progress", &query);
        let candidates: Vec<String> = fitting.iter().map(|&i| nodes[i].clone()).collect();
        let progress = self.fan_out(&candidates, &path).await;
        let scored: Vec<(usize, f64)> = fitting
            .iter()
            .zip(progress)
            .filter_map(|(&i, r)| match r {
                Ok((200, v)) => Some((
                    i,
                    v.get("progress")
                        .and_then(Value::as_f64)
                        .unwrap_or(f64::NAN),
                )),
                _ => None,
            })
            .collect();
        placement::choose(&scored).map(|i| nodes[i].clone())
    }

    /// Removes a VM from the host that holds it.
    pub async fn remove(self: &Arc<Self>, name: &str) -> Outcome {
        let known = self.vm_map().get(name).cloned();
        let host = match known {
            Some(h) => h,
            None => match self.refresh_vms().await.get(name) {
                Some(h) => h.clone(),
                None => {
                    return fail(
                        404,
                        &format!("VM `{name}` is not known to any reachable host"),
                    )
                }
            },
        };
        let path = client::path_with_query("/remove", &[("name", name.to_string())]);
        match self.call(&host, &path).await {
            Ok((status, body)) => {
                if body.get("success").and_then(Value::as_bool) == Some(true) || status == 404 {
                    self.vm_map().remove(name);
                }
                (status, body)
            }
            Err(e) => fail(502, &format!("host {host}: {e}")),
        }
    }

    /// Polls the hosts forever (VM map and health), every `period`.
    pub async fn poll(self: Arc<Self>, period: Duration) {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            self.refresh_vms().await;
        }
    }
}
