//! The shared logger: the seed's format, to `<app name>_firewall.log` and the console.
//!
//! ```text
//! 2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.
//! 2026-01-11 11:07:39,364 [INFO] ACL ALLOW: [TCP] 127.0.0.1:62286 -> 127.0.0.1:5000
//! ```
//!
//! Every crate logs through the [`log`] facade. The file holds the
//! firewall's lines only, those whose target is one of [`TARGETS`]: the
//! per-request lines (target [`TARGET`]) and the messages of the firewall's
//! crates. Other crates' lines (actix-server's `starting 2 workers`, the
//! app's own) are left out unless [`LogConfig::other_crates`] asks for them.
//! The console (stderr, on by default) gets the same lines as the file.
//!
//! # Setting it up
//!
//! - An app with no logger of its own calls [`init`] (or
//!   `Firewall::init_logger`), which installs the firewall's output as the
//!   process's logger.
//! - An app with its own fern setup chains the [`fern::Dispatch`] that
//!   [`dispatch`] returns into it; its other outputs keep every line they
//!   had, the firewall's included.
//! - An app using another `log` logger (`env_logger`'s `Logger`,
//!   `tracing-log`'s `LogTracer` for `tracing`) chains that logger, boxed as a
//!   `Box<dyn log::Log>`, beside the firewall's dispatch in a
//!   `fern::Dispatch` and applies that one, instead of installing its
//!   logger directly. [`init`] refuses to replace a logger already
//!   installed ([`LoggerError::OtherLogger`]).
//!
//! ```no_run
//! use firewall_core::logger::{self, LogConfig};
//! // Firewall lines to ./shop_firewall.log; everything, at INFO, to stdout.
//! let (firewall_output, log) = logger::dispatch(LogConfig::new("shop").console(false))?;
//! fern::Dispatch::new()
//!     .chain(firewall_output)
//!     .chain(
//!         fern::Dispatch::new()
//!             .level(log::LevelFilter::Info)
//!             .format(|out, message, record| out.finish(format_args!("{} {message}", record.target())))
//!             .chain(std::io::stdout()),
//!     )
//!     .apply()?;
//! log::info!("to stdout only");
//! log.flush();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Under stress
//!
//! A request never waits on the disk or the terminal: each line is put in a
//! queue of bounded size ([`LogConfig::queue_capacity`]) that a writer thread
//! empties in batches. When the file or the console blocks (a stalled disk,
//! a paused terminal) and the queue is full, lines are **dropped and
//! counted**, never waited for: a firewall that waited would let whoever
//! can slow its disk stall every request. Nothing is lost silently: as soon
//! as the writer catches up, right after the last line written before the
//! gap, it writes
//!
//! ```text
//! 2026-01-11 10:52:46,996 [WARNING] Firewall log: 1234 lines dropped (queue full)
//! ```
//!
//! (whatever the level), and [`stats`] counts the dropped lines for the
//! monitors. [`LogHandle::flush`] waits until all lines sent so far are
//! written, and dropping the handle flushes.
//!
//! # Rotation
//!
//! After `mv app_firewall.log app_firewall.log.1` (or `rm`) the writer opens
//! the path again at its next check, at most once per
//! [`LogConfig::rotation_check`] (one second by default, one `stat`); lines
//! logged in between end the moved file. The file is opened in append mode,
//! so after a copy-and-truncate (`logrotate`'s `copytruncate`) new lines
//! start the truncated file, with no hole.
//!
//! # JSON lines
//!
//! With [`LogConfig::format`]`(`[`LogFormat::Json`]`)`, or the environment
//! variable `FIREWALL_LOG_FORMAT=json` ([`FORMAT_ENV`]) when the code does
//! not choose, each line is one JSON object (the text stays the default):
//!
//! ```text
//! {"@timestamp":"2026-01-11T10:52:46.996+01:00","log.level":"WARNING","log.logger":"firewall","message":"ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.","event.kind":"event","event.category":["network"],"event.type":["connection","denied"],"event.module":"firewall","event.dataset":"firewall.acl","event.action":"drop","event.reason":"No matching allow rule.","network.transport":"tcp","source.ip":"192.168.29.83","source.port":62075,"destination.ip":"127.0.0.1","destination.port":5000,"rule.ruleset":"acl","ecs.version":"8.11.0"}
//! ```
//!
//! The names are those of the Elastic Common Schema, written flat and
//! dotted as the ecs-logging libraries write them:
//!
//! | field | holds |
//! |---|---|
//! | `@timestamp` | local time, milliseconds and offset (RFC 3339) |
//! | `log.level`, `log.logger` | `INFO`/`WARNING`/`ERROR`, the `log` target |
//! | `message` | the text line's message, unescaped (the JSON encoder escapes it) |
//! | `event.dataset` | the kind: `firewall.acl`, `firewall.waf` (`firewall.rate`, `firewall.ban`, ...) |
//! | `event.action` | `allow`, `drop`, `detect` |
//! | `event.kind`, `event.category`, `event.type` | ECS categorisation: `event`/`alert`, `network`/`intrusion_detection`, `allowed`/`denied`/`info` |
//! | `event.reason` | the text after ` - ` of a drop or detection |
//! | `network.transport` | `tcp` or `udp` |
//! | `source.ip`, `source.port`, `destination.ip`, `destination.port` | the endpoints (an IPv6 scope id is left out) |
//! | `rule.ruleset` | `acl` or `waf` |
//! | `rule.id` | the ACL rule's 1-based position, or the WAF signature's id |
//! | `rule.description` | the ACL rule's description |
//! | `rule.category`, `firewall.waf.family` | the WAF family (`SQL injection`, `sqli`) |
//! | `firewall.waf.location`, `firewall.waf.score` | where the signature matched, the anomaly score |
//!
//! Every string, client text included, is escaped by `serde_json`'s encoder
//! (and bidi controls and line separators as `\uXXXX`), so it can never
//! close its string, forge another object or start another line. A message
//! without fields of its own (a reload notice) gets the common fields, and
//! `event.dataset`/`event.action` when it starts with `KIND ACTION:`.
//! Lines that reach the file through [`dispatch`] instead of [`init`] come
//! through the `log` facade as text: they carry the common fields and
//! those read from that prefix only.
//!
//! # Escaping and speed
//!
//! Every message is passed through [`escape()`] before it is written, so a CR,
//! LF or ANSI escape that came from a client can neither forge a line nor
//! drive the terminal.
//!
//! The per-request lines of the firewall (ACL and WAF decisions) take a
//! shorter road to the same writer once [`init`] has installed this
//! module's logger: they are written into the line buffer by hand (no
//! `format_args!`, no `Display` per field) and skip fern's dispatch, which
//! would do nothing more with them. The level filter, the file, the console
//! and the text are the same; with another logger installed (or after
//! [`dispatch`]) they go through the [`log`] facade like any record.
//!
//! ```no_run
//! use firewall_core::logger::{self, LogConfig};
//! let log = logger::init(LogConfig::new("myapp"))?; // writes ./myapp_firewall.log
//! log::warn!(target: logger::TARGET, "something happened");
//! log.flush();
//! # Ok::<(), firewall_core::logger::LoggerError>(())
//! ```

