//! Route exclusions on real sockets: a request is excluded only when its
//! path, however it is spelled, stays under the excluded route.

mod support;

use std::net::SocketAddr;

use actix_web::{web, App, HttpResponse, HttpServer};
use firewall_actix::waf::{AttackFamily, Exclusion, WafConfig};
use firewall_actix::{Firewall, FirewallExt, Rule, ALLOW, ANY, TCP};
use support::{get, serve};

const XSS: &str = "?q=%3Cscript%3Ealert(1)%3C/script%3E";

/// A catch-all handler (200 `served`) behind a WAF that excludes `/static`
/// entirely and the XSS family under `/docs`.
fn start() -> SocketAddr {
    support::log_file("it_waf_exclusion");
    let rules = vec![Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule")];
    let config = WafConfig::default()
        .exclude(Exclusion::route("/static"))
        .exclude(Exclusion::route("/docs").family(AttackFamily::Xss));
    let fw = Firewall::new("it_waf_exclusion")
        .with_rules(rules)
        .expect("valid rules")
        .with_waf(config)
        .expect("a valid WAF");
    serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .wrap(fw.middleware())
                .default_service(web::to(|| async { HttpResponse::Ok().body("served") }))
        })
        .workers(1)
        .listen(listener)?
        .run())
    })
    .expect("loopback binds")
    .addr
}

/// Every way of writing a path that leaves the excluded route, in front of
/// an XSS query: each must be inspected (and refused).
const ESCAPES: [&str; 27] = [
    "/static/../admin",
    "/static/%2e%2e/admin",
    "/static/%2E%2E/admin",
    "/static/..%2fadmin",
    "/static/..%2Fadmin",
    "/static/./../admin",
    "/static/.%2e/admin",
    "/static/%2e./admin",
    "/static/..;/admin",
    "/static/..;jsessionid=1/admin",
    "/static/..%5cadmin",
    "/static/..\\admin",
    "/static/%2e%2e%5cadmin",
    "/static/%252e%252e/admin",
    "/static/%25252e%25252e/admin",
    "/static/%u002e%u002e/admin",
    "/static/%ef%bc%8e%ef%bc%8e/admin",
    "/static/%c0%ae%c0%ae/admin",
    "/static//../admin",
    "/static/x//../../admin",
    "/static/../../static/app.js",
    "/static%2f..%2fadmin",
    "//static/../admin",
    "/STATIC/app.js",
    "/static/%00/../admin",
    "/static/app.js%00.png",
    "/st%61tic/app.js",
];

#[test]
fn every_spelling_that_leaves_an_excluded_route_is_inspected() {
    let server = start();
    assert_eq!(
        get(server, &format!("/admin{XSS}"), &[])
            .expect("a reply")
            .status,
        403
    );
    let mut passed = Vec::new();
    for path in ESCAPES {
        let reply = get(server, &format!("{path}{XSS}"), &[]).expect("a reply");
        if reply.status != 403 {
            passed.push((path, reply.status));
        }
    }
    assert!(passed.is_empty(), "not refused: {passed:?}");
}

#[test]
fn a_path_under_an_excluded_route_is_still_excluded() {
    let server = start();
    for path in [
        "/static/app.js",
        "/static",
        "/static/css/site.css",
        "/static/./app.js",
        "/static/js/../app.js",
        "/static/app.js;v=2",
        "/static/caf%C3%A9.png",
    ] {
        let reply = get(server, &format!("{path}{XSS}"), &[]).expect("a reply");
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, "served"),
            "{path}"
        );
    }
}

#[test]
fn a_family_exclusion_holds_under_its_route_and_nowhere_else() {
    let server = start();
    let reply = get(server, &format!("/docs/page{XSS}"), &[]).expect("a reply");
    assert_eq!(reply.status, 200);
    for path in [
        "/docs/../admin",
        "/docs/%2e%2e/admin",
        "/docs/..;/admin",
        "/docs/..%5cadmin",
    ] {
        let reply = get(server, &format!("{path}{XSS}"), &[]).expect("a reply");
        assert_eq!(reply.status, 403, "{path}");
    }
}
