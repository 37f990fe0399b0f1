//! Text forms of rules and their fields, and the errors that name what is wrong.
//!
//! One rule per line, six fields separated by spaces, the description quoted
//! and optional:
//!
//! ```text
//! ACTION PROTO DPORT SRC_CIDR DST_CIDR ["DESC"]
//! ALLOW  TCP   80    ANY      ANY      "Permits HTTP"
//! DROP   ANY   8000-8099 10.0.0.0/8 ANY
//! ALLOW  TCP   22    192.168.1.10 ANY  "SSH from one host"
//! DROP   UDP   ANY   2001:db8::/32 ::1
//! ```
//!
//! Keywords are upper case, exactly as [`Display`](std::fmt::Display) writes
//! them, so `rule.to_string().parse()` gives back the same rule.
//!
//! ```
//! use firewall_core::Rule;
//! let rule: Rule = r#"DROP TCP 23 ANY 10.0.0.0/24 "Blocks Telnet to a subnet""#.parse()?;
//! assert_eq!(rule.desc, "Blocks Telnet to a subnet");
//! let err = "PERMIT TCP 80 ANY ANY".parse::<Rule>().unwrap_err();
//! assert_eq!(err.to_string(), "action: `PERMIT` is not valid: expected ALLOW or DROP");
//! # Ok::<(), firewall_core::RuleError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use ipnetwork::IpNetwork;

use crate::rule::{Action, NetMatch, PortMatch, Protocol, Rule};

/// A value that is not valid for one field, and why.
///
/// # Examples
///
/// ```
/// use firewall_core::NetMatch;
/// let err = "10.0.0.0/33".parse::<NetMatch>().unwrap_err();
/// assert_eq!(err.value(), "10.0.0.0/33");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    value: String,
    reason: String,
    /// The parser's own error, when one refused the value.
    cause: Option<Box<Cause>>,
}

/// The error of the parser that refused a field's value (an address, a
/// network), kept as [`FieldError`]'s source.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cause {
    Addr(std::net::AddrParseError),
    Network(ipnetwork::IpNetworkError),
}

impl From<std::net::AddrParseError> for Cause {
    fn from(e: std::net::AddrParseError) -> Self {
        Cause::Addr(e)
    }
}

impl From<ipnetwork::IpNetworkError> for Cause {
    fn from(e: ipnetwork::IpNetworkError) -> Self {
        Cause::Network(e)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not valid: {}", self.value, self.reason)
    }
}

impl std::error::Error for FieldError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.cause.as_deref() {
            Some(Cause::Addr(e)) => Some(e),
            Some(Cause::Network(e)) => Some(e),
            None => None,
        }
    }
}

impl FieldError {
    /// An error for `value`, explained by `reason`.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = firewall_core::FieldError::new("PERMIT", "expected ALLOW or DROP");
    /// assert_eq!(err.to_string(), "`PERMIT` is not valid: expected ALLOW or DROP");
    /// ```
    pub fn new(value: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            reason: reason.into(),
            cause: None,
        }
    }

    /// Keeps `cause` as this error's source.
    fn caused_by(mut self, cause: impl Into<Cause>) -> Self {
        self.cause = Some(Box::new(cause.into()));
        self
    }

    /// The offending value, as written.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::FieldError::new("x", "y").value(), "x");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Why the value was refused.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::FieldError::new("x", "y").reason(), "y");
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A rule that could not be built or parsed.
///
/// # Examples
///
/// ```
/// use firewall_core::{Rule, RuleError};
/// match "ALLOW TCP 70000 ANY ANY".parse::<Rule>() {
///     Err(RuleError::Field { field, .. }) => assert_eq!(field, "dport"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// One field holds a bad value.
    #[error("{field}: {source}")]
    Field {
        /// `action`, `proto`, `dport`, `src_cidr`, `dst_cidr` or `desc`.
        field: &'static str,
        /// The value and the reason.
        #[source]
        source: FieldError,
    },
    /// A required field is absent (rules files).
    #[error("{field}: this field is missing")]
    Missing {
        /// The missing field's name.
        field: &'static str,
    },
    /// The line does not have the shape `ACTION PROTO DPORT SRC DST ["DESC"]`.
    #[error("{0}")]
    Syntax(String),
}

impl RuleError {
    /// An error in `field`.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{FieldError, RuleError};
    /// let err = RuleError::field("dport", FieldError::new("x", "not a port"));
    /// assert_eq!(err.to_string(), "dport: `x` is not valid: not a port");
    /// ```
    pub fn field(field: &'static str, source: FieldError) -> Self {
        RuleError::Field { field, source }
    }

