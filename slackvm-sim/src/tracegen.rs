//! Seeded single-host monitoring trace generator: VMs of
//! several levels arrive and leave over a run, each with a usage profile;
//! a local scheduler (the real one, default options) hosts them and every
//! step emits global, vNode and VM records as a live daemon would. Every
//! VM keeps its records even when this host refuses it, so a replay on the
//! same topology refuses it too. Same config and seed, same bytes.

use crate::host::{Host, HostOptions};
use crate::level::Level;
use crate::pyfmt::round4;
use crate::rng::Rng;
use crate::scheduler::VmRequest;
use crate::topology::Topology;
use crate::trace::{
    global_row, snapshot, DscShape, HostSnapshot, Res, TraceError, TraceWriter, VNodeSnapshot, VmId,
};
use std::sync::Arc;

/// Parameters of a generated trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceGenConfig {
    /// Seed of the random stream.
    pub seed: u64,
    /// Length of the run in seconds.
    pub duration_s: u64,
    /// Monitoring step in seconds.
    pub step_s: u64,
    /// Levels, each with its share of arrivals (percent) and the fraction of
    /// the run at which its arrivals peak.
    pub levels: Vec<(Level, u32, f64)>,
    /// Peak arrival rate of all levels together, VMs per hour.
    pub peak_arrivals_per_h: f64,
    /// Lifetime bounds in seconds (uniform); `long_lived_pct` % live to the end.
    pub lifetime_s: (u64, u64),
    /// Share of VMs that never leave, percent.
    pub long_lived_pct: u32,
}

impl Default for TraceGenConfig {
    /// The shipped EPYC trace: ~30,000 s at 15-s steps, 1:1, 2:1 and 3:1.
    fn default() -> Self {
        TraceGenConfig {
            seed: 2024,
            duration_s: 30_000,
            step_s: 15,
            levels: vec![
                (Level::ONE, 34, 0.30),
                (Level::TWO, 33, 0.50),
                (Level::THREE, 33, 0.68),
            ],
            peak_arrivals_per_h: 100.0,
            lifetime_s: (1_800, 9_000),
            long_lived_pct: 10,
        }
    }
}

/// What the generator produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceGenStats {
    /// VMs in the trace.
    pub vms: u64,
    /// VMs this host refused.
    pub refused: u64,
    /// Rows written.
    pub rows: u64,
}

/// One generated VM.
#[derive(Debug, Clone)]
struct GenVm {
    uuid: String,
    name: String,
    vcpus: u32,
    mem_mb: u64,
    level: Level,
    start_s: u64,
    end_s: u64,
    avg: f64,
    sd: f64,
    period_s: f64,
    phase: f64,
    mem_use: f64,
    hosted: bool,
}

const SIZES: [(u32, u64, u32); 7] = [
    // (vCPUs, MB, share in thousandths): OVHcloud 2023 shares, rank-paired memory.
    (1, 2_048, 100),
    (2, 4_096, 210),
    (2, 7_168, 270),
    (4, 8_192, 140),
    (4, 15_360, 200),
    (8, 30_720, 50),
    (16, 61_440, 30),
];

fn draw_size(rng: &mut Rng) -> (u32, u64) {
    let mut x = rng.below(1000) as u32;
    for (vcpus, mem, share) in SIZES {
        if x < share {
            return (vcpus, mem);
        }
        x -= share;
    }
    (SIZES[6].0, SIZES[6].1)
}

fn uuid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// Poisson draw by counting exponential gaps (small means only).
fn poisson(rng: &mut Rng, mean: f64) -> u64 {
    let limit = (-mean).exp();
    let mut k = 0;
    let mut p = rng.unit();
    while p > limit && k < 1_000 {
        k += 1;
        p *= rng.unit();
    }
    k
}

