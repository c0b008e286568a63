//! Analysis with polars (feature `analysis`, off by default: polars takes
//! minutes to build). [`report`] scans any number of `sizing.csv` files
//! lazily and writes the same `summary.csv` as the plain-Rust path (means
//! and standard deviations from polars; intervals from [`super::stats`]),
//! plus pivots per policy and per model. [`trace_stats_csv`] summarises a
//! monitoring trace (plain TSV, docs/monitoring-trace.md) per CPU vNode.

use super::rows::{Column, SizingRow, Summary, COLUMNS};
use super::stats::{t95, Stats};
use super::summary::{summarised, summary_csv, SummaryRow};
use super::SweepError;
use polars::prelude::*;
use std::path::{Path, PathBuf};

fn perr(path: &Path) -> impl Fn(PolarsError) -> SweepError + '_ {
    move |e| SweepError::Analysis {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<f64>> {
    let s = df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::Float64)?;
    let ca = s.f64()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or(0.0)).collect())
}

fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let s = df
        .column(name)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    let ca = s.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or("").to_string())
        .collect())
}

fn scan(inputs: &[PathBuf]) -> Result<LazyFrame, SweepError> {
    let mut frames = Vec::new();
    for i in inputs {
        let path = if i.is_dir() {
            i.join("sizing.csv")
        } else {
            i.clone()
        };
        let text = path.to_string_lossy().to_string();
        let lf = LazyCsvReader::new(PlRefPath::from(text.as_str()))
            .with_has_header(true)
            .finish()
            .map_err(perr(&path))?;
        frames.push(lf);
    }
    let first = inputs.first().cloned().unwrap_or_default();
    concat(frames, UnionArgs::default()).map_err(perr(&first))
}

/// The key columns of a cell (from the one column table).
fn keys() -> Vec<&'static Column> {
    COLUMNS
        .iter()
        .filter(|c| c.summary == Summary::Key)
        .collect()
}

fn stats(n: usize, mean: f64, sd: f64) -> Stats {
    let half = t95(n.saturating_sub(1)) * sd / (n as f64).sqrt();
    Stats {
        n,
        mean,
        sd,
        ci: (mean - half, mean + half),
    }
}

fn write(path: &Path, text: &str) -> Result<(), SweepError> {
    std::fs::write(path, text).map_err(|e| SweepError::io(path, e))
}

/// Polars aggregations of every summarised column: `seeds`, then per
/// column `{name}_mean` (and `{name}_sd` for spread columns).
fn aggregations() -> Vec<Expr> {
    let mut aggs = vec![len().alias("seeds")];
    for c in summarised() {
        let x = || col(c.name).cast(DataType::Float64);
        aggs.push(x().mean().alias(format!("{}_mean", c.name)));
        if matches!(c.summary, Summary::Spread(_) | Summary::Interval) {
            aggs.push(x().std(1).alias(format!("{}_sd", c.name)));
        }
    }
    aggs
}

/// Summary rows of the scanned inputs, in canonical order.
pub fn summary_rows(inputs: &[PathBuf]) -> Result<Vec<SummaryRow>, SweepError> {
    let first = inputs.first().cloned().unwrap_or_default();
    let e = perr(&first);
    let key_exprs: Vec<Expr> = keys()
        .iter()
        .map(|k| col(k.name).cast(DataType::String))
        .collect();
    let df = scan(inputs)?
        .group_by(key_exprs)
        .agg(aggregations())
        .collect()
        .map_err(&e)?;
    let k: Vec<Vec<String>> = keys()
        .iter()
        .map(|c| strs(&df, c.name))
        .collect::<PolarsResult<_>>()
        .map_err(&e)?;
    let num = |c: &str| f64s(&df, c).map_err(&e);
    let seeds = num("seeds")?;
    let mut columns: Vec<(Vec<f64>, Option<Vec<f64>>)> = Vec::new();
    for c in summarised() {
        let sd = match c.summary {
            Summary::Spread(_) | Summary::Interval => Some(num(&format!("{}_sd", c.name))?),
            _ => None,
        };
        columns.push((num(&format!("{}_mean", c.name))?, sd));
    }
    let bad = |message: String| SweepError::Analysis {
        path: first.clone(),
        message,
    };
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let mut key = SizingRow::blank();
        for (c, values) in keys().iter().zip(&k) {
            c.read(&mut key, &values[i]).map_err(&bad)?;
        }
        let n = seeds[i] as usize;
        let values = columns
            .iter()
            .map(|(mean, sd)| match sd {
                Some(sd) => stats(n, mean[i], sd[i]),
                None => stats(n, mean[i], 0.0),
            })
            .collect();
        out.push(SummaryRow::new(key, values));
    }
    out.sort_by(|a, b| a.key.canonical_cmp(&b.key));
    Ok(out)
}

