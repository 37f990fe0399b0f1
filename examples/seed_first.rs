//! The seed's first program, in Rust: its four rules and `/` guarded by
//! `#[firewall(port = 5000)]`, served on 127.0.0.1:5000.
//!
//! None of the four rules allows port 5000, so, exactly as in the seed, the
//! firewall drops the request: `GET /` answers `403 Forbidden` and
//! `seed_first_firewall.log` gets
//! `ACL DROP: [TCP] 127.0.0.1:<port> -> 127.0.0.1:5000 - No matching allow rule.`
//!
//! ```text
//! cargo run --example seed_first          # FIREWALL_PORT=8080 to listen elsewhere
//! curl -i http://127.0.0.1:5000/
//! ```

use actix_web::{get, App, HttpServer, Responder};
use firewall_actix::{firewall, Firewall, Rule, ALLOW, ANY, DROP, TCP};

#[path = "support/env_port.rs"]
mod env_port;
use env_port::env_port;

#[get("/")]
#[firewall(port = 5000)]
async fn index() -> impl Responder {
    "veera"
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fw = Firewall::new("seed_first");
    let log = fw.init_logger()?;
    fw.set_rules(vec![
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
    let port = env_port("FIREWALL_PORT", 5000)?;
    let app_fw = fw.clone();
    let server = HttpServer::new(move || App::new().app_data(app_fw.clone()).service(index))
        .workers(2)
        .bind(("127.0.0.1", port))?;
    let addr = server.addrs()[0];
    println!(
        "The seed's first program, logging to {}",
        log.path().display()
    );
    println!("Rules in force:");
    for (n, rule) in fw.rules().iter().enumerate() {
        println!("  {}. {rule}", n + 1);
    }
    println!("No rule allows port 5000, so the firewall drops every request, as in the seed:");
    println!("  curl -i http://{addr}/   -> 403 Forbidden, \"Access denied by Firewall.\"");
    println!("Press Ctrl+C to stop.");
    server.run().await?;
    Ok(())
}
