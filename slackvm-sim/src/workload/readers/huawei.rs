//! Huawei Cloud `Huawei-East-1` VM request trace, as published: CSV with a
//! header holding (at least, in any order) `vmid,cpu,memory,time,type`:
//! - `vmid`: VM identifier; `cpu`: vCPUs; `memory`: GB
//!   (MB = `round(gb * 1024)`);
//! - `time`: seconds since the start, written with or without a decimal
//!   part (`0.0`, `55.0`, `55`); a fractional part rounds to the nearest
//!   second (halves up);
//! - `type`: `0` create, `1` delete.
//!
//! Each VM is created once, before (or at the time of) its deletion, and
//! deleted at most once; a VM never deleted runs to the end of the trace
//! (no departure event). The shape is the create row's; a delete row's
//! `cpu`/`memory` are not checked. VMs have no profile.

use std::io::BufRead;
use std::path::Path;

use super::huawei_fast::{parse_plain, Plain};
use super::{columns, vm, Collected, ReadOptions, ReadReport, TraceError, VmAttr, VmAttrs};
use crate::workload::csvrows::{open_input, CsvRows, Fields};
use crate::workload::events::EventList;
use crate::workload::idmap::IdIndex;

const NAMES: [&str; 5] = ["vmid", "cpu", "memory", "time", "type"];
const VMID: usize = 0;
const CPU: usize = 1;
const MEMORY: usize = 2;
const TIME: usize = 3;
const TYPE: usize = 4;

/// Reads a Huawei-East-1 file (strict).
pub fn read_huawei(path: &Path) -> Result<EventList, TraceError> {
    Ok(read(path, &ReadOptions::default())?.0)
}

/// Reads a Huawei-East-1 trace from a stream (strict); `source_name` names
/// it in errors.
pub fn parse_huawei<R: BufRead>(reader: R, source_name: &str) -> Result<EventList, TraceError> {
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
    let header = rows.next_row()?.ok_or_else(|| TraceError::Csv {
        source_name: source_name.to_string(),
        line: 1,
        message: "empty file: the header `vmid,cpu,memory,time,type` is missing".into(),
    })?;
    let cols = columns(&header, NAMES)?;
    let mut names = ["?"; 64];
    for (f, &c) in cols.iter().enumerate() {
        if c < names.len() {
            names[c] = NAMES[f];
        }
    }
    let mut vms = Vms::default();
    // The fast path reads lines in the published column order only.
    let published = cols == [VMID, CPU, MEMORY, TIME, TYPE] && header.len() == NAMES.len();
    let mut report = ReadReport::default();
    loop {
        if published {
            report.rows += rows.take_lines(|line| vms.take_plain(line))?;
        }
        let Some(f) = rows.next_row()? else { break };
        let f = f.named(&names);
        report.row(opts.skip_bad_rows, || vms.row(&f, &cols))?;
    }
    let (list, attrs) = vms.collected.finish();
    Ok((list, attrs, report))
}

/// The VMs read so far.
#[derive(Default)]
struct Vms {
    collected: Collected,
    /// vmid -> index in `collected`.
    index: IdIndex,
}

/// A refusal of a row: the column (of [`NAMES`]) and the message.
type Fault = (usize, String);

impl Vms {
    /// The fast path: takes a plain line if it is a good row (else the
    /// general path reads it).
    fn take_plain(&mut self, line: &[u8]) -> bool {
        match parse_plain(line) {
            Some(Plain::Create {
                id,
                vcpus,
                mem_mb,
                time_s,
            }) => self.create(id, vcpus, mem_mb, time_s).is_ok(),
            Some(Plain::Delete { id, time_s }) => self.delete(id, time_s).is_ok(),
            None => false,
        }
    }

