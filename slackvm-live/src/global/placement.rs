//! The global placement rule of docs/http-api.md, as pure functions over the
//! local daemons' `/status` JSON: a host fits when, for CPU, the vNode of
//! the level has `vavail + vpotential >= C` or `avail >= C` CPUs are free,
//! and the same for memory (MB, key `"1"`); among fitting hosts the largest
//! `/progress` wins, ties going to the first in the configured order.

use serde::Deserialize;
use serde_json::Value;
use slackvm_sim::scheduler::{HostStatus, ResourceStatus};
use slackvm_sim::Level;

/// Room for `need` units at `level` in one resource of a status.
pub fn resource_fits(resource: &ResourceStatus, level: Level, need: f64) -> bool {
    let vnode_room = resource
        .subset(level)
        .is_some_and(|s| s.vavail + s.vpotential >= need);
    vnode_room || resource.avail as f64 >= need
}

/// Room for the VM on a host, from its `/status` (read as the one
/// [`HostStatus`] form the local daemon writes; a malformed status fits
/// nothing).
pub fn host_fits(status: &Value, vcpus: u32, mem_mb: u64, level: Level) -> bool {
    match HostStatus::deserialize(status) {
        Ok(s) => {
            resource_fits(&s.cpu, level, f64::from(vcpus))
                && resource_fits(&s.mem, Level::ONE, mem_mb as f64)
        }
        Err(_) => false,
    }
}

/// Index (into the configured order) of the candidate with the largest
/// progress; ties go to the smallest index; NaN never wins.
pub fn choose(candidates: &[(usize, f64)]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for &(index, progress) in candidates {
        if progress.is_nan() {
            continue;
        }
        best = match best {
            Some((bi, bp)) if bp > progress || (bp == progress && bi < index) => Some((bi, bp)),
            _ => Some((index, progress)),
        };
    }
    best.or_else(|| candidates.iter().map(|c| c.0).min().map(|i| (i, f64::NAN)))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fit_rule() {
        let s = json!({"cpu": {"avail": 1, "subset": {"2.0": {"pcap": 2, "palloc": 3, "vavail": 1.0, "vpotential": 2.0}}},
                       "mem": {"avail": 1000, "subset": {"1": {"pcap": 2048, "palloc": 2048, "vavail": 0, "vpotential": 1000}}}});
        let (one, two) = (Level::ONE, Level::TWO);
        assert!(host_fits(&s, 3, 1000, two));
        assert!(!host_fits(&s, 4, 1000, two));
        assert!(host_fits(&s, 1, 500, one));
        assert!(!host_fits(&s, 2, 500, one));
        assert!(!host_fits(&s, 1, 1001, two));
        assert!(!host_fits(&json!({}), 1, 1, one));
    }

    #[test]
    fn choice() {
        assert_eq!(choose(&[(0, 0.5), (1, 0.7), (2, 0.7)]), Some(1));
        assert_eq!(choose(&[(3, -1.0), (1, -1.0)]), Some(1));
        assert_eq!(choose(&[(2, f64::NAN), (4, 0.0)]), Some(4));
        assert_eq!(choose(&[]), None);
    }
}
