//! The global daemon: knows the local daemons (configured order), polls
//! them, places VMs with the rule of [`placement`], remembers VM -> host
//! (rebuilt from the hosts' `/listvm` at start, at every poll and at every
//! placement) and forwards removals. Calls to hosts run in parallel, each
//! with a deadline and a bound on the answer's size; [`health`] skips
//! silent hosts until they answer. Placement is idempotent by name
//! ([`deploy`]): one deployment per name at a time, 409 for a name any
//! host has, and a host that misses its deadline is asked whether it
//! created the VM before the client gets an answer.

pub mod deploy;
pub mod health;
pub mod placement;
mod routes;

pub use routes::router;

use crate::client::{self, ClientError};
use crate::params::Levels;
use health::Health;
use serde_json::{json, Value};
use slackvm_sim::Level;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Settings of a global daemon.
#[derive(Debug, Clone)]
pub struct GlobalOptions {
    /// Local daemons (`host:port`), in the order that breaks ties.
    pub nodes: Vec<String>,
    /// Deadline of every call to a local daemon.
    pub node_timeout: Duration,
    /// Bearer token sent to the local daemons and required from clients.
    pub token: Option<String>,
    /// Accepted `oc` levels (others refused before any host is asked).
    pub levels: Levels,
    /// Largest answer read from a local daemon, in bytes.
    pub max_answer_bytes: usize,
}

/// Where a VM is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The host.
    pub node: String,
    /// False when the host missed its deadline while creating it and could
    /// not be asked since: the name stays taken until a poll settles it.
    pub confirmed: bool,
    /// When the global learnt it (a host list asked earlier cannot undo it).
    pub since: Instant,
}

/// Shared state of the global daemon.
#[derive(Debug)]
pub struct Global {
    opts: GlobalOptions,
    vm_host: Mutex<BTreeMap<String, Placed>>,
    in_flight: Mutex<BTreeSet<String>>,
    health: Health,
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
    pub level: Level,
    /// Query parameters to forward (`name`, `cpu`, `mem`, `oc`, `qcow2`).
    pub query: Vec<(&'static str, String)>,
}

/// The outcome of a global request: status code and JSON body.
pub type Outcome = (u16, Value);

fn fail(status: u16, reason: &str) -> Outcome {
    (status, json!({"success": false, "reason": reason}))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Global {
    /// A global daemon over the configured hosts.
    pub fn new(opts: GlobalOptions) -> Arc<Self> {
        Arc::new(Global {
            opts,
            vm_host: Mutex::new(BTreeMap::new()),
            in_flight: Mutex::new(BTreeSet::new()),
            health: Health::default(),
        })
    }

    /// The configured hosts.
    pub fn nodes(&self) -> &[String] {
        &self.opts.nodes
    }

    /// The accepted levels.
    pub fn levels(&self) -> &Levels {
        &self.opts.levels
    }

    fn vm_map(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Placed>> {
        lock(&self.vm_host)
    }

    /// The hosts requests may use now (not suspect, token accepted).
    fn usable_nodes(&self) -> Vec<String> {
        self.opts
            .nodes
            .iter()
            .filter(|n| self.health.usable(n))
            .cloned()
            .collect()
    }

    /// GET on one host with the deadline and the size bound.
    pub async fn call(&self, node: &str, path: &str) -> Result<Outcome, ClientError> {
        let result = client::get_json_limited(
            node,
            path,
            self.opts.token.as_deref(),
            self.opts.node_timeout,
            self.opts.max_answer_bytes,
        )
        .await;
        self.health.note(node, &result);
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

    /// `{host: status}` for the usable hosts that answered, plus `{host:
    /// {"success": false, "reason": ...}}` for hosts refusing the token.
    pub async fn status(self: &Arc<Self>) -> Value {
        let nodes = self.usable_nodes();
        let results = self.fan_out(&nodes, "/status").await;
        let mut answered = BTreeMap::new();
        for (node, r) in nodes.iter().zip(results) {
            if let Ok((200, status)) = r {
                answered.insert(node.clone(), status);
            }
        }
        let refusing = self.health.unauthorized(&self.opts.nodes);
        let mut out = serde_json::Map::new();
        for node in &self.opts.nodes {
            if let Some(status) = answered.remove(node) {
                out.insert(node.clone(), status);
            } else if refusing.contains(&node.as_str()) {
                out.insert(
                    node.clone(),
                    json!({"success": false, "reason": format!("host {node} {}", health::UNAUTHORIZED)}),
                );
            }
        }
        Value::Object(out)
    }

    /// Records the VMs of hosts that answered `/listvm`, asked at
    /// `asked_at` (entries of silent hosts are kept, and so are entries
    /// learnt after the lists were asked for).
    fn absorb_lists(
        &self,
        nodes: &[String],
        results: Vec<Result<Outcome, ClientError>>,
        asked_at: Instant,
    ) {
        let mut map = self.vm_map();
        for (node, r) in nodes.iter().zip(results) {
            let Ok((200, Value::Array(names))) = r else {
                continue;
            };
            map.retain(|_, placed| &placed.node != node || placed.since > asked_at);
            for name in names.iter().filter_map(Value::as_str) {
                let placed = Placed {
                    node: node.clone(),
                    confirmed: true,
                    since: asked_at,
                };
                if let Some(other) = map.insert(name.to_string(), placed) {
                    if &other.node != node {
                        eprintln!("warning: VM `{name}` is on both {} and {node}", other.node);
                    }
                }
            }
        }
    }

    /// Refreshes VM -> host from every host's `/listvm` (suspect ones
    /// included: this is how they come back) and returns the map.
    pub async fn refresh_vms(self: &Arc<Self>) -> BTreeMap<String, String> {
        let nodes = self.opts.nodes.clone();
        let asked_at = Instant::now();
        let results = self.fan_out(&nodes, "/listvm").await;
        self.absorb_lists(&nodes, results, asked_at);
        self.vm_map()
            .iter()
            .map(|(name, placed)| (name.clone(), placed.node.clone()))
            .collect()
    }

    /// Removes a VM from the host that holds it.
    pub async fn remove(self: &Arc<Self>, name: &str) -> Outcome {
        if lock(&self.in_flight).contains(name) {
            return fail(409, &format!("a deployment of `{name}` is in progress"));
        }
        let known = self.vm_map().get(name).map(|p| p.node.clone());
        let host = match known {
            Some(h) => h,
            None => match self.refresh_vms().await.get(name) {
                Some(h) => h.clone(),
                // The prototype's text.
                None => return fail(404, "Unregistered VM"),
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
