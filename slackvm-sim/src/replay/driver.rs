//! The driver: the loop of the second pass (rows read ahead on another thread, grouped by
//! timestamp, each timestamp handed to the [`Replayer`]).

use super::first_pass::{first_pass, FirstPass};
use super::input::{ReplayOptions, TraceSource};
use super::replayer::Replayer;
use super::{ReplayError, ReplayOutcome};
use crate::topology::Topology;
use crate::trace::{PrefetchReader, TraceWriter};
use std::sync::Arc;
use std::time::Instant;

/// Columns the second pass does not need (the first pass checked them).
const SKIPPED_BY_REPLAY: [&str; 5] = ["config", "vm_cmn", "sb_oc", "sb_unused", "sb_dsc"];

/// Replays `input` on `topo`, writing the recomputed trace to `out` when
/// given. `progress(done, total)` is called as timestamps complete.
pub fn replay(
    topo: Arc<Topology>,
    opts: ReplayOptions,
    input: &TraceSource,
    out: Option<&mut TraceWriter>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ReplayOutcome, ReplayError> {
    let first = first_pass(input)?;
    replay_learnt(topo, opts, input, first, out, progress)
}

/// The second pass: replays `input` knowing what `first` learnt from it.
/// [`replay`] is [`first_pass`] then this. Rows are read ahead on another
/// thread ([`PrefetchReader`]) while this one schedules and writes.
pub fn replay_learnt(
    topo: Arc<Topology>,
    opts: ReplayOptions,
    input: &TraceSource,
    first: FirstPass,
    mut out: Option<&mut TraceWriter>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ReplayOutcome, ReplayError> {
    let started = Instant::now();
    let learnt = &first.learnt;
    let total = learnt.timestamps;
    let mut r = Replayer::new(topo, opts, input, learnt);
    let mut reader = match &first.spool {
        Some(spool) => spool.reopen()?,
        None => input.open()?,
    };
    reader.skip_columns(&SKIPPED_BY_REPLAY);
    let mut reader = PrefetchReader::spawn(reader);
    let mut k = 0u64;
    let mut current: Option<u64> = None;
    let mut previous: Option<u64> = None;
    loop {
        let row = reader.next_row()?;
        let tmp = row.map(|(rec, _)| rec.tmp);
        if tmp != current {
            if let Some(done) = current {
                r.finish_step(done, previous, &mut out)?;
                previous = Some(done);
                k += 1;
                if k.is_multiple_of(64) || k == total {
                    progress(k, total);
                }
            }
            current = tmp;
            r.step.begin();
        }
        let Some((rec, line)) = row else { break };
        r.add(rec, input, line)?;
    }
    let wall_s = (first.wall + started.elapsed()).as_secs_f64();
    Ok(r.finish(wall_s))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{source, trace};
    use super::*;
    use crate::topology;

    fn laptop() -> Arc<Topology> {
        Arc::new(topology::preset("laptop-8").expect("preset"))
    }

    #[test]
    fn progress_reaches_every_timestamp_and_rows_are_counted() {
        let text = trace(&[
            "0\tglobal\tcpu\t0.1\t8\tNone\tNone\tNone\tNone\tNone\tNone",
            "15\tglobal\tcpu\t0.1\t8\tNone\tNone\tNone\tNone\tNone\tNone",
        ]);
        let mut calls = Vec::new();
        let outcome = replay(
            laptop(),
            ReplayOptions::default(),
            &source(&text),
            None,
            &mut |d, t| calls.push((d, t)),
        )
        .expect("replays");
        assert_eq!(calls, vec![(2, 2)]);
        let s = &outcome.summary;
        assert_eq!(
            (s.timestamps, s.rows_in, s.rows_out, s.input.as_str()),
            (2, 2, 4, "mem")
        );
    }

    #[test]
    fn a_missing_file_is_named() {
        let input = TraceSource::File("/no/such/trace.tsv".into());
        let e = replay(
            laptop(),
            ReplayOptions::default(),
            &input,
            None,
            &mut |_, _| {},
        )
        .expect_err("no file");
        assert!(e.to_string().contains("/no/such/trace.tsv"), "{e}");
    }
}
