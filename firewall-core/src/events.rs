//! The most recent decisions, kept in a bounded ring for the monitors.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
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

/// Distinct sources whose drops are counted; past it, the least dropped
/// half is forgotten.
pub const MAX_DROP_SOURCES: usize = 10_000;

#[derive(Debug, Default)]
struct Ring {
    next_seq: u64,
    events: VecDeque<Event>,
    drops: DropCounts,
}

/// Drops per client address since recording was enabled, bounded to
/// [`MAX_DROP_SOURCES`] addresses.
#[derive(Debug, Default)]
struct DropCounts(HashMap<IpAddr, u64>);

impl DropCounts {
    fn add(&mut self, ip: IpAddr) {
        *self.0.entry(ip).or_insert(0) += 1;
        if self.0.len() > MAX_DROP_SOURCES {
            self.forget_least_dropped();
        }
    }

    /// Keeps the most dropped half (amortised: once per `MAX / 2` new sources).
    fn forget_least_dropped(&mut self) {
        let mut counts: Vec<u64> = self.0.values().copied().collect();
        let keep = MAX_DROP_SOURCES / 2;
        counts.select_nth_unstable_by(keep, |a, b| b.cmp(a));
        let threshold = counts[keep];
        self.0.retain(|_, count| *count > threshold);
    }

    fn top(&self, n: usize) -> Vec<(IpAddr, u64)> {
        let mut top: Vec<(IpAddr, u64)> = self.0.iter().map(|(ip, c)| (*ip, *c)).collect();
        top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(n);
        top
    }
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
                drops: DropCounts::default(),
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
        if event.action == Action::Drop {
            ring.drops.add(event.src.ip());
        }
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

    /// The sequence number of the latest event pushed (0 before the first).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::EventRing::new(8).last_seq(), 0);
    /// ```
    pub fn last_seq(&self) -> u64 {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next_seq
            - 1
    }

    /// The `n` sources with the most drops since recording was enabled,
    /// most first (ties by address). Every drop pushed is counted, also
    /// those the ring has since forgotten; sources are forgotten only when
    /// more than [`MAX_DROP_SOURCES`] are tracked, the least dropped first.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Action, Event, EventRing, Protocol};
    /// let ring = EventRing::new(1);
    /// ring.enable();
    /// for src in ["10.0.0.7:1", "10.0.0.7:2", "10.0.0.8:1"] {
    ///     ring.push(Event { seq: 0, time: std::time::SystemTime::now(), action: Action::Drop,
    ///         proto: Protocol::Tcp, src: src.parse().unwrap(),
    ///         dst: "127.0.0.1:5000".parse().unwrap(), reason: String::new() });
    /// }
    /// let top = ring.top_dropped(10);
    /// assert_eq!(top, [("10.0.0.7".parse().unwrap(), 2), ("10.0.0.8".parse().unwrap(), 1)]);
    /// ```
    pub fn top_dropped(&self, n: usize) -> Vec<(IpAddr, u64)> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drops
            .top(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drop_from(ring: &EventRing, ip: IpAddr) {
        ring.push(Event {
            seq: 0,
            time: SystemTime::now(),
            action: Action::Drop,
            proto: Protocol::Tcp,
            src: SocketAddr::new(ip, 1),
            dst: "127.0.0.1:5000".parse().unwrap(),
            reason: String::new(),
        });
    }

    #[test]
    fn drop_counts_stay_bounded_and_keep_the_heaviest_sources() {
        let ring = EventRing::new(16);
        ring.enable();
        let heavy: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..5 {
            drop_from(&ring, heavy);
        }
        for i in 0..(MAX_DROP_SOURCES as u32 * 3) {
            drop_from(&ring, IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)));
        }
        let inner = ring.inner.lock().unwrap();
        assert!(inner.drops.0.len() <= MAX_DROP_SOURCES);
        drop(inner);
        assert_eq!(ring.top_dropped(1), [(heavy, 5)]);
    }

    #[test]
    fn nothing_is_counted_until_enabled() {
        let ring = EventRing::new(16);
        drop_from(&ring, "192.0.2.1".parse().unwrap());
        assert!(ring.top_dropped(10).is_empty());
        assert_eq!(ring.last_seq(), 0);
    }
}
