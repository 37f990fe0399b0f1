//! A validated, compiled rule list with its per-rule hit counters, and the
//! TOML rules file it can be loaded from.
//!
//! The rules file lists rules in order as `[[rule]]` tables; `dport` is a
//! number or text, every other field is text:
//!
//! ```toml
//! [[rule]]
//! action = "ALLOW"
//! proto = "TCP"
//! dport = 5000
//! src_cidr = "ANY"
//! dst_cidr = "ANY"
//! desc = "Allow HTTP to the app on 5000"
//!
//! [[rule]]
//! action = "DROP"
//! proto = "TCP"
//! dport = 23
//! src_cidr = "ANY"
//! dst_cidr = "10.0.0.0/24"
//! desc = "Blocks Telnet to a subnet"
//! ```
//!
//! ```
//! use firewall_core::RuleSet;
//! let set = RuleSet::from_toml_str(
//!     "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 5000\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n",
//!     "inline.toml",
//! )?;
//! assert_eq!(set.len(), 1);
//! let err = RuleSet::from_toml_str("[[rule]]\naction = \"PERMIT\"\n", "bad.toml").unwrap_err();
//! assert_eq!(err.to_string(), "bad.toml:2: rule #1: action: `PERMIT` is not valid: expected ALLOW or DROP");
//! # Ok::<(), firewall_core::RuleFileError>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use toml::Spanned;

use crate::matcher::Matcher;
use crate::packet::Packet;
use crate::parse::line_of;
use crate::parse::{FieldError, RuleError};
use crate::rule::{Action, IntoField, Rule};

mod fast_toml;
mod fields;
mod store;

pub(crate) use fast_toml::holds_only_rule_tables;
pub(crate) use fields::RuleFields;
pub use store::RulesIter;
use store::{RuleStore, Rules};

/// The outcome of checking one packet against a rule set.
///
/// # Examples
///
/// ```
/// use firewall_core::{Action, Decision};
/// let d = Decision { action: Action::Drop, rule: None };
/// assert!(!d.is_allowed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// ALLOW or DROP.
    pub action: Action,
    /// The index (0-based) of the rule that decided, or `None` when no rule matched.
    pub rule: Option<usize>,
}

impl Decision {
    /// Whether the request may go through.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Action, Decision};
    /// assert!(Decision { action: Action::Allow, rule: Some(0) }.is_allowed());
    /// ```
    pub fn is_allowed(self) -> bool {
        self.action == Action::Allow
    }
}

/// Rules in order, compiled for fast first-match lookups, with hit counters.
///
/// Immutable once built: a [`Firewall`](crate::Firewall) changes its rules
/// by installing a new set ([`Firewall::set_rules`](crate::Firewall::set_rules),
/// [`Firewall::reload_file`](crate::Firewall::reload_file)); read the set in
/// force with [`Firewall::rules`](crate::Firewall::rules).
///
/// # Examples
///
/// ```
/// use firewall_core::{Action, Packet, Rule, RuleSet, ALLOW, ANY, TCP};
/// let set = RuleSet::new(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app")?])?;
/// let packet = Packet::tcp("127.0.0.1:40000".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
/// assert_eq!(set.decide(&packet).rule, Some(0));
/// assert_eq!(set.hits(), vec![1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RuleSet {
    rules: RuleStore,
    matcher: Matcher,
    hits: Box<[AtomicU64]>,
}

impl Default for RuleSet {
    fn default() -> Self {
        Self::compile(Vec::new())
    }
}

impl RuleSet {
    /// Validates and compiles `rules`.
    ///
    /// # Errors
    ///
    /// The first invalid rule, by position (rules built with [`Rule::new`] or
    /// parsed are already valid; this catches struct literals).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{PortMatch, Rule, RuleSet, ALLOW, ANY, TCP};
    /// let mut rule = Rule::new(ALLOW, TCP, 80, ANY, ANY, "")?;
    /// rule.dport = PortMatch::Range(90, 80);
    /// let err = RuleSet::new(vec![rule]).unwrap_err();
    /// assert!(err.to_string().starts_with("rule #1: dport"));
    /// # Ok::<(), firewall_core::RuleError>(())
    /// ```
    pub fn new(rules: Vec<Rule>) -> Result<Self, RuleSetError> {
        for (index, rule) in rules.iter().enumerate() {
            rule.validate()
                .map_err(|source| RuleSetError { index, source })?;
        }
        Ok(Self::compile(rules))
    }

