//! The local daemon's monitoring loop: every `SCL_DELAY` seconds, per-CPU
//! utilisation from `/proc/stat` deltas, per-VM CPU and memory use from the
//! hypervisor, turned into the records of docs/monitoring-trace.md (global, vNode and vm
//! records, `cpu` then `mem`) with the scheduler's vNode sizes as `config`:
//! the vNode columns come from [`slackvm_sim::trace::snapshot`] (shape
//! [`DscShape::Live`]), the usage from the measures here.

use crate::local::LocalCore;
use crate::trace::{Record, Res};
use slackvm_sim::trace::{global_row, snapshot, DscShape, VmId};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Cumulated (busy, total) jiffies per CPU id.
pub type CpuTimes = BTreeMap<u32, (u64, u64)>;

/// Parses the `cpuN` lines of `/proc/stat`; busy = total - idle - iowait.
pub fn parse_proc_stat(text: &str) -> CpuTimes {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some(id) = fields
            .next()
            .and_then(|f| f.strip_prefix("cpu"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let values: Vec<u64> = fields.filter_map(|f| f.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal (guest counted in user)
        let total: u64 = values.iter().take(8).sum();
        let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
        out.insert(id, (total.saturating_sub(idle), total));
    }
    out
}

/// Utilisation in [0, 1] per CPU between two readings.
pub fn utilisation(before: &CpuTimes, after: &CpuTimes) -> BTreeMap<u32, f64> {
    after
        .iter()
        .filter_map(|(id, &(busy, total))| {
            let &(b0, t0) = before.get(id)?;
            let dt = total.checked_sub(t0)?;
            let db = busy.saturating_sub(b0);
            Some((
                *id,
                if dt == 0 {
                    0.0
                } else {
                    (db as f64 / dt as f64).clamp(0.0, 1.0)
                },
            ))
        })
        .collect()
}

/// Used fraction of the machine's memory from `/proc/meminfo`.
pub fn mem_used_fraction(meminfo: &str) -> Option<f64> {
    let field = |name: &str| {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
    };
    let total = field("MemTotal:")?;
    let avail = field("MemAvailable:")?;
    (total > 0.0).then(|| ((total - avail) / total).clamp(0.0, 1.0))
}

/// State kept between monitoring steps.
#[derive(Debug)]
pub struct Monitor {
    started: Instant,
    proc_stat: PathBuf,
    meminfo: PathBuf,
    last_cpu: Option<CpuTimes>,
    last_vm: BTreeMap<String, (u64, Instant)>,
    last_tmp: Option<u64>,
}

impl Monitor {
    /// A monitor reading `/proc/stat` and `/proc/meminfo` under `proc_root`.
    pub fn new(proc_root: PathBuf) -> Self {
        Monitor {
            started: Instant::now(),
            proc_stat: proc_root.join("stat"),
            meminfo: proc_root.join("meminfo"),
            last_cpu: None,
            last_vm: BTreeMap::new(),
            last_tmp: None,
        }
    }

    /// Seconds since the monitor started.
    pub fn elapsed_s(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// The `tmp` of the next step: seconds since start, strictly after the
    /// previous step's (a replay groups rows by `tmp`, so two steps must
    /// never share one, even with a sub-second period).
    pub fn next_tmp(&mut self) -> u64 {
        let now = self.elapsed_s();
        let tmp = self.last_tmp.map_or(now, |last| now.max(last + 1));
        self.last_tmp = Some(tmp);
        tmp
    }

    fn cpu_utilisation(&mut self) -> BTreeMap<u32, f64> {
        let Ok(text) = std::fs::read_to_string(&self.proc_stat) else {
            return BTreeMap::new();
        };
        let now = parse_proc_stat(&text);
        let out = self
            .last_cpu
            .as_ref()
            .map(|b| utilisation(b, &now))
            .unwrap_or_default();
        self.last_cpu = Some(now);
        out
    }

    /// VM CPU utilisation (fraction of its vCPUs) and memory (fraction of
    /// its allocation) since the previous step.
    fn vm_usage(
        &mut self,
        core: &mut LocalCore,
        name: &str,
        vcpus: u32,
        mem_mb: u64,
    ) -> (Option<f64>, Option<f64>) {
        let Ok(u) = core.hypervisor().usage(name) else {
            return (None, None);
        };
        let now = Instant::now();
        let cpu = self
            .last_vm
            .insert(name.to_string(), (u.cpu_time_ns, now))
            .and_then(|(ns0, t0)| {
                let dt_ns = now.duration_since(t0).as_nanos() as f64 * f64::from(vcpus);
                (dt_ns > 0.0)
                    .then(|| (u.cpu_time_ns.saturating_sub(ns0) as f64 / dt_ns).clamp(0.0, 1.0))
            });
        let mem = u
            .mem_used_mb
            .map(|m| (m as f64 / mem_mb.max(1) as f64).clamp(0.0, 1.0));
        (cpu, mem)
    }

    /// One monitoring step at `tmp` seconds.
    pub fn step(&mut self, core: &mut LocalCore, tmp: u64) -> Vec<Record> {
        let cpu_util = self.cpu_utilisation();
        let names: Vec<(String, u32, u64)> = core
            .specs()
            .values()
            .map(|s| (s.name.clone(), s.vcpus, s.mem_mb))
            .collect();
        let mut vm_cpu = BTreeMap::new();
        let mut vm_mem = BTreeMap::new();
        for (name, vcpus, mem_mb) in &names {
            let (c, m) = self.vm_usage(core, name, *vcpus, *mem_mb);
            vm_cpu.insert(name.clone(), c);
            vm_mem.insert(name.clone(), m);
        }
        self.last_vm.retain(|n, _| vm_cpu.contains_key(n));
        let mut uuids = BTreeMap::new();
        for (name, _, _) in &names {
            let id = core.hypervisor().uuid(name).unwrap_or_else(|| name.clone());
            uuids.insert(name.clone(), id);
        }
        let mut out = cpu_records(core, tmp, &cpu_util, &vm_cpu, &uuids);
        let machine_mem = std::fs::read_to_string(&self.meminfo)
            .ok()
            .and_then(|t| mem_used_fraction(&t));
        out.extend(mem_records(core, tmp, machine_mem, &vm_mem, &uuids));
        out
    }
}

/// The `vm_uuid` (the hypervisor's, else the name) and `vm_cmn` of a VM.
fn vm_id<'a>(uuids: &'a BTreeMap<String, String>, name: &'a str) -> VmId<'a> {
    VmId {
        uuid: uuids.get(name).map(String::as_str),
        name: Some(name),
    }
}

fn cpu_records(
    core: &LocalCore,
    tmp: u64,
    util: &BTreeMap<u32, f64>,
    vm_cpu: &BTreeMap<String, Option<f64>>,
    uuids: &BTreeMap<String, String>,
) -> Vec<Record> {
    let host = core.host();
    let snap = snapshot(host, DscShape::Live);
    let usable: Vec<u32> = host.topology().cpus().iter().map(|c| c.id).collect();
    let known: Vec<f64> = usable
        .iter()
        .filter_map(|id| util.get(id).copied())
        .collect();
    let val = (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64);
    let mut out = vec![global_row(tmp, Res::Cpu, val, usable.len() as f64).to_record()];
    for vnode in &snap.cpu {
        let busy: Option<f64> = vnode.cpus.iter().map(|c| util.get(c).copied()).sum();
        let empty = vnode.cpus.is_empty() && !util.is_empty();
        let val = busy.or(if empty { Some(0.0) } else { None });
        out.push(vnode.subset_row(tmp, val).to_record());
        for name in &vnode.vms {
            let Some(spec) = core.specs().get(name) else {
                continue;
            };
            let val = vm_cpu.get(name).copied().flatten();
            let config = Some(f64::from(spec.vcpus));
            out.push(
                vnode
                    .vm_row(tmp, val, config, vm_id(uuids, name))
                    .to_record(),
            );
        }
    }
    out
}

fn mem_records(
    core: &LocalCore,
    tmp: u64,
    machine_mem: Option<f64>,
    vm_mem: &BTreeMap<String, Option<f64>>,
    uuids: &BTreeMap<String, String>,
) -> Vec<Record> {
    let snap = snapshot(core.host(), DscShape::Live);
    let allowed = snap.mem_allowed_mb as f64;
    let mut out = vec![global_row(tmp, Res::Mem, machine_mem, allowed).to_record()];
    let Some(pool) = &snap.mem else {
        return out;
    };
    let used_mb: Option<f64> = pool
        .vms
        .iter()
        .map(|n| {
            let frac = vm_mem.get(n).copied().flatten()?;
            Some(frac * core.specs().get(n)?.mem_mb as f64)
        })
        .sum();
    let val = used_mb.map(|u| {
        if pool.size == 0 {
            0.0
        } else {
            (u / pool.size as f64).clamp(0.0, 1.0)
        }
    });
    out.push(pool.subset_row(tmp, val).to_record());
    for name in &pool.vms {
        let Some(spec) = core.specs().get(name) else {
            continue;
        };
        let (val, config) = (
            vm_mem.get(name).copied().flatten(),
            Some(spec.mem_mb as f64),
        );
        out.push(
            pool.vm_row(tmp, val, config, vm_id(uuids, name))
                .to_record(),
        );
    }
    out
}

/// Runs the monitoring loop forever: one step every `period`, appended to
/// the trace. Write errors are logged, never fatal.
pub async fn run(
    core: std::sync::Arc<tokio::sync::Mutex<LocalCore>>,
    monitor: Monitor,
    writer: crate::trace::TraceWriter,
    period: std::time::Duration,
) {
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut state = Some((monitor, writer));
    loop {
        ticker.tick().await;
        let Some((mut monitor, mut writer)) = state.take() else {
            return;
        };
        let guard = core.clone().lock_owned().await;
        let joined = tokio::task::spawn_blocking(move || {
            let mut guard = guard;
            let tmp = monitor.next_tmp();
            let records = monitor.step(&mut guard, tmp);
            drop(guard);
            if let Err(e) = crate::trace::write_step(&mut writer, &records) {
                eprintln!("warning: monitoring trace: {e}");
            }
            (monitor, writer)
        })
        .await;
        match joined {
            Ok(back) => state = Some(back),
            Err(e) => {
                eprintln!("error: monitoring step failed: {e}; monitoring stopped");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_deltas() {
        let a = parse_proc_stat(
            "cpu  1 2 3 4\ncpu0 10 0 10 80 0 0 0 0 0 0\ncpu1 0 0 0 100 0 0 0 0\nintr 5\n",
        );
        let b = parse_proc_stat("cpu0 60 0 10 130 0 0 0 0 0 0\ncpu1 0 0 0 200 0 0 0 0\n");
        let u = utilisation(&a, &b);
        assert!((u[&0] - 0.5).abs() < 1e-9);
        assert_eq!(u[&1], 0.0);
        assert_eq!(a.len(), 2);
        let m =
            mem_used_fraction("MemTotal: 1000 kB\nMemFree: 1 kB\nMemAvailable: 250 kB\n").unwrap();
        assert!((m - 0.75).abs() < 1e-9);
    }
}
