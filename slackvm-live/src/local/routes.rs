//! HTTP routes of the local daemon (docs/http-api.md): `/`, `/deploy`,
//! `/remove`, `/progress`, `/status`, `/listvm`, plus `/pinning` (CPU sets
//! per VM and per vNode, for operators and tests). Parameters are
//! validated before anything is reserved; scheduler bookkeeping is done
//! under the core lock, hypervisor calls outside it ([`super::txn`]).

use super::txn::Shared;
use super::{DeployFailure, LocalCore, RemoveFailure};
use crate::api;
use crate::guard::{self, Guard};
use crate::hypervisor::VmSpec;
use crate::params::{self, DiskPolicy, Levels, QueryParams};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;
use slackvm_sim::scheduler::DeployError;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Request-handling options of a local daemon.
#[derive(Debug, Clone, Default)]
pub struct LocalOptions {
    /// Where disk images may come from.
    pub disks: DiskPolicy,
    /// Bearer token required on every request.
    pub token: Option<String>,
    /// Accepted `oc` levels.
    pub levels: Levels,
}

/// Shared state of a local daemon.
#[derive(Debug, Clone)]
pub struct LocalDaemon {
    /// Scheduler and bookkeeping (never locked across a hypervisor call).
    pub core: Arc<Mutex<LocalCore>>,
    /// The transactions over it.
    pub shared: Shared,
    disks: Arc<DiskPolicy>,
    levels: Arc<Levels>,
}

impl LocalDaemon {
    /// Wraps a core whose VMs are adopted already.
    pub fn new(core: LocalCore, disks: DiskPolicy, levels: Levels) -> Self {
        let shared = Shared::new(core);
        LocalDaemon {
            core: shared.core.clone(),
            shared,
            disks: Arc::new(disks),
            levels: Arc::new(levels),
        }
    }
}

/// The router of a local daemon.
pub fn router(core: LocalCore, opts: LocalOptions) -> (Router, LocalDaemon) {
    let daemon = LocalDaemon::new(core, opts.disks, opts.levels);
    let app = Router::new()
        .route("/", get(root))
        .route("/deploy", get(deploy))
        .route("/remove", get(remove))
        .route("/progress", get(progress))
        .route("/status", get(status))
        .route("/listvm", get(listvm))
        .route("/pinning", get(pinning))
        .with_state(daemon.clone());
    (guard::wrap(app, Guard::new(opts.token.as_deref())), daemon)
}

async fn root() -> &'static str {
    "SlackVM local scheduler is running\n"
}

async fn deploy(State(daemon): State<LocalDaemon>, RawQuery(raw): RawQuery) -> Response {
    let q = QueryParams::parse(raw.as_deref());
    let p = match params::deploy(&q, &daemon.disks, &daemon.levels) {
        Ok(p) => p,
        Err(e) => return api::bad_param(&e),
    };
    let spec = VmSpec {
        name: p.name,
        vcpus: p.vcpus,
        mem_mb: p.mem_mb,
        level: p.level,
        disk: p.qcow2,
    };
    match daemon.shared.deploy(spec).await {
        Ok(()) => api::success(),
        Err(e) => deploy_failure(&e),
    }
}

/// The prototype's refusal text for a resource (`Not enough space on res
/// cpu`).
pub fn refusal_text(e: &DeployError) -> String {
    let res = if e.resource().contains("mem") {
        "mem"
    } else {
        "cpu"
    };
    format!("Not enough space on res {res}")
}

fn deploy_failure(e: &DeployFailure) -> Response {
    match e {
        DeployFailure::Refused(DeployError::AlreadyHosted { .. }) => {
            api::failure(StatusCode::CONFLICT, "already hosted")
        }
        DeployFailure::Refused(d @ DeployError::InvalidRequest { .. }) => {
            api::failure(StatusCode::BAD_REQUEST, &d.to_string())
        }
        DeployFailure::Refused(d) => api::failure(StatusCode::OK, &refusal_text(d)),
        DeployFailure::Hypervisor(_) => {
            api::failure(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
        }
    }
}

async fn remove(State(daemon): State<LocalDaemon>, RawQuery(raw): RawQuery) -> Response {
    let q = QueryParams::parse(raw.as_deref());
    let name = match params::vm_name(&q) {
        Ok(n) => n,
        Err(e) => return api::bad_param(&e),
    };
    match daemon.shared.remove(&name).await {
        Ok(()) => api::success(),
        // The prototype's text for an unknown VM.
        Err(RemoveFailure::NotHosted(_)) => api::failure(StatusCode::NOT_FOUND, "does not exist"),
        Err(e @ RemoveFailure::Busy(_)) => api::failure(StatusCode::CONFLICT, &e.to_string()),
        Err(e) => api::failure(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn progress(State(daemon): State<LocalDaemon>, RawQuery(raw): RawQuery) -> Response {
    let q = QueryParams::parse(raw.as_deref());
    let (vcpus, mem_mb, level) = match params::progress(&q, &daemon.levels) {
        Ok(p) => p,
        Err(e) => return api::bad_param(&e),
    };
    let value = daemon
        .core
        .lock()
        .await
        .host()
        .progress(vcpus, mem_mb, level);
    api::ok_json(json!({ "progress": value }))
}

/// The scheduler's status plus `backend` (the hypervisor's health).
async fn status(State(daemon): State<LocalDaemon>) -> Response {
    let core = daemon.core.lock().await;
    let mut value = core.host().status().to_json();
    if let Some(map) = value.as_object_mut() {
        map.insert("backend".into(), core.health_json());
    }
    drop(core);
    api::ok_json(value)
}

async fn listvm(State(daemon): State<LocalDaemon>) -> Response {
    let names = daemon.core.lock().await.host().list();
    api::ok_json(json!(names))
}

async fn pinning(State(daemon): State<LocalDaemon>) -> Response {
    let value = daemon.core.lock().await.pinning_json();
    api::ok_json(value)
}
