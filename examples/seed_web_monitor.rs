//! The seed's third program: the protected app on 5000 and the Sentinel SOC
//! web monitor on <http://127.0.0.1:8000> beside it, each its own `HttpServer`.
//!
//! ```text
//! cargo run -p firewall-actix --example seed_web_monitor
//! curl http://127.0.0.1:5000/      # VEERA, and an ALLOW on the dashboard
//! open http://127.0.0.1:8000/
//! ```
//!
//! Until `FirewallMiddleware` lands on this branch, the app is guarded by a
//! ten-line stand-in (`stand_in.rs`) that calls `Firewall::check`; with the
//! middleware it reads `.wrap(FirewallMiddleware::new(fw.clone()).port(5000))`.

mod stand_in;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use firewall_actix::monitor::create_monitor;
use firewall_core::{Firewall, Rule, ALLOW, ANY, DROP, TCP};
use stand_in::{guard, APP_PORT};

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fw = Arc::new(Firewall::new("app").with_rules(vec![
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
    ])?);
    let _log = fw.init_logger()?;

    println!("--- Starting Sentinel SOC Monitor on http://127.0.0.1:8000 ---");
    let monitor = create_monitor(fw.clone(), "127.0.0.1", 8000)?;

    println!("--- Starting Main Protected Application on http://127.0.0.1:{APP_PORT} ---");
    let app_fw = fw.clone();
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::from(app_fw.clone()))
            .wrap(from_fn(guard))
            .route("/", web::get().to(|| async { "VEERA" }))
    })
    // The seed binds 0.0.0.0; loopback keeps the demo private to this machine.
    .bind(("127.0.0.1", APP_PORT))?
    .run()
    .await?;

    monitor.stop();
    Ok(())
}
