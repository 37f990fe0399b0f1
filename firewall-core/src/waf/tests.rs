//! Engine-level tests of [`super::Waf`]: modes, phases, exclusions.

use std::fmt::Write as _;
use std::time::Duration;

use super::engine::memo;
use super::*;

fn sqli() -> Request<'static> {
    Request::from_target("GET", "/items?id=1%27%20OR%20%271%27=%271")
}

#[test]
fn same_rules_block_in_on_and_only_report_in_detection_only() {
    let on = Waf::new(WafConfig::default()).unwrap();
    let watch = Waf::new(WafConfig::default().mode(Mode::DetectionOnly)).unwrap();
    let off = Waf::new(WafConfig::default().mode(Mode::Off)).unwrap();
    let (Verdict::Block(blocked), Verdict::Detected(detected)) =
        (on.inspect(&sqli()), watch.inspect(&sqli()))
    else {
        panic!("expected Block and Detected");
    };
    assert_eq!(blocked, detected);
    assert_eq!(blocked.family, AttackFamily::Sqli);
    assert_eq!(blocked.location, "ARGS:id");
    assert_eq!(off.inspect(&sqli()), Verdict::Pass);
}

/// SQL written in styles the regular expressions do not know is read by
/// its tokens (942100); prose with apostrophes and SQL words is not.
#[test]
fn sql_injections_are_found_by_their_tokens_and_prose_is_not() {
    let waf = Waf::new(WafConfig::default()).unwrap();
    let regexes_only = Waf::new(WafConfig::default().disable(942_100)).unwrap();
    let form = |value: &str| {
        let encoded: String = value
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let body = format!("q={encoded}");
        Request::new("POST", "/search").body("application/x-www-form-urlencoded", body)
    };
    for attack in ["' or true--", "x' xor 1 -- ", "1' div 1 or '1"] {
        assert_eq!(
            regexes_only.inspect(&form(attack)),
            Verdict::Pass,
            "{attack}"
        );
        let Verdict::Block(hit) = waf.inspect(&form(attack)) else {
            panic!("not blocked: {attack}");
        };
        assert_eq!(
            (hit.rule_id, hit.location.as_str()),
            (942_100, "ARGS:q"),
            "{attack}"
        );
    }
    for prose in [
        "Don't select the plan you'd like, or drop me a line",
        "Can you explain the difference between 'and' and 'or' filters?",
        "TV 55\" - black",
    ] {
        assert_eq!(waf.inspect(&form(prose)), Verdict::Pass, "{prose}");
    }
}

/// Markup is read by its HTML tokens (941100), from the places a value
/// can land in a page: an event handler after a breakout, a tag that
/// enters SVG; HTML in a comment and prose with `<` and `>` are not.
#[test]
fn xss_is_found_by_its_html_tokens_and_prose_is_not() {
    found_by_tokens_alone(
        941_100,
        &[
            "x onbeforetoggle=go()",
            "\"><svg><desc>",
            "<style>*{color:red}</style>",
        ],
        &[
            "a < b and c > d",
            "I <3 you",
            "Write to John <john@example.org>",
            "See <a href=\"https://example.com/docs\">the docs</a>, <b>really</b>.",
        ],
    );
}

/// A value that lands inside a script is read by its JavaScript tokens
/// (941104): a breakout from a string followed by a call, a computed call
/// as an expression, a handler set after a breakout; prose with
/// apostrophes and quotes, and formulas, are not.
#[test]
fn xss_inside_javascript_is_found_by_its_tokens_and_prose_is_not() {
    found_by_tokens_alone(
        941_104,
        &[
            "\\';print`1`//",
            "\"-top[/al/.source+/ert/.source](1)-\"",
            "')||[1].find(confirm)//",
            "'}self.onerror=print;throw 1//",
        ],
        &[
            "It's John's (really) 5' 10\" tall",
            "He said \"no\" (twice), then left.",
            "area(r) = 3.14 * r * r",
            "Rock 'n' roll (live) at O'Reilly's",
        ],
    );
}

