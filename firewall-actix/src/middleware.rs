//! [`FirewallMiddleware`]: the firewall in front of an `App`, a `scope` or a resource.

use std::future::{ready, Ready};
use std::rc::Rc;
use std::time::Duration;

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{Error, HttpMessage as _};
use firewall_core::{Firewall, RateLimitHeaders, SweepLease};
use futures_util::future::{Either, LocalBoxFuture};

use crate::guard::{self, Applied, Checked, Connection, Policy, Verdict};
use crate::inspection::{self, Outcome, Subject};
use crate::proxy::{ConfigError, TrustedProxies};
use crate::response::{denied, insert_rate_headers, refusal};

mod rate_headers;
use rate_headers::WithRateHeaders;

/// Checks every request against the [`Firewall`] before the handler runs.
///
/// Per request the packet is TCP from the client (the socket peer, see
/// [`TrustedProxies`]) to the local address and port the request came in on
/// (or the port given to [`port`](Self::port)). The stages run in order
/// ([`Firewall::check_request`]), each refusal final, counted once and logged:
///
/// 1. a banned client ([`Firewall::bans`]) answers `403` (`BAN DROP`, sampled);
/// 2. the ACL decides and logs the documented line; a DROP answers
///    `403 Forbidden` with the body `Access denied by Firewall.`;
/// 3. every rate limit covering the method and path ([`Firewall::set_limits`],
///    `[[limit]]`) counts the request; over one it answers
///    `429 Too Many Requests` with `Retry-After`, `RateLimit-Policy` and
///    `RateLimit` (`RATE DROP`); a served response of a covered route
///    carries `RateLimit-Policy` and `RateLimit` too;
/// 4. the WAF, if any (below).
///
/// The handler never runs for a refused request. Limits and bans count the
/// client after trusted proxies; a trusted proxy's own address is never
/// limited or banned. Drops are strikes as the ban policy says. The first
/// service created starts the firewall's sweep on its worker (once a
/// second: bans end on time with their `UNBAN` line).
///
/// When the [`Firewall`] has a WAF ([`Firewall::set_waf`]), a request the
/// ACL allowed is then inspected: its body is read up to the WAF's limit (and
/// handed to the handler unchanged), an attack answers the same 403 and logs
/// `WAF DROP: [TCP] <client> -> <server> - <family> (<id>) in <where>` at
/// WARNING, a body over the limit answers `413` (unless the WAF is set to
/// inspect its prefix). Without a WAF the body is not touched.
///
/// Each request is counted once, with its final verdict (see
/// [Counting](Firewall#counting)): one the WAF refuses is one drop with its
/// one `WAF DROP` line, and no `ACL ALLOW` line, allowed count or rule hit;
/// one it serves gets its `ACL ALLOW` line once the WAF has passed it.
///
/// A `#[firewall]` handler behind this middleware judges with the same
/// firewall, trusted proxies and port (unless it names its own `port`), so
/// it does not decide, count or log the same request again.
///
/// If the firewall cannot decide (no peer address, an unreadable forwarding
/// header from a trusted proxy, a panic inside the check) the request is
/// refused with the same 403, `Firewall Processing Error: <what>` is logged
/// at ERROR and the drop is counted. A request is never let through because
/// something failed.
///
/// Create the [`Firewall`] once, outside `HttpServer::new` (which runs once
/// per worker), and call [`fw.middleware()`](FirewallExt::middleware) in each
/// app: every middleware made from it is the same firewall.
///
/// # Security
///
/// By default the client is the socket peer and forwarding headers are
/// ignored. Read [the proxy rules](crate::proxy) before calling
/// [`trusted_proxies`](Self::trusted_proxies).
///
/// # Examples
///
/// ```
/// use actix_web::{test, web, App, http::StatusCode};
/// use firewall_actix::prelude::*;
///
/// # actix_web::rt::System::new().block_on(async {
/// let fw = Firewall::new("docs").with_rules(vec![Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback")?])?;
/// let app = test::init_service(
///     App::new()
///         .wrap(fw.middleware())
///         .route("/", web::get().to(|| async { "hello" })),
/// )
/// .await;
/// let local = test::TestRequest::get().uri("/").peer_addr("127.0.0.1:40000".parse()?).to_request();
/// assert_eq!(test::call_service(&app, local).await.status(), StatusCode::OK);
/// let remote = test::TestRequest::get().uri("/").peer_addr("192.0.2.1:40000".parse()?).to_request();
/// let res = test::call_service(&app, remote).await;
/// assert_eq!(res.status(), StatusCode::FORBIDDEN);
/// assert_eq!(test::read_body(res).await, "Access denied by Firewall.");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct FirewallMiddleware {
    firewall: Firewall,
    policy: Policy,
}

