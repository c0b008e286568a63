//! Switches for the published prototype's quirks (local-scheduler.md,
//! "Quirks"). Scheduling quirks 1 and 3 shaped the paper's figures and are
//! on by default; reading bugs 2 and 4 are off by default. `prototype()`
//! turns everything to the prototype's behaviour, `fixed()` turns
//! everything off.

/// One flag per quirk; `true` reproduces the prototype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quirks {
    /// Quirk 1 (`empty-vnode-first-free`): a vNode that exists with 0 CPUs
    /// is grown by the growth rule, so its first CPU is the first free CPU
    /// in list order instead of the farthest one. Default on.
    pub empty_vnode_first_free: bool,
    /// Quirk 2 (`replay-mem-kib`): offline replay reads the VM memory column
    /// (MB) as KiB, so replayed memory is 1024 times too small. Default off.
    pub replay_mem_kib: bool,
    /// Quirk 3 (`balance-mixed-units`): the pinning balance condition adds
    /// vCPUs to a count of CPUs. Default on.
    pub balance_mixed_units: bool,
    /// Quirk 4 (`socket-as-numa`): the socket id is used as the NUMA node id
    /// when reading Linux topology. Default off.
    pub socket_as_numa: bool,
    /// Prototype behaviour found in its code (not in the spec's list): a
    /// vNode created by a deployment that memory then refused stays listed
    /// with 0 CPUs. Off by default (a refusal leaves the host unchanged).
    pub keep_vnode_after_rollback: bool,
    /// Prototype replay behaviour: at the first timestamp, VMs seen only at
    /// that timestamp are removed right after being deployed (the
    /// "previous timestamp" index is clamped to 0). Off by default.
    pub replay_first_step_clamp: bool,
    /// Prototype replay behaviour: a hosted VM with no record in a vNode at
    /// a timestamp is dropped from that vNode, which then shrinks. Off by
    /// default (a VM lives from its first to its last sighting).
    pub replay_drop_unreported: bool,
    /// Prototype replay behaviour: VM records and the vNodes' usage (`val`)
    /// are copied from the input trace instead of recomputed for the
    /// replayed host (a refused VM keeps its records, a vNode's "CPUs busy"
    /// ignores its size). Off by default: the output is what this host
    /// would have recorded.
    pub replay_copy_records: bool,
}

/// Names accepted by [`Quirks::set`], in documentation order.
pub const QUIRK_NAMES: [&str; 8] = [
    "empty-vnode-first-free",
    "replay-mem-kib",
    "balance-mixed-units",
    "socket-as-numa",
    "keep-vnode-after-rollback",
    "replay-first-step-clamp",
    "replay-drop-unreported",
    "replay-copy-records",
];

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            empty_vnode_first_free: true,
            replay_mem_kib: false,
            balance_mixed_units: true,
            socket_as_numa: false,
            keep_vnode_after_rollback: false,
            replay_first_step_clamp: false,
            replay_drop_unreported: false,
            replay_copy_records: false,
        }
    }
}

impl Quirks {
    /// Everything as the published prototype does it (`--compat prototype`).
    pub fn prototype() -> Self {
        Quirks {
            empty_vnode_first_free: true,
            replay_mem_kib: true,
            balance_mixed_units: true,
            socket_as_numa: true,
            keep_vnode_after_rollback: true,
            replay_first_step_clamp: true,
            replay_drop_unreported: true,
            replay_copy_records: true,
        }
    }

    /// Every quirk fixed.
    pub fn fixed() -> Self {
        Quirks {
            empty_vnode_first_free: false,
            balance_mixed_units: false,
            ..Quirks::default()
        }
    }

    /// Sets one quirk by name; an unknown name is an error listing the known ones.
    pub fn set(&mut self, name: &str, on: bool) -> Result<(), String> {
        let flag = match name {
            "empty-vnode-first-free" => &mut self.empty_vnode_first_free,
            "replay-mem-kib" => &mut self.replay_mem_kib,
            "balance-mixed-units" => &mut self.balance_mixed_units,
            "socket-as-numa" => &mut self.socket_as_numa,
            "keep-vnode-after-rollback" => &mut self.keep_vnode_after_rollback,
            "replay-first-step-clamp" => &mut self.replay_first_step_clamp,
            "replay-drop-unreported" => &mut self.replay_drop_unreported,
            "replay-copy-records" => &mut self.replay_copy_records,
            other => {
                return Err(format!(
                    "unknown quirk `{other}` (known: {})",
                    QUIRK_NAMES.join(", ")
                ));
            }
        };
        *flag = on;
        Ok(())
    }

    /// Parses `name=on|off,name=on|off`.
    pub fn apply_list(&mut self, list: &str) -> Result<(), String> {
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = item.split_once('=').unwrap_or((item, "on"));
            let on = match value {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                v => return Err(format!("quirk `{name}`: value `{v}` is not on/off")),
            };
            self.set(name, on)?;
        }
        Ok(())
    }
}
