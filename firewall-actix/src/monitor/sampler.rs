//! The monitor's view of the firewall, refreshed once per interval by one task:
//! request rate, top blocked sources and process use. Pages and API calls
//! only read it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use firewall_core::{Action, Firewall};

use super::api::{
    EventJson, EventsJson, ProcessJson, ReportJson, RuleJson, SourceCount, StatsJson, MAX_EVENTS,
};
use super::process::ProcessSample;

/// Sources tracked for "top blocked"; beyond this the least blocked are forgotten.
const MAX_SOURCES: usize = 10_000;
/// Sources listed in [`StatsJson::top_blocked`].
const TOP: usize = 10;

/// Shared, sampled state of one monitor.
#[derive(Debug)]
pub(crate) struct Sampler {
    fw: Arc<Firewall>,
    started: Instant,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    last_seq: u64,
    last_total: u64,
    last_at: Instant,
    rate: f64,
    blocked: HashMap<IpAddr, u64>,
    process: Option<ProcessSample>,
    cpu_percent: Option<f64>,
}

impl Sampler {
    /// Starts watching `fw`: turns its event ring on.
    pub(crate) fn new(fw: Arc<Firewall>) -> Self {
        fw.events().enable();
        let stats = fw.stats();
        let now = Instant::now();
        Self {
            state: Mutex::new(State {
                last_seq: 0,
                last_total: stats.allowed + stats.dropped,
                last_at: now,
                rate: 0.0,
                blocked: HashMap::new(),
                process: ProcessSample::read(),
                cpu_percent: None,
            }),
            fw,
            started: now,
        }
    }

    /// The firewall watched.
    pub(crate) fn firewall(&self) -> &Firewall {
        &self.fw
    }

    /// Takes in the decisions made since the last tick and samples rate and process use.
    pub(crate) fn tick(&self) {
        let events = self.fw.events().recent(self.lock().last_seq);
        let snapshot = self.fw.stats();
        let process = ProcessSample::read();
        let mut state = self.lock();
        for event in &events {
            if event.action == Action::Drop {
                *state.blocked.entry(event.src.ip()).or_insert(0) += 1;
            }
        }
        if let Some(last) = events.last() {
            state.last_seq = last.seq;
        }
        forget_least_blocked(&mut state.blocked);
        let now = Instant::now();
        let total = snapshot.allowed + snapshot.dropped;
        let secs = now.duration_since(state.last_at).as_secs_f64();
        if secs > 0.0 {
            #[allow(clippy::cast_precision_loss)] // per-interval deltas are small
            let delta = total.saturating_sub(state.last_total) as f64;
            state.rate = delta / secs;
        }
        state.last_total = total;
        state.last_at = now;
        if let (Some(new), Some(old)) = (process, state.process) {
            state.cpu_percent = Some(new.cpu_percent_since(&old));
        }
        if process.is_some() {
            state.process = process;
        }
    }

