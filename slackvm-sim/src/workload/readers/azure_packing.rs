//! Azure 2020 VM packing trace, read directly from the published SQLite
//! file (`packing_trace_zone_a_v1.sqlite`, bundled SQLite, read-only):
//! - table `vmType(id, vmTypeId, machineId, core, memory, ...)`: each
//!   resource as a fraction (0, 1] of one machine of type `machineId`; a
//!   `vmTypeId` has one row per machine type it runs on. The machine type
//!   is chosen by [`ReadOptions::machine_id`] (`--machine-id`; optional
//!   when the file holds one). The host the fractions refer to is
//!   [`ReadOptions::host`] (`--host-cpus`, `--host-mem-gb`): vCPUs =
//!   `ceil(core x CPUs)`, MB = `ceil(memory x MB)` (never less than the
//!   fraction asked; at least 1; a 1e-9 tolerance absorbs float noise).
//!   Two rows of one type on one machine: the first (by `id`) counts.
//! - table `vm(vmId, tenantId, vmTypeId, priority, starttime, endtime)`:
//!   times in days from the window start, seconds = `round(days x 86400)`;
//!   a VM that starts before 0 (alive when the window opens) arrives at 0;
//!   `endtime` NULL = alive to the end (no departure); a VM that ends at or
//!   before 0 is left out (counted in [`ReadReport::ended_before_start`]).
//!   `priority` (0 high, 1 low) and `vmTypeId` are kept for the level
//!   rules. A VM whose type has no row on the chosen machine is a row
//!   error (`--skip-bad-rows` skips and counts it).
//!
//! Errors name the file, the table, the rowid and the column.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};

use super::{vm, Collected, ReadOptions, ReadReport, TraceError, VmAttr, VmAttrs};
use crate::workload::events::EventList;

const DAY_S: f64 = 86_400.0;
/// Float noise tolerated when rounding a fraction of a host up.
const CEIL_EPS: f64 = 1e-9;

/// Reads the packing trace (strict).
pub fn read_azure_packing(path: &Path, opts: &ReadOptions) -> Result<EventList, TraceError> {
    Ok(read(path, opts)?.0)
}

pub(super) fn read(
    path: &Path,
    opts: &ReadOptions,
) -> Result<(EventList, VmAttrs, ReadReport), TraceError> {
    let name = path.display().to_string();
    let sql = |e: rusqlite::Error| TraceError::Sql {
        source_name: name.clone(),
        message: e.to_string(),
    };
    if let Err(source) = std::fs::metadata(path) {
        return Err(TraceError::Io {
            source_name: name,
            source,
        });
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
    let machine = machine_id(&conn, &name, opts.machine_id)?;
    let shapes = vm_types(&conn, &name, machine, opts)?;
    let mut stmt = conn
        .prepare(
            "SELECT rowid, vmId, vmTypeId, priority, starttime, endtime FROM vm ORDER BY rowid",
        )
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut collected = Collected::default();
    let mut report = ReadReport::default();
    while let Some(row) = rows.next().map_err(sql)? {
        let mut ended = false;
        report.row(opts.skip_bad_rows, || {
            let at = At::new(&name, "vm", row)?;
            ended = !instance(&at, row, &shapes, &mut collected)?;
            Ok(())
        })?;
        report.ended_before_start += u64::from(ended);
    }
    let (list, attrs) = collected.finish();
    Ok((list, attrs, report))
}

/// The machine type to use: the one asked (it must exist) or the only one.
fn machine_id(conn: &Connection, name: &str, asked: Option<i64>) -> Result<i64, TraceError> {
    let ids: Vec<i64> = conn
        .prepare("SELECT DISTINCT machineId FROM vmType ORDER BY machineId")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| TraceError::Sql {
            source_name: name.to_string(),
            message: format!("reading vmType.machineId: {e}"),
        })?;
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    match (asked, ids.as_slice()) {
        (Some(m), _) if ids.contains(&m) => Ok(m),
        (Some(m), _) => Err(TraceError::Option {
            option: "--machine-id",
            message: format!("{name} has no machine type {m} (it has: {list})"),
        }),
        (None, [only]) => Ok(*only),
        (None, _) => Err(TraceError::Option {
            option: "--machine-id",
            message: format!("{name} has machine types {list}: choose one"),
        }),
    }
}

