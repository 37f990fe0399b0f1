//! The monitor's view of the firewall, refreshed once per interval by one task:
//! request rate, top blocked sources, rate-limit refusals and process use.
//! Pages and API calls only read it.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use firewall_core::{Firewall, RuleHits};

use super::api::{
    EventJson, EventsJson, ProcessJson, ReportJson, RuleJson, SourceCount, StatsJson, MAX_EVENTS,
};
use super::process::ProcessSample;
use super::rule_pages::{self, RuleOrder};

/// Sources listed in [`StatsJson::top_blocked`].
const TOP: usize = 10;

/// Shared, sampled state of one monitor.
#[derive(Debug)]
pub(crate) struct Sampler {
    fw: Firewall,
    started: Instant,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    last_seq: u64,
    /// Rate-limit refusals among the events up to `last_seq`.
    rate_limited: u64,
    last_total: u64,
    last_at: Instant,
    rate: f64,
    process: Option<ProcessSample>,
    cpu_percent: Option<f64>,
}

impl Sampler {
    /// Starts watching `fw`: turns its event ring on.
    pub(crate) fn new(fw: Firewall) -> Self {
        fw.events().enable();
        let counters = fw.counters();
        let total = counters.allowed() + counters.dropped();
        let now = Instant::now();
        Self {
            state: Mutex::new(State {
                last_seq: fw.events().last_seq(),
                rate_limited: 0,
                last_total: total,
                last_at: now,
                rate: 0.0,
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

    /// Samples the latest sequence number, the rate-limit refusals among
    /// the new events, the rate and process use.
    pub(crate) fn tick(&self) {
        let after = self.lock().last_seq;
        let new = self.fw.events().recent(after);
        let last_seq = new.last().map_or(after, |e| e.seq);
        let refused = new.iter().filter(|e| is_rate_refusal(&e.reason)).count() as u64;
        let total = self.fw.counters().allowed() + self.fw.counters().dropped();
        let process = ProcessSample::read();
        let mut state = self.lock();
        state.last_seq = last_seq;
        state.rate_limited += refused;
        let now = Instant::now();
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

    /// `/api/stats`: counters only, whatever the number of rules.
    pub(crate) fn stats(&self) -> StatsJson {
        let counters = self.fw.counters();
        let state = self.lock();
        let top = self
            .fw
            .events()
            .top_dropped(TOP)
            .into_iter()
            .map(|(ip, count)| SourceCount {
                src: ip.to_string(),
                count,
            })
            .collect();
        StatsJson {
            app: self.fw.name().to_owned(),
            allowed: counters.allowed(),
            dropped: counters.dropped(),
            rate_per_sec: state.rate,
            uptime_secs: self.started.elapsed().as_secs(),
            process: ProcessJson {
                cpu_percent: state.cpu_percent,
                rss_bytes: state.process.map(|p| p.rss_bytes),
            },
            top_blocked: top,
            last_seq: state.last_seq,
            rate_limited: state.rate_limited,
            active_bans: self.fw.bans().len() as u64,
        }
    }

    /// One page of `/api/rules` and the number of rules in force: builds
    /// only the rules of the page.
    pub(crate) fn rules_page(
        &self,
        order: RuleOrder,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<RuleJson>) {
        let set = self.fw.rules();
        let hits = set.hits();
        let page = rule_pages::page(&hits, order, offset, limit)
            .into_iter()
            .filter_map(|i| {
                let rule = set.get(i)?;
                Some(RuleJson::new(
                    i,
                    &RuleHits {
                        rule,
                        hits: hits[i],
                    },
                ))
            })
            .collect();
        (hits.len(), page)
    }

    /// Every rule in order, for the audit report.
    fn all_rules(&self) -> Vec<RuleJson> {
        let set = self.fw.rules();
        set.iter()
            .zip(set.hits())
            .enumerate()
            .map(|(i, (rule, hits))| RuleJson::new(i, &RuleHits { rule, hits }))
            .collect()
    }

    /// `/api/events?after=SEQ`: at most [`MAX_EVENTS`], the newest ones; the
    /// others after `after` are counted in `skipped`.
    pub(crate) fn events(&self, after: u64) -> EventsJson {
        let ring = self.fw.events();
        let newest = ring.last_seq();
        let all = ring.recent(after);
        let skip = all.len().saturating_sub(MAX_EVENTS);
        let events: Vec<EventJson> = all[skip..].iter().map(EventJson::from).collect();
        let last_seq = events.last().map_or(after, |e| e.seq);
        let first_listed = events.first().map_or(newest + 1, |e| e.seq);
        EventsJson {
            events,
            last_seq,
            skipped: first_listed.saturating_sub(after + 1),
        }
    }

    /// `/api/report`.
    pub(crate) fn report(&self) -> ReportJson {
        ReportJson {
            generated_at: super::api::format_time(std::time::SystemTime::now()),
            stats: self.stats(),
            rules: self.all_rules(),
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

/// Whether an event's reason says a rate limit refused the request
/// (`RATE DROP: limit "login" 5/60s`, or after the ACL's verdict
/// `ACL ALLOW by rule #2, then RATE DROP: ...`). The page marks the same rows.
/// Only the head of the reason is read: the rest may quote the request.
pub(crate) fn is_rate_refusal(reason: &str) -> bool {
    let after_acl = reason
        .strip_prefix("ACL ALLOW by rule #")
        .map(|rest| rest.trim_start_matches(|c: char| c.is_ascii_digit()))
        .and_then(|rest| rest.strip_prefix(", then "));
    after_acl.unwrap_or(reason).starts_with("RATE DROP")
}

#[cfg(test)]
mod tests {
    use super::*;
    use firewall_core::{Packet, Rule, ALLOW, ANY, TCP};

    fn firewall() -> Firewall {
        Firewall::new("sampler")
            .with_rules(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app").unwrap()])
            .unwrap()
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
    fn top_blocked_is_exact_beyond_what_the_event_ring_keeps() {
        let fw = firewall();
        let sampler = Sampler::new(fw.clone());
        for i in 0..3000 {
            send(&fw, "10.0.0.9:1000", 22);
            if i % 3 == 0 {
                send(&fw, "10.0.0.8:1000", 22);
            }
        }
        sampler.tick();
        let top = sampler.stats().top_blocked;
        let top: Vec<(&str, u64)> = top.iter().map(|s| (s.src.as_str(), s.count)).collect();
        assert_eq!(top, [("10.0.0.9", 3000), ("10.0.0.8", 1000)]);
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
    fn rate_limit_refusals_are_counted_once_each() {
        let fw = firewall();
        let sampler = Sampler::new(fw.clone());
        let (src, dst) = (
            "203.0.113.7:5123".parse().unwrap(),
            "127.0.0.1:5000".parse().unwrap(),
        );
        let refused = "ACL ALLOW by rule #1, then RATE DROP: limit \"login\" 5/60s";
        fw.record_drop(firewall_core::Protocol::Tcp, src, dst, refused);
        fw.record_drop(
            firewall_core::Protocol::Tcp,
            src,
            dst,
            "RATE DROP: limit \"api\" 1/1s",
        );
        let quoted =
            "ACL ALLOW by rule #1, then WAF DROP: SQL injection in ARGS:q=, then RATE DROP";
        fw.record_drop(firewall_core::Protocol::Tcp, src, dst, quoted);
        send(&fw, "10.0.0.1:1000", 22);
        sampler.tick();
        assert_eq!(sampler.stats().rate_limited, 2);
        fw.record_drop(firewall_core::Protocol::Tcp, src, dst, refused);
        sampler.tick();
        sampler.tick();
        assert_eq!(sampler.stats().rate_limited, 3, "each refusal once");
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
}
