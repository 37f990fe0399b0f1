//! Support for the code `#[firewall]` generates. Not a public API: it may
//! change in any release.

pub use actix_web;
pub use firewall_core::waf::Mode;

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{CustomizeResponder, HttpMessage as _, HttpRequest, HttpResponse, Responder};
use firewall_core::limit::RateLimiter;
use firewall_core::{ClientRequest, Firewall, RateLimitHeaders, Stopped};

use crate::guard::{self, Checked, Connection, Policy, RequestHeaders, Verdict};
use crate::inspection::{self, Outcome, Subject};
use crate::middleware::shared_path;
use crate::proxy::TrustedProxies;
use crate::response::{denied, misconfigured, refusal};

/// What a missing `Firewall` is reported as.
pub const MISSING_FIREWALL: &str =
    "no Firewall for this handler: wrap the app with .wrap(fw.middleware()) or add .app_data(fw.clone())";

/// What `waf = "on"` without a WAF is reported as.
pub const MISSING_WAF: &str =
    "#[firewall(waf = \"on\")] but the Firewall has no WAF: call Firewall::set_waf";

/// Checks the request a guarded handler is about to serve: ban, ACL, the
/// limits that cover it and the handler's own `limit`. `Ok(headers)`: serve
/// it, with these rate-limit headers; `Err(response)`: answer that instead
/// (403 on a ban, a DROP or a failure, 429 over a limit, 500 when the app
/// registered no `Firewall` or the named limit does not exist).
///
/// Without a shared store the answer is ready at once; with one (Redis),
/// each limit's decision is awaited from it, within its timeout.
///
/// # Errors
///
/// The response to send instead of running the handler.
#[allow(clippy::result_large_err)] // the handler returns it as it is, once per refusal
pub async fn check(
    req: &HttpRequest,
    port: Option<u16>,
    limit: Option<&str>,
) -> Result<RateLimitHeaders, HttpResponse> {
    let judge = Judge::of(req, port, limit).map_err(Misconfigured::response)?;
    judge.connect_store().await;
    let verdict = if judge.firewall.has_shared_store() {
        judge.acl_shared(Connection::of(req)).await
    } else {
        judge.acl(Connection::of(req))
    };
    match verdict {
        Verdict::Allow(headers) => Ok(headers),
        Verdict::Refuse(stopped) => Err(refusal(&stopped)),
        Verdict::Error => Err(denied()),
    }
}

/// The handler's response with the rate-limit headers of its request.
pub fn respond<R: Responder>(response: R, headers: &RateLimitHeaders) -> CustomizeResponder<R> {
    let mut response = response.customize();
    if let (Some(policy), Some(state)) = (headers.policy(), headers.state()) {
        response = response
            .insert_header(("ratelimit-policy", policy.to_owned()))
            .insert_header(("ratelimit", state.to_owned()));
    }
    response
}

/// A guarded handler that cannot be judged: no `Firewall` registered, or
/// a `limit` it names the firewall lacks (already logged at ERROR).
struct Misconfigured;

impl Misconfigured {
    /// `500`: the handler is never served unguarded.
    #[allow(clippy::unused_self)] // the value says which answer; it holds nothing
    fn response(self) -> HttpResponse {
        misconfigured()
    }
}

/// Who judges a guarded handler's request and how: the app's firewall (or
/// else the one of the middleware in front), the policy the middleware
/// applied if it is that firewall's (with the handler's `port`, if given),
/// else the handler's own, what that middleware already judged, and the
/// handler's own limit.
struct Judge {
    firewall: Firewall,
    policy: Policy,
    checked: Option<Checked>,
    limiter: Option<Arc<RateLimiter>>,
}