/// What this crate adds to a [`Firewall`]: its middleware. In the
/// [`prelude`](crate::prelude).
///
/// # Examples
///
/// ```
/// use actix_web::App;
/// use firewall_actix::prelude::*;
/// let fw = Firewall::new("app");
/// let _app = App::new().wrap(fw.middleware());
/// ```
pub trait FirewallExt {
    /// A [`FirewallMiddleware`] for this firewall: client from the socket,
    /// destination from the connection. Cheap: it clones the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_actix::prelude::*;
    /// let _mw = Firewall::new("app").middleware().port(5000);
    /// ```
    fn middleware(&self) -> FirewallMiddleware;
}

impl FirewallExt for Firewall {
    fn middleware(&self) -> FirewallMiddleware {
        FirewallMiddleware {
            firewall: self.clone(),
            policy: Policy::default(),
        }
    }
}

impl FirewallMiddleware {
    /// Pins the destination port of every packet, as the seed's
    /// `@fw.firewall(port=5000)` does, whatever port the request came in on.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_actix::prelude::*;
    /// let _mw = Firewall::new("app").middleware().port(5000);
    /// ```
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.policy.port = Some(port);
        self
    }

    /// Believes `X-Forwarded-For` from these proxies (addresses or CIDR
    /// networks). Shorthand for [`proxies`](Self::proxies) with
    /// [`TrustedProxies::new`].
    ///
    /// # Errors
    ///
    /// [`ConfigError::TrustedProxy`] naming the first entry that is not valid.
    ///
    /// # Security
    ///
    /// See [the proxy rules](crate::proxy): name your proxies precisely;
    /// every address they cover may choose the client address it forwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_actix::prelude::*;
    /// let fw = Firewall::new("app");
    /// let mw = fw.middleware().trusted_proxies(["10.0.0.0/8", "127.0.0.1"]);
    /// assert!(mw.is_ok());
    /// let bad = fw.middleware().trusted_proxies(["10.0.0.0/33"]);
    /// assert!(bad.unwrap_err().to_string().contains("`10.0.0.0/33`"));
    /// ```
    pub fn trusted_proxies<I, S>(self, proxies: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Ok(self.proxies(TrustedProxies::new(proxies)?))
    }

    /// Believes the forwarding header of `proxies`.
    ///
    /// # Security
    ///
    /// See [the proxy rules](crate::proxy).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_actix::prelude::*;
    /// use firewall_actix::{ProxyHeader, TrustedProxies};
    /// let proxies = TrustedProxies::new(["::1"])?.header(ProxyHeader::Forwarded);
    /// let _mw = Firewall::new("app").middleware().proxies(proxies);
    /// # Ok::<(), firewall_actix::ConfigError>(())
    /// ```
    #[must_use]
    pub fn proxies(mut self, proxies: TrustedProxies) -> Self {
        self.policy.proxies = Some(proxies);
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for FirewallMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = FirewallService<S>;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        start_sweep(&self.firewall);
        let service = FirewallService {
            service: Rc::new(service),
            applied: Rc::new(Applied::new(&self.firewall, self.policy.clone())),
        };
        // A `[store]` table: connected before the worker serves.
        let firewall = self.firewall.clone();
        Box::pin(async move {
            shared_path::connect_once(firewall).await;
            Ok(service)
        })
    }
}

/// The service [`FirewallMiddleware`] wraps around the inner service.
#[derive(Debug)]
pub struct FirewallService<S> {
    service: Rc<S>,
    applied: Rc<Applied>,
}

type Refused<B> = Ready<Result<ServiceResponse<EitherBody<B>>, Error>>;
type Inspected<B> = LocalBoxFuture<'static, Result<ServiceResponse<EitherBody<B>>, Error>>;

