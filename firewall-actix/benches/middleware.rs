//! Cost of the firewall per request, as a ratio to the same app without it.
//!
//! Every variant sends the same `GET /` through `actix_web::test::call_service`
//! (no sockets), so the difference is the middleware or the attribute:
//! building the packet, deciding, counting and logging the line (the logger is
//! on, writing to a temporary file, console off). `middleware_limit_allow`
//! adds a rate limit over every route that is never reached: counting the
//! request and its `RateLimit-Policy` / `RateLimit` response headers.
//!
//! ```text
//! cargo bench -p firewall-actix --bench middleware
//! ```

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use actix_web::{get, test, web, App, Responder};
use criterion::{criterion_group, criterion_main, Criterion};
use firewall_actix::limit::Limit;
use firewall_actix::logger::{self, LogConfig};
use firewall_actix::{firewall, Firewall, FirewallExt, Rule, ALLOW, ANY, DROP, TCP};

#[get("/guarded")]
#[firewall(port = 5000)]
async fn guarded() -> impl Responder {
    "ok"
}

fn firewall_with_rules() -> Firewall {
    // Ten rules that do not match, then the decisive ones.
    let mut rules: Vec<Rule> = (0..10)
        .map(|n| Rule::new(DROP, TCP, 6000 + n, ANY, ANY, "filler").unwrap())
        .collect();
    rules.push(Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").unwrap());
    let fw = Firewall::new("bench");
    fw.set_rules(rules).unwrap();
    fw
}

fn request(path: &str, peer: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri(path)
        .peer_addr(peer.parse().unwrap())
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let _log = logger::init(LogConfig::new("bench").dir(dir.path()).console(false)).unwrap();
    let system = actix_web::rt::System::new();
    let fw = firewall_with_rules();
    let handler = || async { "ok" };
    let plain = system.block_on(test::init_service(
        App::new().route("/", web::get().to(handler)),
    ));
    let wrapped = system.block_on(test::init_service(
        App::new()
            .wrap(fw.middleware())
            .route("/", web::get().to(handler)),
    ));
    let limited_fw = firewall_with_rules();
    let never = Limit::new("never", "1000000000/1s".parse().unwrap()).unwrap();
    limited_fw.set_limits(vec![never]).unwrap();
    let limited = system.block_on(test::init_service(
        App::new()
            .wrap(limited_fw.middleware())
            .route("/", web::get().to(handler)),
    ));
    let attributed = system.block_on(test::init_service(
        App::new().app_data(fw.clone()).service(guarded),
    ));
    let mut group = c.benchmark_group("per_request");
    group.bench_function("baseline_no_firewall", |b| {
        b.iter(|| {
            system.block_on(test::call_service(
                &plain,
                request("/", "127.0.0.1:40000").to_request(),
            ))
        });
    });
    group.bench_function("middleware_allow", |b| {
        b.iter(|| {
            system.block_on(test::call_service(
                &wrapped,
                request("/", "127.0.0.1:40000").to_request(),
            ))
        });
    });
    group.bench_function("middleware_limit_allow", |b| {
        b.iter(|| {
            system.block_on(test::call_service(
                &limited,
                request("/", "127.0.0.1:40000").to_request(),
            ))
        });
    });
    group.bench_function("middleware_drop", |b| {
        b.iter(|| {
            system.block_on(test::call_service(
                &wrapped,
                request("/", "192.0.2.1:40000").to_request(),
            ))
        });
    });
    group.bench_function("attribute_allow", |b| {
        b.iter(|| {
            system.block_on(test::call_service(
                &attributed,
                request("/guarded", "127.0.0.1:40000").to_request(),
            ))
        });
    });
    group.finish();
    logger::flush();
}

criterion_group!(benches, bench);
criterion_main!(benches);
