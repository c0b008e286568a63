//! Switches for the published prototype's quirks (docs/scheduler.md,
//! "Quirks"), and THE table that names them ([`QUIRKS`]: name, layer,
//! default, what `on` does), from which `--quirk` parsing, the CLI help
//! ([`Quirks::help`]) and the replay summary ([`Quirks::iter`]) are made.
//! Each quirk belongs to one layer ([`QuirkLayer`]): the host (the local
//! scheduler), the replay, or the reading of Linux topologies. Scheduling
//! quirks 1 and 3 shaped the paper's figures and are on by default;
//! reading bugs are off. `prototype()` turns everything on, `fixed()`
//! everything off.

/// One flag per quirk; `true` reproduces the prototype. The table
/// [`QUIRKS`] says which layer reads each flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quirks {
    /// Host quirk 1 (`empty-vnode-first-free`).
    pub empty_vnode_first_free: bool,
    /// Replay quirk 2 (`replay-mem-kib`).
    pub replay_mem_kib: bool,
    /// Host quirk 3 (`balance-mixed-units`).
    pub balance_mixed_units: bool,
    /// Topology-reading quirk 4 (`socket-as-numa`).
    pub socket_as_numa: bool,
    /// Host quirk `keep-vnode-after-rollback`.
    pub keep_vnode_after_rollback: bool,
    /// Replay quirk `replay-first-step-clamp`.
    pub replay_first_step_clamp: bool,
    /// Replay quirk `replay-drop-unreported`.
    pub replay_drop_unreported: bool,
    /// Prototype replay behaviour: VM records and the vNodes' usage (`val`)
    /// are copied from the input trace instead of recomputed for the
    /// replayed host (a refused VM keeps its records, a vNode's "CPUs busy"
    /// ignores its size). Off by default: the output is what this host
    /// would have recorded.
    pub replay_copy_records: bool,
    /// Replay quirk `replay-absent-removal-shrinks`: the departure of a VM
    /// the host does not hold (refused, or dropped by
    /// `replay-drop-unreported`) still runs the shrink of its level's vNode
    /// and of the memory pool. Prototype (jacquetpi/slackvm 6fdbf63): the
    /// replay loop (`schedulerlocal.py` 43-47) removes every VM it can
    /// build at its last sighting; the pool's removal (`subsetmanager.py`
    /// 1007-1017) calls the CPU then the memory manager, stopping at the
    /// first with no vNode of the VM's level; each (lines 62-67) takes the
    /// VM out of that vNode's consumer list, only warning when it is not
    /// there (`subset.py` 182-186), then shrinks the vNode unconditionally.
    /// The shrink's `floor((cap * r - alloc) / r)` in floating point
    /// (`subsetoversubscription.py` 123-134) is not idempotent at levels
    /// such as 1.2 (a 31-CPU vNode emptied by a removal keeps 1 CPU), so
    /// this extra shrink can release a CPU.
    pub replay_absent_removal_shrinks: bool,
    /// Replay quirk `replay-drop-per-resource`: with
    /// `replay-drop-unreported`, a VM missing from one resource's records
    /// (CPU or memory) at a timestamp is dropped from that resource only.
    /// Prototype: the monitoring pass runs per manager (CPU then memory);
    /// each vNode (`subset.py` 581-585, 401-409) takes out of its own
    /// consumer list the VMs with no record under its `subset` id at that
    /// timestamp, and the manager shrinks the vNodes that lost one
    /// (`subsetmanager.py` 256-257); the other resource keeps the VM.
    pub replay_drop_per_resource: bool,
    /// Replay quirk `replay-drop-skips-next`: with `replay-drop-unreported`,
    /// the VM listed right after each dropped one in its vNode (deployment
    /// order) is not checked at that timestamp, so it stays even when it
    /// is unreported too. Prototype: that loop (`subset.py` 403-408)
    /// deletes a VM from the consumer list it is iterating over, which
    /// shifts the next VM into the position the loop has just passed.
    pub replay_drop_skips_next: bool,
    /// Replay quirk `replay-rollback-regrows`: a deployment that memory
    /// refused first grows its level's vNode and takes the VM, then loses
    /// it and shrinks (the vNode a refusal created is the one
    /// `keep-vnode-after-rollback` leaves listed). Prototype: the pool's
    /// deployment (`subsetmanager.py` 973-989) deploys on the CPU manager
    /// first (growing an existing vNode, lines 115-125, or creating one,
    /// 141-145), and when memory refuses, removes the VM from the CPU
    /// manager (lines 987-988), whose removal shrinks (62-67, 535-538). In
    /// floating point at levels such as 1.2 the shrink can leave the vNode
    /// one CPU bigger than before (cap 5, 6 vCPUs, a 1-vCPU VM refused by
    /// memory: the vNode keeps 6 CPUs).
    pub replay_rollback_regrows: bool,
}

