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
    /// A non-loopback address without a token and without
    /// `--insecure-no-token`.
    #[error("--allow-remote needs --token-file (or --insecure-no-token to serve {addr} without authentication)")]
    RemoteWithoutToken {
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

/// How a daemon may be exposed: `--allow-remote`, `--token-file`,
/// `--insecure-no-token`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exposure {
    /// `--allow-remote`.
    pub allow_remote: bool,
    /// A token is configured.
    pub has_token: bool,
    /// `--insecure-no-token`.
    pub insecure_no_token: bool,
}

impl Exposure {
    /// Refuses a non-loopback `addr` without `--allow-remote`, and without a
    /// token unless `--insecure-no-token` (then warns on stderr).
    pub fn check(&self, addr: SocketAddr) -> Result<(), StartError> {
        if server::is_loopback(&addr) {
            return Ok(());
        }
        if !self.allow_remote {
            return Err(StartError::NotLoopback { addr });
        }
        if !self.has_token {
            if !self.insecure_no_token {
                return Err(StartError::RemoteWithoutToken { addr });
            }
            eprintln!("warning: serving {addr} WITHOUT authentication (--insecure-no-token): anyone who can reach it can create and remove VMs");
        }
        Ok(())
    }
}

/// The bearer token of `--token-file`, if given.
pub fn read_token(path: Option<&Path>) -> Result<Option<String>, StartError> {
    path.map(api::read_token_file)
        .transpose()
        .map_err(|source| StartError::TokenFile { source })
}

/// Binds `addr`, prints `listening on ADDR` (the address bound) on stdout,
/// and serves `app` with `limits` until Ctrl-C or SIGTERM.
pub async fn serve(
    addr: SocketAddr,
    app: Router,
    limits: server::Limits,
) -> Result<(), StartError> {
    let (listener, bound) = server::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    println!("listening on {bound}");
    server::serve_with(listener, app, limits)
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
    fn remote_needs_a_token_or_an_explicit_opt_out() {
        let addr: SocketAddr = "0.0.0.0:1".parse().unwrap();
        let mut e = Exposure {
            allow_remote: true,
            ..Exposure::default()
        };
        assert!(matches!(
            e.check(addr),
            Err(StartError::RemoteWithoutToken { .. })
        ));
        e.insecure_no_token = true;
        assert!(e.check(addr).is_ok());
        let tokened = Exposure {
            allow_remote: true,
            has_token: true,
            ..Exposure::default()
        };
        assert!(tokened.check(addr).is_ok());
        assert!(Exposure::default()
            .check("127.0.0.1:1".parse().unwrap())
            .is_ok());
    }

    #[test]
    fn token_file_errors_name_the_flag() {
        assert_eq!(read_token(None).unwrap(), None);
        let err = read_token(Some(Path::new("/nonexistent/token"))).unwrap_err();
        assert_eq!(err.to_string(), "--token-file");
        assert!(std::error::Error::source(&err).is_some());
    }
}
