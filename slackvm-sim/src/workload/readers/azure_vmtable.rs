//! Azure public dataset `vmtable` (V1, 2017, and V2, 2019) to an event
//! list. Headerless CSV (optionally gzip-compressed: a name ending in
//! `.gz`), 11 columns:
//! `vmid, subscriptionid, deploymentid, vmcreated, vmdeleted, maxcpu,
//! avgcpu, p95maxcpu, vmcategory, vmcorecount, vmmemory`.
//! - `vmcreated`, `vmdeleted`: integer seconds; arrival at `vmcreated`,
//!   departure at `vmdeleted` (which must not be earlier);
//! - `vmcorecount`: vCPUs; `vmmemory`: GB (MB = `round(gb * 1024)`);
//! - `vmcategory` (`Interactive`, `Delay-insensitive`, `Unknown`) becomes
//!   the VM's profile (empty: none); CPU columns are ignored.
//!
//! V1 takes plain numbers. V2 also accepts the bucketed forms of core count
//! and memory: a plain number stands for itself and `>N` for the next power
//! of two above N, so `>24` cores is 32 and `>64` GB is 128 GB (the largest
//! common VM sizes above each bound).

use std::io::Read;
use std::path::Path;

use super::{finish, for_each_row, open, vm, Item, Layout, Row, TraceError};
use crate::workload::events::EventList;

/// Which vmtable release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VmtableVersion {
    /// 2017: plain numbers.
    V1,
    /// 2019: bucketed core count and memory (`>24`, `>64`).
    V2,
}

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
const CATEGORY: usize = 8;
const CORES: usize = 9;
const MEMORY: usize = 10;

/// Reads a vmtable file (`.gz` through gzip).
pub fn read_azure_vmtable(path: &Path, version: VmtableVersion) -> Result<EventList, TraceError> {
    parse_azure_vmtable(open(path)?, &path.display().to_string(), version)
}

/// Reads a vmtable from a stream; `source_name` names it in errors.
pub fn parse_azure_vmtable<R: Read>(
    reader: R,
    source_name: &str,
    version: VmtableVersion,
) -> Result<EventList, TraceError> {
    let mut items = Vec::new();
    for_each_row(reader, source_name, Layout::Fixed(COLUMNS), |row| {
        items.push(parse_row(row, version)?);
        Ok(())
    })?;
    Ok(finish(items))
}

fn parse_row(row: &Row<'_>, version: VmtableVersion) -> Result<Item, TraceError> {
    let id = row.string(VMID)?;
    let created_s = row.uint(CREATED)?;
    let deleted_s = row.uint(DELETED)?;
    if deleted_s < created_s {
        return Err(row.error(
            DELETED,
            format!("deleted at {deleted_s} s, before its creation at {created_s} s"),
        ));
    }
    let category = row.text(CATEGORY);
    let profile = (!category.is_empty()).then(|| category.to_string());
    let cores = number(row, CORES, version)?;
    if cores.fract() != 0.0 || cores < 1.0 || cores > f64::from(u32::MAX) {
        return Err(row.error(
            CORES,
            format!("{cores} is not a whole number of cores >= 1"),
        ));
    }
    let mem_mb = row.mem_mb_of_gb(MEMORY, number(row, MEMORY, version)?)?;
    Ok((
        vm(id, cores as u32, mem_mb, profile),
        (created_s, Some(deleted_s)),
    ))
}

/// A positive number, or (V2) a `>N` bucket mapped to the next power of
/// two above N.
fn number(row: &Row<'_>, f: usize, version: VmtableVersion) -> Result<f64, TraceError> {
    let text = row.text(f);
    match (version, text.strip_prefix('>')) {
        (VmtableVersion::V2, Some(bound)) => {
            let n: f64 = bound
                .trim()
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x >= 0.0 && *x < 1e15)
                .ok_or_else(|| row.error(f, format!("`{text}` is not a bucket `>N`")))?;
            Ok(bucket_above(n))
        }
        _ => row.positive(f),
    }
}

/// The representative value of the bucket `>n`: the smallest power of two
/// strictly above `n`.
pub fn bucket_above(n: f64) -> f64 {
    let mut p = 1.0;
    while p <= n {
        p *= 2.0;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ev, sample, shapes};
    use super::*;
    use crate::workload::events::EventKind;

    #[test]
    fn v1_sample() {
        let l = read_azure_vmtable(&sample("azure_vmtable_v1.csv"), VmtableVersion::V1).unwrap();
        let ids: Vec<&str> = l.vms.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, vec!["vmA", "vmC", "vmB", "vmD"]);
        let shapes: Vec<(u32, u64)> = l.vms.iter().map(|v| (v.vcpus, v.mem_mb)).collect();
        assert_eq!(shapes, vec![(2, 3584), (1, 768), (4, 7168), (8, 57344)]);
        assert_eq!(l.vms[0].profile.as_deref(), Some("Interactive"));
        assert_eq!(l.vms[2].profile.as_deref(), Some("Delay-insensitive"));
        assert!(l.vms.iter().all(|v| v.level == 1.0));
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
                ev(2592000, Departure, 1),
            ]
        );
    }

    #[test]
    fn v2_sample_maps_buckets() {
        let l = read_azure_vmtable(&sample("azure_vmtable_v2.csv"), VmtableVersion::V2).unwrap();
        assert_eq!(
            shapes(&l),
            vec![("vm1", 32, 131072), ("vm2", 2, 4096), ("vm3", 8, 32768)]
        );
        assert_eq!(l.events.len(), 6);
        assert_eq!(l.events[2], ev(300, EventKind::Arrival, 2));
        assert_eq!(l.events[5], ev(1200, EventKind::Departure, 0));
        // V1 refuses buckets, naming line and column.
        let e =
            read_azure_vmtable(&sample("azure_vmtable_v2.csv"), VmtableVersion::V1).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("line 1, column 10 (`vmcorecount`): `>24` is not a number"),
            "{e}"
        );
    }

    #[test]
    fn buckets() {
        assert_eq!(bucket_above(24.0), 32.0);
        assert_eq!(bucket_above(64.0), 128.0);
        assert_eq!(bucket_above(0.5), 1.0);
        assert_eq!(bucket_above(1.0), 2.0);
    }

    #[test]
    fn bad_rows_are_located() {
        let parse = |t: &str| {
            parse_azure_vmtable(t.as_bytes(), "t.csv", VmtableVersion::V2)
                .unwrap_err()
                .to_string()
        };
        let e = parse("a,s,d,0,10,1,1,1,X,2,4\nb,s,d,20,10,1,1,1,X,2,4\n");
        assert_eq!(
            e,
            "t.csv: line 2, column 5 (`vmdeleted`): deleted at 10 s, before its creation at 20 s"
        );
        assert!(parse("a,s,d,0,10,1,1,1,X,2\n").contains("line 1"));
        assert!(parse("a,s,d,0,10,1,1,1,X,2.5,4\n").contains("column 10"));
        assert!(parse("a,s,d,0,10,1,1,1,X,2,>x\n").contains("column 11"));
        assert!(parse("a,s,d,-1,10,1,1,1,X,2,4\n").contains("column 4"));
    }

    #[test]
    fn reads_gzip() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("slackvm-vmtable-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("vmtable.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&p).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(&std::fs::read(sample("azure_vmtable_v1.csv")).unwrap())
            .unwrap();
        gz.finish().unwrap();
        let a = read_azure_vmtable(&p, VmtableVersion::V1).unwrap();
        let b = read_azure_vmtable(&sample("azure_vmtable_v1.csv"), VmtableVersion::V1).unwrap();
        assert_eq!(a, b);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
