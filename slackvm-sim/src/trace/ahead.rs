//! Decoding ahead: a reader (the gzip decoder) running on its own thread,
//! handing its bytes over in chunks, so that decompression overlaps with
//! parsing. Memory is bounded: a fixed number of chunk buffers circulate
//! between the two threads.

use super::worker;
use std::io::{BufRead, ErrorKind, Read};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

/// Bytes per chunk.
const CHUNK: usize = 256 << 10;
/// Chunks in circulation.
const CHUNKS: usize = 4;

/// A chunk and how many of its bytes are valid (0: end of input).
type Chunk = (Vec<u8>, usize);

/// Buffered reading of an input decoded on another thread.
pub(crate) struct ReadAhead {
    chunks: Receiver<std::io::Result<Chunk>>,
    recycle: Sender<Vec<u8>>,
    current: Chunk,
    pos: usize,
    done: bool,
    thread: Option<JoinHandle<()>>,
}

impl ReadAhead {
    /// Starts reading `input` on a new thread.
    pub(crate) fn spawn(input: impl Read + Send + 'static) -> Self {
        let (chunks_tx, chunks) = channel();
        let (recycle, recycled) = channel();
        for _ in 0..CHUNKS {
            // The receiver is alive: it was just created.
            let _ = recycle.send(vec![0; CHUNK]);
        }
        let thread = std::thread::Builder::new()
            .name("trace-decode".into())
            .spawn(move || fill(input, &recycled, &chunks_tx))
            .expect("cannot start the trace decoding thread");
        ReadAhead {
            chunks,
            recycle,
            current: (Vec::new(), 0),
            pos: 0,
            done: false,
            thread: Some(thread),
        }
    }
}

/// The decoding thread: fills recycled chunks until the input ends, fails
/// or the consumer goes away.
fn fill(
    mut input: impl Read,
    recycled: &Receiver<Vec<u8>>,
    chunks: &Sender<std::io::Result<Chunk>>,
) {
    while let Ok(mut buf) = recycled.recv() {
        // The consumer's first swap hands back an empty buffer.
        buf.resize(CHUNK, 0);
        let mut len = 0;
        while len < buf.len() {
            match input.read(&mut buf[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    if len > 0 {
                        let _ = chunks.send(Ok((buf, len)));
                    }
                    let _ = chunks.send(Err(e));
                    return;
                }
            }
        }
        // A short chunk may still be followed by an error: the end is the
        // empty chunk that a read of 0 bytes at its start gives.
        let end = len == 0;
        if chunks.send(Ok((buf, len))).is_err() || end {
            return;
        }
    }
}

impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.pos == self.current.1 && !self.done {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.done = chunk.1 == 0;
                    let (used, _) = std::mem::replace(&mut self.current, chunk);
                    // The thread may have finished: then the buffer is just dropped.
                    let _ = self.recycle.send(used);
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    // The thread ended without a word: it panicked.
                    self.done = true;
                    worker::resume_panic(&mut self.thread);
                }
            }
        }
        Ok(&self.current.0[self.pos..self.current.1])
    }

    fn consume(&mut self, amount: usize) {
        debug_assert!(self.pos + amount <= self.current.1);
        self.pos = (self.pos + amount).min(self.current.1);
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Closing our ends stops the thread after its current chunk.
        worker::stop(&mut self.chunks, &mut self.recycle, &mut self.thread);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn reads_everything_in_order() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * CHUNKS * 2 + 17] {
            let data = bytes(n);
            let mut out = Vec::new();
            ReadAhead::spawn(std::io::Cursor::new(data.clone()))
                .read_to_end(&mut out)
                .expect("reads");
            assert!(out == data, "{n} bytes");
        }
    }

    #[test]
    fn errors_come_after_the_bytes_before_them() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("broken"));
                }
                let n = self.0.min(buf.len()).min(1000);
                buf[..n].fill(1);
                self.0 -= n;
                Ok(n)
            }
        }
        let mut r = ReadAhead::spawn(Failing(CHUNK + 5));
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).expect_err("fails");
        assert_eq!(err.to_string(), "broken");
        assert_eq!(out.len(), CHUNK + 5);
    }

    #[test]
    fn dropping_early_stops_the_thread() {
        let mut r = ReadAhead::spawn(std::io::repeat(3));
        let mut buf = [0u8; 10];
        r.read_exact(&mut buf).expect("reads");
        drop(r); // joins; a hang here would fail the test by timeout
    }
}
