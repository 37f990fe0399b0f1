//! Bans on real sockets (`127.0.0.1`): strikes from WAF drops, ACL drops and
//! rate-limit refusals ban the client, refused first with one sampled
//! `BAN DROP` line; the ban ends on time with its `UNBAN` line even if the
//! client never returns; trusted proxies and allowlisted networks are never
//! banned; manual bans from code.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpServer};
use firewall_actix::ban::{BanPolicy, StrikeKind};
use firewall_actix::limit::Limit;
use firewall_actix::waf::WafConfig;
use firewall_actix::{Firewall, FirewallExt, Rule, ALLOW, ANY, DENIED_BODY, DROP};
use support::{get, log_lines_with, serve, Reply};

const SQLI: &str = "/items?id=1%27%20OR%20%271%27=%271";

fn log() -> PathBuf {
    support::log_file("it_bans")
}

/// Drops 203.0.113.0/24, allows everyone else; the WAF at its defaults.
fn firewall(policy: BanPolicy) -> Firewall {
    let rules = vec![
        Rule::new(DROP, ANY, ANY, "203.0.113.0/24", ANY, "blocked net").expect("a rule"),
        Rule::new(ALLOW, ANY, ANY, ANY, ANY, "everyone").expect("a rule"),
    ];
    Firewall::new("it_bans")
        .with_rules(rules)
        .expect("valid rules")
        .with_waf(WafConfig::default())
        .expect("a WAF")
        .with_ban_policy(policy)
}

/// `strikes` of `kind` in a minute ban for `duration`.
fn policy(strikes: u32, kind: StrikeKind, duration: Duration) -> BanPolicy {
    let mut policy = BanPolicy::new(strikes, Duration::from_secs(60), duration).expect("a policy");
    for other in StrikeKind::ALL {
        policy = policy.count(other, other == kind);
    }
    policy
}

/// The middleware believing `X-Forwarded-For` from 127.0.0.1, before `/` and `/items`.
fn start(fw: &Firewall) -> SocketAddr {
    log();
    let fw = fw.clone();
    serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            let middleware = fw
                .middleware()
                .trusted_proxies(["127.0.0.1"])
                .expect("a valid proxy");
            App::new()
                .wrap(middleware)
                .route("/", web::get().to(|| async { "home" }))
                .route("/items", web::get().to(|| async { "items" }))
        })
        .workers(1)
        .listen(listener)?
        .run())
    })
    .expect("127.0.0.1 binds")
    .addr
}

fn from(server: SocketAddr, path: &str, client: &str) -> Reply {
    get(server, path, &[("X-Forwarded-For", client)]).expect("an answer")
}