impl Judge {
    fn of(
        req: &HttpRequest,
        port: Option<u16>,
        limit: Option<&str>,
    ) -> Result<Self, Misconfigured> {
        let checked = req.extensions().get::<Checked>().cloned();
        let firewall = match (req.app_data::<Firewall>(), &checked) {
            (Some(registered), _) => registered.clone(),
            (None, Some(checked)) => checked.by.firewall.clone(),
            (None, None) => {
                log::error!("Firewall Processing Error: {MISSING_FIREWALL}");
                return Err(Misconfigured);
            }
        };
        let limiter = match limit {
            None => None,
            Some(name) => {
                let Some(limiter) = firewall.limits().get(name).cloned() else {
                    // Never an unguarded handler: a limit it names must exist.
                    log::error!(
                        "Firewall Processing Error: #[firewall(limit = {name:?})] but the Firewall \
                         has no limit named {name:?}: add it with Firewall::set_limits or a [[limit]] table"
                    );
                    return Err(Misconfigured);
                };
                Some(limiter)
            }
        };
        let checked = checked.filter(|c| c.by(&firewall));
        let policy = match &checked {
            Some(c) => Policy {
                port: port.or(c.by.policy.port),
                proxies: c.by.policy.proxies.clone(),
            },
            None => Policy {
                port,
                proxies: req.app_data::<TrustedProxies>().cloned(),
            },
        };
        Ok(Self {
            firewall,
            policy,
            checked,
            limiter,
        })
    }

    /// Whether the middleware in front judged this very request (same
    /// firewall, same packet): it then counted the ban, ACL and its limits.
    fn judged_before(&self, request: &ClientRequest<'_>) -> bool {
        self.checked
            .as_ref()
            .is_some_and(|checked| checked.packet == request.packet)
    }

    /// The handler's own limit for a request the middleware judged: counted
    /// here unless the middleware counted it already (it covers the route).
    fn own_limit(&self, request: &ClientRequest<'_>) -> Result<RateLimitHeaders, Stopped> {
        match self.uncounted_limit(request) {
            Some(own) => self.firewall.limit_served(request, own),
            None => Ok(RateLimitHeaders::default()),
        }
    }

    /// [`own_limit`](Self::own_limit), decided by the shared store.
    async fn own_limit_shared(
        &self,
        request: &ClientRequest<'_>,
    ) -> Result<RateLimitHeaders, Stopped> {
        match self.uncounted_limit(request) {
            Some(own) => self.firewall.limit_served_shared(request, own).await,
            None => Ok(RateLimitHeaders::default()),
        }
    }

    /// The handler's own limit, unless the middleware's limits (which cover
    /// the route) counted it already.
    fn uncounted_limit(&self, request: &ClientRequest<'_>) -> Option<&RateLimiter> {
        let own = self.limiter.as_ref()?;
        let limits = self.firewall.limits();
        let counted = limits
            .covering(request.method, request.path)
            .any(|l| Arc::ptr_eq(l, own));
        (!counted).then_some(own.as_ref())
    }

    /// Connects the store of the rules file's `[store]` table on the first
    /// guarded request of an app without the middleware (which connects it
    /// before serving otherwise). Nothing to do without a `[store]` table.
    async fn connect_store(&self) {
        let fw = &self.firewall;
        if !fw.has_shared_store() && fw.store_config().is_some() {
            shared_path::connect_once(fw.clone()).await;
        }
    }

    /// The stages without a WAF: what the middleware judged already is not
    /// judged again.
    fn acl(&self, conn: Connection<'_>) -> Verdict<RateLimitHeaders> {
        let fw = &self.firewall;
        let own = self.limiter.as_deref();
        guard::evaluate_limited(fw, &self.policy, conn, own, |request| {
            if self.judged_before(&request) {
                self.own_limit(&request)
            } else {
                fw.check_request(&request)
            }
        })
    }

    /// The stages before the WAF: the packet the middleware already
    /// allowed is [`Subject::Served`]; any other is admitted, its verdict
    /// left to the WAF.
    fn admit(&self, conn: Connection<'_>) -> Verdict<(Subject, RateLimitHeaders)> {
        let fw = &self.firewall;
        let own = self.limiter.as_deref();
        guard::evaluate_limited(fw, &self.policy, conn, own, |request| {
            if self.judged_before(&request) {
                let headers = self.own_limit(&request)?;
                Ok((Subject::Served(request.packet), headers))
            } else {
                let (admission, headers) = fw.admit_request(&request)?;
                Ok((Subject::Admitted(admission), headers))
            }
        })
    }

