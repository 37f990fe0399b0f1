//! What the logger writes, where, and how it behaves under stress.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use log::LevelFilter;

/// The queue's capacity unless [`LogConfig::queue_capacity`] says otherwise:
/// 8 MiB, about 80,000 lines of the seed's format.
pub const DEFAULT_QUEUE_CAPACITY: usize = 8 * 1024 * 1024;

/// How often the file's path is checked for rotation unless
/// [`LogConfig::rotation_check`] says otherwise.
pub const DEFAULT_ROTATION_CHECK: Duration = Duration::from_secs(1);

/// The environment variable that chooses the [`LogFormat`] (`text` or
/// `json`) when the code does not ([`LogConfig::format`]).
///
/// # Examples
///
/// ```
/// assert_eq!(firewall_core::logger::FORMAT_ENV, "FIREWALL_LOG_FORMAT");
/// ```
pub const FORMAT_ENV: &str = "FIREWALL_LOG_FORMAT";

/// How each line is written.
///
/// # Examples
///
/// ```
/// use firewall_core::logger::LogFormat;
/// assert_eq!("json".parse::<LogFormat>(), Ok(LogFormat::Json));
/// assert_eq!(LogFormat::Text.to_string(), "text");
/// assert!("xml".parse::<LogFormat>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LogFormat {
    /// The seed's text line (the default):
    /// `2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] ...`.
    #[default]
    Text,
    /// One JSON object per line, with Elastic Common Schema field names
    /// (see [the module docs](super#json-lines)).
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    /// `text` or `json`, in any case; anything else is an error naming the value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(format!(
                "unknown log format `{}` (use `text` or `json`)",
                s.escape_debug()
            )),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Json => "json",
        })
    }
}

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
    pub(super) app_name: String,
    pub(super) dir: PathBuf,
    pub(super) console: bool,
    pub(super) level: LevelFilter,
    pub(super) other_crates: bool,
    pub(super) queue_capacity: usize,
    pub(super) rotation_check: Duration,
    pub(super) format: Option<LogFormat>,
}

impl LogConfig {
    /// Logs the firewall's lines to `./<app_name>_firewall.log` and the
    /// console (stderr), at INFO, with the default queue and rotation check.
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
            other_crates: false,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            rotation_check: DEFAULT_ROTATION_CHECK,
            format: None,
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

    /// Whether lines also go to the console (stderr): the same lines as the file.
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

    /// Whether the lines of other crates (actix-server's, the app's own)
    /// are written too. Off by default: the file holds only the lines of
    /// the firewall's [`TARGETS`](super::TARGETS).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_core::logger::LogConfig::new("app").other_crates(true);
    /// ```
    #[must_use]
    pub fn other_crates(mut self, on: bool) -> Self {
        self.other_crates = on;
        self
    }

    /// The most bytes of lines waiting for the writer
    /// ([`DEFAULT_QUEUE_CAPACITY`] by default). When the file or the
    /// console cannot keep up and the queue is full, lines are dropped and
    /// counted, and a notice with the count is written as soon as the
    /// writer catches up (see [the module docs](super)). Memory stays under
    /// twice this size.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_core::logger::LogConfig::new("app").queue_capacity(1 << 20);
    /// ```
    #[must_use]
    pub fn queue_capacity(mut self, bytes: usize) -> Self {
        self.queue_capacity = bytes;
        self
    }

    /// How often, at most, the writer checks that the path still names the
    /// file it writes, and reopens it after a rotation
    /// ([`DEFAULT_ROTATION_CHECK`] by default; `Duration::ZERO` checks
    /// before every write, one `stat` each).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let _ = firewall_core::logger::LogConfig::new("app").rotation_check(Duration::from_millis(200));
    /// ```
    #[must_use]
    pub fn rotation_check(mut self, every: Duration) -> Self {
        self.rotation_check = every;
        self
    }

    /// The line format. Without this call the environment variable
    /// [`FORMAT_ENV`] (`FIREWALL_LOG_FORMAT=json`) decides, and without it
    /// the seed's text ([`LogFormat::Text`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::logger::{LogConfig, LogFormat};
    /// let _ = LogConfig::new("app").format(LogFormat::Json);
    /// ```
    #[must_use]
    pub fn format(mut self, format: LogFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// The format in force: the one [`format`](Self::format) set, else the
    /// value of [`FORMAT_ENV`] (`env` is how it is read), else text.
    pub(super) fn resolved_format(
        &self,
        env: impl FnOnce(&str) -> Option<String>,
    ) -> Result<LogFormat, String> {
        match (self.format, env(FORMAT_ENV)) {
            (Some(format), _) => Ok(format),
            (None, Some(value)) => value.parse().map_err(|err| format!("{FORMAT_ENV}: {err}")),
            (None, None) => Ok(LogFormat::Text),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_wins_over_the_environment_which_wins_over_text() {
        fn env(value: Option<&'static str>) -> impl FnOnce(&str) -> Option<String> {
            move |_| value.map(str::to_owned)
        }
        let plain = LogConfig::new("a");
        assert_eq!(plain.resolved_format(env(None)), Ok(LogFormat::Text));
        assert_eq!(
            plain.resolved_format(env(Some("JSON"))),
            Ok(LogFormat::Json)
        );
        assert_eq!(
            plain.resolved_format(env(Some(" text "))),
            Ok(LogFormat::Text)
        );
        let chosen = LogConfig::new("a").format(LogFormat::Text);
        assert_eq!(
            chosen.resolved_format(env(Some("json"))),
            Ok(LogFormat::Text)
        );
        assert_eq!(
            plain.resolved_format(env(Some("yaml\n"))),
            Err(
                "FIREWALL_LOG_FORMAT: unknown log format `yaml\\n` (use `text` or `json`)"
                    .to_owned()
            )
        );
    }
}
