//! HTTP routes of the local daemon (http-api.md): `/`, `/deploy`,
//! `/remove`, `/progress`, `/status`, `/listvm`, plus `/pinning` (CPU sets
//! per VM and per vNode, for operators and tests). Parameters are
//! validated before the scheduler lock is taken; scheduler + hypervisor
//! work runs on the blocking pool under the lock.

use super::{DeployFailure, LocalCore, RemoveFailure};
use crate::api::{self, TokenGuard};
use crate::hypervisor::VmSpec;
use crate::params::{self, QueryParams};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;
use slackvm_sim::scheduler::{DeployError, LocalScheduler};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Request-handling options of a local daemon.
#[derive(Debug, Clone, Default)]
pub struct LocalOptions {
    /// Canonical directory disk images must lie under (`None`: no disk
    /// image accepted).
    pub image_root: Option<PathBuf>,
    /// Bearer token required on every request.
    pub token: Option<String>,
}

/// Shared state of a local daemon.
#[derive(Debug, Clone)]
pub struct LocalDaemon {
    /// Scheduler + hypervisor, one lock.
    pub core: Arc<Mutex<LocalCore>>,
    image_root: Option<PathBuf>,
}

impl LocalDaemon {
    /// Wraps a core.
    pub fn new(core: LocalCore, image_root: Option<PathBuf>) -> Self {
        LocalDaemon {
            core: Arc::new(Mutex::new(core)),
            image_root,
        }
    }
}

/// The router of a local daemon.
pub fn router(core: LocalCore, opts: LocalOptions) -> (Router, LocalDaemon) {
    let daemon = LocalDaemon::new(core, opts.image_root);
    let guard = TokenGuard::new(opts.token.as_deref());
    let app = Router::new()
        .route("/", get(root))
        .route("/deploy", get(deploy))
        .route("/remove", get(remove))
        .route("/progress", get(progress))
        .route("/status", get(status))
        .route("/listvm", get(listvm))
        .route("/pinning", get(pinning))
        .with_state(daemon.clone())
        .layer(axum::middleware::from_fn_with_state(
            guard,
            api::require_token,
        ));
    (app, daemon)
}

async fn root() -> &'static str {
    "SlackVM local scheduler is running\n"
}

/// Runs `f` on the blocking pool with the core locked.
async fn with_core<T: Send + 'static>(
    daemon: &LocalDaemon,
    f: impl FnOnce(&mut LocalCore) -> T + Send + 'static,
) -> Result<T, Response> {
    let mut guard = daemon.core.clone().lock_owned().await;
    tokio::task::spawn_blocking(move || f(&mut guard))
        .await
        .map_err(|e| {
            api::failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("internal error: {e}"),
            )
        })
}

async fn deploy(State(daemon): State<LocalDaemon>, RawQuery(raw): RawQuery) -> Response {
    let q = QueryParams::parse(raw.as_deref());
    let p = match params::deploy(&q, daemon.image_root.as_deref()) {
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
    match with_core(&daemon, move |core| core.deploy(spec)).await {
        Ok(Ok(_)) => api::success(),
        Ok(Err(e)) => deploy_failure(&e),
        Err(resp) => resp,
    }
}

fn deploy_failure(e: &DeployFailure) -> Response {
    match e {
        DeployFailure::Refused(DeployError::AlreadyHosted { .. }) => {
            api::failure(StatusCode::CONFLICT, "already hosted")
        }
        DeployFailure::Refused(d @ DeployError::InvalidRequest { .. }) => {
            api::failure(StatusCode::BAD_REQUEST, &d.to_string())
        }
        DeployFailure::Refused(d) => api::failure(StatusCode::OK, d.resource()),
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
    match with_core(&daemon, move |core| core.remove(&name)).await {
        Ok(Ok(_)) => api::success(),
        Ok(Err(e @ RemoveFailure::NotHosted(_))) => {
            api::failure(StatusCode::NOT_FOUND, &e.to_string())
        }
        Ok(Err(e)) => api::failure(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(resp) => resp,
    }
}

async fn progress(State(daemon): State<LocalDaemon>, RawQuery(raw): RawQuery) -> Response {
    let q = QueryParams::parse(raw.as_deref());
    let (vcpus, mem_mb, level) = match params::progress(&q) {
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

async fn status(State(daemon): State<LocalDaemon>) -> Response {
    let status = daemon.core.lock().await.host().status();
    api::ok_json(status.to_json())
}

async fn listvm(State(daemon): State<LocalDaemon>) -> Response {
    let names = daemon.core.lock().await.host().list();
    api::ok_json(json!(names))
}

async fn pinning(State(daemon): State<LocalDaemon>) -> Response {
    let value = daemon.core.lock().await.pinning_json();
    api::ok_json(value)
}
