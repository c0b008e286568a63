//! JSON answers shared by both daemons (`{"success": bool, "reason":
//! str|null}`), the error type handlers return, and the optional bearer
//! token guard.

use crate::params::ParamError;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// `{"success": true, "reason": null}`.
pub fn success() -> Response {
    Json(json!({"success": true, "reason": null})).into_response()
}

/// `{"success": false, "reason": reason}` with a status code.
pub fn failure(status: StatusCode, reason: &str) -> Response {
    (status, Json(json!({"success": false, "reason": reason}))).into_response()
}

/// HTTP 400 naming the faulty parameter.
pub fn bad_param(err: &ParamError) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"success": false, "reason": err.to_string(), "parameter": err.param()})),
    )
        .into_response()
}

/// A JSON value with status 200.
pub fn ok_json(value: Value) -> Response {
    Json(value).into_response()
}

/// The expected `Authorization` header value, when a token is configured.
#[derive(Debug, Clone, Default)]
pub struct TokenGuard {
    expected: Option<Arc<str>>,
}

impl TokenGuard {
    /// A guard requiring `Authorization: Bearer <token>` (none when `None`).
    pub fn new(token: Option<&str>) -> Self {
        TokenGuard {
            expected: token.map(|t| Arc::from(format!("Bearer {t}").as_str())),
        }
    }

    fn accepts(&self, header_value: Option<&[u8]>) -> bool {
        match (&self.expected, header_value) {
            (None, _) => true,
            (Some(want), Some(got)) => constant_time_eq(want.as_bytes(), got),
            (Some(_), None) => false,
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Middleware: 401 with a JSON error unless the token matches.
pub async fn require_token(
    State(guard): State<TokenGuard>,
    request: Request,
    next: Next,
) -> Response {
    let got = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    if guard.accepts(got) {
        next.run(request).await
    } else {
        failure(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (Authorization: Bearer ...)",
        )
    }
}

/// Reads a token file: the first line, trimmed; empty files are an error.
pub fn read_token_file(path: &std::path::Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: empty token file", path.display()),
        ));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_guard() {
        let g = TokenGuard::new(Some("s3cret"));
        assert!(g.accepts(Some(b"Bearer s3cret")));
        assert!(!g.accepts(Some(b"Bearer s3cre")));
        assert!(!g.accepts(None));
        assert!(TokenGuard::new(None).accepts(None));
    }
}
