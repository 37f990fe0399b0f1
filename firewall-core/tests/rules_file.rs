//! Rules files as a user writes them: every mistake is named with file, line,
//! rule, field and value, and a bad file at reload keeps the old rules.

use std::io::Write as _;

use firewall_core::{Action, Firewall, Packet, ReloadError, RuleFileError, RuleSet};

const GOOD: &str = r#"
# The seed's web-monitor program, as a rules file.
[[rule]]
action = "DROP"
proto = "TCP"
dport = 80
src_cidr = "ANY"
dst_cidr = "ANY"
desc = "Blocks HTTP"

[[rule]]
action = "ALLOW"
proto = "TCP"
dport = "5000-5009"
src_cidr = "ANY"
dst_cidr = "ANY"
desc = "Allow HTTP to the app"
"#;

fn error_of(text: &str) -> String {
    RuleSet::from_toml_str(text, "rules.toml")
        .unwrap_err()
        .to_string()
}

fn with_rule(field_lines: &str) -> String {
    format!("[[rule]]\n{field_lines}\n")
}

#[test]
fn a_good_file_loads_in_order() {
    let set = RuleSet::from_toml_str(GOOD, "rules.toml").unwrap();
    let lines: Vec<String> = set.iter().map(|rule| rule.to_string()).collect();
    assert_eq!(
        lines,
        [
            r#"DROP TCP 80 ANY ANY "Blocks HTTP""#,
            r#"ALLOW TCP 5000-5009 ANY ANY "Allow HTTP to the app""#
        ]
    );
}

#[test]
fn each_mistake_names_file_line_rule_field_and_value() {
    let base =
        "action = \"ALLOW\"\nproto = \"TCP\"\ndport = 80\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"";
    let cases = [
        (base.replace("\"ALLOW\"", "\"PERMIT\""), "rules.toml:2: rule #1: action: `PERMIT` is not valid: expected ALLOW or DROP"),
        (base.replace("dport = 80", "dport = 70000"), "rules.toml:4: rule #1: dport: `70000` is not valid: a port is a number from 1 to 65535"),
        (base.replace("dport = 80", "dport = 0"), "rules.toml:4: rule #1: dport: `0` is not valid: a port is a number from 1 to 65535"),
        (base.replace("dport = 80", "dport = \"0-1023\""), "rules.toml:4: rule #1: dport: `0-1023` is not valid: a port is a number from 1 to 65535"),
        (base.replace("dport = 80", "dport = -1"), "rules.toml:4: rule #1: dport: `-1` is not valid: a port is a number from 1 to 65535"),
        (base.replace("src_cidr = \"ANY\"", "src_cidr = \"10.0.0.0/33\""), "rules.toml:5: rule #1: src_cidr: `10.0.0.0/33` is not valid: the prefix length must be a number from 0 to 32"),
        (base.replace("dst_cidr = \"ANY\"", "dst_cidr = \"10.0.0.5/24\""), "rules.toml:6: rule #1: dst_cidr: `10.0.0.5/24` is not valid: host bits are set (did you mean 10.0.0.0/24?)"),
        (base.replace("proto = \"TCP\"\n", ""), "rules.toml:1: rule #1: proto: this field is missing"),
    ];
    for (fields, expected) in cases {
        assert_eq!(error_of(&with_rule(&fields)), expected, "for {fields}");
    }
}

#[test]
fn the_second_rule_is_named_by_its_position_and_line() {
    let text = format!("{GOOD}\n[[rule]]\naction = \"DROP\"\nproto = \"TCP\"\ndport = \"ANY\"\nsrc_cidr = \"ANY\"\ndst_cidr = \"::1/129\"\n");
    let err = error_of(&text);
    assert!(
        err.starts_with("rules.toml:24: rule #3: dst_cidr: `::1/129`"),
        "{err}"
    );
}

#[test]
fn syntax_errors_unknown_and_duplicate_keys_are_refused_with_their_line() {
    let duplicate = error_of("[[rule]]\naction = \"ALLOW\"\naction = \"DROP\"\n");
    assert!(
        duplicate.starts_with("rules.toml:3: ") && duplicate.contains("duplicate key"),
        "{duplicate}"
    );
    let unknown = error_of("[[rule]]\naction = \"ALLOW\"\nport = 80\n");
    assert!(
        unknown.starts_with("rules.toml:3: ") && unknown.contains("unknown field `port`"),
        "{unknown}"
    );
    let broken = error_of("[[rule]\n");
    assert!(broken.starts_with("rules.toml:1: "), "{broken}");
    assert_eq!(
        error_of("# nothing here\n"),
        "rules.toml: the file holds no [[rule]]: refusing to drop every request"
    );
}

#[test]
fn a_bad_file_at_reload_keeps_the_old_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, GOOD).unwrap();
    let fw = Firewall::new("reload");
    assert_eq!(fw.reload_file(&path).unwrap(), 2);
    let app = Packet::tcp(
        "127.0.0.1:40000".parse().unwrap(),
        "127.0.0.1:5003".parse().unwrap(),
    );
    assert_eq!(fw.rules().decide(&app).action, Action::Allow);

    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    writeln!(file, "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 99999\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"").unwrap();
    drop(file);
    let err = fw.reload_file(&path).unwrap_err();
    assert!(
        matches!(
            err,
            ReloadError::Rules(RuleFileError::Rule { index: 2, .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("dport: `99999`"), "{err}");
    assert_eq!(fw.rules().len(), 2, "the old rules stay");
    assert_eq!(fw.rules().decide(&app).action, Action::Allow);

    let missing = fw.reload_file(dir.path().join("missing.toml")).unwrap_err();
    assert!(matches!(
        missing,
        ReloadError::Rules(RuleFileError::Io { .. })
    ));
    assert_eq!(fw.rules().len(), 2);
}

#[test]
fn port_zero_is_refused_in_code_as_in_text() {
    use firewall_core::{Rule, ALLOW, ANY, TCP};
    for err in [
        Rule::new(ALLOW, TCP, 0, ANY, ANY, "").unwrap_err(),
        Rule::new(ALLOW, TCP, 0u32, ANY, ANY, "").unwrap_err(),
        Rule::new(ALLOW, TCP, 0..=1023, ANY, ANY, "").unwrap_err(),
        Rule::new(ALLOW, TCP, "0", ANY, ANY, "").unwrap_err(),
    ] {
        assert!(
            err.to_string()
                .ends_with("is not valid: a port is a number from 1 to 65535"),
            "{err}"
        );
    }
    assert!(Rule::new(ALLOW, TCP, 1..=1023, ANY, ANY, "").is_ok());
}
