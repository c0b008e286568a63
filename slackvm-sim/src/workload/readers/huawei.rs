//! Huawei Cloud `Huawei-East-1` VM request trace to an event list. CSV with
//! a header holding (at least, in any order) the columns
//! `vmid,cpu,memory,time,type` (a `.gz` name is read through gzip):
//! - `vmid`: VM identifier; `cpu`: vCPUs; `memory`: GB
//!   (MB = `round(gb * 1024)`);
//! - `time`: integer seconds; `type`: `0` create, `1` delete.
//!
//! Each VM must be created once, before (or at the time of) its deletion,
//! and deleted at most once; a VM never deleted runs to the end of the trace
//! (no departure event). The shape is the create row's; a delete row's
//! `cpu`/`memory` are not checked. VMs have no profile.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use super::{finish, for_each_row, open, vm, Item, Layout, Row, TraceError};
use crate::workload::events::EventList;

const NAMES: [&str; 5] = ["vmid", "cpu", "memory", "time", "type"];
const VMID: usize = 0;
const CPU: usize = 1;
const MEMORY: usize = 2;
const TIME: usize = 3;
const TYPE: usize = 4;

/// Reads a Huawei-East-1 file.
pub fn read_huawei(path: &Path) -> Result<EventList, TraceError> {
    parse_huawei(open(path)?, &path.display().to_string())
}

/// Reads a Huawei-East-1 trace from a stream; `source_name` names it in errors.
pub fn parse_huawei<R: Read>(reader: R, source_name: &str) -> Result<EventList, TraceError> {
    let mut vms = Vms::default();
    for_each_row(reader, source_name, Layout::Named(NAMES), |row| {
        let id = row.string(VMID)?;
        let time_s = row.uint(TIME)?;
        match row.text(TYPE) {
            "0" => vms.create(row, id, time_s),
            "1" => vms.delete(row, &id, time_s),
            other => Err(row.error(
                TYPE,
                format!("`{other}` is neither 0 (create) nor 1 (delete)"),
            )),
        }
    })?;
    Ok(finish(vms.items))
}

/// The VMs read so far.
#[derive(Default)]
struct Vms {
    items: Vec<Item>,
    /// vmid -> index in `items`; looked up only, never iterated.
    index: HashMap<String, usize>,
}

impl Vms {
    /// A create row: a new VM with the row's shape, alive from `time_s`.
    fn create(&mut self, row: &Row<'_>, id: String, time_s: u64) -> Result<(), TraceError> {
        if self.index.contains_key(&id) {
            return Err(row.error(VMID, format!("VM `{id}` is created twice")));
        }
        let vcpus = row.uint(CPU)?;
        let vcpus = u32::try_from(vcpus)
            .ok()
            .filter(|&v| v > 0)
            .ok_or_else(|| row.error(CPU, format!("{vcpus} is not in 1..=4294967295")))?;
        let mem_mb = row.mem_mb_of_gb(MEMORY, row.positive(MEMORY)?)?;
        self.index.insert(id.clone(), self.items.len());
        self.items
            .push((vm(id, vcpus, mem_mb, None), (time_s, None)));
        Ok(())
    }

    /// A delete row: the departure of a VM created before.
    fn delete(&mut self, row: &Row<'_>, id: &str, time_s: u64) -> Result<(), TraceError> {
        let Some(&i) = self.index.get(id) else {
            return Err(row.error(VMID, format!("VM `{id}` is deleted before being created")));
        };
        let span = &mut self.items[i].1;
        if span.1.is_some() {
            return Err(row.error(VMID, format!("VM `{id}` is deleted twice")));
        }
        if time_s < span.0 {
            return Err(row.error(
                TIME,
                format!(
                    "VM `{id}` is deleted at {time_s} s, before its creation at {} s",
                    span.0
                ),
            ));
        }
        span.1 = Some(time_s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ev, sample, shapes};
    use super::*;
    use crate::workload::events::EventKind::*;

    #[test]
    fn sample_by_hand() {
        let l = read_huawei(&sample("huawei_east1.csv")).unwrap();
        assert_eq!(
            shapes(&l),
            vec![
                ("10", 2, 4096),
                ("11", 4, 8192),
                ("12", 1, 2048),
                ("13", 8, 16384)
            ]
        );
        assert_eq!(
            l.events,
            vec![
                ev(0, Arrival, 0),
                ev(0, Arrival, 1),
                ev(60, Arrival, 2),
                ev(120, Arrival, 3),
                ev(120, Departure, 0),
                ev(300, Departure, 2),
            ]
        );
    }

    #[test]
    fn columns_in_any_order_and_errors() {
        let ok = "time,type,vmid,memory,cpu,extra\n5,0,a,0.5,1,x\n";
        let l = parse_huawei(ok.as_bytes(), "h").unwrap();
        assert_eq!((l.vms[0].vcpus, l.vms[0].mem_mb), (1, 512));
        assert_eq!(l.events.len(), 1);
        let err = |t: &str| parse_huawei(t.as_bytes(), "h.csv").unwrap_err().to_string();
        assert_eq!(
            err("vmid,cpu,time,type\n"),
            "h.csv: line 1: missing column `memory`"
        );
        let h = "vmid,cpu,memory,time,type\n";
        assert_eq!(
            err(&format!("{h}a,1,1,0,0\na,1,1,5,2\n")),
            "h.csv: line 3, column 5 (`type`): `2` is neither 0 (create) nor 1 (delete)"
        );
        assert!(err(&format!("{h}a,1,1,0,1\n")).contains("before being created"));
        assert!(err(&format!("{h}a,1,1,0,0\na,1,1,0,0\n")).contains("created twice"));
        assert!(err(&format!("{h}a,1,1,9,0\na,1,1,3,1\n")).contains("line 3, column 4 (`time`)"));
        assert!(err(&format!("{h}a,1,1,0,0\na,1,1,3,1\na,1,1,4,1\n")).contains("deleted twice"));
        assert!(err(&format!("{h}a,0,1,0,0\n")).contains("column 2 (`cpu`)"));
    }
}
