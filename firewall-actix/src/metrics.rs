//! Prometheus metrics: `GET /metrics` on the web monitor's port (with its
//! token rules), or in your own app with [`metrics_resource`].
//!
//! The text is the Prometheus text format 0.0.4, written by the Prometheus
//! project's own Rust client (`prometheus-client`). It is read at scrape
//! time from the counters the firewall keeps anyway ([`Stats`], each
//! rule's hits, the logger's queue) and from [`firewall_core::metrics`];
//! serving it adds no work per request but the decision-latency histogram,
//! which the first [`metrics_resource`] or monitor turns on (two clock
//! reads and two atomic adds per timed decision; see
//! [`firewall_core::metrics`] for what is timed).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `firewall_decisions_total` | counter | `stage` (`ban`, `limit`, `acl`, `waf`, `error`), `verdict` (`allow`, `drop`) |
//! | `firewall_acl_rule_hits_total` | counter | `position`: `1` .. [`MAX_RULE_SERIES`], then `other` for the rest summed |
//! | `firewall_waf_hits_total` | counter | `family` (`sqli`, ...), `signature` (`942100`) |
//! | `firewall_decision_duration_seconds` | histogram | `stage` (`acl`: the rules alone, one decision in [`ACL_SAMPLE_EVERY`](firewall_core::metrics::ACL_SAMPLE_EVERY) timed; `waf`: rules, body and WAF, all timed) |
//! | `firewall_rules` | gauge | the rules in force |
//! | `firewall_active_bans` | gauge | the clients banned now |
//! | `firewall_rule_reloads_total` | counter | `result` (`success`, `failure`) |
//! | `firewall_rule_last_reload_success_timestamp_seconds` | gauge | after the first good reload |
//! | `firewall_rule_seconds_since_last_reload_success` | gauge | after the first good reload |
//! | `firewall_log_lines_written_total`, `firewall_log_lines_dropped_total` | counter | once the logger runs |
//! | `firewall_log_queue_bytes`, `firewall_log_queue_capacity_bytes` | gauge | once the logger runs |
//!
//! A request is counted once, by the stage that gave its final verdict
//! (see [Counting](Firewall#counting)): `acl`/`allow` are the requests
//! served. The `ban` and `limit` stages count through
//! [`Stats::count_drop`]; their series read 0 until they refuse.
//!
//! # Examples
//!
//! ```
//! use actix_web::{test, App};
//! use firewall_actix::{metrics::metrics_resource, Firewall, Packet};
//!
//! # actix_web::rt::System::new().block_on(async {
//! let fw = Firewall::new("docs");
//! fw.check(&Packet::tcp("10.0.0.7:1".parse()?, "127.0.0.1:80".parse()?)); // no rules: DROP
//! let app = test::init_service(App::new().service(metrics_resource("/metrics", fw.clone()))).await;
//! let body = test::call_and_read_body(&app, test::TestRequest::get().uri("/metrics").to_request()).await;
//! let text = std::str::from_utf8(&body)?;
//! assert!(text.contains("firewall_decisions_total{stage=\"acl\",verdict=\"drop\"} 1\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::time::SystemTime;

use actix_web::http::header;
use actix_web::{web, HttpResponse, Resource};
use firewall_core::metrics::{LatencyPath, LatencySnapshot};
use firewall_core::{logger, Firewall, Stage, Stats};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeGaugeValue, EncodeLabelSet, EncodeMetric, NoLabelSet,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

/// How many rules get a series of their own in `firewall_acl_rule_hits_total`
/// (by position, 1-based); the hits of the rules after them are summed in
/// the series `position="other"`, so a large rule set cannot flood Prometheus.
///
/// # Examples
///
/// ```
/// assert_eq!(firewall_actix::metrics::MAX_RULE_SERIES, 100);
/// ```
pub const MAX_RULE_SERIES: usize = 100;

