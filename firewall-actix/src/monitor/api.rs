//! The JSON shapes of the monitor API, shared by the web page and `firewall-monitor`.
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/stats` | [`StatsJson`] (its cost does not grow with the number of rules) |
//! | `GET /api/rules?offset=&limit=&order=` | one page of `[`[`RuleJson`]`, ...]`; the number of rules in `X-Total-Count` |
//! | `GET /api/events?after=SEQ` | [`EventsJson`]: decisions with `seq > SEQ`, oldest first (at most [`MAX_EVENTS`]) |
//! | `GET /api/events/stream` | Server-Sent Events: `id: SEQ` and one `data:` line of [`UpdateJson`] per message |
//! | `GET /api/report` | [`ReportJson`], as a download (`Content-Disposition: attachment`) |
//! | `GET /metrics` | the Prometheus metrics, in the text format (see [`crate::metrics`]) |
//! | `GET /api/bans?offset=&limit=` | one page of `[`[`BanJson`]`, ...]`, newest first; the number of bans in `X-Total-Count` |
//! | `POST /api/bans/unban` | body [`UnbanRequest`]: lifts the ban, answers the [`BanJson`] lifted |
//! | `POST /api/bans` | body [`BanRequest`]: bans an address, answers the [`BanJson`] made (201) |
//! | `GET /api/store` | [`StoreJson`]: where limits and bans are kept, and whether Redis answers |
//!
//! # Changing bans
//!
//! The two `POST` routes change state; nothing else does (a `GET` to them is
//! a 405). They are refused with 403 unless the monitor was started with a
//! token ([`MonitorConfig::token`](super::MonitorConfig::token)), which the
//! request must carry as for every route, and with 403 when the request has
//! an `Origin` header that is not the monitor's own (`http://` or `https://`
//! and the request's `Host`): a page elsewhere cannot make a browser that
//! holds the token change a ban. The body is JSON (`Content-Type:
//! application/json`, else 415). A bad address, duration or reason is a 400
//! that says what is wrong; an unban of a key not banned a 404; a ban of an
//! allowlisted address a 409. An unban is logged as an INFO
//! `UNBAN: 203.0.113.7 (lifted) after 10m: REASON; N requests refused while banned`, a
//! manual ban as `BAN: 203.0.113.7 for 1h until ... (manual): ...`, escaped.
//!
//! Strings are raw (not HTML-escaped): whoever displays them escapes them.
//! Times are local, in the log's format `2026-01-11 10:52:46,996`.
//!
//! # Rule pages
//!
//! `/api/rules` answers one page: `offset` (default 0) rules are passed over,
//! then at most `limit` are listed (default and most: [`MAX_RULES_PAGE`]).
//! `order=position` (the default) lists them in rule order; `order=hits` lists
//! the rules with hits first, most hits first (ties in rule order), then the
//! rules without hits in rule order. The header `X-Total-Count` gives the
//! number of rules in force. An unknown `order` or a non-number is a 400.
//!
//! # The live stream
//!
//! Each message of `/api/events/stream` carries `id: SEQ`, the `seq` of the
//! newest decision it brings (or of the one it continues after), so a browser
//! that reconnects sends it back as `Last-Event-ID` and the stream resumes
//! right after it: no decision twice, none missing while the monitor still
//! holds it (the latest 1,000). A new stream starts 50 decisions back (or
//! after `?after=SEQ`). A message brings at most [`MAX_EVENTS`] decisions:
//! when more were made in one interval, the newest are sent and
//! [`UpdateJson::gap`] counts the others, which the page shows as
//! "1,234 more since 10:52:46".
//!
//! ```json
//! {"app":"shop","allowed":12,"dropped":3,"rate_per_sec":1.5,"uptime_secs":42,
//!  "process":{"cpu_percent":0.7,"rss_bytes":10485760},
//!  "top_blocked":[{"src":"192.168.29.83","count":3}],"last_seq":15,
//!  "rate_limited":0,"active_bans":1}
//! ```

use std::time::SystemTime;

use firewall_core::ban::BanInfo;
use firewall_core::store::StoreState;
use firewall_core::{Event, RuleHits};
use serde::{Deserialize, Serialize};

/// At most this many events in one `/api/events` answer or stream message.
pub const MAX_EVENTS: usize = 200;

/// At most this many rules in one `/api/rules` page (also the default page size).
pub const MAX_RULES_PAGE: usize = 500;

/// At most this many bans in one `/api/bans` page (also the default page size).
pub const MAX_BANS_PAGE: usize = 500;

