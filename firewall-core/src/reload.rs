//! Reloading the rules file while the server runs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crate::firewall::Firewall;

/// Watches a TOML rules file and reloads it into a firewall when it changes.
///
/// A file that fails to load is reported at ERROR (file, line, field, value)
/// and the rules (and WAF) in force stay. A `[waf]` table in the file
/// replaces the WAF too (see [`Firewall::reload_file`]). Stops when dropped.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use firewall_core::{Firewall, RulesWatcher};
/// let fw = Firewall::new("app");
/// fw.reload_file("rules.toml")?;
/// let _watcher = RulesWatcher::spawn(&fw, "rules.toml", Duration::from_secs(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RulesWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RulesWatcher {
    /// Checks `path` every `interval` (size and modification time) and reloads on change.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let fw = firewall_core::Firewall::new("app");
    /// let watcher = firewall_core::RulesWatcher::spawn(&fw, "missing.toml", Duration::from_millis(50));
    /// drop(watcher); // stops the thread
    /// ```
    pub fn spawn(firewall: &Firewall, path: impl Into<PathBuf>, interval: Duration) -> Self {
        let firewall = firewall.clone();
        let path = path.into();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("firewall-rules-watcher".into())
            .spawn(move || {
                let mut seen = stamp(&path);
                while !flag.load(Ordering::Relaxed) {
                    std::thread::park_timeout(interval);
                    let now = stamp(&path);
                    if now != seen && now.is_some() {
                        seen = now;
                        let _ = firewall.reload_file(&path);
                    }
                }
            })
            .ok();
        Self { stop, thread }
    }
}

impl Drop for RulesWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn stamp(path: &PathBuf) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}