/// The `Content-Type` of the metrics text (Prometheus text format 0.0.4).
///
/// # Examples
///
/// ```
/// assert!(firewall_actix::metrics::CONTENT_TYPE.starts_with("text/plain; version=0.0.4"));
/// ```
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A resource that answers `GET <path>` with the firewall's metrics, to
/// mount in your own app. It turns on the decision-latency histogram.
///
/// # Security
///
/// The metrics show your traffic's volume, the rules hit and the attacks
/// seen. Mount it where only your Prometheus can reach it (behind the
/// [`FirewallMiddleware`](crate::FirewallMiddleware) with a rule for the
/// scraper, or on the web monitor's port, which asks for its token).
///
/// # Examples
///
/// ```
/// use actix_web::App;
/// use firewall_actix::{metrics::metrics_resource, Firewall};
/// let fw = Firewall::new("app");
/// let _app = App::new().service(metrics_resource("/metrics", fw));
/// ```
pub fn metrics_resource(path: &str, firewall: Firewall) -> Resource {
    let registry = web::Data::new(registry(firewall));
    web::resource(path)
        .app_data(registry)
        .route(web::get().to(serve))
}

/// The metrics registry of `firewall`, read at each scrape; turns on the
/// decision-latency histogram.
pub(crate) fn registry(firewall: Firewall) -> Registry {
    firewall.metrics().latency().enable();
    let mut registry = Registry::default();
    registry.register_collector(Box::new(FirewallCollector { firewall }));
    registry
}

/// The handler: the registry's text.
pub(crate) async fn serve(registry: web::Data<Registry>) -> HttpResponse {
    let mut text = String::with_capacity(8 * 1024);
    match prometheus_client::encoding::prometheus_text::encode(&mut text, &registry) {
        Ok(()) => HttpResponse::Ok()
            .content_type(CONTENT_TYPE)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(text),
        Err(_) => HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body("the metrics could not be written"),
    }
}

/// The text of `firewall`'s metrics, as [`metrics_resource`] serves it
/// (without turning on the latency histogram).
///
/// # Examples
///
/// ```
/// let fw = firewall_actix::Firewall::new("app");
/// let text = firewall_actix::metrics::render(fw);
/// assert!(text.contains("# TYPE firewall_rules gauge\n"));
/// ```
pub fn render(firewall: Firewall) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(FirewallCollector { firewall }));
    let mut text = String::new();
    // Writing into a `String` does not fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &registry);
    text
}

/// Reads the firewall's counters at scrape time.
#[derive(Debug)]
struct FirewallCollector {
    firewall: Firewall,
}

type Encoded = Result<(), std::fmt::Error>;

impl Collector for FirewallCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Encoded {
        let fw = &self.firewall;
        decisions(&mut encoder, fw.counters())?;
        rule_hits(&mut encoder, fw)?;
        waf_hits(&mut encoder, fw)?;
        latency(&mut encoder, fw)?;
        reloads(&mut encoder, fw)?;
        gauge(
            &mut encoder,
            "firewall_active_bans",
            "Clients banned now (manual bans and the strike policy's).",
            None,
            fw.bans().len() as u64,
        )?;
        log_queue(&mut encoder)
    }
}