/// The layer whose behaviour a quirk changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuirkLayer {
    /// The local scheduler ([`crate::host`]).
    Host,
    /// The offline replay ([`crate::replay`]).
    Replay,
    /// Reading a Linux topology ([`crate::topology::read_linux`]).
    Topology,
}

impl QuirkLayer {
    /// `host`, `replay`, `topology`.
    pub fn name(self) -> &'static str {
        match self {
            QuirkLayer::Host => "host",
            QuirkLayer::Replay => "replay",
            QuirkLayer::Topology => "topology",
        }
    }
}

/// One row of the quirk table.
#[derive(Debug, Clone, Copy)]
pub struct QuirkInfo {
    /// Name for `--quirk name=on|off` and the summaries.
    pub name: &'static str,
    /// Layer that reads it.
    pub layer: QuirkLayer,
    /// Value in the default (`paper`) mode.
    pub default_on: bool,
    /// What turning it on does.
    pub effect: &'static str,
    flag: fn(&mut Quirks) -> &mut bool,
}

/// THE quirk table, in documentation order.
pub const QUIRKS: [QuirkInfo; 12] = [
    QuirkInfo {
        name: "empty-vnode-first-free",
        layer: QuirkLayer::Host,
        default_on: true,
        effect: "a vNode listed with 0 CPUs regrows from the first free CPU in list order (growth rule) instead of the farthest one",
        flag: |q| &mut q.empty_vnode_first_free,
    },
    QuirkInfo {
        name: "replay-mem-kib",
        layer: QuirkLayer::Replay,
        default_on: false,
        effect: "the VM memory column (MB) is read as KiB: replayed memory is 1024 times too small",
        flag: |q| &mut q.replay_mem_kib,
    },
    QuirkInfo {
        name: "balance-mixed-units",
        layer: QuirkLayer::Host,
        default_on: true,
        effect: "the pinning balance condition adds vCPUs to a count of free CPUs",
        flag: |q| &mut q.balance_mixed_units,
    },
    QuirkInfo {
        name: "socket-as-numa",
        layer: QuirkLayer::Topology,
        default_on: false,
        effect: "reading Linux sysfs, the socket id is used as the NUMA node id",
        flag: |q| &mut q.socket_as_numa,
    },
    QuirkInfo {
        name: "keep-vnode-after-rollback",
        layer: QuirkLayer::Host,
        default_on: false,
        effect: "a vNode created by a deployment that memory refused stays listed with 0 CPUs",
        flag: |q| &mut q.keep_vnode_after_rollback,
    },
    QuirkInfo {
        name: "replay-first-step-clamp",
        layer: QuirkLayer::Replay,
        default_on: false,
        effect: "VMs seen only at the first timestamp are removed right after being deployed",
        flag: |q| &mut q.replay_first_step_clamp,
    },
    QuirkInfo {
        name: "replay-drop-unreported",
        layer: QuirkLayer::Replay,
        default_on: false,
        effect: "a hosted VM with no record in its vNode at a timestamp is dropped (its vNode shrinks)",
        flag: |q| &mut q.replay_drop_unreported,
    },
    QuirkInfo {
        name: "replay-copy-records",
        layer: QuirkLayer::Replay,
        default_on: false,
        effect: "VM records and vNode usage are copied from the input trace instead of recomputed for the replayed host",
        flag: |q| &mut q.replay_copy_records,
    },
    QuirkInfo {
        name: "replay-absent-removal-shrinks",
        layer: QuirkLayer::Replay,
        default_on: false,
        effect: "the departure of a VM the host does not hold (refused or dropped) still shrinks its level's vNode and the memory pool",
        flag: |q| &mut q.replay_absent_removal_shrinks,
    },
    QuirkInfo {
        name: "replay-drop-per-resource",
        layer: QuirkLayer::Replay,
        default_on: false,
        effect: "with replay-drop-unreported, a VM missing from one resource's records (cpu or mem) is dropped from that resource only",
        flag: |q| &mut q.replay_drop_per_resource,
    },
    QuirkInfo {
        name: "replay-drop-skips-next",
        layer: QuirkLayer::Replay,
        default_on: false,
        effect: "with replay-drop-unreported, the VM listed right after each dropped one in its vNode is not checked at that timestamp",
        flag: |q| &mut q.replay_drop_skips_next,
    },
    QuirkInfo {
        name: "replay-rollback-regrows",
        layer: QuirkLayer::Replay,
        default_on: false,
        effect: "a deployment that memory refused grows its vNode, then loses the VM and shrinks it (at level 1.2 the vNode can keep one CPU more)",
        flag: |q| &mut q.replay_rollback_regrows,
    },
];

/// Names accepted by [`Quirks::set`], in documentation order (from [`QUIRKS`]).
pub const QUIRK_NAMES: [&str; QUIRKS.len()] = {
    let mut names = [""; QUIRKS.len()];
    let mut i = 0;
    while i < QUIRKS.len() {
        names[i] = QUIRKS[i].name;
        i += 1;
    }
    names
};