/// `GET /api/stats`: totals, rate, process use and top blocked sources.
///
/// # Examples
///
/// ```
/// use firewall_actix::monitor::api::StatsJson;
/// let text = r#"{"app":"a","allowed":1,"dropped":2,"rate_per_sec":0.5,"uptime_secs":3,
///   "process":{"cpu_percent":null,"rss_bytes":null},"top_blocked":[],"last_seq":3}"#;
/// let stats: StatsJson = serde_json::from_str(text)?;
/// assert_eq!(stats.dropped, 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsJson {
    /// The firewall's app name.
    pub app: String,
    /// Requests allowed since start.
    pub allowed: u64,
    /// Requests dropped since start.
    pub dropped: u64,
    /// Decisions per second over the last sampling interval.
    pub rate_per_sec: f64,
    /// Seconds since the monitor started.
    pub uptime_secs: u64,
    /// CPU and memory of the process serving the app.
    pub process: ProcessJson,
    /// Sources with the most drops seen by the monitor, most first (at most 10).
    /// Counted from the event ring once per interval: exact up to 1000 decisions
    /// per interval, a sample beyond (the totals above are always exact).
    pub top_blocked: Vec<SourceCount>,
    /// The `seq` of the newest event the monitor has seen (0: none).
    pub last_seq: u64,
    /// Requests refused by a rate limit (`RATE DROP`) since the monitor
    /// started, counted from the event ring once per interval like
    /// `top_blocked`.
    #[serde(default)]
    pub rate_limited: u64,
    /// Bans in force now.
    #[serde(default)]
    pub active_bans: u64,
}

/// CPU and memory of the monitored process; `null` where the OS does not tell.
///
/// # Examples
///
/// ```
/// let p = firewall_actix::monitor::api::ProcessJson { cpu_percent: Some(3.5), rss_bytes: None };
/// assert!(p.rss_bytes.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ProcessJson {
    /// CPU use over the last interval, in percent of one core.
    pub cpu_percent: Option<f64>,
    /// Resident memory in bytes.
    pub rss_bytes: Option<u64>,
}

/// A source address and how many of its requests were dropped.
///
/// # Examples
///
/// ```
/// let s = firewall_actix::monitor::api::SourceCount { src: "10.0.0.1".into(), count: 4 };
/// assert_eq!(s.count, 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCount {
    /// Client IP address.
    pub src: String,
    /// Drops seen from it.
    pub count: u64,
}

/// One rule of `GET /api/rules`, with its hit count.
///
/// # Examples
///
/// ```
/// use firewall_actix::monitor::api::RuleJson;
/// use firewall_core::{Rule, RuleHits, ALLOW, ANY, TCP};
/// let hits = RuleHits { rule: Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app")?, hits: 7 };
/// let json = RuleJson::new(0, &hits);
/// assert_eq!((json.index, json.dport.as_str(), json.hits), (1, "5000", 7));
/// # Ok::<(), firewall_core::RuleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleJson {
    /// 1-based position, as in `Matched rule #N` log lines.
    pub index: usize,
    /// `ALLOW` or `DROP`.
    pub action: String,
    /// `TCP`, `UDP` or `ANY`.
    pub proto: String,
    /// `80`, `8000-8099` or `ANY`.
    pub dport: String,
    /// Source network or `ANY`.
    pub src: String,
    /// Destination network or `ANY`.
    pub dst: String,
    /// The rule's description (raw).
    pub desc: String,
    /// Requests this rule decided since it was loaded.
    pub hits: u64,
}

impl RuleJson {
    /// The JSON form of the rule at 0-based `position`.
    ///
    /// # Examples
    ///
    /// See [`RuleJson`].
    pub fn new(position: usize, hits: &RuleHits) -> Self {
        let rule = &hits.rule;
        Self {
            index: position + 1,
            action: rule.action.to_string(),
            proto: rule.proto.to_string(),
            dport: rule.dport.to_string(),
            src: rule.src_cidr.to_string(),
            dst: rule.dst_cidr.to_string(),
            desc: rule.desc.clone(),
            hits: hits.hits,
        }
    }
}

