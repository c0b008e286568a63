//! What the two read-ahead threads of this module share ([`super::ahead`]
//! decodes gzip, [`super::prefetch`] parses rows): stopping the thread when
//! its consumer goes away, and passing on a panic of the thread.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

/// Re-raises the worker's panic in the consumer, if it panicked (its
/// channel closed without a final message).
pub(super) fn resume_panic(thread: &mut Option<JoinHandle<()>>) {
    if let Some(Err(panic)) = thread.take().map(JoinHandle::join) {
        std::panic::resume_unwind(panic);
    }
}

/// Closes the consumer's ends of both channels, so the worker stops after
/// its current piece of work, and waits for it.
pub(super) fn stop<T, U>(
    from_worker: &mut Receiver<T>,
    to_worker: &mut Sender<U>,
    thread: &mut Option<JoinHandle<()>>,
) {
    let (_, closed) = channel();
    *from_worker = closed;
    let (open, _) = channel();
    *to_worker = open;
    if let Some(thread) = thread.take() {
        let _ = thread.join();
    }
}
