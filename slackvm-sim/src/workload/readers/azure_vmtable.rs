//! Azure public dataset `vmtable` (V1, 2017, and V2, 2019) as published:
//! headerless CSV, 11 columns
//! `vmid, subscriptionid, deploymentid, vmcreated, vmdeleted, maxcpu,
//! avgcpu, p95maxcpu, vmcategory, vmcorecount, vmmemory`.
//! - `vmcreated`, `vmdeleted`: seconds; arrival at `vmcreated`, departure
//!   at `vmdeleted` (not earlier; a VM alive at the end of the trace carries
//!   the trace end, so every VM departs);
//! - `vmcategory`: `Interactive`, `Delay-insensitive` or `Unkown` (as
//!   spelled in the files; `Unknown` is read too), kept as the VM's
//!   [`Category`] for the `azure-category` level rule;
//! - `vmcorecount`: vCPUs; `vmmemory`: GB (MB = `round(gb * 1024)`). V1
//!   writes plain numbers (`1`, `0.75`); V2 writes buckets (`2`, `4`, ...,
//!   `>24` cores; `2`, ..., `>64` GB): a plain number stands for itself and
//!   a `>N` label for the value [`Buckets`] gives it, by default Azure's own
//!   V2 analysis notebook's: `>24` cores = 30, `>64` GB = 70. Both versions
//!   are read by the same code.
//! - `maxcpu`, `avgcpu`, `p95maxcpu`: percentages of the VM's vCPUs
//!   (numbers >= 0; above 100 counts as 100), kept as the VM's
//!   [`CpuStats`] (fractions): the source of its CPU usage series in the
//!   price of packing (docs/price-of-packing.md).

use std::io::BufRead;
use std::path::Path;

use super::{
    each_row, vm, Category, Collected, CpuStats, ReadOptions, ReadReport, TraceError, VmAttr,
    VmAttrs,
};
use crate::workload::catalogue::gb_to_mb;
use crate::workload::csvrows::{open_input, CsvRows, Fields};
use crate::workload::events::EventList;

const COLUMNS: [&str; 11] = [
    "vmid",
    "subscriptionid",
    "deploymentid",
    "vmcreated",
    "vmdeleted",
    "maxcpu",
    "avgcpu",
    "p95maxcpu",
    "vmcategory",
    "vmcorecount",
    "vmmemory",
];
const VMID: usize = 0;
const CREATED: usize = 3;
const DELETED: usize = 4;
const MAXCPU: usize = 5;
const AVGCPU: usize = 6;
const P95CPU: usize = 7;
const CATEGORY: usize = 8;
const CORES: usize = 9;
const MEMORY: usize = 10;

/// Values of the `>N` bucket labels of vmtable V2.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    /// Core-count labels (`>24`) and their vCPUs.
    pub cores: Vec<(String, f64)>,
    /// Memory labels (`>64`) and their GB.
    pub mem_gb: Vec<(String, f64)>,
}

impl Default for Buckets {
    /// Azure's V2 notebook: `>24` cores = 30, `>64` GB = 70.
    fn default() -> Self {
        Buckets {
            cores: vec![(">24".into(), 30.0)],
            mem_gb: vec![(">64".into(), 70.0)],
        }
    }
}

impl Buckets {
    /// Applies one override `cores:LABEL=VALUE` or `mem:LABEL=VALUE`
    /// (`--bucket cores:>24=32`).
    pub fn set(&mut self, text: &str) -> Result<(), TraceError> {
        let bad = || TraceError::Option {
            option: "--bucket",
            message: format!("`{text}` is not `cores:LABEL=N` or `mem:LABEL=GB` (N > 0)"),
        };
        let (kind, rest) = text.split_once(':').ok_or_else(bad)?;
        let (label, value) = rest.split_once('=').ok_or_else(bad)?;
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .ok_or_else(bad)?;
        let table = match kind.trim() {
            "cores" => &mut self.cores,
            "mem" => &mut self.mem_gb,
            _ => return Err(bad()),
        };
        let label = label.trim().to_string();
        table.retain(|(l, _)| *l != label);
        table.push((label, value));
        Ok(())
    }
}