/// One decision, as `/api/events` and the stream send it.
///
/// # Examples
///
/// ```
/// use firewall_actix::monitor::api::EventJson;
/// use firewall_core::{Action, Event, Protocol};
/// let event = Event { seq: 9, time: std::time::SystemTime::now(), action: Action::Drop, proto: Protocol::Tcp,
///     src: "10.0.0.1:4000".parse().unwrap(), dst: "127.0.0.1:5000".parse().unwrap(),
///     reason: "No matching allow rule.".into() };
/// let json = EventJson::from(&event);
/// assert_eq!((json.action.as_str(), json.src.as_str()), ("DROP", "10.0.0.1:4000"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventJson {
    /// Increasing number; pass the last one seen as `after`.
    pub seq: u64,
    /// Local time, `YYYY-mm-dd HH:MM:SS,mmm`.
    pub time: String,
    /// `ALLOW` or `DROP`.
    pub action: String,
    /// `TCP`, `UDP` or `ANY`.
    pub proto: String,
    /// Client endpoint.
    pub src: String,
    /// Local endpoint.
    pub dst: String,
    /// Why it was dropped (empty for an ALLOW); raw text from the log line.
    pub reason: String,
}

impl From<&Event> for EventJson {
    fn from(event: &Event) -> Self {
        Self {
            seq: event.seq,
            time: format_time(event.time),
            action: event.action.to_string(),
            proto: event.proto.to_string(),
            src: event.src.to_string(),
            dst: event.dst.to_string(),
            reason: event.reason.clone(),
        }
    }
}

/// `GET /api/events?after=SEQ`.
///
/// # Examples
///
/// ```
/// let e = firewall_actix::monitor::api::EventsJson { events: vec![], last_seq: 0, skipped: 0 };
/// assert!(e.events.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsJson {
    /// Decisions after the asked `seq`, oldest first.
    pub events: Vec<EventJson>,
    /// The `seq` to ask after next time.
    pub last_seq: u64,
    /// Decisions after the asked `seq` not listed: older than `events`, past
    /// [`MAX_EVENTS`] or no longer held by the monitor.
    #[serde(default)]
    pub skipped: u64,
}

/// Decisions a stream message does not bring: "1,234 more since 10:52:46".
///
/// # Examples
///
/// ```
/// let gap = firewall_actix::monitor::api::GapJson { count: 1234, since: None };
/// assert_eq!(gap.count, 1234);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapJson {
    /// How many decisions were made, between the previous message's last
    /// decision and this message's first, that no message brings.
    pub count: u64,
    /// Local time the gap starts: of the last decision brought before it, or
    /// of the previous message when none was, or of the first decision left
    /// out when the monitor still holds it; `null` when it no longer knows
    /// (a reconnect resuming after decisions it has forgotten).
    pub since: Option<String>,
}

/// One Server-Sent Event of `/api/events/stream`: everything the page shows.
///
/// # Examples
///
/// ```
/// use firewall_actix::monitor::api::{ProcessJson, StatsJson, UpdateJson};
/// let stats = StatsJson { app: "a".into(), allowed: 0, dropped: 0, rate_per_sec: 0.0, uptime_secs: 0,
///     process: ProcessJson::default(), top_blocked: vec![], last_seq: 0, rate_limited: 0, active_bans: 0 };
/// let update = UpdateJson { stats, events: vec![], gap: None };
/// assert!(serde_json::to_string(&update)?.starts_with("{\"stats\""));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateJson {
    /// As `/api/stats`. Rules are not sent: the page asks `/api/rules` for the ones it shows.
    pub stats: StatsJson,
    /// Decisions since the previous message on this stream, oldest first.
    pub events: Vec<EventJson>,
    /// Decisions made before `events` that this stream will not bring.
    pub gap: Option<GapJson>,
}

/// `GET /api/report`: the seed's "GENERATE AUDIT REPORT", as JSON.
///
/// # Examples
///
/// ```
/// use firewall_actix::monitor::api::{ProcessJson, ReportJson, StatsJson};
/// let stats = StatsJson { app: "a".into(), allowed: 0, dropped: 0, rate_per_sec: 0.0, uptime_secs: 0,
///     process: ProcessJson::default(), top_blocked: vec![], last_seq: 0, rate_limited: 0, active_bans: 0 };
/// let report = ReportJson { generated_at: "2026-01-11 10:52:46,996".into(), stats, rules: vec![], recent_events: vec![] };
/// assert_eq!(report.stats.app, "a");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportJson {
    /// When the report was made (local time).
    pub generated_at: String,
    /// Totals, rate, process use, top blocked sources.
    pub stats: StatsJson,
    /// The rules in force with their hits.
    pub rules: Vec<RuleJson>,
    /// The latest decisions kept in memory, oldest first.
    pub recent_events: Vec<EventJson>,
}