impl Quirks {
    fn all(on: impl Fn(&QuirkInfo) -> bool) -> Self {
        let mut q = Quirks {
            empty_vnode_first_free: false,
            replay_mem_kib: false,
            balance_mixed_units: false,
            socket_as_numa: false,
            keep_vnode_after_rollback: false,
            replay_first_step_clamp: false,
            replay_drop_unreported: false,
            replay_copy_records: false,
            replay_absent_removal_shrinks: false,
            replay_drop_per_resource: false,
            replay_drop_skips_next: false,
            replay_rollback_regrows: false,
        };
        for info in &QUIRKS {
            *(info.flag)(&mut q) = on(info);
        }
        q
    }

    /// Everything as the published prototype does it (`--compat prototype`).
    pub fn prototype() -> Self {
        Quirks::all(|_| true)
    }

    /// Every quirk fixed.
    pub fn fixed() -> Self {
        Quirks::all(|_| false)
    }

    /// Whether the quirk `info` is on.
    pub fn get(&self, info: &QuirkInfo) -> bool {
        let mut copy = *self;
        *(info.flag)(&mut copy)
    }

    /// `(name, on)` for every quirk, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, bool)> + '_ {
        QUIRKS.iter().map(move |info| (info.name, self.get(info)))
    }

    /// Sets one quirk by name; an unknown name is an error listing the known ones.
    pub fn set(&mut self, name: &str, on: bool) -> Result<(), String> {
        let info = QUIRKS
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| format!("unknown quirk `{name}` (known: {})", QUIRK_NAMES.join(", ")))?;
        *(info.flag)(self) = on;
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

    /// The `--quirk` help: one line per quirk (name, layer, default, what
    /// `on` does).
    pub fn help() -> String {
        let mut out = String::from(
            "Quirks for --quirk NAME=on|off (--compat prototype: all on; fixed: all off):\n",
        );
        for info in &QUIRKS {
            out += &format!(
                "  {} [{}, default {}]: {}\n",
                info.name,
                info.layer.name(),
                if info.default_on { "on" } else { "off" },
                info.effect
            );
        }
        out
    }
}

impl Default for Quirks {
    /// The paper's mode: the table's defaults.
    fn default() -> Self {
        Quirks::all(|info| info.default_on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_makes_the_modes() {
        let d = Quirks::default();
        assert!(d.empty_vnode_first_free && d.balance_mixed_units);
        assert!(!d.replay_mem_kib && !d.socket_as_numa && !d.keep_vnode_after_rollback);
        assert!(!d.replay_first_step_clamp && !d.replay_drop_unreported);
        assert!(!d.replay_absent_removal_shrinks && !d.replay_drop_per_resource);
        assert!(!d.replay_drop_skips_next && !d.replay_rollback_regrows);
        assert!(Quirks::prototype().iter().all(|(_, on)| on));
        assert!(Quirks::fixed().iter().all(|(_, on)| !on));
        assert_eq!(
            d.iter()
                .filter(|&(_, on)| on)
                .map(|(n, _)| n)
                .collect::<Vec<_>>(),
            ["empty-vnode-first-free", "balance-mixed-units"]
        );
    }

    #[test]
    fn every_name_sets_its_own_flag() {
        for info in &QUIRKS {
            let mut q = Quirks::fixed();
            q.set(info.name, true).unwrap();
            let on: Vec<&str> = q.iter().filter(|&(_, on)| on).map(|(n, _)| n).collect();
            assert_eq!(on, [info.name]);
        }
        let e = Quirks::default().set("nope", true).unwrap_err();
        assert!(
            e.contains("unknown quirk `nope`") && e.contains("socket-as-numa"),
            "{e}"
        );
        let mut q = Quirks::default();
        q.apply_list("replay-mem-kib, balance-mixed-units=off")
            .unwrap();
        assert!(q.replay_mem_kib && !q.balance_mixed_units);
        assert!(q.apply_list("replay-mem-kib=maybe").is_err());
    }

    #[test]
    fn help_lists_every_quirk_with_layer_and_default() {
        let help = Quirks::help();
        for info in &QUIRKS {
            assert!(help.contains(info.name) && help.contains(info.effect));
        }
        assert!(help.contains("empty-vnode-first-free [host, default on]"));
        assert!(help.contains("socket-as-numa [topology, default off]"));
        assert!(help.contains("replay-mem-kib [replay, default off]"));
        assert!(help.contains("replay-copy-records [replay, default off]"));
        assert!(help.contains("replay-absent-removal-shrinks [replay, default off]"));
        assert!(help.contains("replay-drop-per-resource [replay, default off]"));
        assert!(help.contains("replay-drop-skips-next [replay, default off]"));
        assert!(help.contains("replay-rollback-regrows [replay, default off]"));
        assert_eq!(QUIRK_NAMES.len(), 12);
    }
}
