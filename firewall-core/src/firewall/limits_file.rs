//! Reads the `[[limit]]` tables and the `[bans]` table of a rules file,
//! reporting the file and line of any bad value.
//!
//! ```toml
//! [[limit]]
//! name = "login"             # letters, digits, - _ . (in headers and log lines)
//! quota = "5/60s burst 10"   # COUNT/PERIOD, optionally a burst (default: COUNT)
//! route = "/login"           # optional: a path prefix (default "/": the whole app)
//! methods = ["POST"]         # optional (default: every method)
//! ipv4_prefix = 32           # optional: clients grouped by network (default 32)
//! ipv6_prefix = 64           # optional (default 64)
//! max_keys = 100000          # optional: the most clients remembered
//!
//! [bans]
//! strikes = 20               # this many strikes...
//! window = "60s"             # ...within this window ban the client...
//! duration = "10m"           # ...for this long, doubling for a repeat offender...
//! max = "1d"                 # ...up to this (default 1d)
//! growth = 2                 # optional factor of a repeat offender's ban
//! count = ["acl", "waf", "rate"]  # what is a strike (default: all three)
//! allow = ["10.0.0.0/8"]     # never banned (add your proxies)
//! ```

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::ban::{BanPolicy, StrikeKind};
use crate::limit::{parse_short_duration, KeyPrefixes, Limit};
use crate::parse::line_of;

/// A bad `[[limit]]` or `[bans]` table in a rules file; nothing was changed.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("rules.toml");
/// std::fs::write(&path, "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 5000\n\
///     src_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n[[limit]]\nname = \"login\"\nquota = \"5/0s\"\n")?;
/// let err = firewall_core::Firewall::new("app").reload_file(&path).unwrap_err();
/// assert!(err.to_string().ends_with(":9: [[limit]] #1: quota: quota: the period must be longer than 0"), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {table}: {message}")]
pub struct LimitFileError {
    /// The file.
    pub path: String,
    /// 1-based line of the bad value (of the table, for a missing key).
    pub line: usize,
    /// `[[limit]] #N` or `[bans]`.
    pub table: String,
    /// What is wrong.
    pub message: String,
}

/// What a rules file says of limits and bans: `None` where it has no such
/// table (the limits or the ban policy in force then stay).
#[derive(Debug)]
pub(crate) struct LimitsAndBans {
    pub(crate) limits: Option<Vec<Limit>>,
    pub(crate) bans: Option<BanPolicy>,
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    limit: Vec<Spanned<RawLimit>>,
    bans: Option<Spanned<RawBans>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    name: Option<Spanned<String>>,
    quota: Option<Spanned<String>>,
    route: Option<Spanned<String>>,
    #[serde(default)]
    methods: Vec<Spanned<String>>,
    ipv4_prefix: Option<Spanned<u8>>,
    ipv6_prefix: Option<Spanned<u8>>,
    max_keys: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBans {
    strikes: Option<Spanned<u32>>,
    window: Option<Spanned<String>>,
    duration: Option<Spanned<String>>,
    max: Option<Spanned<String>>,
    growth: Option<Spanned<u32>>,
    count: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    ipv4_prefix: Option<Spanned<u8>>,
    ipv6_prefix: Option<Spanned<u8>>,
    max_tracked: Option<Spanned<usize>>,
}

/// A field's error: byte offset and message.
type Failure = (usize, String);

/// Reads the limits and the ban policy of `text`; `path` names it in errors.
pub(crate) fn parse(text: &str, path: &Path) -> Result<LimitsAndBans, LimitFileError> {
    let error = |table: String, (offset, message): Failure| LimitFileError {
        path: path.display().to_string(),
        line: line_of(text, offset),
        table,
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        error(
            "[[limit]] or [bans]".to_owned(),
            (at, e.message().trim().to_owned()),
        )
    })?;
    let has_limits = !raw.limit.is_empty();
    let mut limits = Vec::with_capacity(raw.limit.len());
    for (index, table) in raw.limit.into_iter().enumerate() {
        let name = format!("[[limit]] #{}", index + 1);
        let limit = limit_of(table).map_err(|failure| error(name.clone(), failure))?;
        if let Some(first) = limits.iter().position(|l: &Limit| l.name() == limit.name()) {
            let message = format!(
                "limit `{}` is defined twice (#{} and #{})",
                limit.name(),
                first + 1,
                index + 1
            );
            return Err(error(name, (at_table(text, index), message)));
        }
        limits.push(limit);
    }
    let bans = raw
        .bans
        .map(|table| policy_of(table).map_err(|failure| error("[bans]".to_owned(), failure)))
        .transpose()?;
    Ok(LimitsAndBans {
        limits: has_limits.then_some(limits),
        bans,
    })
}

