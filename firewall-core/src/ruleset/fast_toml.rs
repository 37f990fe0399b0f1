//! A fast reader for the common shape of a rules file.
//!
//! Large rules files (a million rules) are machine-written: `[[rule]]`
//! headers, `key = "text"` or `dport = 80` lines, blank lines and comments.
//! This reader handles exactly that subset in one pass without building a
//! TOML document. Anything else — another table, an escape sequence, an
//! unknown or repeated key, a missing field, a value that does not parse —
//! makes it give up (`None`), and the caller falls back to the full TOML
//! parser, which reports the problem with its file and line. So the fast path
//! never changes what a file means or which error it gets.

use crate::rule::{IntoField, Rule};

/// The rules of `text`, or `None` when the file is outside the fast subset or
/// has any error (the full parser then explains it).
pub(super) fn parse(text: &str) -> Option<Vec<Rule>> {
    let mut rules = Vec::new();
    let mut current: Option<Fields<'_>> = None;
    for line in text.lines() {
        let line = strip_comment(line)?.trim_matches([' ', '\t']);
        if line.is_empty() {
            continue;
        }
        if line == "[[rule]]" {
            if let Some(done) = current.take() {
                rules.push(done.into_rule()?);
            }
            current = Some(Fields::default());
            continue;
        }
        let (key, value) = line.split_once('=')?;
        current.as_mut()?.set(
            key.trim_end_matches([' ', '\t']),
            value.trim_start_matches([' ', '\t']),
        )?;
    }
    rules.push(current?.into_rule()?);
    Some(rules)
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
    fn set(&mut self, key: &str, value: &'t str) -> Option<()> {
        let value = parse_value(value)?;
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
/// plain decimal integer; nothing may follow it.
fn parse_value(value: &str) -> Option<Value<'_>> {
    let bytes = value.as_bytes();
    match bytes.first()? {
        quote @ (b'"' | b'\'') => {
            let body = &value[1..];
            let end = body.find(char::from(*quote))?;
            let (inner, rest) = (&body[..end], &body[end + 1..]);
            let plain = !inner
                .bytes()
                .any(|b| b == b'\\' || (b < 0x20 && b != b'\t') || b == 0x7f);
            (plain && rest.is_empty()).then_some(Value::Text(inner))
        }
        b'1'..=b'9' if bytes.iter().all(u8::is_ascii_digit) && bytes.len() <= 18 => {
            Some(Value::Integer(value))
        }
        b'0' if bytes.len() == 1 => Some(Value::Integer(value)),
        _ => None,
    }
}

/// `line` without a trailing `# comment`; `None` when a `#` could be inside
/// a string (the full parser decides).
fn strip_comment(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    match line.find('#') {
        None => Some(line),
        Some(at) if !line[..at].contains(['"', '\'']) => Some(&line[..at]),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# rules\n[[rule]]\naction = \"ALLOW\"\nproto = 'TCP'\ndport = 80 # web\nsrc_cidr = \"ANY\"\ndst_cidr = \"10.0.0.0/8\"\n\n[[rule]]\r\naction = \"DROP\"\r\nproto = \"ANY\"\r\ndport = \"8000-8099\"\r\nsrc_cidr = \"::/0\"\r\ndst_cidr = \"ANY\"\r\ndesc = \"a b\"\r\n";

    #[test]
    fn reads_the_common_shape_like_the_full_parser() {
        let fast = parse(FILE).expect("inside the fast subset");
        let full = crate::RuleSet::from_toml_str(FILE, "x.toml").unwrap();
        assert_eq!(fast, full.rules());
        assert_eq!(fast[1].to_string(), "DROP ANY 8000-8099 ::/0 ANY \"a b\"");
    }

    #[test]
    fn gives_up_on_anything_unusual() {
        let head = "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n";
        for tail in [
            "dport = 080\n",
            "dport = 0x50\n",
            "dport = 70000\n",
            "dport = 80\ndport = 81\n",
            "dport = 80\ndesc = \"a\\\"b\"\n",
            "dport = 80\ncolour = \"red\"\n",
            "dport = 80\ndesc = \"# not a comment\"\n",
            "dport = 80\n[other]\n",
            "dport = 80\ndesc = \"x\" y\n",
            "",
        ] {
            assert!(parse(&format!("{head}{tail}")).is_none(), "{tail:?}");
        }
        assert!(parse("").is_none());
        assert!(parse("action = \"ALLOW\"\n").is_none());
    }
}
