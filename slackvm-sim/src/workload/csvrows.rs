//! Fast, streaming CSV rows for the workload readers (the event list CSV
//! and the public-trace readers): one row at a time from any buffered
//! input, without a per-row allocation.
//!
//! - Input: plain or gzip, told apart by the first bytes (gzip is decoded
//!   on its own thread, [`crate::trace::ahead::ReadAhead`]); a UTF-8 byte
//!   order mark is skipped; lines end in `\n` or `\r\n`; blank lines are
//!   skipped; a missing final newline is fine.
//! - Fields: split on `,`, surrounding spaces trimmed; a field may be
//!   quoted (RFC 4180: `""` is a quote, a quoted field may hold commas and
//!   newlines).
//! - Errors ([`TraceError`]) name the source, the 1-based line of the row
//!   and, for a field, its 1-based column and name.
//! - Numbers: [`Fields::uint`] (digits only) and [`Fields::seconds`]
//!   (digits with an optional decimal part, rounded to the nearest second,
//!   halves up) are parsed by hand; floats go through `str::parse`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::readers::TraceError;
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

/// A CSV stream read row by row.
pub struct CsvRows<R: BufRead> {
    input: R,
    source_name: String,
    /// Lines read so far (the last line of the current row).
    lines_read: u64,
    /// 1-based line where the current row starts.
    line: u64,
    buf: Vec<u8>,
    /// Unescaped text of a row holding quotes.
    cells: Vec<u8>,
    /// Field ranges, into `buf` or (quoted row) `cells`.
    fields: Vec<(u32, u32)>,
    quoted: bool,
    first: bool,
}

impl<R: BufRead> CsvRows<R> {
    /// Rows of `input`; `source_name` names it in errors.
    pub fn new(input: R, source_name: &str) -> Self {
        CsvRows {
            input,
            source_name: source_name.to_string(),
            lines_read: 0,
            line: 0,
            buf: Vec::with_capacity(256),
            cells: Vec::new(),
            fields: Vec::with_capacity(16),
            quoted: false,
            first: true,
        }
    }

    /// The name used in errors.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    fn io(&self, source: std::io::Error) -> TraceError {
        TraceError::Io {
            source_name: self.source_name.clone(),
            source,
        }
    }

    /// Appends the next line (without its terminator) to `buf`; false at
    /// the end of the input.
    fn read_line(&mut self) -> Result<bool, TraceError> {
        let start = self.buf.len();
        let n = self
            .input
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| self.io(e))?;
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
        loop {
            self.buf.clear();
            if !self.read_line()? {
                return Ok(None);
            }
            self.line = self.lines_read;
            if !self.buf.iter().all(|b| b.is_ascii_whitespace()) {
                break;
            }
        }
        if self.buf.contains(&b'"') {
            self.split_quoted()?;
        } else {
            self.quoted = false;
            split_plain(&self.buf, &mut self.fields);
        }
        Ok(Some(Fields {
            source_name: &self.source_name,
            line: self.line,
            text: if self.quoted { &self.cells } else { &self.buf },
            fields: &self.fields,
            names: &[],
        }))
    }

    /// Splits a row holding quotes into `cells`, reading more lines while
    /// a quoted field is open.
    fn split_quoted(&mut self) -> Result<(), TraceError> {
        self.quoted = true;
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

fn split_plain(line: &[u8], fields: &mut Vec<(u32, u32)>) {
    fields.clear();
    let mut start = 0;
    for (i, &b) in line.iter().enumerate() {
        if b == b',' {
            fields.push(trim(line, start, i));
            start = i + 1;
        }
    }
    fields.push(trim(line, start, line.len()));
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

/// The fields of one row, with located errors.
pub struct Fields<'a> {
    source_name: &'a str,
    line: u64,
    text: &'a [u8],
    fields: &'a [(u32, u32)],
    /// Name of each column (for errors); may be shorter than the row.
    names: &'a [&'static str],
}

