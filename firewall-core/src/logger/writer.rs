//! The writer thread and its bounded queue: lines are appended to a shared
//! buffer by the threads that log, and written to the file (and the
//! console) in batches.
//!
//! A request never waits on the disk, and a burst of lines costs one write
//! system call, not one per line. The queue holds at most `capacity` bytes;
//! when a line does not fit, it is dropped and counted (lossy, as
//! tracing-appender's `lossy(true)`), and so is every line after it until
//! the writer takes the queue. Right after the lines taken then (the ones
//! logged before the first drop), the writer writes the notice
//! `<time> [WARNING] Firewall log: <n> lines dropped (queue full)`, so the
//! gap is visible exactly where it is. Memory stays under twice the
//! capacity: the queue, and the batch being written.
//!
//! [`Writer::flush`] waits until everything appended before it is written
//! and flushed.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long the writer sleeps between batches when nothing asks it to hurry.
const BATCH_INTERVAL: Duration = Duration::from_millis(5);
/// A queue this large (or half full) wakes the writer at once.
const EAGER_BYTES: usize = 256 * 1024;
/// The first allocation of the queue; it grows by doubling up to the capacity.
const INITIAL_BYTES: usize = 64 * 1024;

#[derive(Default)]
struct Pending {
    text: Vec<u8>,
    /// Lines dropped since the writer last took the queue.
    dropped: u64,
    /// Lines in `text`.
    lines: u64,
    flushes: Vec<mpsc::SyncSender<()>>,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    capacity: usize,
    eager: usize,
    dropped_total: AtomicU64,
    written_total: AtomicU64,
    /// The dropped notice as a JSON line.
    json: bool,
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
    /// Starts the writer thread for `sink` (and stderr when `console`),
    /// with a queue of `capacity` bytes; `json` writes its notices as JSON lines.
    pub(crate) fn spawn(
        sink: impl Write + Send + 'static,
        console: bool,
        capacity: usize,
        json: bool,
    ) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending {
                text: Vec::with_capacity(INITIAL_BYTES.min(capacity)),
                ..Pending::default()
            }),
            wake: Condvar::new(),
            capacity,
            eager: EAGER_BYTES.min(capacity / 2).max(1),
            dropped_total: AtomicU64::new(0),
            written_total: AtomicU64::new(0),
            json,
        });
        let drained = shared.clone();
        std::thread::Builder::new()
            .name("firewall-log-writer".into())
            .spawn(move || drain(&drained, sink, console))?;
        Ok(Self { shared })
    }

    /// Appends one line (which ends with a newline), or drops and counts it
    /// when the queue is full or has dropped a line the writer has not
    /// reported yet.
    pub(crate) fn append(&self, line: &[u8]) {
        let mut pending = self.shared.lock();
        let room = self.shared.capacity - pending.text.len();
        if pending.dropped > 0 || line.len() > room {
            pending.dropped += 1;
            self.shared.dropped_total.fetch_add(1, Ordering::Relaxed);
            return;
        }
        reserve_within(&mut pending.text, line.len(), self.shared.capacity);
        pending.text.extend_from_slice(line);
        pending.lines += 1;
        if pending.text.len() >= self.shared.eager {
            self.shared.wake.notify_one();
        }
    }

    /// Waits until every line appended before this call is written and
    /// flushed, or 10 seconds if the file or console blocks.
    pub(crate) fn flush(&self) {
        let (ack, done) = mpsc::sync_channel(1);
        self.shared.lock().flushes.push(ack);
        self.shared.wake.notify_one();
        let _ = done.recv_timeout(Duration::from_secs(10));
    }

    /// Lines dropped since the writer started.
    pub(crate) fn dropped_total(&self) -> u64 {
        self.shared.dropped_total.load(Ordering::Relaxed)
    }

    /// Lines handed to the file since the writer started.
    pub(crate) fn written_total(&self) -> u64 {
        self.shared.written_total.load(Ordering::Relaxed)
    }

    /// Bytes waiting in the queue now.
    pub(crate) fn queued_bytes(&self) -> usize {
        self.shared.lock().text.len()
    }

    /// The most bytes the queue holds.
    pub(crate) fn capacity(&self) -> usize {
        self.shared.capacity
    }
}

