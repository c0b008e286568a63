//! Streaming trace reader: one row at a time, plain or gzip (detected by
//! magic bytes), 1 MiB buffers, errors naming the file, line and column.

use super::{RecKind, Record, Res, TraceError};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

const COLUMNS: [&str; 11] = [
    "tmp",
    "rec",
    "res",
    "val",
    "config",
    "subset",
    "vm_uuid",
    "vm_cmn",
    "sb_oc",
    "sb_unused",
    "sb_dsc",
];

/// Reads records from a monitoring trace.
pub struct TraceReader {
    path: PathBuf,
    input: Box<dyn BufRead + Send>,
    line_no: u64,
    buf: String,
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
        let io = |source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
        let gz = file.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn BufRead + Send> = if gz {
            Box::new(BufReader::with_capacity(1 << 20, MultiGzDecoder::new(file)))
        } else {
            Box::new(file)
        };
        Self::from_reader(path, input)
    }

    /// Reads from any buffered input; `path` names it in errors.
    pub fn from_reader(path: &Path, input: Box<dyn BufRead + Send>) -> Result<Self, TraceError> {
        let mut reader = TraceReader {
            path: path.to_path_buf(),
            input,
            line_no: 0,
            buf: String::with_capacity(512),
        };
        if !reader.read_line()? {
            return Err(reader.error("tmp", "empty file: the header line is missing".into()));
        }
        let header: Vec<&str> = reader
            .buf
            .trim_end_matches(['\n', '\r'])
            .split('\t')
            .collect();
        if header.len() < COLUMNS.len() - 1
            || header[..COLUMNS.len() - 1] != COLUMNS[..COLUMNS.len() - 1]
        {
            return Err(reader.error(
                "tmp",
                format!("bad header, expected `{}`", COLUMNS.join(" ")),
            ));
        }
        Ok(reader)
    }

    /// Reads from bytes in memory (plain or gzip); `name` names them in errors.
    pub fn from_bytes(name: &str, data: &'static [u8]) -> Result<Self, TraceError> {
        let path = Path::new(name);
        let input: Box<dyn BufRead + Send> = if data.starts_with(&[0x1f, 0x8b]) {
            Box::new(BufReader::with_capacity(1 << 20, MultiGzDecoder::new(data)))
        } else {
            Box::new(data)
        };
        Self::from_reader(path, input)
    }

    /// Opens `-` as standard input, anything else as a file.
    pub fn open_any(path: &Path) -> Result<Self, TraceError> {
        if path == Path::new("-") {
            let stdin: Box<dyn Read + Send> = Box::new(std::io::stdin());
            Self::from_reader(path, Box::new(BufReader::with_capacity(1 << 20, stdin)))
        } else {
            Self::open(path)
        }
    }

    fn read_line(&mut self) -> Result<bool, TraceError> {
        self.buf.clear();
        let n = self
            .input
            .read_line(&mut self.buf)
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
            if !self.buf.trim().is_empty() {
                break;
            }
        }
        let line = std::mem::take(&mut self.buf);
        let result = self.parse(line.trim_end_matches(['\n', '\r']), rec);
        self.buf = line;
        result.map(|()| true)
    }

    fn parse(&self, line: &str, rec: &mut Record) -> Result<(), TraceError> {
        let mut fields = line.splitn(COLUMNS.len(), '\t');
        let mut next = |i: usize| {
            fields
                .next()
                .ok_or_else(|| self.error(COLUMNS[i], "missing column".into()))
        };
        let tmp = next(0)?;
        rec.tmp = tmp
            .trim()
            .parse()
            .map_err(|_| self.error("tmp", format!("`{tmp}` is not a whole number of seconds")))?;
        rec.rec = Some(match next(1)? {
            "global" => RecKind::Global,
            "subset" => RecKind::Subset,
            "vm" => RecKind::Vm,
            other => return Err(self.error("rec", format!("unknown record kind `{other}`"))),
        });
        rec.res = Some(match next(2)? {
            "cpu" => Res::Cpu,
            "mem" => Res::Mem,
            other => return Err(self.error("res", format!("unknown resource `{other}`"))),
        });
        rec.val = self.number(next(3)?, "val")?;
        rec.config = self.number(next(4)?, "config")?;
        set_text(&mut rec.subset, next(5)?);
        set_text(&mut rec.vm_uuid, next(6)?);
        set_text(&mut rec.vm_cmn, next(7)?);
        set_text(&mut rec.sb_oc, next(8)?);
        rec.sb_unused = self.number(next(9)?, "sb_unused")?;
        // sb_dsc is free form and may be absent in hand-written traces.
        set_text(&mut rec.sb_dsc, fields.next().unwrap_or("None"));
        Ok(())
    }

    fn number(&self, text: &str, column: &'static str) -> Result<Option<f64>, TraceError> {
        let t = text.trim();
        if t == "None" || t.is_empty() {
            return Ok(None);
        }
        t.parse::<f64>()
            .map(Some)
            .map_err(|_| self.error(column, format!("`{t}` is not a number")))
    }
}

fn set_text(slot: &mut Option<String>, text: &str) {
    if text == "None" || text.is_empty() {
        *slot = None;
    } else if let Some(s) = slot {
        s.clear();
        s.push_str(text);
    } else {
        *slot = Some(text.to_string());
    }
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
