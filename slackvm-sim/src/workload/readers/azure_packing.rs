//! Azure 2020 VM packing trace (the `vm_types.csv` / `vm_instances.csv`
//! pair) to an event list. Both files have a header; columns are found by
//! name, others (`machineId`, `hdd`, `tenantId`, `priority`...) are ignored;
//! a `.gz` name is read through gzip.
//!
//! - `vm_types.csv`: `id,vmTypeId,core,memory`, `core` and `memory` as
//!   fractions (0, 1] of one host. A `vmTypeId` may have several rows (one
//!   per machine type): the FIRST row in file order is used. The host shape
//!   is a parameter ([`HostShape`], default 32 CPUs and 131072 MB, the
//!   cluster experiment's host): vCPUs = `max(1, round(core * cpus))`,
//!   memory MB = `max(1, round(memory * mem_mb))`.
//! - `vm_instances.csv`: `vmId,vmTypeId,starttime,endtime` in days
//!   (floats, relative to the trace start), converted to integer seconds as
//!   `round(days * 86400)`. An empty `endtime` means alive until the end (no
//!   departure). A VM that starts before 0 (present when the trace begins)
//!   arrives at 0; a VM that ends at or before 0 is dropped. The end must not
//!   be before the start.
//!
//! VMs have no profile.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::{finish, for_each_row, open, vm, Item, Layout, Row, TraceError};
use crate::workload::events::EventList;

/// The host that `core` and `memory` fractions refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostShape {
    /// CPUs of one host.
    pub cpus: u32,
    /// Memory of one host in MB.
    pub mem_mb: u64,
}

impl Default for HostShape {
    /// 32 CPUs, 131072 MB (cluster-experiment.md).
    fn default() -> Self {
        HostShape {
            cpus: 32,
            mem_mb: 131_072,
        }
    }
}

const TYPE_COLS: [&str; 3] = ["vmTypeId", "core", "memory"];
const TYPE_ID: usize = 0;
const CORE: usize = 1;
const MEMORY: usize = 2;
const INSTANCE_COLS: [&str; 4] = ["vmId", "vmTypeId", "starttime", "endtime"];
const VM_ID: usize = 0;
const VM_TYPE: usize = 1;
const START: usize = 2;
const END: usize = 3;
const DAY_S: f64 = 86_400.0;

/// Reads the pair of files.
pub fn read_azure_packing(
    types: &Path,
    instances: &Path,
    host: HostShape,
) -> Result<EventList, TraceError> {
    let shapes = parse_vm_types(open(types)?, &types.display().to_string(), host)?;
    parse_vm_instances(open(instances)?, &instances.display().to_string(), &shapes)
}

/// `vm_types.csv` to `vmTypeId -> (vcpus, mem_mb)` (first row per type).
pub fn parse_vm_types<R: Read>(
    reader: R,
    source_name: &str,
    host: HostShape,
) -> Result<BTreeMap<String, (u32, u64)>, TraceError> {
    let mut shapes = BTreeMap::new();
    for_each_row(reader, source_name, Layout::Named(TYPE_COLS), |row| {
        let type_id = row.string(TYPE_ID)?;
        let core = fraction(row, CORE)?;
        let memory = fraction(row, MEMORY)?;
        let vcpus = (core * f64::from(host.cpus)).round().max(1.0) as u32;
        let mem_mb = (memory * host.mem_mb as f64).round().max(1.0) as u64;
        shapes.entry(type_id).or_insert((vcpus, mem_mb));
        Ok(())
    })?;
    Ok(shapes)
}

/// A fraction (0, 1] of one host at field `f`.
fn fraction(row: &Row<'_>, f: usize) -> Result<f64, TraceError> {
    let x = row.positive(f)?;
    if x > 1.0 {
        return Err(row.error(f, format!("{x} is more than one host")));
    }
    Ok(x)
}

/// `vm_instances.csv` to an event list, given the type shapes.
pub fn parse_vm_instances<R: Read>(
    reader: R,
    source_name: &str,
    shapes: &BTreeMap<String, (u32, u64)>,
) -> Result<EventList, TraceError> {
    let mut items: Vec<Item> = Vec::new();
    for_each_row(reader, source_name, Layout::Named(INSTANCE_COLS), |row| {
        items.extend(parse_instance(row, shapes)?);
        Ok(())
    })?;
    Ok(finish(items))
}

