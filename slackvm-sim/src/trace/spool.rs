//! Standard input read twice (the replay makes two passes): the first read
//! copies every byte it takes from stdin into a temporary file, the second
//! read is of that copy. On disk, not in memory, so memory stays flat in
//! the trace's length; the file is removed when the [`Spool`] is dropped.

use super::{TraceError, TraceReader};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The copy of standard input; removed on drop.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
}

/// Reads from `inner`, writing what it reads to `copy`.
struct Tee<R> {
    inner: R,
    copy: File,
    path: PathBuf,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.write_all(&buf[..n]).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("copying standard input to {}: {e}", self.path.display()),
            )
        })?;
        Ok(n)
    }
}

impl Spool {
    /// A reader of standard input (plain or gzip) that copies it to a new
    /// temporary file, and that file.
    pub fn stdin() -> Result<(TraceReader, Spool), TraceError> {
        Self::tee(std::io::stdin())
    }

    /// As [`Spool::stdin`], for any input (named `-` in errors).
    pub fn tee(input: impl Read + Send + 'static) -> Result<(TraceReader, Spool), TraceError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "slackvm-stdin-{}-{}.trace",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let copy = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| TraceError::Io {
                path: path.clone(),
                source,
            })?;
        let spool = Spool { path: path.clone() };
        let tee = Tee {
            inner: input,
            copy,
            path,
        };
        let reader = TraceReader::detect(Path::new("-"), tee)?;
        Ok((reader, spool))
    }

    /// A reader of the copy, from its start (named `-` in errors). Read it
    /// once the first reader is done: the copy holds what that one read.
    pub fn reopen(&self) -> Result<TraceReader, TraceError> {
        let file = File::open(&self.path).map_err(|source| TraceError::Io {
            path: self.path.clone(),
            source,
        })?;
        TraceReader::detect(Path::new("-"), file)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        // Best effort: a temporary file left behind is not worth a panic.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Record;

    #[test]
    fn the_copy_reads_like_the_input() {
        let text: &'static [u8] =
            b"tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\n\
            0\tglobal\tcpu\t0.5\t8\tNone\tNone\tNone\tNone\tNone\n\
            15\tglobal\tmem\t0.25\t8\tNone\tNone\tNone\tNone\tNone\n";
        let (first, spool) = Spool::tee(text).expect("spool");
        let a: Vec<Record> = first.collect::<Result<_, _>>().expect("first read");
        let b: Vec<Record> = spool
            .reopen()
            .expect("reopen")
            .collect::<Result<_, _>>()
            .expect("second read");
        assert_eq!(a.len(), 2);
        assert_eq!(a, b);
        let path = spool.path.clone();
        drop(spool);
        assert!(!path.exists(), "the copy is removed");
    }
}