    /// The field at fault, if the error is about one field.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = "ALLOW TCP 80 10.0.0.5/24 ANY".parse::<firewall_core::Rule>().unwrap_err();
    /// assert_eq!(err.field_name(), Some("src_cidr"));
    /// ```
    pub fn field_name(&self) -> Option<&'static str> {
        match self {
            RuleError::Field { field, .. } | RuleError::Missing { field } => Some(field),
            RuleError::Syntax(_) => None,
        }
    }
}

impl FromStr for Action {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "ALLOW" => Ok(Action::Allow),
            "DROP" => Ok(Action::Drop),
            _ => Err(FieldError::new(s, "expected ALLOW or DROP")),
        }
    }
}

impl FromStr for Protocol {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s {
            "TCP" => Ok(Protocol::Tcp),
            "UDP" => Ok(Protocol::Udp),
            "ANY" => Ok(Protocol::Any),
            _ => Err(FieldError::new(s, "expected TCP, UDP or ANY")),
        }
    }
}

impl FromStr for PortMatch {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        if s == "ANY" {
            return Ok(PortMatch::Any);
        }
        let port = |part: &str| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FieldError::new(
                    s,
                    "expected a port (1-65535), a range such as 8000-8099, or ANY",
                ));
            }
            part.parse::<u16>()
                .map_err(|_| FieldError::new(s, crate::rule::PORT_NUMBERS))
        };
        match s.split_once('-') {
            None => port(s).map(PortMatch::single),
            Some((lo, hi)) => PortMatch::range(port(lo)?, port(hi)?),
        }
    }
}

impl FromStr for NetMatch {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        if s == "ANY" {
            return Ok(NetMatch::Any);
        }
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr: std::net::IpAddr = addr.parse().map_err(|e| {
            FieldError::new(
                s,
                "expected an IPv4 or IPv6 address, a CIDR such as 10.0.0.0/24, or ANY",
            )
            .caused_by(e)
        })?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => {
                    return Err(FieldError::new(
                        s,
                        format!("the prefix length must be a number from 0 to {max}"),
                    ))
                }
            },
        };
        let net = IpNetwork::new(addr, prefix)
            .map_err(|e| FieldError::new(s, format!("not a network: {e}")).caused_by(e))?;
        NetMatch::network(net).map_err(|e| FieldError::new(s, e.reason().to_owned()))
    }
}

impl FromStr for Rule {
    type Err = RuleError;
    fn from_str(line: &str) -> Result<Self, RuleError> {
        let (fields, desc) = split_line(line)?;
        let [action, proto, dport, src, dst] = fields;
        let field = |name: &'static str| move |source| RuleError::field(name, source);
        let rule = Rule {
            action: action.parse().map_err(field("action"))?,
            proto: proto.parse().map_err(field("proto"))?,
            dport: dport.parse().map_err(field("dport"))?,
            src_cidr: src.parse().map_err(field("src_cidr"))?,
            dst_cidr: dst.parse().map_err(field("dst_cidr"))?,
            desc,
        };
        rule.validate()?;
        Ok(rule)
    }
}

/// The 1-based line of byte `offset` in `text` (clamped to its end), for
/// errors in rules files and signature files. An error at the very end of a
/// file that ends with a newline (an unclosed `[`) is on its last line, not
/// on the empty line after it.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    if offset == text.len() && text.ends_with('\n') {
        offset -= 1;
    }
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Splits a rule line into its five bare fields and its unescaped description.
fn split_line(line: &str) -> Result<([&str; 5], String), RuleError> {
    let line = line.trim();
    let (head, desc) = match line.find('"') {
        Some(at) => (&line[..at], Some(&line[at..])),
        None => (line, None),
    };
    let words: Vec<&str> = head.split_whitespace().collect();
    let fields: [&str; 5] = words.as_slice().try_into().map_err(|_| {
        RuleError::Syntax(format!(
            "expected 5 fields before the description (ACTION PROTO DPORT SRC_CIDR DST_CIDR \"DESC\"), found {}: `{}`",
            words.len(),
            line
        ))
    })?;
    let desc = match desc {
        None => String::new(),
        Some(quoted) => unquote(quoted).map_err(|source| RuleError::field("desc", source))?,
    };
    Ok((fields, desc))
}

/// Reads `"..."` with the escapes `Display` writes (`\"`, `\\`, `\n`, `\r`, `\t`).
fn unquote(quoted: &str) -> Result<String, FieldError> {
    let mut out = String::new();
    let mut chars = quoted.chars();
    chars.next(); // the opening quote
    while let Some(c) = chars.next() {
        match c {
            '"' if chars.as_str().is_empty() => return Ok(out),
            '"' => return Err(FieldError::new(quoted, "text after the closing quote")),
            '\\' => out.push(match chars.next() {
                Some('"') => '"',
                Some('\\') => '\\',
                Some('n') => '\n',
                Some('r') => '\r',
                Some('t') => '\t',
                _ => {
                    return Err(FieldError::new(
                        quoted,
                        "unknown escape (use \\\" \\\\ \\n \\r \\t)",
                    ))
                }
            }),
            c => out.push(c),
        }
    }
    Err(FieldError::new(
        quoted,
        "the description has no closing quote",
    ))
}

