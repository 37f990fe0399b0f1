//! Protect an Actix-web app with the firewall, the way the seed protects a
//! Flask app: the whole app, a scope or a resource with
//! [`FirewallMiddleware`], or one handler with [`#[firewall]`](macro@firewall).
//!
//! This crate re-exports everything from `firewall_core` (rules, the
//! engine, the logger), so an app depends on this one crate.
//!
//! # Examples
//!
//! The seed's first program, in Rust (port 5000 has no allow rule, so `/`
//! answers `403 Forbidden`, as in the seed):
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{get, web, App, HttpServer, Responder};
//! use firewall_actix::{firewall, Firewall, Rule, ALLOW, ANY, DROP, TCP};
//!
//! #[get("/")]
//! #[firewall(port = 5000)]
//! async fn index() -> impl Responder {
//!     "veera"
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let fw = Arc::new(Firewall::new("app"));
//!     let _log = fw.init_logger()?;
//!     fw.engine().set_rules(vec![
//!         Rule::new(ALLOW, TCP, 80, ANY, ANY, "Permits HTTP")?,
//!         Rule::new(DROP, TCP, 443, ANY, ANY, "Permits HTTPS")?,
//!         Rule::new(DROP, TCP, 23, ANY, "10.0.0.0/24", "Blocks Telnet to a subnet")?,
//!         Rule::new(ALLOW, TCP, 22, "192.168.1.10", ANY, "Only allows SSH from one specific IP")?,
//!     ])?;
//!     let data = web::Data::from(fw.clone());
//!     HttpServer::new(move || App::new().app_data(data.clone()).service(index))
//!         .bind(("127.0.0.1", 5000))?
//!         .run()
//!         .await?;
//!     Ok(())
//! }
//! ```
//!
//! The whole app, with the middleware:
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{web, App, HttpServer};
//! use firewall_actix::{Firewall, FirewallMiddleware, Rule, ALLOW, ANY, TCP};
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let fw = Arc::new(Firewall::new("app"));
//!     let _log = fw.init_logger()?;
//!     fw.engine().set_rules(vec![Rule::new(ALLOW, TCP, 5000, "127.0.0.1", ANY, "loopback")?])?;
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(FirewallMiddleware::new(fw.clone()))
//!             .route("/", web::get().to(|| async { "veera" }))
//!     })
//!     .on_connect(firewall_actix::on_connect)
//!     .bind(("127.0.0.1", 5000))?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```

mod connection;
mod guard;
mod inspection;
pub mod metrics;
mod middleware;
pub mod monitor;
pub mod proxy;
mod response;

#[doc(hidden)]
pub mod __private;

pub use connection::{on_connect, LocalAddr};
pub use firewall_core::*;
pub use firewall_macros::firewall;
pub use metrics::metrics_resource;
pub use middleware::{FirewallMiddleware, FirewallService};
pub use proxy::{ConfigError, ProxyError, ProxyHeader, TrustedProxies};
pub use response::{denied, DENIED_BODY};
