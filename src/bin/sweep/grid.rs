//! `sweep` and `sweep --trace`: the grid or trace run, its shard, its
//! output files and the tables printed after it.

use super::*;

pub(crate) fn list<T>(text: &str, all: &[T], parse: impl Fn(&str) -> Result<T>) -> Result<Vec<T>>
where
    T: Copy,
{
    if text == "all" {
        return Ok(all.to_vec());
    }
    text.split(',').map(|s| parse(s.trim())).collect()
}

pub(crate) fn spec_of(a: &RunArgs) -> Result<GridSpec> {
    let mut spec = GridSpec::paper(1);
    spec.seeds = (a.first_seed..a.first_seed.saturating_add(a.seeds)).collect();
    spec.policies = list(&a.policy, &PolicyKind::ALL, |s| Ok(PolicyKind::parse(s)?))?;
    spec.models = list(&a.model, &ModelKind::ALL, |s| Ok(ModelKind::parse(s)?))?;
    spec.catalogues = a
        .catalogue
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    spec.vms = a
        .vms
        .split(',')
        .map(|s| match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => anyhow::bail!("--vms: `{s}` is not a count >= 1"),
        })
        .collect::<Result<_>>()?;
    spec.distributions = if a.distribution == "paper" {
        DISTRIBUTIONS.to_vec()
    } else {
        a.distribution
            .split(',')
            .map(|s| Ok(parse_distribution(s)?))
            .collect::<Result<_>>()?
    };
    spec.mem_cap = a.cap.resolve(Some(true))?;
    spec.order = EventOrder::parse(&a.order)?;
    spec.topology = a.host.topology.clone();
    spec.host_cpus = a.host.host_cpus;
    spec.host_mem_gb = a.host.host_mem_gb;
    spec.price = a.price.config()?;
    Ok(spec)
}

pub(crate) fn report_files(files: &OutputFiles, quiet: bool) {
    if quiet {
        return;
    }
    eprintln!(
        "wrote {} rows to {}, {} cells to {}, {} figures",
        files.rows.len(),
        files.sizing.display(),
        files.cells.len(),
        files.summary.display(),
        files.figures.len()
    );
    if let Some((table, _)) = paper::compare_ovh_500(&files.cells) {
        println!("{table}");
    }
}

/// The shard asked by `--shard` (`auto`: from the Slurm array variables).
pub(crate) fn shard_of(a: &RunArgs) -> Result<Option<Shard>> {
    Ok(match a.shard.as_deref() {
        None => None,
        Some("auto") => Some(shard_from_env(|k| std::env::var(k).ok())?),
        Some(text) => Some(Shard::parse(text)?),
    })
}

/// Writes the outputs of a run: rows, summary, figures, and `shard.json`
/// for a shard (removed from the directory otherwise).
pub(crate) fn finish_run(
    a: &RunArgs,
    rows: &[SizingRow],
    shard: Option<Shard>,
    (total, ran): (usize, usize),
    sweep: &str,
) -> Result<OutputFiles> {
    let files = write_outputs(&a.out, rows)?;
    let manifest = a.out.join(MANIFEST);
    match shard {
        Some(s) => {
            write_manifest(
                &a.out,
                &Manifest {
                    index: s.index,
                    count: s.count,
                    units_total: total,
                    units: ran,
                    sweep: fingerprint(sweep),
                },
            )?;
            if ran == 0 {
                eprintln!(
                    "sweep: shard {}/{} is empty: the sweep has {total} workloads, fewer than its {} shards; wrote an empty sizing.csv and {} so that `sweep merge` knows it",
                    s.index, s.count, s.count, manifest.display()
                );
            }
        }
        None if manifest.exists() => std::fs::remove_file(&manifest)
            .with_context(|| format!("removing the stale {}", manifest.display()))?,
        None => {}
    }
    Ok(files)
}

