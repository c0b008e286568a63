//! The one error type of the workload readers (traces and the event list
//! CSV): every message names the source, and the line and column (or, for
//! SQLite, the table, row and column) when the fault is in a row.

/// Errors of trace readers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be opened or read.
    #[error("{source_name}: {source}")]
    Io {
        /// File.
        source_name: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A row is malformed as a whole (quoting, width...) or a header lacks
    /// a column.
    #[error("{source_name}: line {line}: {message}")]
    Csv {
        /// File.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// A required column is missing from the header.
    #[error("{source_name}: line {line}: missing column `{column}`")]
    MissingColumn {
        /// File.
        source_name: String,
        /// 1-based line of the header.
        line: u64,
        /// Column name.
        column: &'static str,
    },
    /// The header is not the one the format needs.
    #[error("{source_name}: line 1: header must be `{expected}`, found `{found}`")]
    Header {
        /// File.
        source_name: String,
        /// Expected header.
        expected: String,
        /// Header found.
        found: String,
    },
    /// A field does not parse or breaks a rule.
    #[error("{source_name}: line {line}, column {column} (`{field}`): {message}")]
    Field {
        /// File.
        source_name: String,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// Column name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A SQLite row breaks a rule.
    #[error("{source_name}: table `{table}`, row {rowid}, column `{column}`: {message}")]
    SqlRow {
        /// File.
        source_name: String,
        /// Table.
        table: &'static str,
        /// SQLite rowid.
        rowid: i64,
        /// Column.
        column: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The SQLite file could not be opened or queried.
    #[error("{source_name}: {message}")]
    Sql {
        /// File.
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// An option does not suit the trace.
    #[error("{option}: {message}")]
    Option {
        /// The option, as on the command line.
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A monitoring trace's row or file (its own error names file, line
    /// and column).
    #[error(transparent)]
    Monitoring(crate::trace::TraceError),
}

impl TraceError {
    /// True for a fault in one row, which the lenient mode may skip.
    pub fn is_row_error(&self) -> bool {
        matches!(
            self,
            TraceError::Field { .. } | TraceError::SqlRow { .. } | TraceError::Csv { .. }
        )
    }
}
