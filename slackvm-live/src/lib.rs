//! # slackvm-live
//!
//! Live mode of SlackVM: the prototype's two HTTP daemons rebuilt on axum +
//! tokio. The local daemon drives THE local scheduler of `slackvm-sim`
//! ([`slackvm_sim::Host`] through its public methods); nothing
//! of the scheduling logic is rewritten here.
//!
//! Map of the crate:
//! - [`config`]: environment variables of the prototype, `.env` files.
//! - [`params`]: query-string parsing and validation (HTTP 400 naming the
//!   parameter).
//! - [`api`]: JSON answers, errors and the bearer-token guard.
//! - [`guard`]: HEAD on mutating routes, browser forgery (Host, Origin),
//!   token, JSON 404/405.
//! - [`hypervisor`]: the backend trait, the in-memory backend and (feature
//!   `live`) the libvirt backend.
//! - [`local`]: the local daemon (scheduler bookkeeping under a lock never
//!   held across a hypervisor call).
//! - [`monitor`] and [`trace`]: the monitoring loop and its TSV trace.
//! - [`global`]: the global daemon (placement over several local daemons).
//! - [`client`]: a minimal HTTP/1.1 client for loopback/LAN use.
//! - [`server`]: binding and graceful shutdown.
//! - [`startup`]: what the binaries share at start-up (addresses and
//!   environment keys, loopback guard, token file, serve).

pub mod api;
pub mod client;
pub mod config;
pub mod global;
pub mod guard;
pub mod hypervisor;
pub mod local;
pub mod monitor;
pub mod params;
pub mod server;
pub mod startup;
pub mod trace;