mod addr;
mod clock;
mod config;
mod escape;
mod file;
mod json;
mod line;
mod writer;

use std::cell::RefCell;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use log::{Level, LevelFilter};

pub use config::{
    LogConfig, LogFormat, DEFAULT_QUEUE_CAPACITY, DEFAULT_ROTATION_CHECK, FORMAT_ENV,
};
pub use escape::escape;
pub(crate) use json::{push_endpoints as push_json_endpoints, JsonObject};
pub(crate) use line::push_endpoints;
pub use line::AclLine;
use writer::Writer;

/// The `log` target of the firewall's per-request lines (ACL and WAF decisions).
///
/// # Examples
///
/// ```
/// assert_eq!(firewall_core::logger::TARGET, "firewall");
/// ```
pub const TARGET: &str = "firewall";

/// The `log` targets written to the firewall's file: [`TARGET`] and the
/// modules of the firewall's crates (`firewall_core::engine`, ...). A target
/// matches when it is one of these or starts with one followed by `::`.
///
/// # Examples
///
/// ```
/// assert!(firewall_core::logger::TARGETS.contains(&"firewall_actix"));
/// ```
pub const TARGETS: [&str; 3] = [TARGET, "firewall_core", "firewall_actix"];

/// Whether a record with this target is one of the firewall's ([`TARGETS`]).
///
/// # Examples
///
/// ```
/// use firewall_core::logger::is_firewall_target;
/// assert!(is_firewall_target("firewall"));
/// assert!(is_firewall_target("firewall_core::engine"));
/// assert!(!is_firewall_target("actix_server::builder"));
/// assert!(!is_firewall_target("firewall_demo"));
/// ```
pub fn is_firewall_target(target: &str) -> bool {
    TARGETS.iter().any(|name| {
        target
            .strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
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
        source: std::io::Error,
    },
    /// The firewall's logger already writes another file in this process.
    #[error("a logger is already installed in this process, writing to {}", path.display())]
    AlreadyInstalled {
        /// The file the installed logger writes.
        path: PathBuf,
    },
    /// Another logger (`env_logger`, `tracing-log`, the app's fern setup) is
    /// the process's logger: [`init`] does not replace it.
    #[error(
        "another logger is already installed in this process: chain \
         firewall_core::logger::dispatch() into the app's fern::Dispatch instead of calling init()"
    )]
    OtherLogger,
    /// The environment variable [`FORMAT_ENV`] names no [`LogFormat`].
    #[error("invalid log format: {0}")]
    Format(String),
}

