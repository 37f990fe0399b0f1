//! Signatures: what one attack pattern looks like, loaded from TOML data
//! (the built-in set is `signatures.toml` beside this file).
//!
//! A signature file is refused whole when one entry is bad (unknown family,
//! duplicate id, a pattern that does not compile...): a skipped signature
//! would silently weaken the WAF.
//!
//! How a pattern (`regex` syntax) is matched: against each value decoded
//! and lower-cased (write patterns in lower case), in multi-line mode, so
//! `^` and `$` are a value's start and end; `\A` and `\z` are read as `^`
//! and `$`. `\b` and `\B` are ASCII word boundaries (a letter that is not
//! ASCII counts as a non-word character): a Unicode boundary would make the
//! automata give up on any text that is not ASCII, hundreds of times slower.
//!
//! ```
//! use firewall_core::waf::{AttackFamily, Signature};
//! let sigs = Signature::parse_toml(r#"
//! [[signature]]
//! id = 942999
//! family = "sqli"
//! paranoia = 1
//! message = "tautology"
//! pattern = "\\bor\\s+1\\s*=\\s*1"
//! "#, "inline.toml")?;
//! assert_eq!(sigs[0].family, AttackFamily::Sqli);
//! assert_eq!(sigs[0].score, 5);
//! # Ok::<(), firewall_core::waf::WafError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use super::protocol::Check;
use super::target::Targets;
use super::{UnknownName, WafError};
use crate::parse::line_of;

/// The built-in signatures, written for this project.
pub(crate) const BUILTIN: &str = include_str!("signatures.toml");
/// The name errors in the built-in set are reported under.
pub(crate) const BUILTIN_NAME: &str = "firewall-core/src/waf/signatures.toml";

/// The attack family of a signature; ids follow the usual ranges
/// (930 LFI, 931 RFI, 932 RCE, 933 PHP, 934 generic, 941 XSS, 942 `SQLi`,
/// 944 Java, 913 scanners, 920/921 protocol).
///
/// # Examples
///
/// ```
/// use firewall_core::waf::AttackFamily;
/// assert_eq!("sqli".parse::<AttackFamily>(), Ok(AttackFamily::Sqli));
/// assert_eq!(AttackFamily::Sqli.to_string(), "SQL injection");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AttackFamily {
    /// SQL injection.
    Sqli,
    /// Cross-site scripting.
    Xss,
    /// Local file inclusion and path traversal.
    Lfi,
    /// Remote file inclusion.
    Rfi,
    /// Remote command execution.
    Rce,
    /// PHP injection.
    Php,
    /// Java attacks and deserialisation.
    Java,
    /// Generic attacks: SSRF, Node.js injection, prototype pollution...
    Generic,
    /// Known scanners and attack tools.
    Scanner,
    /// Protocol anomalies and attacks (smuggling, header injection).
    Protocol,
}

impl AttackFamily {
    /// Every family, in order.
    pub const ALL: [Self; 10] = [
        Self::Sqli,
        Self::Xss,
        Self::Lfi,
        Self::Rfi,
        Self::Rce,
        Self::Php,
        Self::Java,
        Self::Generic,
        Self::Scanner,
        Self::Protocol,
    ];

    /// The short name used in files and exclusions (`sqli`, `xss`...).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::waf::AttackFamily::Lfi.key(), "lfi");
    /// ```
    pub fn key(self) -> &'static str {
        match self {
            Self::Sqli => "sqli",
            Self::Xss => "xss",
            Self::Lfi => "lfi",
            Self::Rfi => "rfi",
            Self::Rce => "rce",
            Self::Php => "php",
            Self::Java => "java",
            Self::Generic => "generic",
            Self::Scanner => "scanner",
            Self::Protocol => "protocol",
        }
    }
}

impl fmt::Display for AttackFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqli => "SQL injection",
            Self::Xss => "Cross-site scripting",
            Self::Lfi => "Path traversal",
            Self::Rfi => "Remote file inclusion",
            Self::Rce => "Remote command execution",
            Self::Php => "PHP injection",
            Self::Java => "Java attack",
            Self::Generic => "Generic attack",
            Self::Scanner => "Scanner",
            Self::Protocol => "Protocol anomaly",
        })
    }
}

impl FromStr for AttackFamily {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|f| f.key() == s).ok_or_else(|| {
            let keys: Vec<_> = Self::ALL.iter().map(|f| f.key()).collect();
            UnknownName::new("family", s, format!("one of {}", keys.join(", ")))
        })
    }
}

