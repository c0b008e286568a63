//! Streaming trace reader: one row at a time, plain or gzip (detected by
//! magic bytes; decompressed ahead on another thread), 1 MiB buffers,
//! errors naming the file, line and column. Splitting a line is
//! `fields.rs`, its numbers `numbers.rs`.
//!
//! Each line is read as bytes into one reused buffer and split in place;
//! only the text columns are checked for UTF-8, and they are copied into
//! the caller's [`Record`], whose strings are reused from row to row.

use super::ahead::ReadAhead;
use super::fields::{column_at, is_blank, split_fields, trim, trim_newline, COLUMNS};
use super::numbers::{parse_f64, parse_u64};
use super::{RecKind, Record, Res, TraceError};
use flate2::bufread::MultiGzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// First bytes of a gzip stream.
pub(super) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Input buffer size.
const BUF_SIZE: usize = 1 << 20;

/// Reads records from a monitoring trace.
///
/// Lines are read as bytes into one reused buffer and split in place: no
/// allocation per row once the text columns of the [`Record`] passed to
/// [`TraceReader::next_into`] have grown to their longest value.
pub struct TraceReader {
    path: PathBuf,
    input: Box<dyn BufRead + Send>,
    line_no: u64,
    buf: Vec<u8>,
    /// Strings of text columns set to `None`, kept for reuse.
    spare: [String; 5],
    /// Bit i set: column i is not read (see [`TraceReader::skip_columns`]).
    skipped: u16,
}

impl std::fmt::Debug for TraceReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceReader")
            .field("path", &self.path)
            .field("line", &self.line_no)
            .finish()
    }
}