    fn compile(rules: Vec<Rule>) -> Self {
        let rules = RuleStore::new(rules);
        let matcher = Matcher::compile(rules.fields());
        let hits = rules.fields().iter().map(|_| AtomicU64::new(0)).collect();
        Self {
            rules,
            matcher,
            hits,
        }
    }

    /// Reads a TOML rules file (see the module docs for its shape).
    ///
    /// # Errors
    ///
    /// [`RuleFileError`] with the file and line of the problem.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let set = firewall_core::RuleSet::from_toml_file("rules.toml")?;
    /// # Ok::<(), firewall_core::RuleFileError>(())
    /// ```
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self, RuleFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| RuleFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, path)
    }

    /// Reads rules from TOML text; `origin` names it in errors (a path or a label).
    ///
    /// # Errors
    ///
    /// [`RuleFileError`] with `origin` and the line of the problem.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = firewall_core::RuleSet::from_toml_str("", "empty.toml").unwrap_err();
    /// assert_eq!(err.to_string(), "empty.toml: the file holds no [[rule]]: refusing to drop every request");
    /// ```
    pub fn from_toml_str(text: &str, origin: impl AsRef<Path>) -> Result<Self, RuleFileError> {
        if let Some(rules) = fast_toml::parse(text) {
            return Ok(Self::compile(rules));
        }
        Self::from_toml_str_full(text, origin.as_ref(), None)
    }

    /// [`RuleSet::from_toml_str`] (the same checks and errors: what a reload
    /// does), also returning the 1-based line of each rule's `[[rule]]`
    /// header, in rule order: for tools that point at rules in the file.
    ///
    /// # Errors
    ///
    /// The [`RuleFileError`] of [`RuleSet::from_toml_str`].
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::RuleSet;
    /// let rule = "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 80\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n";
    /// let (set, lines) = RuleSet::from_toml_str_with_lines(&format!("# web\n{rule}\n{rule}"), "r.toml")?;
    /// assert_eq!((set.len(), lines), (2, vec![2, 9]));
    /// # Ok::<(), firewall_core::RuleFileError>(())
    /// ```
    pub fn from_toml_str_with_lines(
        text: &str,
        origin: impl AsRef<Path>,
    ) -> Result<(Self, Vec<usize>), RuleFileError> {
        let mut lines = Vec::new();
        if let Some(rules) = fast_toml::parse_located(text, Some(&mut lines)) {
            return Ok((Self::compile(rules), lines));
        }
        lines.clear();
        let set = Self::from_toml_str_full(text, origin.as_ref(), Some(&mut lines))?;
        Ok((set, lines))
    }

    /// [`RuleSet::from_toml_str`] through the `toml` crate alone: the
    /// reference the fast path must agree with, and the source of every
    /// error; pushes each rule's line to `lines` when asked.
    fn from_toml_str_full(
        text: &str,
        origin: &Path,
        lines: Option<&mut Vec<usize>>,
    ) -> Result<Self, RuleFileError> {
        let path = origin.to_path_buf();
        let file: RawFile = toml::from_str(text).map_err(|e| RuleFileError::Syntax {
            line: e.span().map_or(0, |span| line_of(text, span.start)),
            message: e.message().trim().to_owned(),
            path: path.clone(),
        })?;
        if file.rule.is_empty() {
            return Err(RuleFileError::Empty { path });
        }
        if let Some(lines) = lines {
            let starts = LineStarts::new(text);
            lines.extend(file.rule.iter().map(|raw| starts.line(raw.span().start)));
        }
        let rules = file
            .rule
            .into_iter()
            .enumerate()
            .map(|(index, raw)| {
                raw.into_rule().map_err(|(at, source)| RuleFileError::Rule {
                    path: path.clone(),
                    line: line_of(text, at),
                    index,
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::compile(rules))
    }

    /// The rules, as stored (each [`Rule`] built on demand).
    pub(crate) fn stored(&self) -> Rules<'_> {
        Rules::new(&self.rules)
    }

    /// How many rules there are.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::RuleSet::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.stored().len()
    }

    /// Whether there are no rules.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::RuleSet::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.stored().is_empty()
    }

    /// The rule at `index` (0-based), or `None` past the end. The set keeps
    /// its rules compactly, so the [`Rule`] is built for this call.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Rule, RuleSet};
    /// let rule: Rule = r#"ALLOW TCP 80 ANY ANY "web""#.parse()?;
    /// let set = RuleSet::new(vec![rule.clone()])?;
    /// assert_eq!(set.get(0), Some(rule));
    /// assert_eq!(set.get(1), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, index: usize) -> Option<Rule> {
        self.stored().get(index)
    }

    /// The description of the rule at `index` (`""` when it has none), or
    /// `None` past the end; builds nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::RuleSet;
    /// let set = RuleSet::new(vec![r#"ALLOW TCP 80 ANY ANY "web""#.parse()?])?;
    /// assert_eq!(set.desc(0), Some("web"));
    /// assert_eq!(set.desc(1), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn desc(&self, index: usize) -> Option<&str> {
        self.stored().desc(index)
    }

    /// The rules in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::RuleSet;
    /// let set = RuleSet::new(vec!["ALLOW TCP 80 ANY ANY".parse()?, "DROP TCP 23 ANY ANY".parse()?])?;
    /// let lines: Vec<String> = set.iter().map(|rule| rule.to_string()).collect();
    /// assert_eq!(lines, ["ALLOW TCP 80 ANY ANY", "DROP TCP 23 ANY ANY"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> RulesIter<'_> {
        self.stored().iter()
    }

    /// Every rule, in order, in a `Vec` (to edit and set again).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Rule, RuleSet};
    /// let rules: Vec<Rule> = vec!["ALLOW TCP 80 ANY ANY".parse()?];
    /// assert_eq!(RuleSet::new(rules.clone())?.to_vec(), rules);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_vec(&self) -> Vec<Rule> {
        self.stored().to_vec()
    }

    /// The first matching rule decides; no match means DROP. Counts the hit.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Action, Packet, RuleSet};
    /// let packet = Packet::tcp("10.0.0.1:1".parse().unwrap(), "10.0.0.2:80".parse().unwrap());
    /// assert_eq!(RuleSet::default().decide(&packet).action, Action::Drop);
    /// ```
    pub fn decide(&self, packet: &Packet) -> Decision {
        let decision = self.first_match(packet);
        self.count_hit(decision);
        decision
    }

    /// [`decide`](Self::decide) without counting the hit: the firewall
    /// counts it once the request's final verdict is known.
    pub(crate) fn first_match(&self, packet: &Packet) -> Decision {
        let rules = self.rules.fields();
        match self.matcher.first_match(rules, packet) {
            Some(index) => Decision {
                action: rules[index].action,
                rule: Some(index),
            },
            None => Decision {
                action: Action::Drop,
                rule: None,
            },
        }
    }

    /// Counts a hit for the rule that made `decision` (none when no rule matched).
    pub(crate) fn count_hit(&self, decision: Decision) {
        if let Some(hits) = decision.rule.and_then(|index| self.hits.get(index)) {
            hits.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many packets each rule decided, in rule order.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::RuleSet::default().hits().is_empty());
    /// ```
    pub fn hits(&self) -> Vec<u64> {
        self.hits
            .iter()
            .map(|h| h.load(Ordering::Relaxed))
            .collect()
    }
}

