//! Support for the code `#[firewall]` generates. Not a public API: it may
//! change in any release.

pub use actix_web;
pub use firewall_core::waf::Mode;

use actix_web::dev::Payload;
use actix_web::{web, HttpMessage as _, HttpRequest, HttpResponse};
use firewall_core::{Firewall, Packet};

use crate::guard::{self, Checked, Connection, Policy, Verdict};
use crate::inspection::{self, Outcome};
use crate::proxy::TrustedProxies;
use crate::response::{denied, misconfigured};

/// What a missing `Firewall` is reported as.
pub const MISSING_FIREWALL: &str =
    "no Firewall registered: add .app_data(web::Data::from(fw.clone()))";

/// What `waf = "on"` without a WAF is reported as.
pub const MISSING_WAF: &str =
    "#[firewall(waf = \"on\")] but the Firewall has no WAF: call Firewall::set_waf";

/// Checks the request a guarded handler is about to serve. `None`: serve it;
/// `Some(response)`: answer that instead (403 on DROP or failure, 500 when the
/// app registered no `Firewall`).
pub fn check(req: &HttpRequest, port: Option<u16>) -> Option<HttpResponse> {
    acl(req, port).err().map(Refusal::response)
}

/// Why the ACL check refused (kept small: the response is built after).
enum Refusal {
    NoFirewall,
    Denied,
}

impl Refusal {
    fn response(self) -> HttpResponse {
        match self {
            Refusal::NoFirewall => misconfigured(),
            Refusal::Denied => denied(),
        }
    }
}

/// The ACL check: the app's firewall, the allowed packet and what the
/// middleware (if it ran before) already checked, or why not.
fn acl(
    req: &HttpRequest,
    port: Option<u16>,
) -> Result<(&Firewall, Packet, Option<Checked>), Refusal> {
    let policy = Policy {
        port,
        proxies: req.app_data::<TrustedProxies>().cloned(),
    };
    let conn = Connection::of(req);
    let Some(firewall) = req.app_data::<web::Data<Firewall>>() else {
        log::error!("Firewall Processing Error: {MISSING_FIREWALL}");
        return Err(Refusal::NoFirewall);
    };
    let checked = req.extensions().get::<Checked>().copied();
    let checked = checked.filter(|c| c.by(firewall));
    let verdict = match checked {
        Some(c) => guard::evaluate_with(firewall, &policy, conn, |p| c.recheck(firewall, p)),
        None => guard::evaluate(firewall, &policy, conn),
    };
    match verdict {
        Verdict::Allow(packet) => Ok((firewall, packet, checked)),
        Verdict::Deny | Verdict::Error => Err(Refusal::Denied),
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
    let (firewall, packet, checked) = acl(req, port).map_err(Refusal::response)?;
    let Some(waf) = inspection::active(firewall, req.uri().path()) else {
        if force == Some(Mode::On) && firewall.waf().is_none() {
            log::error!("Firewall Processing Error: {MISSING_WAF}");
            return Err(misconfigured());
        }
        return Ok(payload);
    };
    let mode = force.unwrap_or(waf.config().mode);
    if checked.is_some_and(|c| c.packet == packet && c.waf == Some(mode)) {
        return Ok(payload); // the middleware inspected it in this mode already
    }
    match inspection::inspect(firewall, &waf, &packet, req, payload, force).await {
        Ok(Outcome::Serve(payload)) => Ok(payload),
        Ok(Outcome::Refuse(response)) => Err(response),
        Err(err) => Err(HttpResponse::from_error(err)),
    }
}
