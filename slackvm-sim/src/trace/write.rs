//! Streaming trace writer: 1 MiB buffer, gzip when the path ends in `.gz`,
//! numbers written as Python's `str()` writes them (integers without a
//! decimal point when the value is whole and came as a count).

use super::{Record, TraceError, HEADER};
use crate::pyfmt;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes records to a trace file.
pub struct TraceWriter {
    path: PathBuf,
    out: Box<dyn Write + Send>,
    rows: u64,
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
        let file = File::create(path).map_err(|source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let out: Box<dyn Write + Send> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(BufWriter::with_capacity(
                1 << 20,
                GzEncoder::new(file, Compression::new(9)),
            ))
        } else {
            Box::new(BufWriter::with_capacity(1 << 20, file))
        };
        Self::from_writer(path, out)
    }

    /// Writes to any sink; `path` names it in errors.
    pub fn from_writer(path: &Path, out: Box<dyn Write + Send>) -> Result<Self, TraceError> {
        let mut w = TraceWriter {
            path: path.to_path_buf(),
            out,
            rows: 0,
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
        let mut line = String::with_capacity(128);
        line.push_str(&r.tmp.to_string());
        line.push('\t');
        line.push_str(r.rec.map_or("None", |k| k.as_str()));
        line.push('\t');
        line.push_str(r.res.map_or("None", |k| k.as_str()));
        line.push('\t');
        line.push_str(&r.val.map_or_else(|| "None".to_string(), pyfmt::float));
        line.push('\t');
        push_count(&mut line, r.config);
        for text in [&r.subset, &r.vm_uuid, &r.vm_cmn, &r.sb_oc] {
            line.push('\t');
            line.push_str(text.as_deref().unwrap_or("None"));
        }
        line.push('\t');
        push_count(&mut line, r.sb_unused);
        line.push('\t');
        line.push_str(r.sb_dsc.as_deref().unwrap_or("None"));
        line.push('\n');
        self.raw(&line)?;
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

fn push_count(line: &mut String, v: Option<f64>) {
    match v {
        None => line.push_str("None"),
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => line.push_str(&(x as i64).to_string()),
        Some(x) => line.push_str(&pyfmt::float(x)),
    }
}