/// What the logger's queue holds and has dropped, for monitors.
///
/// # Examples
///
/// ```no_run
/// let log = firewall_core::logger::init(firewall_core::logger::LogConfig::new("app"))?;
/// let stats = log.stats();
/// assert!(stats.queued_bytes <= stats.queue_capacity);
/// println!("{} lines dropped", stats.dropped_lines);
/// # Ok::<(), firewall_core::logger::LoggerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogStats {
    /// Lines dropped because the queue was full, since the logger started.
    pub dropped_lines: u64,
    /// Bytes of lines waiting for the writer now.
    pub queued_bytes: usize,
    /// The most bytes the queue holds ([`LogConfig::queue_capacity`]).
    pub queue_capacity: usize,
    /// Lines handed to the file since the logger started (the dropped
    /// notices included).
    pub written_lines: u64,
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

    /// Waits until every line logged before this call is written to the
    /// file (at most 10 seconds when the file or the console blocks).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let log = firewall_core::logger::init(firewall_core::logger::LogConfig::new("app"))?;
    /// log::info!(target: firewall_core::logger::TARGET, "hello");
    /// log.flush(); // "hello" is in app_firewall.log now
    /// # Ok::<(), firewall_core::logger::LoggerError>(())
    /// ```
    pub fn flush(&self) {
        flush();
    }

    /// The queue's fill and the lines dropped so far (see [`stats`]).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let log = firewall_core::logger::init(firewall_core::logger::LogConfig::new("app"))?;
    /// assert_eq!(log.stats().dropped_lines, 0);
    /// # Ok::<(), firewall_core::logger::LoggerError>(())
    /// ```
    pub fn stats(&self) -> LogStats {
        stats().unwrap_or(LogStats {
            dropped_lines: 0,
            queued_bytes: 0,
            queue_capacity: 0,
            written_lines: 0,
        })
    }
}

impl Drop for LogHandle {
    fn drop(&mut self) {
        flush();
    }
}

