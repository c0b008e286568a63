//! Test helpers: traces written by hand, replayed in memory.

use super::driver::TraceSource;
use crate::trace::HEADER;

/// A trace: the header, then `rows` (tab-separated, as in files).
pub(super) fn trace(rows: &[&str]) -> String {
    let mut text = format!("{HEADER}\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text
}

/// The trace as an in-memory source named `mem`.
pub(super) fn source(text: &str) -> TraceSource {
    TraceSource::Bytes("mem".into(), text.to_string().leak().as_bytes())
}
