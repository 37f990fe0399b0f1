//! What inspecting costs per byte, by kind of text. Each kind fills an
//! 8 KB form field; the table gives the mean time per inspection, per byte,
//! and the ratio to ASCII prose measured in the same run, at paranoia 1
//! and 4. The random kinds are drawn afresh for every inspection, as an
//! attacker would send them: the automata meet new states all the time.
//!
//! `cargo bench -p firewall-core --bench waf_inputs`
//!
//! Before Unicode word boundaries were made ASCII in the automata, any
//! non-ASCII letter made the lazy DFA give up and the search fall back to
//! the `PikeVM`: accented, CJK and emoji text cost 14-20 µs per byte (a
//! 131-230 ms inspection) against 7 ns for ASCII prose. Random
//! punctuation-heavy text makes the joint lazy DFA build a state every few
//! bytes, at 20-30 µs each: 21 µs per byte (183 ms per field) until each
//! request got a budget of 1 ms for building states, beyond which the
//! signatures run one by one; now about 1 µs per byte.

use std::fmt::Write;
use std::hint::black_box;
use std::time::{Duration, Instant};

use firewall_core::waf::{Request, Waf, WafConfig};

/// The kinds of text, each repeated to about 8 KB.
const KINDS: &[(&str, &str, usize)] = &[
    (
        "ASCII prose",
        "Please select the plan you'd like, and drop me a line. ",
        150,
    ),
    (
        "accented",
        "Crème brûlée à la française, s'il vous plaît. ",
        170,
    ),
    ("CJK", "日本語のテキストです。漢字とかなを含みます。", 120),
    ("emoji", "🎉👍🏽 great job 🚀 ", 400),
    ("combining marks", "e\u{301}a\u{300}", 1300),
    ("angle brackets", "<", 8000),
    ("quotes", "'", 8000),
    ("punctuation", "a'b\"c<d>e(f)g;h|i&j$k`l%m", 320),
    ("percent escapes", "%25%32%37", 900),
    ("HTML references", "&#x27;&lt;&amp;", 550),
    ("digits", "1234567890", 800),
    ("SQL words", "select from where union order by and or ", 200),
];

/// Random kinds: 8,000 characters drawn from each alphabet.
const RANDOM_KINDS: &[(&str, &str)] = &[
    ("random base64", random_text::BASE64),
    ("random punctuation", random_text::PUNCTUATION),
];

#[path = "../tests/support/random_text.rs"]
mod random_text;

/// An urlencoded form with `text` as its one field's value.
fn form(text: &str) -> String {
    let mut body = String::from("comment=");
    for c in text.chars() {
        match c {
            '%' | '&' | '+' | '=' => {
                let _ = write!(body, "%{:02X}", u32::from(c));
            }
            ' ' => body.push('+'),
            c => body.push(c),
        }
    }
    body
}

/// Mean microseconds per inspection of the bodies `next` makes (each made
/// before its clock starts).
fn time(waf: &Waf, rounds: u32, mut next: impl FnMut() -> String) -> (usize, f64) {
    let mut spent = Duration::ZERO;
    let mut len = 0;
    for _ in 0..rounds {
        let body = next();
        len = body.len();
        let req = Request::new("POST", "/").body("application/x-www-form-urlencoded", body);
        let start = Instant::now();
        black_box(waf.inspect(black_box(&req)));
        spent += start.elapsed();
    }
    (len, spent.as_secs_f64() * 1e6 / f64::from(rounds))
}

fn main() {
    if std::env::args().skip(1).any(|a| !a.starts_with("--")) {
        // `cargo bench -- <filter>` hands every bench the criterion filter.
        println!("waf_inputs: takes no arguments; skipped");
        return;
    }
    for paranoia in [1, 4] {
        let waf = Waf::new(WafConfig::default().paranoia(paranoia)).expect("the WAF compiles");
        println!(
            "\nparanoia {paranoia}:\n{:18} {:>7} {:>10} {:>9} {:>9}",
            "text", "bytes", "µs", "ns/byte", "vs prose"
        );
        let mut prose = None;
        let mut row = |name: &str, (len, micros): (usize, f64)| {
            let per_byte = micros * 1000.0 / f64::from(u32::try_from(len).unwrap_or(u32::MAX));
            let ratio = per_byte / *prose.get_or_insert(per_byte);
            println!("{name:18} {len:>7} {micros:>10.1} {per_byte:>9.1} {ratio:>8.1}x");
        };
        for (name, piece, times) in KINDS {
            let body = form(&piece.repeat(*times));
            time(&waf, 50, || body.clone()); // Warms the automata up.
            row(name, time(&waf, 20, || body.clone()));
        }
        let mut rng = random_text::Rng::new();
        for (name, alphabet) in RANDOM_KINDS {
            row(name, time(&waf, 5, || form(&rng.text(alphabet, 8000))));
        }
    }
}