/// The byte offset where each line of a text starts: the line of any
/// offset by binary search (what [`line_of`] counts), for many offsets.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> Self {
        let after_newlines = memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1);
        Self(std::iter::once(0).chain(after_newlines).collect())
    }

    /// The 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset).max(1)
    }
}

impl<'a> IntoIterator for &'a RuleSet {
    type Item = Rule;
    type IntoIter = RulesIter<'a>;

    fn into_iter(self) -> RulesIter<'a> {
        self.iter()
    }
}

/// A rule list refused by [`RuleSet::new`].
///
/// # Examples
///
/// ```
/// use firewall_core::{Rule, RuleSet, ALLOW, ANY, TCP};
/// let mut rule = Rule::new(ALLOW, TCP, 80, ANY, ANY, "")?;
/// rule.src_cidr = firewall_core::NetMatch::Net("10.0.0.5/24".parse().unwrap());
/// assert_eq!(RuleSet::new(vec![rule]).unwrap_err().index, 0);
/// # Ok::<(), firewall_core::RuleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule #{}: {source}", index + 1)]
pub struct RuleSetError {
    /// The position (0-based) of the rule; messages show it 1-based.
    pub index: usize,
    /// What is wrong with it.
    #[source]
    pub source: RuleError,
}

/// A rules file that could not be read; nothing was changed.
///
/// # Examples
///
/// ```
/// let err = firewall_core::RuleSet::from_toml_str("[[rule]]\naction = \"ALLOW\"\naction = \"DROP\"\n", "dup.toml").unwrap_err();
/// assert!(err.to_string().starts_with("dup.toml:3: "), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleFileError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, or an unknown or duplicate key.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when the parser gave no position).
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// One rule has a bad field.
    #[error("{}:{line}: rule #{}: {source}", path.display(), index + 1)]
    Rule {
        /// The file.
        path: PathBuf,
        /// 1-based line of the bad value (or of the rule, for a missing field).
        line: usize,
        /// Position (0-based) of the rule in the file.
        index: usize,
        /// What is wrong.
        #[source]
        source: RuleError,
    },
    /// The file holds no rules; loading it would drop every request.
    #[error("{}: the file holds no [[rule]]: refusing to drop every request", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    /// The WAF settings; read and checked by [`crate::waf::WafConfig::from_toml_str`].
    #[serde(default, rename = "waf")]
    _waf: Option<toml::Value>,
    /// Where limits and bans are kept; read and checked by firewall-store's `StoreConfig::from_toml_str`.
    #[serde(default, rename = "store")]
    _store: Option<toml::Value>,
    /// The rate limits; read and checked with the ban policy by the firewall.
    #[serde(default, rename = "limit")]
    _limit: Option<toml::Value>,
    /// The ban policy.
    #[serde(default, rename = "bans")]
    _bans: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    action: Option<Spanned<String>>,
    proto: Option<Spanned<String>>,
    dport: Option<Spanned<toml::Value>>,
    src_cidr: Option<Spanned<String>>,
    dst_cidr: Option<Spanned<String>>,
    #[serde(default)]
    desc: String,
}

