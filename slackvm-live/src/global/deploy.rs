//! Idempotent placement by name:
//! 1. one deployment per name at a time (a second one gets 409), and 409
//!    for a name the global knows (placed, or unconfirmed after a timeout);
//! 2. the usable hosts' `/status` and `/listvm` are read in parallel: a
//!    name some host already has (deployed there directly since the last
//!    poll) is 409, never a second VM;
//! 3. fitting hosts are ranked by the rule of [`super::placement`] and
//!    tried in order: a host refusing for lack of room (a race with another
//!    placement) passes to the next;
//! 4. a host that misses its deadline on `/deploy` is asked (`/listvm`)
//!    whether it has the VM: yes -> 202, the VM is recorded there and
//!    finishes starting; no -> 504, nothing was created; no answer -> 504
//!    and the name stays taken on that host until a poll settles it.

use super::{fail, health, lock, Forward, Global, Outcome, Placed};
use crate::client::{self, ClientError};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// Removes a name from the in-flight set when the deployment ends.
struct InFlight<'a> {
    global: &'a Global,
    name: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(&self.global.in_flight).remove(&self.name);
    }
}

fn has_name(list: &Result<Outcome, ClientError>, name: &str) -> bool {
    matches!(list, Ok((200, Value::Array(names))) if names.iter().any(|n| n.as_str() == Some(name)))
}

fn resource_refusal(status: u16, body: &Value) -> bool {
    status == 200
        && body.get("success").and_then(Value::as_bool) == Some(false)
        && body
            .get("reason")
            .and_then(Value::as_str)
            .is_some_and(|r| r.starts_with("Not enough space on res"))
}

impl Global {
    /// Places and deploys a VM (module header).
    pub async fn deploy(self: &Arc<Self>, vm: &Forward) -> Outcome {
        if !lock(&self.in_flight).insert(vm.name.clone()) {
            return fail(
                409,
                &format!("a deployment of `{}` is in progress", vm.name),
            );
        }
        let _in_flight = InFlight {
            global: self,
            name: vm.name.clone(),
        };
        if let Some(placed) = self.vm_map().get(&vm.name) {
            return Self::taken(&vm.name, placed);
        }
        let nodes = self.usable_nodes();
        let asked_at = Instant::now();
        let (statuses, lists) = tokio::join!(
            self.fan_out(&nodes, "/status"),
            self.fan_out(&nodes, "/listvm")
        );
        if let Some(i) = lists.iter().position(|l| has_name(l, &vm.name)) {
            let node = nodes[i].clone();
            self.absorb_lists(&nodes, lists, asked_at);
            return fail(409, &format!("already hosted on {node}"));
        }
        self.absorb_lists(&nodes, lists, asked_at);
        let ranked = self.rank(vm, &nodes, &statuses).await;
        for node in ranked {
            match self.deploy_on(vm, &node).await {
                Some(outcome) => return outcome,
                None => continue,
            }
        }
        self.nothing_fits()
    }

    fn taken(name: &str, placed: &Placed) -> Outcome {
        if placed.confirmed {
            fail(409, &format!("already hosted on {}", placed.node))
        } else {
            fail(
                409,
                &format!(
                    "`{name}` was sent to {} which did not confirm it: retry after the next poll",
                    placed.node
                ),
            )
        }
    }

    /// The prototype's refusal, saying which hosts refuse the token.
    fn nothing_fits(&self) -> Outcome {
        let refusing = self.health.unauthorized(&self.opts.nodes);
        if refusing.is_empty() {
            return fail(200, "No appropriate node found");
        }
        fail(
            200,
            &format!(
                "No appropriate node found (host {} {})",
                refusing.join(", "),
                health::UNAUTHORIZED
            ),
        )
    }

    /// Fitting hosts, best first (largest progress, then configured order).
    async fn rank(
        self: &Arc<Self>,
        vm: &Forward,
        nodes: &[String],
        statuses: &[Result<Outcome, ClientError>],
    ) -> Vec<String> {
        let fitting: Vec<String> = nodes
            .iter()
            .zip(statuses)
            .filter_map(|(node, r)| match r {
                Ok((200, s)) if super::placement::host_fits(s, vm.vcpus, vm.mem_mb, vm.level) => {
                    Some(node.clone())
                }
                _ => None,
            })
            .collect();
        if fitting.is_empty() {
            return Vec::new();
        }
        let query: Vec<(&str, String)> = vm
            .query
            .iter()
            .filter(|(k, _)| matches!(*k, "cpu" | "mem" | "oc"))
            .cloned()
            .collect();
        let path = client::path_with_query("/progress", &query);
        let progress = self.fan_out(&fitting, &path).await;
        let mut scored: Vec<(usize, f64)> = fitting
            .iter()
            .zip(progress)
            .filter_map(|(node, r)| {
                let index = self.opts.nodes.iter().position(|n| n == node)?;
                match r {
                    Ok((200, v)) => Some((
                        index,
                        v.get("progress")
                            .and_then(Value::as_f64)
                            .unwrap_or(f64::NAN),
                    )),
                    _ => None,
                }
            })
            .collect();
        let mut ranked = Vec::new();
        while let Some(best) = super::placement::choose(&scored) {
            scored.retain(|(i, _)| *i != best);
            ranked.push(self.opts.nodes[best].clone());
        }
        ranked
    }

    /// Deploys on one host; `None` when it refused for lack of room (try
    /// the next).
    async fn deploy_on(self: &Arc<Self>, vm: &Forward, node: &str) -> Option<Outcome> {
        let path = client::path_with_query("/deploy", &vm.query);
        match self.call(node, &path).await {
            Ok((status, body)) if resource_refusal(status, &body) => {
                eprintln!(
                    "info: {node} refused `{}` ({}); trying the next host",
                    vm.name, body["reason"]
                );
                None
            }
            Ok((status, body)) => {
                let created = body.get("success").and_then(Value::as_bool) == Some(true);
                if created || status == 409 {
                    self.record(&vm.name, node, true);
                }
                if status == 409 {
                    return Some(fail(409, &format!("already hosted on {node}")));
                }
                Some((status, body))
            }
            Err(e) => Some(self.settle_lost_answer(vm, node, &e).await),
        }
    }

    fn record(&self, name: &str, node: &str, confirmed: bool) {
        self.vm_map().insert(
            name.to_string(),
            Placed {
                node: node.to_string(),
                confirmed,
                since: Instant::now(),
            },
        );
    }

    /// `/deploy` got no answer: ask the host whether the VM exists.
    async fn settle_lost_answer(
        self: &Arc<Self>,
        vm: &Forward,
        node: &str,
        e: &ClientError,
    ) -> Outcome {
        let check = self.call(node, "/listvm").await;
        match check {
            Ok((200, _)) if has_name(&check, &vm.name) => {
                self.record(&vm.name, node, true);
                (
                    202,
                    json!({"success": true, "reason": format!("accepted by {node}, still starting (no answer within the deadline)"), "host": node}),
                )
            }
            Ok((200, _)) => fail(
                504,
                &format!(
                    "host {node}: {e}; it does not have `{}`: nothing was created",
                    vm.name
                ),
            ),
            _ => {
                self.record(&vm.name, node, false);
                fail(
                    504,
                    &format!("host {node}: {e}; whether it created `{}` is unknown: the name stays reserved there until the next poll", vm.name),
                )
            }
        }
    }
}
