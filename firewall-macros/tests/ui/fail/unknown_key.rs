use firewall_actix::firewall;

#[firewall(prot = 5000)]
async fn index() -> &'static str {
    "veera"
}

fn main() {}
