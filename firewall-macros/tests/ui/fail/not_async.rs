use firewall_actix::firewall;

#[firewall(port = 5000)]
fn index() -> &'static str {
    "veera"
}

fn main() {}
