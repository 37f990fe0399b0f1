//! False positives on legitimate traffic: expands `tests/data/waf/benign.toml`
//! (prose with apostrophes and SQL words, searches, HTML comments, uploads,
//! JSON APIs, tracking cookies) into at least 500 requests and checks that
//! at most 0.5% are flagged at paranoia 1 and 2% at paranoia 2. Prints the
//! rate per paranoia level, and what is flagged at 1 and 2
//! (`cargo test -p firewall-core --test waf_benign -- --nocapture`).

// Rates over a few thousand cases: f64 is exact for such counts.
#![allow(clippy::cast_precision_loss)]

use firewall_core::waf::{Request, Waf, WafConfig};

#[path = "support/benign.rs"]
mod benign;

use benign::corpus;

#[test]
fn benign_corpus_false_positives_stay_under_half_a_percent_at_pl1_and_2_percent_at_pl2() {
    let requests = corpus();
    assert!(
        requests.len() >= 500,
        "only {} benign requests",
        requests.len()
    );
    let (mut pl1_flagged, mut pl2_flagged) = (0, 0);
    for paranoia in 1..=4 {
        let waf = Waf::new(WafConfig::default().paranoia(paranoia)).unwrap();
        let flagged: Vec<&Request<'static>> = requests
            .iter()
            .filter(|r| !waf.inspect(r).is_pass())
            .collect();
        let rate = flagged.len() as f64 * 100.0 / requests.len() as f64;
        println!(
            "benign corpus, PL{paranoia}: {} of {} flagged ({rate:.2}%)",
            flagged.len(),
            requests.len()
        );
        let mut by_rule = std::collections::BTreeMap::<u32, usize>::new();
        for req in &flagged {
            for m in waf.evaluate(req).matches() {
                *by_rule.entry(m.rule_id).or_default() += 1;
            }
        }
        println!("  matching signatures (id: requests): {by_rule:?}");
        match paranoia {
            1 => pl1_flagged = flagged.len(),
            2 => pl2_flagged = flagged.len(),
            _ => {}
        }
        if paranoia <= 2 {
            for req in flagged {
                let ids: Vec<String> = waf
                    .evaluate(req)
                    .matches()
                    .iter()
                    .map(|m| format!("{} in {}", m.rule_id, m.location))
                    .collect();
                println!(
                    "  PL{paranoia} flagged {} {}?{}: {}",
                    req.method(),
                    req.path(),
                    req.raw_query(),
                    ids.join(", ")
                );
            }
        }
    }
    assert!(
        pl1_flagged * 200 <= requests.len(),
        "{pl1_flagged} false positives of {} at PL1 (> 0.5%)",
        requests.len()
    );
    assert!(
        pl2_flagged * 50 <= requests.len(),
        "{pl2_flagged} false positives of {} at PL2 (> 2%)",
        requests.len()
    );
}
