use firewall_actix::firewall;

struct Site;

impl Site {
    #[firewall]
    async fn index(&self) -> &'static str {
        "veera"
    }
}

fn main() {}
