//! Support for the code `#[firewall]` generates. Not a public API: it may
//! change in any release.

pub use actix_web;
pub use firewall_core::waf::Mode;

use actix_web::dev::Payload;
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse};
use firewall_core::{Firewall, Packet};

use crate::guard::{self, Checked, Connection, Policy, Verdict};
use crate::inspection::{self, Outcome, Subject};
use crate::proxy::TrustedProxies;
use crate::response::{denied, misconfigured};

/// What a missing `Firewall` is reported as.
pub const MISSING_FIREWALL: &str =
    "no Firewall for this handler: wrap the app with .wrap(fw.middleware()) or add .app_data(fw.clone())";

/// What `waf = "on"` without a WAF is reported as.
pub const MISSING_WAF: &str =
    "#[firewall(waf = \"on\")] but the Firewall has no WAF: call Firewall::set_waf";

/// Checks the request a guarded handler is about to serve. `None`: serve it;
/// `Some(response)`: answer that instead (403 on DROP or failure, 500 when the
/// app registered no `Firewall`).
pub fn check(req: &HttpRequest, port: Option<u16>) -> Option<HttpResponse> {
    let judge = match Judge::of(req, port) {
        Ok(judge) => judge,
        Err(refused) => return Some(refused.response()),
    };
    match judge.acl(Connection::of(req)) {
        Verdict::Allow(_) => None,
        Verdict::Deny | Verdict::Error => Some(denied()),
    }
}

/// Why the handler is not served (kept small: the response is built after).
enum Refused {
    NoFirewall,
    Denied,
}

impl Refused {
    fn response(self) -> HttpResponse {
        match self {
            Refused::NoFirewall => misconfigured(),
            Refused::Denied => denied(),
        }
    }
}

/// Who judges a guarded handler's request and how: the app's firewall (or
/// else the one of the middleware in front), the policy the middleware
/// applied if it is that firewall's (with the handler's `port`, if given),
/// else the handler's own, and what that middleware already judged.
struct Judge {
    firewall: Firewall,
    policy: Policy,
    checked: Option<Checked>,
}

impl Judge {
    fn of(req: &HttpRequest, port: Option<u16>) -> Result<Self, Refused> {
        let checked = req.extensions().get::<Checked>().cloned();
        let firewall = match (req.app_data::<Firewall>(), &checked) {
            (Some(registered), _) => registered.clone(),
            (None, Some(checked)) => checked.by.firewall.clone(),
            (None, None) => {
                log::error!("Firewall Processing Error: {MISSING_FIREWALL}");
                return Err(Refused::NoFirewall);
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
        })
    }

    /// The ACL alone, final at once: the packet the middleware already
    /// allowed passes silently; any other is decided, counted and logged.
    fn acl(&self, conn: Connection<'_>) -> Verdict<Packet> {
        let fw = &self.firewall;
        guard::evaluate_with(fw, &self.policy, conn, |packet| match &self.checked {
            Some(checked) if checked.packet == *packet => Ok(*packet),
            _ => guard::acl_only(fw, packet),
        })
    }

    /// The ACL stage before the WAF: the packet the middleware already
    /// allowed is [`Subject::Served`]; any other is admitted, its verdict
    /// left to the WAF.
    fn admit(&self, conn: Connection<'_>) -> Verdict<Subject> {
        let fw = &self.firewall;
        guard::evaluate_with(fw, &self.policy, conn, |packet| match &self.checked {
            Some(checked) if checked.packet == *packet => Ok(Subject::Served(*packet)),
            _ => fw.admit(packet).map(Subject::Admitted),
        })
    }
}

/// [`check`], then the firewall's WAF (if any; `force` overrides its mode).
/// `Ok(payload)`: serve, the extractors read `payload` (the original body);
/// `Err(response)`: answer that (403, 413, 500, or the body's read error).
///
/// # Errors
///
/// The response to send instead of running the handler.
pub async fn guard(
    req: &HttpRequest,
    port: Option<u16>,
    force: Option<Mode>,
    payload: Payload,
) -> Result<Payload, HttpResponse> {
    let judge = Judge::of(req, port).map_err(Refused::response)?;
    let firewall = &judge.firewall;
    let Some(waf) = inspection::active(firewall, req.uri().path()) else {
        if !matches!(judge.acl(Connection::of(req)), Verdict::Allow(_)) {
            return Err(Refused::Denied.response());
        }
        if force == Some(Mode::On) && firewall.waf().is_none() {
            log::error!("Firewall Processing Error: {MISSING_WAF}");
            return Err(misconfigured());
        }
        return Ok(payload);
    };
    let Verdict::Allow(subject) = judge.admit(Connection::of(req)) else {
        return Err(Refused::Denied.response());
    };
    let mode = force.unwrap_or(waf.config().mode);
    if matches!(subject, Subject::Served(_))
        && judge.checked.as_ref().and_then(|c| c.waf) == Some(mode)
    {
        return Ok(payload); // the middleware inspected it in this mode already
    }
    match inspection::inspect(firewall, &waf, subject, req, payload, force).await {
        Ok(Outcome::Serve(payload)) => Ok(payload),
        Ok(Outcome::Refuse(response)) => Err(response),
        Err(err) => Err(HttpResponse::from_error(err)),
    }
}