fn pivot(inputs: &[PathBuf], by: &str) -> Result<String, SweepError> {
    let first = inputs.first().cloned().unwrap_or_default();
    let e = perr(&first);
    let df = scan(inputs)?
        .group_by([
            col("catalogue").cast(DataType::String),
            col(by).cast(DataType::String),
        ])
        .agg([
            len().alias("rows"),
            col("gain_pct")
                .cast(DataType::Float64)
                .mean()
                .alias("gain_pct_mean"),
            col("hosts_slackvm")
                .cast(DataType::Float64)
                .mean()
                .alias("hosts_slackvm_mean"),
            col("hosts_dedicated")
                .cast(DataType::Float64)
                .mean()
                .alias("hosts_dedicated_mean"),
            col("lower_bound")
                .cast(DataType::Float64)
                .mean()
                .alias("lower_bound_mean"),
        ])
        .sort(["catalogue", by], SortMultipleOptions::default())
        .collect()
        .map_err(&e)?;
    let cat = strs(&df, "catalogue").map_err(&e)?;
    let key = strs(&df, by).map_err(&e)?;
    let cols: Vec<Vec<f64>> = [
        "rows",
        "gain_pct_mean",
        "hosts_slackvm_mean",
        "hosts_dedicated_mean",
        "lower_bound_mean",
    ]
    .iter()
    .map(|c| f64s(&df, c).map_err(&e))
    .collect::<Result<_, _>>()?;
    let mut text = format!("catalogue,{by},rows,gain_pct_mean,hosts_slackvm_mean,hosts_dedicated_mean,lower_bound_mean\n");
    for i in 0..df.height() {
        text.push_str(&format!(
            "{},{},{},{:.4},{:.4},{:.4},{:.4}\n",
            cat[i], key[i], cols[0][i] as u64, cols[1][i], cols[2][i], cols[3][i], cols[4][i]
        ));
    }
    Ok(text)
}

