use firewall_actix::firewall;

#[firewall(port = 70000)]
async fn index() -> &'static str {
    "veera"
}

fn main() {}