/// `vmTypeId -> (vcpus, mem_mb)` on machine `machine`.
fn vm_types(
    conn: &Connection,
    name: &str,
    machine: i64,
    opts: &ReadOptions,
) -> Result<BTreeMap<i64, (u32, u64)>, TraceError> {
    let sql = |e: rusqlite::Error| TraceError::Sql {
        source_name: name.to_string(),
        message: e.to_string(),
    };
    let mut stmt = conn
        .prepare(
            "SELECT rowid, vmTypeId, core, memory FROM vmType WHERE machineId = ?1 ORDER BY id",
        )
        .map_err(sql)?;
    let mut rows = stmt.query([machine]).map_err(sql)?;
    let mut shapes = BTreeMap::new();
    while let Some(row) = rows.next().map_err(sql)? {
        let at = At::new(name, "vmType", row)?;
        let type_id = at.int(row, 1, "vmTypeId")?;
        let core = at.fraction(row, 2, "core")?;
        let memory = at.fraction(row, 3, "memory")?;
        let vcpus = (core * f64::from(opts.host.cpus) - CEIL_EPS)
            .ceil()
            .max(1.0) as u32;
        let mem_mb = (memory * opts.host.mem_mb as f64 - CEIL_EPS)
            .ceil()
            .max(1.0) as u64;
        shapes.entry(type_id).or_insert((vcpus, mem_mb));
    }
    Ok(shapes)
}

/// One `vm` row; false when the VM ended before the window.
fn instance(
    at: &At<'_>,
    row: &Row<'_>,
    shapes: &BTreeMap<i64, (u32, u64)>,
    out: &mut Collected,
) -> Result<bool, TraceError> {
    let id = at.text(row, 1, "vmId")?;
    let type_id = at.int(row, 2, "vmTypeId")?;
    let &(vcpus, mem_mb) = shapes.get(&type_id).ok_or_else(|| {
        at.error(
            "vmTypeId",
            format!("VM type {type_id} has no vmType row on the chosen machine type"),
        )
    })?;
    let priority = at.int(row, 3, "priority")?;
    let start_s = days_to_s(at.real(row, 4, "starttime")?);
    let end_s = match row.get_ref(5) {
        Ok(ValueRef::Null) => None,
        _ => Some(days_to_s(at.real(row, 5, "endtime")?)),
    };
    if let Some(end) = end_s {
        if end < start_s {
            return Err(at.error(
                "endtime",
                format!("ends at {end} s, before its start at {start_s} s"),
            ));
        }
        if end <= 0 {
            return Ok(false);
        }
    }
    let attr = VmAttr {
        priority: Some(priority),
        vm_type: Some(type_id),
        ..VmAttr::default()
    };
    let span = (start_s.max(0) as u64, end_s.map(|e| e as u64));
    out.push(vm(id, vcpus, mem_mb), span, attr);
    Ok(true)
}

/// Days to integer seconds, rounded (bounded to keep the cast exact).
fn days_to_s(days: f64) -> i64 {
    (days * DAY_S).round().clamp(-1e15, 1e15) as i64
}

/// Where a SQLite row is, for errors, and its typed columns.
struct At<'a> {
    name: &'a str,
    table: &'static str,
    rowid: i64,
}

impl<'a> At<'a> {
    fn new(name: &'a str, table: &'static str, row: &Row<'_>) -> Result<Self, TraceError> {
        let rowid = row.get::<_, i64>(0).map_err(|e| TraceError::Sql {
            source_name: name.to_string(),
            message: format!("table `{table}`: rowid: {e}"),
        })?;
        Ok(At { name, table, rowid })
    }

    fn error(&self, column: &'static str, message: String) -> TraceError {
        TraceError::SqlRow {
            source_name: self.name.to_string(),
            table: self.table,
            rowid: self.rowid,
            column,
            message,
        }
    }

