//! The `firewall` binary, run as a user runs it: arguments in, exit status,
//! stdout and stderr out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use firewall_core::Firewall;

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/seed.toml");

fn firewall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_firewall"))
        .args(args)
        .output()
        .expect("the firewall binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 output")
}

/// A rules file of one-line rules (`ACTION PROTO PORT SRC DST`), each a
/// 7-line table: rule N's header is on line 7 * (N - 1) + 1.
fn rules_file(dir: &Path, rules: &[&str]) -> PathBuf {
    let mut text = String::new();
    for rule in rules {
        let f: Vec<&str> = rule.split_whitespace().collect();
        let _ = write!(
            text,
            "[[rule]]\naction = \"{}\"\nproto = \"{}\"\ndport = \"{}\"\nsrc_cidr = \"{}\"\ndst_cidr = \"{}\"\n\n",
            f[0], f[1], f[2], f[3], f[4]
        );
    }
    let path = dir.join("rules.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_reports_each_kind_of_finding_with_both_rules_and_lines() {
    let cases: &[(&[&str], &[&str], i32)] = &[
        (
            &["ALLOW TCP ANY 10.0.0.0/8 ANY", "DROP TCP 22 10.1.0.0/16 ANY"],
            &["rules.toml:8: shadowed: rule #2 (line 8) can never match: rule #1 (line 1) comes first and matches all its traffic (ALLOW before DROP)"],
            1,
        ),
        (
            &["ALLOW TCP 80 ANY ANY", "ALLOW TCP 80 10.0.0.0/8 ANY"],
            &["rules.toml:8: shadowed: rule #2 (line 8) can never match: rule #1 (line 1) comes first and matches all its traffic (ALLOW before ALLOW)"],
            1,
        ),
        (
            &["DROP TCP 23 ANY ANY", "ALLOW TCP 80 ANY ANY"],
            &["rules.toml:1: redundant: rule #1 (line 1) only repeats the default DROP: no later ALLOW rule shares its traffic"],
            1,
        ),
        (
            &["ALLOW TCP 80 10.0.0.0/8 ANY", "DROP TCP 80 ANY 127.0.0.1", "ALLOW ANY 80 ANY 127.0.0.1"],
            &["rules.toml:8: order-dependent: rule #2 (line 8) DROP and rule #1 (line 1) ALLOW share traffic and neither holds the other: their order decides it (now ALLOW, by rule #1)"],
            1,
        ),
        (
            &["ALLOW TCP 22 10.1.0.0/16 ANY", "ALLOW TCP 22 10.0.0.0/8 ANY"],
            &["rules.toml:8: overlap: rule #2 (line 8) and rule #1 (line 1), both ALLOW TCP 22, have overlapping networks: src 10.0.0.0/8 and 10.1.0.0/16, dst ANY and ANY"],
            1,
        ),
        (
            // An exception before the general rule is how exceptions are written.
            &["DROP TCP 5000 203.0.113.0/24 ANY", "ALLOW TCP 5000 ANY ANY"],
            &[],
            0,
        ),
    ];
    for (rules, expected, status) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = rules_file(dir.path(), rules);
        let output = firewall(&["check", path.to_str().unwrap()]);
        let text = stdout(&output).replace(&format!("{}/", dir.path().display()), "");
        let lines: Vec<&str> = text.lines().collect();
        let (summary, findings) = lines.split_last().unwrap();
        assert_eq!(findings, *expected, "{rules:?}");
        assert_eq!(output.status.code(), Some(*status), "{rules:?}");
        if expected.is_empty() {
            assert_eq!(
                *summary,
                format!("rules.toml: {} rules, valid, no findings", rules.len())
            );
        }
    }
}

#[test]
fn check_lints_the_seed_rules() {
    let output = firewall(&["check", SEED]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        format!(
            "{SEED}:10: redundant: rule #2 (line 10) only repeats the default DROP: no later ALLOW rule shares its traffic\n\
             {SEED}:18: redundant: rule #3 (line 18) only repeats the default DROP: no later ALLOW rule shares its traffic\n\
             {SEED}: 4 rules, valid, 2 findings (0 shadowed, 2 redundant, 0 order-dependent, 0 overlap)\n"
        )
    );
}

