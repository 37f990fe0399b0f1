use firewall_actix::firewall;

#[firewall(limit = "log in")]
async fn login() -> &'static str {
    "welcome"
}

#[firewall(limit = 5)]
async fn other() -> &'static str {
    "other"
}

fn main() {}
