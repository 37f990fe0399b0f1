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
//! dropped: the channel is unbounded, [`LogHandle::flush`] waits until all
//! lines sent so far are written, and dropping the handle flushes.
//!
//! Every message is passed through [`escape`] before it is written, so a CR,
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

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use log::{Level, LevelFilter};

use crate::packet::Packet;
use crate::rule::{Action, Rule};
use crate::ruleset::Decision;

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

enum Message {
    Line(String),
    Flush(mpsc::SyncSender<()>),
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
    sender: mpsc::Sender<Message>,
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
    let (sender, receiver) = mpsc::channel();
    let line_sender = sender.clone();
    fern::Dispatch::new()
        .level(level)
        .format(|out, message, record| {
            out.finish(format_args!(
                "{} [{}] {}",
                chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f"),
                level_name(record.level()),
                Escaped(message)
            ));
        })
        .chain(fern::Output::call(move |record| {
            let line = format!("{}\n", record.args());
            // The writer thread lives as long as the process: send cannot fail.
            let _ = line_sender.send(Message::Line(line));
        }))
        .apply()
        .map_err(|_| LoggerError::AlreadyInstalled {
            path: PathBuf::from("(a logger not installed by firewall-core)"),
        })?;
    std::thread::Builder::new()
        .name("firewall-log-writer".into())
        .spawn(move || write_lines(&receiver, file, console))
        .map_err(|source| LoggerError::Open {
            path: path.clone(),
            source,
        })?;
    let _ = INSTALLED.set(Installed {
        path: path.clone(),
        sender,
    });
    Ok(LogHandle { path })
}

/// Waits until every line logged so far is written (no-op before [`init`]).
///
/// # Examples
///
/// ```
/// firewall_core::logger::flush();
/// ```
pub fn flush() {
    let Some(installed) = INSTALLED.get() else {
        return;
    };
    let (ack, done) = mpsc::sync_channel(1);
    let sent = installed.sender.send(Message::Flush(ack));
    if sent.is_ok() {
        let _ = done.recv_timeout(Duration::from_secs(10));
    }
}

/// The writer thread: write what arrives, flush whenever the queue runs dry.
fn write_lines(receiver: &mpsc::Receiver<Message>, file: File, console: bool) {
    let mut file = BufWriter::with_capacity(64 * 1024, file);
    let mut console = console.then(|| BufWriter::new(io::stderr()));
    let mut acks = Vec::new();
    while let Ok(first) = receiver.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Line(line) => {
                    report_io(file.write_all(line.as_bytes()));
                    if let Some(out) = console.as_mut() {
                        let _ = out.write_all(line.as_bytes());
                    }
                }
                Message::Flush(ack) => acks.push(ack),
            }
            next = receiver.try_recv().ok();
        }
        report_io(file.flush());
        if let Some(out) = console.as_mut() {
            let _ = out.flush();
        }
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

fn report_io(result: io::Result<()>) {
    if let Err(err) = result {
        eprintln!("firewall log: cannot write the log file: {err}");
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

/// Makes text safe for one log line: control characters (CR, LF, ESC, …),
/// Unicode bidi controls and backslashes are written as escapes
/// (`\r`, `\n`, `\x1b`, `\u{202e}`, `\\`). Borrows when nothing needs escaping.
///
/// # Examples
///
/// ```
/// use firewall_core::logger::escape;
/// assert_eq!(escape("/a\r\nFAKE [INFO] x"), "/a\\r\\nFAKE [INFO] x");
/// assert_eq!(escape("\x1b[31mred"), "\\x1b[31mred");
/// assert_eq!(escape("plain"), "plain");
/// ```
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c == '\\'
        || c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if needs_escape(c) && (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Formats its argument through [`escape`] without an intermediate string when clean.
struct Escaped<'a>(&'a fmt::Arguments<'a>);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_str() {
            Some(s) => f.write_str(&escape(s)),
            None => f.write_str(&escape(&self.0.to_string())),
        }
    }
}

/// The message of an ACL decision, as the seed writes it:
/// `ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.`
///
/// IPv6 endpoints are bracketed (`[::1]:5000`) so the port stays readable.
/// A drop by an explicit rule names the rule (1-based) and its description.
///
/// # Examples
///
/// ```
/// use firewall_core::{logger::AclLine, Action, Decision, Packet};
/// let packet = Packet::tcp("192.168.29.83:62075".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
/// let line = AclLine { packet: &packet, decision: Decision { action: Action::Drop, rule: None }, rule: None };
/// assert_eq!(line.to_string(), "ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AclLine<'a> {
    /// The packet decided.
    pub packet: &'a Packet,
    /// The decision.
    pub decision: Decision,
    /// The rule that decided, if any.
    pub rule: Option<&'a Rule>,
}

impl AclLine<'_> {
    /// The text after ` - `, or `None` for an ALLOW.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{logger::AclLine, Action, Decision, Packet};
    /// let packet = Packet::tcp("[::1]:1".parse().unwrap(), "[::1]:5000".parse().unwrap());
    /// let line = AclLine { packet: &packet, decision: Decision { action: Action::Drop, rule: None }, rule: None };
    /// assert_eq!(line.reason().as_deref(), Some("No matching allow rule."));
    /// ```
    pub fn reason(&self) -> Option<String> {
        if self.decision.action == Action::Allow {
            return None;
        }
        Some(match (self.decision.rule, self.rule) {
            (Some(index), Some(rule)) if !rule.desc.is_empty() => {
                format!("Matched rule #{}: {}", index + 1, escape(&rule.desc))
            }
            (Some(index), _) => format!("Matched rule #{}.", index + 1),
            (None, _) => "No matching allow rule.".to_owned(),
        })
    }
}

impl fmt::Display for AclLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ACL {}: [{}] {} -> {}",
            self.decision.action, self.packet.proto, self.packet.src, self.packet.dst
        )?;
        match self.reason() {
            Some(reason) => write!(f, " - {reason}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_forge_or_colour_a_line() {
        assert_eq!(escape("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(escape("\u{85}"), "\\x85");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
        assert_eq!(escape("tab\there"), "tab\\there");
        assert!(matches!(escape("/ok/path?q=1"), Cow::Borrowed(_)));
    }

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
