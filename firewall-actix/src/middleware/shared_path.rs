//! The middleware's path for a firewall with a shared store (Redis): the
//! same stages, with each rate-limit decision awaited from the store; and
//! the connection to the store the rules file names, made once before the
//! workers serve.

use std::rc::Rc;
use std::time::Duration;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage as _};
use firewall_core::Firewall;

use super::{with_rate_headers, Inspected};
use crate::guard::{self, Applied, Checked, Connection, Verdict};
use crate::inspection::{self, Outcome, Subject};
use crate::response::{denied, refusal};

/// How long a worker waits for another worker connecting the store.
const CONNECT_WAIT: Duration = Duration::from_secs(5);

/// Judges `req` with the limits decided by the shared store, then serves
/// or refuses it as the synchronous path does.
pub(super) fn call<S, B>(service: Rc<S>, applied: Rc<Applied>, req: ServiceRequest) -> Inspected<B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: 'static,
{
    Box::pin(async move {
        let fw = &applied.firewall;
        let Some(waf) = inspection::active(fw, req.uri().path()) else {
            let verdict = {
                let conn = Connection::of(req.request());
                guard::evaluate_shared(fw, &applied.policy, conn).await
            };
            let (packet, headers) = match verdict {
                Verdict::Allow(allowed) => allowed,
                Verdict::Refuse(stopped) => return Ok(refused(req, refusal(&stopped))),
                Verdict::Error => return Ok(refused(req, denied())),
            };
            req.extensions_mut().insert(Checked {
                by: applied.clone(),
                packet,
                waf: None,
            });
            let served = service.call(req).await?;
            return Ok(with_rate_headers(served, &headers).map_into_left_body());
        };
        let verdict = {
            let conn = Connection::of(req.request());
            guard::admit_shared(fw, &applied.policy, conn).await
        };
        let (admission, headers) = match verdict {
            Verdict::Allow(admitted) => admitted,
            Verdict::Refuse(stopped) => return Ok(refused(req, refusal(&stopped))),
            Verdict::Error => return Ok(refused(req, denied())),
        };
        let (http, payload) = req.into_parts();
        let packet = *admission.packet();
        let subject = Subject::Admitted(admission);
        match inspection::inspect(fw, &waf, subject, &http, payload, None).await? {
            Outcome::Serve(payload) => {
                let waf = Some(waf.config().mode);
                http.extensions_mut().insert(Checked {
                    by: applied.clone(),
                    packet,
                    waf,
                });
                let req = ServiceRequest::from_parts(http, payload);
                let served = service.call(req).await?;
                Ok(with_rate_headers(served, &headers).map_into_left_body())
            }
            Outcome::Refuse(res) => Ok(ServiceResponse::new(http, res).map_into_right_body()),
        }
    })
}

fn refused<B>(
    req: ServiceRequest,
    response: actix_web::HttpResponse,
) -> ServiceResponse<EitherBody<B>> {
    req.into_response(response).map_into_right_body()
}

/// Connects the store of the rules file's `[store]` table, once for every
/// worker, before this worker serves (or, without the middleware, on the
/// first request a `#[firewall]` handler guards): the first worker connects (its
/// active bans are loaded before it returns), the others wait for it. A
/// Redis that cannot be reached is logged at WARNING and limits and bans
/// stay in process.
pub(crate) async fn connect_once(fw: Firewall) {
    let Some(config) = fw.store_config() else {
        return;
    };
    if fw.has_shared_store() {
        return;
    }
    if fw.claim_store_connect() {
        connect(&fw, (*config).clone()).await;
        fw.store_connect_done();
        return;
    }
    let deadline = tokio::time::Instant::now() + CONNECT_WAIT;
    while fw.is_store_connecting() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[cfg(feature = "redis")]
async fn connect(fw: &Firewall, config: firewall_core::store::StoreConfig) {
    if let Err(e) = firewall_store::share(fw, config).await {
        log::warn!(
            target: firewall_core::logger::TARGET,
            "{e}: limits and bans stay in this process"
        );
    }
}

#[cfg(not(feature = "redis"))]
async fn connect(_fw: &Firewall, config: firewall_core::store::StoreConfig) {
    log::warn!(
        target: firewall_core::logger::TARGET,
        "Store: [store] redis = {} is ignored: firewall-actix was built without its `redis` feature; \
         limits and bans stay in this process",
        config.url_redacted()
    );
}
