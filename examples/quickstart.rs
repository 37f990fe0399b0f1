//! Quick start: one app, one firewall, both outcomes.
//!
//! The app listens on two loopback ports, 5000 and 5001, behind
//! `FirewallMiddleware`. The rules allow loopback on 5000 and drop everything
//! on 5001, so `/` answers `200 OK` on the first and `403 Forbidden` on the
//! second. The example asks both URLs itself, prints the answers, and keeps
//! serving so you can try them; every decision is in `quickstart_firewall.log`.
//!
//! ```text
//! cargo run --example quickstart
//! FIREWALL_PORT=0 FIREWALL_ADMIN_PORT=0 cargo run --example quickstart -- --once
//! ```
//!
//! `FIREWALL_PORT` and `FIREWALL_ADMIN_PORT` choose the ports (`0`: any free
//! port); `--once` stops after the two requests.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use actix_web::{web, App, HttpServer};
use firewall_actix::{Firewall, FirewallExt, Rule, ALLOW, ANY, DROP, TCP};

#[path = "support/env_port.rs"]
mod env_port;
use env_port::env_port;

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let once = std::env::args().any(|arg| arg == "--once");
    let fw = Firewall::new("quickstart");
    let log = fw.init_logger()?;
    let app_fw = fw.clone();
    let server = HttpServer::new(move || {
        App::new().wrap(app_fw.middleware()).route(
            "/",
            web::get().to(|| async { "Hello from behind the firewall!\n" }),
        )
    })
    .workers(2)
    .on_connect(firewall_actix::on_connect)
    .bind(("127.0.0.1", env_port("FIREWALL_PORT", 5000)?))?
    .bind(("127.0.0.1", env_port("FIREWALL_ADMIN_PORT", 5001)?))?;
    let (open, closed) = (server.addrs()[0], server.addrs()[1]);
    fw.set_rules(vec![
        Rule::new(
            ALLOW,
            TCP,
            open.port(),
            "127.0.0.1",
            ANY,
            "Loopback may use the app",
        )?,
        Rule::new(
            DROP,
            TCP,
            closed.port(),
            ANY,
            ANY,
            "The admin port is closed",
        )?,
    ])?;
    print_intro(&fw, log.path(), open, closed);
    let server = server.run();
    let handle = server.handle();
    std::thread::spawn(move || {
        try_both(open, closed);
        if once {
            drop(handle.stop(true));
        } else {
            println!("Still serving: try the URLs above, then press Ctrl+C to stop.");
        }
    });
    server.await?;
    log.flush();
    Ok(())
}

fn print_intro(fw: &Firewall, log: &std::path::Path, open: SocketAddr, closed: SocketAddr) {
    println!(
        "Firewall quick start: every decision is logged to {}",
        log.display()
    );
    println!("Rules in force (first match wins, no match drops):");
    for (n, rule) in fw.rules().iter().enumerate() {
        println!("  {}. {rule}", n + 1);
    }
    println!("Try:");
    println!("  curl -i http://{open}/    -> 200 OK, allowed by rule #1");
    println!(
        "  curl -i http://{closed}/    -> 403 Forbidden, \"Access denied by Firewall.\" (rule #2)"
    );
}

/// Asks both URLs once and prints what came back.
fn try_both(open: SocketAddr, closed: SocketAddr) {
    println!("Asking both now:");
    for addr in [open, closed] {
        match get(addr) {
            Ok((status, body)) => {
                println!("  GET http://{addr}/ -> {status} {:?}", body.trim_end());
            }
            Err(err) => println!("  GET http://{addr}/ -> failed: {err}"),
        }
    }
}

/// A minimal HTTP/1.1 GET: the status line and the body.
fn get(addr: SocketAddr) -> std::io::Result<(String, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.lines().next().unwrap_or_default();
    let status = status.split_once(' ').map_or(status, |(_, rest)| rest);
    Ok((status.to_owned(), body.to_owned()))
}
