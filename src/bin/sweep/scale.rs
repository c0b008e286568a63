//! `sweep scale` (one timed large run) and `sweep scaling` (the scaling
//! report).

use super::*;

/// The synthetic workload of `sweep scale`.
pub(crate) fn synthetic_of(a: &ScaleArgs, host: &HostSpec) -> Result<EventList> {
    let catalogue = Catalogue::resolve(&a.catalogue)?;
    let shares =
        parse_distribution(a.levels.as_deref().unwrap_or("34/33/33")).map_err(|e| match e {
            SweepError::Param { message, .. } => anyhow::anyhow!("--levels: {message}"),
            other => anyhow::anyhow!("--levels: {other}"),
        })?;
    let spec = ScaleSpec {
        hosts: a.hosts,
        vms: a.vms,
        host_cpus: u64::from(host.cpus),
        occupancy_pct: a.occupancy_pct,
        level_shares_pct: shares,
        horizon_s: a.horizon_s,
        seed: a.seed,
    };
    Ok(scale_workload(&catalogue, &spec)?)
}

/// The host of `sweep scale`: the flags, or 32 CPUs / 128 GB (a synthetic
/// one-socket `vnode` host).
pub(crate) fn scale_host(a: &ScaleArgs) -> Result<HostSpec> {
    let h = &a.host;
    Ok(match (h.host_cpus, h.host_mem_gb, &h.topology) {
        (None, None, None) => HostSpec::resolve(Some(32), Some(128), None)?,
        (c, g, t) => HostSpec::resolve(c, g, t.as_deref())?,
    })
}

/// Writes a synthetic workload in a public format when asked; true if so.
pub(crate) fn export(a: &ScaleArgs, host: &HostSpec) -> Result<bool> {
    let (path, flag) = match (&a.export_vmtable, &a.export_huawei) {
        (Some(p), _) => (p, "--export-vmtable"),
        (None, Some(p)) => (p, "--export-huawei"),
        (None, None) => return Ok(false),
    };
    // Staged: a failed export leaves any previous file intact.
    let mut outputs = OutputSet::new(a.trace.trace.as_deref());
    let tmp = outputs.stage(path).context(flag)?;
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", path.display()))?;
    let what = if a.export_vmtable.is_some() {
        write_vmtable(a.vms, a.seed, file)
            .with_context(|| format!("writing {}", path.display()))?;
        format!("{} VMs", a.vms)
    } else {
        let list = synthetic_of(a, host)?;
        write_huawei(&list, file).with_context(|| format!("writing {}", path.display()))?;
        format!("{} VMs, {} events", list.vms.len(), list.events.len())
    };
    outputs.commit()?;
    if !a.quiet {
        eprintln!("wrote {what} to {}", path.display());
    }
    Ok(true)
}

/// The schedule of `sweep scale` (a trace with its levels and oversize
/// rule, or the synthetic workload), its source, level rule and oversized VMs.
pub(crate) fn scale_schedule(
    a: &ScaleArgs,
    cfg: &ScaleConfig,
    host: &HostSpec,
) -> Result<(Schedule, String, String, usize)> {
    let Some(path) = &a.trace.trace else {
        let list = synthetic_of(a, host)?;
        let s = Schedule::from_list(list, cfg.order, cfg.mem_cap)?;
        let shares = a.levels.clone().unwrap_or_else(|| "34/33/33".into());
        return Ok((s, "synthetic".into(), shares, 0));
    };
    let trace = a.trace.read(path, host, a.quiet)?;
    let spec = TraceSpec {
        name: trace_name(path),
        rule: a.trace.rule(a.levels.as_deref())?,
        seeds: vec![a.seed],
        policies: vec![cfg.policy],
        models: vec![cfg.model],
        mem_cap: cfg.mem_cap,
        order: cfg.order,
        host: host.clone(),
        oversize: Oversize::parse(&a.trace.oversize)?,
        price: PriceConfig::default(),
    };
    let (s, _, big) = leveled_schedule_owned(&spec, trace, a.seed, cfg.model, true)?;
    Ok((s, path.display().to_string(), spec.rule.name(), big))
}