impl TraceReader {
    /// Opens a file (gzip or plain) and checks its header.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let file = File::open(path).map_err(|source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::detect(path, file)
    }

    /// Reads plain or gzip text (told apart by its first bytes) from any
    /// input; `name` names it in errors.
    pub fn detect(name: &Path, input: impl Read + Send + 'static) -> Result<Self, TraceError> {
        let mut input = BufReader::with_capacity(BUF_SIZE, input);
        let head = input.fill_buf().map_err(|source| TraceError::Io {
            path: name.to_path_buf(),
            source,
        })?;
        let input: Box<dyn BufRead + Send> = if head.starts_with(&GZIP_MAGIC) {
            Box::new(ReadAhead::spawn(MultiGzDecoder::new(input)))
        } else {
            Box::new(input)
        };
        Self::from_reader(name, input)
    }

    /// Reads from any buffered input; `path` names it in errors.
    pub fn from_reader(path: &Path, input: Box<dyn BufRead + Send>) -> Result<Self, TraceError> {
        let mut reader = TraceReader {
            path: path.to_path_buf(),
            input,
            line_no: 0,
            buf: Vec::with_capacity(4096),
            spare: Default::default(),
            skipped: 0,
        };
        if !reader.read_line()? {
            return Err(reader.error("tmp", "empty file: the header line is missing".into()));
        }
        reader.check_header()?;
        Ok(reader)
    }

    fn check_header(&self) -> Result<(), TraceError> {
        let wanted = COLUMNS.len() - 1; // sb_dsc may be absent
        let line = trim_newline(&self.buf);
        let header: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
        let same = header.len() >= wanted
            && header[..wanted]
                .iter()
                .zip(&COLUMNS[..wanted])
                .all(|(h, c)| *h == c.as_bytes());
        if same {
            Ok(())
        } else {
            Err(self.error(
                "tmp",
                format!("bad header, expected `{}`", COLUMNS.join(" ")),
            ))
        }
    }

    /// Reads from bytes in memory (plain or gzip); `name` names them in errors.
    pub fn from_bytes(name: &str, data: &'static [u8]) -> Result<Self, TraceError> {
        let path = Path::new(name);
        let input: Box<dyn BufRead + Send> = if data.starts_with(&GZIP_MAGIC) {
            Box::new(ReadAhead::spawn(MultiGzDecoder::new(data)))
        } else {
            Box::new(data)
        };
        Self::from_reader(path, input)
    }

    /// Opens `-` as standard input, anything else as a file (plain or gzip).
    pub fn open_any(path: &Path) -> Result<Self, TraceError> {
        if path == Path::new("-") {
            Self::detect(path, std::io::stdin())
        } else {
            Self::open(path)
        }
    }

    fn read_line(&mut self) -> Result<bool, TraceError> {
        self.buf.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| TraceError::Io {
                path: self.path.clone(),
                source,
            })?;
        self.line_no += 1;
        Ok(n > 0)
    }

    fn error(&self, column: &'static str, message: String) -> TraceError {
        TraceError::Parse {
            path: self.path.clone(),
            line: self.line_no,
            column,
            message,
        }
    }

    /// Line number of the last row read (1 = header).
    pub fn line(&self) -> u64 {
        self.line_no
    }

    /// Reads the next row into `rec`; false at end of file. Blank lines are skipped.
    pub fn next_into(&mut self, rec: &mut Record) -> Result<bool, TraceError> {
        loop {
            if !self.read_line()? {
                return Ok(false);
            }
            if !is_blank(&self.buf) {
                break;
            }
        }
        let line = std::mem::take(&mut self.buf);
        let result = self.parse(trim_newline(&line), rec);
        self.buf = line;
        result.map(|()| true)
    }

    fn parse(&mut self, line: &[u8], rec: &mut Record) -> Result<(), TraceError> {
        let line = std::str::from_utf8(line).map_err(|e| {
            let column = column_at(line, e.valid_up_to());
            self.error(column, "not valid UTF-8".into())
        })?;
        let (fields, n) = split_fields(line);
        if n < COLUMNS.len() - 1 {
            return Err(self.error(COLUMNS[n], "missing column".into()));
        }
        let tmp = fields[0];
        rec.tmp = parse_u64(tmp).ok_or_else(|| {
            self.error("tmp", format!("`{tmp}` is not a whole number of seconds"))
        })?;
        rec.rec = Some(match fields[1] {
            "global" => RecKind::Global,
            "subset" => RecKind::Subset,
            "vm" => RecKind::Vm,
            other => return Err(self.error("rec", format!("unknown record kind `{other}`"))),
        });
        rec.res = Some(match fields[2] {
            "cpu" => Res::Cpu,
            "mem" => Res::Mem,
            other => return Err(self.error("res", format!("unknown resource `{other}`"))),
        });
        let kept = |i: usize| self.skipped & (1 << i) == 0;
        if kept(3) {
            rec.val = self.number(fields[3], "val")?;
        }
        if kept(4) {
            rec.config = self.number(fields[4], "config")?;
        }
        if kept(9) {
            rec.sb_unused = self.number(fields[9], "sb_unused")?;
        }
        // sb_dsc is free form and may be absent in hand-written traces.
        let dsc = if n == COLUMNS.len() {
            fields[10]
        } else {
            "None"
        };
        let texts = [
            (5, &mut rec.subset, fields[5]),
            (6, &mut rec.vm_uuid, fields[6]),
            (7, &mut rec.vm_cmn, fields[7]),
            (8, &mut rec.sb_oc, fields[8]),
            (10, &mut rec.sb_dsc, dsc),
        ];
        for ((i, slot, text), spare) in texts.into_iter().zip(&mut self.spare) {
            if self.skipped & (1 << i) == 0 {
                set_text(slot, spare, text);
            }
        }
        Ok(())
    }

    /// Stops filling these columns (names of the header): [`Self::next_into`]
    /// leaves them as they are in the record and does not check them (but
    /// for UTF-8), for a caller that needs only some columns. `tmp`, `rec`
    /// and `res` are always read.
    pub fn skip_columns(&mut self, columns: &[&str]) {
        for name in columns {
            let i = COLUMNS.iter().position(|c| c == name);
            debug_assert!(
                i.is_some_and(|i| i > 2),
                "`{name}` is not a column that can be skipped"
            );
            if let Some(i) = i.filter(|&i| i > 2) {
                self.skipped |= 1 << i;
            }
        }
    }

    fn number(&self, text: &str, column: &'static str) -> Result<Option<f64>, TraceError> {
        let t = trim(text);
        if t == "None" || t.is_empty() {
            return Ok(None);
        }
        parse_f64(t)
            .map(Some)
            .ok_or_else(|| self.error(column, format!("`{t}` is not a number")))
    }
}

/// Sets a text column, `None` for `None` or empty. Strings dropped by a
/// `None` are parked in `spare` and reused by the next value, so that rows
/// alternating between `None` and text do not allocate.
fn set_text(slot: &mut Option<String>, spare: &mut String, text: &str) {
    if text == "None" || text.is_empty() {
        if let Some(s) = slot.take() {
            if s.capacity() > spare.capacity() {
                *spare = s;
            }
        }
        return;
    }
    let s = slot.get_or_insert_with(|| std::mem::take(spare));
    s.clear();
    s.push_str(text);
}

