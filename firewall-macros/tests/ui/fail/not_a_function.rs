use firewall_actix::firewall;

#[firewall]
struct Index;

fn main() {}