/// Reads a vmtable file, V1 or V2 (strict, default buckets).
pub fn read_azure_vmtable(path: &Path) -> Result<EventList, TraceError> {
    Ok(read(path, &ReadOptions::default())?.0)
}

/// Reads a vmtable from a stream (strict, default buckets).
pub fn parse_azure_vmtable<R: BufRead>(
    reader: R,
    source_name: &str,
) -> Result<EventList, TraceError> {
    Ok(parse(reader, source_name, &ReadOptions::default())?.0)
}

pub(super) fn read(
    path: &Path,
    opts: &ReadOptions,
) -> Result<(EventList, VmAttrs, ReadReport), TraceError> {
    parse(open_input(path)?, &path.display().to_string(), opts)
}

fn parse<R: BufRead>(
    reader: R,
    source_name: &str,
    opts: &ReadOptions,
) -> Result<(EventList, VmAttrs, ReadReport), TraceError> {
    let mut rows = CsvRows::new(reader, source_name);
    let mut collected = Collected::default();
    let report = each_row(&mut rows, &COLUMNS, opts.skip_bad_rows, |row| {
        parse_row(row, &opts.buckets, &mut collected)
    })?;
    let (list, attrs) = collected.finish();
    Ok((list, attrs, report))
}

fn parse_row(row: &Fields<'_>, buckets: &Buckets, out: &mut Collected) -> Result<(), TraceError> {
    row.expect_width(COLUMNS.len())?;
    let id = row.non_empty(VMID)?;
    let created_s = row.seconds(CREATED)?;
    let deleted_s = row.seconds(DELETED)?;
    if deleted_s < created_s {
        return Err(row.error(
            DELETED,
            format!("deleted at {deleted_s} s, before its creation at {created_s} s"),
        ));
    }
    let category_text = row.str(CATEGORY)?;
    let category = Category::parse(category_text).ok_or_else(|| {
        row.error(
            CATEGORY,
            format!("`{category_text}` is not Interactive, Delay-insensitive or Unkown"),
        )
    })?;
    let cores = number(row, CORES, &buckets.cores)?;
    if cores.fract() != 0.0 || cores < 1.0 || cores > f64::from(u32::MAX) {
        return Err(row.error(
            CORES,
            format!("{cores} is not a whole number of cores >= 1"),
        ));
    }
    let mem_mb = gb_to_mb(number(row, MEMORY, &buckets.mem_gb)?);
    if mem_mb == 0 {
        return Err(row.error(MEMORY, "memory rounds to 0 MB".into()));
    }
    let pct = |col: usize| -> Result<f64, TraceError> {
        let x = row.float(col)?;
        if x < 0.0 {
            return Err(row.error(col, format!("{x} is not a CPU percentage >= 0")));
        }
        Ok(x.min(100.0) / 100.0)
    };
    let attr = VmAttr {
        category: Some(category),
        cpu: Some(CpuStats {
            avg: pct(AVGCPU)?,
            p95: pct(P95CPU)?,
            max: pct(MAXCPU)?,
        }),
        ..VmAttr::default()
    };
    out.push(
        vm(id.to_string(), cores as u32, mem_mb),
        (created_s, Some(deleted_s)),
        attr,
    );
    Ok(())
}