/// `sweep report`: writes `summary.csv`, `by_policy.csv`, `by_model.csv` into `out`.
pub fn report(inputs: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>, SweepError> {
    std::fs::create_dir_all(out).map_err(|e| SweepError::io(out, e))?;
    let summary = out.join("summary.csv");
    write(&summary, &summary_csv(&summary_rows(inputs)?))?;
    let by_policy = out.join("by_policy.csv");
    write(&by_policy, &pivot(inputs, "policy")?)?;
    let by_model = out.join("by_model.csv");
    write(&by_model, &pivot(inputs, "model")?)?;
    Ok(vec![summary, by_policy, by_model])
}

/// `sweep trace-stats`: per CPU vNode (`subset` records of `res` cpu), the
/// CPUs held (`config`) and busy (`val`): min, mean, p95 (nearest rank),
/// max over the steps where it is reported, and the share of those steps
/// where the vCPUs of its VMs (sum of the vm records' `config` at that step)
/// exceed its CPUs held times its level (oversubscribed beyond its ratio).
/// Plain (not gzipped) TSV.
pub fn trace_stats_csv(trace: &Path) -> Result<String, SweepError> {
    let e = perr(trace);
    let text = trace.to_string_lossy().to_string();
    let lf = LazyCsvReader::new(PlRefPath::from(text.as_str()))
        .with_has_header(true)
        .with_separator(b'\t')
        .with_null_values(Some(NullValues::AllColumnsSingle("None".into())))
        .with_infer_schema_length(Some(10_000))
        .finish()
        .map_err(&e)?;
    let df = per_vnode_steps(lf)
        .group_by([col("subset")])
        .agg(vnode_aggregations())
        .sort(["subset"], SortMultipleOptions::default())
        .collect()
        .map_err(&e)?;
    let names = strs(&df, "subset").map_err(&e)?;
    let vals: Vec<Vec<f64>> = TRACE_STATS
        .iter()
        .map(|c| f64s(&df, c).map_err(&e))
        .collect::<Result<_, _>>()?;
    let mut out = format!("vnode,{}\n", TRACE_STATS.join(","));
    for i in 0..df.height() {
        out.push_str(&names[i]);
        for (j, v) in vals.iter().enumerate() {
            if j == 0 {
                out.push_str(&format!(",{}", v[i] as u64));
            } else {
                out.push_str(&format!(",{:.4}", v[i]));
            }
        }
        out.push('\n');
    }
    Ok(out)
}

/// Columns of the trace statistics, in output order (after `vnode`).
const TRACE_STATS: [&str; 10] = [
    "steps",
    "held_min",
    "held_mean",
    "held_p95",
    "held_max",
    "busy_min",
    "busy_mean",
    "busy_p95",
    "busy_max",
    "beyond_ratio_share",
];

fn num(c: &str) -> Expr {
    col(c).cast(DataType::Float64)
}

/// One row per CPU vNode and step: CPUs held and busy, its level, and the
/// vCPUs of its VMs at that step (`alloc`, null when none reported).
fn per_vnode_steps(lf: LazyFrame) -> LazyFrame {
    let cpu = col("res").cast(DataType::String).eq(lit("cpu"));
    let v = lf
        .clone()
        .filter(
            col("rec")
                .cast(DataType::String)
                .eq(lit("subset"))
                .and(cpu.clone()),
        )
        .select([
            col("tmp").cast(DataType::Int64),
            col("subset").cast(DataType::String),
            num("config").alias("held"),
            num("val").alias("busy"),
            num("sb_oc").alias("level"),
        ]);
    let a = lf
        .filter(col("rec").cast(DataType::String).eq(lit("vm")).and(cpu))
        .group_by([
            col("tmp").cast(DataType::Int64),
            col("subset").cast(DataType::String),
        ])
        .agg([num("config").sum().alias("alloc")]);
    v.join(
        a,
        [col("tmp"), col("subset")],
        [col("tmp"), col("subset")],
        JoinArgs::new(JoinType::Left),
    )
}

/// The per-vNode aggregations named by [`TRACE_STATS`].
fn vnode_aggregations() -> Vec<Expr> {
    let q = |c: &str| col(c).quantile(lit(0.95), QuantileMethod::Nearest);
    vec![
        len().alias("steps"),
        col("held").min().alias("held_min"),
        col("held").mean().alias("held_mean"),
        q("held").alias("held_p95"),
        col("held").max().alias("held_max"),
        col("busy").min().alias("busy_min"),
        col("busy").mean().alias("busy_mean"),
        q("busy").alias("busy_p95"),
        col("busy").max().alias("busy_max"),
        col("alloc")
            .fill_null(lit(0.0))
            .gt(col("held") * col("level"))
            .cast(DataType::Float64)
            .mean()
            .alias("beyond_ratio_share"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::grid::GridSpec;
    use crate::sweep::{run_grid, write_outputs};

    #[test]
    fn report_matches_the_plain_rust_summary_row_for_row() {
        let mut spec = GridSpec::paper(3);
        spec.catalogues = vec!["ovhcloud2023".into()];
        spec.vms = vec![100];
        spec.distributions = vec![[0, 50, 50], [50, 0, 50], [100, 0, 0]];
        let rows = run_grid(&spec, None, Some(1), &|| {}).unwrap();
        let dir = std::env::temp_dir().join(format!("slackvm-report-{}", std::process::id()));
        let files = write_outputs(&dir, &rows).unwrap();
        let ours = std::fs::read_to_string(&files.summary).unwrap();
        let polars_rows = summary_rows(std::slice::from_ref(&dir)).unwrap();
        let theirs = summary_csv(&polars_rows);
        let (a, b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            for (u, v) in x.split(',').zip(y.split(',')) {
                match (u.parse::<f64>(), v.parse::<f64>()) {
                    (Ok(p), Ok(q)) => assert!((p - q).abs() <= 2e-4, "{x}\n{y}"),
                    _ => assert_eq!(u, v, "{x}\n{y}"),
                }
            }
        }
        let written = report(std::slice::from_ref(&dir), &dir.join("report")).unwrap();
        assert_eq!(written.len(), 3);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn trace_stats_per_vnode() {
        let dir = std::env::temp_dir().join(format!("slackvm-tstats-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.tsv");
        let h = "tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\tsb_dsc\n";
        let body = "0\tglobal\tcpu\t0.1\t32\tNone\tNone\tNone\tNone\tNone\tNone\n\
0\tsubset\tcpu\t1.5\t2\tsubset-2.0\tNone\tNone\t2.0\t0\t{}\n\
0\tvm\tcpu\t0.5\t4\tsubset-2.0\tu1\tvm1\t2.0\tNone\tNone\n\
15\tsubset\tcpu\t3.0\t2\tsubset-2.0\tNone\tNone\t2.0\t0\t{}\n\
15\tvm\tcpu\t0.5\t4\tsubset-2.0\tu1\tvm1\t2.0\tNone\tNone\n\
15\tvm\tcpu\t0.5\t2\tsubset-2.0\tu2\tvm2\t2.0\tNone\tNone\n";
        std::fs::write(&p, format!("{h}{body}")).unwrap();
        let out = trace_stats_csv(&p).unwrap();
        let line = out.lines().nth(1).unwrap();
        // Held 2 and 2; busy 1.5 and 3; alloc 4 (= 2*2, not beyond) then 6 (beyond): 0.5.
        assert!(
            line.starts_with("subset-2.0,2,2.0000,2.0000,2.0000,2.0000,1.5000,2.2500,"),
            "{out}"
        );
        assert!(line.ends_with(",0.5000"), "{out}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