/// Which decoded form of a value a signature is matched against.
///
/// All views start from [`crate::waf::transform::decode_all`] (percent,
/// HTML, Unicode, lower case).
///
/// # Examples
///
/// ```
/// use firewall_core::waf::View;
/// assert_eq!("sql".parse::<View>(), Ok(View::Sql));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum View {
    /// Decoded and lower-cased.
    Decoded,
    /// Decoded, SQL comments removed, whitespace collapsed.
    Sql,
    /// Decoded, path normalised (backslashes, `//`, `/./`).
    Path,
    /// Decoded, shell quoting and escapes removed.
    Shell,
    /// The value as received, undecoded (case kept).
    Raw,
}

impl View {
    /// Every view, in the order the engine builds them.
    pub const ALL: [Self; 5] = [Self::Decoded, Self::Sql, Self::Path, Self::Shell, Self::Raw];
}

impl FromStr for View {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "decoded" => Ok(Self::Decoded),
            "sql" => Ok(Self::Sql),
            "path" => Ok(Self::Path),
            "shell" => Ok(Self::Shell),
            "raw" => Ok(Self::Raw),
            other => Err(UnknownName::new(
                "view",
                other,
                "decoded, sql, path, shell or raw",
            )),
        }
    }
}

/// A structural detector: a signature that reads a value's tokens instead
/// of matching a pattern (in TOML, `detector = "sql-tokens"`,
/// `detector = "html-tokens"` or `detector = "js-tokens"` in place of
/// `pattern`).
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{Detector, Signature};
/// let sqli = Signature::builtin().into_iter().find(|s| s.id == 942100).unwrap();
/// assert_eq!(sqli.detector, Some(Detector::SqlTokens));
/// assert_eq!("sql-tokens".parse::<Detector>(), Ok(Detector::SqlTokens));
/// let xss = Signature::builtin().into_iter().find(|s| s.id == 941100).unwrap();
/// assert_eq!(xss.detector, Some(Detector::HtmlTokens));
/// assert_eq!("shell-tokens".parse::<Detector>(), Ok(Detector::ShellTokens));
/// let js = Signature::builtin().into_iter().find(|s| s.id == 941104).unwrap();
/// assert_eq!(js.detector, Some(Detector::JsTokens));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Detector {
    /// SQL injection read from the value's SQL tokens, the way
    /// libinjection reads them (a logic operator with a comparison,
    /// `UNION SELECT`, a second statement, a comment cutting the query).
    SqlTokens,
    /// Cross-site scripting read from the value's HTML tokens, the way
    /// libinjection reads them (a tag that runs script, an event handler,
    /// a script URL), from the places a value can land in a page.
    HtmlTokens,
    /// Command injection read from the value's shell words: a separator
    /// then a command, once quotes, escapes, empty variables, `$IFS`,
    /// braces, globs and carets are undone.
    ShellTokens,
    /// Cross-site scripting read from the value's JavaScript tokens: a
    /// breakout from a string followed by a call or a sink assignment, or
    /// an expression calling what runs code (`eval`, a computed member,
    /// `constructor`), or a `JSFuck` run.
    JsTokens,
}

impl Detector {
    /// Whether `decoded` (a value decoded and lower-cased, as patterns
    /// see it) is what this detector looks for.
    pub(crate) fn detects(self, decoded: &str) -> bool {
        match self {
            Self::SqlTokens => super::sql_injection::is_sql_injection(decoded),
            Self::HtmlTokens => super::xss_injection::is_xss(decoded),
            Self::ShellTokens => super::shell_injection::is_command_injection(decoded),
            Self::JsTokens => super::js_injection::is_js_injection(decoded),
        }
    }
}

impl FromStr for Detector {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sql-tokens" => Ok(Self::SqlTokens),
            "html-tokens" => Ok(Self::HtmlTokens),
            "shell-tokens" => Ok(Self::ShellTokens),
            "js-tokens" => Ok(Self::JsTokens),
            other => Err(format!(
                "unknown detector `{other}`: expected sql-tokens, html-tokens, js-tokens or shell-tokens"
            )),
        }
    }
}

