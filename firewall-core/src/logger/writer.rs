//! The writer thread: lines are appended to a shared buffer by the threads
//! that log, and written to the file (and the console) in batches.
//!
//! A request never waits on the disk, and a burst of lines costs one write
//! system call, not one per line. Nothing is dropped: the buffer grows as
//! needed, and [`Writer::flush`] waits until everything appended before it
//! is written and flushed.

use std::fs::File;
use std::io::{self, Write};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long the writer sleeps between batches when nothing asks it to hurry.
const BATCH_INTERVAL: Duration = Duration::from_millis(5);
/// A buffer this large wakes the writer at once.
const EAGER_BYTES: usize = 256 * 1024;

#[derive(Default)]
struct Pending {
    text: Vec<u8>,
    flushes: Vec<mpsc::SyncSender<()>>,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The producing side, shared by every thread that logs.
#[derive(Clone)]
pub(crate) struct Writer {
    shared: Arc<Shared>,
}

impl Writer {
    /// Starts the writer thread for `file` (and stderr when `console`).
    pub(crate) fn spawn(file: File, console: bool) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
        });
        let drained = shared.clone();
        std::thread::Builder::new()
            .name("firewall-log-writer".into())
            .spawn(move || drain(&drained, file, console))?;
        Ok(Self { shared })
    }

    /// Appends one line (which ends with a newline).
    pub(crate) fn append(&self, line: &[u8]) {
        let mut pending = self.shared.lock();
        pending.text.extend_from_slice(line);
        if pending.text.len() >= EAGER_BYTES {
            self.shared.wake.notify_one();
        }
    }

    /// Waits until every line appended before this call is written and flushed.
    pub(crate) fn flush(&self) {
        let (ack, done) = mpsc::sync_channel(1);
        self.shared.lock().flushes.push(ack);
        self.shared.wake.notify_one();
        let _ = done.recv_timeout(Duration::from_secs(10));
    }
}

fn drain(shared: &Shared, file: File, console: bool) {
    let mut file = file;
    let mut batch = Vec::new();
    loop {
        let flushes = {
            let mut pending = shared.lock();
            if pending.flushes.is_empty() && pending.text.len() < EAGER_BYTES {
                pending = shared
                    .wake
                    .wait_timeout(pending, BATCH_INTERVAL)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            std::mem::swap(&mut batch, &mut pending.text);
            std::mem::take(&mut pending.flushes)
        };
        if !batch.is_empty() {
            report(file.write_all(&batch));
            if console {
                let _ = io::stderr().lock().write_all(&batch);
            }
            batch.clear();
        }
        if !flushes.is_empty() {
            report(file.flush());
            for ack in flushes {
                let _ = ack.send(());
            }
        }
    }
}

fn report(result: io::Result<()>) {
    if let Err(err) = result {
        eprintln!("firewall log: cannot write the log file: {err}");
    }
}
