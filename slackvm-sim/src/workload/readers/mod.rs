//! Readers that turn public VM traces into an [`EventList`], one file per
//! format, plus what they share: opening (a `.gz` name is read through
//! gzip), column lookup by header name, field parsing with line/column
//! errors, and the final ordering.
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
pub(crate) fn csv_reader<R: Read>(reader: R, has_headers: bool) -> ::csv::Reader<R> {
    ::csv::ReaderBuilder::new()
        .has_headers(has_headers)
        .flexible(false)
        .trim(::csv::Trim::All)
        .from_reader(reader)
}

/// Maps a CSV error to a [`TraceError`].
pub(crate) fn csv_error(source_name: &str, e: &::csv::Error) -> TraceError {
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

/// One row being parsed: gives typed fields with located errors.
pub(crate) struct Row<'a> {
    pub source_name: &'a str,
    pub record: &'a ::csv::StringRecord,
    pub line: u64,
}

impl Row<'_> {
    /// The raw text of column `col` (0-based).
    pub fn text(&self, col: usize) -> &str {
        self.record.get(col).unwrap_or("")
    }

    /// An error at column `col`.
    pub fn error(&self, col: usize, field: &'static str, message: String) -> TraceError {
        TraceError::Field {
            source_name: self.source_name.to_string(),
            line: self.line,
            column: col + 1,
            field,
            message,
        }
    }

    /// A non-empty string.
    pub fn string(&self, col: usize, field: &'static str) -> Result<String, TraceError> {
        let t = self.text(col);
        if t.is_empty() {
            return Err(self.error(col, field, "empty".into()));
        }
        Ok(t.to_string())
    }

    /// An integer >= 0.
    pub fn uint(&self, col: usize, field: &'static str) -> Result<u64, TraceError> {
        let t = self.text(col);
        t.parse::<u64>()
            .map_err(|e| self.error(col, field, format!("`{t}` is not an integer >= 0: {e}")))
    }

    /// A finite float.
    pub fn float(&self, col: usize, field: &'static str) -> Result<f64, TraceError> {
        let t = self.text(col);
        t.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.error(col, field, format!("`{t}` is not a number")))
    }

    /// A float > 0.
    pub fn positive(&self, col: usize, field: &'static str) -> Result<f64, TraceError> {
        let x = self.float(col, field)?;
        if x > 0.0 {
            Ok(x)
        } else {
            Err(self.error(col, field, format!("{x} is not > 0")))
        }
    }
}

/// Indices of the `wanted` columns in a header, or the first missing one.
pub(crate) fn columns<const N: usize>(
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

/// Path of a hand-written sample under `datasets/samples/` (tests).
#[cfg(test)]
pub(crate) fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../datasets/samples")
        .join(name)
}