impl Iterator for TraceReader {
    type Item = Result<Record, TraceError>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut rec = Record::default();
        match self.next_into(&mut rec) {
            Ok(true) => Some(Ok(rec)),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\tsb_dsc\n";

    fn reader(body: &'static str) -> Result<TraceReader, TraceError> {
        TraceReader::from_reader(Path::new("t.tsv"), Box::new(body.as_bytes()))
    }

    fn rows(body: &'static str) -> Result<Vec<Record>, TraceError> {
        reader(body)?.collect()
    }

    fn parse_error(body: &'static str) -> (u64, &'static str, String) {
        match rows(body) {
            Err(TraceError::Parse {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn reads_every_column_and_none() {
        let body = Box::leak(
            format!(
                "{HEADER}0\tvm\tcpu\t0.25\t2\tsubset-2.0\tua\ta\t2.0\tNone\t{{\"x\":[1,\t2]}}\r\n\n  \n15\tglobal\tmem\tNone\t31776\tNone\tNone\tNone\tNone\t3\n"
            )
            .into_boxed_str(),
        );
        let got = rows(body).expect("parses");
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            Record {
                tmp: 0,
                rec: Some(RecKind::Vm),
                res: Some(Res::Cpu),
                val: Some(0.25),
                config: Some(2.0),
                subset: Some("subset-2.0".into()),
                vm_uuid: Some("ua".into()),
                vm_cmn: Some("a".into()),
                sb_oc: Some("2.0".into()),
                sb_unused: None,
                sb_dsc: Some("{\"x\":[1,\t2]}".into()),
            }
        );
        assert_eq!(got[1].tmp, 15);
        assert_eq!(got[1].rec, Some(RecKind::Global));
        assert_eq!(got[1].val, None);
        assert_eq!(got[1].sb_unused, Some(3.0));
        assert_eq!(got[1].sb_dsc, None);
        assert_eq!(got[1].subset, None);
    }

    #[test]
    fn errors_name_line_and_column() {
        let (line, column, _) = parse_error(
            "tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\n\
             0\tglobal\tcpu\t1.0\t8\tNone\tNone\tNone\tNone\tNone\n\
             5\tglobal\tcpu\tabc\t8\tNone\tNone\tNone\tNone\tNone\n",
        );
        assert_eq!((line, column), (3, "val"));
        let (line, column, message) = parse_error(
            "tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\n\
             x\tglobal\tcpu\t1.0\t8\tNone\tNone\tNone\tNone\tNone\n",
        );
        assert_eq!((line, column), (2, "tmp"));
        assert!(message.contains("`x`"), "{message}");
        let (line, column, _) = parse_error(
            "tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\n\
             0\tglobal\tcpu\t1.0\n",
        );
        assert_eq!((line, column), (2, "config"));
        let (_, column, message) = parse_error(
            "tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\n\
             0\thost\tcpu\t1.0\t8\tNone\tNone\tNone\tNone\tNone\n",
        );
        assert_eq!(column, "rec");
        assert!(message.contains("`host`"), "{message}");
    }

    #[test]
    fn skipped_columns_are_left_alone() {
        let mut r = reader(
            "tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\tsb_dsc\n\
             5\tvm\tcpu\tbad\t2\tsubset-1.0\tua\ta\t1.0\tbad\tdsc\n",
        )
        .expect("header");
        r.skip_columns(&["val", "sb_unused", "subset", "sb_dsc"]);
        let mut rec = Record::default();
        assert!(r
            .next_into(&mut rec)
            .expect("skipped columns are not checked"));
        assert_eq!((rec.tmp, rec.config, rec.val), (5, Some(2.0), None));
        assert_eq!(rec.vm_uuid.as_deref(), Some("ua"));
        assert_eq!(rec.vm_cmn.as_deref(), Some("a"));
        assert_eq!(rec.sb_oc.as_deref(), Some("1.0"));
        assert_eq!((rec.subset.as_deref(), rec.sb_dsc.as_deref()), (None, None));
    }

    #[test]
    fn invalid_utf8_names_the_column() {
        let mut body = HEADER.as_bytes().to_vec();
        body.extend_from_slice(b"0\tvm\tcpu\t1.0\t2\tsubset-1.0\tu\xff\ta\t1.0\tNone\tNone\n");
        let body: &'static [u8] = body.leak();
        let err = TraceReader::from_reader(Path::new("t.tsv"), Box::new(body))
            .expect("header")
            .next()
            .expect("a row");
        match err {
            Err(TraceError::Parse { line, column, .. }) => {
                assert_eq!((line, column), (2, "vm_uuid"))
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn header_is_checked() {
        assert!(matches!(reader(""), Err(TraceError::Parse { line: 1, .. })));
        assert!(matches!(
            reader("tmp\trec\n0\tglobal\n"),
            Err(TraceError::Parse { line: 1, .. })
        ));
    }
}