/// Each attack, posted as the form field `q` (every byte percent-encoded),
/// passes the WAF without `signature` and is blocked by `signature` in
/// `ARGS:q`; each prose value passes.
fn found_by_tokens_alone(signature: u32, attacks: &[&str], prose: &[&str]) {
    let waf = Waf::new(WafConfig::default()).unwrap();
    let without = Waf::new(WafConfig::default().disable(signature)).unwrap();
    let form = |value: &str| {
        let encoded: String = value.bytes().fold(String::new(), |mut out, b| {
            let _ = write!(out, "%{b:02X}");
            out
        });
        Request::new("POST", "/comments")
            .body("application/x-www-form-urlencoded", format!("q={encoded}"))
    };
    for &attack in attacks {
        assert_eq!(without.inspect(&form(attack)), Verdict::Pass, "{attack}");
        let Verdict::Block(hit) = waf.inspect(&form(attack)) else {
            panic!("not blocked: {attack}");
        };
        assert_eq!(
            (hit.rule_id, hit.location.as_str()),
            (signature, "ARGS:q"),
            "{attack}"
        );
    }
    for &text in prose {
        assert_eq!(waf.inspect(&form(text)), Verdict::Pass, "{text}");
    }
}

/// An element with an empty namespace prefix (`<:vmlframe`, which old
/// VML parsers read) and an XML external entity declaration are found
/// (941130); the words alone are not.
#[test]
fn empty_namespace_prefix_and_external_entities_are_found() {
    let waf = Waf::new(WafConfig::default()).unwrap();
    let header = |value: &str| Request::from_target("GET", "/").header("Referer", value.to_owned());
    for attack in [
        "<:vmlframe src=x>",
        "<!ENTITY % ext SYSTEM \"http://x.example/e.dtd\">",
        "x!ENTITY xxe PUBLIC \"-//x//en\"",
    ] {
        let Verdict::Block(hit) = waf.inspect(&header(attack)) else {
            panic!("not blocked: {attack}");
        };
        assert_eq!(hit.rule_id, 941_130, "{attack}");
    }
    for prose in [
        "The entity system is public: see the VML frame docs",
        "Time: 10:30, entity % rate",
    ] {
        assert_eq!(waf.inspect(&header(prose)), Verdict::Pass, "{prose}");
    }
}

#[test]
fn exclusions_by_route_argument_and_family() {
    let comment = Request::new("POST", "/comments/7").body(
        "application/x-www-form-urlencoded",
        "body=%3Cscript%3Ealert(1)%3C/script%3E&id=1",
    );
    let by_arg =
        Waf::new(WafConfig::default().exclude(Exclusion::route("/comments").arg("body"))).unwrap();
    assert_eq!(by_arg.inspect(&comment), Verdict::Pass);
    let by_family = Waf::new(
        WafConfig::default().exclude(Exclusion::route("/comments").family(AttackFamily::Sqli)),
    )
    .unwrap();
    assert!(
        matches!(by_family.inspect(&comment), Verdict::Block(i) if i.family == AttackFamily::Xss)
    );
    let other_route = Waf::new(WafConfig::default().exclude(Exclusion::route("/admin"))).unwrap();
    assert!(!other_route.inspect(&comment).is_pass());
}

#[test]
fn threshold_adds_scores_of_distinct_signatures() {
    let strict = Waf::new(WafConfig::default().threshold(100)).unwrap();
    assert_eq!(strict.inspect(&sqli()), Verdict::Pass);
    assert!(strict.evaluate(&sqli()).score() >= 5);
}

#[test]
fn body_is_inspected_up_to_the_limit() {
    let mut body = "a=".to_owned() + &"x".repeat(100);
    body.push_str("&b=%3Cscript%3E");
    let req = Request::new("POST", "/").body("application/x-www-form-urlencoded", body);
    let short =
        Waf::new(WafConfig::default().body_limit(50, BodyOverflow::InspectPartial)).unwrap();
    assert_eq!(short.inspect(&req), Verdict::Pass);
    assert!(!Waf::new(WafConfig::default())
        .unwrap()
        .inspect(&req)
        .is_pass());
}

