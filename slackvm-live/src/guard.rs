//! Request guards shared by both daemons, outermost first:
//! 1. mutating routes (`/deploy`, `/remove`) refuse `HEAD` (405): axum
//!    answers HEAD with the GET handler, which would create or remove VMs;
//! 2. without a bearer token, requests a web browser could forge are
//!    refused (403): a `Host` that is not an IP literal or `localhost`
//!    (DNS rebinding), an `Origin` that is not loopback, or
//!    `Sec-Fetch-Site: cross-site|same-site` (a page on another site);
//!    the prototype's own tools (python-requests, curl) send none of these;
//! 3. the bearer token, when one is configured (401);
//! 4. JSON bodies for unknown paths (404) and other methods (405).

use crate::api::{self, TokenGuard};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use std::net::IpAddr;

/// Paths whose GET changes state.
const MUTATING: [&str; 2] = ["/deploy", "/remove"];

/// The guard settings of one daemon.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    token: TokenGuard,
    has_token: bool,
}

impl Guard {
    /// Guards for a daemon with an optional bearer token.
    pub fn new(token: Option<&str>) -> Self {
        Guard {
            token: TokenGuard::new(token),
            has_token: token.is_some(),
        }
    }
}

/// True for `localhost`, `*.localhost` and IP literals (with or without a
/// port): names a browser cannot be tricked into resolving elsewhere.
pub fn is_safe_host(host: &str) -> bool {
    let host = host.trim();
    let bare = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        }
    };
    let lower = bare.to_ascii_lowercase();
    lower == "localhost" || lower.ends_with(".localhost") || bare.parse::<IpAddr>().is_ok()
}

/// True for an `Origin` on this machine (`http://127.0.0.1:...`,
/// `http://localhost:...`, `http://[::1]:...`).
fn is_loopback_origin(origin: &str) -> bool {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let Some(authority) = rest else {
        return false;
    };
    let authority = authority.trim_end_matches('/');
    if !is_safe_host(authority) {
        return false;
    }
    let bare = authority
        .trim_start_matches('[')
        .rsplit_once(':')
        .map_or(authority, |(h, _)| h)
        .trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.to_ascii_lowercase().ends_with(".localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Why a tokenless request looks forged by a browser, if it does.
fn browser_forgery(request: &Request) -> Option<&'static str> {
    let headers = request.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text(header::HOST.as_str()).is_some_and(|h| !is_safe_host(h)) {
        return Some(
            "Host is not localhost or an IP address (use --token-file to serve other names)",
        );
    }
    if headers.contains_key(header::ORIGIN)
        && !text(header::ORIGIN.as_str()).is_some_and(is_loopback_origin)
    {
        return Some("cross-origin request refused (no token configured)");
    }
    if matches!(text("sec-fetch-site"), Some("cross-site" | "same-site")) {
        return Some("cross-site request refused (no token configured)");
    }
    None
}

async fn check(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    if request.method() == Method::HEAD && MUTATING.contains(&request.uri().path()) {
        return api::failure(
            StatusCode::METHOD_NOT_ALLOWED,
            "HEAD is not allowed on a route that changes state: use GET",
        );
    }
    if !guard.has_token {
        if let Some(reason) = browser_forgery(&request) {
            return api::failure(StatusCode::FORBIDDEN, reason);
        }
    }
    api::require_token(State(guard.token), request, next).await
}

async fn not_found() -> Response {
    api::failure(StatusCode::NOT_FOUND, "no such route")
}

async fn not_allowed() -> Response {
    api::failure(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed: use GET",
    )
}

/// Adds the guards and the JSON fallbacks to a daemon's routes.
pub fn wrap(app: Router, guard: Guard) -> Router {
    app.fallback(not_found)
        .method_not_allowed_fallback(not_allowed)
        .layer(axum::middleware::from_fn_with_state(guard, check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins() {
        for ok in [
            "127.0.0.1:8099",
            "localhost",
            "LOCALHOST:1",
            "[::1]:8099",
            "10.0.0.2:8099",
            "a.localhost",
        ] {
            assert!(is_safe_host(ok), "{ok}");
        }
        for bad in ["evil.example:8099", "evil.example", "127.0.0.1.nip.io"] {
            assert!(!is_safe_host(bad), "{bad}");
        }
        assert!(is_loopback_origin("http://127.0.0.1:8099"));
        assert!(is_loopback_origin("http://localhost:3000"));
        assert!(is_loopback_origin("http://[::1]:1"));
        assert!(!is_loopback_origin("http://evil.example"));
        assert!(!is_loopback_origin("http://10.0.0.2:8099"));
        assert!(!is_loopback_origin("null"));
    }
}
