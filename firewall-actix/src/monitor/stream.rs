//! Where one live stream stands: the decisions its next message brings, the
//! `id:` it sends, and the gap it reports when it cannot bring them all.

use std::time::SystemTime;

use firewall_core::EventRing;

use super::api::{format_time, EventJson, GapJson, MAX_EVENTS};

/// A new stream (no `Last-Event-ID`, no `?after=`) starts this many decisions back.
const HISTORY: u64 = 50;

/// Messages sent back to back after a (re)connect to bring what the ring
/// holds after the resume point (the ring holds 1,000: 5 messages of 200).
const CATCH_UP_MESSAGES: u32 = 6;

/// The position of one stream in the event ring.
#[derive(Debug)]
pub(crate) struct StreamCursor {
    /// The `seq` of the last decision sent (or resumed after).
    after: u64,
    /// When that decision was made, when known.
    after_time: Option<SystemTime>,
    /// When the previous message was built (every decision up to `after`
    /// had been made by then).
    previous_message: Option<SystemTime>,
    /// Catch-up messages left: while more than [`MAX_EVENTS`] wait, they are
    /// sent oldest first without waiting for the interval.
    catch_up: u32,
}

/// The decisions of one message and the gap before them.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) events: Vec<EventJson>,
    pub(crate) gap: Option<GapJson>,
}

impl StreamCursor {
    /// A stream resuming after `resume` (`Last-Event-ID` or `?after=`), or
    /// starting [`HISTORY`] decisions back. A resume point ahead of the ring
    /// (the app restarted) starts at the newest decision.
    pub(crate) fn open(ring: &EventRing, resume: Option<u64>) -> Self {
        let last = ring.last_seq();
        let after = resume.map_or(last.saturating_sub(HISTORY), |seq| seq.min(last));
        let after_time = ring
            .recent(after.saturating_sub(1))
            .first()
            .filter(|e| e.seq == after)
            .map(|e| e.time);
        Self {
            after,
            after_time,
            previous_message: None,
            catch_up: CATCH_UP_MESSAGES,
        }
    }

    /// The `id:` of the message just built: the last `seq` it accounts for.
    pub(crate) fn id(&self) -> u64 {
        self.after
    }

    /// Whether the next message should be sent now rather than at the next interval.
    pub(crate) fn catching_up(&self) -> bool {
        self.catch_up > 0
    }

    /// The next message's decisions: after a (re)connect the oldest waiting
    /// first, so a resume is exact; then, each interval, the newest
    /// [`MAX_EVENTS`], the others counted in the gap.
    pub(crate) fn next_batch(&mut self, ring: &EventRing) -> Batch {
        let now = SystemTime::now();
        let previous_message = self.previous_message.replace(now);
        let waiting = ring.recent(self.after);
        let Some(first) = waiting.first() else {
            self.catch_up = 0;
            return Batch::default();
        };
        let lost = first.seq.saturating_sub(self.after + 1);
        let skip = if self.catching_up() {
            0
        } else {
            waiting.len().saturating_sub(MAX_EVENTS)
        };
        let sent = &waiting[skip..waiting.len().min(skip + MAX_EVENTS)];
        let count = lost + skip as u64;
        let gap = (count > 0).then(|| GapJson {
            count,
            since: if lost > 0 {
                self.after_time.or(previous_message)
            } else {
                Some(first.time)
            }
            .map(format_time),
        });
        if skip + sent.len() < waiting.len() {
            self.catch_up = self.catch_up.saturating_sub(1);
        } else {
            self.catch_up = 0;
        }
        if let Some(last) = sent.last() {
            self.after = last.seq;
            self.after_time = Some(last.time);
        }
        Batch {
            events: sent.iter().map(EventJson::from).collect(),
            gap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firewall_core::{Action, Event, Protocol};

    fn ring_with(n: u64) -> EventRing {
        let ring = EventRing::new(1000);
        ring.enable();
        push(&ring, n);
        ring
    }

    fn push(ring: &EventRing, n: u64) {
        for _ in 0..n {
            ring.push(Event {
                seq: 0,
                time: SystemTime::now(),
                action: Action::Drop,
                proto: Protocol::Tcp,
                src: "10.0.0.1:1".parse().unwrap(),
                dst: "127.0.0.1:5000".parse().unwrap(),
                reason: String::new(),
            });
        }
    }

    fn seqs(batch: &Batch) -> Vec<u64> {
        batch.events.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn a_new_stream_starts_fifty_back_and_a_resumed_one_right_after_its_id() {
        let ring = ring_with(80);
        let mut fresh = StreamCursor::open(&ring, None);
        assert_eq!(
            seqs(&fresh.next_batch(&ring)),
            (31..=80).collect::<Vec<_>>()
        );
        assert_eq!(fresh.id(), 80);
        let mut resumed = StreamCursor::open(&ring, Some(77));
        let batch = resumed.next_batch(&ring);
        assert_eq!((seqs(&batch), batch.gap), (vec![78, 79, 80], None));
        assert!(resumed.next_batch(&ring).events.is_empty());
        assert_eq!(resumed.id(), 80);
    }

    #[test]
    fn a_resume_id_ahead_of_the_ring_starts_at_the_newest_decision() {
        let ring = ring_with(3);
        let mut cursor = StreamCursor::open(&ring, Some(9_999));
        assert!(cursor.next_batch(&ring).events.is_empty());
        push(&ring, 1);
        assert_eq!(seqs(&cursor.next_batch(&ring)), [4]);
    }

    #[test]
    fn catching_up_brings_everything_the_ring_holds_then_counts_what_it_lost() {
        let ring = ring_with(1500); // the ring holds 501..=1500
        let mut cursor = StreamCursor::open(&ring, Some(100));
        let first = cursor.next_batch(&ring);
        let gap = first.gap.clone().unwrap();
        assert_eq!(gap.count, 400, "101..=500 are gone");
        assert_eq!(gap.since, None, "the ring no longer knows event 100");
        let mut got = seqs(&first);
        while cursor.catching_up() {
            let batch = cursor.next_batch(&ring);
            assert!(batch.gap.is_none());
            got.extend(seqs(&batch));
        }
        assert_eq!(got, (501..=1500).collect::<Vec<_>>());
    }

    #[test]
    fn live_bursts_past_the_cap_send_the_newest_and_count_the_rest() {
        let ring = ring_with(10);
        let mut cursor = StreamCursor::open(&ring, Some(10));
        assert!(cursor.next_batch(&ring).events.is_empty());
        assert!(!cursor.catching_up());
        push(&ring, 700);
        let batch = cursor.next_batch(&ring);
        assert_eq!(seqs(&batch), (511..=710).collect::<Vec<_>>());
        let gap = batch.gap.unwrap();
        assert_eq!(gap.count, 500);
        assert!(gap.since.is_some(), "the first one left out is still held");
        assert_eq!(cursor.id(), 710);
    }
}
