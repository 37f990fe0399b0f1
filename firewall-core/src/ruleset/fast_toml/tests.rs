//! The fast reader against the full `toml` + serde path: by hand, then on
//! generated files (valid ones and near misses built from the grammar's tokens).

use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::RuleSet;

const FILE: &str = "# rules\n[[rule]]\naction = \"ALLOW\"\nproto = 'TCP'\ndport = 80 # web\nsrc_cidr = \"ANY\"\ndst_cidr = \"10.0.0.0/8\"\n\n[[rule]]\r\naction = \"DROP\"\r\nproto = \"ANY\"\r\ndport = \"8000-8099\"\r\nsrc_cidr = \"::/0\"\r\ndst_cidr = \"ANY\"\r\ndesc = \"# not a comment\" # a comment\r\n";

#[test]
fn reads_the_common_shape_like_the_full_parser() {
    let fast = parse(FILE).expect("inside the fast subset");
    let full = RuleSet::from_toml_str_full(FILE, Path::new("x.toml"), None).unwrap();
    assert_eq!(fast, full.to_vec());
    assert_eq!(
        fast[1].to_string(),
        "DROP ANY 8000-8099 ::/0 ANY \"# not a comment\""
    );
}

#[test]
fn gives_up_on_anything_unusual() {
    let head =
        "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n";
    for tail in [
        "dport = 080\n",
        "dport = 0x50\n",
        "dport = 70000\n",
        "dport = 80\ndport = 81\n",
        "dport = 80\ndesc = \"a\\\"b\"\n",
        "dport = 80\ncolour = \"red\"\n",
        "dport = 80\n[other]\n",
        "dport = 80\ndesc = \"x\" y\n",
        "",
    ] {
        assert!(parse(&format!("{head}{tail}")).is_none(), "{tail:?}");
    }
    assert!(parse("").is_none());
    assert!(parse("action = \"ALLOW\"\n").is_none());
}

#[test]
fn gives_up_on_stray_carriage_returns_and_controls_in_comments() {
    let rule =
        "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n";
    for tail in [
        "dport = 80\r",
        "dport = 80\r\r\n",
        "dport = 80 # a\u{1}b\n",
        "dport = 80 # \u{7f}\n",
    ] {
        let text = format!("{rule}{tail}");
        assert!(parse(&text).is_none(), "{tail:?}");
        assert!(RuleSet::from_toml_str(&text, "x.toml").is_err(), "{tail:?}");
    }
}

// ---- differential property test -----------------------------------------
//
// A file is generated clean (every block complete, every token well-formed,
// so the fast path should take it), then gets zero to three perturbations:
// one token swapped for a near miss, a line dropped or repeated, an odd
// start or end of file.

