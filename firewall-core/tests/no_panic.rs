//! Nothing panics on any input: rule lines and rules files built from random
//! text and from the grammar's own tokens either parse into a valid rule set
//! or come back as an error that names where the problem is.

use firewall_core::{Rule, RuleFileError, RuleSet};
use proptest::prelude::*;

/// Tokens of the rule grammar and near misses, so that random lines reach
/// past the first field.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ALLOW".to_owned()),
        Just("DROP".to_owned()),
        Just("TCP".to_owned()),
        Just("ANY".to_owned()),
        Just("allow".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("-".to_owned()),
        Just("/".to_owned()),
        (0u32..=70_000).prop_map(|n| n.to_string()),
        (0u32..=200).prop_map(|n| format!("10.0.0.0/{n}")),
        (0u32..=200).prop_map(|n| format!("::{n:x}/{n}")),
        "[ -~]{0,6}",
        "\\PC{0,3}",
    ]
}

fn rule_line() -> impl Strategy<Value = String> {
    proptest::collection::vec(token(), 0..9).prop_map(|tokens| tokens.join(" "))
}

fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        token().prop_map(|t| format!("{t:?}")),
        (-5i64..=70_000).prop_map(|n| n.to_string()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("true".to_owned()),
        "[ -~]{0,8}",
    ]
}

fn toml_file() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("action"),
        Just("proto"),
        Just("dport"),
        Just("src_cidr"),
        Just("dst_cidr"),
        Just("desc"),
        Just("port"),
    ];
    let field = (key, toml_value()).prop_map(|(k, v)| format!("{k} = {v}\n"));
    let rule = proptest::collection::vec(field, 0..8)
        .prop_map(|fields| format!("[[rule]]\n{}", fields.concat()));
    proptest::collection::vec(rule, 0..4).prop_map(|rules| rules.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn a_rule_line_parses_or_names_its_problem(line in prop_oneof![rule_line(), "\\PC{0,40}"]) {
        match line.parse::<Rule>() {
            Ok(rule) => {
                // What parses prints back to a line that parses to the same rule.
                prop_assert_eq!(rule.to_string().parse::<Rule>().unwrap(), rule);
            }
            Err(err) => prop_assert!(!err.to_string().is_empty()),
        }
    }

    #[test]
    fn a_rules_file_loads_or_names_file_and_line(text in toml_file()) {
        match RuleSet::from_toml_str(&text, "fuzz.toml") {
            Ok(set) => prop_assert!(!set.is_empty()),
            Err(RuleFileError::Syntax { line, .. } | RuleFileError::Rule { line, .. }) => {
                prop_assert!(line >= 1 && line <= text.lines().count().max(1), "line {} of {:?}", line, text);
            }
            Err(RuleFileError::Empty { .. }) => prop_assert!(!text.contains("[[rule]]")),
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }
}
