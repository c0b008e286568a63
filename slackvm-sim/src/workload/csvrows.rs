//! Fast, streaming CSV rows for the workload readers (the event list CSV
//! and the public-trace readers): one row at a time from any buffered
//! input, without a per-row allocation or copy.
//!
//! - Input: plain or gzip, told apart by the first bytes (gzip is decoded
//!   on its own thread, [`crate::trace::ahead::ReadAhead`]); a UTF-8 byte
//!   order mark is skipped; lines end in `\n` or `\r\n`; blank lines are
//!   skipped; a missing final newline is fine.
//! - Fields: split on `,`, surrounding spaces trimmed; a field may be
//!   quoted (RFC 4180: `""` is a quote, a quoted field may hold commas and
//!   newlines).
//! - A row without quotes that lies whole in the input's buffer is split
//!   where it lies (the buffer is consumed at the next row); other rows
//!   (the first, one across a buffer's end, one with quotes) are copied.
//! - Errors ([`TraceError`]) name the source and the 1-based line of the
//!   row; the fields ([`Fields`], [`crate::workload::csvfields`]) add the
//!   column.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

pub use super::csvfields::Fields;
use super::trace_error::TraceError;
use crate::trace::ahead::ReadAhead;

pub use super::idmap::{FxHasher, IdMap};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BOM: &[u8] = b"\xef\xbb\xbf";
const BUF_SIZE: usize = 1 << 20;

/// Opens `path` (`-`: standard input), plain or gzip by its first bytes.
pub fn open_input(path: &Path) -> Result<Box<dyn BufRead + Send>, TraceError> {
    let name = path.display().to_string();
    if path.as_os_str() == "-" {
        return detect(std::io::stdin(), &name);
    }
    let file = File::open(path).map_err(|source| TraceError::Io {
        source_name: name.clone(),
        source,
    })?;
    detect(file, &name)
}

/// Wraps `input`, decoding gzip (by its magic bytes) on a thread.
pub fn detect(
    input: impl Read + Send + 'static,
    source_name: &str,
) -> Result<Box<dyn BufRead + Send>, TraceError> {
    let mut input = BufReader::with_capacity(BUF_SIZE, input);
    let head = input.fill_buf().map_err(|source| TraceError::Io {
        source_name: source_name.to_string(),
        source,
    })?;
    if head.starts_with(&GZIP_MAGIC) {
        let gz = flate2::read::MultiGzDecoder::new(input);
        Ok(Box::new(BufReader::with_capacity(
            BUF_SIZE,
            ReadAhead::spawn(gz),
        )))
    } else {
        Ok(Box::new(input))
    }
}

/// Where the current row's text lies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    /// In the input's buffer: its first `pending` bytes.
    Input,
    /// Copied to `buf`.
    Buf,
    /// Unescaped into `cells` (a row with quotes).
    Cells,
}

/// What a line holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Only white space.
    Blank,
    /// Fields without quotes (split).
    Plain,
    /// At least one quote (not split).
    Quoted,
}

/// A CSV stream read row by row.
pub struct CsvRows<R: BufRead> {
    input: R,
    source_name: String,
    /// Lines read so far (the last line of the current row).
    lines_read: u64,
    /// 1-based line where the current row starts.
    line: u64,
    /// Bytes of the input's buffer the current row lies in (consumed
    /// before the next row is read).
    pending: usize,
    at: Text,
    buf: Vec<u8>,
    /// Unescaped text of a row holding quotes.
    cells: Vec<u8>,
    /// Field ranges, into the row's text.
    fields: Vec<(u32, u32)>,
    first: bool,
}

fn io_error(source_name: &str, source: std::io::Error) -> TraceError {
    TraceError::Io {
        source_name: source_name.to_string(),
        source,
    }
}

