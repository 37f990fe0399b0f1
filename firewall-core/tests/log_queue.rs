//! The log queue under a file that blocks: its size stays under the
//! capacity, the lines that do not fit are dropped and counted exactly in a
//! notice written as soon as the writer catches up, and nothing is lost
//! while the queue has room. The "file" is a FIFO that the test reads only
//! when it chooses, a disk that stalls. (Its own test binary: the logger is
//! one per process.)
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use firewall_core::logger::{self, LogConfig};

const CAPACITY: usize = 16 * 1024;

/// Makes `path` a FIFO and installs the logger on it; returns the reading end.
fn logger_on_a_fifo(dir: &Path) -> (std::fs::File, logger::LogHandle) {
    let path = dir.join("queue_firewall.log");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // Opening a FIFO waits for the other end: read on a thread, write here.
    let reader = {
        let path = path.clone();
        std::thread::spawn(move || std::fs::File::open(path).expect("FIFO opens"))
    };
    let log = logger::init(
        LogConfig::new("queue")
            .dir(dir)
            .console(false)
            .queue_capacity(CAPACITY),
    )
    .expect("logger starts");
    (reader.join().unwrap(), log)
}

/// Reads lines until one contains `last`, on a thread, within 60 seconds.
fn read_until(fifo: std::fs::File, last: &str) -> Vec<String> {
    let (send, receive) = mpsc::channel();
    let wanted = last.to_owned();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(fifo);
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).expect("FIFO readable") == 0 {
                break;
            }
            let done = line.contains(&wanted);
            lines.push(line);
            if done {
                break;
            }
        }
        let _ = send.send(lines);
    });
    receive
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("no line with {last:?} within 60 s"))
}

/// The message of a line: what follows the timestamp and the level.
fn message(line: &str) -> &str {
    line.trim_end()
        .split_once("] ")
        .map_or(line, |(_, rest)| rest)
}

/// The count of a notice `Firewall log: <n> lines dropped (queue full)`.
fn dropped_in_notice(message: &str) -> Option<u64> {
    message
        .strip_prefix("Firewall log: ")?
        .strip_suffix(" lines dropped (queue full)")?
        .parse()
        .ok()
}

#[test]
fn a_stalled_file_drops_and_counts_lines_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (fifo, log) = logger_on_a_fifo(dir.path());
    let padding = "x".repeat(60);

    // Nobody reads: the pipe (64 KiB) and the queue (16 KiB) fill, the rest
    // is dropped. 3,000 lines of ~110 bytes are 330 KB, far more than both.
    let sent: u64 = 3_000;
    for n in 0..sent {
        log::warn!(target: logger::TARGET, "line {n:05} {padding}");
        let stats = log.stats();
        assert!(
            stats.queued_bytes <= CAPACITY,
            "queue at {} bytes after line {n}",
            stats.queued_bytes
        );
    }
    let dropped = log.stats().dropped_lines;
    assert!(dropped > 0, "the stalled file made the queue drop lines");

    // The disk wakes up: every line written, each gap where it is, with its
    // exact count; then, with room in the queue, nothing lost.
    let reading = std::thread::spawn(move || read_until(fifo, "the end"));
    logger::flush();
    for n in 0..100 {
        log::warn!(target: logger::TARGET, "after {n:03}");
    }
    log::warn!(target: logger::TARGET, "the end");
    logger::flush();
    let lines = reading.join().unwrap();

    let (mut next, mut notices, mut in_notices) = (0, 0, 0);
    let mut rest = lines.iter();
    for line in rest.by_ref() {
        assert!(line.len() > 24 && line.is_char_boundary(24), "{line:?}");
        let text = message(line);
        if let Some(count) = dropped_in_notice(text) {
            assert!(
                line[23..].starts_with(" [WARNING] Firewall log: "),
                "{line:?}"
            );
            notices += 1;
            in_notices += count;
            next += count;
        } else {
            assert_eq!(
                text,
                format!("line {next:05} {padding}"),
                "a gap without its notice"
            );
            next += 1;
        }
        if next == sent {
            break;
        }
    }
    assert_eq!(next, sent, "every line written or counted");
    assert_eq!(in_notices, dropped, "the notices count every dropped line");
    assert!(notices >= 1);
    let after: Vec<&str> = rest.map(|line| message(line)).collect();
    let mut expected: Vec<String> = (0..100).map(|n| format!("after {n:03}")).collect();
    expected.push("the end".into());
    assert_eq!(after, expected, "nothing lost while the queue has room");
    assert_eq!(log.stats().dropped_lines, dropped, "no more drops");
}
