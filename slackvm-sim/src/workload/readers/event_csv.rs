//! Reader of our event list CSV (the format: [`crate::workload::csv`],
//! docs/event-csv.md): a streaming iterator of checked rows
//! ([`EventCsvReader`]) and whole-list readers that also check that every
//! VM arrives once, departs at most once after arriving, and keeps its
//! columns ([`read_event_list`], [`read_event_csv`]).
//!
//! Input: plain or gzip, CRLF and a BOM accepted. The reader fails on the
//! first bad row with its line number and column, or skips and counts bad
//! rows in the lenient mode. Plain lines take a fast path
//! ([`super::event_fast`]), the others the general one below; the list is
//! built and checked by [`super::event_build`]. The only allocations per
//! row are an arriving VM's id and profile.

use std::io::BufRead;
use std::path::Path;

use super::event_build::Builder;
use super::event_fast::parse_plain;
use super::event_row::{cpu_fraction, RawRow};
use super::{CpuStats, ReadOptions, ReadReport, TraceError, VmAttr, VmAttrs};
use crate::level::Level;
use crate::workload::csv::{EVENT_CSV_CPU_COLUMNS, EVENT_CSV_HEADER};
use crate::workload::csvrows::{open_input, CsvRows, Fields};
use crate::workload::events::{EventKind, EventList, VmSpec};

/// Errors of the event list CSV: the readers' one error type.
pub type EventCsvError = TraceError;

/// One row of the CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// Seconds.
    pub time_s: u64,
    /// Arrival or departure.
    pub kind: EventKind,
    /// The VM's columns.
    pub vm: VmSpec,
    /// The optional CPU columns (fractions; `None` when absent or empty).
    pub cpu: Option<CpuStats>,
}

/// Streaming reader: an iterator of rows, checking each row's fields and
/// that times do not decrease (not the arrival/departure pairing: see
/// [`read_event_list`]).
pub struct EventCsvReader<R: BufRead> {
    rows: CsvRows<R>,
    /// Columns of the header (7 or 10).
    width: usize,
    last_time_s: u64,
    done: bool,
}

/// Every column's name, the optional CPU columns included (for errors).
const NAMES: [&str; 10] = [
    "time_s",
    "event",
    "vm_id",
    "vcpus",
    "mem_mb",
    "level",
    "profile",
    "cpu_avg_pct",
    "cpu_p95_pct",
    "cpu_max_pct",
];

impl<R: BufRead> EventCsvReader<R> {
    /// Wraps a reader; `source_name` names it in errors. Reads and checks
    /// the header.
    pub fn new(reader: R, source_name: &str) -> Result<Self, EventCsvError> {
        let mut rows = CsvRows::new(reader, source_name);
        let width = check_header(&mut rows)?;
        Ok(EventCsvReader {
            rows,
            width,
            last_time_s: 0,
            done: false,
        })
    }

    fn next_row(&mut self) -> Result<Option<EventRow>, EventCsvError> {
        let last = &mut self.last_time_s;
        let Some(f) = self.rows.next_row()? else {
            return Ok(None);
        };
        let f = f.named(&NAMES);
        let raw = parse_fields(&f, self.width, last)?;
        Ok(Some(EventRow {
            line: f.line(),
            time_s: raw.time_s,
            kind: raw.kind,
            vm: raw.to_vm(),
            cpu: raw.cpu,
        }))
    }
}