    /// `/api/stats`.
    pub(crate) fn stats(&self) -> StatsJson {
        let snapshot = self.fw.stats();
        let state = self.lock();
        let mut top: Vec<SourceCount> = state
            .blocked
            .iter()
            .map(|(ip, count)| SourceCount {
                src: ip.to_string(),
                count: *count,
            })
            .collect();
        top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.src.cmp(&b.src)));
        top.truncate(TOP);
        StatsJson {
            app: self.fw.name().to_owned(),
            allowed: snapshot.allowed,
            dropped: snapshot.dropped,
            rate_per_sec: state.rate,
            uptime_secs: self.started.elapsed().as_secs(),
            process: ProcessJson {
                cpu_percent: state.cpu_percent,
                rss_bytes: state.process.map(|p| p.rss_bytes),
            },
            top_blocked: top,
            last_seq: state.last_seq,
        }
    }

    /// `/api/rules`.
    pub(crate) fn rules(&self) -> Vec<RuleJson> {
        self.fw
            .stats()
            .rules
            .iter()
            .enumerate()
            .map(|(i, hits)| RuleJson::new(i, hits))
            .collect()
    }

    /// `/api/events?after=SEQ`: at most [`MAX_EVENTS`], the newest ones.
    pub(crate) fn events(&self, after: u64) -> EventsJson {
        let all = self.fw.events().recent(after);
        let skip = all.len().saturating_sub(MAX_EVENTS);
        let events: Vec<EventJson> = all[skip..].iter().map(EventJson::from).collect();
        let last_seq = events.last().map_or(after, |e| e.seq);
        EventsJson { events, last_seq }
    }

    /// `/api/report`.
    pub(crate) fn report(&self) -> ReportJson {
        ReportJson {
            generated_at: super::api::format_time(std::time::SystemTime::now()),
            stats: self.stats(),
            rules: self.rules(),
            recent_events: self
                .fw
                .events()
                .recent(0)
                .iter()
                .map(EventJson::from)
                .collect(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Keeps the map bounded: past [`MAX_SOURCES`], keeps the most blocked half.
fn forget_least_blocked(blocked: &mut HashMap<IpAddr, u64>) {
    if blocked.len() <= MAX_SOURCES {
        return;
    }
    let mut counts: Vec<u64> = blocked.values().copied().collect();
    let keep = MAX_SOURCES / 2;
    counts.select_nth_unstable_by(keep, |a, b| b.cmp(a));
    let threshold = counts[keep];
    blocked.retain(|_, count| *count > threshold);
}

#[cfg(test)]
mod tests {
    use super::*;
    use firewall_core::{Packet, Rule, ALLOW, ANY, TCP};

    fn firewall() -> Arc<Firewall> {
        let fw = Firewall::new("sampler")
            .with_rules(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app").unwrap()])
            .unwrap();
        Arc::new(fw)
    }

    fn send(fw: &Firewall, src: &str, port: u16) {
        let dst = format!("127.0.0.1:{port}").parse().unwrap();
        fw.check(&Packet::tcp(src.parse().unwrap(), dst));
    }

    #[test]
    fn top_blocked_counts_drops_by_source_ip_most_first() {
        let fw = firewall();
        let sampler = Sampler::new(fw.clone());
        send(&fw, "10.0.0.1:1000", 22);
        send(&fw, "10.0.0.2:1000", 22);
        send(&fw, "10.0.0.2:1001", 23);
        send(&fw, "10.0.0.3:1000", 5000); // allowed: not counted
        sampler.tick();
        let top = sampler.stats().top_blocked;
        let top: Vec<(&str, u64)> = top.iter().map(|s| (s.src.as_str(), s.count)).collect();
        assert_eq!(top, [("10.0.0.2", 2), ("10.0.0.1", 1)]);
        assert_eq!(sampler.stats().last_seq, 4);
    }

    #[test]
    fn events_after_a_seq_are_the_newer_ones() {
        let fw = firewall();
        let sampler = Sampler::new(fw.clone());
        send(&fw, "10.0.0.1:1000", 5000);
        send(&fw, "10.0.0.1:1001", 22);
        let later = sampler.events(1);
        assert_eq!(later.events.len(), 1);
        assert_eq!(later.events[0].action, "DROP");
        assert_eq!(later.last_seq, 2);
        assert_eq!(sampler.events(2).last_seq, 2);
    }

    #[test]
    fn the_rate_is_decisions_per_second_between_ticks() {
        let fw = firewall();
        let sampler = Sampler::new(fw.clone());
        std::thread::sleep(std::time::Duration::from_millis(50));
        for port in 0..10 {
            send(&fw, "10.0.0.1:1000", 5000 + port);
        }
        sampler.tick();
        let rate = sampler.stats().rate_per_sec;
        assert!(rate > 0.0 && rate < 10.0 / 0.05 + 1.0, "{rate}");
    }

    #[test]
    fn the_source_map_stays_bounded() {
        let mut map: HashMap<IpAddr, u64> = (0..=MAX_SOURCES as u32)
            .map(|i| (IpAddr::from(i.to_be_bytes()), u64::from(i % 7)))
            .collect();
        forget_least_blocked(&mut map);
        assert!(map.len() <= MAX_SOURCES / 2 + 1, "{}", map.len());
        assert!(map.values().all(|&c| c >= 4));
    }
}
