//! The seed's second program: the app on 5000 with the seed's four rules,
//! watched from a terminal by `firewall-monitor` (the seed's `SentinelMonitor`).
//!
//! ```text
//! cargo run -p firewall-actix --example seed_terminal_monitor
//! # in another terminal, in the same folder:
//! cargo run -p firewall-actix --bin firewall-monitor -- --log app_firewall.log --api http://127.0.0.1:8000
//! curl http://127.0.0.1:5000/      # 403: as in the seed, no rule allows port 5000
//! ```
//!
//! The terminal monitor follows `app_firewall.log`; the JSON API on 127.0.0.1:8000
//! gives it the rules with their hits and the app's CPU and memory.
//!
//! As in the seed, the app is served whatever happens to the API: when port
//! 8000 is busy, an ERROR line says so and the app runs without it (the
//! terminal monitor still follows the log). `FIREWALL_PORT` and
//! `FIREWALL_MONITOR_PORT` choose the ports (`0`: any free port).

use actix_web::{get, App, HttpServer, Responder};
use firewall_actix::monitor::create_monitor;
use firewall_actix::{firewall, Firewall, Rule, ALLOW, ANY, DROP, TCP};

#[path = "support/env_port.rs"]
mod env_port;
use env_port::env_port;

/// The protected app's port, as in the seed.
const APP_PORT: u16 = 5000;

#[get("/")]
#[firewall(port = 5000)]
async fn index() -> impl Responder {
    "veera"
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fw = Firewall::new("app").with_rules(vec![
        Rule::new(ALLOW, TCP, 80, ANY, ANY, "Permits HTTP")?,
        Rule::new(DROP, TCP, 443, ANY, ANY, "Permits HTTPS")?,
        Rule::new(
            DROP,
            TCP,
            23,
            ANY,
            "10.0.0.0/24",
            "Blocks Telnet to a subnet",
        )?,
        Rule::new(
            ALLOW,
            TCP,
            22,
            "192.168.1.10",
            ANY,
            "Only allows SSH from one specific IP",
        )?,
    ])?;
    let log = fw.init_logger()?;
    let api = match create_monitor(&fw, "127.0.0.1", env_port("FIREWALL_MONITOR_PORT", 8000)?) {
        Ok(api) => Some(api),
        Err(e) => {
            // The firewall's own target: its file records that its monitor is missing.
            log::error!(target: firewall_actix::logger::TARGET, "{e}; the app is served without the monitor API");
            None
        }
    };

    println!("--- Watch this app from a terminal: ---");
    match &api {
        Some(api) => println!(
            "    firewall-monitor --log {} --api {}",
            log.path().display(),
            api.url()
        ),
        None => println!("    firewall-monitor --log {}", log.path().display()),
    }
    println!(
        "    (from the workspace: cargo run -p firewall-actix --bin firewall-monitor -- --log ...)"
    );
    let app_fw = fw.clone();
    let server = HttpServer::new(move || App::new().app_data(app_fw.clone()).service(index))
        .bind(("127.0.0.1", env_port("FIREWALL_PORT", APP_PORT)?))?;
    for addr in server.addrs() {
        println!("--- Starting Main Protected Application on http://{addr} ---");
    }
    server.run().await?;
    if let Some(api) = api {
        api.stop();
    }
    Ok(())
}
