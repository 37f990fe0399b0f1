//! What inspecting costs per byte, by kind of text: no input may fall off a
//! cliff. Each kind fills an 8 KB form field; the table gives the mean time
//! per inspection, per byte, and the ratio to ASCII prose measured in the
//! same run, at paranoia 1 and 4.
//!
//! `cargo bench -p firewall-core --bench waf_inputs`
//!
//! Before Unicode word boundaries were made ASCII in the automata, any
//! non-ASCII letter made the lazy DFA give up and the search fall back to
//! the `PikeVM`: accented, CJK and emoji text cost 14-20 µs per byte (a
//! 131-230 ms inspection) against 7 ns for ASCII prose.

use std::fmt::Write;
use std::hint::black_box;
use std::time::Instant;

use firewall_core::waf::{RequestView, Waf, WafConfig};

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

/// Mean microseconds per inspection of `req`.
fn time(waf: &Waf, req: &RequestView<'_>, rounds: u32) -> f64 {
    waf.inspect(req);
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(waf.inspect(black_box(req)));
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
}

fn main() {
    if std::env::args().skip(1).any(|a| !a.starts_with("--")) {
        // `cargo bench -- <filter>` hands every bench the criterion filter.
        println!("waf_inputs: takes no arguments; skipped");
        return;
    }
    for paranoia in [1, 4] {
        let waf = Waf::new(WafConfig::default().paranoia(paranoia)).expect("the WAF compiles");
        let mut baseline = None;
        println!(
            "\nparanoia {paranoia}:\n{:18} {:>7} {:>10} {:>9} {:>9}",
            "text", "bytes", "µs", "ns/byte", "vs prose"
        );
        for (name, piece, times) in KINDS {
            let body = form(&piece.repeat(*times));
            let len = body.len();
            let req = RequestView::new("POST", "/").body("application/x-www-form-urlencoded", body);
            let per_byte =
                time(&waf, &req, 20) * 1000.0 / f64::from(u32::try_from(len).unwrap_or(u32::MAX));
            let prose = *baseline.get_or_insert(per_byte);
            println!(
                "{name:18} {len:>7} {:>10.1} {per_byte:>9.1} {:>8.1}x",
                per_byte * f64::from(u32::try_from(len).unwrap_or(u32::MAX)) / 1000.0,
                per_byte / prose
            );
        }
    }
}