impl<R: BufRead> Iterator for EventCsvReader<R> {
    type Item = Result<EventRow, EventCsvError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.next_row().transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

/// Checks the header; returns the number of columns (7, or 10 with the
/// CPU columns).
fn check_header<R: BufRead>(rows: &mut CsvRows<R>) -> Result<usize, EventCsvError> {
    let expected = EVENT_CSV_HEADER.join(",");
    let source_name = rows.source_name().to_string();
    let with_cpu = EVENT_CSV_HEADER.iter().chain(&EVENT_CSV_CPU_COLUMNS);
    let found = match rows.next_row()? {
        None => String::new(),
        Some(h)
            if (0..h.len())
                .map(|i| h.bytes(i))
                .eq(EVENT_CSV_HEADER.iter().map(|c| c.as_bytes()))
                || (0..h.len())
                    .map(|i| h.bytes(i))
                    .eq(with_cpu.map(|c| c.as_bytes())) =>
        {
            return Ok(h.len())
        }
        Some(h) => (0..h.len())
            .map(|i| String::from_utf8_lossy(h.bytes(i)).into_owned())
            .collect::<Vec<_>>()
            .join(","),
    };
    Err(TraceError::Header {
        source_name,
        expected,
        found,
    })
}

/// Parses one row's fields; `last_time_s` is the previous row's time
/// (updated).
pub(super) fn parse_fields<'a>(
    f: &Fields<'a>,
    width: usize,
    last_time_s: &mut u64,
) -> Result<RawRow<'a>, EventCsvError> {
    f.expect_width(width)?;
    let time_s = f.uint(0)?;
    if time_s < *last_time_s {
        return Err(f.error(
            0,
            format!("time {time_s} is before the previous row's {last_time_s}"),
        ));
    }
    let kind = match f.bytes(1) {
        b"arrival" => EventKind::Arrival,
        b"departure" => EventKind::Departure,
        _ => {
            return Err(f.error(
                1,
                format!("`{}` is neither `arrival` nor `departure`", f.str(1)?),
            ))
        }
    };
    let id = f.non_empty(2)?;
    let vcpus = f.vcpus(3)?;
    let mem_mb = f.uint(4)?;
    if mem_mb == 0 {
        return Err(f.error(4, "memory must be > 0".into()));
    }
    let level = match f.bytes(5) {
        b"1.0" => Level::ONE,
        b"2.0" => Level::TWO,
        b"3.0" => Level::THREE,
        _ => Level::new(f.float(5)?).map_err(|e| f.error(5, e.to_string()))?,
    };
    let profile = Some(f.str(6)?).filter(|p| !p.is_empty());
    let cpu = match kind {
        EventKind::Arrival if width > EVENT_CSV_HEADER.len() => cpu_stats(f)?,
        _ => None,
    };
    *last_time_s = time_s;
    Ok(RawRow {
        time_s,
        kind,
        id,
        vcpus,
        mem_mb,
        level,
        profile,
        cpu,
    })
}

/// The optional CPU columns (8 to 10): all empty, or three numbers >= 0
/// in % (above 100 counts as 100), as fractions.
fn cpu_stats(f: &Fields<'_>) -> Result<Option<CpuStats>, EventCsvError> {
    let first = EVENT_CSV_HEADER.len();
    if (first..first + 3).all(|c| f.bytes(c).is_empty()) {
        return Ok(None);
    }
    let pct = |col: usize| -> Result<f64, EventCsvError> {
        let x = f.float(col)?;
        cpu_fraction(x).ok_or_else(|| f.error(col, format!("{x} is not a CPU percentage >= 0")))
    };
    Ok(Some(CpuStats {
        avg: pct(first)?,
        p95: pct(first + 1)?,
        max: pct(first + 2)?,
    }))
}

/// The list, each VM's CPU columns when the header has them, the report.
type ReadList = (EventList, Option<Vec<Option<CpuStats>>>, ReadReport);

/// How to read a list.
#[derive(Clone, Copy)]
struct ListOptions {
    /// Skip (and count) malformed rows.
    skip_bad_rows: bool,
    /// The input's size, if known (to reserve room).
    size_hint_bytes: Option<u64>,
    /// Read plain lines through the fast path (off: every row through the
    /// general path, for the tests that compare the two).
    fast_path: bool,
}

impl ListOptions {
    fn new(skip_bad_rows: bool, size_hint_bytes: Option<u64>) -> Self {
        ListOptions {
            skip_bad_rows,
            size_hint_bytes,
            fast_path: true,
        }
    }
}

/// The list being read: the builder, the CPU columns, the last time.
struct Reading {
    b: Builder,
    width: usize,
    cpu: Vec<Option<CpuStats>>,
    last_time_s: u64,
}