impl<'a> Fields<'a> {
    /// The same row, naming columns in errors.
    pub fn named(self, names: &'a [&'static str]) -> Self {
        Fields { names, ..self }
    }

    /// The source's name (for errors).
    pub fn source_name(&self) -> &'a str {
        self.source_name
    }

    /// 1-based line of the row.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True for a row without fields (never: a row has at least one).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Raw bytes of 0-based column `col` (empty when absent).
    pub fn bytes(&self, col: usize) -> &'a [u8] {
        self.fields
            .get(col)
            .map_or(&[][..], |&(a, b)| &self.text[a as usize..b as usize])
    }

    /// The error at 0-based column `col`.
    pub fn error(&self, col: usize, message: String) -> TraceError {
        TraceError::Field {
            source_name: self.source_name.to_string(),
            line: self.line,
            column: col + 1,
            field: self.names.get(col).copied().unwrap_or("?"),
            message,
        }
    }

    /// A whole-row error (wrong width...).
    pub fn row_error(&self, message: String) -> TraceError {
        TraceError::Csv {
            source_name: self.source_name.to_string(),
            line: self.line,
            message,
        }
    }

    /// Checks the row has exactly `n` fields.
    pub fn expect_width(&self, n: usize) -> Result<(), TraceError> {
        if self.len() == n {
            return Ok(());
        }
        let col = self.len().min(n).saturating_sub(1);
        Err(self.error(col, format!("expected {n} columns, found {}", self.len())))
    }

    /// Text of column `col` (UTF-8).
    pub fn str(&self, col: usize) -> Result<&'a str, TraceError> {
        std::str::from_utf8(self.bytes(col))
            .map_err(|_| self.error(col, "not valid UTF-8 text".into()))
    }

    /// A non-empty text.
    pub fn non_empty(&self, col: usize) -> Result<&'a str, TraceError> {
        let t = self.str(col)?;
        if t.is_empty() {
            return Err(self.error(col, "empty".into()));
        }
        Ok(t)
    }

    fn shown(&self, col: usize) -> String {
        String::from_utf8_lossy(self.bytes(col)).into_owned()
    }

    /// An integer >= 0 written with digits only.
    pub fn uint(&self, col: usize) -> Result<u64, TraceError> {
        parse_uint(self.bytes(col))
            .ok_or_else(|| self.error(col, format!("`{}` is not an integer >= 0", self.shown(col))))
    }

    /// Seconds >= 0, with or without a decimal part (`55`, `55.0`,
    /// `55.5`), rounded to the nearest second (halves up).
    pub fn seconds(&self, col: usize) -> Result<u64, TraceError> {
        parse_seconds(self.bytes(col)).ok_or_else(|| {
            self.error(
                col,
                format!("`{}` is not a time in seconds >= 0", self.shown(col)),
            )
        })
    }

    /// A finite float.
    pub fn float(&self, col: usize) -> Result<f64, TraceError> {
        std::str::from_utf8(self.bytes(col))
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.error(col, format!("`{}` is not a number", self.shown(col))))
    }

    /// A float > 0.
    pub fn positive(&self, col: usize) -> Result<f64, TraceError> {
        let x = self.float(col)?;
        if x > 0.0 {
            Ok(x)
        } else {
            Err(self.error(col, format!("{x} is not > 0")))
        }
    }

    /// A vCPU count in `1..=u32::MAX`.
    pub fn vcpus(&self, col: usize) -> Result<u32, TraceError> {
        let v = self.uint(col)?;
        u32::try_from(v)
            .ok()
            .filter(|&v| v > 0)
            .ok_or_else(|| self.error(col, format!("{v} is not in 1..=4294967295")))
    }
}

/// Digits only, no overflow.
pub fn parse_uint(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// `digits[.digits]`, rounded to the nearest integer (halves up).
pub fn parse_seconds(b: &[u8]) -> Option<u64> {
    match b.iter().position(|&c| c == b'.') {
        None => parse_uint(b),
        Some(dot) => {
            let whole = if dot == 0 {
                Some(0)
            } else {
                parse_uint(&b[..dot])
            }?;
            let frac = &b[dot + 1..];
            if (dot == 0 && frac.is_empty()) || !frac.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let up = frac.first().is_some_and(|&d| d >= b'5');
            whole.checked_add(u64::from(up))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[u8]) -> Vec<Vec<String>> {
        let mut r = CsvRows::new(text, "t");
        let mut out = Vec::new();
        while let Some(f) = r.next_row().unwrap() {
            out.push(
                (0..f.len())
                    .map(|i| f.str(i).unwrap().to_string())
                    .collect(),
            );
        }
        out
    }

    #[test]
    fn crlf_bom_blank_lines_quotes_and_no_final_newline() {
        let text = b"\xef\xbb\xbfa,b\r\n\r\n 1 , \"x,\"\"y\"\"\" \r\n\"multi\nline\",2";
        assert_eq!(
            rows(text),
            vec![
                vec!["a", "b"],
                vec!["1", "x,\"y\""],
                vec!["multi\nline", "2"]
            ]
        );
        let mut r = CsvRows::new(&b"a\n\nb\n"[..], "t");
        r.next_row().unwrap();
        assert_eq!(r.next_row().unwrap().unwrap().line(), 3);
        let mut r = CsvRows::new(&b"\"open,1\n2\n"[..], "f.csv");
        let e = r.next_row().err().unwrap().to_string();
        assert_eq!(
            e,
            "f.csv: line 1: a quoted field is not closed before the end of the file"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_seconds(b"55.0"), Some(55));
        assert_eq!(parse_seconds(b"0.0"), Some(0));
        assert_eq!(parse_seconds(b"2.5"), Some(3));
        assert_eq!(parse_seconds(b"2.49"), Some(2));
        assert_eq!(parse_seconds(b"7"), Some(7));
        assert_eq!(parse_seconds(b".5"), Some(1));
        for bad in [&b""[..], b".", b"-1", b"1e3", b"1.2.3", b"x"] {
            assert!(parse_seconds(bad).is_none(), "{bad:?}");
        }
        assert_eq!(parse_uint(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_uint(b"18446744073709551616"), None);
    }

    #[test]
    fn gzip_is_detected() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"a,b\n1,2\n").unwrap();
        let data = gz.finish().unwrap();
        let input = detect(std::io::Cursor::new(data), "g").unwrap();
        let mut r = CsvRows::new(input, "g");
        assert_eq!(r.next_row().unwrap().unwrap().str(1).unwrap(), "b");
        assert_eq!(r.next_row().unwrap().unwrap().uint(0).unwrap(), 1);
        assert!(r.next_row().unwrap().is_none());
    }
}