pub(crate) fn scale(a: &ScaleArgs) -> Result<()> {
    let start = Instant::now();
    let host = scale_host(a)?;
    if export(a, &host)? {
        return Ok(());
    }
    let mut cfg = ScaleConfig::new(a.hosts);
    cfg.policy = PolicyKind::parse(&a.policy)?;
    cfg.model = ModelKind::parse(&a.model)?;
    cfg.host_cpus = host.cpus;
    cfg.host_mem_mb = host.mem_mb;
    cfg.topology = Some(std::sync::Arc::clone(&host.topology));
    cfg.mem_cap = match a.trace.trace {
        Some(_) => a.cap.for_trace(&a.trace.rule(a.levels.as_deref())?)?,
        None => a.cap.resolve(Some(true))?,
    };
    cfg.order = EventOrder::parse(&a.order)?;
    cfg.scan = a.scan;
    if !a.quiet {
        eprintln!("scale: building the workload");
    }
    let (schedule, source, levels, oversize) = scale_schedule(a, &cfg, &host)?;
    let load_s = start.elapsed().as_secs_f64();
    if !a.quiet {
        eprintln!(
            "scale: {} VMs, {} events on {} hosts ({}), {} / {}, levels {}, memory cap {}",
            schedule.vms.len(),
            schedule.events.len(),
            a.hosts,
            host.name(cfg.model),
            cfg.policy.name(),
            cfg.model.name(),
            levels,
            if cfg.mem_cap { "on" } else { "off" }
        );
    }
    let run = run_schedule(&schedule, &cfg, 0.0)?;
    let wall_s = start.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "source": source,
        "hosts": a.hosts,
        "host": host.name(cfg.model),
        "vms": schedule.vms.len(),
        "levels": levels,
        "mem_cap": cfg.mem_cap,
        "event_order": cfg.order.name(),
        "policy": cfg.policy.name(),
        "model": cfg.model.name(),
        "index": !cfg.scan && cfg.policy.uses_index(),
        "events": run.events,
        "placed": run.outcome.placed,
        "refused": run.outcome.refused,
        "oversize_vms": oversize,
        "hosts_used": run.outcome.hosts_used,
        "load_s": load_s,
        "prepare_s": run.prepare_s,
        "simulate_s": run.simulate_s,
        "wall_s": wall_s,
        "events_per_s": run.events as f64 / wall_s,
        "simulate_events_per_s": run.events as f64 / run.simulate_s,
        "peak_rss_mb": peak_rss_mb(),
    });
    println!("{line}");
    Ok(())
}

pub(crate) fn read_points(path: &Path) -> Result<Vec<ScalePoint>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let points: Vec<ScalePoint> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{}:{}: not a scaling point", path.display(), i + 1))
        })
        .collect::<Result<_>>()?;
    if points.is_empty() {
        anyhow::bail!("--from: {} holds no scaling point", path.display());
    }
    Ok(points)
}

pub(crate) fn scaling(out: &Path, from: Option<&Path>, quiet: bool) -> Result<()> {
    let mut outputs = OutputSet::new(from);
    let points = match from {
        Some(path) => read_points(path)?,
        None => {
            let total = (HOSTS_SERIES.len() + EVENTS_SERIES.len()) * SCALING_POLICIES.len();
            let bar = progress_bar(total as u64, "runs", quiet);
            let points = run_series(&|p| {
                bar.set_message(format!(
                    "{} {} hosts {} VMs: {:.3} s",
                    p.policy, p.hosts, p.vms, p.seconds
                ));
                bar.inc(1);
            })?;
            bar.finish_and_clear();
            let mut jsonl = String::new();
            for p in &points {
                jsonl.push_str(&serde_json::to_string(p)?);
                jsonl.push('\n');
            }
            outputs.write(&out.join("scaling.jsonl"), jsonl.as_bytes())?;
            points
        }
    };
    let svg = scaling_svg(&points).map_err(|e| anyhow::anyhow!("drawing scaling.svg: {e}"))?;
    let path = out.join("scaling.svg");
    outputs.write(&path, svg.as_bytes()).context("--out")?;
    outputs.commit()?;
    if !quiet {
        for p in &points {
            println!(
                "{:<7} {:<10} {:>7} hosts {:>7} VMs {:>8} events {:>9.4} s",
                p.series, p.policy, p.hosts, p.vms, p.events, p.seconds
            );
        }
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
