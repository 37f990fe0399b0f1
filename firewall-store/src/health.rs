//! Whether Redis answers: the switch to degraded mode and back, logged once
//! each way, and the state the monitors show.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use firewall_core::logger::TARGET;
use tokio::sync::Notify;

pub use firewall_core::store::StoreState;

/// The shared health of one Redis store.
#[derive(Debug)]
pub(crate) struct Health {
    url: String,
    degraded: AtomicBool,
    since: Mutex<Option<SystemTime>>,
    last_rtt_ns: AtomicU64,
    outages: AtomicU64,
    /// Wakes the probe when the store turns degraded.
    pub(crate) wake_probe: Notify,
}

impl Health {
    pub(crate) fn new(url: String) -> Self {
        Self {
            url,
            degraded: AtomicBool::new(false),
            since: Mutex::new(None),
            last_rtt_ns: AtomicU64::new(u64::MAX),
            outages: AtomicU64::new(0),
            wake_probe: Notify::new(),
        }
    }

    /// Whether calls skip Redis for now: one atomic load.
    pub(crate) fn is_degraded(&self) -> bool {
        self.degraded.load(Ordering::Acquire)
    }

    /// Records a call that succeeded in `rtt`.
    pub(crate) fn answered(&self, rtt: Duration) {
        let ns = u64::try_from(rtt.as_nanos()).unwrap_or(u64::MAX - 1);
        self.last_rtt_ns.store(ns, Ordering::Relaxed);
    }

    /// Records a call that failed (`why`): the first failure switches to
    /// degraded mode, logs one WARNING and wakes the probe; later ones do
    /// nothing.
    pub(crate) fn failed(&self, why: &str) {
        if self
            .degraded
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        *self.since.lock().unwrap_or_else(PoisonError::into_inner) = Some(SystemTime::now());
        self.outages.fetch_add(1, Ordering::Relaxed);
        log::warn!(
            target: TARGET,
            "Store: Redis at {} not answering ({why}): limits fall back to the in-process limiter \
             (fail-closed limits refuse), bans keep the last known set",
            self.url
        );
        self.wake_probe.notify_one();
    }

    /// Records that Redis answers again: logs one INFO if it was degraded.
    pub(crate) fn recovered(&self, rtt: Duration) {
        self.answered(rtt);
        if self
            .degraded
            .compare_exchange(true, false, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let since = self
            .since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let down = since
            .and_then(|s| s.elapsed().ok())
            .map_or_else(String::new, |d| format!(" after {:.1}s", d.as_secs_f64()));
        log::info!(
            target: TARGET,
            "Store: Redis at {} answering again{down}: limits and bans shared again",
            self.url
        );
    }

    pub(crate) fn state(&self) -> StoreState {
        let rtt = self.last_rtt_ns.load(Ordering::Relaxed);
        StoreState {
            backend: "redis",
            url: self.url.clone(),
            connected: !self.is_degraded(),
            degraded_since: *self.since.lock().unwrap_or_else(PoisonError::into_inner),
            last_rtt: (rtt != u64::MAX).then(|| Duration::from_nanos(rtt)),
            outages: self.outages.load(Ordering::Relaxed),
        }
    }
}
