//! The log file, reopened when it is moved or removed (log rotation).
//!
//! `logrotate` rotates a file in one of two ways, and both are followed:
//!
//! - **move and create** (`mv app_firewall.log app_firewall.log.1`): at most
//!   once per check interval, before a write, the writer compares the file
//!   it holds with the file the path names now (device and inode, one
//!   `stat`); when the path names another file or none, it opens (creates)
//!   the path again, as nginx does on `USR1`. Lines written between the move
//!   and the next check land at the end of the moved file, none is lost.
//! - **copy and truncate** (`copytruncate`): the file is opened with
//!   `O_APPEND`, so every write lands at the current end of the file, at
//!   the start after a truncation, and leaves no hole of NUL bytes.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An append-only file at a path, reopened when the path stops naming it.
pub(crate) struct LogFile {
    path: PathBuf,
    file: File,
    check_every: Duration,
    checked: Instant,
}

impl LogFile {
    /// Opens (creates) `path` for appending; the path is checked again at
    /// most once per `check_every` (`Duration::ZERO`: before every write).
    pub(crate) fn open(path: &Path, check_every: Duration) -> io::Result<Self> {
        Ok(Self {
            path: path.to_path_buf(),
            file: open_append(path)?,
            check_every,
            checked: Instant::now(),
        })
    }

    /// Reopens the path when it was moved or removed and the interval has passed.
    fn follow_rotation(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.checked) < self.check_every {
            return;
        }
        self.checked = now;
        if self.still_at_path() {
            return;
        }
        match open_append(&self.path) {
            Ok(file) => self.file = file,
            Err(err) => eprintln!(
                "firewall log: {} was moved or removed and cannot be created again \
                 (still writing to the moved file): {err}",
                self.path.display()
            ),
        }
    }

    /// Whether the path still names the open file; `true` when it cannot tell.
    fn still_at_path(&self) -> bool {
        match fs::metadata(&self.path) {
            Ok(at_path) => self
                .file
                .metadata()
                .map_or(true, |open| same_file(&at_path, &open)),
            Err(err) => err.kind() != io::ErrorKind::NotFound,
        }
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Without inodes, only a removed file is noticed.
#[cfg(not(unix))]
fn same_file(_: &Metadata, _: &Metadata) -> bool {
    true
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.follow_rotation();
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