/// Days to integer seconds, rounded.
fn days_to_s(days: f64) -> i64 {
    (days * DAY_S).round() as i64
}

/// One instance, or `None` when it ended before the trace.
fn parse_instance(
    row: &Row<'_>,
    shapes: &BTreeMap<String, (u32, u64)>,
) -> Result<Option<Item>, TraceError> {
    let id = row.string(VM_ID)?;
    let type_id = row.text(VM_TYPE);
    let &(vcpus, mem_mb) = shapes
        .get(type_id)
        .ok_or_else(|| row.error(VM_TYPE, format!("unknown vmTypeId `{type_id}`")))?;
    let start_s = days_to_s(row.float(START)?);
    let end_s = if row.text(END).is_empty() {
        None
    } else {
        Some(days_to_s(row.float(END)?))
    };
    if let Some(end) = end_s {
        if end < start_s {
            return Err(row.error(
                END,
                format!("ends at {end} s, before its start at {start_s} s"),
            ));
        }
        if end <= 0 {
            return Ok(None);
        }
    }
    let span = (start_s.max(0) as u64, end_s.map(|e| e as u64));
    Ok(Some((vm(id, vcpus, mem_mb, None), span)))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ev, sample, shapes};
    use super::*;
    use crate::workload::events::{Event, EventKind::*};

    #[test]
    fn sample_by_hand() {
        let l = read_azure_packing(
            &sample("azure2020_vm_types.csv"),
            &sample("azure2020_vm_instances.csv"),
            HostShape::default(),
        )
        .unwrap();
        // type 0: first row (0.0625 * 32 = 2 CPUs, 0.03125 * 131072 = 4096 MB);
        // type 1: 16 CPUs, 32768 MB; type 2: round(0.32) = 0 -> 1 CPU,
        // round(131.072) = 131 MB. VM 3 ended before the trace: dropped.
        assert_eq!(
            shapes(&l),
            vec![
                ("0", 2, 4096),
                ("1", 16, 32768),
                ("2", 1, 131),
                ("4", 16, 32768)
            ]
        );
        assert_eq!(
            l.events,
            vec![
                ev(0, Arrival, 0),
                ev(0, Arrival, 1),
                ev(8640, Arrival, 2),
                ev(8641, Departure, 2), // 0.10001 days = 8640.864 s
                ev(43200, Arrival, 3),
                ev(43200, Departure, 0),
                ev(108000, Departure, 3),
            ]
        );
    }

    #[test]
    fn host_shape_and_extra_columns() {
        let types = "id,vmTypeId,machineId,core,memory,hdd\n0,7,3,0.5,0.5,0\n";
        let shapes = parse_vm_types(
            types.as_bytes(),
            "t",
            HostShape {
                cpus: 64,
                mem_mb: 1000,
            },
        )
        .unwrap();
        assert_eq!(shapes["7"], (32, 500));
        let inst = "vmId,tenantId,vmTypeId,priority,starttime,endtime\nx,1,7,0,1.0,\n";
        let l = parse_vm_instances(inst.as_bytes(), "i", &shapes).unwrap();
        assert_eq!(
            l.events,
            vec![Event {
                time_s: 86400,
                kind: Arrival,
                vm: 0
            }]
        );
    }

    #[test]
    fn errors_are_located() {
        let shapes = parse_vm_types(
            "vmTypeId,core,memory\n1,0.5,0.5\n".as_bytes(),
            "t",
            HostShape::default(),
        )
        .unwrap();
        let err = |t: &str| {
            parse_vm_instances(t.as_bytes(), "i.csv", &shapes)
                .unwrap_err()
                .to_string()
        };
        let h = "vmId,vmTypeId,starttime,endtime\n";
        assert_eq!(
            err(&format!("{h}a,9,0,1\n")),
            "i.csv: line 2, column 2 (`vmTypeId`): unknown vmTypeId `9`"
        );
        assert!(err(&format!("{h}a,1,2,1\n")).contains("column 4 (`endtime`)"));
        assert!(err(&format!("{h}a,1,x,1\n")).contains("column 3 (`starttime`)"));
        assert!(err("vmId,starttime\n").contains("missing column `vmTypeId`"));
        let bad = parse_vm_types(
            "vmTypeId,core,memory\n1,1.5,0.5\n".as_bytes(),
            "t.csv",
            HostShape::default(),
        );
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("t.csv: line 2, column 2 (`core`)"));
    }
}
