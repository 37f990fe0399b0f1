//! The shared logger: the seed's format, to `<app name>_firewall.log` and the console.
//!
//! ```text
//! 2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.
//! 2026-01-11 11:07:39,364 [INFO] ACL ALLOW: [TCP] 127.0.0.1:62286 -> 127.0.0.1:5000
//! ```
//!
//! Every crate logs through the [`log`] facade; [`init`] installs one fern
//! dispatch that formats each record and hands the line to a writer thread,
//! so a request never waits on the disk or the terminal. Lines are never
//! dropped: the buffer is unbounded, [`LogHandle::flush`] waits until all
//! lines sent so far are written, and dropping the handle flushes.
//!
//! The per-request lines of the firewall (ACL and WAF decisions) take a
//! shorter road to the same writer once [`init`] has run: they are written
//! into the line buffer by hand (no `format_args!`, no `Display` per field)
//! and skip fern's dispatch, which would do nothing more with them. The level
//! filter, the file, the console and the text are the same; with another
//! logger installed they go through the [`log`] facade like any record.
//!
//! Every message is passed through [`escape()`] before it is written, so a CR,
//! LF or ANSI escape that came from a client can neither forge a line nor
//! drive the terminal.
//!
//! ```no_run
//! use firewall_core::logger::{self, LogConfig};
//! let log = logger::init(LogConfig::new("myapp"))?; // writes ./myapp_firewall.log
//! log::warn!("something happened");
//! log.flush();
//! # Ok::<(), firewall_core::logger::LoggerError>(())
//! ```

mod addr;
mod clock;
mod escape;
mod line;
mod writer;

use std::cell::RefCell;
use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use log::{Level, LevelFilter};

pub use escape::escape;
pub(crate) use line::push_endpoints;
pub use line::AclLine;
use writer::Writer;

/// Where and what to log.
///
/// # Examples
///
/// ```
/// use firewall_core::logger::LogConfig;
/// let config = LogConfig::new("shop").dir("/var/log").console(false);
/// assert_eq!(config.path(), std::path::Path::new("/var/log/shop_firewall.log"));
/// ```
#[derive(Debug, Clone)]
pub struct LogConfig {
    app_name: String,
    dir: PathBuf,
    console: bool,
    level: LevelFilter,
}

impl LogConfig {
    /// Logs to `./<app_name>_firewall.log` and the console (stderr), at INFO.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_core::logger::LogConfig::new("app");
    /// ```
    pub fn new(app_name: impl Into<String>) -> Self {
        Self {
            app_name: app_name.into(),
            dir: PathBuf::from("."),
            console: true,
            level: LevelFilter::Info,
        }
    }

    /// The folder of the log file.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_core::logger::LogConfig::new("app").dir("logs");
    /// ```
    #[must_use]
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// Whether lines also go to the console (stderr).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_core::logger::LogConfig::new("app").console(false);
    /// ```
    #[must_use]
    pub fn console(mut self, on: bool) -> Self {
        self.console = on;
        self
    }

    /// The least severe level written; `Warn` leaves out ALLOW lines.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_core::logger::LogConfig::new("app").level(log::LevelFilter::Warn);
    /// ```
    #[must_use]
    pub fn level(mut self, level: LevelFilter) -> Self {
        self.level = level;
        self
    }

    /// The log file: `<dir>/<app name>_firewall.log`.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = firewall_core::logger::LogConfig::new("app");
    /// assert!(c.path().ends_with("app_firewall.log"));
    /// ```
    pub fn path(&self) -> PathBuf {
        self.dir.join(format!("{}_firewall.log", self.app_name))
    }
}

/// Why the logger could not start.
///
/// # Examples
///
/// ```
/// use firewall_core::logger::{self, LogConfig};
/// let err = logger::init(LogConfig::new("../etc/passwd")).unwrap_err();
/// assert!(err.to_string().contains("app name"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoggerError {
    /// The app name cannot be part of a file name.
    #[error("invalid app name `{0}`: use letters, digits, `_`, `-` and `.` (not first)")]
    InvalidAppName(String),
    /// The log file could not be opened.
    #[error("cannot open the log file {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A logger for another file is already installed in this process.
    #[error("a logger is already installed in this process, writing to {}", path.display())]
    AlreadyInstalled {
        /// The file the installed logger writes.
        path: PathBuf,
    },
}

/// The running logger. Flushes when dropped; keep it alive for the life of `main`.
///
/// # Examples
///
/// ```no_run
/// let log = firewall_core::logger::init(firewall_core::logger::LogConfig::new("app"))?;
/// log.flush();
/// # Ok::<(), firewall_core::logger::LoggerError>(())
/// ```
#[derive(Debug)]
pub struct LogHandle {
    path: PathBuf,
}

impl LogHandle {
    /// The file being written.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let log = firewall_core::logger::init(firewall_core::logger::LogConfig::new("app"))?;
    /// println!("logging to {}", log.path().display());
    /// # Ok::<(), firewall_core::logger::LoggerError>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits until every line logged before this call is written to the file.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let log = firewall_core::logger::init(firewall_core::logger::LogConfig::new("app"))?;
    /// log::info!("hello");
    /// log.flush(); // "hello" is in app_firewall.log now
    /// # Ok::<(), firewall_core::logger::LoggerError>(())
    /// ```
    pub fn flush(&self) {
        flush();
    }
}

impl Drop for LogHandle {
    fn drop(&mut self) {
        flush();
    }
}

