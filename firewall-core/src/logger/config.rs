//! What the logger writes, where, and how it behaves under stress.

use std::path::PathBuf;
use std::time::Duration;

use log::LevelFilter;

/// The queue's capacity unless [`LogConfig::queue_capacity`] says otherwise:
/// 8 MiB, about 80,000 lines of the seed's format.
pub const DEFAULT_QUEUE_CAPACITY: usize = 8 * 1024 * 1024;

/// How often the file's path is checked for rotation unless
/// [`LogConfig::rotation_check`] says otherwise.
pub const DEFAULT_ROTATION_CHECK: Duration = Duration::from_secs(1);

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
