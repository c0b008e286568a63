//! THE projection of a host's state into monitoring records: which vNode
//! records exist, their `subset` id, `sb_oc`, `config` (CPUs or MB held),
//! `sb_unused`, `sb_dsc` and the VMs listed under them. Replay, the trace
//! generator and the live monitor all call [`snapshot`]; they differ only
//! in the `sb_dsc` shape ([`DscShape`]) and in the usage (`val`) they
//! measure, which they pass to the row builders. The only part of
//! [`crate::trace`] that knows hosts.

use super::{RecKind, Res, Row};
use crate::host::{Host, VNodeView};
use crate::level::Level;
use serde_json::json;

/// The shape of the free-form `sb_dsc` column (and of `sb_unused`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DscShape {
    /// A generated trace: `{}`, and `sb_unused` written 0.
    Bare,
    /// The live monitor: `{"cpus": [...], "vms": [...]}` for a CPU vNode,
    /// `{"vms": [...]}` for the memory pool.
    Live,
    /// The replay: `{"level": 2.0, "cpus": [...], "vms": [...]}` for a CPU
    /// vNode, `{"range_mb": [0, size], "vms": [...]}` for the memory pool.
    Replay,
}

/// One vNode (or the memory pool) as the monitoring records describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct VNodeSnapshot {
    /// Resource: a CPU vNode or the memory pool.
    pub res: Res,
    /// The `subset` column: `subset-2.0`, `subset-1` for the memory pool.
    pub subset: String,
    /// The `sb_oc` column: the level as Python writes it (`2.0`, `1`).
    pub oc: String,
    /// Oversubscription level (1 for the memory pool).
    pub level: Level,
    /// The `config` column: CPUs (or MB) held.
    pub size: u64,
    /// The `sb_unused` column: CPUs (or MB) it could release now.
    pub unused: u64,
    /// The `sb_dsc` column.
    pub dsc: String,
    /// Names of its VMs, in deployment order.
    pub vms: Vec<String>,
    /// Ids of its CPUs in the order they were added (none for memory).
    pub cpus: Vec<u32>,
}

/// A host's state as monitoring records describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostSnapshot {
    /// The `config` of the global CPU record: usable CPUs.
    pub cpu_count: u64,
    /// The `config` of the global memory record: usable MB.
    pub mem_allowed_mb: u64,
    /// CPU vNodes, in the host's order.
    pub cpu: Vec<VNodeSnapshot>,
    /// The memory pool, once it exists (from the first accepted VM on).
    pub mem: Option<VNodeSnapshot>,
}

impl HostSnapshot {
    /// The CPU vNode of a level.
    pub fn cpu_level(&self, level: Level) -> Option<&VNodeSnapshot> {
        self.cpu.iter().find(|v| v.level == level)
    }
}

/// The records' view of `host`, with `sb_dsc` in the given shape. Reads
/// the host through its read-only [`Host::view`] only.
pub fn snapshot(host: &Host, shape: DscShape) -> HostSnapshot {
    let view = host.view();
    let cpu = view.vnodes().map(|v| cpu_vnode(v, shape)).collect();
    let pool = view.mem();
    let mem = pool.exists().then(|| {
        let vms: Vec<String> = pool.vm_names().map(str::to_string).collect();
        let dsc = match shape {
            DscShape::Bare => "{}".to_string(),
            DscShape::Live => json!({"vms": vms}).to_string(),
            DscShape::Replay => json!({"range_mb": [0, pool.size_mb()], "vms": vms}).to_string(),
        };
        VNodeSnapshot {
            res: Res::Mem,
            subset: "subset-1".into(),
            oc: "1".into(),
            level: Level::ONE,
            size: pool.size_mb(),
            unused: unused(shape, pool.unused_mb()),
            dsc,
            vms,
            cpus: Vec::new(),
        }
    });
    HostSnapshot {
        cpu_count: view.cpu_count() as u64,
        mem_allowed_mb: view.topology().mem_allowed_mb(),
        cpu,
        mem,
    }
}

fn unused(shape: DscShape, unused: u64) -> u64 {
    match shape {
        DscShape::Bare => 0,
        DscShape::Live | DscShape::Replay => unused,
    }
}

fn cpu_vnode(v: VNodeView<'_>, shape: DscShape) -> VNodeSnapshot {
    let oc = v.level().to_string();
    let vms: Vec<String> = v.vm_names().map(str::to_string).collect();
    let cpus: Vec<u32> = v.cpu_ids().collect();
    let dsc = match shape {
        DscShape::Bare => "{}".to_string(),
        DscShape::Live => json!({"cpus": cpus, "vms": vms}).to_string(),
        DscShape::Replay => json!({"level": v.level(), "cpus": cpus, "vms": vms}).to_string(),
    };
    VNodeSnapshot {
        res: Res::Cpu,
        subset: v.level().subset_key(),
        oc,
        level: v.level(),
        size: v.cap(),
        unused: unused(shape, v.unused()),
        dsc,
        vms,
        cpus,
    }
}

