//! The event list CSV (docs/event-csv.md): writer and
//! streaming reader.
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
//! - `profile`: usage profile name, empty when none.
//!
//! A departure repeats its VM's columns, which must equal the arrival's.
//! Rows with equal times keep their order (the generator and readers
//! write, at one time, arrivals before departures, each in VM order). Fields
//! are quoted (RFC 4180) only when they hold a comma, quote or newline.
//! The reader (plain or gzip, CRLF and a BOM accepted) fails on the first
//! bad row with its line number and column, or skips and counts bad rows
//! in the lenient mode. It parses rows in place (no allocation but the
//! ids and profiles of arrivals).

use crate::level::Level;
use std::fs::File;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use super::csvrows::{open_input, CsvRows, Fields};
use super::events::{Event, EventKind, EventList, VmSpec};
use super::idmap::IdIndex;
use super::readers::{ReadOptions, ReadReport, TraceError, VmAttr};

/// The header line's columns.
pub const EVENT_CSV_HEADER: [&str; 7] = [
    "time_s", "event", "vm_id", "vcpus", "mem_mb", "level", "profile",
];

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
}

/// The fields of one row, borrowed from the reader's buffer.
struct RawRow<'a> {
    time_s: u64,
    kind: EventKind,
    id: &'a str,
    vcpus: u32,
    mem_mb: u64,
    level: Level,
    profile: Option<&'a str>,
}

impl RawRow<'_> {
    fn to_vm(&self) -> VmSpec {
        VmSpec {
            id: self.id.to_string(),
            vcpus: self.vcpus,
            mem_mb: self.mem_mb,
            level: self.level,
            profile: self.profile.map(str::to_string),
        }
    }
    fn same_vm(&self, vm: &VmSpec) -> bool {
        vm.vcpus == self.vcpus
            && vm.mem_mb == self.mem_mb
            && vm.level == self.level
            && vm.profile.as_deref() == self.profile
    }
}

/// Streaming reader: an iterator of rows, checking each row's fields and
/// that times do not decrease (not the arrival/departure pairing: see
/// [`read_event_list`]).
pub struct EventCsvReader<R: BufRead> {
    rows: CsvRows<R>,
    last_time_s: u64,
    done: bool,
}

impl<R: BufRead> EventCsvReader<R> {
    /// Wraps a reader; `source_name` names it in errors. Reads and checks
    /// the header.
    pub fn new(reader: R, source_name: &str) -> Result<Self, EventCsvError> {
        let mut rows = CsvRows::new(reader, source_name);
        check_header(&mut rows)?;
        Ok(EventCsvReader {
            rows,
            last_time_s: 0,
            done: false,
        })
    }

