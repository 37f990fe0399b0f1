// Each `waf` value, with body extractors that must still get the body.
use actix_web::{web, App, Responder};
use firewall_actix::firewall;

#[firewall(port = 5000, waf = "on")]
async fn on(form: web::Form<Vec<(String, String)>>) -> impl Responder {
    format!("{}", form.len())
}

#[firewall(waf = "detect")]
async fn detect(body: String, _req: actix_web::HttpRequest) -> impl Responder {
    body
}

#[firewall(waf = "off", port = 8080)]
async fn off(json: web::Json<Vec<u32>>) -> impl Responder {
    format!("{}", json.len())
}

fn main() {
    let _app = App::new()
        .route("/on", web::post().to(on))
        .route("/detect", web::post().to(detect))
        .route("/off", web::post().to(off));
}
