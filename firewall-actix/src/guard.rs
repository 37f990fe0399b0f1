//! The check shared by the middleware and the `#[firewall]` attribute: build
//! the packet from the connection, decide, and turn any failure into a refusal.

use std::any::Any;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;
use firewall_core::limit::{HeaderLookup, RateLimiter};
use firewall_core::waf::Mode;
use firewall_core::{
    Admission, ClientRequest, Firewall, Packet, Protocol, RateLimitHeaders, StageCache, Stopped,
};
use futures_util::FutureExt as _;

use crate::connection::LocalAddr;
use crate::proxy::{ProxyError, TrustedProxies};

/// How a guard builds its packet: an optional pinned destination port and
/// optional trusted proxies.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    pub(crate) port: Option<u16>,
    pub(crate) proxies: Option<TrustedProxies>,
}

/// What the guard knows about one request's connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Connection<'a> {
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) local: SocketAddr,
    pub(crate) headers: &'a HeaderMap,
    /// The request's method, for the rate limits.
    pub(crate) method: &'a str,
    /// The request's path as received (no query), for the rate limits.
    pub(crate) path: &'a str,
}

impl<'a> Connection<'a> {
    /// The connection of `req`: its peer, and the local address recorded by
    /// [`crate::on_connect`], or else the address the server listens on.
    pub(crate) fn of(req: &'a HttpRequest) -> Self {
        let local = match req.conn_data::<LocalAddr>() {
            Some(LocalAddr(addr)) => *addr,
            None => listener_addr(req.app_config().local_addr()),
        };
        Self {
            peer: req.peer_addr(),
            local,
            headers: req.headers(),
            method: req.method().as_str(),
            path: req.uri().path(),
        }
    }
}

/// The outcome of the ban, ACL and limit stages for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict<T> {
    /// Go on: what the stages allowed (a packet, or an [`Admission`] whose
    /// verdict a later stage gives, with the rate-limit headers).
    Allow(T),
    /// Refused by a ban, the rules or a limit (already counted and logged).
    Refuse(Stopped),
    /// Refused because the firewall failed (already counted, logged at ERROR).
    Error,
}

/// What a middleware applies to every request: its firewall and how it
/// builds the packet. Shared by the middleware's requests, never copied.
#[derive(Debug)]
pub(crate) struct Applied {
    pub(crate) firewall: Firewall,
    pub(crate) policy: Policy,
    /// The worker's hold on the firewall's rules and limits.
    pub(crate) stages: StageCache,
}

impl Applied {
    /// What a middleware of `firewall` applies with `policy`, in one worker.
    pub(crate) fn new(firewall: &Firewall, policy: Policy) -> Self {
        Self {
            firewall: firewall.clone(),
            policy,
            stages: firewall.stage_cache(),
        }
    }
}

/// Left in a request's extensions by the middleware once it let the request
/// through: what it applied and what it judged, so that a `#[firewall]`
/// handler behind it judges with the same firewall and policy, and neither
/// decides nor logs the same request a second time.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    /// The middleware's firewall and policy.
    pub(crate) by: Rc<Applied>,
    /// The packet it allowed (and counted as served).
    pub(crate) packet: Packet,
    /// The WAF mode the request was inspected in (`None`: not inspected).
    pub(crate) waf: Option<Mode>,
}

impl Checked {
    /// Whether `firewall` is the one the middleware applied.
    pub(crate) fn by(&self, firewall: &Firewall) -> bool {
        self.by.firewall.is_same(firewall)
    }
}

/// Why the firewall could not decide.
#[derive(Debug)]
pub(crate) enum Failure {
    NoPeer,
    Proxy(ProxyError),
    Panic(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NoPeer => {
                f.write_str("the connection has no peer address (not a TCP socket?)")
            }
            Failure::Proxy(err) => err.fmt(f),
            Failure::Panic(what) => write!(f, "the firewall panicked: {what}"),
        }
    }
}

/// Judges `conn` with [`StageCache::check_request`] (ban, ACL, limits,
/// as [`Firewall::check_request`]), final at once: the packet and the
/// rate-limit headers of the response. Never panics, never lets a failure
/// through.
pub(crate) fn evaluate(
    applied: &Applied,
    conn: Connection<'_>,
) -> Verdict<(Packet, RateLimitHeaders)> {
    evaluate_with(&applied.firewall, &applied.policy, conn, |request| {
        let judged = applied.stages.check_request(&request);
        judged.map(|h| (request.packet, h))
    })
}

/// The stages before the WAF of a request the WAF judges too:
/// [`Firewall::admit_request`], counted when the WAF gives its verdict.
pub(crate) fn admit(
    fw: &Firewall,
    policy: &Policy,
    conn: Connection<'_>,
) -> Verdict<(Admission, RateLimitHeaders)> {
    evaluate_with(fw, policy, conn, |request| fw.admit_request(&request))
}

