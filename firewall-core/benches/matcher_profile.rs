//! A plain release loop over `RuleSet::decide` for instruction and cache-miss
//! counts under callgrind (perf counters are often unavailable on VMs):
//!
//! ```text
//! cargo bench -p firewall-core --bench matcher_profile --no-run
//! valgrind --tool=callgrind --cache-sim=yes --toggle-collect='*RuleSet*decide*' \
//!     target/release/deps/matcher_profile-* early 1000000 100000
//! ```
//!
//! Arguments: case (`early`, `late`, `absent`, `random`, `mixed`), rule
//! count, lookups. Divide the collected counts by the lookups.

use std::hint::black_box;

use firewall_core::RuleSet;

#[path = "support/rules_gen.rs"]
mod rules_gen;

use rules_gen::Case;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let name = args.next().unwrap_or_else(|| "early".into());
    let Some(case) = Case::ALL.into_iter().find(|c| c.name() == name) else {
        // `cargo bench -- <filter>` hands every bench the criterion filter.
        println!("matcher_profile: {name:?} is not a case; skipped (see the file's doc)");
        return;
    };
    let n: usize = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("rule count"));
    let lookups: usize = args.next().map_or(100_000, |a| a.parse().expect("lookups"));
    let set = RuleSet::new(rules_gen::rules(n, 42)).expect("generated rules are valid");
    let packets = rules_gen::packets(case, 256, 7);
    let mut matched = 0usize;
    for i in 0..lookups {
        let d = set.decide(black_box(&packets[i % packets.len()]));
        matched += usize::from(d.rule.is_some());
    }
    println!("{name}: {lookups} lookups at {n} rules, {matched} matched");
}
