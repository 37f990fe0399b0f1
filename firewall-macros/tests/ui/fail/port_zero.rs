use firewall_actix::firewall;

#[firewall(port = 0)]
async fn index() -> &'static str {
    "veera"
}

fn main() {}