impl fmt::Display for crate::rule::IpFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            crate::rule::IpFamily::V4 => "IPv4",
            crate::rule::IpFamily::V6 => "IPv6",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_network_keeps_the_parsers_error_as_its_source() {
        use std::error::Error as _;
        let err = "10.0.0.x/8".parse::<NetMatch>().unwrap_err();
        let source = err.source().expect("the address parser's error");
        assert!(source.is::<std::net::AddrParseError>(), "{source:?}");
        assert_eq!(source.to_string(), "invalid IP address syntax");
        let rule = "ALLOW TCP 80 10.0.0.x ANY".parse::<Rule>().unwrap_err();
        let field = rule.source().expect("the field's error");
        let cause = field.source().expect("the address parser's error");
        assert!(cause.is::<std::net::AddrParseError>(), "{cause:?}");
    }

    fn err(line: &str) -> String {
        line.parse::<Rule>().unwrap_err().to_string()
    }

    #[test]
    fn an_error_at_the_end_of_a_file_is_on_its_last_line() {
        let text = "[[rule]]\naction = [\n";
        assert_eq!(line_of(text, text.len()), 2);
        assert_eq!(line_of(text, 9), 2);
        assert_eq!(line_of("a\nb", 3), 2);
        assert_eq!(line_of("", 0), 1);
    }

    #[test]
    fn bad_values_are_named_with_their_field() {
        assert_eq!(
            err("ALLOW TCP 80 10.0.0.0/33 ANY"),
            "src_cidr: `10.0.0.0/33` is not valid: the prefix length must be a number from 0 to 32"
        );
        assert_eq!(
            err("ALLOW TCP 80 ANY 10.0.0.5/24"),
            "dst_cidr: `10.0.0.5/24` is not valid: host bits are set (did you mean 10.0.0.0/24?)"
        );
        assert_eq!(
            err("ALLOW TCP 70000 ANY ANY"),
            "dport: `70000` is not valid: a port is a number from 1 to 65535"
        );
        assert_eq!(
            err("PERMIT TCP 80 ANY ANY"),
            "action: `PERMIT` is not valid: expected ALLOW or DROP"
        );
        assert_eq!(
            err("ALLOW tcp 80 ANY ANY"),
            "proto: `tcp` is not valid: expected TCP, UDP or ANY"
        );
        assert_eq!(
            err("ALLOW TCP 90-80 ANY ANY"),
            "dport: `90-80` is not valid: the range's first port is above its last"
        );
        assert_eq!(
            err("ALLOW TCP 0 ANY ANY"),
            "dport: `0` is not valid: a port is a number from 1 to 65535"
        );
        assert_eq!(
            err("ALLOW TCP 0-1023 ANY ANY"),
            "dport: `0-1023` is not valid: a port is a number from 1 to 65535"
        );
        assert!(err("ALLOW TCP 80 ANY").starts_with("expected 5 fields"));
        assert!(err("ALLOW TCP 80 ANY ANY \"open").contains("no closing quote"));
        assert!(err("ALLOW TCP 80 10.0.0.0/8 ::/0").contains("other address family"));
        assert!(err("ALLOW TCP 80 ::ffff:10.0.0.1 ANY").contains("IPv4-mapped"));
        assert!(err("ALLOW TCP 80 10.0.0.0/+8 ANY").contains("prefix length"));
        assert!(err("ALLOW TCP +80 ANY ANY").contains("expected a port"));
    }

    #[test]
    fn display_is_the_inverse_of_parse() {
        for line in [
            "ALLOW TCP 80 ANY ANY \"Permits HTTP\"",
            "DROP ANY 8000-8099 10.0.0.0/8 ANY",
            "ALLOW UDP ANY 2001:db8::/32 ::1 \"quote \\\" and \\\\ and \\n\"",
            "DROP TCP 1 0.0.0.0/0 192.168.1.10",
        ] {
            let rule: Rule = line.parse().unwrap();
            assert_eq!(rule.to_string(), line);
            assert_eq!(rule.to_string().parse::<Rule>().unwrap(), rule);
        }
    }

    #[test]
    fn a_host_with_full_prefix_reads_as_the_bare_address() {
        let rule: Rule = "ALLOW TCP 22 192.168.1.10/32 ANY".parse().unwrap();
        assert_eq!(rule.to_string(), "ALLOW TCP 22 192.168.1.10 ANY");
    }
}
