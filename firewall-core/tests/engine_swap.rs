//! Replacing the rule set while traffic flows: every decision comes from the
//! old set or the new one, never a mix, and readers never block.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, DROP, TCP};

/// Set A allows port 5000 by rule #2; set B drops it by rule #1 and allows 5001.
fn set_a() -> Vec<Rule> {
    vec![
        Rule::new(DROP, TCP, 23, ANY, ANY, "a0").unwrap(),
        Rule::new(ALLOW, TCP, 5000, ANY, ANY, "a1").unwrap(),
    ]
}

fn set_b() -> Vec<Rule> {
    vec![
        Rule::new(DROP, TCP, 5000, ANY, ANY, "b0").unwrap(),
        Rule::new(ALLOW, TCP, 5001, ANY, ANY, "b1").unwrap(),
    ]
}

fn firewall_with_set_a() -> Firewall {
    Firewall::new("engine_swap").with_rules(set_a()).unwrap()
}

#[test]
fn every_decision_comes_from_one_whole_rule_set() {
    let fw = firewall_with_set_a();
    let stop = Arc::new(AtomicBool::new(false));
    let decided = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (fw, stop, decided) = (fw.clone(), stop.clone(), decided.clone());
            std::thread::spawn(move || {
                let packet = Packet::tcp(
                    "10.0.0.1:4000".parse().unwrap(),
                    "10.0.0.2:5000".parse().unwrap(),
                );
                while !stop.load(Ordering::Relaxed) {
                    let decision = fw.rules().decide(&packet);
                    match (decision.action, decision.rule) {
                        (firewall_core::Action::Allow, Some(1))
                        | (firewall_core::Action::Drop, Some(0)) => {}
                        other => panic!("decision mixes rule sets: {other:?}"),
                    }
                    decided.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // On a loaded machine the readers may not be scheduled at once: keep
    // swapping until they have made decisions while sets were being swapped
    // (or have all stopped, which only a panic does).
    let mut round = 0u64;
    let running =
        |readers: &[std::thread::JoinHandle<()>]| readers.iter().any(|r| !r.is_finished());
    while round < 2_000 || (decided.load(Ordering::Relaxed) < 1_000 && running(&readers)) {
        let next = if round % 2 == 0 { set_b() } else { set_a() };
        fw.set_rules(next).unwrap();
        round += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        // A reader that saw a mixed decision panicked: join reports it.
        reader.join().unwrap();
    }
}

#[test]
fn a_refused_rule_list_leaves_the_rules_in_force() {
    let fw = firewall_with_set_a();
    let mut bad = Rule::new(ALLOW, TCP, 80, ANY, ANY, "").unwrap();
    bad.dport = firewall_core::PortMatch::Range(9, 1);
    let err = fw
        .set_rules(vec![Rule::new(DROP, ANY, ANY, ANY, ANY, "").unwrap(), bad])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule #2: dport: `9-1` is not valid: the range's first port is above its last"
    );
    assert_eq!(fw.rules().desc(0), Some("a0"));
}