fn make_vms(cfg: &TraceGenConfig, rng: &mut Rng) -> Vec<GenVm> {
    let mut vms = Vec::new();
    let total_share: u32 = cfg.levels.iter().map(|l| l.1).sum::<u32>().max(1);
    let steps = cfg.duration_s / cfg.step_s;
    for step in 0..steps {
        let t = step * cfg.step_s;
        let x = t as f64 / cfg.duration_s as f64;
        for &(level, share, peak) in &cfg.levels {
            let shape = 0.12 + (-((x - peak) / 0.16).powi(2)).exp();
            let rate_per_s = cfg.peak_arrivals_per_h / 3600.0 * f64::from(share)
                / f64::from(total_share)
                * shape;
            for _ in 0..poisson(rng, rate_per_s * cfg.step_s as f64) {
                vms.push(new_vm(cfg, rng, level, t, vms.len()));
            }
        }
    }
    vms
}

fn new_vm(cfg: &TraceGenConfig, rng: &mut Rng, level: Level, start_s: u64, index: usize) -> GenVm {
    let (vcpus, mem_mb) = draw_size(rng);
    let long = rng.below(100) < u64::from(cfg.long_lived_pct);
    let life = rng.range_inclusive(cfg.lifetime_s.0, cfg.lifetime_s.1);
    let end_s = if long {
        u64::MAX
    } else {
        start_s + life / cfg.step_s * cfg.step_s
    };
    let avg = rng.uniform(0.05, 0.65);
    let p95 = rng.uniform(avg, (avg + 0.35).min(1.0));
    GenVm {
        uuid: uuid(rng),
        name: format!("vm{index:04}-oc{}", level_tag(level)),
        vcpus,
        mem_mb,
        level,
        start_s,
        end_s,
        avg,
        sd: ((p95 - avg) / 1.645).max(0.005),
        period_s: rng.uniform(1_800.0, 7_200.0),
        phase: rng.uniform(0.0, std::f64::consts::TAU),
        mem_use: rng.uniform(0.2, 0.9),
        hosted: false,
    }
}

fn level_tag(level: Level) -> String {
    level.to_string().replace(".0", "").replace('.', "_")
}

/// Generates a trace on `topo` into `out`.
pub fn generate(
    topo: Arc<Topology>,
    cfg: &TraceGenConfig,
    out: &mut TraceWriter,
) -> Result<TraceGenStats, TraceError> {
    let mut rng = Rng::derive(cfg.seed, "tracegen", 0);
    let mut vms = make_vms(cfg, &mut rng);
    let mut host = Host::new(topo.clone(), HostOptions::default());
    let mut stats = TraceGenStats {
        vms: vms.len() as u64,
        refused: 0,
        rows: 0,
    };
    let mut levels_seen: Vec<Level> = Vec::new();
    let mut t = 0;
    while t <= cfg.duration_s {
        for vm in vms
            .iter_mut()
            .filter(|v| v.end_s != u64::MAX && v.end_s + cfg.step_s == t)
        {
            if vm.hosted {
                host.remove(&vm.uuid).expect("hosted VM is on the host");
                vm.hosted = false;
            }
        }
        for vm in vms.iter_mut().filter(|v| v.start_s == t) {
            vm.hosted = host
                .deploy(&VmRequest::new(
                    vm.uuid.clone(),
                    vm.vcpus,
                    vm.mem_mb,
                    vm.level,
                ))
                .is_ok();
            stats.refused += u64::from(!vm.hosted);
            if !levels_seen.contains(&vm.level) {
                levels_seen.push(vm.level);
            }
        }
        let alive: Vec<usize> = (0..vms.len())
            .filter(|&i| vms[i].start_s <= t && t <= vms[i].end_s)
            .collect();
        let usage: Vec<f64> = alive
            .iter()
            .map(|&i| cpu_usage(&vms[i], t, &mut rng))
            .collect();
        let step = StepVms {
            vms: &vms,
            alive: &alive,
            usage: &usage,
        };
        stats.rows += emit_step(&host, &step, &levels_seen, t, out)?;
        t += cfg.step_s;
    }
    Ok(stats)
}

fn cpu_usage(vm: &GenVm, t: u64, rng: &mut Rng) -> f64 {
    let wave = 1.0 + 0.3 * ((t as f64 / vm.period_s) * std::f64::consts::TAU + vm.phase).sin();
    round4(rng.normal(vm.avg * wave, vm.sd).clamp(0.0, 1.0))
}

