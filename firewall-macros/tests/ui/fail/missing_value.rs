use firewall_actix::firewall;

#[firewall(port)]
async fn index() -> &'static str {
    "veera"
}

fn main() {}