impl VNodeSnapshot {
    /// A vNode of `level` that holds nothing (a level the host has no
    /// vNode for, or the memory pool before it exists), described `{}`.
    pub fn absent(res: Res, level: Level) -> Self {
        let oc = match res {
            Res::Cpu => level.to_string(),
            Res::Mem => "1".into(),
        };
        VNodeSnapshot {
            res,
            subset: format!("subset-{oc}"),
            oc,
            level,
            size: 0,
            unused: 0,
            dsc: "{}".into(),
            vms: Vec::new(),
            cpus: Vec::new(),
        }
    }

    /// Its `subset` record at `tmp` with usage `val`.
    pub fn subset_row(&self, tmp: u64, val: Option<f64>) -> Row<'_> {
        Row {
            tmp,
            rec: Some(RecKind::Subset),
            res: Some(self.res),
            val,
            config: Some(self.size as f64),
            subset: Some(&self.subset),
            sb_oc: Some(&self.oc),
            sb_unused: Some(self.unused as f64),
            sb_dsc: Some(&self.dsc),
            ..Row::default()
        }
    }

    /// The record of one of its VMs at `tmp`: usage `val`, `config` (vCPUs
    /// or MB), identifier and name.
    pub fn vm_row<'a>(
        &'a self,
        tmp: u64,
        val: Option<f64>,
        config: Option<f64>,
        vm: VmId<'a>,
    ) -> Row<'a> {
        Row {
            tmp,
            rec: Some(RecKind::Vm),
            res: Some(self.res),
            val,
            config,
            subset: Some(&self.subset),
            vm_uuid: vm.uuid,
            vm_cmn: vm.name,
            sb_oc: Some(&self.oc),
            ..Row::default()
        }
    }
}

/// A VM's `vm_uuid` and `vm_cmn` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VmId<'a> {
    /// The `vm_uuid` column.
    pub uuid: Option<&'a str>,
    /// The `vm_cmn` column.
    pub name: Option<&'a str>,
}

/// The global record of a resource at `tmp`: usage `val`, capacity `config`.
pub fn global_row(tmp: u64, res: Res, val: Option<f64>, config: f64) -> Row<'static> {
    Row {
        tmp,
        rec: Some(RecKind::Global),
        res: Some(res),
        val,
        config: Some(config),
        ..Row::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::VmRequest;
    use crate::topology;
    use std::sync::Arc;

    fn host() -> Host {
        let topo = Arc::new(topology::preset("laptop-8").expect("preset"));
        let mut host = Host::new(topo, crate::host::HostOptions::default());
        host.deploy(&VmRequest::new("a", 2, 1024, Level::TWO))
            .expect("fits");
        host
    }

    #[test]
    fn the_three_shapes_describe_the_same_vnode() {
        let h = host();
        let replay = snapshot(&h, DscShape::Replay);
        let live = snapshot(&h, DscShape::Live);
        let bare = snapshot(&h, DscShape::Bare);
        let cpus = h.vnode_cpu_ids(0);
        let c = &replay.cpu[0];
        assert_eq!(
            (c.subset.as_str(), c.oc.as_str(), c.size),
            ("subset-2.0", "2.0", 2)
        );
        assert_eq!(
            c.dsc,
            json!({"level": 2.0, "cpus": cpus, "vms": ["a"]}).to_string()
        );
        assert_eq!(
            live.cpu[0].dsc,
            json!({"cpus": cpus, "vms": ["a"]}).to_string()
        );
        assert_eq!((bare.cpu[0].dsc.as_str(), bare.cpu[0].unused), ("{}", 0));
        let m = replay.mem.as_ref().expect("pool exists");
        assert_eq!((m.subset.as_str(), m.size), ("subset-1", 1024));
        assert_eq!(m.dsc, r#"{"range_mb":[0,1024],"vms":["a"]}"#);
        assert_eq!(live.mem.expect("pool").dsc, r#"{"vms":["a"]}"#);
        assert_eq!(replay.cpu_level(Level::TWO), Some(c));
        assert_eq!(replay.cpu_level(Level::THREE), None);
    }

    #[test]
    fn rows_carry_the_snapshot_columns() {
        let snap = snapshot(&host(), DscShape::Replay);
        let c = &snap.cpu[0];
        let row = c.subset_row(15, Some(0.5));
        assert_eq!(
            (row.config, row.sb_unused, row.subset),
            (Some(2.0), Some(0.0), Some("subset-2.0"))
        );
        let id = VmId {
            uuid: Some("u"),
            name: Some("a"),
        };
        let vm = c.vm_row(15, None, Some(2.0), id);
        assert_eq!(
            (vm.rec, vm.vm_uuid, vm.sb_oc, vm.sb_dsc),
            (Some(RecKind::Vm), Some("u"), Some("2.0"), None)
        );
        let absent = VNodeSnapshot::absent(Res::Cpu, Level::THREE);
        assert_eq!(
            (absent.subset.as_str(), absent.size, absent.dsc.as_str()),
            ("subset-3.0", 0, "{}")
        );
        assert_eq!(global_row(0, Res::Mem, None, 8.0).config, Some(8.0));
    }
}