#[test]
fn an_invalid_file_gets_the_reloads_message_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let rule = "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 5000\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n";
    for (text, tail) in [
        (
            "[[rule]]\naction = \"PERMIT\"\nproto = \"TCP\"\ndport = 80\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n".to_owned(),
            ":2: rule #1: action: `PERMIT` is not valid: expected ALLOW or DROP",
        ),
        (
            format!("{rule}\n{}", rule.replace("\"ANY\"\n", "\"10.0.0.5/24\"\n")),
            ":12: rule #2: src_cidr: `10.0.0.5/24` is not valid: host bits are set (did you mean 10.0.0.0/24?)",
        ),
        (format!("{rule}[waf]\nparanoia = 9\n"), ":8: [waf] paranoia: 9 is not between 1 and 4"),
    ] {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, &text).unwrap();
        let output = firewall(&["check", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(stdout(&output), "");
        let reload = Firewall::new("t").reload_file(&path).unwrap_err().to_string();
        assert_eq!(stderr(&output), format!("{reload}\n"));
        assert_eq!(reload, format!("{}{tail}", path.display()));
    }
    let missing = dir.path().join("missing.toml");
    let output = firewall(&["check", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with(&format!("{}: ", missing.display())));
}

#[test]
fn check_json_parses_and_holds_the_same_facts() {
    let output = firewall(&["check", SEED, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["rules"], 4);
    assert_eq!(doc["counts"]["redundant"], 2);
    assert_eq!(doc["counts"]["shadowed"], 0);
    let first = &doc["findings"][0];
    assert_eq!(first["kind"], "redundant");
    assert_eq!(
        (first["rule"].as_u64(), first["line"].as_u64()),
        (Some(2), Some(10))
    );
    assert!(first["message"]
        .as_str()
        .unwrap()
        .starts_with("rule #2 (line 10) only repeats"));

    let dir = tempfile::tempdir().unwrap();
    let shadow = rules_file(
        dir.path(),
        &["ALLOW TCP ANY ANY ANY", "DROP TCP 22 ANY ANY"],
    );
    let output = firewall(&["check", shadow.to_str().unwrap(), "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let finding = &doc["findings"][0];
    assert_eq!(finding["kind"], "shadowed");
    assert_eq!(
        (
            finding["other_rule"].as_u64(),
            finding["other_line"].as_u64()
        ),
        (Some(1), Some(1))
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[rule]]\naction = \"PERMIT\"\n").unwrap();
    let output = firewall(&["check", bad.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["error"]["line"], 2);
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .ends_with(":2: rule #1: action: `PERMIT` is not valid: expected ALLOW or DROP"));
}

#[test]
fn explain_the_seeds_logged_drop() {
    // The packet of the seed's log line: no rule allows port 5000.
    let output = firewall(&["explain", SEED, "192.168.29.83:62075", "127.0.0.1:5000"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "packet: TCP 192.168.29.83:62075 -> 127.0.0.1:5000\n\
         \x20 #1 (line 2)  ALLOW TCP 80 ANY ANY \"Permits HTTP\"  -- no: port 5000 is not 80\n\
         \x20 #2 (line 10)  DROP TCP 443 ANY ANY \"Permits HTTPS\"  -- no: port 5000 is not 443\n\
         \x20 #3 (line 18)  DROP TCP 23 ANY 10.0.0.0/24 \"Blocks Telnet to a subnet\"  -- no: port 5000 is not 23; dest 127.0.0.1 is not in 10.0.0.0/24\n\
         \x20 #4 (line 26)  ALLOW TCP 22 192.168.1.10 ANY \"Only allows SSH from one specific IP\"  -- no: port 5000 is not 22; source 192.168.29.83 is not in 192.168.1.10\n\
         decision: DROP by default: no rule matched (4 rules checked)\n\
         log: ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.\n"
    );
}

#[test]
fn explain_names_the_deciding_rule_and_its_log_line() {
    let output = firewall(&["explain", SEED, "203.0.113.7:5123", "10.0.0.1:443"]);
    assert_eq!(
        stdout(&output),
        "packet: TCP 203.0.113.7:5123 -> 10.0.0.1:443\n\
         \x20 #1 (line 2)  ALLOW TCP 80 ANY ANY \"Permits HTTP\"  -- no: port 443 is not 80\n\
         => #2 (line 10)  DROP TCP 443 ANY ANY \"Permits HTTPS\"  -- matches\n\
         decision: DROP by rule #2 (line 10)\n\
         log: ACL DROP: [TCP] 203.0.113.7:5123 -> 10.0.0.1:443 - Matched rule #2: Permits HTTPS\n"
    );
    let ssh = firewall(&[
        "explain",
        SEED,
        "192.168.1.10:50000",
        "10.0.0.1:22",
        "--proto",
        "udp",
    ]);
    let text = stdout(&ssh);
    assert!(text.contains("#4 (line 26)  ALLOW TCP 22 192.168.1.10 ANY \"Only allows SSH from one specific IP\"  -- no: protocol UDP is not TCP\n"), "{text}");
    assert!(text.ends_with("decision: DROP by default: no rule matched (4 rules checked)\nlog: ACL DROP: [UDP] 192.168.1.10:50000 -> 10.0.0.1:22 - No matching allow rule.\n"), "{text}");
}

#[test]
fn explain_sums_up_a_long_run_of_rules_that_did_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let mut rules: Vec<String> = (0..100)
        .map(|n| format!("DROP TCP {} ANY ANY", 1000 + n))
        .collect();
    rules[50] = "DROP UDP 5000 ANY ANY".to_owned();
    rules.push("ALLOW TCP 5000 127.0.0.0/8 ANY".to_owned());
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    let path = rules_file(dir.path(), &rules);
    let output = firewall(&[
        "explain",
        path.to_str().unwrap(),
        "127.0.0.1:40000",
        "127.0.0.1:5000",
        "--show",
        "2",
    ]);
    let lines: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 7, "{lines:#?}");
    assert_eq!(
        lines[1],
        "  #1 (line 1)  DROP TCP 1000 ANY ANY  -- no: port 5000 is not 1000"
    );
    assert_eq!(lines[3], "  ... and 98 more rules that did not match (of all 100 checked: 1 on protocol, 99 on port)");
    assert_eq!(
        lines[4],
        "=> #101 (line 701)  ALLOW TCP 5000 127.0.0.0/8 ANY  -- matches"
    );
}

#[test]
fn waf_shows_the_signature_where_and_an_exclusion_that_silences_it() {
    let output = firewall(&["waf", "GET /search?q=1 union select 1"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("verdict: BLOCK (403): score 10 reaches the threshold 5; strongest: 942100 SQL injection in ARGS:q\n"), "{text}");
    assert!(
        text.contains("  942100 sqli (SQL injection), score 5, in ARGS:q: SQL injection: the value's tokens read as SQL\n"),
        "{text}"
    );
    assert!(
        text.contains("  942120 sqli (SQL injection), score 5, in ARGS:q: SQL UNION SELECT\n"),
        "{text}"
    );
    // One exclusion per matched signature, four lines each.
    let lines: Vec<&str> = text.lines().collect();
    let snippet: String = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("[[waf.exclusion]]"))
        .flat_map(|(at, _)| &lines[at..at + 4])
        .fold(String::new(), |mut s, l| {
            let _ = writeln!(s, "{}", l.trim());
            s
        });
    assert_eq!(
        snippet,
        "[[waf.exclusion]]\npath = \"/search\"\nargs = [\"q\"]\nrules = [942100]  # sqli\n\
         [[waf.exclusion]]\npath = \"/search\"\nargs = [\"q\"]\nrules = [942120]  # sqli\n"
    );

    // The snippets, pasted into a rules file, silence the matches.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    let seed = std::fs::read_to_string(SEED).unwrap();
    std::fs::write(&rules, format!("{seed}\n[waf]\nparanoia = 1\n\n{snippet}")).unwrap();
    let output = firewall(&[
        "waf",
        "GET /search?q=1 union select 1",
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).ends_with("verdict: PASS (under the threshold)\nno signature matched\n")
    );
    // Elsewhere it still blocks.
    let output = firewall(&[
        "waf",
        "GET /other?q=1 union select 1",
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn waf_passes_a_benign_request() {
    let output = firewall(&["waf", "GET /search?q=select the plan you'd like"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.ends_with("waf: mode on, paranoia 1, threshold 5 (defaults)\nverdict: PASS (under the threshold)\nno signature matched\n"), "{text}");
}

#[test]
fn waf_with_a_version_checks_the_headers_http1_requires_as_the_server_does() {
    // A health check by address with no User-Agent and no Accept: at
    // paranoia 2 the numeric Host (3) and the two missing headers (2 + 2)
    // refuse it, as the middleware does for the same HTTP/1.1 request.
    let probe = [
        "waf",
        "--paranoia",
        "2",
        "GET /health HTTP/1.1",
        "-H",
        "Host: 10.0.1.5:8080",
    ];
    let output = firewall(&probe);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with("request: GET /health HTTP/1.1\n"),
        "{text}"
    );
    for id in ["920300", "920320", "920350"] {
        assert!(text.contains(id), "{id} missing: {text}");
    }
    // Without a version the view says nothing of the wire: only 920350.
    let output = firewall(&[
        "waf",
        "--paranoia",
        "2",
        "GET /health",
        "-H",
        "Host: 10.0.1.5:8080",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    // A version Actix refuses is an error that names it.
    let output = firewall(&["waf", "GET / HTTP/2.0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("HTTP/2.0"));
}

#[test]
fn waf_lists_body_matches_behind_a_head_that_already_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, r#"{"c":"<script>alert(1)</script>"}"#).unwrap();
    let at_body = format!("@{}", body.display());
    let output = firewall(&[
        "waf",
        "POST /c?id=1 union select 1",
        "--header",
        "Content-Type: application/json",
        "--body",
        &at_body,
    ]);
    let text = stdout(&output);
    assert!(text.contains(" in ARGS:id: "), "{text}");
    assert!(
        text.contains("xss (Cross-site scripting)") && text.contains(" in ARGS:json.c: "),
        "{text}"
    );
    assert!(
        text.contains("body: 33 bytes, read by its Content-Type\n"),
        "{text}"
    );
}

#[test]
fn waf_settings_come_from_the_rules_file_and_paranoia_from_the_flag() {
    let output = firewall(&["waf", "/", "--paranoia", "9"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "firewall: WafConfig: [waf] paranoia: 9 is not between 1 and 4\n"
    );
    let output = firewall(&["waf", "/", "--paranoia", "3"]);
    assert!(
        stdout(&output).contains("waf: mode on, paranoia 3, threshold 5 (defaults, --paranoia)\n")
    );
}

#[test]
fn input_is_escaped_before_the_terminal() {
    let output = firewall(&[
        "waf",
        "GET /a?q=\x1b[2J\u{202e}x",
        "--header",
        "X-Test: \x1b]0;owned\x07",
    ]);
    let text = stdout(&output);
    assert!(
        !text.contains('\x1b') && !text.contains('\u{202e}') && !text.contains('\x07'),
        "{text:?}"
    );
    assert!(
        text.contains("request: GET /a?q=\\x1b[2J\\u{202e}x\n"),
        "{text}"
    );
    assert!(
        text.contains("header: x-test: \\x1b]0;owned\\x07\n"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, "[[rule]]\naction = \"DROP\"\nproto = \"TCP\"\ndport = 80\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\ndesc = \"red \\u001b[31m\"\n").unwrap();
    let output = firewall(&[
        "explain",
        path.to_str().unwrap(),
        "10.0.0.1:1",
        "10.0.0.2:80",
    ]);
    let text = stdout(&output);
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(
        text.contains("- Matched rule #1: red \\x1b[31m\n"),
        "{text}"
    );
}

#[test]
fn help_points_to_the_terminal_monitor_for_the_log() {
    let output = firewall(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("firewall-monitor --log app_firewall.log"));
    let output = firewall(&["tail", "app_firewall.log"]);
    assert_eq!(output.status.code(), Some(2));
}