    fn value<'r>(
        &self,
        row: &'r Row<'_>,
        i: usize,
        col: &'static str,
    ) -> Result<ValueRef<'r>, TraceError> {
        row.get_ref(i).map_err(|e| self.error(col, e.to_string()))
    }

    fn int(&self, row: &Row<'_>, i: usize, col: &'static str) -> Result<i64, TraceError> {
        match self.value(row, i, col)? {
            ValueRef::Integer(n) => Ok(n),
            ValueRef::Real(x) if x.fract() == 0.0 && x.abs() < 1e15 => Ok(x as i64),
            other => Err(self.error(col, format!("{other:?} is not an integer"))),
        }
    }

    fn real(&self, row: &Row<'_>, i: usize, col: &'static str) -> Result<f64, TraceError> {
        match self.value(row, i, col)? {
            ValueRef::Integer(n) => Ok(n as f64),
            ValueRef::Real(x) if x.is_finite() => Ok(x),
            other => Err(self.error(col, format!("{other:?} is not a number"))),
        }
    }

    fn text(&self, row: &Row<'_>, i: usize, col: &'static str) -> Result<String, TraceError> {
        match self.value(row, i, col)? {
            ValueRef::Integer(n) => Ok(n.to_string()),
            ValueRef::Text(t) if !t.is_empty() => Ok(String::from_utf8_lossy(t).into_owned()),
            other => Err(self.error(col, format!("{other:?} is not an identifier"))),
        }
    }

    fn fraction(&self, row: &Row<'_>, i: usize, col: &'static str) -> Result<f64, TraceError> {
        let x = self.real(row, i, col)?;
        if x > 0.0 && x <= 1.0 {
            Ok(x)
        } else {
            Err(self.error(col, format!("{x} is not a fraction of a machine in (0, 1]")))
        }
    }
}

/// Builds a SQLite file from a SQL script (the shipped sample is a script).
pub fn sqlite_from_script(script: &str, out: &Path) -> Result<(), TraceError> {
    let name = out.display().to_string();
    let sql = |e: rusqlite::Error| TraceError::Sql {
        source_name: name.clone(),
        message: e.to_string(),
    };
    Connection::open(out)
        .and_then(|c| c.execute_batch(script))
        .map_err(sql)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ev, sample, shapes, temp_dir};
    use super::*;
    use crate::workload::events::EventKind::*;

    fn sample_db(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let dir = temp_dir(tag);
        let db = dir.join("packing.sqlite");
        let script = std::fs::read_to_string(sample("azure2020_packing.sql")).unwrap();
        sqlite_from_script(&script, &db).unwrap();
        (dir, db)
    }

    fn on(machine: i64) -> ReadOptions {
        ReadOptions {
            machine_id: Some(machine),
            ..ReadOptions::default()
        }
    }

    #[test]
    fn sample_by_hand_null_end_negative_start_machine_by_flag() {
        let (dir, db) = sample_db("packing-sample");
        let (l, attrs, report) = read(&db, &on(1)).unwrap();
        // Machine 1, host 32 CPUs / 131072 MB: type 0 = ceil(2) = 2 CPUs,
        // 4096 MB; type 1 = 16 CPUs, 32768 MB; type 2 = ceil(0.32) = 1 CPU,
        // ceil(131.072) = 132 MB. VM 103 ended before the window.
        assert_eq!(
            shapes(&l),
            vec![
                ("100", 2, 4096),
                ("101", 16, 32768),
                ("102", 1, 132),
                ("104", 16, 32768)
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
        let prios: Vec<i64> = attrs.stored().iter().map(|a| a.priority.unwrap()).collect();
        assert_eq!(prios, vec![0, 1, 1, 0]);
        assert_eq!(report.ended_before_start, 1);
        // Machine 2 has no row for type 2: a row error naming table and row.
        let e = read(&db, &on(2)).unwrap_err().to_string();
        assert!(e.ends_with("table `vm`, row 3, column `vmTypeId`: VM type 2 has no vmType row on the chosen machine type"), "{e}");
        let lenient = ReadOptions {
            skip_bad_rows: true,
            ..on(2)
        };
        let (l, _, r) = read(&db, &lenient).unwrap();
        assert_eq!((l.vms.len(), r.skipped), (3, 1));
        assert_eq!(l.vms[1].vcpus, 32);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn machine_choice_and_missing_file_errors() {
        let (dir, db) = sample_db("packing-errors");
        let e = read(&db, &ReadOptions::default()).unwrap_err().to_string();
        assert!(
            e.contains("--machine-id") && e.contains("machine types 1, 2"),
            "{e}"
        );
        let e = read(&db, &on(9)).unwrap_err().to_string();
        assert!(e.contains("no machine type 9"), "{e}");
        let e = read(&dir.join("none.sqlite"), &on(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("none.sqlite"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