/// Waits (at most 10 s) until the log has a line with `needle`.
fn wait_for_line(needle: &str) -> Vec<String> {
    let start = Instant::now();
    loop {
        let lines = log_lines_with(&log(), needle);
        if !lines.is_empty() || start.elapsed() > Duration::from_secs(10) {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn waf_drops_ban_the_client_until_the_ban_expires_on_its_own() {
    let fw = firewall(policy(3, StrikeKind::WafDrop, Duration::from_secs(1)));
    let server = start(&fw);
    let client = "198.51.100.20";
    for _ in 0..3 {
        assert_eq!(from(server, SQLI, client).status, 403);
    }
    let bans = log_lines_with(&log(), &format!("BAN: {client} "));
    assert_eq!(bans.len(), 1, "{bans:?}");
    assert!(
        bans[0].starts_with(&format!("[WARNING] BAN: {client} for 1s until ")),
        "{bans:?}"
    );
    assert!(
        bans[0].ends_with(" (offence 1): 3 WAF drops in 60s"),
        "{bans:?}"
    );

    // Refused first, before the ACL and the WAF, however clean the request.
    for _ in 0..3 {
        let refused = from(server, "/", client);
        assert_eq!((refused.status, refused.body.as_str()), (403, DENIED_BODY));
    }
    let drops = log_lines_with(&log(), &format!("BAN DROP: [TCP] {client}:"));
    assert_eq!(
        drops.len(),
        1,
        "one line for the first refusal, then sampled: {drops:?}"
    );
    assert!(drops[0].ends_with(": 3 WAF drops in 60s"), "{drops:?}");
    let stats = fw.stats();
    assert_eq!((stats.allowed, stats.dropped), (0, 6));

    // The sweep ends the ban while the client stays away.
    let unban = wait_for_line(&format!("UNBAN: {client} "));
    assert_eq!(
        unban,
        [format!("[INFO] UNBAN: {client} (expired) after 1s: 3 WAF drops in 60s; 3 requests refused while banned")]
    );
    assert!(fw.bans().is_empty());
    assert_eq!(from(server, "/", client).status, 200);
}

#[test]
fn acl_drops_ban_and_the_ban_is_checked_before_the_acl() {
    let fw = firewall(policy(2, StrikeKind::AclDrop, Duration::from_secs(600)));
    let server = start(&fw);
    let client = "203.0.113.5";
    assert_eq!(from(server, "/", client).status, 403);
    assert_eq!(from(server, "/", client).status, 403);
    assert_eq!(
        log_lines_with(&log(), &format!("ACL DROP: [TCP] {client}:")).len(),
        2
    );
    assert_eq!(from(server, "/", client).status, 403);
    assert_eq!(
        log_lines_with(&log(), &format!("ACL DROP: [TCP] {client}:")).len(),
        2
    );
    assert_eq!(
        log_lines_with(&log(), &format!("BAN DROP: [TCP] {client}:")).len(),
        1
    );
    assert_eq!(&*fw.bans().list()[0].reason, "2 ACL drops in 60s");
}

#[test]
fn rate_limit_refusals_ban() {
    let fw = firewall(policy(2, StrikeKind::RateLimited, Duration::from_secs(600)));
    fw.set_limits(vec![
        Limit::new("one", "1/1d".parse().expect("a quota")).expect("a limit")
    ])
    .expect("one limit");
    let server = start(&fw);
    let client = "198.51.100.21";
    let statuses: Vec<u16> = (0..4).map(|_| from(server, "/", client).status).collect();
    assert_eq!(statuses, [200, 429, 429, 403]);
    assert_eq!(&*fw.bans().list()[0].reason, "2 rate-limit refusals in 60s");
}

#[test]
fn a_trusted_proxy_is_never_banned_the_client_it_forwards_is() {
    let fw = firewall(policy(2, StrikeKind::WafDrop, Duration::from_secs(600)));
    let server = start(&fw);
    for _ in 0..3 {
        assert_eq!(get(server, SQLI, &[]).expect("an answer").status, 403);
    }
    assert_eq!(
        get(server, "/", &[]).expect("an answer").status,
        200,
        "the proxy's own request"
    );
    assert!(fw.bans().is_empty());
    for _ in 0..2 {
        assert_eq!(from(server, SQLI, "198.51.100.22").status, 403);
    }
    assert_eq!(from(server, "/", "198.51.100.22").status, 403);
    assert_eq!(get(server, "/", &[]).expect("an answer").status, 200);
}

#[test]
fn an_allowlisted_network_from_the_file_is_never_banned_nor_limited() {
    let fw = firewall(BanPolicy::manual_only());
    let server = start(&fw);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("rules.toml");
    let text =
        "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = \"ANY\"\nsrc_cidr = \"ANY\"\n\
        dst_cidr = \"ANY\"\n\n[[limit]]\nname = \"one\"\nquota = \"1/1d\"\n\n\
        [bans]\nstrikes = 1\nwindow = \"60s\"\nduration = \"10m\"\ncount = [\"waf\", \"rate\"]\n\
        allow = [\"198.51.100.0/24\"]\n";
    std::fs::write(&path, text).expect("written");
    fw.reload_file(&path).expect("a good file");
    for _ in 0..3 {
        assert_eq!(from(server, "/", "198.51.100.23").status, 200);
        assert_eq!(from(server, SQLI, "198.51.100.23").status, 403);
    }
    assert!(fw.bans().is_empty());
    // Outside the allowlist: the first refusal (a WAF drop) bans.
    assert_eq!(from(server, SQLI, "192.0.2.23").status, 403);
    assert_eq!(from(server, "/", "192.0.2.23").status, 403);
    assert_eq!(fw.bans().len(), 1);
}

#[test]
fn a_manual_ban_refuses_and_a_manual_unban_lets_in_with_their_lines() {
    let fw = firewall(BanPolicy::manual_only());
    let server = start(&fw);
    let client = "198.51.100.24";
    let ip = client.parse().expect("an address");
    fw.bans()
        .ban(ip, Duration::from_secs(3_600), "abuse report #12\nforged")
        .expect("not allowlisted");
    let lines = log_lines_with(&log(), &format!("BAN: {client} "));
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].ends_with("(manual): abuse report #12\\nforged"),
        "escaped: {lines:?}"
    );
    assert_eq!(from(server, "/", client).status, 403);
    assert!(fw.bans().unban(ip).is_some());
    assert_eq!(
        log_lines_with(&log(), &format!("UNBAN: {client} ")),
        [format!("[INFO] UNBAN: {client} (lifted) after 1h: abuse report #12\\nforged; 1 request refused while banned")]
    );
    assert_eq!(from(server, "/", client).status, 200);
}