/// Makes room for `more` bytes, doubling the allocation but never past
/// `capacity` (the caller checked that `text.len() + more <= capacity`).
fn reserve_within(text: &mut Vec<u8>, more: usize, capacity: usize) {
    let needed = text.len() + more;
    if needed > text.capacity() {
        let target = text.capacity().saturating_mul(2).clamp(needed, capacity);
        text.reserve_exact(target - text.len());
    }
}

fn drain(shared: &Shared, mut sink: impl Write, console: bool) {
    let mut batch = Vec::new();
    let mut notice = Vec::new();
    loop {
        let (flushes, dropped, lines) = {
            let mut pending = shared.lock();
            if pending.flushes.is_empty() && pending.text.len() < shared.eager {
                pending = shared
                    .wake
                    .wait_timeout(pending, BATCH_INTERVAL)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            std::mem::swap(&mut batch, &mut pending.text);
            (
                std::mem::take(&mut pending.flushes),
                std::mem::take(&mut pending.dropped),
                std::mem::take(&mut pending.lines),
            )
        };
        write(&mut sink, console, &batch);
        batch.clear();
        shared.written_total.fetch_add(lines, Ordering::Relaxed);
        if dropped > 0 {
            notice.clear();
            if shared.json {
                push_dropped_notice_json(&mut notice, dropped);
            } else {
                push_dropped_notice(&mut notice, dropped);
            }
            write(&mut sink, console, &notice);
            shared.written_total.fetch_add(1, Ordering::Relaxed);
        }
        if !flushes.is_empty() {
            report(sink.flush());
            for ack in flushes {
                let _ = ack.send(());
            }
        }
    }
}

/// `2026-01-11 10:52:46,996 [WARNING] Firewall log: 1234 lines dropped (queue full)`
fn push_dropped_notice(out: &mut Vec<u8>, dropped: u64) {
    super::clock::push_now(out);
    out.extend_from_slice(b" [WARNING] Firewall log: ");
    super::addr::push_decimal(out, dropped);
    out.extend_from_slice(b" lines dropped (queue full)\n");
}

/// The same notice as a JSON line, with the count as `firewall.log.dropped_lines`.
fn push_dropped_notice_json(out: &mut Vec<u8>, dropped: u64) {
    let message = format!("Firewall log: {dropped} lines dropped (queue full)");
    let mut object = super::json::begin_line(out, log::Level::Warn, super::TARGET, &message);
    object.str("event.module", "firewall");
    object.str("event.dataset", "firewall.log");
    object.u64("firewall.log.dropped_lines", dropped);
    super::json::end_line(object);
}

fn write(sink: &mut impl Write, console: bool, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    report(sink.write_all(bytes));
    if console {
        let _ = io::stderr().lock().write_all(bytes);
    }
}

fn report(result: io::Result<()>) {
    if let Err(err) = result {
        eprintln!("firewall log: cannot write the log file: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_never_allocates_past_its_capacity() {
        let mut text = Vec::new();
        for _ in 0..100 {
            if text.len() + 7 <= 300 {
                reserve_within(&mut text, 7, 300);
                text.extend_from_slice(b"abcdef\n");
            }
            assert!(text.capacity() <= 300, "{}", text.capacity());
        }
        assert_eq!(text.len(), 294);
    }

    #[test]
    fn the_notice_is_a_line_of_the_seeds_format() {
        let mut out = Vec::new();
        push_dropped_notice(&mut out, 1234);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with(" [WARNING] Firewall log: 1234 lines dropped (queue full)\n"),
            "{text:?}"
        );
        assert_eq!(text.find(" [WARNING]"), Some(23), "{text:?}");
    }

    #[test]
    fn the_json_notice_is_one_object_with_the_count() {
        let mut out = Vec::new();
        push_dropped_notice_json(&mut out, 1234);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            value["message"],
            "Firewall log: 1234 lines dropped (queue full)"
        );
        assert_eq!(value["log.level"], "WARNING");
        assert_eq!(value["firewall.log.dropped_lines"], 1234);
    }
}
