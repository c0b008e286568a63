//! Status of a host as the global scheduler sees it (local-scheduler.md,
//! "Status"), and its JSON form in the prototype's shape.

use super::Host;
use crate::level::Level;
use serde_json::{Map, Value};

/// One vNode's line of a status.
#[derive(Debug, Clone, PartialEq)]
pub struct VNodeStatus {
    /// Level key as the prototype writes it (`"1.0"`, `"2.0"`, `"1"` for memory).
    pub key: String,
    /// Level.
    pub level: Level,
    /// Physical units held (CPUs or MB).
    pub pcap: u64,
    /// Units allocated (vCPUs or MB).
    pub palloc: u64,
    /// `pcap * level - palloc`.
    pub vavail: f64,
    /// `free * level`: what the vNode could still gain.
    pub vpotential: f64,
}

/// Status of one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceStatus {
    /// Free units (CPUs or MB).
    pub avail: u64,
    /// vNodes in creation order.
    pub subsets: Vec<VNodeStatus>,
}

/// Status of a host: CPU and memory.
#[derive(Debug, Clone, PartialEq)]
pub struct HostStatus {
    /// CPU vNodes.
    pub cpu: ResourceStatus,
    /// The memory pool (key `"1"`).
    pub mem: ResourceStatus,
}

pub(super) fn status(host: &Host) -> HostStatus {
    let free = host.free_cpus() as u64;
    let cpu = ResourceStatus {
        avail: free,
        subsets: host
            .vnodes()
            .iter()
            .map(|v| VNodeStatus {
                key: v.level().to_string(),
                level: v.level(),
                pcap: v.cap(),
                palloc: v.alloc_vcpus(),
                vavail: super::virtual_avail(v.cap(), v.alloc_vcpus(), v.level().get()),
                vpotential: free as f64 * v.level().get(),
            })
            .collect(),
    };
    let mem = host.mem();
    let mem_status = ResourceStatus {
        avail: mem.free_mb(),
        subsets: if mem.exists() {
            vec![VNodeStatus {
                key: "1".into(),
                level: Level::ONE,
                pcap: mem.size_mb(),
                palloc: mem.alloc_mb(),
                vavail: (mem.size_mb() - mem.alloc_mb()) as f64,
                vpotential: mem.free_mb() as f64,
            }]
        } else {
            Vec::new()
        },
    };
    HostStatus {
        cpu,
        mem: mem_status,
    }
}

impl ResourceStatus {
    /// The vNode line of a level, if present.
    pub fn subset(&self, level: Level) -> Option<&VNodeStatus> {
        self.subsets.iter().find(|s| s.level == level)
    }

    fn to_json(&self, integral: bool) -> Value {
        let num = |x: f64| {
            if integral && x.fract() == 0.0 && x.abs() < 9.0e15 {
                Value::from(x as i64)
            } else {
                Value::from(x)
            }
        };
        let mut subsets = Map::new();
        for s in &self.subsets {
            let mut o = Map::new();
            o.insert("pcap".into(), Value::from(s.pcap));
            o.insert("palloc".into(), Value::from(s.palloc));
            o.insert("vavail".into(), num(s.vavail));
            o.insert("vpotential".into(), num(s.vpotential));
            subsets.insert(s.key.clone(), Value::Object(o));
        }
        let mut out = Map::new();
        out.insert("avail".into(), Value::from(self.avail));
        out.insert("subset".into(), Value::Object(subsets));
        Value::Object(out)
    }
}

impl HostStatus {
    /// `{"cpu": {"avail": n, "subset": {"1.0": {...}}}, "mem": {...}}`, the
    /// prototype's `/status` answer (CPU values as floats, memory as integers).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("cpu".into(), self.cpu.to_json(false));
        out.insert("mem".into(), self.mem.to_json(true));
        Value::Object(out)
    }
}
