//! Replays the OWASP CRS regression tests (`../shared/corpus/crs/`, go-ftw
//! YAML) through the WAF engine at paranoia 1 and 4 and prints, per family
//! folder and separately for the tuning and the validation part of the
//! corpus (split by file, `support/crs.rs`), the share of `expect_ids` cases
//! flagged (detection) and of `no_expect_ids` cases flagged. Floors sit
//! slightly under the measured figures so a regression fails.
//!
//! Run with `cargo test -p firewall-core --test waf_crs -- --nocapture` to see
//! the table. Cases only a raw socket can send (a base64 `encoded_request`,
//! a request line or header a client library would refuse) and requests
//! Actix's own parser answers with a 400 before any middleware (a version
//! other than HTTP/1.0 or 1.1, a target the `http` crate refuses) are
//! skipped, counted and listed; a target's `#fragment` is dropped as Actix
//! drops it.
//!
//! The PL4 column counts a refusal by any signature, as CRS's figures do,
//! so it includes the strict byte ranges of 920272-920275 (at PL4 any
//! argument with punctuation other than `&,-./:=_` is refused, benign or
//! not). The column "PL4 w/o ranges" is PL4 with those four disabled: what
//! the family's own signatures and the other checks find. Set `WAF_CRS_MISSES=/path/file` to write every missed
//! attack and every flagged `no_expect_ids` case of the tuning part there
//! (the validation part is only counted: signatures are not written
//! against it).

// Rates over a few thousand cases: f64 is exact for such counts.
#![allow(clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use firewall_core::waf::{Request, Waf, WafConfig};

#[path = "support/crs.rs"]
mod crs;

use crs::{corpus_dir, load, Case, Part};

#[derive(Default)]
struct Tally {
    attacks: usize,
    detected: usize,
    benign: usize,
    flagged: usize,
}

