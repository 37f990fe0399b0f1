//! The most recent decisions, kept in a bounded ring for the monitors.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::rule::{Action, Protocol};

/// One decision, as the monitors show it.
///
/// # Examples
///
/// ```
/// use firewall_core::{Action, Event, Protocol};
/// let e = Event { seq: 1, time: std::time::SystemTime::now(), action: Action::Allow, proto: Protocol::Tcp,
///     src: "127.0.0.1:1".parse().unwrap(), dst: "127.0.0.1:2".parse().unwrap(), reason: String::new() };
/// assert_eq!(e.seq, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Increasing number, unique for the life of the process.
    pub seq: u64,
    /// When it was decided.
    pub time: SystemTime,
    /// The verdict.
    pub action: Action,
    /// The packet's protocol.
    pub proto: Protocol,
    /// Client endpoint.
    pub src: SocketAddr,
    /// Local endpoint.
    pub dst: SocketAddr,
    /// Why, as in the log line after ` - ` (empty for a plain ALLOW). Raw: escape it for display.
    pub reason: String,
}

/// A bounded ring of the latest events; recording is off until a monitor turns it on.
///
/// # Examples
///
/// ```
/// let ring = firewall_core::EventRing::new(2);
/// ring.enable();
/// assert!(ring.recent(0).is_empty());
/// ```
#[derive(Debug)]
pub struct EventRing {
    enabled: AtomicBool,
    capacity: usize,
    inner: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    next_seq: u64,
    events: VecDeque<Event>,
}

impl EventRing {
    /// A ring that keeps the last `capacity` events.
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_core::EventRing::new(1000);
    /// ```
    pub fn new(capacity: usize) -> Self {
        Self {
            enabled: AtomicBool::new(false),
            capacity: capacity.max(1),
            inner: Mutex::new(Ring {
                next_seq: 1,
                events: VecDeque::new(),
            }),
        }
    }

    /// Starts recording (a monitor calls this when it attaches).
    ///
    /// # Examples
    ///
    /// ```
    /// let ring = firewall_core::EventRing::new(8);
    /// ring.enable();
    /// assert!(ring.is_enabled());
    /// ```
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    /// Whether events are being recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!firewall_core::EventRing::new(8).is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Records an event (its `seq` is assigned here) if recording is on.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Action, Event, EventRing, Protocol};
    /// let ring = EventRing::new(8);
    /// ring.enable();
    /// ring.push(Event { seq: 0, time: std::time::SystemTime::now(), action: Action::Drop, proto: Protocol::Tcp,
    ///     src: "127.0.0.1:1".parse().unwrap(), dst: "127.0.0.1:2".parse().unwrap(), reason: "x".into() });
    /// assert_eq!(ring.recent(0)[0].seq, 1);
    /// ```
    pub fn push(&self, mut event: Event) {
        if !self.is_enabled() {
            return;
        }
        let mut ring = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        event.seq = ring.next_seq;
        ring.next_seq += 1;
        if ring.events.len() == self.capacity {
            ring.events.pop_front();
        }
        ring.events.push_back(event);
    }

    /// Events with `seq > after`, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::EventRing::new(8).recent(0).is_empty());
    /// ```
    pub fn recent(&self, after: u64) -> Vec<Event> {
        let ring = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        ring.events
            .iter()
            .filter(|e| e.seq > after)
            .cloned()
            .collect()
    }
}