struct Installed {
    path: PathBuf,
    writer: Writer,
    format: LogFormat,
    /// The level of the logger [`init`] installed, once it has: the
    /// per-request lines then go straight to the writer.
    direct: OnceLock<LevelFilter>,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();
/// Serialises [`init`] and [`dispatch`], so one writer starts.
static SETUP: Mutex<()> = Mutex::new(());

/// Installs the firewall's output (see [`dispatch`]) as the process's
/// logger and starts its writer thread: the one-line setup for an app
/// without a logger of its own.
///
/// Calling it again with the same file returns another handle to the same
/// logger; with another file it is an error (the `log` facade has one logger).
///
/// # Errors
///
/// [`LoggerError`]: a bad app name, a file that cannot be opened, the
/// firewall's logger writing another file, or another logger installed
/// ([`LoggerError::OtherLogger`]: use [`dispatch`]).
///
/// # Examples
///
/// ```no_run
/// let _log = firewall_core::logger::init(firewall_core::logger::LogConfig::new("app"))?;
/// # Ok::<(), firewall_core::logger::LoggerError>(())
/// ```
// By value, as it always was: callers write `init(LogConfig::new(..).dir(..))`.
#[allow(clippy::needless_pass_by_value)]
pub fn init(config: LogConfig) -> Result<LogHandle, LoggerError> {
    let _serial = SETUP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let installed = start(&config)?;
    if installed.direct.get().is_none() {
        file_dispatch(installed, &config)
            .apply()
            .map_err(|_| LoggerError::OtherLogger)?;
        let _ = installed.direct.set(config.level);
    }
    Ok(LogHandle {
        path: installed.path.clone(),
    })
}

/// The firewall's output as a [`fern::Dispatch`] for an app to chain into
/// its own logger setup, and the handle of its writer (started here).
///
/// The dispatch takes the records of the firewall's [`TARGETS`] (all
/// records with [`LogConfig::other_crates`]) at the configured level, and
/// writes them in the seed's format, escaped, to the file (and the console
/// if configured). Chain it where no `format` of the app applies (a
/// parent's `format` would rewrite the message before it arrives).
///
/// Calling it again with the same file reuses the writer (the console,
/// queue and rotation settings of the first call hold); with another file
/// it is an error.
///
/// # Errors
///
/// [`LoggerError`]: a bad app name, a file that cannot be opened, or the
/// firewall's logger writing another file.
///
/// # Examples
///
/// ```no_run
/// use firewall_core::logger::{self, LogConfig};
/// let (firewall_output, log) = logger::dispatch(LogConfig::new("shop"))?;
/// fern::Dispatch::new()
///     .chain(firewall_output)
///     .chain(fern::Dispatch::new().level(log::LevelFilter::Warn).chain(std::io::stderr()))
///     .apply()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
// By value, as it always was: callers write `init(LogConfig::new(..).dir(..))`.
#[allow(clippy::needless_pass_by_value)]
pub fn dispatch(config: LogConfig) -> Result<(fern::Dispatch, LogHandle), LoggerError> {
    let _serial = SETUP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let installed = start(&config)?;
    let handle = LogHandle {
        path: installed.path.clone(),
    };
    Ok((file_dispatch(installed, &config), handle))
}

/// The installed writer for `config`'s file, started on the first call.
fn start(config: &LogConfig) -> Result<&'static Installed, LoggerError> {
    check_app_name(&config.app_name)?;
    let path = config.path();
    if let Some(installed) = INSTALLED.get() {
        return if installed.path == path {
            Ok(installed)
        } else {
            Err(LoggerError::AlreadyInstalled {
                path: installed.path.clone(),
            })
        };
    }
    let format = config
        .resolved_format(|name| std::env::var(name).ok())
        .map_err(LoggerError::Format)?;
    let open_error = |source| LoggerError::Open {
        path: path.clone(),
        source,
    };
    let file = file::LogFile::open(&path, config.rotation_check).map_err(open_error)?;
    let json = format == LogFormat::Json;
    let writer =
        Writer::spawn(file, config.console, config.queue_capacity, json).map_err(open_error)?;
    Ok(INSTALLED.get_or_init(|| Installed {
        path,
        writer,
        format,
        direct: OnceLock::new(),
    }))
}