impl<R: BufRead> CsvRows<R> {
    /// Rows of `input`; `source_name` names it in errors.
    pub fn new(input: R, source_name: &str) -> Self {
        CsvRows {
            input,
            source_name: source_name.to_string(),
            lines_read: 0,
            line: 0,
            pending: 0,
            at: Text::Buf,
            buf: Vec::with_capacity(256),
            cells: Vec::new(),
            fields: Vec::with_capacity(16),
            first: true,
        }
    }

    /// The name used in errors.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// Appends the next line (without its terminator) to `buf`; false at
    /// the end of the input.
    fn read_line(&mut self) -> Result<bool, TraceError> {
        let start = self.buf.len();
        let n = self
            .input
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| io_error(&self.source_name, e))?;
        if n == 0 {
            return Ok(false);
        }
        self.lines_read += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        if self.first {
            self.first = false;
            if self.buf[start..].starts_with(BOM) {
                self.buf.drain(start..start + BOM.len());
            }
        }
        Ok(true)
    }

    /// Reads the next non-blank row; `None` at the end of the input.
    pub fn next_row(&mut self) -> Result<Option<Fields<'_>>, TraceError> {
        if self.pending > 0 {
            self.input.consume(std::mem::take(&mut self.pending));
        }
        loop {
            if !self.first && self.row_in_place()? {
                break;
            }
            self.buf.clear();
            if !self.read_line()? {
                return Ok(None);
            }
            self.line = self.lines_read;
            match scan(&self.buf, &mut self.fields) {
                Scan::Blank => continue,
                Scan::Plain => self.at = Text::Buf,
                Scan::Quoted => self.split_quoted()?,
            }
            break;
        }
        let text: &[u8] = match self.at {
            Text::Input => {
                let avail = self
                    .input
                    .fill_buf()
                    .map_err(|e| io_error(&self.source_name, e))?;
                &avail[..self.pending]
            }
            Text::Buf => &self.buf,
            Text::Cells => &self.cells,
        };
        Ok(Some(Fields::new(
            &self.source_name,
            self.line,
            text,
            &self.fields,
        )))
    }

    /// Bytes the input holds in its buffer past the current row (all of
    /// it for an input read from memory): a lower bound of its size.
    pub fn buffered_bytes(&mut self) -> Result<usize, TraceError> {
        if self.pending > 0 {
            self.input.consume(std::mem::take(&mut self.pending));
        }
        match self.input.fill_buf() {
            Ok(a) => Ok(a.len()),
            Err(e) => Err(io_error(&self.source_name, e)),
        }
    }

    /// Offers the lines that lie whole in the input's buffer, one at a
    /// time and without their terminator (`\n` or `\r\n`), to `take`,
    /// until it declines one (returns false) or the buffer holds no whole
    /// line: a reader's fast path for plain rows. A declined line stays
    /// unread, and [`CsvRows::next_row`] then reads it as a CSV row
    /// (blank, quoted and malformed lines, and the line across the
    /// buffer's end, all go that way). Returns the lines taken. Before the
    /// first row (header, byte order mark) nothing is offered.
    pub fn take_lines(&mut self, mut take: impl FnMut(&[u8]) -> bool) -> Result<u64, TraceError> {
        if self.pending > 0 {
            self.input.consume(std::mem::take(&mut self.pending));
        }
        if self.first {
            return Ok(0);
        }
        let avail = match self.input.fill_buf() {
            Ok(a) => a,
            Err(e) => return Err(io_error(&self.source_name, e)),
        };
        let mut at = 0;
        let mut taken = 0u64;
        while let Some(nl) = memchr::memchr(b'\n', &avail[at..]) {
            let line = &avail[at..at + nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !take(line) {
                break;
            }
            taken += 1;
            at += nl + 1;
        }
        self.input.consume(at);
        self.lines_read += taken;
        Ok(taken)
    }

    /// Takes the next rows from the input's buffer while they lie whole in
    /// it: true when a row is ready (in place, or copied if quoted), false
    /// when the next line must be read by copy (`pending` stays 0; blank
    /// lines on the way are consumed).
    fn row_in_place(&mut self) -> Result<bool, TraceError> {
        loop {
            let avail = match self.input.fill_buf() {
                Ok(a) => a,
                Err(e) => return Err(io_error(&self.source_name, e)),
            };
            let Some(nl) = memchr::memchr(b'\n', avail) else {
                return Ok(false);
            };
            let end = if nl > 0 && avail[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            self.lines_read += 1;
            self.line = self.lines_read;
            match scan(&avail[..end], &mut self.fields) {
                Scan::Blank => self.input.consume(nl + 1),
                Scan::Plain => {
                    self.pending = nl + 1;
                    self.at = Text::Input;
                    return Ok(true);
                }
                Scan::Quoted => {
                    self.buf.clear();
                    self.buf.extend_from_slice(&avail[..end]);
                    self.input.consume(nl + 1);
                    self.split_quoted()?;
                    return Ok(true);
                }
            }
        }
    }

    /// Splits the row in `buf`, which holds quotes, into `cells`, reading
    /// more lines while a quoted field is open.
    fn split_quoted(&mut self) -> Result<(), TraceError> {
        self.at = Text::Cells;
        while !quotes_balanced(&self.buf) {
            self.buf.push(b'\n');
            if !self.read_line()? {
                return Err(TraceError::Csv {
                    source_name: self.source_name.clone(),
                    line: self.line,
                    message: "a quoted field is not closed before the end of the file".into(),
                });
            }
        }
        unquote(&self.buf, &mut self.cells, &mut self.fields).map_err(|col| TraceError::Csv {
            source_name: self.source_name.clone(),
            line: self.line,
            message: format!("column {col}: text after a closing quote"),
        })
    }
}

fn quotes_balanced(line: &[u8]) -> bool {
    line.iter().filter(|&&b| b == b'"').count() % 2 == 0
}

fn trim(text: &[u8], mut a: usize, mut b: usize) -> (u32, u32) {
    while a < b && text[a] == b' ' {
        a += 1;
    }
    while b > a && text[b - 1] == b' ' {
        b -= 1;
    }
    (a as u32, b as u32)
}

/// Splits `line` on commas into `fields` unless it is blank or holds a
/// quote (one pass over the line).
fn scan(line: &[u8], fields: &mut Vec<(u32, u32)>) -> Scan {
    fields.clear();
    let mut start = 0;
    for (i, &b) in line.iter().enumerate() {
        if b == b',' {
            fields.push(trim(line, start, i));
            start = i + 1;
        } else if b == b'"' {
            return Scan::Quoted;
        }
    }
    if fields.is_empty() && line.iter().all(u8::is_ascii_whitespace) {
        return Scan::Blank;
    }
    fields.push(trim(line, start, line.len()));
    Scan::Plain
}

/// RFC 4180 fields of `line` into `cells`; `Err(column)` on text after a
/// closing quote.
fn unquote(line: &[u8], cells: &mut Vec<u8>, fields: &mut Vec<(u32, u32)>) -> Result<(), usize> {
    cells.clear();
    fields.clear();
    let mut i = 0;
    loop {
        while i < line.len() && line[i] == b' ' {
            i += 1;
        }
        let start = cells.len();
        if line.get(i) == Some(&b'"') {
            i += 1;
            while i < line.len() {
                if line[i] == b'"' {
                    if line.get(i + 1) == Some(&b'"') {
                        cells.push(b'"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                cells.push(line[i]);
                i += 1;
            }
            while i < line.len() && line[i] == b' ' {
                i += 1;
            }
            if i < line.len() && line[i] != b',' {
                return Err(fields.len() + 1);
            }
            fields.push((start as u32, cells.len() as u32));
        } else {
            let end = line[i..]
                .iter()
                .position(|&b| b == b',')
                .map_or(line.len(), |p| i + p);
            cells.extend_from_slice(&line[i..end]);
            fields.push(trim(cells, start, cells.len()));
            i = end;
        }
        if i >= line.len() {
            return Ok(());
        }
        i += 1; // the comma
    }
}

#[cfg(test)]
#[path = "csvrows_tests.rs"]
mod tests;