/// One ban in force, as `GET /api/bans` lists it: who, why, since, until.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_actix::monitor::api::BanJson;
/// use firewall_core::ban::{BanPolicy, Bans};
/// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(60), Duration::from_secs(600))?);
/// let ban = bans.ban("203.0.113.7".parse()?, Duration::from_secs(600), "scanner")?;
/// let json = BanJson::new(&ban, ban.since);
/// assert_eq!((json.key.as_str(), json.reason.as_str(), json.seconds_left), ("203.0.113.7", "scanner", 600));
/// assert_eq!(json.origin, "manual");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanJson {
    /// Who: an address, a network (`2001:db8::/64`) or an application's key.
    pub key: String,
    /// Why (raw text: a manual ban's reason is whatever was typed).
    pub reason: String,
    /// `manual`, or `offence N` for the policy's Nth ban of this client.
    pub origin: String,
    /// Local time it started, `YYYY-mm-dd HH:MM:SS,mmm`.
    pub since: String,
    /// Local time it ends.
    pub until: String,
    /// Seconds until it ends, rounded up.
    pub seconds_left: u64,
}

impl BanJson {
    /// The JSON form of `ban` at `now` (nanoseconds since the epoch).
    ///
    /// # Examples
    ///
    /// See [`BanJson`].
    pub fn new(ban: &BanInfo, now: u64) -> Self {
        Self {
            key: ban.key.to_string(),
            reason: ban.reason.to_string(),
            origin: ban.origin.to_string(),
            since: format_time(ban.since_time()),
            until: format_time(ban.until_time()),
            seconds_left: ban.until.saturating_sub(now).div_ceil(1_000_000_000),
        }
    }
}

/// The body of `POST /api/bans/unban`.
///
/// # Examples
///
/// ```
/// let body: firewall_actix::monitor::api::UnbanRequest = serde_json::from_str(r#"{"key":"2001:db8::/64"}"#)?;
/// assert_eq!(body.key, "2001:db8::/64");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnbanRequest {
    /// An address (its ban is lifted, whatever network it is banned under)
    /// or a network exactly as [`BanJson::key`] lists it.
    pub key: String,
}

/// The body of `POST /api/bans`.
///
/// # Examples
///
/// ```
/// let text = r#"{"key":"203.0.113.7","seconds":3600,"reason":"abuse report"}"#;
/// let body: firewall_actix::monitor::api::BanRequest = serde_json::from_str(text)?;
/// assert_eq!(body.seconds, 3600);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRequest {
    /// The address to ban (its network under the ban policy's prefixes is banned).
    pub key: String,
    /// For how long, in seconds (1 to one year).
    pub seconds: u64,
    /// Why: 1 to 200 characters, no control characters.
    pub reason: String,
}

/// `GET /api/store`: where limits and bans are kept (`in-process` or
/// `redis`), whether the store answers, since when it does not, and the
/// round trip of its last call.
///
/// # Examples
///
/// ```
/// use firewall_actix::monitor::api::StoreJson;
/// let json = StoreJson::new(&firewall_core::store::StoreState::in_process());
/// assert_eq!((json.backend.as_str(), json.connected), ("in-process", true));
/// assert_eq!(
///     serde_json::to_string(&json)?,
///     r#"{"backend":"in-process","url":"","connected":true,"degraded_since":null,"last_rtt_ms":null,"outages":0}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreJson {
    /// `in-process` or `redis`.
    pub backend: String,
    /// The Redis URL, its password hidden (empty in process).
    pub url: String,
    /// Whether the store answers (always true in process).
    pub connected: bool,
    /// Local time since which Redis has not answered (`null` when it does).
    pub degraded_since: Option<String>,
    /// The round trip of the last call that succeeded, in milliseconds.
    pub last_rtt_ms: Option<f64>,
    /// Times the store switched to degraded mode since it started.
    pub outages: u64,
}

impl StoreJson {
    /// The JSON form of a store's state.
    ///
    /// # Examples
    ///
    /// See [`StoreJson`].
    pub fn new(state: &StoreState) -> Self {
        Self {
            backend: state.backend.to_owned(),
            url: state.url.clone(),
            connected: state.connected,
            degraded_since: state.degraded_since.map(format_time),
            last_rtt_ms: state.last_rtt.map(|rtt| rtt.as_secs_f64() * 1_000.0),
            outages: state.outages,
        }
    }
}

/// `time` in the log's format, local time: `2026-01-11 10:52:46,996`.
///
/// # Examples
///
/// ```
/// let text = firewall_actix::monitor::api::format_time(std::time::SystemTime::now());
/// assert_eq!(text.len(), "2026-01-11 10:52:46,996".len());
/// ```
pub fn format_time(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(time)
        .format("%Y-%m-%d %H:%M:%S,%3f")
        .to_string()
}