/// The dispatch that formats the firewall's records into the writer.
fn file_dispatch(installed: &'static Installed, config: &LogConfig) -> fern::Dispatch {
    let mut dispatch = fern::Dispatch::new().level(config.level);
    if !config.other_crates {
        dispatch = dispatch.filter(|metadata| is_firewall_target(metadata.target()));
    }
    dispatch.chain(fern::Output::call(move |record| {
        let write_message = |line: &mut Vec<u8>| {
            let message = line.len();
            let _ = write!(line, "{}", record.args());
            message
        };
        let emit = |line: &[u8]| installed.writer.append(line);
        match installed.format {
            LogFormat::Text => format_line(record.level(), write_message, emit),
            LogFormat::Json => format_json_line(
                record.level(),
                record.target(),
                write_message,
                json::kind_and_action,
                emit,
            ),
        }
    }))
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

/// One JSON line (see [JSON lines](self#json-lines)) into a per-thread
/// buffer: the fields every line has, `message` being what `write_message`
/// writes, then those `fields` adds (given the message), and hands it to `emit`.
fn format_json_line(
    level: Level,
    target: &str,
    write_message: impl FnOnce(&mut Vec<u8>) -> usize,
    fields: impl FnOnce(&mut JsonObject<'_>, &str),
    emit: impl FnOnce(&[u8]),
) {
    thread_local! {
        static BUFFERS: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    }
    let format = |(line, message): &mut (Vec<u8>, Vec<u8>)| {
        message.clear();
        let _ = write_message(message);
        let message = String::from_utf8_lossy(message);
        line.clear();
        let mut object = json::begin_line(line, level, target, &message);
        fields(&mut object, &message);
        json::end_line(object);
        emit(line);
    };
    BUFFERS.with(|buffers| match buffers.try_borrow_mut() {
        Ok(mut buffers) => format(&mut buffers),
        Err(_) => format(&mut (Vec::new(), Vec::new())),
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

    /// Adds the message's facts to its JSON line, which already holds the
    /// time, level, logger and `message` (the text [`write_raw`](Self::write_raw)
    /// wrote, given here). By default `event.dataset` and `event.action`
    /// read from the message's `KIND ACTION:` prefix, so every message
    /// gets a valid JSON line; a message overrides it to add its fields.
    fn write_json_fields(&self, message: &str, out: &mut JsonObject<'_>) {
        json::kind_and_action(out, message);
    }
}

/// [`fmt::Display`] for a [`RawMessage`]: the text `write_raw` writes.
pub(crate) fn display_raw(message: &impl RawMessage, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut text = Vec::with_capacity(128);
    let _ = message.write_raw(&mut text);
    f.write_str(&String::from_utf8_lossy(&text))
}

/// Logs `message` at `level` with the target [`TARGET`]: by hand into the
/// writer when [`init`] installed this module's logger, else through [`log`].
pub(crate) fn log_firewall(level: Level, message: &impl RawMessage) {
    if level > log::STATIC_MAX_LEVEL || level > log::max_level() {
        return;
    }
    let direct = INSTALLED
        .get()
        .and_then(|installed| Some((installed, *installed.direct.get()?)));
    match direct {
        Some((installed, filter)) if level <= filter => match installed.format {
            LogFormat::Text => format_line(
                level,
                |line| message.write_raw(line),
                |line| installed.writer.append(line),
            ),
            LogFormat::Json => format_json_line(
                level,
                TARGET,
                |line| message.write_raw(line),
                |object, text| message.write_json_fields(text, object),
                |line| installed.writer.append(line),
            ),
        },
        Some(_) => {}
        None => log::log!(target: TARGET, level, "{message}"),
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

/// The queue's fill and the lines dropped since the firewall's writer
/// started; `None` before [`init`] or [`dispatch`].
///
/// # Examples
///
/// ```
/// if let Some(stats) = firewall_core::logger::stats() {
///     println!("{} firewall log lines dropped", stats.dropped_lines);
/// }
/// ```
pub fn stats() -> Option<LogStats> {
    INSTALLED.get().map(|installed| LogStats {
        dropped_lines: installed.writer.dropped_total(),
        queued_bytes: installed.writer.queued_bytes(),
        queue_capacity: installed.writer.capacity(),
        written_lines: installed.writer.written_total(),
    })
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
