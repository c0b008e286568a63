//! The event list CSV (docs/event-csv.md): its format and its writer (the
//! reader is [`crate::workload::readers::event_csv`]).
//!
//! # Event list CSV
//! One header line, then one line per event, by non-decreasing time:
//! ```text
//! time_s,event,vm_id,vcpus,mem_mb,level,profile
//! 0,arrival,vm-0,2,4096,1.0,low
//! 0,arrival,vm-1,4,8192,3.0,
//! 720,departure,vm-0,2,4096,1.0,low
//! ```
//! - `time_s`: integer seconds since the start of the run;
//! - `event`: `arrival` or `departure`;
//! - `vm_id`: VM identifier, unique, arrives once, departs at most once
//!   (a VM without a departure lives until the end of the run);
//! - `vcpus`: integer > 0; `mem_mb`: integer MB > 0;
//! - `level`: CPU oversubscription level >= 1, written as Python writes a
//!   float (`1.0`, `2.0`, `2.5`);
//! - `profile`: usage profile name, empty when none;
//! - optionally, [`EVENT_CSV_CPU_COLUMNS`] `cpu_avg_pct,cpu_p95_pct,cpu_max_pct`:
//!   the VM's CPU use in % of its vCPUs, read on arrivals (empty: unknown;
//!   the writer never writes them).
//!
//! A departure repeats its VM's columns, which must equal the arrival's.
//! Rows with equal times keep their order (the generator and readers
//! write, at one time, arrivals before departures, each in VM order). Fields
//! are quoted (RFC 4180) only when they hold a comma, quote or newline.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::events::{Event, EventKind, EventList};
use super::trace_error::TraceError;

/// The header line's columns.
pub const EVENT_CSV_HEADER: [&str; 7] = [
    "time_s", "event", "vm_id", "vcpus", "mem_mb", "level", "profile",
];

/// Optional columns after [`EVENT_CSV_HEADER`]: the VM's CPU use summary
/// in % of its vCPUs (mean, 95th percentile, max), all three or none.
pub const EVENT_CSV_CPU_COLUMNS: [&str; 3] = ["cpu_avg_pct", "cpu_p95_pct", "cpu_max_pct"];

/// Writes an event list as CSV, events stably sorted by time.
pub fn write_event_csv<W: Write>(list: &EventList, out: W) -> Result<(), TraceError> {
    let io_err = |e: ::csv::Error| TraceError::Io {
        source_name: "event list output".into(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(out);
    w.write_record(EVENT_CSV_HEADER).map_err(io_err)?;
    let mut order: Vec<&Event> = list.events.iter().collect();
    order.sort_by_key(|e| e.time_s);
    for e in order {
        let Some(vm) = list.vms.get(e.vm) else {
            return Err(TraceError::Io {
                source_name: "event list output".into(),
                source: std::io::Error::other(format!(
                    "event at {} s names VM #{} of {}",
                    e.time_s,
                    e.vm,
                    list.vms.len()
                )),
            });
        };
        let kind = match e.kind {
            EventKind::Arrival => "arrival",
            EventKind::Departure => "departure",
        };
        w.write_record([
            e.time_s.to_string().as_str(),
            kind,
            &vm.id,
            &vm.vcpus.to_string(),
            &vm.mem_mb.to_string(),
            &crate::pyfmt::float(vm.level),
            vm.profile.as_deref().unwrap_or(""),
        ])
        .map_err(io_err)?;
    }
    w.flush().map_err(|source| TraceError::Io {
        source_name: "event list output".into(),
        source,
    })
}

/// Writes an event list CSV file (through [`crate::output`]: a temporary
/// file renamed on success).
pub fn write_event_csv_file(list: &EventList, path: &Path) -> Result<(), TraceError> {
    let io_err = |e: crate::output::OutputError| TraceError::Io {
        source_name: PathBuf::from(path).display().to_string(),
        source: e.into_io(),
    };
    let staged = crate::output::Staged::new(path).map_err(io_err)?;
    let file = File::create(staged.tmp_path()).map_err(|source| TraceError::Io {
        source_name: PathBuf::from(path).display().to_string(),
        source,
    })?;
    write_event_csv(list, std::io::BufWriter::new(file))?;
    staged.commit().map_err(io_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::events::VmSpec;

    #[test]
    fn writes_the_documented_example() {
        let vm = |id: &str, vcpus, mem_mb, level: f64, profile: Option<&str>| VmSpec {
            id: id.into(),
            vcpus,
            mem_mb,
            level: crate::level::Level::new(level).unwrap(),
            profile: profile.map(str::to_string),
        };
        let list = EventList::from_spans(
            vec![
                vm("vm-0", 2, 4096, 1.0, Some("low")),
                vm("vm-1", 4, 8192, 3.0, None),
            ],
            &[(0, Some(720)), (0, None)],
        );
        let mut buf = Vec::new();
        write_event_csv(&list, &mut buf).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "time_s,event,vm_id,vcpus,mem_mb,level,profile\n\
             0,arrival,vm-0,2,4096,1.0,low\n\
             0,arrival,vm-1,4,8192,3.0,\n\
             720,departure,vm-0,2,4096,1.0,low\n"
        );
    }
}