    /// The general path: one CSV row, or its located error.
    fn row(&mut self, row: &Fields<'_>, cols: &[usize; 5]) -> Result<(), TraceError> {
        let id = row.non_empty(cols[VMID])?;
        let time_s = row.seconds(cols[TIME])?;
        let done = match row.bytes(cols[TYPE]) {
            b"0" => {
                if self.known(id) {
                    return Err(row.error(cols[VMID], format!("VM `{id}` is created twice")));
                }
                let vcpus = row.vcpus(cols[CPU])?;
                let gb = row.positive(cols[MEMORY])?;
                let mem_mb = crate::workload::catalogue::gb_to_mb(gb);
                if mem_mb == 0 {
                    return Err(row.error(cols[MEMORY], "memory rounds to 0 MB".into()));
                }
                self.create(id, vcpus, mem_mb, time_s)
            }
            b"1" => self.delete(id, time_s),
            _ => Err((
                TYPE,
                format!(
                    "`{}` is neither 0 (create) nor 1 (delete)",
                    String::from_utf8_lossy(row.bytes(cols[TYPE]))
                ),
            )),
        };
        done.map_err(|(col, message)| row.error(cols[col], message))
    }

    /// True if VM `id` was created.
    fn known(&self, id: &str) -> bool {
        let vms = &self.collected.vms;
        self.index.contains(id, |&n| &vms[n as usize].id)
    }

    /// A create row: a new VM with the row's shape, alive from `time_s`.
    fn create(&mut self, id: &str, vcpus: u32, mem_mb: u64, time_s: u64) -> Result<(), Fault> {
        let vms = &self.collected.vms;
        let n = vms.len() as u32;
        if !self.index.insert_new(id, n, |&k| &vms[k as usize].id) {
            return Err((VMID, format!("VM `{id}` is created twice")));
        }
        self.collected.push(
            vm(id.to_string(), vcpus, mem_mb),
            (time_s, None),
            VmAttr::default(),
        );
        Ok(())
    }