/// One attack pattern.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::Signature;
/// let all = Signature::builtin();
/// assert!(all.iter().any(|s| s.id == 942100));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Unique id, in the range of its family (942xxx for SQL injection...).
    pub id: u32,
    /// The attack family.
    pub family: AttackFamily,
    /// The lowest paranoia level (1 to 4) at which it is active.
    pub paranoia: u8,
    /// Short description for logs.
    pub message: String,
    /// Anomaly score added when it matches (critical 5, error 4, warning 3, notice 2).
    pub score: u32,
    /// The paranoia level from which it scores as critical whatever its
    /// severity (`critical_from` in TOML): an anomaly that only adds to
    /// the score at the ordinary levels refuses the request on its own at
    /// the strict ones.
    pub critical_from: Option<u8>,
    /// The value form it is matched against.
    pub view: View,
    /// The regular expression (linear-time `regex` syntax, no look-around);
    /// empty for a detector.
    pub pattern: String,
    /// The structural detector run in place of a pattern, if any.
    pub detector: Option<Detector>,
    /// The protocol check run in place of a pattern, if any: it reads the
    /// request's structure (its head, lengths, encodings), not a value.
    pub check: Option<Check>,
    pub(crate) targets: Targets,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    signature: Vec<Spanned<RawSignature>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    id: u32,
    family: Spanned<String>,
    paranoia: Spanned<u8>,
    message: String,
    #[serde(default)]
    severity: Option<Spanned<String>>,
    #[serde(default)]
    critical_from: Option<Spanned<u8>>,
    #[serde(default)]
    view: Option<Spanned<String>>,
    #[serde(default)]
    targets: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pattern: Option<Spanned<String>>,
    #[serde(default)]
    detector: Option<Spanned<String>>,
    #[serde(default)]
    check: Option<Spanned<String>>,
}

impl Signature {
    /// The built-in signature set.
    ///
    /// # Panics
    ///
    /// Never in a released build: a test checks the built-in file parses.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::waf::Signature::builtin().len() > 50);
    /// ```
    pub fn builtin() -> Vec<Self> {
        Self::parse_toml(BUILTIN, BUILTIN_NAME)
            .unwrap_or_else(|e| panic!("built-in signatures: {e}"))
    }

    /// Parses a signatures file; `source` names it in errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Signature;
    /// let err = Signature::parse_toml("[[signature]]\nid = 1\nfamily = \"sql\"\nparanoia = 1\nmessage = \"m\"\npattern = \"x\"\n", "s.toml");
    /// assert!(err.unwrap_err().to_string().starts_with("s.toml:3: signature 1: family:"));
    /// ```
    pub fn parse_toml(text: &str, source: &str) -> Result<Vec<Self>, WafError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| WafError::Syntax {
            source_name: source.to_owned(),
            line: e.span().map_or(0, |s| line_of(text, s.start)),
            message: e.message().to_owned(),
        })?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(raw.signature.len());
        for entry in raw.signature {
            let at = entry.span().start;
            let sig = entry.into_inner();
            let id = sig.id;
            let bad = |offset: usize, field: &'static str, reason: String| WafError::Signature {
                source_name: source.to_owned(),
                line: line_of(text, offset),
                id,
                field,
                reason,
            };
            if !seen.insert(id) {
                return Err(bad(at, "id", "duplicate id".to_owned()));
            }
            out.push(
                convert(sig, at).map_err(|(offset, field, reason)| bad(offset, field, reason))?,
            );
        }
        Ok(out)
    }

    /// Whether it applies to a value of this location class.
    pub(crate) fn applies_to(&self, classes: Targets) -> bool {
        self.targets.intersects(classes)
    }
}

