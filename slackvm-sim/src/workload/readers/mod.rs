//! Readers that turn public VM traces into an [`EventList`], one file per
//! format, plus what they share: opening (a `.gz` name is read through
//! gzip), the row loop ([`for_each_row`]: columns by header name or fixed
//! order), field parsing with file/line/column errors ([`Row`]), and the
//! final ordering ([`finish`]).
//!
//! Every reader:
//! - gives each VM level 1.0 (traces carry no level): call
//!   [`crate::workload::assign_levels`] to draw levels from shares;
//! - numbers VMs in arrival order (ties: file order) and writes, at one
//!   time, arrivals before departures, as the generator does;
//! - converts memory GB to MB as `round(gb * 1024)`;
//! - gives a VM that never leaves no departure event (alive to the end).
//!
//! Formats: [`azure_vmtable`] (Azure public dataset vmtable V1 and V2),
//! [`huawei`] (Huawei-East-1), [`azure_packing`] (Azure 2020 packing
//! trace pair).

pub mod azure_packing;
pub mod azure_vmtable;
pub mod huawei;

pub use azure_packing::{read_azure_packing, HostShape};
pub use azure_vmtable::{parse_azure_vmtable, read_azure_vmtable, VmtableVersion};
pub use huawei::{parse_huawei, read_huawei};

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::catalogue::gb_to_mb;
use super::events::{EventList, VmSpec};

