//! A fast reader for the common shape of a rules file.
//!
//! Large rules files (a million rules) are machine-written: `[[rule]]`
//! headers, `key = "text"` or `dport = 80` lines, blank lines and comments.
//! This reader handles exactly that subset in one pass without building a
//! TOML document. Anything else — another table or header spelling, an
//! escape sequence, a multi-line string, a quoted or dotted or unknown or
//! repeated key, an integer other than plain decimal, a stray carriage
//! return, a control character in a comment, a missing field, a value that
//! does not parse — makes it give up (`None`), and the caller falls back to
//! the full TOML parser, which reports the problem with its file and line.
//! It never produces an error itself, so every error message comes from the
//! full parser. A differential property test (in `fast_toml/tests.rs`)
//! checks that whatever it accepts, the full parser reads the same way.

use crate::rule::{IntoField, Rule};

/// TOML whitespace (within a line).
const WS: [char; 2] = [' ', '\t'];

/// The rules of `text`, or `None` when the file is outside the fast subset or
/// has any error (the full parser then explains it).
///
/// Lines are split at LF or CRLF; a carriage return left in a line (one not
/// followed by a line feed, which TOML forbids) is never whitespace, so such
/// a line is refused.
pub(super) fn parse(text: &str) -> Option<Vec<Rule>> {
    parse_located(text, None)
}

/// [`parse`], also pushing to `lines` the 1-based line of each rule's
/// `[[rule]]` header when asked.
pub(super) fn parse_located(text: &str, mut lines: Option<&mut Vec<usize>>) -> Option<Vec<Rule>> {
    let mut rules = Vec::new();
    let mut current: Option<Fields<'_>> = None;
    walk(text, |line| match line {
        Line::Header(number) => {
            if let Some(done) = current.take() {
                rules.push(done.into_rule()?);
            }
            if let Some(lines) = lines.as_deref_mut() {
                lines.push(number);
            }
            current = Some(Fields::default());
            Some(())
        }
        Line::Field(key, value) => current.as_mut()?.set(key, value),
    })?;
    rules.push(current?.into_rule()?);
    Some(rules)
}

/// Whether `text` is valid TOML made only of `[[rule]]` tables with the
/// rule keys, each at most once per table: the fast subset's grammar,
/// without reading the values. Such a file has no `[waf]` table, which
/// lets [`crate::waf::WafConfig::from_toml_str`] skip the full parse of a
/// large rules file (15 s and 3 GB for a million rules).
pub(crate) fn holds_only_rule_tables(text: &str) -> bool {
    let mut seen: Option<u8> = None;
    let walked = walk(text, |line| match line {
        Line::Header(_) => {
            seen = Some(0);
            Some(())
        }
        Line::Field(key, _) => {
            let bit = 1u8 << KEYS.iter().position(|k| *k == key)?;
            let seen = seen.as_mut()?;
            let first = *seen & bit == 0;
            *seen |= bit;
            first.then_some(())
        }
    });
    walked.is_some() && seen.is_some()
}

/// The keys of a rule table.
const KEYS: [&str; 6] = ["action", "proto", "dport", "src_cidr", "dst_cidr", "desc"];

/// One meaningful line of the fast subset.
enum Line<'t> {
    /// `[[rule]]`, on this 1-based line.
    Header(usize),
    /// `key = value`.
    Field(&'t str, Value<'t>),
}

/// Calls `each` for every header and field line of `text`; `None` as soon
/// as a line is outside the fast subset or `each` refuses one.
fn walk<'t>(text: &'t str, mut each: impl FnMut(Line<'t>) -> Option<()>) -> Option<()> {
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_start_matches(WS);
        if let Some(rest) = line.strip_prefix("[[rule]]") {
            line_end(rest)?;
            each(Line::Header(number + 1))?;
        } else if line_end(line).is_none() {
            let (key, value) = line.split_once('=')?;
            let (value, rest) = parse_value(value.trim_start_matches(WS))?;
            line_end(rest)?;
            each(Line::Field(key.trim_end_matches(WS), value))?;
        }
    }
    Some(())
}

/// Accepts what may end a line after a header or value: whitespace, then
/// optionally a comment without the control characters TOML forbids there.
fn line_end(rest: &str) -> Option<()> {
    let rest = rest.trim_start_matches(WS);
    let plain = match rest.strip_prefix('#') {
        Some(comment) => !comment.bytes().any(is_forbidden_control),
        None => rest.is_empty(),
    };
    plain.then_some(())
}

/// The raw values of one rule, borrowed from the text.
#[derive(Default)]
struct Fields<'t> {
    action: Option<&'t str>,
    proto: Option<&'t str>,
    dport: Option<Value<'t>>,
    src_cidr: Option<&'t str>,
    dst_cidr: Option<&'t str>,
    desc: Option<&'t str>,
}

#[derive(Clone, Copy)]
enum Value<'t> {
    Text(&'t str),
    Integer(&'t str),
}

impl<'t> Fields<'t> {
    /// Records `key = value`; `None` for anything unusual.
    fn set(&mut self, key: &str, value: Value<'t>) -> Option<()> {
        let text = match value {
            Value::Text(t) => Some(t),
            Value::Integer(_) => None,
        };
        let slot = match key {
            "dport" => return put(&mut self.dport, value),
            "action" => &mut self.action,
            "proto" => &mut self.proto,
            "src_cidr" => &mut self.src_cidr,
            "dst_cidr" => &mut self.dst_cidr,
            "desc" => &mut self.desc,
            _ => return None,
        };
        put(slot, text?)
    }

    fn into_rule(self) -> Option<Rule> {
        let dport = match self.dport? {
            Value::Text(t) => t.parse().ok()?,
            Value::Integer(n) => n.parse::<i64>().ok()?.into_field().ok()?,
        };
        let rule = Rule {
            action: self.action?.parse().ok()?,
            proto: self.proto?.parse().ok()?,
            dport,
            src_cidr: self.src_cidr?.parse().ok()?,
            dst_cidr: self.dst_cidr?.parse().ok()?,
            desc: self.desc.unwrap_or_default().to_owned(),
        };
        rule.validate().ok()?;
        Some(rule)
    }
}

/// Stores `value` unless the key was already set (a duplicate key).
fn put<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// A plain `"..."` / `'...'` string (no escapes, no control characters) or a
/// plain decimal integer at the start of `value`, and what follows it.
fn parse_value(value: &str) -> Option<(Value<'_>, &str)> {
    let bytes = value.as_bytes();
    match bytes.first()? {
        quote @ (b'"' | b'\'') => {
            let body = &value[1..];
            let end = body.find(char::from(*quote))?;
            let (inner, rest) = (&body[..end], &body[end + 1..]);
            let plain = !inner.bytes().any(|b| b == b'\\' || is_forbidden_control(b));
            plain.then_some((Value::Text(inner), rest))
        }
        b'0'..=b'9' => {
            let end = bytes
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(bytes.len());
            let (digits, rest) = value.split_at(end);
            // No leading zero (TOML forbids it), and small enough for an i64.
            let plain = (digits == "0" || !digits.starts_with('0')) && digits.len() <= 18;
            plain.then_some((Value::Integer(digits), rest))
        }
        _ => None,
    }
}

/// A control character TOML forbids in strings and comments (all but tab).
fn is_forbidden_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

#[cfg(test)]
mod tests;
