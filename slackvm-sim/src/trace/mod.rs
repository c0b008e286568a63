//! The monitoring trace of docs/monitoring-trace.md: one tab-separated row per global,
//! vNode ("subset") and VM record, header
//! `tmp rec res val config subset vm_uuid vm_cmn sb_oc sb_unused sb_dsc`,
//! absent values written `None`. Streaming reader (plain or gzip, detected
//! by magic bytes; errors carry the line number) and writer (large buffers,
//! gzip when the path ends in `.gz`), a read-ahead thread over the reader
//! ([`PrefetchReader`]) and a copy of standard input for reading it twice
//! ([`Spool`]). [`snapshot`] is the one projection of a host's state into
//! records (the only part that knows hosts); no knowledge of replay.

pub(crate) mod ahead;
mod fields;
mod numbers;
mod prefetch;
mod read;
mod snapshot;
mod spool;
mod worker;
mod write;

pub use prefetch::PrefetchReader;
pub use read::TraceReader;
pub use snapshot::{global_row, snapshot, DscShape, HostSnapshot, VNodeSnapshot, VmId};
pub use spool::Spool;
pub use write::TraceWriter;

use std::path::PathBuf;

/// The header line, without the newline.
pub const HEADER: &str =
    "tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\tsb_dsc";

/// The uncompressed text of a trace held in memory: gzip (detected by its
/// magic bytes) is decoded, plain text is copied.
pub fn decompress(data: &[u8]) -> std::io::Result<Vec<u8>> {
    if !data.starts_with(&read::GZIP_MAGIC) {
        return Ok(data.to_vec());
    }
    let mut out = Vec::with_capacity(data.len() * 8);
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(data), &mut out)?;
    Ok(out)
}

/// Kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecKind {
    /// Whole host.
    Global,
    /// One vNode (`subset` in the prototype).
    Subset,
    /// One VM.
    Vm,
}

impl RecKind {
    /// Name in files.
    pub fn as_str(self) -> &'static str {
        match self {
            RecKind::Global => "global",
            RecKind::Subset => "subset",
            RecKind::Vm => "vm",
        }
    }
}

/// Resource of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Res {
    /// CPU.
    Cpu,
    /// Memory.
    Mem,
}

impl Res {
    /// Name in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Res::Cpu => "cpu",
            Res::Mem => "mem",
        }
    }
    /// Index 0 (cpu) or 1 (mem).
    pub fn index(self) -> usize {
        match self {
            Res::Cpu => 0,
            Res::Mem => 1,
        }
    }
}

/// One row. Text columns keep their text; `None` is `Option::None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// Seconds since the start of the run.
    pub tmp: u64,
    /// Record kind.
    pub rec: Option<RecKind>,
    /// Resource.
    pub res: Option<Res>,
    /// Usage (see docs/monitoring-trace.md for its unit per record kind).
    pub val: Option<f64>,
    /// Capacity: CPUs/MB held, vCPUs/MB of a VM.
    pub config: Option<f64>,
    /// vNode id (`subset-2.0`, `subset-1`).
    pub subset: Option<String>,
    /// VM identifier.
    pub vm_uuid: Option<String>,
    /// VM name.
    pub vm_cmn: Option<String>,
    /// Level as written (`2.0`, `1`).
    pub sb_oc: Option<String>,
    /// Units the vNode could release.
    pub sb_unused: Option<f64>,
    /// Free-form JSON description of the vNode.
    pub sb_dsc: Option<String>,
}

/// One row to write, borrowing its text: what [`TraceWriter::write_row`]
/// takes, so that a producer can write rows without building [`Record`]s.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Row<'a> {
    /// Seconds since the start of the run.
    pub tmp: u64,
    /// Record kind.
    pub rec: Option<RecKind>,
    /// Resource.
    pub res: Option<Res>,
    /// Usage.
    pub val: Option<f64>,
    /// Capacity.
    pub config: Option<f64>,
    /// vNode id.
    pub subset: Option<&'a str>,
    /// VM identifier.
    pub vm_uuid: Option<&'a str>,
    /// VM name.
    pub vm_cmn: Option<&'a str>,
    /// Level as written.
    pub sb_oc: Option<&'a str>,
    /// Units the vNode could release.
    pub sb_unused: Option<f64>,
    /// Free-form JSON description of the vNode.
    pub sb_dsc: Option<&'a str>,
}

impl Row<'_> {
    /// The row as an owned [`Record`].
    pub fn to_record(&self) -> Record {
        Record {
            tmp: self.tmp,
            rec: self.rec,
            res: self.res,
            val: self.val,
            config: self.config,
            subset: self.subset.map(str::to_string),
            vm_uuid: self.vm_uuid.map(str::to_string),
            vm_cmn: self.vm_cmn.map(str::to_string),
            sb_oc: self.sb_oc.map(str::to_string),
            sb_unused: self.sb_unused,
            sb_dsc: self.sb_dsc.map(str::to_string),
        }
    }
}

impl Record {
    /// The record as a [`Row`] borrowing its text.
    pub fn row(&self) -> Row<'_> {
        Row {
            tmp: self.tmp,
            rec: self.rec,
            res: self.res,
            val: self.val,
            config: self.config,
            subset: self.subset.as_deref(),
            vm_uuid: self.vm_uuid.as_deref(),
            vm_cmn: self.vm_cmn.as_deref(),
            sb_oc: self.sb_oc.as_deref(),
            sb_unused: self.sb_unused,
            sb_dsc: self.sb_dsc.as_deref(),
        }
    }
}

/// Errors reading or writing a trace.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file cannot be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A row is malformed.
    #[error("{path}:{line}: column `{column}`: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        column: &'static str,
        /// What is wrong.
        message: String,
    },
}