/// One step's VMs: the alive ones (indexes into the generated list) and
/// their CPU usage, in the same order.
struct StepVms<'a> {
    vms: &'a [GenVm],
    alive: &'a [usize],
    usage: &'a [f64],
}

impl StepVms<'_> {
    /// (VM, CPU usage) of the alive VMs.
    fn iter(&self) -> impl Iterator<Item = (&GenVm, f64)> {
        self.alive
            .iter()
            .zip(self.usage)
            .map(|(&i, &u)| (&self.vms[i], u))
    }

    /// CPUs busy in the hosted VMs of `level`: sum of usage x vCPUs.
    fn busy_of(&self, level: Level) -> f64 {
        self.iter()
            .filter(|(vm, _)| vm.hosted && vm.level == level)
            .map(|(vm, u)| u * f64::from(vm.vcpus))
            .sum()
    }

    /// MB used by the hosted VMs.
    fn mem_used_mb(&self) -> f64 {
        self.iter()
            .filter(|(vm, _)| vm.hosted)
            .map(|(vm, _)| vm.mem_mb as f64 * vm.mem_use)
            .sum()
    }
}

/// Every VM is listed under its level's vNode, hosted or not (so a
/// replay on the same topology refuses it too).
fn vm_id(vm: &GenVm) -> VmId<'_> {
    VmId {
        uuid: Some(&vm.uuid),
        name: Some(&vm.name),
    }
}

/// Writes one step's records; returns how many.
fn emit_step(
    host: &Host,
    step: &StepVms<'_>,
    levels: &[Level],
    t: u64,
    out: &mut TraceWriter,
) -> Result<u64, TraceError> {
    let rows_before = out.rows();
    let snap = snapshot(host, DscShape::Bare);
    let cpus = snap.cpu_count as f64;
    let total_busy: f64 = levels.iter().map(|&l| step.busy_of(l)).sum();
    out.write_row(&global_row(
        t,
        Res::Cpu,
        Some(round4(total_busy / cpus)),
        cpus,
    ))?;
    for &level in levels {
        let absent = VNodeSnapshot::absent(Res::Cpu, level);
        let vnode = snap.cpu_level(level).unwrap_or(&absent);
        let busy = round4(step.busy_of(level).min(vnode.size as f64));
        out.write_row(&vnode.subset_row(t, Some(busy)))?;
        for (vm, u) in step.iter().filter(|(vm, _)| vm.level == level) {
            let config = Some(f64::from(vm.vcpus));
            out.write_row(&vnode.vm_row(t, Some(u), config, vm_id(vm)))?;
        }
    }
    emit_mem(&snap, step, !levels.is_empty(), t, out)?;
    Ok(out.rows() - rows_before)
}

/// The memory records: global, then (once a level was seen) the pool and
/// every alive VM.
fn emit_mem(
    snap: &HostSnapshot,
    step: &StepVms<'_>,
    with_pool: bool,
    t: u64,
    out: &mut TraceWriter,
) -> Result<(), TraceError> {
    let used_mb = step.mem_used_mb();
    let allowed = snap.mem_allowed_mb as f64;
    out.write_row(&global_row(
        t,
        Res::Mem,
        Some(round4(used_mb / allowed)),
        allowed,
    ))?;
    if !with_pool {
        return Ok(());
    }
    let absent = VNodeSnapshot::absent(Res::Mem, Level::ONE);
    let pool = snap.mem.as_ref().unwrap_or(&absent);
    let frac = if pool.size > 0 {
        round4(used_mb / pool.size as f64)
    } else {
        0.0
    };
    out.write_row(&pool.subset_row(t, Some(frac)))?;
    for (vm, _) in step.iter() {
        let (val, config) = (Some(round4(vm.mem_use)), Some(vm.mem_mb as f64));
        out.write_row(&pool.vm_row(t, val, config, vm_id(vm)))?;
    }
    Ok(())
}
