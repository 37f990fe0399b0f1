//! The Sentinel SOC web monitor: a live dashboard and a JSON API beside the protected app.
//!
//! [`WebMonitor::start`] binds its address at once (a busy port is an error
//! naming the address) and serves on its own thread, with its own runtime and
//! one worker, so the protected app keeps running whatever the monitor does.
//! An app that must run whether or not the monitor starts logs the error and
//! goes on (see `examples/seed_web_monitor.rs`).
//!
//! The page (`/`) is pushed updates by Server-Sent Events: totals, request
//! rate, the latest decisions coloured by verdict (each once, also across a
//! reconnect; when more come than the stream carries, "1,234 more since
//! 10:52:46"), the top blocked sources, the process's CPU and memory. It
//! fetches the rules 50 at a time, those with hits first, and has a button
//! to download the audit report. Neither the statistics nor the stream cost
//! more with more rules. It lists the bans in force (who, why, since,
//! until) with an Unban button and a form to ban an address, and counts the
//! rate-limit refusals, whose `RATE DROP` rows the live feed marks apart.
//! The JSON API is described in [`api`]; `/metrics` serves the Prometheus
//! metrics ([`crate::metrics`]) under the same token rules, and starting the
//! monitor turns on the decision-latency histogram.
//!
//! # Security
//!
//! - It binds to loopback (127.0.0.1:8000) unless told otherwise. Without a
//!   token it answers only requests whose `Host` is a loopback name, so a web
//!   page cannot reach it through DNS rebinding.
//! - Any other address needs [`MonitorConfig::token`]; then every page and API
//!   call must carry it, as `Authorization: Bearer <token>` (the scheme in any
//!   case) or `?token=<token>` (compared in constant time). A token shorter than
//!   [`MIN_TOKEN_BYTES`] is refused at start. Only the static script and style
//!   sheet are public. Bans are changed only by `POST` (never a `GET`), only
//!   on a monitor with a token, and never from a page of another origin
//!   (see [`api`]). A request refused for its token is logged as a WARNING
//!   with the client's address and the path (escaped), at most one line per
//!   10 seconds, the next line counting those left out; the token is never logged.
//! - Everything that came from a client is shown as text: the page builds its
//!   DOM with `textContent` only, and every answer carries a strict
//!   Content-Security-Policy (no inline script), `X-Content-Type-Options: nosniff`
//!   and `X-Frame-Options: DENY`.
//!
//! # Examples
//!
//! The seed's third program: the app on 5000, the monitor on 127.0.0.1:8000.
//!
//! ```no_run
//! use firewall_actix::monitor::create_monitor;
//! use firewall_actix::prelude::*;
//!
//! let fw = Firewall::new("app").with_rules(vec![
//!     Rule::new(ALLOW, TCP, 5000, ANY, ANY, "Allow HTTP to the app on 5000")?,
//! ])?;
//! let monitor = create_monitor(&fw, "127.0.0.1", 8000)?;
//! println!("--- Sentinel SOC Monitor on {} ---", monitor.url());
//! // ... run the protected app here; the monitor stops when `monitor` is dropped.
//! monitor.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod access;
pub mod api;
mod bans;
mod process;
mod routes;
mod rule_pages;
mod sampler;
mod stream;

use std::net::{IpAddr, SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{middleware, web, App, HttpServer};
use firewall_core::Firewall;

use access::Access;
use routes::Interval;
use sampler::Sampler;

/// The shortest access token accepted, in bytes.
pub const MIN_TOKEN_BYTES: usize = 16;

/// Where and how the monitor serves.
///
/// # Examples
///
/// ```
/// use firewall_actix::monitor::MonitorConfig;
/// let config = MonitorConfig::new("0.0.0.0", 8000).token("a-long-random-secret");
/// assert_eq!(config.address(), ("0.0.0.0", 8000));
/// ```
#[derive(Clone)]
pub struct MonitorConfig {
    host: String,
    port: u16,
    token: Option<String>,
    interval: Duration,
}

impl std::fmt::Debug for MonitorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitorConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("interval", &self.interval)
            .finish()
    }
}

impl Default for MonitorConfig {
    /// 127.0.0.1:8000, no token, an update per second.
    fn default() -> Self {
        Self::new("127.0.0.1", 8000)
    }
}