/// Errors of trace readers; every message names the file, and the line and
/// column when the fault is in a row.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be opened or read.
    #[error("{source_name}: {source}")]
    Io {
        /// File.
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
    /// A required column is missing from the header.
    #[error("{source_name}: line 1: missing column `{column}`")]
    MissingColumn {
        /// File.
        source_name: String,
        /// Column name.
        column: &'static str,
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

/// Opens a file, through gzip when its name ends in `.gz`.
pub(crate) fn open(path: &Path) -> Result<Box<dyn Read>, TraceError> {
    let file = File::open(path).map_err(|source| TraceError::Io {
        source_name: path.display().to_string(),
        source,
    })?;
    let reader = BufReader::new(file);
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

/// A CSV reader over `reader`.
fn csv_reader<R: Read>(reader: R, has_headers: bool) -> ::csv::Reader<R> {
    ::csv::ReaderBuilder::new()
        .has_headers(has_headers)
        .flexible(false)
        .trim(::csv::Trim::All)
        .from_reader(reader)
}

/// Maps a CSV error to a [`TraceError`].
fn csv_error(source_name: &str, e: &::csv::Error) -> TraceError {
    if let ::csv::ErrorKind::Io(io) = e.kind() {
        return TraceError::Io {
            source_name: source_name.to_string(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        };
    }
    TraceError::Csv {
        source_name: source_name.to_string(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}

/// Where a format's columns are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Layout<const N: usize> {
    /// A header line; the columns are found by these names (in any order,
    /// others ignored).
    Named([&'static str; N]),
    /// No header; exactly these columns, in this order.
    Fixed([&'static str; N]),
}

/// Reads every data row of a CSV stream laid out as `layout` and hands it to
/// `each`, stopping at the first error (located: file, line, column).
pub(crate) fn for_each_row<R: Read, const N: usize>(
    reader: R,
    source_name: &str,
    layout: Layout<N>,
    mut each: impl FnMut(&Row<'_>) -> Result<(), TraceError>,
) -> Result<(), TraceError> {
    let (mut rdr, names, cols) = match layout {
        Layout::Named(names) => {
            let mut rdr = csv_reader(reader, true);
            let header = rdr.headers().map_err(|e| csv_error(source_name, &e))?;
            let cols = columns(header, names, source_name)?;
            (rdr, names, cols)
        }
        Layout::Fixed(names) => (csv_reader(reader, false), names, std::array::from_fn(|i| i)),
    };
    let mut record = ::csv::StringRecord::new();
    while rdr
        .read_record(&mut record)
        .map_err(|e| csv_error(source_name, &e))?
    {
        let row = Row {
            source_name,
            record: &record,
            line: record.position().map_or(0, |p| p.line()),
            names: &names,
            cols: &cols,
        };
        if matches!(layout, Layout::Fixed(_)) {
            row.check_width()?;
        }
        each(&row)?;
    }
    Ok(())
}

/// One row being parsed: gives typed fields with located errors. Fields are
/// numbered as in the format's [`Layout`].
pub(crate) struct Row<'a> {
    source_name: &'a str,
    record: &'a ::csv::StringRecord,
    line: u64,
    /// Name of each field.
    names: &'a [&'static str],
    /// 0-based column of each field.
    cols: &'a [usize],
}

impl Row<'_> {
    /// The raw text of field `f`.
    pub fn text(&self, f: usize) -> &str {
        self.record.get(self.cols[f]).unwrap_or("")
    }

    /// An error at field `f`.
    pub fn error(&self, f: usize, message: String) -> TraceError {
        self.error_at(self.cols[f], self.names[f], message)
    }

    /// An error at 0-based column `col`, named `field`.
    fn error_at(&self, col: usize, field: &'static str, message: String) -> TraceError {
        TraceError::Field {
            source_name: self.source_name.to_string(),
            line: self.line,
            column: col + 1,
            field,
            message,
        }
    }

    /// A row of a [`Layout::Fixed`] format must have all its columns: the
    /// error names the last column found and the last expected.
    fn check_width(&self) -> Result<(), TraceError> {
        let (found, expected) = (self.record.len(), self.names.len());
        if found == expected {
            return Ok(());
        }
        Err(self.error_at(
            found.saturating_sub(1),
            self.names[expected - 1],
            format!("expected {expected} columns, found {found}"),
        ))
    }

    /// A non-empty string.
    pub fn string(&self, f: usize) -> Result<String, TraceError> {
        let t = self.text(f);
        if t.is_empty() {
            return Err(self.error(f, "empty".into()));
        }
        Ok(t.to_string())
    }

    /// An integer >= 0.
    pub fn uint(&self, f: usize) -> Result<u64, TraceError> {
        let t = self.text(f);
        t.parse::<u64>()
            .map_err(|e| self.error(f, format!("`{t}` is not an integer >= 0: {e}")))
    }

    /// A finite float.
    pub fn float(&self, f: usize) -> Result<f64, TraceError> {
        let t = self.text(f);
        t.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.error(f, format!("`{t}` is not a number")))
    }

    /// A float > 0.
    pub fn positive(&self, f: usize) -> Result<f64, TraceError> {
        let x = self.float(f)?;
        if x > 0.0 {
            Ok(x)
        } else {
            Err(self.error(f, format!("{x} is not > 0")))
        }
    }

    /// `gb` (read at field `f`) in MB, `round(gb * 1024)`, which must be > 0.
    pub fn mem_mb_of_gb(&self, f: usize, gb: f64) -> Result<u64, TraceError> {
        match gb_to_mb(gb) {
            0 => Err(self.error(f, "memory rounds to 0 MB".into())),
            mem_mb => Ok(mem_mb),
        }
    }
}

/// Indices of the `wanted` columns in a header, or the first missing one.
fn columns<const N: usize>(
    header: &::csv::StringRecord,
    wanted: [&'static str; N],
    source_name: &str,
) -> Result<[usize; N], TraceError> {
    let mut out = [0usize; N];
    for (slot, name) in out.iter_mut().zip(wanted) {
        *slot = header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| TraceError::MissingColumn {
                source_name: source_name.to_string(),
                column: name,
            })?;
    }
    Ok(out)
}

/// A VM of level 1.0.
pub(crate) fn vm(id: String, vcpus: u32, mem_mb: u64, profile: Option<String>) -> VmSpec {
    VmSpec {
        id,
        vcpus,
        mem_mb,
        level: 1.0,
        profile,
    }
}

/// A VM read from a trace and its span `(arrival_s, departure_s)`.
pub(crate) type Item = (VmSpec, (u64, Option<u64>));

/// The event list of VMs and spans, VMs renumbered in arrival order
/// (stable: ties keep file order).
pub(crate) fn finish(mut items: Vec<Item>) -> EventList {
    items.sort_by_key(|(_, span)| span.0);
    let (vms, spans): (Vec<VmSpec>, Vec<(u64, Option<u64>)>) = items.into_iter().unzip();
    EventList::from_spans(vms, &spans)
}

/// What the readers' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};

    use crate::workload::events::{Event, EventKind, EventList};

    /// Path of a hand-written sample under `datasets/samples/`.
    pub fn sample(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../datasets/samples")
            .join(name)
    }

    /// `(id, vcpus, mem_mb)` of every VM, in order.
    pub fn shapes(list: &EventList) -> Vec<(&str, u32, u64)> {
        list.vms
            .iter()
            .map(|v| (v.id.as_str(), v.vcpus, v.mem_mb))
            .collect()
    }

    /// An event.
    pub fn ev(time_s: u64, kind: EventKind, vm: usize) -> Event {
        Event { time_s, kind, vm }
    }
}
