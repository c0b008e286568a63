//! Test helpers: traces written by hand, replayed in memory.

use super::input::TraceSource;
use super::{replay, ReplayOptions, ReplayOutcome};
use crate::host::{HostOptions, Quirks};
use crate::topology;
use crate::trace::{TraceWriter, HEADER};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

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

/// A shared buffer a [`TraceWriter`] writes into.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Replays `rows` on the preset `topo` with `quirks`: the output trace's
/// lines (header excluded) and the outcome.
pub(super) fn replay_rows(
    topo: &str,
    quirks: Quirks,
    rows: &[String],
) -> (Vec<String>, ReplayOutcome) {
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let topo = Arc::new(topology::preset(topo).expect("preset"));
    let buf = Shared::default();
    let mut w = TraceWriter::from_writer(Path::new("out"), Box::new(buf.clone())).expect("header");
    let opts = ReplayOptions {
        host: HostOptions {
            quirks,
            ..HostOptions::default()
        },
    };
    let outcome = replay(
        topo,
        opts,
        &source(&trace(&rows)),
        Some(&mut w),
        &mut |_, _| {},
    )
    .expect("replays");
    w.finish().expect("flushed");
    let text = String::from_utf8(buf.0.lock().expect("not poisoned").clone()).expect("UTF-8");
    (text.lines().skip(1).map(str::to_string).collect(), outcome)
}

/// A VM's CPU and memory rows at `tmp`: `vcpus` at `level`, `mem_mb`,
/// CPU usage `cpu` and memory usage 0.5, reported under `subset-{level}`.
pub(super) fn vm_rows(
    tmp: u64,
    uuid: &str,
    vcpus: u32,
    level: &str,
    mem_mb: u64,
    cpu: &str,
) -> [String; 2] {
    [
        format!(
            "{tmp}\tvm\tcpu\t{cpu}\t{vcpus}\tsubset-{level}\t{uuid}\t{uuid}\t{level}\tNone\tNone"
        ),
        format!("{tmp}\tvm\tmem\t0.5\t{mem_mb}\tsubset-1\t{uuid}\t{uuid}\t1\tNone\tNone"),
    ]
}