/// A positive number, or a `>N` label valued by `table`.
fn number(row: &Fields<'_>, col: usize, table: &[(String, f64)]) -> Result<f64, TraceError> {
    let text = row.str(col)?;
    if text.starts_with('>') {
        return table
            .iter()
            .find(|(label, _)| label == text)
            .map(|&(_, v)| v)
            .ok_or_else(|| {
                row.error(
                    col,
                    format!("bucket `{text}` has no value (give one with --bucket)"),
                )
            });
    }
    row.positive(col)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ev, sample, shapes};
    use super::*;
    use crate::workload::events::EventKind;

    #[test]
    fn v1_sample() {
        let (l, attrs, _) = read(&sample("azure_vmtable_v1.csv"), &ReadOptions::default()).unwrap();
        let ids: Vec<&str> = l.vms.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, vec!["vmA", "vmC", "vmB", "vmD"]);
        let shapes: Vec<(u32, u64)> = l.vms.iter().map(|v| (v.vcpus, v.mem_mb)).collect();
        assert_eq!(shapes, vec![(2, 3584), (1, 768), (4, 7168), (8, 57344)]);
        let cats: Vec<Category> = attrs.stored().iter().map(|a| a.category.unwrap()).collect();
        use Category::*;
        assert_eq!(
            cats,
            vec![Interactive, Unknown, DelayInsensitive, Interactive]
        );
        assert!(l.vms.iter().all(|v| v.level == 1.0 && v.profile.is_none()));
        // vmA: maxcpu 98.5, avgcpu 12.3, p95maxcpu 80.1 (%).
        let a = attrs.get(0).cpu.unwrap();
        assert_eq!(
            (a.avg, a.p95, a.max),
            (12.3 / 100.0, 80.1 / 100.0, 98.5 / 100.0)
        );
        use EventKind::*;
        assert_eq!(
            l.events,
            vec![
                ev(0, Arrival, 0),
                ev(0, Arrival, 1),
                ev(300, Arrival, 2),
                ev(300, Arrival, 3),
                ev(600, Departure, 3),
                ev(3600, Departure, 0),
                ev(86400, Departure, 2),
                ev(2591700, Departure, 1),
            ]
        );
    }

    #[test]
    fn v2_sample_maps_buckets_by_the_notebook_rule_or_an_override() {
        let l = read_azure_vmtable(&sample("azure_vmtable_v2.csv")).unwrap();
        assert_eq!(
            shapes(&l),
            vec![
                ("x+Ab/1", 30, 71680),
                ("y/2+Cd", 2, 4096),
                ("z3/+Ef", 8, 32768)
            ]
        );
        assert_eq!(l.events.len(), 6);
        assert_eq!(l.events[2], ev(300, EventKind::Arrival, 2));
        assert_eq!(l.events[5], ev(1200, EventKind::Departure, 0));
        let mut b = Buckets::default();
        b.set("cores:>24=32").unwrap();
        b.set("mem:>64=128").unwrap();
        let opts = ReadOptions {
            buckets: b,
            ..ReadOptions::default()
        };
        let (l, _, _) = read(&sample("azure_vmtable_v2.csv"), &opts).unwrap();
        assert_eq!((l.vms[0].vcpus, l.vms[0].mem_mb), (32, 131072));
        let e = Buckets::default().set("gpu:>1=2").unwrap_err().to_string();
        assert!(e.starts_with("--bucket: `gpu:>1=2`"), "{e}");
    }

    #[test]
    fn bad_rows_are_located_and_can_be_skipped() {
        let parse_err = |t: &str| {
            parse_azure_vmtable(t.as_bytes(), "t.csv")
                .unwrap_err()
                .to_string()
        };
        let e = parse_err("a,s,d,0,10,1,1,1,Unkown,2,4\nb,s,d,20,10,1,1,1,Interactive,2,4\n");
        assert_eq!(
            e,
            "t.csv: line 2, column 5 (`vmdeleted`): deleted at 10 s, before its creation at 20 s"
        );
        assert_eq!(
            parse_err("a,s,d,0,10,1,1,1,Unkown,2\n"),
            "t.csv: line 1, column 10 (`vmcorecount`): expected 11 columns, found 10"
        );
        assert!(parse_err("a,s,d,0,10,1,1,1,Unkown,2.5,4\n").contains("column 10"));
        assert!(parse_err("a,s,d,0,10,1,1,1,Unkown,2,>128\n").contains("column 11"));
        assert!(parse_err("a,s,d,-1,10,1,1,1,Unkown,2,4\n").contains("column 4"));
        assert!(parse_err("a,s,d,0,10,1,1,1,Batch,2,4\n").contains("column 9 (`vmcategory`)"));
        let text = "a,s,d,0,10,1,1,1,Unkown,2,4\r\nb,s,d,0,10,1,1,1,X,2,4\r\nc,s,d,0,10\r\n";
        let opts = ReadOptions {
            skip_bad_rows: true,
            ..ReadOptions::default()
        };
        let (l, _, r) = parse(text.as_bytes(), "t.csv", &opts).unwrap();
        assert_eq!((l.vms.len(), r.rows, r.skipped), (1, 3, 2));
    }
}