/// A counter family: one series per label set.
fn counters<L: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    series: impl IntoIterator<Item = (L, u64)>,
) -> Encoded {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in series {
        ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

/// One counter without labels.
fn counter(encoder: &mut DescriptorEncoder<'_>, name: &str, help: &str, value: u64) -> Encoded {
    let counter = ConstCounter::new(value);
    counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)
}

/// One gauge without labels.
fn gauge(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    value: impl EncodeGaugeValue,
) -> Encoded {
    let gauge = ConstGauge::new(value);
    gauge.encode(encoder.encode_descriptor(name, help, unit, gauge.metric_type())?)
}

/// `firewall_decisions_total{stage, verdict}`: each request once, by the
/// stage of its final verdict. The ban and limit stages count through
/// [`Stats::count_drop`] with [`Stage::Ban`] and [`Stage::Limit`].
fn decisions(encoder: &mut DescriptorEncoder<'_>, stats: &Stats) -> Encoded {
    let mut series = vec![([("stage", "acl"), ("verdict", "allow")], stats.allowed())];
    for stage in Stage::ALL {
        series.push((
            [("stage", stage.name()), ("verdict", "drop")],
            stats.dropped_by(stage),
        ));
    }
    let unattributed = stats.dropped_unattributed();
    if unattributed > 0 {
        series.push(([("stage", "other"), ("verdict", "drop")], unattributed));
    }
    counters(
        encoder,
        "firewall_decisions",
        "Requests judged, by the stage that gave the final verdict.",
        series,
    )
}

/// `firewall_acl_rule_hits_total{position}` for the first
/// [`MAX_RULE_SERIES`] rules, then `other`; and `firewall_rules`.
fn rule_hits(encoder: &mut DescriptorEncoder<'_>, fw: &Firewall) -> Encoded {
    let set = fw.rules();
    let hits = set.hits();
    let mut series: Vec<([(&str, String); 1], u64)> = hits
        .iter()
        .take(MAX_RULE_SERIES)
        .enumerate()
        .map(|(index, &hits)| ([("position", (index + 1).to_string())], hits))
        .collect();
    if hits.len() > MAX_RULE_SERIES {
        let rest = hits[MAX_RULE_SERIES..].iter().sum();
        series.push(([("position", "other".to_owned())], rest));
    }
    counters(
        encoder,
        "firewall_acl_rule_hits",
        "Requests each ACL rule decided (by 1-based position) since the rule set was loaded.",
        series,
    )?;
    gauge(
        encoder,
        "firewall_rules",
        "ACL rules in force.",
        None,
        hits.len() as u64,
    )
}

/// `firewall_waf_hits_total{family, signature}`.
fn waf_hits(encoder: &mut DescriptorEncoder<'_>, fw: &Firewall) -> Encoded {
    let series = fw
        .metrics()
        .waf_hits()
        .snapshot()
        .into_iter()
        .map(|(family, id, hits)| {
            (
                [
                    ("family", family.key().to_owned()),
                    ("signature", id.to_string()),
                ],
                hits,
            )
        });
    counters(
        encoder,
        "firewall_waf_hits",
        "WAF signature matches (blocks and detections), by family and signature id.",
        series,
    )
}

/// `firewall_decision_duration_seconds{stage}`.
fn latency(encoder: &mut DescriptorEncoder<'_>, fw: &Firewall) -> Encoded {
    let mut family = encoder.encode_descriptor(
        "firewall_decision_duration",
        "Time from the firewall's first look at a request to its verdict (stage acl: one decision in 64 per thread is timed).",
        Some(&Unit::Seconds),
        MetricType::Histogram,
    )?;
    for path in LatencyPath::ALL {
        let snapshot = fw.metrics().latency().snapshot(path);
        let labels = [("stage", path.name())];
        let buckets = per_bucket(&snapshot);
        family
            .encode_family(&labels)?
            .encode_histogram::<NoLabelSet>(snapshot.sum_seconds, snapshot.count, &buckets, None)?;
    }
    Ok(())
}

/// The snapshot's cumulative buckets as counts per bucket, as the encoder
/// takes them.
fn per_bucket(snapshot: &LatencySnapshot) -> Vec<(f64, u64)> {
    let mut below = 0;
    snapshot
        .buckets
        .iter()
        .map(|&(bound, cumulative)| {
            let own = cumulative - below;
            below = cumulative;
            (bound, own)
        })
        .collect()
}

/// Reloads by result and the age of the last good one.
fn reloads(encoder: &mut DescriptorEncoder<'_>, fw: &Firewall) -> Encoded {
    let reloads = fw.metrics().reloads();
    counters(
        encoder,
        "firewall_rule_reloads",
        "Rules file reloads, by result (a failure keeps the previous rules).",
        [
            ([("result", "success")], reloads.succeeded()),
            ([("result", "failure")], reloads.failed()),
        ],
    )?;
    let Some(last) = reloads.last_success() else {
        return Ok(());
    };
    let since_epoch = last
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    gauge(
        encoder,
        "firewall_rule_last_reload_success_timestamp",
        "When the rules file was last reloaded successfully (Unix time).",
        Some(&Unit::Seconds),
        since_epoch.as_secs_f64(),
    )?;
    let age = SystemTime::now().duration_since(last).unwrap_or_default();
    gauge(
        encoder,
        "firewall_rule_seconds_since_last_reload_success",
        "Seconds since the rules file was last reloaded successfully.",
        None,
        age.as_secs_f64(),
    )
}

/// The logger's queue and lines, once it runs.
fn log_queue(encoder: &mut DescriptorEncoder<'_>) -> Encoded {
    let Some(stats) = logger::stats() else {
        return Ok(());
    };
    counter(
        encoder,
        "firewall_log_lines_written",
        "Lines handed to the firewall's log file.",
        stats.written_lines,
    )?;
    counter(
        encoder,
        "firewall_log_lines_dropped",
        "Lines dropped because the log queue was full.",
        stats.dropped_lines,
    )?;
    gauge(
        encoder,
        "firewall_log_queue",
        "Bytes of log lines waiting for the writer.",
        Some(&Unit::Bytes),
        stats.queued_bytes as u64,
    )?;
    gauge(
        encoder,
        "firewall_log_queue_capacity",
        "The most bytes the log queue holds.",
        Some(&Unit::Bytes),
        stats.queue_capacity as u64,
    )
}

#[cfg(test)]
mod tests {
    use firewall_core::{Packet, Rule, ALLOW, ANY, DROP, TCP};

    use super::*;

    /// The samples of `text` (parsed as Prometheus does) named `name`, as
    /// `(labels in order, value)`.
    fn samples(text: &str, name: &str) -> Vec<(String, String)> {
        let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
            .expect("the Prometheus text format");
        scrape
            .samples
            .into_iter()
            .filter(|s| s.metric == name)
            .map(|s| {
                let value = match s.value {
                    prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
                    other => panic!("{other:?}"),
                };
                (s.labels.to_string(), value.to_string())
            })
            .collect()
    }

    #[test]
    fn active_bans_are_the_bans_in_force() {
        let fw = Firewall::new("t");
        let bans = || samples(&render(fw.clone()), "firewall_active_bans");
        assert_eq!(bans(), vec![(String::new(), "0".to_owned())]);
        let ip = "203.0.113.7".parse().unwrap();
        fw.bans()
            .ban(ip, std::time::Duration::from_secs(60), "test")
            .unwrap();
        fw.bans()
            .ban(
                "2001:db8::1".parse().unwrap(),
                std::time::Duration::from_secs(60),
                "test",
            )
            .unwrap();
        assert_eq!(bans(), vec![(String::new(), "2".to_owned())]);
        fw.bans().unban(ip);
        assert_eq!(bans(), vec![(String::new(), "1".to_owned())]);
    }

    #[test]
    fn only_the_first_rules_get_a_series_and_the_rest_are_summed() {
        let mut rules = vec![Rule::new(DROP, TCP, 23, ANY, ANY, "telnet").unwrap()];
        for port in 1..=150 {
            rules.push(Rule::new(ALLOW, TCP, 10_000 + port, ANY, ANY, "").unwrap());
        }
        let fw = Firewall::new("t").with_rules(rules).unwrap();
        for port in [23, 10_001, 10_099, 10_100, 10_150, 10_150] {
            let dst = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            fw.check(&Packet::tcp("10.0.0.1:1".parse().unwrap(), dst));
        }
        let hits = samples(&render(fw), "firewall_acl_rule_hits_total");
        assert_eq!(hits.len(), MAX_RULE_SERIES + 1);
        let value = |position: &str| {
            let labels = format!("position=\"{position}\"");
            hits.iter()
                .find(|(l, _)| *l == labels)
                .map(|(_, v)| v.clone())
        };
        // Rule #1 is telnet; port 10_000 + n is rule #n+1.
        assert_eq!(value("1").as_deref(), Some("1"));
        assert_eq!(value("2").as_deref(), Some("1"));
        assert_eq!(value("100").as_deref(), Some("1"));
        assert_eq!(value("101"), None);
        assert_eq!(value("other").as_deref(), Some("3"));
    }

    #[test]
    fn reloads_are_counted_by_result_with_the_age_of_the_last_good_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        let fw = Firewall::new("t");
        let text = render(fw.clone());
        assert!(!text.contains("firewall_rule_seconds_since"), "{text}");

        std::fs::write(&path, "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 5000\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n").unwrap();
        fw.reload_file(&path).unwrap();
        std::fs::write(&path, "[[rule]]\naction = \"MAYBE\"\n").unwrap();
        fw.reload_file(&path).unwrap_err();
        let text = render(fw);
        let reloads = samples(&text, "firewall_rule_reloads_total");
        assert_eq!(
            reloads,
            [
                ("result=\"success\"".to_owned(), "1".to_owned()),
                ("result=\"failure\"".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(
            samples(&text, "firewall_rules"),
            [(String::new(), "1".to_owned())]
        );
        let age = samples(&text, "firewall_rule_seconds_since_last_reload_success");
        let age: f64 = age[0].1.parse().unwrap();
        assert!((0.0..60.0).contains(&age), "{age}");
        let stamp = samples(&text, "firewall_rule_last_reload_success_timestamp_seconds");
        assert_eq!(stamp.len(), 1, "{text}");
    }
}