struct Installed {
    path: PathBuf,
    level: LevelFilter,
    writer: Writer,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Installs the logger for this process and starts its writer thread.
///
/// Calling it again with the same file returns another handle to the same
/// logger; with another file it is an error (the `log` facade has one logger).
///
/// # Errors
///
/// [`LoggerError`]: a bad app name, a file that cannot be opened, or another
/// logger already installed.
///
/// # Examples
///
/// ```no_run
/// let _log = firewall_core::logger::init(firewall_core::logger::LogConfig::new("app"))?;
/// # Ok::<(), firewall_core::logger::LoggerError>(())
/// ```
pub fn init(config: LogConfig) -> Result<LogHandle, LoggerError> {
    static INIT: Mutex<()> = Mutex::new(());
    check_app_name(&config.app_name)?;
    let path = config.path();
    let LogConfig {
        console,
        level,
        app_name,
        ..
    } = config;
    drop(app_name);
    let _serial = INIT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(installed) = INSTALLED.get() {
        return if installed.path == path {
            Ok(LogHandle { path })
        } else {
            Err(LoggerError::AlreadyInstalled {
                path: installed.path.clone(),
            })
        };
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|source| LoggerError::Open {
            path: path.clone(),
            source,
        })?;
    let writer = Writer::spawn(file, console).map_err(|source| LoggerError::Open {
        path: path.clone(),
        source,
    })?;
    let line_writer = writer.clone();
    fern::Dispatch::new()
        .level(level)
        .chain(fern::Output::call(move |record| {
            format_line(
                record.level(),
                |line| {
                    let message = line.len();
                    let _ = write!(line, "{}", record.args());
                    message
                },
                |line| line_writer.append(line),
            );
        }))
        .apply()
        .map_err(|_| LoggerError::AlreadyInstalled {
            path: PathBuf::from("(a logger not installed by firewall-core)"),
        })?;
    let _ = INSTALLED.set(Installed {
        path: path.clone(),
        level,
        writer,
    });
    Ok(LogHandle { path })
}

/// Formats one line of the seed's format into a per-thread buffer (no
/// allocation per line): the time, the level, the message `write_message`
/// writes, escaped from where it says, a newline; and hands it to `emit`.
fn format_line(
    level: Level,
    write_message: impl FnOnce(&mut Vec<u8>) -> usize,
    emit: impl FnOnce(&[u8]),
) {
    thread_local! {
        static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    let format = |line: &mut Vec<u8>| {
        line.clear();
        clock::push_now(line);
        line.extend_from_slice(b" [");
        line.extend_from_slice(level_name(level).as_bytes());
        line.extend_from_slice(b"] ");
        let message = line.len();
        let foreign = write_message(line);
        escape::escape_from(line, foreign.max(message));
        line.push(b'\n');
        emit(line);
    };
    LINE.with(|line| match line.try_borrow_mut() {
        Ok(mut line) => format(&mut line),
        // A message whose `Display` logs: give the inner line its own buffer.
        Err(_) => format(&mut Vec::new()),
    });
}

/// A log message that writes itself into the line buffer without `fmt`.
/// Its [`Display`](fmt::Display) writes the same text ([`display_raw`]).
pub(crate) trait RawMessage: fmt::Display {
    /// Appends the message as UTF-8, unescaped, and returns where in `out`
    /// the text that does not come from this crate (a rule's description,
    /// request data) starts: the logger escapes from there on. Everything
    /// before it must be printable ASCII written here (names, addresses).
    fn write_raw(&self, out: &mut Vec<u8>) -> usize;
}

/// [`fmt::Display`] for a [`RawMessage`]: the text `write_raw` writes.
pub(crate) fn display_raw(message: &impl RawMessage, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut text = Vec::with_capacity(128);
    let _ = message.write_raw(&mut text);
    f.write_str(&String::from_utf8_lossy(&text))
}

/// Logs `message` at `level` with the target `firewall`: by hand into the
/// writer when this module's logger is installed, else through [`log`].
pub(crate) fn log_firewall(level: Level, message: &impl RawMessage) {
    if level > log::STATIC_MAX_LEVEL || level > log::max_level() {
        return;
    }
    match INSTALLED.get() {
        Some(installed) if level <= installed.level => format_line(
            level,
            |line| message.write_raw(line),
            |line| installed.writer.append(line),
        ),
        Some(_) => {}
        None => log::log!(target: "firewall", level, "{message}"),
    }
}

/// Waits until every line logged so far is written (no-op before [`init`]).
///
/// # Examples
///
/// ```
/// firewall_core::logger::flush();
/// ```
pub fn flush() {
    if let Some(installed) = INSTALLED.get() {
        installed.writer.flush();
    }
}

fn check_app_name(name: &str) -> Result<(), LoggerError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(LoggerError::InvalidAppName(name.to_owned()))
    }
}

/// The level as Python's logging names it (`WARNING`, not `WARN`).
///
/// # Examples
///
/// ```
/// assert_eq!(firewall_core::logger::level_name(log::Level::Warn), "WARNING");
/// ```
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warn => "WARNING",
        Level::Info => "INFO",
        Level::Debug => "DEBUG",
        Level::Trace => "TRACE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_that_leave_the_folder_are_refused() {
        for bad in ["", ".hidden", "a/b", "..", "a b", "x\n"] {
            assert!(check_app_name(bad).is_err(), "{bad:?}");
        }
        for good in ["app", "my-app_2", "svc.v1"] {
            assert!(check_app_name(good).is_ok(), "{good:?}");
        }
    }
}