/// A field's error and the byte offset to report it at.
type Located = (usize, RuleError);

trait IntoRule {
    fn into_rule(self) -> Result<Rule, Located>;
}

impl IntoRule for Spanned<RawRule> {
    fn into_rule(self) -> Result<Rule, Located> {
        let at = self.span().start;
        let raw = self.into_inner();
        let action = required(at, "action", raw.action, |s| s.parse())?;
        let proto = required(at, "proto", raw.proto, |s| s.parse())?;
        let dport = required(at, "dport", raw.dport, |v| match v {
            toml::Value::Integer(n) => n.into_field(),
            toml::Value::String(s) => s.parse(),
            other => Err(FieldError::new(
                other.to_string(),
                "expected a port number, a range such as \"8000-8099\", or \"ANY\"",
            )),
        })?;
        let src_cidr = required(at, "src_cidr", raw.src_cidr, |s| s.parse())?;
        let dst_cidr = required(at, "dst_cidr", raw.dst_cidr, |s| s.parse())?;
        let rule = Rule {
            action,
            proto,
            dport,
            src_cidr,
            dst_cidr,
            desc: raw.desc,
        };
        rule.validate().map_err(|e| (at, e))?;
        Ok(rule)
    }
}

fn required<V, T>(
    rule_at: usize,
    field: &'static str,
    value: Option<Spanned<V>>,
    convert: impl FnOnce(V) -> Result<T, FieldError>,
) -> Result<T, Located> {
    let value = value.ok_or((rule_at, RuleError::Missing { field }))?;
    let at = value.span().start;
    convert(value.into_inner()).map_err(|e| (at, RuleError::field(field, e)))
}
