//! Streaming trace writer: 1 MiB buffer, gzip when the path ends in `.gz`,
//! numbers written as Python's `str()` writes them (integers without a
//! decimal point when the value is whole and came as a count). Each row is
//! formatted into one reused byte buffer: no allocation per row.

use super::{Record, Row, TraceError, HEADER};
use crate::pyfmt;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Output buffer size.
const BUF_SIZE: usize = 1 << 20;
/// Gzip level of `.gz` outputs.
const GZIP_LEVEL: u32 = 9;

/// Writes records to a trace file.
pub struct TraceWriter {
    path: PathBuf,
    out: Box<dyn Write + Send>,
    rows: u64,
    /// The line being formatted, reused from row to row.
    line: Vec<u8>,
}

impl std::fmt::Debug for TraceWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceWriter")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish()
    }
}

impl TraceWriter {
    /// Creates the file and writes the header.
    pub fn create(path: &Path) -> Result<Self, TraceError> {
        Self::create_as(path, path)
    }

    /// Creates `file_path` (gzip if `name` ends in `.gz`) and writes the
    /// header; errors name `name` (the final path of a staged output,
    /// see [`crate::output`]).
    pub fn create_as(file_path: &Path, name: &Path) -> Result<Self, TraceError> {
        let path = name;
        let file = File::create(file_path).map_err(|source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let out: Box<dyn Write + Send> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(BufWriter::with_capacity(
                BUF_SIZE,
                GzEncoder::new(file, Compression::new(GZIP_LEVEL)),
            ))
        } else {
            Box::new(BufWriter::with_capacity(BUF_SIZE, file))
        };
        Self::from_writer(path, out)
    }

    /// Gzip-compresses into any sink, at the level [`TraceWriter::create`]
    /// uses for `.gz` paths; `path` names it in errors.
    pub fn gzip_to(path: &Path, out: Box<dyn Write + Send>) -> Result<Self, TraceError> {
        let gz = GzEncoder::new(out, Compression::new(GZIP_LEVEL));
        Self::from_writer(path, Box::new(BufWriter::with_capacity(BUF_SIZE, gz)))
    }

    /// Writes to any sink; `path` names it in errors.
    pub fn from_writer(path: &Path, out: Box<dyn Write + Send>) -> Result<Self, TraceError> {
        let mut w = TraceWriter {
            path: path.to_path_buf(),
            out,
            rows: 0,
            line: Vec::with_capacity(512),
        };
        w.raw(HEADER)?;
        w.raw("\n")?;
        Ok(w)
    }

    fn raw(&mut self, s: &str) -> Result<(), TraceError> {
        self.out
            .write_all(s.as_bytes())
            .map_err(|source| TraceError::Io {
                path: self.path.clone(),
                source,
            })
    }

    /// Rows written so far (header excluded).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes one row. `val` is a float (`1.0`); `config` and `sb_unused`
    /// are written as integers when whole (`4`), as floats otherwise.
    pub fn write(&mut self, r: &Record) -> Result<(), TraceError> {
        self.write_row(&r.row())
    }

    /// Writes one row given by reference (see [`TraceWriter::write`]). The
    /// line is formatted into a reused buffer and handed to the sink whole,
    /// so a line-buffered sink sees one write per row.
    pub fn write_row(&mut self, r: &Row<'_>) -> Result<(), TraceError> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        format_row(&mut line, r);
        let result = self.out.write_all(&line);
        self.line = line;
        result.map_err(|source| TraceError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.rows += 1;
        Ok(())
    }

    /// Flushes and closes (finishes the gzip stream).
    pub fn finish(mut self) -> Result<u64, TraceError> {
        self.out.flush().map_err(|source| TraceError::Io {
            path: self.path.clone(),
            source,
        })?;
        drop(self.out);
        Ok(self.rows)
    }
}

/// Appends the row's line, newline included.
fn format_row(line: &mut Vec<u8>, r: &Row<'_>) {
    pyfmt::write_u64(line, r.tmp);
    line.push(b'\t');
    push_text(line, r.rec.map(|k| k.as_str()));
    line.push(b'\t');
    push_text(line, r.res.map(|k| k.as_str()));
    line.push(b'\t');
    match r.val {
        Some(x) => pyfmt::write_float(line, x),
        None => line.extend_from_slice(b"None"),
    }
    line.push(b'\t');
    push_count(line, r.config);
    for text in [r.subset, r.vm_uuid, r.vm_cmn, r.sb_oc] {
        line.push(b'\t');
        push_text(line, text);
    }
    line.push(b'\t');
    push_count(line, r.sb_unused);
    line.push(b'\t');
    push_text(line, r.sb_dsc);
    line.push(b'\n');
}

fn push_text(line: &mut Vec<u8>, text: Option<&str>) {
    line.extend_from_slice(text.unwrap_or("None").as_bytes());
}

/// A count: an integer when whole, a Python float otherwise.
fn push_count(line: &mut Vec<u8>, v: Option<f64>) {
    match v {
        None => line.extend_from_slice(b"None"),
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => pyfmt::write_i64(line, x as i64),
        Some(x) => pyfmt::write_float(line, x),
    }
}
