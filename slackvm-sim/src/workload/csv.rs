//! The event list CSV (formats.md "Cluster workload"): writer and
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
//! The reader fails on the first bad row with its line number and column.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::events::{Event, EventKind, EventList, VmSpec};

/// The header line's columns.
pub const EVENT_CSV_HEADER: [&str; 7] = [
    "time_s", "event", "vm_id", "vcpus", "mem_mb", "level", "profile",
];

/// Errors of the event list CSV.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventCsvError {
    /// Reading or writing failed.
    #[error("{source_name}: {source}")]
    Io {
        /// File (or stream name).
        source_name: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The CSV layer failed (bad quoting, wrong column count...).
    #[error("{source_name}: line {line}: {message}")]
    Csv {
        /// File.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// The header is not [`EVENT_CSV_HEADER`].
    #[error("{source_name}: line 1: header must be `time_s,event,vm_id,vcpus,mem_mb,level,profile`, found `{found}`")]
    Header {
        /// File.
        source_name: String,
        /// Header found.
        found: String,
    },
    /// A field does not parse or breaks a rule.
    #[error("{source_name}: line {line}, column {column} (`{field}`): {message}")]
    Field {
        /// File.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// Column name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

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

/// Streaming reader: an iterator of rows, checking each row's fields and
/// that times do not decrease (not the arrival/departure pairing: see
/// [`read_event_list`]).
pub struct EventCsvReader<R: Read> {
    inner: ::csv::Reader<R>,
    source_name: String,
    record: ::csv::StringRecord,
    last_time_s: u64,
    done: bool,
}

impl<R: Read> EventCsvReader<R> {
    /// Wraps a reader; `source_name` names it in errors. Reads and checks
    /// the header.
    pub fn new(reader: R, source_name: &str) -> Result<Self, EventCsvError> {
        let mut inner = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(reader);
        let header = inner.headers().map_err(|e| csv_error(source_name, &e))?;
        if header.iter().ne(EVENT_CSV_HEADER.iter().copied()) {
            return Err(EventCsvError::Header {
                source_name: source_name.to_string(),
                found: header.iter().collect::<Vec<_>>().join(","),
            });
        }
        Ok(EventCsvReader {
            inner,
            source_name: source_name.to_string(),
            record: ::csv::StringRecord::new(),
            last_time_s: 0,
            done: false,
        })
    }

    fn next_row(&mut self) -> Result<Option<EventRow>, EventCsvError> {
        let more = self
            .inner
            .read_record(&mut self.record)
            .map_err(|e| csv_error(&self.source_name, &e))?;
        if !more {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, |p| p.line());
        let row = parse_row(&self.record, line, &self.source_name)?;
        if row.time_s < self.last_time_s {
            return Err(field_error(
                &self.source_name,
                line,
                0,
                format!(
                    "time {} is before the previous row's {}",
                    row.time_s, self.last_time_s
                ),
            ));
        }
        self.last_time_s = row.time_s;
        Ok(Some(row))
    }
}

impl<R: Read> Iterator for EventCsvReader<R> {
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

fn csv_error(source_name: &str, e: &::csv::Error) -> EventCsvError {
    let line = e.position().map_or(0, |p| p.line());
    EventCsvError::Csv {
        source_name: source_name.to_string(),
        line,
        message: e.to_string(),
    }
}

fn field_error(source_name: &str, line: u64, col: usize, message: String) -> EventCsvError {
    EventCsvError::Field {
        source_name: source_name.to_string(),
        line,
        column: col + 1,
        field: EVENT_CSV_HEADER[col],
        message,
    }
}

fn parse_row(rec: &::csv::StringRecord, line: u64, src: &str) -> Result<EventRow, EventCsvError> {
    let get = |col: usize| rec.get(col).unwrap_or("");
    let int = |col: usize| -> Result<u64, EventCsvError> {
        get(col).parse::<u64>().map_err(|e| {
            field_error(
                src,
                line,
                col,
                format!("`{}` is not an integer >= 0: {e}", get(col)),
            )
        })
    };
    let time_s = int(0)?;
    let kind = match get(1) {
        "arrival" => EventKind::Arrival,
        "departure" => EventKind::Departure,
        other => {
            return Err(field_error(
                src,
                line,
                1,
                format!("`{other}` is neither `arrival` nor `departure`"),
            ))
        }
    };
    let id = get(2).to_string();
    if id.is_empty() {
        return Err(field_error(src, line, 2, "empty VM id".into()));
    }
    let vcpus = u32::try_from(int(3)?)
        .ok()
        .filter(|&v| v > 0)
        .ok_or_else(|| {
            field_error(
                src,
                line,
                3,
                format!("`{}` is not in 1..=4294967295", get(3)),
            )
        })?;
    let mem_mb = Some(int(4)?)
        .filter(|&m| m > 0)
        .ok_or_else(|| field_error(src, line, 4, "memory must be > 0".into()))?;
    let level = get(5)
        .parse::<f64>()
        .ok()
        .filter(|l| l.is_finite() && *l >= 1.0)
        .ok_or_else(|| field_error(src, line, 5, format!("`{}` is not a level >= 1", get(5))))?;
    let profile = Some(get(6)).filter(|p| !p.is_empty()).map(str::to_string);
    Ok(EventRow {
        line,
        time_s,
        kind,
        vm: VmSpec {
            id,
            vcpus,
            mem_mb,
            level,
            profile,
        },
    })
}

/// Reads a whole event list from a stream, checking that every VM arrives
/// once, departs at most once after arriving, and keeps its columns.
pub fn read_event_list<R: Read>(reader: R, source_name: &str) -> Result<EventList, EventCsvError> {
    let mut list = EventList::default();
    // id -> (index, departed); looked up only, never iterated.
    let mut index: std::collections::HashMap<String, (usize, bool)> =
        std::collections::HashMap::new();
    for row in EventCsvReader::new(reader, source_name)? {
        let row = row?;
        let err = |msg: String| field_error(source_name, row.line, 2, msg);
        match row.kind {
            EventKind::Arrival => {
                if index.contains_key(&row.vm.id) {
                    return Err(err(format!("VM `{}` arrives twice", row.vm.id)));
                }
                index.insert(row.vm.id.clone(), (list.vms.len(), false));
                list.events.push(Event {
                    time_s: row.time_s,
                    kind: EventKind::Arrival,
                    vm: list.vms.len(),
                });
                list.vms.push(row.vm);
            }
            EventKind::Departure => {
                let Some(entry) = index.get_mut(&row.vm.id) else {
                    return Err(err(format!("VM `{}` departs before arriving", row.vm.id)));
                };
                if entry.1 {
                    return Err(err(format!("VM `{}` departs twice", row.vm.id)));
                }
                entry.1 = true;
                if list.vms[entry.0] != row.vm {
                    return Err(err(format!(
                        "VM `{}` departs with columns that differ from its arrival",
                        row.vm.id
                    )));
                }
                list.events.push(Event {
                    time_s: row.time_s,
                    kind: EventKind::Departure,
                    vm: entry.0,
                });
            }
        }
    }
    Ok(list)
}

/// Reads an event list CSV file.
pub fn read_event_csv(path: &Path) -> Result<EventList, EventCsvError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| EventCsvError::Io {
        source_name: name.clone(),
        source,
    })?;
    read_event_list(std::io::BufReader::new(file), &name)
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
            "w.csv: line 3, column 4 (`vcpus`): `x` is not an integer >= 0: invalid digit found in string"
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
