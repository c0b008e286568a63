//! What a replay reads and how: the input trace's source and the
//! replay's options (shared by the driver, both passes and the replayer,
//! so none of them imports another for these).

use crate::host::HostOptions;
use crate::trace::{TraceError, TraceReader};
use std::path::PathBuf;

/// Where the input trace comes from (read twice: once to learn, once to
/// replay; `-`, standard input, is copied to a temporary file on the way).
#[derive(Debug, Clone)]
pub enum TraceSource {
    /// A file (plain or gzip).
    File(PathBuf),
    /// Bytes embedded in the binary (plain or gzip), with a display name.
    Bytes(String, &'static [u8]),
}

impl TraceSource {
    pub(super) fn open(&self) -> Result<TraceReader, TraceError> {
        match self {
            TraceSource::File(p) => TraceReader::open_any(p),
            TraceSource::Bytes(name, data) => TraceReader::from_bytes(name, data),
        }
    }

    /// The name errors and the summary give it.
    pub fn name(&self) -> String {
        match self {
            TraceSource::File(p) => p.display().to_string(),
            TraceSource::Bytes(name, _) => name.clone(),
        }
    }
}

/// Options of a replay.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplayOptions {
    /// Host options (quirks included).
    pub host: HostOptions,
}