pub(crate) fn run(a: &RunArgs) -> Result<()> {
    if a.trace.trace.is_some() {
        return run_trace_sweep(a);
    }
    if a.levels.is_some() {
        anyhow::bail!("--levels applies to --trace; the grid's levels are --distribution");
    }
    let spec = spec_of(a)?;
    let shard = shard_of(a)?;
    let total = spec.units().len();
    let units = shard.map_or(total, |s| s.range(total).len());
    let bar = progress_bar(units as u64, "workloads", a.quiet);
    if !a.quiet {
        eprintln!(
            "sweep: {} workloads x {} policies x {} models, memory cap {}, event order {}{}",
            units,
            spec.policies.len(),
            spec.models.len(),
            if spec.mem_cap { "on (8 GiB)" } else { "off" },
            spec.order.name(),
            shard.map_or(String::new(), |s| format!(
                ", shard {}/{}",
                s.index, s.count
            ))
        );
    }
    let start = Instant::now();
    let rows = run_grid(&spec, shard, a.threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let files = finish_run(a, &rows, shard, (total, units), &format!("{spec:?}"))?;
    if !a.quiet {
        eprintln!("done in {:.1} s", start.elapsed().as_secs_f64());
    }
    report_files(&files, a.quiet);
    Ok(())
}

pub(crate) fn run_trace_sweep(a: &RunArgs) -> Result<()> {
    let path = a.trace.trace.as_deref().unwrap_or(Path::new("-"));
    let host = HostSpec::resolve(
        a.host.host_cpus,
        a.host.host_mem_gb,
        a.host.topology.as_deref(),
    )?;
    let rule = a.trace.rule(a.levels.as_deref())?;
    let mem_cap = a.cap.for_trace(&rule)?;
    let trace = a.trace.read(path, &host, a.quiet)?;
    let spec = TraceSpec {
        name: trace_name(path),
        rule,
        seeds: (a.first_seed..a.first_seed.saturating_add(a.seeds)).collect(),
        policies: list(&a.policy, &PolicyKind::ALL, |s| Ok(PolicyKind::parse(s)?))?,
        models: list(&a.model, &ModelKind::ALL, |s| Ok(ModelKind::parse(s)?))?,
        mem_cap,
        order: EventOrder::parse(&a.order)?,
        host,
        oversize: Oversize::parse(&a.trace.oversize)?,
        price: a.price.config()?,
    };
    let shard = shard_of(a)?;
    let total = spec.units().len();
    let units = shard.map_or(total, |s| s.range(total).len());
    if !a.quiet {
        eprintln!(
            "sweep: trace {} ({} VMs), levels {}, memory cap {}, event order {}, {} sizings{}",
            spec.name,
            trace.list.vms.len(),
            spec.rule.name(),
            if mem_cap { "on (8 GiB)" } else { "off" },
            spec.order.name(),
            units,
            shard.map_or(String::new(), |s| format!(
                ", shard {}/{}",
                s.index, s.count
            ))
        );
    }
    let bar = progress_bar(units as u64, "sizings", a.quiet);
    let rows = run_trace(&spec, &trace, shard, a.threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    // Every parameter that changes a row, the price flags included.
    let sweep = format!(
        "trace {} {} {} events {} {:?} {:?} {:?} {} {} {:?} {} {} {:?}",
        spec.name,
        trace.list.vms.len(),
        trace.list.events.len(),
        spec.rule.name(),
        spec.seeds,
        spec.policies,
        spec.models,
        mem_cap,
        spec.order.name(),
        spec.oversize,
        spec.host.name(ModelKind::Counting),
        spec.host.name(ModelKind::Vnode),
        spec.price
    );
    let files = finish_run(a, &rows, shard, (total, units), &sweep)?;
    if !a.quiet {
        print_trace_rows(&files.rows);
    }
    Ok(())
}

/// The trace sweep's rows as a table on stdout.
pub(crate) fn print_trace_rows(rows: &[SizingRow]) {
    println!(
        "{:<6} {:<10} {:<9} {:>5} {:>8} {:>9} {:>6} {:>6} {:>6} {:>8} {:>6} {:>8}",
        "seed",
        "policy",
        "model",
        "cap",
        "slackvm",
        "dedicated",
        "1:1",
        "2:1",
        "3:1",
        "gain_%",
        "bound",
        "oversize"
    );
    for r in rows {
        println!(
            "{:<6} {:<10} {:<9} {:>5} {:>8} {:>9} {:>6} {:>6} {:>6} {:>8.2} {:>6} {:>8}",
            r.seed,
            r.policy.name(),
            r.model.name(),
            if r.mem_cap { "on" } else { "off" },
            r.hosts_slackvm,
            r.hosts_dedicated,
            r.hosts_level[0],
            r.hosts_level[1],
            r.hosts_level[2],
            r.gain_pct,
            r.lower_bound,
            r.oversize_vms
        );
    }
}