/// Tokens the fast path reads.
const HEADERS: &[&str] = &["[[rule]]", "[[rule]] # next", "  [[rule]]", "[[rule]]\t"];
const SEPS: &[&str] = &[" = ", "=", " =\t", "\t= "];
const TRAILERS: &[&str] = &[
    "",
    " # c",
    "\t#",
    r#"  # it's "quoted" = 'x'"#,
    " # caf\u{e9}",
    "#x",
];
const EOLS: &[&str] = &["\n", "\r\n", "\n\n", "\n# note\n"];
const KEYS: [&str; 6] = ["action", "proto", "dport", "src_cidr", "dst_cidr", "desc"];
/// Well-formed values per key, in `KEYS` order (networks: IPv4 ones, then
/// IPv6 ones).
const VALUES: [&[&str]; 6] = [
    &[r#""ALLOW""#, "'DROP'"],
    &[r#""TCP""#, "'UDP'", r#""ANY""#],
    &["80", "0", "65535", r#""8000-8099""#, "'ANY'", r#""443""#],
    &[r#""ANY""#, r#""10.0.0.0/8""#, "'0.0.0.0/0'"],
    &[r#""ANY""#, r#""127.0.0.1""#, "'10.1.0.0/16'"],
    &[
        r#""""#,
        "\"caf\u{e9} \u{1f525}\"",
        "'a b'",
        "\"a\tb\"",
        "'#1'",
    ],
];
/// The IPv6 networks for `src_cidr` and `dst_cidr`.
const V6_NETS: [&[&str]; 2] = [
    &[r#""ANY""#, r#""2001:db8::1""#, "'::/0'"],
    &[r#""ANY""#, r#""::1""#, "'2001:db8::/32'"],
];

/// Near misses, by the token they replace.
const ODD_HEADERS: &[&str] = &[
    "[[ rule ]]",
    "[rule]",
    "[[rules]]",
    r#"[["rule"]]"#,
    "[[rule]] x",
    "[other]",
    "[rule.x]",
    "\u{feff}[[rule]]",
    "[[rule]]#\u{1}",
    "",
    "[[rule]]\r",
    "[[rule]",
];
const ODD_KEYS: &[&str] = &[
    r#""action""#,
    "'dport'",
    "colour",
    "rule.action",
    "action.x",
    "Action",
    "src-cidr",
    "",
    "d\u{e9}sc",
    "desc\u{a0}",
    "proto\r",
];
const ODD_SEPS: &[&str] = &["", " := ", "==", " : "];
const ODD_VALUES: &[&str] = &[
    "+80",
    "-1",
    "0x50",
    "0o120",
    "0b1",
    "8_0",
    "080",
    "00",
    "70000",
    "80.0",
    "1e3",
    "true",
    "[80]",
    "{}",
    "99999999999999999999",
    "9223372036854775807",
    r#""\u0041LLOW""#,
    r#""AL\\LOW""#,
    r"'AL\LOW'",
    r#""""ALLOW""""#,
    "'''TCP'''",
    r#""a#b""#,
    r#""ALLOW" x"#,
    r#""ALLOW"#,
    r#"'x""#,
    "\"\u{1}\"",
    "\"\u{7f}\"",
    "\"\u{85}\"",
    r#""10.0.0.5/8""#,
    r#""ANY" "ANY""#,
    "",
    "\"\"\"\nALLOW\"\"\"",
    "'\u{c}'",
    "\"ALLOW\r\"",
    r#""8000-""#,
    r#""1.2.3.4/33""#,
    r#""allow""#,
    r#""2001:db8::/32""#,
    "1979-05-27",
];
const ODD_TRAILERS: &[&str] = &[" x", "#\u{1}", " # \u{7f}", ";", "\r", " = 1", ","];
const ODD_EOLS: &[&str] = &["\r", "\r\r\n", "", "\u{b}\n", "\n\u{0}\n"];
const ODD_ENDS: &[&str] = &[
    "\u{feff}",
    "title = \"x\"\n",
    "action = \"ALLOW\"\n",
    "x",
    "[table]\n",
    "\u{0}",
    "[[rule]]\n",
    "rule = []\n",
];

/// One line as its tokens: a header (in `key`) or `key sep value trailer`.
#[derive(Debug, Clone)]
struct Line {
    key: String,
    sep: String,
    value: String,
    trailer: String,
    eol: String,
}

impl Line {
    fn text(&self) -> String {
        let Line {
            key,
            sep,
            value,
            trailer,
            eol,
        } = self;
        format!("{key}{sep}{value}{trailer}{eol}")
    }
}

/// A complete, well-formed rule block: header, then the keys in random order.
fn clean_block() -> impl Strategy<Value = Vec<Line>> {
    let values = prop::collection::vec(any::<prop::sample::Index>(), 6);
    let style = prop::collection::vec(any::<prop::sample::Index>(), 2 + 3 * 6);
    let order = Just((0..6).collect::<Vec<usize>>()).prop_shuffle();
    let options = (any::<bool>(), any::<bool>());
    (values, options, style, order).prop_map(|(values, (with_desc, v6), style, order)| {
        let tok = |i: usize, set: &[&str]| (*style[i].get(set)).to_owned();
        let mut lines = vec![Line {
            key: tok(0, HEADERS),
            sep: String::new(),
            value: String::new(),
            trailer: String::new(),
            eol: tok(1, EOLS),
        }];
        for (n, &k) in order.iter().enumerate() {
            if k == 5 && !with_desc {
                continue;
            }
            lines.push(Line {
                key: KEYS[k].to_owned(),
                sep: tok(2 + 3 * n, SEPS),
                value: (*values[k].get(choices(k, v6))).to_owned(),
                trailer: tok(3 + 3 * n, TRAILERS),
                eol: tok(4 + 3 * n, EOLS),
            });
        }
        lines
    })
}

/// The well-formed values of key `k`.
fn choices(k: usize, v6: bool) -> &'static [&'static str] {
    match k {
        3 | 4 if v6 => V6_NETS[k - 3],
        _ => VALUES[k],
    }
}

/// A perturbation: what to change, where, and the replacement pick.
type Perturbation = (u8, prop::sample::Index, prop::sample::Index);

fn perturb(lines: &mut Vec<Line>, ends: &mut [String; 2], (kind, at, pick): &Perturbation) {
    let i = at.index(lines.len());
    let odd = |set: &[&str]| (*pick.get(set)).to_owned();
    let is_header = lines[i].sep.is_empty() && lines[i].value.is_empty();
    match kind % 9 {
        0 if is_header => lines[i].key = odd(ODD_HEADERS),
        0 | 1 => lines[i].key = odd(ODD_KEYS),
        2 => lines[i].sep = odd(ODD_SEPS),
        3 => lines[i].value = odd(ODD_VALUES),
        4 => lines[i].trailer = odd(ODD_TRAILERS),
        5 => lines[i].eol = odd(ODD_EOLS),
        6 => {
            lines.remove(i);
        }
        7 => lines.insert(i, lines[pick.index(lines.len())].clone()),
        _ => ends[pick.index(2)] = odd(ODD_ENDS),
    }
}

fn file() -> impl Strategy<Value = String> {
    let blocks = prop::collection::vec(clean_block(), 1..4);
    let perturbations = prop::collection::vec(
        (
            any::<u8>(),
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
        ),
        3,
    );
    let count = prop_oneof![2 => Just(0usize), 3 => Just(1usize), 1 => 2usize..4];
    (blocks, perturbations, count).prop_map(|(blocks, perturbations, count)| {
        let mut lines: Vec<Line> = blocks.concat();
        let mut ends = [String::new(), "\n".to_owned()];
        for p in perturbations.iter().take(count) {
            if !lines.is_empty() {
                perturb(&mut lines, &mut ends, p);
            }
        }
        let body: String = lines.iter().map(Line::text).collect();
        format!("{}{body}{}", ends[0], ends[1])
    })
}

/// The outcome of reading a file: its rules, or the error message.
fn outcome(result: Result<RuleSet, crate::RuleFileError>) -> Result<Vec<Rule>, String> {
    result.map(|set| set.to_vec()).map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn fast_path_reads_every_file_like_the_full_parser(text in file()) {
        let full = outcome(RuleSet::from_toml_str_full(&text, Path::new("x.toml"), None));
        if let Some(fast) = parse(&text) {
            prop_assert_eq!(Ok(fast), full.clone(), "fast path accepted {:?}", text);
        }
        // Whichever path it takes, the public reader gives the full parser's answer.
        prop_assert_eq!(outcome(RuleSet::from_toml_str(&text, "x.toml")), full, "{:?}", text);
        // A file said to hold only rule tables is valid TOML without `waf`.
        if holds_only_rule_tables(&text) {
            let doc: toml::Table = toml::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text:?}")))?;
            prop_assert!(doc.keys().all(|k| k == "rule"), "{:?}", text);
        }
    }
}

#[test]
fn only_rule_tables_are_told_apart_from_anything_else() {
    let rule = "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 80\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n";
    assert!(holds_only_rule_tables(rule));
    // Values are not read: a bad action is still only a rule table.
    assert!(holds_only_rule_tables(&rule.replace("ALLOW", "PERMIT")));
    for text in [
        String::new(),
        format!("{rule}[waf]\nparanoia = 2\n"),
        format!("{rule}waf.paranoia = 2\n"),
        format!("waf = 1\n{rule}"),
        format!("{rule}dport = 81\n"),
        format!("{rule}\"waf\" = 1\n"),
        format!("{rule}[[waf.exclusion]]\npath = \"/\"\n"),
    ] {
        assert!(!holds_only_rule_tables(&text), "{text:?}");
    }
}

#[test]
fn both_readers_give_each_rule_the_line_of_its_header() {
    let rule = "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 80\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n";
    let fast = format!("# head\n\n{rule}\n# two\n{rule}  [[rule]] # indented\naction = \"DROP\"\nproto = \"TCP\"\ndport = 81\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n");
    let mut lines = Vec::new();
    assert!(parse_located(&fast, Some(&mut lines)).is_some());
    assert_eq!(lines, [3, 11, 17]);
    // An escape in a description is outside the fast subset: the full
    // parser reads the file and must point at the same lines.
    let full = fast.replacen("# two", "[[rule]]\naction = \"DROP\"\nproto = \"TCP\"\ndport = 82\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\ndesc = \"a\\\"b\"", 1);
    assert!(parse(&full).is_none());
    let (set, lines) = RuleSet::from_toml_str_with_lines(&full, "x.toml").unwrap();
    assert_eq!(set.len(), 4);
    assert_eq!(lines, [3, 10, 17, 23]);
    let (_, lines) = RuleSet::from_toml_str_with_lines(&fast, "x.toml").unwrap();
    assert_eq!(lines, [3, 11, 17]);
}