impl MonitorConfig {
    /// Serve on `host:port` (port 0: any free port, see [`MonitorHandle::addr`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_actix::monitor::MonitorConfig::new("127.0.0.1", 0);
    /// ```
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            token: None,
            interval: Duration::from_secs(1),
        }
    }

    /// Requires `token` on every page and API call; needed to bind a non-loopback address.
    /// It must be at least [`MIN_TOKEN_BYTES`] long ([`WebMonitor::start`] refuses it otherwise).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_actix::monitor::MonitorConfig::default().token("s3cret-token-of-32-characters!");
    /// ```
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// How often the page is pushed an update (default 1 s, at least 50 ms).
    ///
    /// # Examples
    ///
    /// ```
    /// let _ = firewall_actix::monitor::MonitorConfig::default().interval(std::time::Duration::from_millis(250));
    /// ```
    #[must_use]
    pub fn interval(mut self, every: Duration) -> Self {
        self.interval = every.max(Duration::from_millis(50));
        self
    }

    /// The host and port asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_actix::monitor::MonitorConfig::default().address(), ("127.0.0.1", 8000));
    /// ```
    pub fn address(&self) -> (&str, u16) {
        (&self.host, self.port)
    }
}

/// Why the monitor did not start.
///
/// # Examples
///
/// ```
/// use firewall_actix::monitor::{MonitorConfig, MonitorError, WebMonitor};
/// let fw = firewall_core::Firewall::new("app");
/// let err = WebMonitor::start(&fw, MonitorConfig::new("0.0.0.0", 0)).unwrap_err();
/// assert!(matches!(err, MonitorError::TokenRequired { .. }));
/// assert!(err.to_string().contains("0.0.0.0"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// The host name did not resolve.
    #[error("monitor address `{addr}` does not resolve: {source}")]
    Resolve {
        /// `host:port` as given.
        addr: String,
        /// The resolver's error.
        source: std::io::Error,
    },
    /// Binding failed (port in use, no permission...).
    #[error("monitor cannot listen on {addr}: {source}")]
    Bind {
        /// The address tried.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A non-loopback address without an access token.
    #[error(
        "monitor refuses to listen on non-loopback {addr} without an access token: \
         call MonitorConfig::token(..) or bind 127.0.0.1"
    )]
    TokenRequired {
        /// The address refused.
        addr: SocketAddr,
    },
    /// `token("")`.
    #[error("monitor access token is empty")]
    EmptyToken,
    /// A token shorter than [`MIN_TOKEN_BYTES`]: too easy to guess.
    #[error(
        "monitor access token is {len} bytes long: it must be at least {MIN_TOKEN_BYTES} \
         (e.g. `openssl rand -hex 16`)"
    )]
    TokenTooShort {
        /// The length given, in bytes.
        len: usize,
    },
    /// The server thread could not start.
    #[error("monitor server failed to start: {0}")]
    Server(#[source] std::io::Error),
}

/// The monitor's entry point.
///
/// # Examples
///
/// ```
/// use firewall_actix::monitor::{MonitorConfig, WebMonitor};
/// let fw = firewall_core::Firewall::new("app");
/// let monitor = WebMonitor::start(&fw, MonitorConfig::new("127.0.0.1", 0))?;
/// assert!(monitor.addr().ip().is_loopback());
/// monitor.stop();
/// # Ok::<(), firewall_actix::monitor::MonitorError>(())
/// ```
#[derive(Debug)]
pub struct WebMonitor;

