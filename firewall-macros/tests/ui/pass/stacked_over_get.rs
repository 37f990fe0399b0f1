// The other order works too: #[firewall] keeps the #[get] it does not know.
use actix_web::{get, App, Responder};
use firewall_actix::firewall;

#[firewall]
#[get("/")]
async fn index() -> impl Responder {
    "veera"
}

fn main() {
    let _app = App::new().service(index);
}
