//! Read-ahead: a [`TraceReader`] running on its own thread, handing parsed
//! rows over in batches, so that decoding and parsing overlap with whatever
//! the caller does with the rows (the replay's second pass).
//!
//! Memory is bounded: a fixed number of batches circulate between the two
//! threads (filled, consumed, sent back and refilled), and their records'
//! strings are reused, so no allocation happens per row either.

use super::{worker, Record, TraceError, TraceReader};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

/// Rows per batch.
const BATCH_ROWS: usize = 2048;
/// Batches in circulation (one being read, one being parsed, one spare).
const BATCHES: usize = 3;

/// Parsed rows and their line numbers; `len` of them are valid.
#[derive(Default)]
struct Batch {
    records: Vec<Record>,
    lines: Vec<u64>,
    len: usize,
}

/// What the reading thread sends.
enum Message {
    Rows(Batch),
    /// End of input.
    End,
    Failed(TraceError),
}

/// Rows of a trace read ahead on another thread.
pub struct PrefetchReader {
    rows: Receiver<Message>,
    recycle: Sender<Batch>,
    current: Batch,
    pos: usize,
    done: bool,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PrefetchReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrefetchReader")
            .field("done", &self.done)
            .finish()
    }
}

impl PrefetchReader {
    /// Starts reading `reader` on a new thread.
    pub fn spawn(reader: TraceReader) -> Self {
        let (rows_tx, rows) = channel();
        let (recycle, recycled) = channel();
        for _ in 0..BATCHES {
            // The receiver is alive: it was just created.
            let _ = recycle.send(Batch::default());
        }
        let thread = std::thread::Builder::new()
            .name("trace-read".into())
            .spawn(move || fill(reader, &recycled, &rows_tx))
            .expect("cannot start the trace reading thread");
        PrefetchReader {
            rows,
            recycle,
            current: Batch::default(),
            pos: 0,
            done: false,
            thread: Some(thread),
        }
    }

    /// The next row and its line number; `None` at end of input.
    pub fn next_row(&mut self) -> Result<Option<(&Record, u64)>, TraceError> {
        if self.pos == self.current.len && (self.done || !self.refill()?) {
            return Ok(None);
        }
        let i = self.pos;
        self.pos += 1;
        Ok(Some((&self.current.records[i], self.current.lines[i])))
    }

    /// Swaps the consumed batch for the next one; false at end of input.
    fn refill(&mut self) -> Result<bool, TraceError> {
        loop {
            match self.rows.recv() {
                Ok(Message::Rows(batch)) => {
                    let used = std::mem::replace(&mut self.current, batch);
                    // The thread may have finished: then the batch is just dropped.
                    let _ = self.recycle.send(used);
                    self.pos = 0;
                    if self.current.len > 0 {
                        return Ok(true);
                    }
                }
                Ok(Message::End) => {
                    self.done = true;
                    return Ok(false);
                }
                Ok(Message::Failed(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    // The thread ended without a word: it panicked.
                    self.done = true;
                    worker::resume_panic(&mut self.thread);
                    return Ok(false);
                }
            }
        }
    }
}

impl Drop for PrefetchReader {
    fn drop(&mut self) {
        // Closing our ends stops the thread after its current batch.
        worker::stop(&mut self.rows, &mut self.recycle, &mut self.thread);
    }
}

/// The reading thread: fills recycled batches until the input ends, an
/// error occurs or the consumer goes away.
fn fill(mut reader: TraceReader, recycled: &Receiver<Batch>, rows: &Sender<Message>) {
    while let Ok(mut batch) = recycled.recv() {
        batch.len = 0;
        let mut end = None;
        while batch.len < BATCH_ROWS {
            if batch.records.len() == batch.len {
                batch.records.push(Record::default());
                batch.lines.push(0);
            }
            match reader.next_into(&mut batch.records[batch.len]) {
                Ok(true) => {
                    batch.lines[batch.len] = reader.line();
                    batch.len += 1;
                }
                Ok(false) => {
                    end = Some(Message::End);
                    break;
                }
                Err(e) => {
                    end = Some(Message::Failed(e));
                    break;
                }
            }
        }
        debug_assert!(batch.len <= BATCH_ROWS);
        if rows.send(Message::Rows(batch)).is_err() {
            return;
        }
        if let Some(end) = end {
            let _ = rows.send(end);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn trace(rows: usize, bad_line: Option<usize>) -> &'static str {
        let mut text =
            String::from("tmp\trec\tres\tval\tconfig\tsubset\tvm_uuid\tvm_cmn\tsb_oc\tsb_unused\n");
        for i in 0..rows {
            let val = if Some(i + 2) == bad_line { "x" } else { "0.5" };
            text += &format!("{i}\tglobal\tcpu\t{val}\t8\tNone\tNone\tNone\tNone\tNone\n");
        }
        Box::leak(text.into_boxed_str())
    }

    fn reader(text: &'static str) -> TraceReader {
        TraceReader::from_reader(Path::new("t.tsv"), Box::new(text.as_bytes())).expect("header")
    }

    #[test]
    fn yields_every_row_in_order_with_its_line() {
        let n = BATCH_ROWS * BATCHES * 2 + 5;
        let mut p = PrefetchReader::spawn(reader(trace(n, None)));
        let mut count = 0;
        while let Some((rec, line)) = p.next_row().expect("no error") {
            assert_eq!(rec.tmp, count as u64);
            assert_eq!(line, count as u64 + 2);
            count += 1;
        }
        assert_eq!(count, n);
        assert!(p.next_row().expect("still no error").is_none());
    }

    #[test]
    fn rows_before_an_error_come_first() {
        let bad = BATCH_ROWS + 10;
        let mut p = PrefetchReader::spawn(reader(trace(BATCH_ROWS * 3, Some(bad))));
        let mut count = 0;
        let err = loop {
            match p.next_row() {
                Ok(Some(_)) => count += 1,
                Ok(None) => panic!("the error was lost"),
                Err(e) => break e,
            }
        };
        assert_eq!(count, bad - 2);
        assert!(matches!(err, TraceError::Parse { line, .. } if line == bad as u64));
    }

    #[test]
    fn dropping_early_stops_the_thread() {
        let mut p = PrefetchReader::spawn(reader(trace(BATCH_ROWS * 8, None)));
        assert!(p.next_row().expect("a row").is_some());
        drop(p); // joins; a hang here would fail the test by timeout
    }
}
