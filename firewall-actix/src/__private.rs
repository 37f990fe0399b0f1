//! Support for the code `#[firewall]` generates. Not a public API: it may
//! change in any release.

pub use actix_web;
pub use firewall_core::waf::Mode;

use actix_web::dev::Payload;
use actix_web::{web, HttpRequest, HttpResponse};
use firewall_core::{Firewall, Packet};

use crate::guard::{self, Connection, Policy, Verdict};
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

/// The ACL check: the app's firewall and the allowed packet, or why not.
fn acl(req: &HttpRequest, port: Option<u16>) -> Result<(&Firewall, Packet), Refusal> {
    let policy = Policy {
        port,
        proxies: req.app_data::<TrustedProxies>().cloned(),
    };
    let conn = Connection::of(req);
    let Some(firewall) = req.app_data::<web::Data<Firewall>>() else {
        log::error!("Firewall Processing Error: {MISSING_FIREWALL}");
        return Err(Refusal::NoFirewall);
    };
    match guard::evaluate(firewall, &policy, conn) {
        Verdict::Allow(packet) => Ok((firewall, packet)),
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
    let (firewall, packet) = acl(req, port).map_err(Refusal::response)?;
    let Some(waf) = inspection::active(firewall, req.uri().path()) else {
        if force == Some(Mode::On) && firewall.waf().is_none() {
            log::error!("Firewall Processing Error: {MISSING_WAF}");
            return Err(misconfigured());
        }
        return Ok(payload);
    };
    match inspection::inspect(firewall, &waf, &packet, req, payload, force).await {
        Ok(Outcome::Serve(payload)) => Ok(payload),
        Ok(Outcome::Refuse(response)) => Err(response),
        Err(err) => Err(HttpResponse::from_error(err)),
    }
}