impl Reading {
    /// Takes a checked row.
    fn push(&mut self, raw: &RawRow<'_>) -> Result<(), String> {
        self.b.add(raw)?;
        self.last_time_s = raw.time_s;
        if self.width > EVENT_CSV_HEADER.len() && raw.kind == EventKind::Arrival {
            self.cpu.push(raw.cpu);
        }
        Ok(())
    }

    /// The fast path: takes a plain line if it is a good row (else the
    /// general path reads it).
    fn take_plain(&mut self, line: &[u8]) -> bool {
        match parse_plain(line, self.width) {
            Some(raw) if raw.time_s >= self.last_time_s => self.push(&raw).is_ok(),
            _ => false,
        }
    }

    /// The general path: one CSV row, or its located error.
    fn take_row(&mut self, f: &Fields<'_>) -> Result<(), EventCsvError> {
        let mut last = self.last_time_s;
        let raw = parse_fields(f, self.width, &mut last)?;
        self.push(&raw).map_err(|msg| f.error(2, msg))
    }
}

/// Reads the list.
fn read_list<R: BufRead>(
    reader: R,
    source_name: &str,
    opts: ListOptions,
) -> Result<ReadList, EventCsvError> {
    let mut rows = CsvRows::new(reader, source_name);
    let width = check_header(&mut rows)?;
    let mut r = Reading {
        b: Builder::default(),
        width,
        cpu: Vec::new(),
        last_time_s: 0,
    };
    let buffered = rows.buffered_bytes()?;
    r.b.reserve_for(opts.size_hint_bytes.unwrap_or(0).max(buffered as u64));
    let mut report = ReadReport::default();
    loop {
        if opts.fast_path {
            report.rows += rows.take_lines(|line| r.take_plain(line))?;
        }
        let Some(f) = rows.next_row()? else { break };
        let f = f.named(&NAMES);
        report.row(opts.skip_bad_rows, || r.take_row(&f))?;
    }
    let cpu = (width > EVENT_CSV_HEADER.len()).then_some(r.cpu);
    Ok((r.b.list, cpu, report))
}

/// Reads a whole event list from a stream, checking that every VM arrives
/// once, departs at most once after arriving, and keeps its columns.
pub fn read_event_list<R: BufRead>(
    reader: R,
    source_name: &str,
) -> Result<EventList, EventCsvError> {
    Ok(read_list(reader, source_name, ListOptions::new(false, None))?.0)
}

/// Reads an event list CSV file (plain or gzip; `-`: standard input).
pub fn read_event_csv(path: &Path) -> Result<EventList, EventCsvError> {
    let name = path.display().to_string();
    let opts = ListOptions::new(false, file_size(path));
    Ok(read_list(open_input(path)?, &name, opts)?.0)
}

/// The size of the file at `path` (`-`: unknown): a hint to reserve room
/// (a gzip file's compressed size only makes the lists grow as they go).
fn file_size(path: &Path) -> Option<u64> {
    if path.as_os_str() == "-" {
        return None;
    }
    std::fs::metadata(path).ok().map(|m| m.len())
}

/// [`read_event_csv`] in the readers' shape (lenient mode as asked; the
/// VMs' attributes hold the CPU columns, if any).
pub(super) fn read(
    path: &Path,
    opts: &ReadOptions,
) -> Result<(EventList, VmAttrs, ReadReport), EventCsvError> {
    let (list, cpu, report) = read_list(
        open_input(path)?,
        &path.display().to_string(),
        ListOptions::new(opts.skip_bad_rows, file_size(path)),
    )?;
    let attrs = match cpu {
        Some(cpu) => VmAttrs::per_vm(
            cpu.into_iter()
                .map(|cpu| VmAttr {
                    cpu,
                    ..VmAttr::default()
                })
                .collect(),
        ),
        None => VmAttrs::none(),
    };
    Ok((list, attrs, report))
}

#[cfg(test)]
#[path = "event_csv_tests.rs"]
mod tests;