    /// [`acl`](Self::acl) with the limits decided by the shared store.
    async fn acl_shared(&self, conn: Connection<'_>) -> Verdict<RateLimitHeaders> {
        let fw = &self.firewall;
        let judged = async {
            let headers = RequestHeaders(conn.headers);
            let own = self.limiter.as_deref();
            let request = guard::client_request(&self.policy, conn, &headers, own)?;
            Ok(if self.judged_before(&request) {
                self.own_limit_shared(&request).await
            } else {
                fw.check_request_shared(&request).await
            })
        };
        guard::verdict_of(fw, &self.policy, conn, judged).await
    }

    /// [`admit`](Self::admit) with the limits decided by the shared store.
    async fn admit_shared(&self, conn: Connection<'_>) -> Verdict<(Subject, RateLimitHeaders)> {
        let fw = &self.firewall;
        let judged = async {
            let headers = RequestHeaders(conn.headers);
            let own = self.limiter.as_deref();
            let request = guard::client_request(&self.policy, conn, &headers, own)?;
            Ok(if self.judged_before(&request) {
                let packet = request.packet;
                let headers = self.own_limit_shared(&request).await;
                headers.map(|headers| (Subject::Served(packet), headers))
            } else {
                let admitted = fw.admit_request_shared(&request).await;
                admitted.map(|(admission, headers)| (Subject::Admitted(admission), headers))
            })
        };
        guard::verdict_of(fw, &self.policy, conn, judged).await
    }
}

/// [`check`], then the firewall's WAF (if any; `force` overrides its mode).
/// `Ok((payload, headers))`: serve, the extractors read `payload` (the
/// original body), the response gets `headers`; `Err(response)`: answer
/// that (403, 413, 429, 500, or the body's read error).
///
/// # Errors
///
/// The response to send instead of running the handler.
pub async fn guard(
    req: &HttpRequest,
    port: Option<u16>,
    force: Option<Mode>,
    limit: Option<&str>,
    payload: Payload,
) -> Result<(Payload, RateLimitHeaders), HttpResponse> {
    let judge = Judge::of(req, port, limit).map_err(Misconfigured::response)?;
    judge.connect_store().await;
    let firewall = &judge.firewall;
    let shared = firewall.has_shared_store();
    let Some(waf) = inspection::active(firewall, req.uri().path()) else {
        let verdict = if shared {
            judge.acl_shared(Connection::of(req)).await
        } else {
            judge.acl(Connection::of(req))
        };
        let headers = match verdict {
            Verdict::Allow(headers) => headers,
            Verdict::Refuse(stopped) => return Err(refusal(&stopped)),
            Verdict::Error => return Err(denied()),
        };
        if force == Some(Mode::On) && firewall.waf().is_none() {
            log::error!("Firewall Processing Error: {MISSING_WAF}");
            return Err(misconfigured());
        }
        return Ok((payload, headers));
    };
    let verdict = if shared {
        judge.admit_shared(Connection::of(req)).await
    } else {
        judge.admit(Connection::of(req))
    };
    let (subject, headers) = match verdict {
        Verdict::Allow(admitted) => admitted,
        Verdict::Refuse(stopped) => return Err(refusal(&stopped)),
        Verdict::Error => return Err(denied()),
    };
    let mode = force.unwrap_or(waf.config().mode);
    if matches!(subject, Subject::Served(_))
        && judge.checked.as_ref().and_then(|c| c.waf) == Some(mode)
    {
        return Ok((payload, headers)); // the middleware inspected it in this mode already
    }
    match inspection::inspect(firewall, &waf, subject, req, payload, force).await {
        Ok(Outcome::Serve(payload)) => Ok((payload, headers)),
        Ok(Outcome::Refuse(response)) => Err(response),
        Err(err) => Err(HttpResponse::from_error(err)),
    }
}