#[test]
fn a_head_over_threshold_skips_the_body() {
    let req = sqli().body("application/json", r#"{"c":"<script>"}"#);
    let report = Waf::new(WafConfig::default()).unwrap().evaluate(&req);
    assert!(
        report
            .matches()
            .iter()
            .all(|m| !m.location.starts_with("ARGS:json")),
        "{report:?}"
    );
}

#[test]
fn adversarial_input_stays_linear() {
    // Patterns like `(a+)+$` blow up backtracking engines; ours is an automaton.
    let evil = "'".repeat(20_000) + &"(".repeat(20_000) + &"a".repeat(50_000) + "!";
    let req = Request::new("POST", "/").body("text/plain", evil);
    let waf = Waf::new(WafConfig::default().paranoia(4)).unwrap();
    assert!(!waf.inspect(&req).is_pass());
}

#[test]
fn one_compiled_waf_is_shared_between_workers() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Waf>();
    let waf = std::sync::Arc::new(Waf::new(WafConfig::default()).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let waf = waf.clone();
            std::thread::spawn(move || matches!(waf.inspect(&sqli()), Verdict::Block(_)))
        })
        .collect();
    assert!(handles.into_iter().all(|h| h.join().unwrap()));
}

#[allow(dead_code)]
#[path = "../../tests/support/crs.rs"]
mod crs;

#[allow(dead_code)]
#[path = "../../tests/support/benign.rs"]
mod benign;

#[allow(dead_code)]
#[path = "../../tests/support/random_text.rs"]
mod random_text;

/// The WAF at `paranoia`, every set scanning every text.
fn without_skipping(paranoia: u8) -> Waf {
    engine::SKIPPING.with(|on| on.set(false));
    let waf = Waf::new(WafConfig::default().paranoia(paranoia));
    engine::SKIPPING.with(|on| on.set(true));
    waf.unwrap()
}

/// The benign corpus and, when it is there, the CRS one (the engine's
/// reference tests ask it too).
pub(super) fn corpora() -> Vec<Request<'static>> {
    let mut requests = benign::corpus();
    let dir = crs::corpus_dir();
    if dir.is_dir() {
        requests.extend(crs::load(&dir).0.into_iter().map(|case| case.request));
    } else {
        println!(
            "SKIPPED the CRS part: corpus not found at {}",
            dir.display()
        );
    }
    requests
}

/// A set skips only texts where none of its signatures could match: every
/// report (matches, their order and locations, score) is the same as
/// without the skip, on the CRS corpus and the benign corpus, at every
/// paranoia level.
#[test]
fn skipping_texts_without_needed_bytes_changes_no_report() {
    let requests = corpora();
    let mut matched = 0;
    for paranoia in 1..=4 {
        let skipping = Waf::new(WafConfig::default().paranoia(paranoia)).unwrap();
        let plain = without_skipping(paranoia);
        for req in &requests {
            let report = skipping.evaluate(req);
            assert_eq!(report, plain.evaluate(req), "PL{paranoia}: {req:?}");
            matched += report.matches().len();
        }
    }
    assert!(
        matched > 1000,
        "the corpora exercise the signatures ({matched} matches)"
    );
}

/// `evaluate` with the joint automata's budget per request set to `time`.
fn evaluate_with_budget(waf: &Waf, req: &Request<'_>, time: Duration) -> Report {
    engine::BUDGET.with(|budget| budget.set(Some(time)));
    let report = waf.evaluate(req);
    engine::BUDGET.with(|budget| budget.set(None));
    report
}

/// When the joint automata give up (their budget for building states is
/// spent), the signatures tried one by one give every report unchanged:
/// with no budget at all on a WAF whose joint automata never built a
/// state (each signature alone answers everything), and on one whose
/// automata are warm (the joint automata go as far as their built states
/// take them, the signatures alone do the rest).
#[test]
fn giving_up_on_the_joint_automata_changes_no_report() {
    let requests = corpora();
    let mut matched = 0;
    for paranoia in 1..=4 {
        let config = WafConfig::default().paranoia(paranoia);
        let (warm, cold) = (Waf::new(config.clone()).unwrap(), Waf::new(config).unwrap());
        for req in &requests {
            let report = warm.evaluate(req);
            let alone = evaluate_with_budget(&cold, req, Duration::ZERO);
            assert_eq!(alone, report, "PL{paranoia}, signatures alone: {req:?}");
            let partly = evaluate_with_budget(&warm, req, Duration::ZERO);
            assert_eq!(partly, report, "PL{paranoia}, warm and no budget: {req:?}");
            matched += report.matches().len();
        }
    }
    assert!(
        matched > 1000,
        "the corpora exercise the signatures ({matched} matches)"
    );
}

