// The README's order: the route macro first, then #[firewall].
use actix_web::{get, App, Responder};
use firewall_actix::firewall;

#[get("/")]
#[firewall(port = 5000)]
async fn index() -> impl Responder {
    "veera"
}

fn main() {
    let _app = App::new().service(index);
}