    /// A delete row: the departure of a VM created before.
    fn delete(&mut self, id: &str, time_s: u64) -> Result<(), Fault> {
        let vms = &self.collected.vms;
        let Some(i) = self.index.get(id, |&n| &vms[n as usize].id) else {
            return Err((VMID, format!("VM `{id}` is deleted before being created")));
        };
        let span = &mut self.collected.spans[i as usize];
        if span.1.is_some() {
            return Err((VMID, format!("VM `{id}` is deleted twice")));
        }
        if time_s < span.0 {
            let message = format!(
                "VM `{id}` is deleted at {time_s} s, before its creation at {} s",
                span.0
            );
            return Err((TIME, message));
        }
        span.1 = Some(time_s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{ev, sample, shapes, temp_dir};
    use super::*;
    use crate::workload::events::EventKind::*;

    #[test]
    fn sample_as_published_decimal_times_no_final_newline() {
        let l = read_huawei(&sample("huawei_east1.csv")).unwrap();
        assert_eq!(
            shapes(&l),
            vec![
                ("10", 2, 4096),
                ("11", 4, 8192),
                ("12", 1, 2048),
                ("13", 8, 16384),
                ("14", 64, 131072)
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
                ev(300, Arrival, 4),
                ev(300, Departure, 2),
            ]
        );
    }

    #[test]
    fn crlf_bom_gzip_give_the_same_list() {
        use std::io::Write;
        let text = std::fs::read_to_string(sample("huawei_east1.csv")).unwrap();
        let plain = parse_huawei(text.as_bytes(), "p").unwrap();
        let crlf = format!("\u{feff}{}\r\n", text.replace('\n', "\r\n"));
        assert_eq!(parse_huawei(crlf.as_bytes(), "c").unwrap(), plain);
        let dir = temp_dir("huawei-gz");
        let p = dir.join("h.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&p).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(crlf.as_bytes()).unwrap();
        gz.finish().unwrap();
        assert_eq!(read_huawei(&p).unwrap(), plain);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn columns_in_any_order_and_errors() {
        let ok = "time,type,vmid,memory,cpu,extra\n5.0,0,a,0.5,1,x\n";
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
        assert_eq!(
            err(&format!("{h}a,1,1,0.0,0\nb,1,1,x.5,0\n")),
            "h.csv: line 3, column 4 (`time`): `x.5` is not a time in seconds >= 0"
        );
        assert!(err(&format!("{h}a,1,1,0,1\n")).contains("before being created"));
        assert!(err(&format!("{h}a,1,1,0,0\na,1,1,0,0\n")).contains("created twice"));
        assert!(err(&format!("{h}a,1,1,9,0\na,1,1,3,1\n")).contains("line 3, column 4 (`time`)"));
        assert!(err(&format!("{h}a,1,1,0,0\na,1,1,3,1\na,1,1,4,1\n")).contains("deleted twice"));
        assert!(err(&format!("{h}a,0,1,0,0\n")).contains("column 2 (`cpu`)"));
    }

    /// Rows of every kind (plain, decimal, odd spellings, bad), as
    /// `(vmid, cpu, memory, time, type)`.
    fn mixed_rows(n: usize) -> Vec<[String; 5]> {
        (0..n)
            .map(|i| {
                let j = i.saturating_sub(4);
                let row: [&str; 5] = match i % 9 {
                    0 | 1 => ["vm-{i}", "2", "4", "{i}.0", "0"],
                    2 => ["vm-{j}", "2", "4", "{i}", "1"],
                    3 => [" s-{i} ", "1", "0.5", "{i}", "0"],
                    4 => ["vm-{j}", "x", "y", "{i}.4", "1"],
                    5 => ["q-{i}", "0", "4", "{i}", "0"],
                    6 => ["vm-{j}", "2", "4", "{i}", "1"],
                    7 => ["vm-{i}", "1", "1e-6", "{i}", "0"],
                    _ => ["nobody", "1", "1", "{i}", "1"],
                };
                row.map(|f| {
                    f.replace("{i}", &i.to_string())
                        .replace("{j}", &j.to_string())
                })
            })
            .collect()
    }

    #[test]
    fn the_fast_path_changes_nothing_on_a_long_mixed_file() {
        // The published order takes the fast path; another order of the
        // same columns reads every row through the general path.
        let rows = mixed_rows(3000);
        let published: String = std::iter::once("vmid,cpu,memory,time,type".to_string())
            .chain(rows.iter().map(|r| r.join(",")))
            .map(|l| l + "\n")
            .collect();
        let reordered: String = std::iter::once("type,time,memory,cpu,vmid".to_string())
            .chain(
                rows.iter()
                    .map(|r| format!("{},{},{},{},{}", r[4], r[3], r[2], r[1], r[0])),
            )
            .map(|l| l + "\n")
            .collect();
        let lenient = ReadOptions {
            skip_bad_rows: true,
            ..ReadOptions::default()
        };
        let fast = parse(published.as_bytes(), "p", &lenient).unwrap();
        let general = parse(reordered.as_bytes(), "r", &lenient).unwrap();
        assert_eq!(fast.0, general.0);
        assert_eq!(
            (fast.2.rows, fast.2.skipped),
            (general.2.rows, general.2.skipped)
        );
        assert!(
            fast.2.skipped > 300 && fast.0.vms.len() > 1000,
            "{:?}",
            fast.2
        );
        // Strict: the same first error, at the same line.
        let strict = |t: &str| parse_huawei(t.as_bytes(), "h").unwrap_err().to_string();
        let (a, b) = (strict(&published), strict(&reordered));
        assert_eq!(a.split(", column").next(), b.split(", column").next());
    }

    #[test]
    fn skip_bad_rows_counts_and_keeps_the_rest() {
        let h = "vmid,cpu,memory,time,type\n";
        let text = format!("{h}a,1,1,0,0\nb,x,1,1,0\nc,1,1,2,7\nd,2,2,3.0,0\na,1,1,4,1\n");
        let lenient = ReadOptions {
            skip_bad_rows: true,
            ..ReadOptions::default()
        };
        let (l, _, report) = parse(text.as_bytes(), "s.csv", &lenient).unwrap();
        assert_eq!(l.vms.len(), 2);
        assert_eq!((report.rows, report.skipped), (5, 2));
        assert_eq!(
            report.first_skipped[0],
            "s.csv: line 3, column 2 (`cpu`): `x` is not an integer >= 0"
        );
        // Header faults are never skipped.
        assert!(parse("vmid,cpu\n".as_bytes(), "s", &lenient).is_err());
    }
}
