// Any extractors (patterns, `mut`), any Responder, `?`, attributes and
// visibility are kept.
use actix_web::{web, App, HttpRequest, HttpResponse};
use firewall_actix::firewall;

/// A documented, public handler.
#[firewall]
#[allow(clippy::needless_pass_by_value)]
pub async fn sum(path: web::Path<(u32, u32)>, web::Json((c, d)): web::Json<(u32, u32)>, mut body: String) -> String {
    let (a, b) = path.into_inner();
    body.push_str(&(a + b + c + d).to_string());
    body
}

#[firewall(port = 8080)]
async fn fallible(query: web::Query<std::collections::HashMap<String, String>>) -> Result<HttpResponse, actix_web::Error> {
    let n: u32 = query.get("n").map_or(Ok(0), |n| n.parse()).map_err(actix_web::error::ErrorBadRequest)?;
    Ok(HttpResponse::Ok().body(n.to_string()))
}

#[firewall(port = 65535)]
async fn empty() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

#[firewall]
async fn with_request(req: HttpRequest) -> String {
    req.path().to_owned()
}

fn main() {
    let _app = App::new()
        .route("/sum/{a}/{b}", web::post().to(sum))
        .route("/fallible", web::get().to(fallible))
        .route("/empty", web::get().to(empty))
        .route("/req", web::get().to(with_request));
}