/// The offset of the `index`th `[[limit]]` header (for a duplicate name).
fn at_table(text: &str, index: usize) -> usize {
    text.match_indices("[[limit]]")
        .nth(index)
        .map_or(0, |(at, _)| at)
}

fn limit_of(table: Spanned<RawLimit>) -> Result<Limit, Failure> {
    let at = table.span().start;
    let raw = table.into_inner();
    let name = raw
        .name
        .ok_or((at, "name: missing (e.g. name = \"login\")".to_owned()))?;
    let quota = raw
        .quota
        .ok_or((at, "quota: missing (e.g. quota = \"5/60s\")".to_owned()))?;
    let quota_value = quota
        .get_ref()
        .parse()
        .map_err(|e| (quota.span().start, format!("quota: {e}")))?;
    let mut limit = Limit::new(name.get_ref().as_str(), quota_value)
        .map_err(|e| (name.span().start, e.to_string()))?;
    if let Some(route) = raw.route {
        let at = route.span().start;
        limit = limit
            .route(route.into_inner())
            .map_err(|e| (at, e.to_string()))?;
    }
    for method in raw.methods {
        let at = method.span().start;
        limit = limit
            .method(method.into_inner())
            .map_err(|e| (at, e.to_string()))?;
    }
    let prefixes = prefixes(raw.ipv4_prefix, raw.ipv6_prefix, at)?;
    limit = limit.prefixes(prefixes);
    if let Some(max) = raw.max_keys {
        let at = max.span().start;
        limit = limit
            .max_keys(max.into_inner())
            .map_err(|e| (at, e.to_string()))?;
    }
    Ok(limit)
}

fn prefixes(
    v4: Option<Spanned<u8>>,
    v6: Option<Spanned<u8>>,
    at: usize,
) -> Result<KeyPrefixes, Failure> {
    let default = KeyPrefixes::default();
    let at = v4.as_ref().or(v6.as_ref()).map_or(at, |p| p.span().start);
    KeyPrefixes::new(
        v4.map_or(default.v4(), Spanned::into_inner),
        v6.map_or(default.v6(), Spanned::into_inner),
    )
    .map_err(|e| (at, e.to_string()))
}

fn duration(value: &Spanned<String>, field: &str) -> Result<std::time::Duration, Failure> {
    parse_short_duration(value.get_ref()).map_err(|e| (value.span().start, format!("{field}: {e}")))
}

