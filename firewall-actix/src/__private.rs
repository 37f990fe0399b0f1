//! Support for the code `#[firewall]` generates. Not a public API: it may
//! change in any release.

pub use actix_web;

use actix_web::{web, HttpRequest, HttpResponse};
use firewall_core::Firewall;

use crate::guard::{self, Connection, Policy, Verdict};
use crate::proxy::TrustedProxies;
use crate::response::{denied, misconfigured};

/// What a missing `Firewall` is reported as.
pub const MISSING_FIREWALL: &str =
    "no Firewall registered: add .app_data(web::Data::from(fw.clone()))";

/// Checks the request a guarded handler is about to serve. `None`: serve it;
/// `Some(response)`: answer that instead (403 on DROP or failure, 500 when the
/// app registered no `Firewall`).
pub fn check(req: &HttpRequest, port: Option<u16>) -> Option<HttpResponse> {
    let policy = Policy {
        port,
        proxies: req.app_data::<TrustedProxies>().cloned(),
    };
    let conn = Connection::of(req);
    let Some(firewall) = req.app_data::<web::Data<Firewall>>() else {
        log::error!("Firewall Processing Error: {MISSING_FIREWALL}");
        return Some(misconfigured());
    };
    match guard::evaluate(firewall, &policy, conn) {
        Verdict::Allow(_) => None,
        Verdict::Deny | Verdict::Error => Some(denied()),
    }
}
