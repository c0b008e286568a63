//! The daemon's side of the monitoring trace: it writes
//! [`slackvm_sim::trace::Record`]s with the simulator's
//! [`slackvm_sim::trace::TraceWriter`] (docs/monitoring-trace.md: TSV, header, `None`
//! for absent values, Python-style numbers), through a line-buffered file
//! so every monitoring step reaches the disk at once and a killed daemon
//! loses nothing. A trace file is created (truncated) at daemon start:
//! `tmp` counts seconds from that start.

pub use slackvm_sim::trace::{RecKind, Record, Res, TraceError, TraceWriter, HEADER};
use std::io::LineWriter;
use std::path::Path;

/// Creates `path` and writes the header; rows are flushed line by line.
pub fn create_live(path: &Path) -> Result<TraceWriter, TraceError> {
    let file = std::fs::File::create(path).map_err(|source| TraceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    TraceWriter::from_writer(path, Box::new(LineWriter::new(file)))
}

/// Writes one monitoring step.
pub fn write_step(writer: &mut TraceWriter, records: &[Record]) -> Result<(), TraceError> {
    records.iter().try_for_each(|r| writer.write(r))
}