/// Random punctuation-heavy text, the automata's worst case, spends the
/// normal budget part way through a body: the report is the one the joint
/// automata give with no limit, and the one the signatures alone give.
#[test]
fn random_text_gets_the_same_report_within_the_budget() {
    let mut rng = random_text::Rng::new();
    for paranoia in [1, 4] {
        let waf = Waf::new(WafConfig::default().paranoia(paranoia)).unwrap();
        for _ in 0..3 {
            let body = rng.text(random_text::PUNCTUATION, 8000);
            let req = Request::new("POST", "/").body("text/plain", body);
            let within = waf.evaluate(&req);
            assert!(
                !within.matches().is_empty(),
                "PL{paranoia}: random text matches something"
            );
            let unlimited = evaluate_with_budget(&waf, &req, Duration::MAX);
            assert_eq!(within, unlimited, "PL{paranoia}: {req:?}");
            let alone = evaluate_with_budget(&waf, &req, Duration::ZERO);
            assert_eq!(within, alone, "PL{paranoia}: {req:?}");
        }
    }
}

/// Threads sharing one WAF each get the report one thread alone gets. The
/// joint automata's caches go from thread to thread through a pool (16
/// threads share its 8 stacks), and random text fills them until they are
/// cleared: a walk's state must only ever be used in the cache that built
/// it, and never after it was cleared. (A search that took a cache anew
/// from the pool to go on from a walk's state failed this every time.)
#[test]
fn threads_sharing_a_waf_get_the_reports_one_thread_gets() {
    let mut rng = random_text::Rng::new();
    let mut requests: Vec<Request<'static>> = benign::corpus().into_iter().step_by(8).collect();
    requests.push(sqli());
    for _ in 0..3 {
        let body = rng.text(random_text::PUNCTUATION, 8000);
        requests.push(Request::new("POST", "/").body("text/plain", body));
    }
    let waf = Waf::new(WafConfig::default()).unwrap();
    let expected: Vec<Report> = requests.iter().map(|req| waf.evaluate(req)).collect();
    std::thread::scope(|scope| {
        for thread in 0..16 {
            let (waf, requests, expected) = (&waf, &requests, &expected);
            scope.spawn(move || {
                // Each thread in its own order.
                for round in 0..3 {
                    for k in 0..requests.len() {
                        let i = (k * (2 * thread + 1) + round) % requests.len();
                        let report = waf.evaluate(&requests[i]);
                        assert_eq!(report, expected[i], "thread {thread}: {:?}", requests[i]);
                    }
                }
            });
        }
    });
}

/// Skipping the head values this thread found clean before changes no
/// report: every report of the corpora, asked again in two orders with the
/// memo filled, is the one asked without the memo; and the memo did skip.
#[test]
fn remembering_clean_head_values_changes_no_report() {
    let requests = corpora();
    for paranoia in [1, 4] {
        let waf = Waf::new(WafConfig::default().paranoia(paranoia)).unwrap();
        memo::ON.with(|on| on.set(false));
        let plain: Vec<Report> = requests.iter().map(|req| waf.evaluate(req)).collect();
        memo::ON.with(|on| on.set(true));
        let skipped_before = memo::SKIPPED.with(std::cell::Cell::get);
        for round in 0..2 {
            for k in 0..requests.len() {
                let i = if round == 0 {
                    k
                } else {
                    requests.len() - 1 - k
                };
                let report = waf.evaluate(&requests[i]);
                assert_eq!(report, plain[i], "PL{paranoia}: {:?}", requests[i]);
            }
        }
        let skipped = memo::SKIPPED.with(std::cell::Cell::get) - skipped_before;
        assert!(
            skipped > requests.len(),
            "PL{paranoia}: the memo skipped {skipped} values over {} requests",
            requests.len()
        );
    }
}

/// A value found clean where its signatures do not apply is scanned again
/// where they do: the memo's key holds the location's classes.
#[test]
fn a_value_clean_in_a_header_is_scanned_again_as_an_argument() {
    let waf = Waf::new(WafConfig::default()).unwrap();
    let link = "http://10.0.0.1/x";
    let in_header = Request::new("GET", "/").header("Referer", link);
    for _ in 0..2 {
        assert_eq!(waf.evaluate(&in_header).score(), 0);
    }
    let as_argument = Request::new("GET", "/").query(format!("u={link}"));
    let report = waf.evaluate(&as_argument);
    assert!(
        report.matches().iter().any(|m| m.rule_id == 931_100),
        "{report:?}"
    );
}
