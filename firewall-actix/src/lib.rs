//! Protect an Actix-web app with the firewall, the way the seed protects a
//! Flask app, in two moves: build the [`Firewall`] once, and wrap the app (or
//! a `scope`, or a resource) with [`fw.middleware()`](FirewallExt::middleware);
//! or guard one handler with [`#[firewall]`](macro@firewall).
//!
//! This crate re-exports everything from `firewall_core` (rules, the WAF, the
//! logger), so an app depends on this one crate, and `use
//! firewall_actix::prelude::*;` is the one import it needs.
//!
//! # Examples
//!
//! The whole app, with the middleware (a `Firewall` is a handle: cloning it
//! is cheap, and every clone is the same firewall):
//!
//! ```no_run
//! use actix_web::{web, App, HttpServer};
//! use firewall_actix::prelude::*;
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let fw = Firewall::new("app").with_rules(vec![
//!         "ALLOW TCP 5000 127.0.0.1 ANY \"Loopback\"".parse()?,
//!     ])?;
//!     let _log = fw.init_logger()?;
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(fw.middleware())
//!             .route("/", web::get().to(|| async { "veera" }))
//!     })
//!     .on_connect(firewall_actix::on_connect)
//!     .bind(("127.0.0.1", 5000))?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```
//!
//! The seed's first program, one handler guarded (port 5000 has no allow
//! rule, so `/` answers `403 Forbidden`, as in the seed). Without the
//! middleware, the handler finds the firewall in the app's data:
//!
//! ```no_run
//! use actix_web::{get, App, HttpServer, Responder};
//! use firewall_actix::prelude::*;
//!
//! #[get("/")]
//! #[firewall(port = 5000)]
//! async fn index() -> impl Responder {
//!     "veera"
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let fw = Firewall::new("app").with_rules(vec![
//!         Rule::new(ALLOW, TCP, 80, ANY, ANY, "Permits HTTP")?,
//!         Rule::new(DROP, TCP, 443, ANY, ANY, "Permits HTTPS")?,
//!         Rule::new(DROP, TCP, 23, ANY, "10.0.0.0/24", "Blocks Telnet to a subnet")?,
//!         Rule::new(ALLOW, TCP, 22, "192.168.1.10", ANY, "Only allows SSH from one specific IP")?,
//!     ])?;
//!     let _log = fw.init_logger()?;
//!     HttpServer::new(move || App::new().app_data(fw.clone()).service(index))
//!         .bind(("127.0.0.1", 5000))?
//!         .run()
//!         .await?;
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

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use connection::{on_connect, LocalAddr};
pub use firewall_core::*;
pub use firewall_macros::firewall;
pub use metrics::metrics_resource;
pub use middleware::{FirewallExt, FirewallMiddleware, FirewallService};
pub use proxy::{ConfigError, ProxyError, ProxyHeader, TrustedProxies};
pub use response::{denied, DENIED_BODY};

/// What an app protected by the firewall names: `use firewall_actix::prelude::*;`.
///
/// # Examples
///
/// ```
/// use firewall_actix::prelude::*;
/// let fw = Firewall::new("app").with_rules(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app")?])?;
/// let _middleware = fw.middleware();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod prelude {
    pub use crate::{firewall, Firewall, FirewallExt, Rule, ALLOW, ANY, DROP, TCP, UDP};
}