type FieldFailure = (usize, &'static str, String);

fn convert(sig: RawSignature, at: usize) -> Result<Signature, FieldFailure> {
    let family = parse_field(&sig.family, "family", str::parse)?;
    let paranoia = *sig.paranoia.get_ref();
    if !(1..=4).contains(&paranoia) {
        return Err((
            sig.paranoia.span().start,
            "paranoia",
            format!("{paranoia} is not between 1 and 4"),
        ));
    }
    let critical_from = match &sig.critical_from {
        Some(level) if !(1..=4).contains(level.get_ref()) => {
            return Err((
                level.span().start,
                "critical_from",
                format!("{} is not between 1 and 4", level.get_ref()),
            ));
        }
        level => level.as_ref().map(|l| *l.get_ref()),
    };
    let score = match &sig.severity {
        Some(s) => parse_field(s, "severity", severity_score)?,
        None => 5,
    };
    let view = match &sig.view {
        Some(v) => parse_field(v, "view", str::parse)?,
        None => View::Decoded,
    };
    let targets = match &sig.targets {
        Some(t) => parse_targets(t)?,
        None => Targets::BROAD,
    };
    let (pattern, detector, check) = match (&sig.pattern, &sig.detector, &sig.check) {
        (Some(pattern), None, None) => {
            if let Err(e) = regex::Regex::new(pattern.get_ref()) {
                return Err((pattern.span().start, "pattern", e.to_string()));
            }
            (pattern.get_ref().clone(), None, None)
        }
        (None, Some(detector), None) => (
            String::new(),
            Some(parse_field(detector, "detector", str::parse)?),
            None,
        ),
        (None, None, Some(check)) => (
            String::new(),
            None,
            Some(parse_field(check, "check", str::parse)?),
        ),
        (None, None, None) => {
            return Err((
                at,
                "pattern",
                "missing: a signature needs a pattern, a detector or a check".to_owned(),
            ))
        }
        _ => {
            return Err((
                at,
                "pattern",
                "a signature has one of a pattern, a detector or a check".to_owned(),
            ));
        }
    };
    Ok(Signature {
        id: sig.id,
        family,
        paranoia,
        message: sig.message,
        score,
        critical_from,
        view,
        pattern,
        detector,
        check,
        targets,
    })
}

fn parse_field<T, E: fmt::Display>(
    value: &Spanned<String>,
    field: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, FieldFailure> {
    parse(value.get_ref()).map_err(|reason| (value.span().start, field, reason.to_string()))
}

fn parse_targets(targets: &Spanned<Vec<String>>) -> Result<Targets, FieldFailure> {
    let mut set = Targets::default();
    for name in targets.get_ref() {
        let one = Targets::from_name(name).ok_or_else(|| {
            let reason = format!("unknown target `{name}`: expected path, args, arg-values, cookies, headers, user-agent, filename, method, query or content-type");
            (targets.span().start, "targets", reason)
        })?;
        set = set.union(one);
    }
    Ok(set)
}

fn severity_score(name: &str) -> Result<u32, String> {
    match name {
        "critical" => Ok(5),
        "error" => Ok(4),
        "warning" => Ok(3),
        "notice" => Ok(2),
        other => Err(format!(
            "unknown severity `{other}`: expected critical, error, warning or notice"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_set_parses_with_unique_ids_in_family_ranges() {
        let sigs = Signature::builtin();
        for sig in &sigs {
            let range = sig.id / 1000;
            let expected: &[u32] = match sig.family {
                AttackFamily::Sqli => &[942],
                AttackFamily::Xss => &[941],
                AttackFamily::Lfi => &[930],
                AttackFamily::Rfi => &[931],
                AttackFamily::Rce => &[932],
                AttackFamily::Php => &[933],
                AttackFamily::Java => &[944],
                AttackFamily::Generic => &[934, 943],
                AttackFamily::Scanner => &[913],
                AttackFamily::Protocol => &[920, 921],
            };
            assert!(
                expected.contains(&range),
                "{} is not in the range of {:?}",
                sig.id,
                sig.family
            );
        }
    }

    #[test]
    fn bad_entries_are_refused_with_their_line() {
        let dup = "[[signature]]\nid = 1\nfamily = \"xss\"\nparanoia = 1\nmessage = \"m\"\npattern = \"a\"\n\
                   [[signature]]\nid = 1\nfamily = \"xss\"\nparanoia = 1\nmessage = \"m\"\npattern = \"b\"\n";
        let err = Signature::parse_toml(dup, "d.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("d.toml:7: signature 1: id: duplicate id"),
            "{err}"
        );
        let regex = "[[signature]]\nid = 2\nfamily = \"xss\"\nparanoia = 5\nmessage = \"m\"\npattern = \"(\"\n";
        let err = Signature::parse_toml(regex, "r.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("r.toml:4: signature 2: paranoia: 5 is not between 1 and 4"),
            "{err}"
        );
        let look = "[[signature]]\nid = 3\nfamily = \"xss\"\nparanoia = 1\nmessage = \"m\"\npattern = \"a(?=b)\"\n";
        let err = Signature::parse_toml(look, "l.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("l.toml:6: signature 3: pattern:"), "{err}");
    }
}
