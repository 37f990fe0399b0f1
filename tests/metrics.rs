//! The Prometheus metrics scraped over HTTP after real traffic on
//! 127.0.0.1: the counts are the requests the test sent, the text parses
//! with a Prometheus text-format parser, and the web monitor's `/metrics`
//! asks for its token.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;

use actix_web::{web, App, HttpServer};
use firewall_actix::monitor::{MonitorConfig, WebMonitor};
use firewall_actix::waf::WafConfig;
use firewall_actix::{metrics_resource, Firewall, FirewallExt, Rule, ALLOW, ANY, DROP, TCP};
use prometheus_parse::{Sample, Scrape, Value};
use support::{get, log_lines, serve};

const TOKEN: &str = "metrics-test-token-0123456789";

/// Rule #1 drops telnet (port 23), rule #2 allows loopback; a WAF.
fn firewall() -> Firewall {
    let rules = vec![
        Rule::new(DROP, TCP, 23, ANY, ANY, "telnet").expect("a rule"),
        Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule"),
    ];
    let fw = Firewall::new("it_metrics")
        .with_rules(rules)
        .expect("valid rules");
    fw.with_waf(WafConfig::default()).expect("a valid WAF")
}

/// `/app/items` behind the firewall, `/telnet/items` behind it as if on
/// port 23, and `/metrics` outside it.
fn start(fw: Firewall) -> SocketAddr {
    let running = serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .service(metrics_resource("/metrics", fw.clone()))
                .service(
                    web::scope("/app")
                        .wrap(fw.middleware())
                        .route("/items", web::get().to(|| async { "served" })),
                )
                .service(
                    web::scope("/telnet")
                        .wrap(fw.middleware().port(23))
                        .route("/items", web::get().to(|| async { "served" })),
                )
        })
        .workers(1)
        .listen(listener)?
        .run())
    });
    running.expect("127.0.0.1 binds").addr
}

/// Scrapes `path` and parses it as Prometheus does.
fn scrape(server: SocketAddr, path: &str) -> Scrape {
    let reply = get(server, path, &[]).expect("a reply");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let lines = reply.body.lines().map(|line| Ok(line.to_owned()));
    Scrape::parse(lines).expect("the Prometheus text format")
}

/// A count as the text wrote it, which must be a whole number.
fn whole(value: f64) -> u64 {
    value.to_string().parse().expect("a whole count")
}

/// The value of the one sample `name{labels}`, a whole count.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> u64 {
    let found: Vec<&Sample> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect();
    assert_eq!(found.len(), 1, "{name}{labels:?} in {:?}", scrape.samples);
    match &found[0].value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => whole(*v),
        other => panic!("{name}: {other:?}"),
    }
}

/// `name`'s histogram `count` for `labels`.
fn histogram_count(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> u64 {
    let counts: Vec<u64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .filter_map(|s| match &s.value {
            Value::Histogram(buckets) => buckets.last().map(|b| whole(b.count)),
            _ => None,
        })
        .collect();
    assert_eq!(counts.len(), 1, "{name}{labels:?} in {:?}", scrape.samples);
    counts[0]
}

#[test]
fn counts_scraped_after_real_traffic_equal_what_was_sent() {
    let log = support::log_file("it_metrics");
    let fw = firewall();
    let server = start(fw.clone());
    for _ in 0..3 {
        assert_eq!(get(server, "/app/items?id=7", &[]).unwrap().status, 200);
    }
    for _ in 0..2 {
        assert_eq!(get(server, "/telnet/items", &[]).unwrap().status, 403);
    }
    for _ in 0..1 {
        let sqli = "/app/items?id=1%27%20OR%20%271%27=%271";
        assert_eq!(get(server, sqli, &[]).unwrap().status, 403);
    }

    let logged_before = u64::try_from(log_lines(&log).len()).unwrap(); // flushes
    let scrape = scrape(server, "/metrics");
    let logged_after = u64::try_from(log_lines(&log).len()).unwrap();
    let decisions = |stage, verdict| {
        value(
            &scrape,
            "firewall_decisions_total",
            &[("stage", stage), ("verdict", verdict)],
        )
    };
    assert_eq!(decisions("acl", "allow"), 3);
    assert_eq!(decisions("acl", "drop"), 2);
    assert_eq!(decisions("waf", "drop"), 1);
    assert_eq!(decisions("ban", "drop"), 0);
    assert_eq!(decisions("limit", "drop"), 0);
    assert_eq!(decisions("error", "drop"), 0);

    let hits = |position| {
        value(
            &scrape,
            "firewall_acl_rule_hits_total",
            &[("position", position)],
        )
    };
    assert_eq!((hits("1"), hits("2")), (2, 3));
    assert_eq!(value(&scrape, "firewall_rules", &[]), 2);

    let waf: HashMap<String, u64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "firewall_waf_hits_total")
        .map(|s| {
            let key = format!(
                "{}/{}",
                s.labels.get("family").unwrap_or("?"),
                s.labels.get("signature").unwrap_or("?")
            );
            let Value::Counter(v) = s.value else {
                panic!("{s:?}")
            };
            (key, whole(v))
        })
        .collect();
    assert_eq!(
        waf.len(),
        1,
        "one signature explains the one attack: {waf:?}"
    );
    let (signature, count) = waf.iter().next().unwrap();
    assert!(signature.starts_with("sqli/942"), "{signature}");
    assert_eq!(*count, 1);

    // With a WAF every request is admitted first: the ACL's drops are
    // decided by the rules alone (one in 64 timed per thread, the first
    // included: 1 of the 2), the rest after the WAF too (all timed).
    let latency = "firewall_decision_duration_seconds";
    assert_eq!(histogram_count(&scrape, latency, &[("stage", "acl")]), 1);
    assert_eq!(histogram_count(&scrape, latency, &[("stage", "waf")]), 4);

    // The other test logs too, meanwhile: the count is between the file's
    // lines before the scrape and after it.
    let written = value(&scrape, "firewall_log_lines_written_total", &[]);
    assert!(
        (logged_before..=logged_after).contains(&written),
        "{written} lines counted, {logged_before}..{logged_after} in the file"
    );
    assert_eq!(value(&scrape, "firewall_log_lines_dropped_total", &[]), 0);
}

#[test]
fn the_monitors_metrics_need_its_token() {
    let fw = firewall();
    let config = MonitorConfig::new("127.0.0.1", 0).token(TOKEN);
    let monitor = WebMonitor::start(&fw, config).expect("the monitor starts");
    fw.check(&firewall_actix::Packet::tcp(
        "10.0.0.7:1".parse().unwrap(),
        "127.0.0.1:23".parse().unwrap(),
    ));
    let refused = get(monitor.addr(), "/metrics", &[]).expect("a reply");
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(!refused.body.contains("firewall_"), "{}", refused.body);
    let wrong = get(
        monitor.addr(),
        "/metrics",
        &[("Authorization", "Bearer not-the-token-at-all")],
    );
    assert_eq!(wrong.expect("a reply").status, 401);

    let bearer = format!("Bearer {TOKEN}");
    let reply = get(monitor.addr(), "/metrics", &[("Authorization", &bearer)]).expect("a reply");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let lines = reply.body.lines().map(|line| Ok(line.to_owned()));
    let scrape = Scrape::parse(lines).expect("the Prometheus text format");
    assert_eq!(
        value(
            &scrape,
            "firewall_decisions_total",
            &[("stage", "acl"), ("verdict", "drop")]
        ),
        1
    );
    monitor.stop();
}