#[test]
fn crs_regression_corpus_detection_by_family() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("SKIPPED: CRS corpus not found at {} (it lives in ../shared/corpus beside the workspace)", dir.display());
        return;
    }
    let (cases, skipped) = load(&dir);
    println!(
        "CRS corpus: {} usable cases, {} skipped (raw socket only, or a 400 from Actix's parser):",
        cases.len(),
        skipped.len()
    );
    for s in &skipped {
        println!("  skipped {s}");
    }
    let mut misses = String::new();
    let pl1 = measure(&cases, 1, &mut misses);
    let pl4 = measure(&cases, 4, &mut misses);
    let ranges_off = STRICT_RANGES
        .iter()
        .fold(crs_config(4), |c, &id| c.disable(id));
    let pl4_no_ranges = measure_with(&cases, 4, ranges_off, &mut String::new());
    print_table(&pl1, &pl4, &pl4_no_ranges);
    let pl1 = pooled(&pl1);
    // The PL4 floors hold the families' own signatures: the strict byte
    // ranges alone refuse nearly every payload at PL4.
    let pl4 = pooled(&pl4_no_ranges);
    if let Ok(path) = std::env::var("WAF_CRS_MISSES") {
        std::fs::write(path, misses).unwrap();
    }
    // (family, PL1 floor, PL4 floor without the byte ranges): a little
    // under the figures measured when the signatures last changed.
    let floors: [(&str, f64, f64); 9] = [
        ("920", 0.55, 0.95),
        ("930", 0.97, 0.97),
        ("931", 0.80, 0.97),
        ("932", 0.85, 0.95),
        ("933", 0.86, 0.94),
        ("934", 0.79, 0.98),
        ("944", 0.95, 0.97),
        ("941", 0.86, 0.96),
        ("942", 0.77, 0.96),
    ];
    let mut failures = Vec::new();
    for (family, floor1, floor4) in floors {
        for (pl, table, floor) in [(1, &pl1, floor1), (4, &pl4, floor4)] {
            let rate = detection(&table[family]);
            if rate < floor {
                failures.push(format!(
                    "{family} at PL{pl}: {:.1}% < {:.0}%",
                    rate * 100.0,
                    floor * 100.0
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "detection under the floor: {failures:?}"
    );
}

/// The configuration CRS's regression tests assume: their 920250 cases
/// expect invalid UTF-8 refused, which CRS does only with
/// `tx.crs_validate_utf8_encoding` set (off by default, as here).
fn crs_config(paranoia: u8) -> WafConfig {
    WafConfig::default().paranoia(paranoia).validate_utf8(true)
}

fn detection(t: &Tally) -> f64 {
    ratio(t.detected, t.attacks)
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Tallies per family and part.
type Table = BTreeMap<(String, Part), Tally>;

/// Both parts of each family together (what the floors hold).
fn pooled(table: &Table) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for ((family, _), t) in table {
        let sum = out.entry(family.clone()).or_default();
        sum.attacks += t.attacks;
        sum.detected += t.detected;
        sum.benign += t.benign;
        sum.flagged += t.flagged;
    }
    out
}

/// The byte-range checks of paranoia 3 and 4 (CRS 920272-920275).
const STRICT_RANGES: [u32; 4] = [920_272, 920_273, 920_274, 920_275];

fn measure(cases: &[Case], paranoia: u8, misses: &mut String) -> Table {
    let config = crs_config(paranoia);
    measure_with(cases, paranoia, config, misses)
}

fn measure_with(cases: &[Case], paranoia: u8, config: WafConfig, misses: &mut String) -> Table {
    let waf = Waf::new(config).expect("built-in WAF compiles");
    let mut table = Table::new();
    for case in cases {
        let flagged = !waf.inspect(&case.request).is_pass();
        let tally = table.entry((case.family.clone(), case.part)).or_default();
        if case.attack {
            tally.attacks += 1;
            tally.detected += usize::from(flagged);
        } else {
            tally.benign += 1;
            tally.flagged += usize::from(flagged);
        }
        if flagged != case.attack && case.part == Part::Tuning {
            let kind = if case.attack { "MISS" } else { "FLAG" };
            let _ = writeln!(
                misses,
                "PL{paranoia} {kind} {} {:?}",
                case.name, case.request
            );
            if case.attack {
                let _ = writeln!(misses, "    {}", describe(&case.request));
            } else {
                let report = waf.evaluate(&case.request);
                let ids: Vec<String> = report
                    .matches()
                    .iter()
                    .map(|m| format!("{}@{}", m.rule_id, m.location))
                    .collect();
                let _ = writeln!(
                    misses,
                    "    {} | {}",
                    describe(&case.request),
                    ids.join(" ")
                );
            }
        }
    }
    table
}

fn describe(req: &Request<'_>) -> String {
    let headers: Vec<String> = req.headers().map(|(n, v)| format!("{n}: {v}")).collect();
    format!(
        "{} {}?{} [{}] body={:?}",
        req.method(),
        req.path(),
        req.raw_query(),
        headers.join(" | "),
        String::from_utf8_lossy(req.body_bytes())
    )
}

fn print_table(pl1: &Table, pl4: &Table, pl4_no_ranges: &Table) {
    for (part, name) in [
        (Part::Tuning, "tuning"),
        (Part::Validation, "validation (held out)"),
    ] {
        println!("CRS corpus, {name} part:");
        println!("family  attacks  PL1 detected  PL4 detected  PL4 w/o ranges | benign  PL1 flagged  PL4 flagged  PL4 w/o ranges");
        let mut sum = [Tally::default(), Tally::default(), Tally::default()];
        for ((family, p), t1) in pl1 {
            if *p != part {
                continue;
            }
            let t4 = &pl4[&(family.clone(), part)];
            let t4r = &pl4_no_ranges[&(family.clone(), part)];
            print_row(family, t1, t4, t4r);
            for (s, t) in sum.iter_mut().zip([t1, t4, t4r]) {
                s.attacks += t.attacks;
                s.detected += t.detected;
                s.benign += t.benign;
                s.flagged += t.flagged;
            }
        }
        print_row("all", &sum[0], &sum[1], &sum[2]);
    }
}

fn print_row(family: &str, t1: &Tally, t4: &Tally, t4r: &Tally) {
    println!(
        "{family:6} {:8} {:12.1}% {:12.1}% {:14.1}% | {:6} {:11.1}% {:11.1}% {:13.1}%",
        t1.attacks,
        detection(t1) * 100.0,
        detection(t4) * 100.0,
        detection(t4r) * 100.0,
        t1.benign,
        ratio(t1.flagged, t1.benign) * 100.0,
        ratio(t4.flagged, t4.benign) * 100.0,
        ratio(t4r.flagged, t4r.benign) * 100.0
    );
}
