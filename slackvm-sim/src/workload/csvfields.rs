//! The fields of one CSV row ([`Fields`], borrowed from the row reader of
//! [`crate::workload::csvrows`]): typed access with errors that name the
//! source, the 1-based line, and the column's 1-based number and name.
//! Integers ([`parse_uint`]) and seconds with an optional decimal part
//! ([`parse_seconds`], rounded to the nearest second, halves up) are parsed
//! by hand; floats go through `str::parse`.

use super::trace_error::TraceError;

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
    /// A row of `source_name` starting at 1-based `line`: field `i` is
    /// `text[fields[i].0..fields[i].1]`.
    pub(crate) fn new(
        source_name: &'a str,
        line: u64,
        text: &'a [u8],
        fields: &'a [(u32, u32)],
    ) -> Self {
        Fields {
            source_name,
            line,
            text,
            fields,
            names: &[],
        }
    }

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
}
