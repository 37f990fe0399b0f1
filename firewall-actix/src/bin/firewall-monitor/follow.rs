//! Follows a log file like `tail -F`: survives the file not existing yet,
//! being truncated, and being rotated (renamed and recreated).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// On attach, at most this much of the existing file's end is read.
const BACKLOG_BYTES: u64 = 4 * 1024 * 1024;
/// A line longer than this is cut (a log line never is; garbage might be).
const MAX_LINE: usize = 64 * 1024;

/// What the follower is doing, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    /// The file does not exist (yet).
    Waiting,
    /// Reading it.
    Following,
}

/// A `tail -F` of one file.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    file: Option<Open>,
    partial: Vec<u8>,
    first_open: bool,
    skip_to_next_line: bool,
}

#[derive(Debug)]
struct Open {
    file: File,
    pos: u64,
    id: FileId,
}

/// Identity of a file across renames (device and inode on Unix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId(u64, u64);

impl Follower {
    /// Follows `path`; nothing is read until [`poll`](Self::poll).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            file: None,
            partial: Vec::new(),
            first_open: true,
            skip_to_next_line: false,
        }
    }

    /// Whether the file is open.
    pub fn state(&self) -> FollowState {
        if self.file.is_some() {
            FollowState::Following
        } else {
            FollowState::Waiting
        }
    }

    /// The complete lines written since the last call (lossy UTF-8).
    pub fn poll(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(open) = &mut self.file {
            let replaced = file_id_of_path(&self.path) != Some(open.id);
            self.read_new(&mut lines);
            if replaced {
                self.file = None; // rotated or deleted: the rest was drained above
                self.flush_partial(&mut lines);
            }
        }
        if self.file.is_none() && self.open().is_ok() {
            self.read_new(&mut lines);
        }
        lines
    }

    fn open(&mut self) -> io::Result<()> {
        let mut file = File::open(&self.path)?;
        let meta = file.metadata()?;
        let mut pos = 0;
        if self.first_open && meta.len() > BACKLOG_BYTES {
            pos = meta.len() - BACKLOG_BYTES;
            file.seek(SeekFrom::Start(pos))?;
            self.skip_to_next_line = true;
        }
        self.first_open = false;
        self.file = Some(Open {
            file,
            pos,
            id: file_id(&meta),
        });
        Ok(())
    }

    fn read_new(&mut self, lines: &mut Vec<String>) {
        let Some(open) = &mut self.file else { return };
        let Ok(meta) = open.file.metadata() else {
            return;
        };
        if meta.len() < open.pos {
            // Truncated in place: start again from the top.
            open.pos = 0;
            self.partial.clear();
        }
        if open.file.seek(SeekFrom::Start(open.pos)).is_err() {
            return;
        }
        let mut buf = Vec::new();
        if let Ok(n) = (&open.file).take(BACKLOG_BYTES).read_to_end(&mut buf) {
            open.pos += n as u64;
        }
        self.split(&buf, lines);
    }

    fn split(&mut self, buf: &[u8], lines: &mut Vec<String>) {
        for &byte in buf {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.partial);
                if std::mem::take(&mut self.skip_to_next_line) {
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
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            lines.push(String::from_utf8_lossy(&line).into_owned());
        }
    }
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
    // No inode: a rotation shows as the file getting shorter (handled as truncation).
    let created = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    FileId(created, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn waits_for_a_missing_file_then_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app_firewall.log");
        let mut follower = Follower::new(&path);
        assert!(follower.poll().is_empty());
        assert_eq!(follower.state(), FollowState::Waiting);
        append(&path, "one\ntwo\n");
        assert_eq!(follower.poll(), ["one", "two"]);
        assert_eq!(follower.state(), FollowState::Following);
    }

    #[test]
    fn a_partial_line_waits_for_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        append(&path, "first\nsec");
        let mut follower = Follower::new(&path);
        assert_eq!(follower.poll(), ["first"]);
        append(&path, "ond\r\n");
        assert_eq!(follower.poll(), ["second"]);
    }

    #[test]
    fn truncation_starts_again_from_the_top() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        append(&path, "old line one\nold line two\n");
        let mut follower = Follower::new(&path);
        assert_eq!(follower.poll().len(), 2);
        std::fs::write(&path, "new\n").unwrap();
        assert_eq!(follower.poll(), ["new"]);
    }

    #[test]
    fn rotation_drains_the_old_file_then_follows_the_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        append(&path, "before\n");
        let mut follower = Follower::new(&path);
        assert_eq!(follower.poll(), ["before"]);
        append(&path, "last of old\n");
        std::fs::rename(&path, dir.path().join("a.log.1")).unwrap();
        append(&path, "first of new\n");
        assert_eq!(follower.poll(), ["last of old", "first of new"]);
        append(&path, "more\n");
        assert_eq!(follower.poll(), ["more"]);
    }

    #[test]
    fn deletion_goes_back_to_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        append(&path, "x\n");
        let mut follower = Follower::new(&path);
        follower.poll();
        std::fs::remove_file(&path).unwrap();
        assert!(follower.poll().is_empty());
        assert_eq!(follower.state(), FollowState::Waiting);
    }

    #[test]
    fn invalid_utf8_is_kept_lossily() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"bad \xff byte\n").unwrap();
        assert_eq!(Follower::new(&path).poll(), ["bad \u{fffd} byte"]);
    }
}
