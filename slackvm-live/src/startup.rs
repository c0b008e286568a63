//! Start-up shared by the binaries (`slackvm-local`, `slackvm-global`,
//! `slackvm-client`): each daemon's address settings ([`Endpoint`]: the
//! prototype's environment keys and defaults), the loopback guard, the
//! bearer-token file, and binding, announcing (`listening on ADDR`) and
//! serving until a shutdown signal.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::Router;

use crate::config::{self, ConfigError, EnvSource};
use crate::{api, server};

/// Errors of a binary's start-up; each names the flag, key or address at
/// fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A setting (flag, environment, `.env` file) is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A non-loopback address without `--allow-remote`.
    #[error("refusing to listen on non-loopback {addr} without --allow-remote (and consider --token-file)")]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The `--token-file` could not be read or is empty.
    #[error("--token-file")]
    TokenFile {
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The address could not be bound.
    #[error("binding {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error(transparent)]
    Serve(std::io::Error),
}

/// A daemon's address and period settings: the prototype's environment keys
/// and the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Host key (`http://` optional).
    pub url_key: &'static str,
    /// Port key.
    pub port_key: &'static str,
    /// Period key (seconds).
    pub delay_key: &'static str,
    /// `host:port` used when neither flag nor key is given.
    pub default: &'static str,
}

/// The local daemon: `SCL_URL`, `SCL_PORT`, `SCL_DELAY`, 127.0.0.1:8099.
pub const LOCAL: Endpoint = Endpoint {
    url_key: "SCL_URL",
    port_key: "SCL_PORT",
    delay_key: "SCL_DELAY",
    default: "127.0.0.1:8099",
};

/// The global daemon: `SCG_URL`, `SCG_PORT`, `SCG_DELAY`, 127.0.0.1:8100.
pub const GLOBAL: Endpoint = Endpoint {
    url_key: "SCG_URL",
    port_key: "SCG_PORT",
    delay_key: "SCG_DELAY",
    default: "127.0.0.1:8100",
};

/// Period used when neither flag nor key is given, in seconds.
const DEFAULT_DELAY_S: f64 = 15.0;

impl Endpoint {
    /// The daemon's address: `flag` (`--listen`, `--url`) wins, else the
    /// keys, else the default.
    pub fn addr(&self, flag: Option<&str>, env: &EnvSource) -> Result<SocketAddr, ConfigError> {
        config::listen_addr(flag, env, self.url_key, self.port_key, self.default)
    }

    /// The address to listen on, refusing a non-loopback one unless
    /// `allow_remote` (`--allow-remote`).
    pub fn listen_addr(
        &self,
        flag: Option<&str>,
        allow_remote: bool,
        env: &EnvSource,
    ) -> Result<SocketAddr, StartError> {
        let addr = self.addr(flag, env)?;
        if !server::is_loopback(&addr) && !allow_remote {
            return Err(StartError::NotLoopback { addr });
        }
        Ok(addr)
    }

    /// The period: `flag` (`--delay-s`) wins, else the key, else 15 s.
    pub fn delay(&self, flag: Option<f64>, env: &EnvSource) -> Result<Duration, ConfigError> {
        config::delay(flag, env, self.delay_key, DEFAULT_DELAY_S)
    }
}

/// The bearer token of `--token-file`, if given.
pub fn read_token(path: Option<&Path>) -> Result<Option<String>, StartError> {
    path.map(api::read_token_file)
        .transpose()
        .map_err(|source| StartError::TokenFile { source })
}

/// Binds `addr`, prints `listening on ADDR` (the address bound) on stdout,
/// and serves `app` until Ctrl-C or SIGTERM.
pub async fn serve(addr: SocketAddr, app: Router) -> Result<(), StartError> {
    let (listener, bound) = server::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    println!("listening on {bound}");
    server::serve(listener, app)
        .await
        .map_err(StartError::Serve)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvSource {
        EnvSource::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn endpoints_read_their_own_keys() {
        let e = env(&[("SCL_PORT", "9001"), ("SCG_URL", "http://localhost/")]);
        assert_eq!(LOCAL.addr(None, &e).unwrap().to_string(), "127.0.0.1:9001");
        assert_eq!(GLOBAL.addr(None, &e).unwrap().to_string(), "127.0.0.1:8100");
        assert_eq!(
            GLOBAL.delay(None, &env(&[("SCG_DELAY", "2.5")])).unwrap(),
            Duration::from_millis(2500)
        );
        assert_eq!(LOCAL.delay(None, &e).unwrap(), Duration::from_secs(15));
    }

    #[test]
    fn loopback_guard() {
        let e = env(&[]);
        let err = LOCAL.listen_addr(Some("0.0.0.0:1"), false, &e).unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing to listen on non-loopback 0.0.0.0:1 without --allow-remote (and consider --token-file)"
        );
        assert!(LOCAL.listen_addr(Some("0.0.0.0:1"), true, &e).is_ok());
        assert!(LOCAL.listen_addr(Some("127.0.0.1:0"), false, &e).is_ok());
    }

    #[test]
    fn token_file_errors_name_the_flag() {
        assert_eq!(read_token(None).unwrap(), None);
        let err = read_token(Some(Path::new("/nonexistent/token"))).unwrap_err();
        assert_eq!(err.to_string(), "--token-file");
        assert!(std::error::Error::source(&err).is_some());
    }
}
