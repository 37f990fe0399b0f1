//! The seed's third program: the protected app on 5000 and the Sentinel SOC
//! web monitor on <http://127.0.0.1:8000> beside it, each its own `HttpServer`.
//!
//! ```text
//! cargo run -p firewall-actix --example seed_web_monitor
//! curl http://127.0.0.1:5000/      # VEERA, and an ALLOW on the dashboard
//! open http://127.0.0.1:8000/
//! ```
//!
//! `/` is guarded by `#[firewall(port = 5000)]`, as the seed's `@fw.firewall(port=5000)`.
//!
//! As in the seed, the app is served whatever happens to the monitor: when
//! port 8000 is busy, an ERROR line says so and the app runs without it.
//! `FIREWALL_PORT` and `FIREWALL_MONITOR_PORT` choose the ports (`0`: any free port).

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
    "VEERA"
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fw = Firewall::new("app").with_rules(vec![
        Rule::new(DROP, TCP, 80, ANY, ANY, "Permits HTTP")?,
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
        // allow the application port so local requests to / are permitted
        Rule::new(
            ALLOW,
            TCP,
            APP_PORT,
            ANY,
            ANY,
            "Allow HTTP to the app on 5000",
        )?,
    ])?;
    let _log = fw.init_logger()?;

    let monitor_port = env_port("FIREWALL_MONITOR_PORT", 8000)?;
    println!("--- Starting Sentinel SOC Monitor on http://127.0.0.1:{monitor_port} ---");
    let monitor = match create_monitor(&fw, "127.0.0.1", monitor_port) {
        Ok(monitor) => {
            println!("--- Sentinel SOC Monitor on {} ---", monitor.url());
            Some(monitor)
        }
        Err(e) => {
            // The firewall's own target: its file records that its monitor is missing.
            log::error!(target: firewall_actix::logger::TARGET, "{e}; the app is served without the monitor");
            None
        }
    };

    let app_fw = fw.clone();
    let server = HttpServer::new(move || App::new().app_data(app_fw.clone()).service(index))
        // The seed binds 0.0.0.0; loopback keeps the demo private to this machine.
        .bind(("127.0.0.1", env_port("FIREWALL_PORT", APP_PORT)?))?;
    for addr in server.addrs() {
        println!("--- Starting Main Protected Application on http://{addr} ---");
    }
    server.run().await?;

    if let Some(monitor) = monitor {
        monitor.stop();
    }
    Ok(())
}
