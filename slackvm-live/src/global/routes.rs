//! HTTP routes of the global daemon (docs/http-api.md): `/`, `/deploy`,
//! `/remove`, `/status`, `/listvm`. Parameters are validated here (HTTP
//! 400 naming the parameter) before any host is contacted; the disk path
//! is checked by the local daemon that receives it.

use super::{Forward, Global, Outcome};
use crate::api;
use crate::guard::{self, Guard};
use crate::params::{self, QueryParams};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

/// The router of a global daemon; `token` is required from clients.
pub fn router(global: Arc<Global>, token: Option<&str>) -> Router {
    let app = Router::new()
        .route("/", get(root))
        .route("/deploy", get(deploy))
        .route("/remove", get(remove))
        .route("/status", get(status))
        .route("/listvm", get(listvm))
        .with_state(global);
    guard::wrap(app, Guard::new(token))
}

fn respond((status, body): Outcome) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    (code, Json(body)).into_response()
}

async fn root() -> &'static str {
    "SlackVM global scheduler is running\n"
}

fn forward_of(q: &QueryParams, levels: &params::Levels) -> Result<Forward, params::ParamError> {
    let name = params::vm_name(q)?;
    let vcpus = params::vcpus(q)?;
    let mem_mb = params::mem_mb(q)?;
    let level = params::level(q, levels)?;
    let mut query = vec![
        ("name", name.clone()),
        ("cpu", vcpus.to_string()),
        ("mem", q.get("mem").unwrap_or_default().trim().to_string()),
        ("oc", q.get("oc").unwrap_or_default().trim().to_string()),
    ];
    if let Some(disk) = q.get("qcow2") {
        query.push(("qcow2", disk.to_string()));
    } else if q.has("qcow2") {
        return Err(params::ParamError::Malformed {
            param: "qcow2",
            message: "empty disk path".into(),
        });
    }
    Ok(Forward {
        name,
        vcpus,
        mem_mb,
        level,
        query,
    })
}

async fn deploy(State(global): State<Arc<Global>>, RawQuery(raw): RawQuery) -> Response {
    let q = QueryParams::parse(raw.as_deref());
    match forward_of(&q, global.levels()) {
        Ok(vm) => respond(global.deploy(&vm).await),
        Err(e) => api::bad_param(&e),
    }
}

async fn remove(State(global): State<Arc<Global>>, RawQuery(raw): RawQuery) -> Response {
    let q = QueryParams::parse(raw.as_deref());
    match params::vm_name(&q) {
        Ok(name) => respond(global.remove(&name).await),
        Err(e) => api::bad_param(&e),
    }
}

async fn status(State(global): State<Arc<Global>>) -> Response {
    api::ok_json(global.status().await)
}

async fn listvm(State(global): State<Arc<Global>>) -> Response {
    api::ok_json(json!(global.refresh_vms().await))
}