impl<S, B> Service<ServiceRequest> for FirewallService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Either<Either<WithRateHeaders<S::Future>, Refused<B>>, Inspected<B>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let applied = &self.applied;
        if applied.firewall.has_shared_store() && applied.firewall.has_limits() {
            // Limits decided in Redis: awaited. Without limits the store
            // adds nothing here: bans are a local lookup, strikes are sent
            // by the stages whichever path runs.
            let (service, applied) = (self.service.clone(), applied.clone());
            return Either::Right(shared_path::call(service, applied, req));
        }
        let conn = Connection::of(req.request());
        let Some(waf) = inspection::active(&applied.firewall, req.uri().path()) else {
            // Ban, ACL and limits are the only stages: their decision is the verdict.
            let (packet, headers) = match guard::evaluate(applied, conn) {
                Verdict::Allow(allowed) => allowed,
                Verdict::Refuse(stopped) => {
                    return Either::Left(Either::Right(answer(req, refusal(&stopped))))
                }
                Verdict::Error => return Either::Left(Either::Right(answer(req, denied()))),
            };
            req.extensions_mut().insert(Checked {
                by: applied.clone(),
                packet,
                waf: None,
            });
            let served = self.service.call(req);
            return Either::Left(Either::Left(WithRateHeaders::new(served, headers)));
        };
        // The WAF gives the verdict of what the ban, ACL and limits allow.
        let (admission, headers) = match guard::admit(&applied.firewall, &applied.policy, conn) {
            Verdict::Allow(admitted) => admitted,
            Verdict::Refuse(stopped) => {
                return Either::Left(Either::Right(answer(req, refusal(&stopped))))
            }
            Verdict::Error => return Either::Left(Either::Right(answer(req, denied()))),
        };
        let (service, applied) = (self.service.clone(), applied.clone());
        Either::Right(Box::pin(async move {
            let (http, payload) = req.into_parts();
            let packet = *admission.packet();
            let subject = Subject::Admitted(admission);
            match inspection::inspect(&applied.firewall, &waf, subject, &http, payload, None)
                .await?
            {
                Outcome::Serve(payload) => {
                    let waf = Some(waf.config().mode);
                    let checked = Checked {
                        by: applied,
                        packet,
                        waf,
                    };
                    http.extensions_mut().insert(checked);
                    let req = ServiceRequest::from_parts(http, payload);
                    let served = service.call(req).await?;
                    Ok(with_rate_headers(served, &headers).map_into_left_body())
                }
                Outcome::Refuse(res) => Ok(ServiceResponse::new(http, res).map_into_right_body()),
            }
        }))
    }
}

/// `res` with the `RateLimit-Policy` and `RateLimit` headers of the limits
/// that counted its request (none: unchanged).
fn with_rate_headers<B>(
    mut res: ServiceResponse<B>,
    headers: &RateLimitHeaders,
) -> ServiceResponse<B> {
    insert_rate_headers(res.headers_mut(), headers);
    res
}

/// Starts the firewall's periodic sweep (bans end on time with their
/// `UNBAN` line; idle clients of limits are forgotten every minute) on the
/// runtime of the worker that creates this service, unless another worker
/// already runs it. It runs as long as that worker; when the worker stops,
/// the next service created takes over.
fn start_sweep(firewall: &Firewall) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        log::warn!("Firewall: no Tokio runtime here; bans end when their client returns");
        return;
    };
    if let Some(lease) = firewall.sweep_lease() {
        runtime.spawn(sweep(lease));
    }
}

/// Once a second: end the bans that are due; once a minute: forget idle clients.
async fn sweep(lease: SweepLease) {
    const EVICT_EVERY: u32 = 60;
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for tick in 1_u32.. {
        every.tick().await;
        lease.firewall().sweep(tick % EVICT_EVERY == 0);
    }
}

/// The answer to a refused request (already counted and logged).
fn answer<B>(req: ServiceRequest, response: actix_web::HttpResponse) -> Refused<B> {
    let refused: ServiceResponse<BoxBody> = req.into_response(response);
    ready(Ok(refused.map_into_right_body()))
}

pub(crate) mod shared_path;
#[cfg(test)]
mod tests;