/// [`evaluate`] with the decision step given (it counts and logs what it
/// refuses), so tests can make it fail.
pub(crate) fn evaluate_with<T>(
    fw: &Firewall,
    policy: &Policy,
    conn: Connection<'_>,
    check: impl FnOnce(ClientRequest<'_>) -> Result<T, Stopped>,
) -> Verdict<T> {
    evaluate_limited(fw, policy, conn, None, check)
}

/// [`evaluate_with`] for a handler that names its own limit.
pub(crate) fn evaluate_limited<T>(
    fw: &Firewall,
    policy: &Policy,
    conn: Connection<'_>,
    handler_limit: Option<&RateLimiter>,
    check: impl FnOnce(ClientRequest<'_>) -> Result<T, Stopped>,
) -> Verdict<T> {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        decide(policy, conn, handler_limit, check)
    }));
    let failure = match outcome {
        Ok(Ok(Ok(allowed))) => return Verdict::Allow(allowed),
        Ok(Ok(Err(stopped))) => return Verdict::Refuse(stopped),
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::Panic(panic_message(payload.as_ref())),
    };
    report(fw, policy, conn, &failure);
    Verdict::Error
}

fn decide<T>(
    policy: &Policy,
    conn: Connection<'_>,
    handler_limit: Option<&RateLimiter>,
    check: impl FnOnce(ClientRequest<'_>) -> Result<T, Stopped>,
) -> Result<Result<T, Stopped>, Failure> {
    let headers = RequestHeaders(conn.headers);
    Ok(check(client_request(
        policy,
        conn,
        &headers,
        handler_limit,
    )?))
}

/// [`evaluate`] for a firewall with a shared store: the limits' decisions
/// are awaited from the store (within its timeout).
pub(crate) async fn evaluate_shared(
    fw: &Firewall,
    policy: &Policy,
    conn: Connection<'_>,
) -> Verdict<(Packet, RateLimitHeaders)> {
    let judged = async {
        let headers = RequestHeaders(conn.headers);
        let request = client_request(policy, conn, &headers, None)?;
        Ok(fw
            .check_request_shared(&request)
            .await
            .map(|h| (request.packet, h)))
    };
    verdict_of(fw, policy, conn, judged).await
}

/// [`admit`] for a firewall with a shared store.
pub(crate) async fn admit_shared(
    fw: &Firewall,
    policy: &Policy,
    conn: Connection<'_>,
) -> Verdict<(Admission, RateLimitHeaders)> {
    let judged = async {
        let headers = RequestHeaders(conn.headers);
        let request = client_request(policy, conn, &headers, None)?;
        Ok(fw.admit_request_shared(&request).await)
    };
    verdict_of(fw, policy, conn, judged).await
}

/// The verdict of an awaited decision; a failure or a panic refuses.
pub(crate) async fn verdict_of<T>(
    fw: &Firewall,
    policy: &Policy,
    conn: Connection<'_>,
    judged: impl std::future::Future<Output = Result<Result<T, Stopped>, Failure>>,
) -> Verdict<T> {
    let failure = match AssertUnwindSafe(judged).catch_unwind().await {
        Ok(Ok(Ok(allowed))) => return Verdict::Allow(allowed),
        Ok(Ok(Err(stopped))) => return Verdict::Refuse(stopped),
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::Panic(panic_message(payload.as_ref())),
    };
    report(fw, policy, conn, &failure);
    Verdict::Error
}

/// The request the stages judge: the client after trusted proxies, the
/// destination the policy gives.
pub(crate) fn client_request<'a>(
    policy: &Policy,
    conn: Connection<'a>,
    headers: &'a RequestHeaders<'a>,
    handler_limit: Option<&'a RateLimiter>,
) -> Result<ClientRequest<'a>, Failure> {
    let peer = conn.peer.ok_or(Failure::NoPeer)?;
    let (client, exempt) = match &policy.proxies {
        Some(proxies) => {
            let client = proxies.client(peer, conn.headers).map_err(Failure::Proxy)?;
            // A trusted proxy's own request is never limited or banned.
            (client, proxies.is_trusted(client.ip()))
        }
        None => (peer, false),
    };
    let mut request = ClientRequest::new(
        Packet::tcp(client, destination(policy, conn)),
        conn.method,
        conn.path,
    );
    request.exempt = exempt;
    request.handler_limit = handler_limit;
    request.headers = Some(headers);
    Ok(request)
}

/// A request's headers as the key functions of limits read them
/// ([`firewall_core::limit::Limit::key_by`]): the first value of a name, if
/// it is visible ASCII text.
#[derive(Debug)]
pub(crate) struct RequestHeaders<'a>(pub(crate) &'a HeaderMap);

