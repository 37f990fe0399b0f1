use actix_web::{post, web, App};
use firewall_actix::firewall;

#[post("/login")]
#[firewall(limit = "login")]
async fn login(form: web::Bytes) -> String {
    format!("{} bytes", form.len())
}

#[firewall(limit = "api.v1-read_only", waf = "off", port = 5000)]
async fn api() -> &'static str {
    "ok"
}

fn main() {
    let _ = App::new().service(login).route("/api", web::get().to(api));
}