    fn next_row(&mut self) -> Result<Option<EventRow>, EventCsvError> {
        let last = &mut self.last_time_s;
        let Some(f) = self.rows.next_row()? else {
            return Ok(None);
        };
        let f = f.named(&EVENT_CSV_HEADER);
        let raw = parse_fields(&f, last)?;
        Ok(Some(EventRow {
            line: f.line(),
            time_s: raw.time_s,
            kind: raw.kind,
            vm: raw.to_vm(),
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

fn check_header<R: BufRead>(rows: &mut CsvRows<R>) -> Result<(), EventCsvError> {
    let expected = EVENT_CSV_HEADER.join(",");
    let source_name = rows.source_name().to_string();
    let found = match rows.next_row()? {
        None => String::new(),
        Some(h)
            if (0..h.len())
                .map(|i| h.bytes(i))
                .eq(EVENT_CSV_HEADER.iter().map(|c| c.as_bytes())) =>
        {
            return Ok(())
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
fn parse_fields<'a>(f: &Fields<'a>, last_time_s: &mut u64) -> Result<RawRow<'a>, EventCsvError> {
    f.expect_width(EVENT_CSV_HEADER.len())?;
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
    *last_time_s = time_s;
    Ok(RawRow {
        time_s,
        kind,
        id,
        vcpus,
        mem_mb,
        level,
        profile,
    })
}

/// The event list being built, with its id index.
#[derive(Default)]
struct Builder {
    list: EventList,
    /// id -> index.
    index: IdIndex,
    /// Departed, per VM.
    departed: Vec<bool>,
}

impl Builder {
    fn add(&mut self, f: &Fields<'_>, raw: &RawRow<'_>) -> Result<(), EventCsvError> {
        let err = |msg: String| f.error(2, msg);
        let vm = match raw.kind {
            EventKind::Arrival => {
                let vms = &self.list.vms;
                if self.index.get(raw.id, |n| &vms[n as usize].id).is_some() {
                    return Err(err(format!("VM `{}` arrives twice", raw.id)));
                }
                let vm = self.list.vms.len();
                self.index.insert(raw.id, vm as u32);
                self.list.vms.push(raw.to_vm());
                self.departed.push(false);
                vm
            }
            EventKind::Departure => {
                let vms = &self.list.vms;
                let Some(n) = self.index.get(raw.id, |n| &vms[n as usize].id) else {
                    return Err(err(format!("VM `{}` departs before arriving", raw.id)));
                };
                let vm = n as usize;
                if self.departed[vm] {
                    return Err(err(format!("VM `{}` departs twice", raw.id)));
                }
                if !raw.same_vm(&self.list.vms[vm]) {
                    return Err(err(format!(
                        "VM `{}` departs with columns that differ from its arrival",
                        raw.id
                    )));
                }
                self.departed[vm] = true;
                vm
            }
        };
        self.list.events.push(Event {
            time_s: raw.time_s,
            kind: raw.kind,
            vm,
        });
        Ok(())
    }
}

fn read_list<R: BufRead>(
    reader: R,
    source_name: &str,
    skip_bad_rows: bool,
) -> Result<(EventList, ReadReport), EventCsvError> {
    let mut rows = CsvRows::new(reader, source_name);
    check_header(&mut rows)?;
    let mut b = Builder::default();
    let mut report = ReadReport::default();
    let mut last = 0u64;
    while let Some(f) = rows.next_row()? {
        let f = f.named(&EVENT_CSV_HEADER);
        report.row(skip_bad_rows, || {
            let raw = parse_fields(&f, &mut last)?;
            b.add(&f, &raw)
        })?;
    }
    Ok((b.list, report))
}

/// Reads a whole event list from a stream, checking that every VM arrives
/// once, departs at most once after arriving, and keeps its columns.
pub fn read_event_list<R: BufRead>(
    reader: R,
    source_name: &str,
) -> Result<EventList, EventCsvError> {
    Ok(read_list(reader, source_name, false)?.0)
}

/// Reads an event list CSV file (plain or gzip; `-`: standard input).
pub fn read_event_csv(path: &Path) -> Result<EventList, EventCsvError> {
    read_event_list(open_input(path)?, &path.display().to_string())
}

/// [`read_event_csv`] in the readers' shape (lenient mode as asked; the
/// VMs carry no attributes).
pub(crate) fn read_events_lenient(
    path: &Path,
    opts: &ReadOptions,
) -> Result<(EventList, Vec<VmAttr>, ReadReport), EventCsvError> {
    let (list, report) = read_list(
        open_input(path)?,
        &path.display().to_string(),
        opts.skip_bad_rows,
    )?;
    let attrs = vec![VmAttr::default(); list.vms.len()];
    Ok((list, attrs, report))
}

/// Writes an event list as CSV, events stably sorted by time.
pub fn write_event_csv<W: Write>(list: &EventList, out: W) -> Result<(), EventCsvError> {
    let io_err = |e: ::csv::Error| EventCsvError::Io {
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
            return Err(EventCsvError::Io {
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
    w.flush().map_err(|source| EventCsvError::Io {
        source_name: "event list output".into(),
        source,
    })
}

/// Writes an event list CSV file (through [`crate::output`]: a temporary
/// file renamed on success).
pub fn write_event_csv_file(list: &EventList, path: &Path) -> Result<(), EventCsvError> {
    let io_err = |e: crate::output::OutputError| EventCsvError::Io {
        source_name: PathBuf::from(path).display().to_string(),
        source: e.into_io(),
    };
    let staged = crate::output::Staged::new(path).map_err(io_err)?;
    let file = File::create(staged.tmp_path()).map_err(|source| EventCsvError::Io {
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
    use crate::workload::catalogue::Catalogue;
    use crate::workload::generator::{generate, GeneratorConfig};

    fn vm(id: &str, vcpus: u32, mem_mb: u64, level: f64, profile: Option<&str>) -> VmSpec {
        let level = Level::new(level).unwrap();
        VmSpec {
            id: id.into(),
            vcpus,
            mem_mb,
            level,
            profile: profile.map(str::to_string),
        }
    }

    fn to_string(list: &EventList) -> String {
        let mut buf = Vec::new();
        write_event_csv(list, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn writes_the_documented_example() {
        let list = EventList::from_spans(
            vec![
                vm("vm-0", 2, 4096, 1.0, Some("low")),
                vm("vm-1", 4, 8192, 3.0, None),
            ],
            &[(0, Some(720)), (0, None)],
        );
        let text = to_string(&list);
        assert_eq!(
            text,
            "time_s,event,vm_id,vcpus,mem_mb,level,profile\n\
             0,arrival,vm-0,2,4096,1.0,low\n\
             0,arrival,vm-1,4,8192,3.0,\n\
             720,departure,vm-0,2,4096,1.0,low\n"
        );
        assert_eq!(read_event_list(text.as_bytes(), "x").unwrap(), list);
    }

    #[test]
    fn round_trip_of_generated_list_and_determinism() {
        let cfg = GeneratorConfig::builder(Catalogue::ovhcloud2023())
            .initial_vms(200)
            .level_shares_pct([50, 25, 25])
            .seed(11)
            .build()
            .unwrap();
        let a = to_string(&generate(&cfg));
        let b = to_string(&generate(&cfg.clone()));
        assert_eq!(a, b, "same seed, same bytes");
        let back = read_event_list(a.as_bytes(), "gen").unwrap();
        assert_eq!(back, generate(&cfg));
        assert_eq!(to_string(&back), a);
    }

    #[test]
    fn quoting_round_trips() {
        let list = EventList::from_spans(vec![vm("a,\"b\"", 1, 1, 2.5, Some("x y"))], &[(5, None)]);
        let text = to_string(&list);
        assert!(text.contains("\"a,\"\"b\"\"\""));
        assert_eq!(read_event_list(text.as_bytes(), "q").unwrap(), list);
    }

    fn err_of(body: &str) -> String {
        let text = format!("time_s,event,vm_id,vcpus,mem_mb,level,profile\n{body}");
        read_event_list(text.as_bytes(), "w.csv")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_carry_line_and_column() {
        assert_eq!(
            err_of("0,arrival,a,1,1,1.0,\n5,arrival,b,x,1,1.0,\n"),
            "w.csv: line 3, column 4 (`vcpus`): `x` is not an integer >= 0"
        );
        assert!(err_of("0,leave,a,1,1,1.0,\n").contains("line 2, column 2 (`event`)"));
        assert!(err_of("0,arrival,a,1,1,0.5,\n").contains("column 6 (`level`)"));
        assert!(err_of("0,arrival,a,1,0,1.0,\n").contains("column 5 (`mem_mb`)"));
        assert!(err_of("9,arrival,a,1,1,1.0,\n3,arrival,b,1,1,1.0,\n")
            .contains("line 3, column 1 (`time_s`)"));
        assert!(err_of("0,departure,a,1,1,1.0,\n").contains("departs before arriving"));
        assert!(err_of("0,arrival,a,1,1,1.0,\n0,arrival,a,1,1,1.0,\n").contains("arrives twice"));
        assert!(err_of("0,arrival,a,1,1,1.0,\n1,departure,a,2,1,1.0,\n").contains("differ"));
        assert!(err_of("0,arrival,a,1,1,1.0\n").contains("line 2"));
        let bad = "time,event\n";
        let e = read_event_list(bad.as_bytes(), "h").unwrap_err();
        assert!(matches!(e, EventCsvError::Header { .. }));
    }

    #[test]
    fn streaming_reader_stops_after_an_error() {
        let text = "time_s,event,vm_id,vcpus,mem_mb,level,profile\n0,arrival,a,1,1,1.0,\n0,bad,a,1,1,1.0,\n0,arrival,c,1,1,1.0,\n";
        let rows: Vec<_> = EventCsvReader::new(text.as_bytes(), "s").unwrap().collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].is_ok() && rows[1].is_err());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;
        use proptest::{collection, option};

        proptest! {
            #[test]
            fn any_list_round_trips(spans in collection::vec((0u64..1000, option::of(0u64..500), 1u32..64, 1u64..100_000, 1u8..4), 0..40)) {
                let vms: Vec<VmSpec> = spans.iter().enumerate()
                    .map(|(i, s)| vm(&format!("v{i}"), s.2, s.3, f64::from(s.4), (i % 2 == 0).then_some("low")))
                    .collect();
                // VM order = arrival order, as every producer of this module writes.
                let mut sp: Vec<(u64, Option<u64>)> = spans.iter().map(|s| (s.0, s.1.map(|d| s.0 + d))).collect();
                sp.sort_by_key(|s| s.0);
                let list = EventList::from_spans(vms, &sp);
                let text = to_string(&list);
                prop_assert_eq!(read_event_list(text.as_bytes(), "p").unwrap(), list);
            }
        }
    }
}
