//! Several instances, one set of limits and bans: two app instances on two
//! ports share their limits and bans through Redis.
//!
//! Instance A listens on 127.0.0.1:5001, instance B on 127.0.0.1:5002;
//! each is its own `Firewall`, as two processes or two hosts would be. The
//! limit `api` lets each client send 10 requests a minute to the whole
//! application: 10 in all, whichever instance answers. Both connect to the
//! Redis (or Valkey) at `$REDIS_URL`, else `redis://127.0.0.1:6379/0`.
//! Without a reachable Redis the example says so and runs anyway, each
//! instance counting on its own (10 a minute on each).
//!
//! ```text
//! redis-server --port 6379 --save '' &     # optional
//! cargo run --example shared_limits
//! for i in $(seq 1 8); do curl -s -o /dev/null -w "%{http_code} " http://127.0.0.1:5001/; \
//!   curl -s -o /dev/null -w "%{http_code} " http://127.0.0.1:5002/; done; echo
//! ```
//!
//! `FIREWALL_PORT_A` and `FIREWALL_PORT_B` choose the ports (`0`: any free
//! port). `--once` sends those 16 requests itself, prints the answers and
//! exits.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use actix_web::{web, App, HttpServer};
use firewall_actix::limit::Limit;
use firewall_actix::store::StoreConfig;
use firewall_actix::{Firewall, FirewallExt, Rule, ALLOW, ANY, TCP};

#[path = "support/env_port.rs"]
mod env_port;
use env_port::env_port;

/// One instance: its own firewall with the `api` limit, shared through
/// Redis when it answers.
async fn instance(name: &str, redis: &str) -> Result<Firewall, Box<dyn std::error::Error>> {
    let fw = Firewall::new(name)
        .with_rules(vec![Rule::new(
            ALLOW,
            TCP,
            ANY,
            "127.0.0.1",
            ANY,
            "Loopback",
        )?])?
        .with_limits(vec![Limit::new("api", "10/60s".parse()?)?])?;
    // Both instances use one prefix: they are one application. A decision
    // waits at most 100 ms for Redis here (5 ms by default), so that a
    // debug build on a busy machine still shares every decision.
    let config = StoreConfig::redis(redis)?
        .prefix("shared_limits")?
        .timeout(Duration::from_millis(100))?;
    match firewall_store::share(&fw, config).await {
        Ok(_) => println!("{name}: limits and bans shared through Redis at {redis}"),
        Err(e) => println!(
            "{name}: {e}\n{name}: no Redis reachable: limits and bans stay in this instance \
             (set REDIS_URL, or start redis-server on 127.0.0.1:6379)"
        ),
    }
    Ok(fw)
}

fn serve(fw: &Firewall, port: u16) -> std::io::Result<(actix_web::dev::Server, SocketAddr)> {
    let fw = fw.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(fw.middleware())
            .route("/", web::get().to(|| async { "ok\n" }))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?;
    let addr = server.addrs()[0];
    Ok((server.run(), addr))
}

/// `GET /` on a new connection: the status code.
fn status(addr: SocketAddr) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET / HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    let code = std::str::from_utf8(&head[9..12]).unwrap_or("0");
    Ok(code.parse().unwrap_or(0))
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let once = std::env::args().any(|a| a == "--once");
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let a = instance("shared_limits", &redis).await?;
    let log = a.init_logger()?;
    let b = instance("shared_limits_b", &redis).await?;
    let (server_a, addr_a) = serve(&a, env_port("FIREWALL_PORT_A", 5001)?)?;
    let (server_b, addr_b) = serve(&b, env_port("FIREWALL_PORT_B", 5002)?)?;
    println!("Instance A on http://{addr_a}/, instance B on http://{addr_b}/");
    println!("Limit \"api\": 10 requests a minute per client, for the whole application.");
    println!("Every decision is logged to {}", log.path().display());
    let (handle_a, handle_b) = (server_a.handle(), server_b.handle());
    let servers = async { futures_util::future::try_join(server_a, server_b).await };
    if !once {
        println!("Try (8 requests to each; with Redis the 11th and later answer 429):");
        println!(
            "  for i in $(seq 1 8); do curl -s -o /dev/null -w \"%{{http_code}} \" http://{addr_a}/; \
             curl -s -o /dev/null -w \"%{{http_code}} \" http://{addr_b}/; done; echo"
        );
        servers.await?;
        return Ok(());
    }
    let client = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u16>> {
        let mut answers = Vec::new();
        for _ in 0..8 {
            answers.push(status(addr_a)?);
            answers.push(status(addr_b)?);
        }
        Ok(answers)
    });
    let stop = async {
        let answers = client.await?;
        handle_a.stop(true).await;
        handle_b.stop(true).await;
        Ok::<_, Box<dyn std::error::Error>>(answers?)
    };
    let (answers, _) = futures_util::future::join(stop, servers).await;
    let answers = answers?;
    let served = answers.iter().filter(|&&s| s == 200).count();
    println!(
        "16 requests, 8 to each instance: {answers:?}: {served} served, {} refused",
        answers.len() - served
    );
    log.flush();
    Ok(())
}