impl WebMonitor {
    /// Binds `config`'s address now and serves the monitor of `fw` on its own thread.
    /// Turns on `fw`'s event ring.
    ///
    /// # Errors
    ///
    /// [`MonitorError`]: the address does not resolve or cannot be bound, or is
    /// not loopback and no token was given, or the token is shorter than [`MIN_TOKEN_BYTES`].
    ///
    /// # Examples
    ///
    /// See [`WebMonitor`].
    pub fn start(fw: &Firewall, config: MonitorConfig) -> Result<MonitorHandle, MonitorError> {
        let addr = resolve(&config)?;
        check_access(addr, config.token.as_deref())?;
        let listener =
            TcpListener::bind(addr).map_err(|source| MonitorError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(MonitorError::Server)?;
        let sampler = web::Data::new(Sampler::new(fw.clone()));
        let access = Access::new(config.token);
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("firewall-monitor-{}", addr.port()))
            .spawn(move || serve(listener, sampler, access, config.interval, &tx))
            .map_err(MonitorError::Server)?;
        match rx.recv() {
            Ok(Ok(server)) => Ok(MonitorHandle {
                addr,
                server,
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(MonitorError::Server(e)),
            Err(_) => Err(MonitorError::Server(std::io::Error::other(
                "monitor thread died",
            ))),
        }
    }
}

/// Starts the monitor of `fw` on `host:port`, as the seed's `create_monitor(fw, host, port)`.
///
/// # Errors
///
/// As [`WebMonitor::start`].
///
/// # Examples
///
/// ```
/// let fw = firewall_actix::Firewall::new("app");
/// let monitor = firewall_actix::monitor::create_monitor(&fw, "127.0.0.1", 0)?;
/// assert!(monitor.url().starts_with("http://127.0.0.1:"));
/// # Ok::<(), firewall_actix::monitor::MonitorError>(())
/// ```
pub fn create_monitor(fw: &Firewall, host: &str, port: u16) -> Result<MonitorHandle, MonitorError> {
    WebMonitor::start(fw, MonitorConfig::new(host, port))
}

/// A running monitor. Dropping it (or [`stop`](Self::stop)) stops the monitor only.
///
/// # Examples
///
/// See [`WebMonitor`].
#[derive(Debug)]
#[must_use = "the monitor stops when its handle is dropped"]
pub struct MonitorHandle {
    addr: SocketAddr,
    server: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl MonitorHandle {
    /// The address served (the real port when 0 was asked).
    ///
    /// # Examples
    ///
    /// See [`WebMonitor`].
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, for people.
    ///
    /// # Examples
    ///
    /// See [`create_monitor`].
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the monitor and waits for its thread; open pages are disconnected.
    ///
    /// # Examples
    ///
    /// See [`WebMonitor`].
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            // `stop` sends the command at once; the returned future only reports completion.
            drop(self.server.stop(false));
            let _ = thread.join();
        }
    }
}

impl Drop for MonitorHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn resolve(config: &MonitorConfig) -> Result<SocketAddr, MonitorError> {
    let text = format!("{}:{}", config.host, config.port);
    let resolve_error = |source| MonitorError::Resolve {
        addr: text.clone(),
        source,
    };
    if let Ok(ip) = config
        .host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, config.port));
    }
    (config.host.as_str(), config.port)
        .to_socket_addrs()
        .map_err(resolve_error)?
        .next()
        .ok_or_else(|| resolve_error(std::io::Error::other("no address")))
}

fn check_access(addr: SocketAddr, token: Option<&str>) -> Result<(), MonitorError> {
    match token {
        Some("") => Err(MonitorError::EmptyToken),
        Some(t) if t.len() < MIN_TOKEN_BYTES => Err(MonitorError::TokenTooShort { len: t.len() }),
        None if !addr.ip().is_loopback() => Err(MonitorError::TokenRequired { addr }),
        _ => Ok(()),
    }
}

/// The monitor thread: one runtime, one worker, no signal handling (the app owns Ctrl-C).
fn serve(
    listener: TcpListener,
    sampler: web::Data<Sampler>,
    access: Access,
    every: Duration,
    started: &mpsc::Sender<std::io::Result<ServerHandle>>,
) {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let server = match http_server(listener, sampler.clone(), access, every) {
            Ok(server) => server,
            Err(e) => {
                let _ = started.send(Err(e));
                return;
            }
        };
        let _ = started.send(Ok(server.handle()));
        actix_web::rt::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            loop {
                ticker.tick().await;
                sampler.tick();
            }
        });
        if let Err(e) = server.await {
            log::error!(target: "firewall", "Monitor server error: {e}");
        }
    });
}

fn http_server(
    listener: TcpListener,
    sampler: web::Data<Sampler>,
    access: Access,
    every: Duration,
) -> std::io::Result<actix_web::dev::Server> {
    let access = web::Data::new(access);
    let interval = web::Data::new(Interval(every));
    let metrics = web::Data::new(crate::metrics::registry(sampler.firewall().clone()));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(sampler.clone())
            .app_data(metrics.clone())
            .app_data(access.clone())
            .app_data(interval.clone())
            .wrap(middleware::from_fn(access::guard))
            .wrap(access::security_headers())
            .configure(routes::configure)
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?;
    Ok(server.run())
}