fn policy_of(table: Spanned<RawBans>) -> Result<BanPolicy, Failure> {
    let at = table.span().start;
    let raw = table.into_inner();
    let missing = |field: &str, example: &str| (at, format!("{field}: missing (e.g. {example})"));
    let strikes = raw
        .strikes
        .ok_or_else(|| missing("strikes", "strikes = 20"))?;
    let window = raw
        .window
        .ok_or_else(|| missing("window", "window = \"60s\""))?;
    let first = raw
        .duration
        .ok_or_else(|| missing("duration", "duration = \"10m\""))?;
    let mut policy = BanPolicy::new(
        *strikes.get_ref(),
        duration(&window, "window")?,
        duration(&first, "duration")?,
    )
    .map_err(|e| (strikes.span().start, e.to_string()))?;
    if let Some(growth) = raw.growth {
        policy = policy
            .growth(*growth.get_ref())
            .map_err(|e| (growth.span().start, e.to_string()))?;
    }
    if let Some(max) = raw.max {
        policy = policy
            .max(duration(&max, "max")?)
            .map_err(|e| (max.span().start, e.to_string()))?;
    }
    if let Some(kinds) = raw.count {
        for kind in StrikeKind::ALL {
            policy = policy.count(kind, false);
        }
        for kind in kinds {
            let counted = StrikeKind::ALL
                .into_iter()
                .find(|k| k.to_string() == *kind.get_ref())
                .ok_or_else(|| {
                    let message = format!(
                        "count: unknown strike kind `{}`: expected \"acl\", \"waf\" or \"rate\"",
                        kind.get_ref()
                    );
                    (kind.span().start, message)
                })?;
            policy = policy.count(counted, true);
        }
    }
    for network in raw.allow {
        policy = policy
            .allow(network.get_ref())
            .map_err(|e| (network.span().start, e.to_string()))?;
    }
    policy = policy.prefixes(prefixes(raw.ipv4_prefix, raw.ipv6_prefix, at)?);
    if let Some(max) = raw.max_tracked {
        policy = policy.max_tracked(max.into_inner());
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<LimitsAndBans, String> {
        parse(text, Path::new("r.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn every_key_is_read() {
        let text = "[[limit]]\nname = \"api\"\nquota = \"100/1s burst 20\"\nroute = \"/api\"\n\
            methods = [\"get\", \"POST\"]\nipv4_prefix = 24\nipv6_prefix = 56\nmax_keys = 1000\n\
            [bans]\nstrikes = 3\nwindow = \"10s\"\nduration = \"1m\"\nmax = \"1h\"\ngrowth = 3\n\
            count = [\"waf\"]\nallow = [\"10.0.0.0/8\", \"::1\"]\nipv6_prefix = 48\nmax_tracked = 7\n";
        let read = parse_str(text).unwrap();
        let limit = &read.limits.unwrap()[0];
        assert_eq!(limit.route_prefix(), "/api");
        assert_eq!(limit.methods(), ["GET", "POST"]);
        assert_eq!(limit.quota().to_string(), "100/1s burst 20");
        assert_eq!(
            (limit.key_prefixes().v4(), limit.key_prefixes().v6()),
            (24, 56)
        );
        assert_eq!(limit.max_keys_value(), 1000);
        let bans = read.bans.unwrap();
        assert_eq!((bans.strikes(), bans.key_prefixes().v6()), (3, 48));
        assert!(bans.counts(StrikeKind::WafDrop) && !bans.counts(StrikeKind::AclDrop));
        assert!(bans.is_allowlisted("::1".parse().unwrap()));
        assert_eq!(bans.ban_duration(2), std::time::Duration::from_secs(180));
        assert_eq!(bans.max_tracked_value(), 7);
    }

    #[test]
    fn a_file_without_the_tables_says_so() {
        let read = parse_str("[[rule]]\naction = \"ALLOW\"\n").unwrap();
        assert!(read.limits.is_none() && read.bans.is_none());
    }

    #[test]
    fn bad_values_name_line_table_and_field() {
        let cases = [
            ("[[limit]]\nname = \"a\"\nquota = \"5/60s\"\n[[limit]]\nname = \"b b\"\nquota = \"1/1s\"\n",
             "r.toml:5: [[limit]] #2: limit name `b b`: use 1 to 64 letters, digits, `-`, `_` or `.`"),
            ("[[limit]]\nname = \"a\"\n", "r.toml:1: [[limit]] #1: quota: missing (e.g. quota = \"5/60s\")"),
            ("[[limit]]\nname = \"a\"\nquota = \"5/60s\"\nroute = \"login\"\n",
             "r.toml:4: [[limit]] #1: limit `a`: route `login` must start with `/`"),
            ("[[limit]]\nname = \"a\"\nquota = \"5/60s\"\nspeed = 1\n",
             "r.toml:4: [[limit]] or [bans]: unknown field `speed`, expected one of `name`, `quota`, `route`, `methods`, `ipv4_prefix`, `ipv6_prefix`, `max_keys`"),
            ("[[limit]]\nname = \"a\"\nquota = \"5/60s\"\n[[limit]]\nname = \"a\"\nquota = \"1/1s\"\n",
             "r.toml:4: [[limit]] #2: limit `a` is defined twice (#1 and #2)"),
            ("[bans]\nstrikes = 3\nwindow = \"10 s\"\nduration = \"1m\"\n",
             "r.toml:3: [bans]: window: `10 s` is not a duration: expected a whole number and one of ns, ms, s, m, h, d (e.g. 60s)"),
            ("[bans]\nstrikes = 3\nwindow = \"10s\"\nduration = \"1m\"\ncount = [\"wafs\"]\n",
             "r.toml:5: [bans]: count: unknown strike kind `wafs`: expected \"acl\", \"waf\" or \"rate\""),
            ("[bans]\nstrikes = 3\nwindow = \"10s\"\nduration = \"1m\"\nallow = [\"10.0.0.1/8\"]\n",
             "r.toml:5: [bans]: ban policy: allowlist entry `10.0.0.1/8`: host bits set: did you mean 10.0.0.0/8?"),
            ("[bans]\nwindow = \"10s\"\n", "r.toml:1: [bans]: strikes: missing (e.g. strikes = 20)"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_str(text).unwrap_err(), expected, "{text}");
        }
    }
}
