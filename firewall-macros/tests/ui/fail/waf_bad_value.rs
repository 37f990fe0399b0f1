use firewall_actix::firewall;

#[firewall(port = 5000, waf = "maybe")]
async fn index() -> &'static str {
    "veera"
}

fn main() {}