impl HeaderLookup for RequestHeaders<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name)?.to_str().ok()
    }
}

fn destination(policy: &Policy, conn: Connection<'_>) -> SocketAddr {
    match policy.port {
        Some(port) => SocketAddr::new(conn.local.ip(), port),
        None => conn.local,
    }
}

/// Logs `Firewall Processing Error: <what>` at ERROR and counts a drop.
///
/// `<what>` may hold client text (a forwarding header): the firewall's logger
/// escapes every message as it writes it, so it is not escaped twice here.
pub(crate) fn report(
    fw: &Firewall,
    policy: &Policy,
    conn: Connection<'_>,
    failure: &dyn fmt::Display,
) {
    log::error!("Firewall Processing Error: {failure}");
    let unknown = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
    let src = conn.peer.unwrap_or(unknown);
    let reason = format!("Firewall Processing Error: {failure}");
    // Counting must not undo the refusal: a panic here is swallowed.
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        fw.record_drop(Protocol::Tcp, src, destination(policy, conn), &reason);
    }));
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// The listener's address; warns once when it is a wildcard (`0.0.0.0`,
/// `::`), since rules on the destination network then see the wildcard.
fn listener_addr(addr: SocketAddr) -> SocketAddr {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if addr.ip().is_unspecified() && !WARNED.swap(true, Ordering::Relaxed) {
        log::warn!(
            "Firewall: the server listens on {addr} and no connection records its local address, \
             so rules see destination {addr}; add .on_connect(firewall_actix::on_connect) to the HttpServer"
        );
    }
    addr
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;
    use firewall_core::{Rule, ALLOW, ANY};

    use super::*;

    fn allow_all() -> Firewall {
        Firewall::new("unit")
            .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all").unwrap()])
            .unwrap()
    }

    /// The lines of this test binary's log that contain `needle`, without timestamps.
    fn logged(needle: &str) -> Vec<String> {
        static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
        let config = firewall_core::logger::LogConfig::new("unit")
            .dir(dir.path())
            .console(false);
        let log = firewall_core::logger::init(config).unwrap();
        log.flush();
        let text = std::fs::read_to_string(log.path()).unwrap();
        text.lines()
            .filter(|line| line.contains(needle))
            .map(|line| line[24..].to_owned())
            .collect()
    }

    #[test]
    fn a_panic_in_the_check_refuses_logs_and_counts() {
        logged("");
        let fw = allow_all();
        let req = TestRequest::default()
            .peer_addr("127.0.0.1:1".parse().unwrap())
            .to_http_request();
        let verdict: Verdict<Packet> =
            evaluate_with(&fw, &Policy::default(), Connection::of(&req), |_| {
                panic!("boom 4242\nforged")
            });
        assert_eq!(verdict, Verdict::Error);
        assert_eq!((fw.stats().allowed, fw.stats().dropped), (0, 1));
        assert_eq!(
            logged("boom 4242"),
            ["[ERROR] Firewall Processing Error: the firewall panicked: boom 4242\\nforged"]
        );
    }

    #[test]
    fn a_connection_without_a_peer_refuses_logs_and_counts() {
        logged("");
        let fw = allow_all();
        let req = TestRequest::default().to_http_request();
        let applied = Applied::new(&fw, Policy::default());
        let verdict = evaluate(&applied, Connection::of(&req));
        assert_eq!(verdict, Verdict::Error);
        assert_eq!((fw.stats().allowed, fw.stats().dropped), (0, 1));
        let line = "[ERROR] Firewall Processing Error: the connection has no peer address";
        assert!(!logged(line).is_empty());
    }

    #[test]
    fn failures_describe_what_went_wrong() {
        assert_eq!(
            Failure::Panic("boom".into()).to_string(),
            "the firewall panicked: boom"
        );
        assert_eq!(
            Failure::NoPeer.to_string(),
            "the connection has no peer address (not a TCP socket?)"
        );
    }

    #[test]
    fn the_packet_goes_from_the_peer_to_the_local_address() {
        let fw = allow_all();
        let req = TestRequest::default()
            .peer_addr("[::ffff:192.0.2.1]:7".parse().unwrap())
            .to_http_request();
        let mut seen = None;
        let policy = Policy {
            port: Some(5000),
            proxies: None,
        };
        let verdict = evaluate_with(&fw, &policy, Connection::of(&req), |request| {
            seen = Some(request.packet);
            Ok(request.packet)
        });
        let packet = seen.unwrap();
        assert_eq!(verdict, Verdict::Allow(packet));
        assert_eq!(
            (packet.src.to_string(), packet.dst.to_string()),
            ("192.0.2.1:7".into(), "127.0.0.1:5000".into())
        );
    }
}
