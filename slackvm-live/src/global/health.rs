//! Per-host health as the global daemon sees it: a host that missed a
//! deadline or refused a connection is *suspect* and skipped by requests
//! until it answers again (the background poll keeps asking it), so a
//! silent host costs at most one deadline per request, never a sum; a host
//! that answers 401 refuses the global's token, which `/status` and the
//! refusals say. Changes are logged once.

use crate::client::ClientError;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What the global knows of one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeState {
    /// Answered its last call.
    Healthy,
    /// Missed its last call (timeout, refused connection, bad answer).
    Suspect(String),
    /// Answered 401: the global's token is missing or wrong.
    Unauthorized,
}

/// The reason given for a host that answers 401.
pub const UNAUTHORIZED: &str =
    "refuses the global daemon's token (HTTP 401): give the global the local daemons' --token-file";

/// Health of every host.
#[derive(Debug, Default)]
pub struct Health {
    states: Mutex<BTreeMap<String, NodeState>>,
}

impl Health {
    fn states(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, NodeState>> {
        self.states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the outcome of a call to `node`.
    pub fn note(&self, node: &str, result: &Result<(u16, serde_json::Value), ClientError>) {
        let new = match result {
            Ok((401, _)) => NodeState::Unauthorized,
            Ok(_) => NodeState::Healthy,
            Err(e) => NodeState::Suspect(e.to_string()),
        };
        let mut states = self.states();
        let old = states.insert(node.to_string(), new.clone());
        if old.as_ref() == Some(&new) || (old.is_none() && new == NodeState::Healthy) {
            return;
        }
        match new {
            NodeState::Healthy => eprintln!("info: host {node} answers again"),
            NodeState::Suspect(e) => {
                eprintln!("warning: host {node} skipped until it answers: {e}")
            }
            NodeState::Unauthorized => eprintln!("warning: host {node} {UNAUTHORIZED}"),
        }
    }

    /// True unless the host is suspect or refuses the token.
    pub fn usable(&self, node: &str) -> bool {
        matches!(self.states().get(node), None | Some(NodeState::Healthy))
    }

    /// The hosts answering 401, in `nodes` order.
    pub fn unauthorized<'a>(&self, nodes: &'a [String]) -> Vec<&'a str> {
        let states = self.states();
        nodes
            .iter()
            .filter(|n| states.get(*n) == Some(&NodeState::Unauthorized))
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn states_follow_answers() {
        let h = Health::default();
        assert!(h.usable("a"));
        h.note(
            "a",
            &Err(ClientError::Timeout {
                addr: "a".into(),
                timeout: Duration::from_millis(1),
            }),
        );
        assert!(!h.usable("a"));
        h.note("a", &Ok((200, json!([]))));
        assert!(h.usable("a"));
        h.note("b", &Ok((401, json!({}))));
        assert!(!h.usable("b"));
        assert_eq!(h.unauthorized(&["a".into(), "b".into()]), ["b"]);
    }
}
