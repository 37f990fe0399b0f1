//! Decision time of the compiled matcher against a linear first-match scan,
//! at 10, 10,000 and 1,000,000 rules, with the first match early, late,
//! absent, or wherever random packets fall, same-family or mixed (see
//! `support/rules_gen.rs`).
//!
//! `cargo bench -p firewall-core --bench matcher`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use firewall_core::{Packet, Rule, RuleSet};

#[path = "support/rules_gen.rs"]
mod rules_gen;

use rules_gen::Case;

const SIZES: [usize; 3] = [10, 10_000, 1_000_000];
/// Probe packets per case, cycled so that one hot packet does not flatter the cache.
const PROBES: usize = 256;

fn linear(rules: &[Rule], packet: &Packet) -> Option<usize> {
    rules.iter().position(|r| r.matches(packet))
}

/// Where the probes of `case` first match, to show the case is what it says.
fn describe(set: &RuleSet, case: Case, packets: &[Packet]) {
    let mut at: Vec<Option<usize>> = packets.iter().map(|p| set.decide(p).rule).collect();
    at.sort_unstable();
    let matched = at.iter().filter(|a| a.is_some()).count();
    println!(
        "rules {}: case {}: {matched}/{} probes match; first match index min {:?} median {:?} max {:?}",
        set.len(),
        case.name(),
        packets.len(),
        at.first().copied().flatten(),
        at[at.len() / 2],
        at.last().copied().flatten(),
    );
}

fn bench_size(c: &mut Criterion, n: usize) {
    // The linear scan reads its own copy: the set hands rules out one by one.
    let rules = rules_gen::rules(n, 42);
    let set = RuleSet::new(rules.clone()).expect("generated rules are valid");
    let probes: Vec<(Case, Vec<Packet>)> = Case::ALL
        .into_iter()
        .map(|case| (case, rules_gen::packets(case, PROBES, 7)))
        .collect();
    for (case, packets) in &probes {
        describe(&set, *case, packets);
        for p in packets {
            assert_eq!(set.decide(p).rule, linear(&rules, p), "compiled != linear");
        }
    }
    let mut group = c.benchmark_group(format!("decide/{n}"));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for (case, packets) in &probes {
        group.bench_function(BenchmarkId::new("compiled", case.name()), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % PROBES;
                black_box(set.decide(black_box(&packets[i])))
            });
        });
    }
    group.finish();
    let mut group = c.benchmark_group(format!("linear/{n}"));
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(if n >= 1_000_000 { 4 } else { 2 }));
    group.sample_size(if n >= 1_000_000 { 10 } else { 50 });
    for (case, packets) in &probes {
        group.bench_function(BenchmarkId::new("scan", case.name()), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % PROBES;
                black_box(linear(&rules, black_box(&packets[i])))
            });
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    for n in SIZES {
        bench_size(&mut c, n);
    }
    c.final_summary();
}
