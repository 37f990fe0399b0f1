//! Follows a log file like `tail -F`, reading every byte written to it once.
//!
//! Each poll costs one `stat` of the path, one `fstat` and one read of at most
//! [`HEAD`] bytes per open file, plus the new bytes:
//!
//! - **Where it starts.** With [`Start::End`], the file found at the first
//!   poll is read from its end (a line being written is skipped whole): only
//!   lines written after the monitor started are returned. With
//!   [`Start::Beginning`] it is read from its first byte. A file that appears
//!   later is always read from its first byte.
//! - **Rotation by rename** (`mv app.log app.log.1`, logrotate's default).
//!   While nothing is at the path, the moved file is still read through its
//!   handle ([`FollowState::Moved`]): the app may go on writing there. When a
//!   new file appears, it is read from its start, and the old one is read on
//!   until it has not grown for [`DRAIN_GRACE`] (the app may write a few more
//!   lines there before it reopens the path).
//! - **Copy and truncate** (logrotate's `copytruncate`): the file is the same
//!   but shorter than what was read, or its first bytes changed (it was
//!   truncated and written past the old length between two polls). It is read
//!   again from its start.
//! - **A file that comes back** (moved away and back, or a rotated file moved
//!   back within [`DRAIN_GRACE`] or among the last [`REMEMBERED`] files let
//!   go) is read on from where it was, never again from its start.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// At most this much of one file is read per poll (the rest at the next).
const READ_CHUNK: u64 = 4 * 1024 * 1024;
/// A line longer than this is cut (a log line never is; garbage might be).
const MAX_LINE: usize = 64 * 1024;
/// The first bytes of a file, compared at each poll to notice it was rewritten.
const HEAD: usize = 64;
/// How long a rotated file is read after it last grew.
pub const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// Files let go whose position is remembered, in case they come back.
const REMEMBERED: usize = 4;

/// Where the file found at the first poll is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Its end: only lines written from now on.
    End,
    /// Its first byte.
    Beginning,
}

/// What the follower is doing, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    /// No file has been found at the path yet.
    Waiting,
    /// Reading the file at the path.
    Following,
    /// The file read was moved or deleted and nothing is at the path: it is
    /// still read until a new file appears.
    Moved,
}

/// A `tail -F` of one path.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    start: Start,
    polled: bool,
    /// The file at the path at the first poll, which [`Start`] is about.
    first: Option<FileId>,
    path_present: bool,
    current: Option<Open>,
    rotated: Option<Rotated>,
    let_go: VecDeque<Seen>,
    backlog: Option<(FileId, u64)>,
}

/// An open file and how far it was read.
#[derive(Debug)]
struct Open {
    file: File,
    id: FileId,
    pos: u64,
    head: Vec<u8>,
    partial: Vec<u8>,
    skip_first: bool,
}

/// A file replaced at the path, read until quiet.
#[derive(Debug)]
struct Rotated {
    open: Open,
    quiet_since: Instant,
}

/// A file let go: enough to know it again and where to go on from.
#[derive(Debug)]
struct Seen {
    id: FileId,
    head: Vec<u8>,
    pos: u64,
}

/// Identity of a file across renames (device and inode on Unix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId(u64, u64);

impl Follower {
    /// Follows `path`, starting as `start` says; nothing is read until [`poll`](Self::poll).
    pub fn new(path: impl Into<PathBuf>, start: Start) -> Self {
        Self {
            path: path.into(),
            start,
            polled: false,
            first: None,
            path_present: false,
            current: None,
            rotated: None,
            let_go: VecDeque::new(),
            backlog: None,
        }
    }

    /// What the follower is doing.
    pub fn state(&self) -> FollowState {
        match (&self.current, self.path_present) {
            (None, _) => FollowState::Waiting,
            (Some(_), true) => FollowState::Following,
            (Some(_), false) => FollowState::Moved,
        }
    }

    /// True while reading the part of the file that was there at the first
    /// poll ([`Start::Beginning`] only): those lines are history, not traffic.
    pub fn catching_up(&self) -> bool {
        match (&self.current, self.backlog) {
            (Some(open), Some((id, end))) => open.id == id && open.pos < end,
            _ => false,
        }
    }

    /// The complete lines written since the last call (lossy UTF-8).
    pub fn poll(&mut self) -> Vec<String> {
        self.poll_at(Instant::now())
    }

    /// [`poll`](Self::poll) at `now` (the clock of [`DRAIN_GRACE`]).
    pub fn poll_at(&mut self, now: Instant) -> Vec<String> {
        let mut lines = Vec::new();
        let at_path = file_id_of_path(&self.path);
        self.path_present = at_path.is_some();
        if !self.polled {
            self.polled = true;
            self.first = at_path;
        }
        if let Some(open) = &mut self.current {
            open.read_new(&mut lines);
        }
        let current_id = self.current.as_ref().map(|open| open.id);
        if at_path.is_some() && at_path != current_id {
            if let Some(old) = self.current.take() {
                self.retire(old, now, &mut lines);
            }
            self.current = self.open_path();
            if let Some(open) = &mut self.current {
                open.read_new(&mut lines);
            }
        }
        self.drain_rotated(now, &mut lines);
        lines
    }

    /// Keeps `old` (just replaced at the path) to read its last lines.
    fn retire(&mut self, old: Open, now: Instant, lines: &mut Vec<String>) {
        if let Some(older) = self.rotated.take() {
            self.let_go(older.open, lines);
        }
        self.rotated = Some(Rotated {
            open: old,
            quiet_since: now,
        });
    }

