//! What the decision-latency histogram costs a decision: `Firewall::check`
//! on 10 rules (the allowing rule last, no logger) with the histogram off,
//! as it is until an exporter serves it, and on.
//!
//! ```sh
//! cargo bench -p firewall-core --bench metrics
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, DROP, TCP};

fn firewall() -> Firewall {
    let mut rules: Vec<Rule> = (1..10)
        .map(|i| Rule::new(DROP, TCP, 1000 + i, ANY, ANY, "generated").expect("a rule"))
        .collect();
    rules.push(Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule"));
    Firewall::new("bench")
        .with_rules(rules)
        .expect("valid rules")
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let packet = Packet::tcp(
        "127.0.0.1:40000".parse().expect("an address"),
        "127.0.0.1:5000".parse().expect("an address"),
    );
    let mut group = c.benchmark_group("check_10_rules");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for on in [false, true] {
        let fw = firewall();
        if on {
            fw.metrics().latency().enable();
        }
        let name = if on { "latency_on" } else { "latency_off" };
        group.bench_function(name, |b| b.iter(|| fw.check(black_box(&packet))));
    }
    group.finish();
    c.final_summary();
}
