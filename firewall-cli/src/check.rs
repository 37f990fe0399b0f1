//! `firewall check`: validate as a reload does, then lint.
//!
//! Text output is one line per finding, `file:line: kind: message`, where
//! the line is the later rule's and the message names both rules by
//! position and line, then a summary line. `--format json` prints one JSON
//! document with the same facts. Exit status: 0 clean, 1 findings, 2 invalid.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use firewall_core::ReloadError;
use serde::Serialize;

use crate::lint::{self, Finding, Kind, RuleShape};
use crate::load::{self, Loaded};
use crate::terminal::clean;
use crate::INVALID;

/// Runs the command; returns the exit status.
pub(crate) fn run(path: &Path, json: bool, out: &mut impl Write) -> std::io::Result<u8> {
    let loaded = match load::load(path) {
        Ok(loaded) => loaded,
        Err(err) => {
            report_invalid(path, &err, json, out)?;
            return Ok(INVALID);
        }
    };
    let shapes: Vec<RuleShape> = loaded.set.iter().map(|r| RuleShape::of(&r)).collect();
    let findings = lint::lint(&shapes);
    let described: Vec<Described> = findings.iter().map(|f| describe(&loaded, *f)).collect();
    if json {
        write_json(path, &loaded, &described, out)?;
    } else {
        write_text(path, &loaded, &described, out)?;
    }
    Ok(u8::from(!findings.is_empty()))
}

fn report_invalid(
    path: &Path,
    err: &ReloadError,
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if !json {
        // The reload's own message: `file:line: rule #N: field: ...`.
        eprintln!("{}", clean(&err.to_string()));
        return Ok(());
    }
    let doc = serde_json::json!({
        "file": path.display().to_string(),
        "valid": false,
        "error": { "message": err.to_string(), "line": load::error_line(err) },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// A finding with its lines and message.
#[derive(Debug, Serialize)]
struct Described {
    kind: Kind,
    /// 1-based position of the rule the finding is about.
    rule: usize,
    line: usize,
    /// 1-based position of the earlier rule involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    other_rule: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    other_line: Option<usize>,
    message: String,
}

fn describe(loaded: &Loaded, finding: Finding) -> Described {
    let rules = &loaded.set;
    let at = |i: usize| format!("rule #{} (line {})", i + 1, loaded.line(i));
    let (j, rule) = (finding.rule, rules.get(finding.rule));
    let other = finding.other.map(|i| (i, rules.get(i)));
    let message = match (finding.kind, rule, other) {
        (Kind::Shadowed, Some(b), Some((i, Some(a)))) => format!(
            "{} can never match: {} comes first and matches all its traffic ({} before {})",
            at(j),
            at(i),
            a.action,
            b.action
        ),
        (Kind::Redundant, _, _) => format!(
            "{} only repeats the default DROP: no later ALLOW rule shares its traffic",
            at(j)
        ),
        (Kind::OrderDependent, Some(b), Some((i, Some(a)))) => format!(
            "{} {} and {} {} share traffic and neither holds the other: their order decides it (now {}, by rule #{})",
            at(j),
            b.action,
            at(i),
            a.action,
            a.action,
            i + 1
        ),
        (Kind::Overlap, Some(b), Some((i, Some(a)))) => format!(
            "{} and {}, both {} {} {}, have overlapping networks: src {} and {}, dst {} and {}",
            at(j),
            at(i),
            b.action,
            b.proto,
            b.dport,
            b.src_cidr,
            a.src_cidr,
            b.dst_cidr,
            a.dst_cidr
        ),
        _ => format!("{} {}", at(j), finding.kind.name()),
    };
    Described {
        kind: finding.kind,
        rule: j + 1,
        line: loaded.line(j),
        other_rule: finding.other.map(|i| i + 1),
        other_line: finding.other.map(|i| loaded.line(i)),
        message,
    }
}

fn counts(findings: &[Described]) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> =
        Kind::ALL.iter().map(|k| (k.name(), 0)).collect();
    for finding in findings {
        *counts.entry(finding.kind.name()).or_default() += 1;
    }
    counts
}

fn write_text(
    path: &Path,
    loaded: &Loaded,
    findings: &[Described],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let file = path.display().to_string();
    let file = clean(&file);
    for finding in findings {
        writeln!(
            out,
            "{file}:{}: {}: {}",
            finding.line,
            finding.kind.name(),
            finding.message
        )?;
    }
    let rules = match loaded.set.len() {
        1 => "1 rule".to_owned(),
        n => format!("{n} rules"),
    };
    if findings.is_empty() {
        return writeln!(out, "{file}: {rules}, valid, no findings");
    }
    let counts = counts(findings);
    let parts: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("{} {}", counts[k.name()], k.name()))
        .collect();
    writeln!(
        out,
        "{file}: {rules}, valid, {} findings ({})",
        findings.len(),
        parts.join(", ")
    )
}

fn write_json(
    path: &Path,
    loaded: &Loaded,
    findings: &[Described],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let doc = serde_json::json!({
        "file": path.display().to_string(),
        "valid": true,
        "rules": loaded.set.len(),
        "waf": loaded.waf.is_some(),
        "counts": counts(findings),
        "findings": findings,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