    fn drain_rotated(&mut self, now: Instant, lines: &mut Vec<String>) {
        let Some(rotated) = &mut self.rotated else {
            return;
        };
        if rotated.open.read_new(lines) {
            rotated.quiet_since = now;
        } else if now.saturating_duration_since(rotated.quiet_since) >= DRAIN_GRACE {
            if let Some(rotated) = self.rotated.take() {
                self.let_go(rotated.open, lines);
            }
        }
    }

    /// Closes `open`, remembering where it was left.
    fn let_go(&mut self, mut open: Open, lines: &mut Vec<String>) {
        open.flush_partial(lines);
        if self.let_go.len() == REMEMBERED {
            self.let_go.pop_front();
        }
        self.let_go.push_back(Seen {
            id: open.id,
            head: open.head,
            pos: open.pos,
        });
    }

    /// Opens the file now at the path: a file already known goes on where
    /// it was; a new one starts at its beginning, or at its end if it is
    /// the one found at the first poll and the start is [`Start::End`].
    fn open_path(&mut self) -> Option<Open> {
        let file = File::open(&self.path).ok()?;
        let meta = file.metadata().ok()?;
        let id = file_id(&meta);
        if self.rotated.as_ref().is_some_and(|r| r.open.id == id) {
            return self.rotated.take().map(|r| r.open);
        }
        let mut open = Open::new(file, id);
        if let Some(i) = self.let_go.iter().position(|seen| seen.id == id) {
            if let Some(seen) = self.let_go.remove(i) {
                open.resume(seen, meta.len());
            }
        } else if self.first.take() == Some(id) {
            match self.start {
                Start::End => open.skip_to_end(meta.len()),
                Start::Beginning => self.backlog = Some((id, meta.len())),
            }
        }
        Some(open)
    }
}

impl Open {
    fn new(file: File, id: FileId) -> Self {
        Self {
            file,
            id,
            pos: 0,
            head: Vec::new(),
            partial: Vec::new(),
            skip_first: false,
        }
    }

    /// Starts at `len`, skipping the rest of a line being written.
    fn skip_to_end(&mut self, len: u64) {
        let mut last = Vec::new();
        let ends_a_line = len == 0
            || (self.read_at(len - 1, 1, &mut last).is_ok() && last.first() == Some(&b'\n'));
        self.pos = len;
        self.skip_first = !ends_a_line;
        let mut head = Vec::new();
        if self.read_at(0, HEAD.min(to_usize(len)), &mut head).is_ok() {
            self.head = head;
        }
    }

    /// Goes on from `seen` if this is still the same file (same first bytes, not shorter).
    fn resume(&mut self, seen: Seen, len: u64) {
        let mut head = Vec::new();
        let same = self.read_at(0, seen.head.len(), &mut head).is_ok() && head == seen.head;
        if same && len >= seen.pos {
            self.pos = seen.pos;
            self.head = seen.head;
        }
    }

    /// Reads what was added since the last call; true if anything was.
    fn read_new(&mut self, lines: &mut Vec<String>) -> bool {
        let Ok(meta) = self.file.metadata() else {
            return false;
        };
        if meta.len() < self.pos || self.head_changed() {
            // Truncated in place (and perhaps written again): from the top.
            self.pos = 0;
            self.head.clear();
            self.partial.clear();
            self.skip_first = false;
        }
        if meta.len() == self.pos {
            return false;
        }
        let mut buf = Vec::new();
        if self
            .read_at(self.pos, to_usize(READ_CHUNK), &mut buf)
            .is_err()
            || buf.is_empty()
        {
            return false;
        }
        if self.head.len() < HEAD && to_usize(self.pos) == self.head.len() {
            let room = HEAD - self.head.len();
            self.head.extend_from_slice(&buf[..room.min(buf.len())]);
        }
        self.pos += buf.len() as u64;
        self.split(&buf, lines);
        true
    }

    /// Whether the first bytes read are no longer the file's first bytes.
    fn head_changed(&mut self) -> bool {
        if self.head.is_empty() {
            return false;
        }
        let mut now = Vec::new();
        match self.read_at(0, self.head.len(), &mut now) {
            Ok(()) => now != self.head,
            Err(_) => false,
        }
    }

    fn read_at(&mut self, pos: u64, len: usize, out: &mut Vec<u8>) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(pos))?;
        (&self.file).take(len as u64).read_to_end(out)?;
        Ok(())
    }

    fn split(&mut self, buf: &[u8], lines: &mut Vec<String>) {
        for &byte in buf {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.partial);
                if std::mem::take(&mut self.skip_first) {
                    continue;
                }
                lines.push(
                    String::from_utf8_lossy(&line)
                        .trim_end_matches('\r')
                        .to_owned(),
                );
            } else if self.partial.len() < MAX_LINE {
                self.partial.push(byte);
            }
        }
    }

    fn flush_partial(&mut self, lines: &mut Vec<String>) {
        let line = std::mem::take(&mut self.partial);
        if !line.is_empty() && !std::mem::take(&mut self.skip_first) {
            lines.push(String::from_utf8_lossy(&line).into_owned());
        }
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn file_id_of_path(path: &Path) -> Option<FileId> {
    std::fs::metadata(path).ok().map(|m| file_id(&m))
}

#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    FileId(meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(meta: &std::fs::Metadata) -> FileId {
    // No inode: the creation time tells files apart.
    let created = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    FileId(created, 0)
}

#[cfg(test)]
mod tests;
