//! Rate limits and bans: hit `/login` with curl until it answers 429.
//!
//! The app listens on 127.0.0.1:5000 behind `FirewallMiddleware`. The limit
//! `login` lets each client send 5 `POST /login` a minute (a burst of 5,
//! then one every 12 s); the sixth answers `429 Too Many Requests` with
//! `Retry-After`, and every answer of `/login` carries `RateLimit-Policy`
//! and `RateLimit`. Three refusals within a minute ban the client for 30 s:
//! it then gets `403` on every route, the log says `BAN`, and `UNBAN` when
//! the ban ends. `/` is not limited. The limit `api` counts `GET /api` by
//! the `X-Api-Key` header (a key function of the request): 3 a minute per
//! key, whatever the address; without the header, per address. Every
//! decision is in `rate_limit_firewall.log` (a refusal by `api` names the
//! key by a short hash, never the key).
//!
//! ```text
//! cargo run --example rate_limit
//! for i in $(seq 1 10); do curl -s -o /dev/null -w "%{http_code}\n" -X POST http://127.0.0.1:5000/login; done
//! curl -i -X POST http://127.0.0.1:5000/login
//! for i in 1 2 3 4; do curl -s -o /dev/null -w "%{http_code}\n" -H "X-Api-Key: k-1" http://127.0.0.1:5000/api; done
//! ```
//!
//! `FIREWALL_PORT` chooses the port (`0`: any free port).

use std::time::Duration;

use actix_web::{web, App, HttpServer};
use firewall_actix::ban::{BanPolicy, StrikeKind};
use firewall_actix::limit::Limit;
use firewall_actix::{Firewall, FirewallExt, Rule, ALLOW, ANY, TCP};

#[path = "support/env_port.rs"]
mod env_port;
use env_port::env_port;

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fw = Firewall::new("rate_limit")
        .with_rules(vec![Rule::new(
            ALLOW,
            TCP,
            ANY,
            "127.0.0.1",
            ANY,
            "Loopback may use the app",
        )?])?
        .with_limits(vec![
            Limit::new("login", "5/60s".parse()?)?
                .route("/login")?
                .method("POST")?,
            Limit::new("api", "3/60s".parse()?)?
                .route("/api")?
                .key_by(|request| request.header("x-api-key").map(str::to_owned)),
        ])?
        .with_ban_policy(
            BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(30))?
                .count(StrikeKind::AclDrop, false),
        );
    let log = fw.init_logger()?;
    let app_fw = fw.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(app_fw.middleware())
            .route("/", web::get().to(|| async { "Not limited.\n" }))
            .route("/login", web::post().to(|| async { "Welcome back.\n" }))
            .route("/api", web::get().to(|| async { "API answer.\n" }))
    })
    .workers(2)
    .on_connect(firewall_actix::on_connect)
    .bind(("127.0.0.1", env_port("FIREWALL_PORT", 5000)?))?;
    let addr = server.addrs()[0];
    println!(
        "Rate limits: every decision is logged to {}",
        log.path().display()
    );
    println!(
        "Limit \"login\": 5 POST /login a minute per client; 3 refusals in a minute ban for 30s."
    );
    println!("Try (the 6th answers 429 with Retry-After):");
    println!(
        "  for i in $(seq 1 10); do curl -s -o /dev/null -w \"%{{http_code}}\\n\" -X POST http://{addr}/login; done"
    );
    println!("  curl -i -X POST http://{addr}/login");
    println!("Limit \"api\": 3 GET /api a minute per X-Api-Key (the 4th answers 429):");
    println!(
        "  for i in 1 2 3 4; do curl -s -o /dev/null -w \"%{{http_code}}\\n\" -H \"X-Api-Key: k-1\" http://{addr}/api; done"
    );
    server.run().await?;
    log.flush();
    Ok(())
}
