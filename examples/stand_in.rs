//! Stand-in for `FirewallMiddleware` in the monitor examples, until the
//! middleware is merged: `.wrap(from_fn(guard))` becomes
//! `.wrap(FirewallMiddleware::new(fw.clone()).port(APP_PORT))`.

use std::net::SocketAddr;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use firewall_core::{Firewall, Packet};

/// The protected app's port, as in the seed.
pub const APP_PORT: u16 = 5000;

/// Stand-in for `FirewallMiddleware`: decide on the socket's peer address, answer 403 on DROP.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let fw = req.app_data::<web::Data<Firewall>>().cloned();
    let peer = req.peer_addr();
    let local = SocketAddr::new(req.app_config().local_addr().ip(), APP_PORT);
    let allowed = match (fw, peer) {
        (Some(fw), Some(peer)) => fw.check(&Packet::tcp(peer, local)).is_allowed(),
        _ => false,
    };
    if allowed {
        Ok(next.call(req).await?.map_into_left_body())
    } else {
        let denied = HttpResponse::Forbidden().body("403 Forbidden: Access denied by Firewall.");
        Ok(req.into_response(denied).map_into_right_body())
    }
}
