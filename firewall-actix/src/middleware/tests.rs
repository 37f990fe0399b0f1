use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::{header, StatusCode};
use actix_web::{test, web, App, HttpResponse};
use firewall_core::{Firewall, Rule, ALLOW, ANY, DROP, TCP};

use super::FirewallExt;

static RUNS: AtomicUsize = AtomicUsize::new(0);

fn firewall(rules: Vec<Rule>) -> Firewall {
    let fw = Firewall::new("unit");
    fw.set_rules(rules).unwrap();
    fw
}

fn loopback_only() -> Firewall {
    firewall(vec![Rule::new(
        ALLOW,
        TCP,
        ANY,
        "127.0.0.1",
        ANY,
        "loopback",
    )
    .unwrap()])
}

async fn counted() -> HttpResponse {
    RUNS.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().body("served")
}

fn get(path: &str, peer: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri(path)
        .peer_addr(peer.parse().unwrap())
}

/// Status and body of one request to `app`.
macro_rules! call {
    ($app:expr, $req:expr) => {{
        let res = test::call_service(&$app, $req.to_request()).await;
        let status = res.status();
        let body = test::read_body(res).await;
        (status, String::from_utf8(body.to_vec()).unwrap())
    }};
}

#[actix_web::test]
async fn allowed_requests_reach_the_handler_and_drops_never_do() {
    let fw = loopback_only();
    let app = test::init_service(
        App::new()
            .wrap(fw.middleware())
            .route("/", web::get().to(counted)),
    )
    .await;
    let before = RUNS.load(Ordering::SeqCst);
    assert_eq!(
        call!(app, get("/", "127.0.0.1:40000")),
        (StatusCode::OK, "served".into())
    );
    let res = test::call_service(&app, get("/", "192.0.2.1:40000").to_request()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/plain; charset=utf-8"
    );
    assert_eq!(test::read_body(res).await, "Access denied by Firewall.");
    assert_eq!(
        RUNS.load(Ordering::SeqCst) - before,
        1,
        "the handler ran for the dropped request"
    );
    let stats = fw.stats();
    assert_eq!((stats.allowed, stats.dropped), (1, 1));
}

#[actix_web::test]
async fn a_request_without_a_peer_address_is_refused_and_counted() {
    let fw = firewall(vec![
        Rule::new(ALLOW, ANY, ANY, ANY, ANY, "everything").unwrap()
    ]);
    let app = test::init_service(
        App::new()
            .wrap(fw.middleware())
            .route("/", web::get().to(counted)),
    )
    .await;
    let (status, body) = call!(app, test::TestRequest::get().uri("/"));
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::FORBIDDEN, "Access denied by Firewall.")
    );
    assert_eq!((fw.stats().allowed, fw.stats().dropped), (0, 1));
}

#[actix_web::test]
async fn the_destination_is_the_local_address_unless_a_port_is_pinned() {
    // TestRequest's local address is 127.0.0.1:8080.
    let fw = firewall(vec![Rule::new(
        ALLOW,
        TCP,
        8080,
        ANY,
        "127.0.0.1",
        "the test listener",
    )
    .unwrap()]);
    let rules_5000 = firewall(vec![Rule::new(
        ALLOW,
        TCP,
        5000,
        ANY,
        "127.0.0.1",
        "pinned",
    )
    .unwrap()]);
    let app = test::init_service(
        App::new()
            .service(web::resource("/local").wrap(fw.middleware()).to(counted))
            .service(
                web::resource("/pinned")
                    .wrap(rules_5000.middleware().port(5000))
                    .to(counted),
            )
            .service(
                web::resource("/unpinned")
                    .wrap(rules_5000.middleware())
                    .to(counted),
            ),
    )
    .await;
    assert_eq!(call!(app, get("/local", "192.0.2.1:1")).0, StatusCode::OK);
    assert_eq!(call!(app, get("/pinned", "192.0.2.1:1")).0, StatusCode::OK);
    assert_eq!(
        call!(app, get("/unpinned", "192.0.2.1:1")).0,
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_scope_is_guarded_and_its_siblings_are_not() {
    let closed = firewall(vec![
        Rule::new(DROP, ANY, ANY, ANY, ANY, "admin is closed").unwrap()
    ]);
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/admin")
                    .wrap(closed.middleware())
                    .route("", web::get().to(counted)),
            )
            .route("/", web::get().to(counted)),
    )
    .await;
    assert_eq!(
        call!(app, get("/admin", "127.0.0.1:1")).0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(call!(app, get("/", "127.0.0.1:1")).0, StatusCode::OK);
    assert_eq!(closed.stats().rules[0].hits, 1);
}

#[actix_web::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    let partner = || {
        firewall(vec![Rule::new(
            ALLOW,
            TCP,
            ANY,
            "198.51.100.7",
            ANY,
            "partner",
        )
        .unwrap()])
    };
    let trusting = partner()
        .middleware()
        .trusted_proxies(["127.0.0.1"])
        .unwrap();
    let app = test::init_service(
        App::new()
            .service(
                web::resource("/direct")
                    .wrap(partner().middleware())
                    .to(counted),
            )
            .service(web::resource("/proxied").wrap(trusting).to(counted)),
    )
    .await;
    let spoof = |path| get(path, "127.0.0.1:1").insert_header(("X-Forwarded-For", "198.51.100.7"));
    assert_eq!(call!(app, spoof("/direct")).0, StatusCode::FORBIDDEN);
    assert_eq!(call!(app, spoof("/proxied")).0, StatusCode::OK);
    let stranger =
        get("/proxied", "192.0.2.1:1").insert_header(("X-Forwarded-For", "198.51.100.7"));
    assert_eq!(call!(app, stranger).0, StatusCode::FORBIDDEN);
    let junk = get("/proxied", "127.0.0.1:1").insert_header(("X-Forwarded-For", "unknown"));
    assert_eq!(call!(app, junk).0, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn rules_replaced_between_requests_apply_to_the_next_one() {
    let fw = loopback_only();
    let app = test::init_service(
        App::new()
            .wrap(fw.middleware())
            .route("/", web::get().to(counted)),
    )
    .await;
    assert_eq!(call!(app, get("/", "127.0.0.1:1")).0, StatusCode::OK);
    fw.set_rules(vec![Rule::new(DROP, ANY, ANY, ANY, ANY, "closed").unwrap()])
        .unwrap();
    assert_eq!(call!(app, get("/", "127.0.0.1:1")).0, StatusCode::FORBIDDEN);
}
