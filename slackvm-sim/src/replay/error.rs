//! The errors of a replay: each names the file, the line and the column.

use crate::trace::TraceError;
use std::path::PathBuf;

/// Errors of a replay.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// Reading or writing a trace failed.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The input is not sorted by time.
    #[error("{path}:{line}: column `tmp`: time {tmp} comes after {previous}; the trace must be sorted by tmp")]
    Unsorted {
        /// File.
        path: PathBuf,
        /// Line.
        line: u64,
        /// Offending time.
        tmp: u64,
        /// Time of the row before.
        previous: u64,
    },
    /// The second pass met a VM the first pass did not see.
    #[error("{path}:{line}: column `vm_uuid`: VM `{uuid}` was not in the first pass; the trace changed while it was replayed")]
    Changed {
        /// File.
        path: PathBuf,
        /// Line.
        line: u64,
        /// The unknown VM.
        uuid: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_line_and_column() {
        let e = ReplayError::Unsorted {
            path: "t.tsv".into(),
            line: 7,
            tmp: 10,
            previous: 15,
        };
        assert_eq!(
            e.to_string(),
            "t.tsv:7: column `tmp`: time 10 comes after 15; the trace must be sorted by tmp"
        );
        let e = ReplayError::Changed {
            path: "t.tsv".into(),
            line: 3,
            uuid: "u".into(),
        };
        assert!(e
            .to_string()
            .starts_with("t.tsv:3: column `vm_uuid`: VM `u`"));
    }
}
