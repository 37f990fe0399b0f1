use firewall_actix::firewall;

#[firewall(port = 5000, port = 5001)]
async fn index() -> &'static str {
    "veera"
}

fn main() {}
