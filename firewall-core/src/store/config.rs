//! The `[store]` table of the rules file and its builder in code.
//!
//! ```toml
//! [store]
//! redis = "redis://:secret@127.0.0.1:6379/0"   # or rediss:// (feature `tls`)
//! prefix = "shop"                               # default: the app name
//! timeout_ms = 5                                # per Redis call; default 5
//! fail_closed = ["login"]                       # limits refused while Redis is down
//! ```
//!
//! Without a `[store]` table (or without `redis`), limits and bans stay in
//! process.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::parse::line_of;

/// The default time a decision waits for Redis.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(5);

/// The longest prefix.
pub const MAX_PREFIX_LEN: usize = 64;

/// Where limits and bans are shared: a Redis (or Valkey) URL, the key
/// prefix, how long a decision may wait, and which limits refuse while
/// Redis cannot answer.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::store::StoreConfig;
/// let config = StoreConfig::redis("redis://:secret@127.0.0.1:6379/0")?
///     .prefix("shop")?
///     .timeout(Duration::from_millis(10))?
///     .fail_closed("login");
/// assert_eq!(config.url_redacted(), "redis://:***@127.0.0.1:6379/0");
/// assert!(config.is_fail_closed("login"));
/// assert!(!config.is_fail_closed("api"));
/// # Ok::<(), firewall_core::store::StoreConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct StoreConfig {
    url: String,
    prefix: String,
    timeout: Duration,
    fail_closed: Vec<String>,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &self.url_redacted())
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("fail_closed", &self.fail_closed)
            .finish()
    }
}

/// Why a store setting is refused; errors never show a password.
///
/// # Examples
///
/// ```
/// use firewall_core::store::StoreConfig;
/// let err = StoreConfig::from_toml_str("[store]\nredis = \"http://x\"\n", "rules.toml", "shop")
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "rules.toml:2: [store] redis: `http://x` is not a Redis URL: expected redis://, rediss:// or unix://"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreConfigError {
    /// Not valid TOML, or an unknown key in `[store]`.
    #[error("{source_name}:{line}: {message}")]
    Syntax {
        /// The file.
        source_name: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A bad value.
    #[error("{}[store] {field}: {reason}", location(source_name, *line))]
    Value {
        /// The file, or `StoreConfig` for settings made in code.
        source_name: String,
        /// 1-based line (0 for settings made in code).
        line: usize,
        /// The setting.
        field: &'static str,
        /// What is wrong, with the value (its password hidden).
        reason: String,
    },
}

fn location(source_name: &str, line: usize) -> String {
    if line == 0 {
        format!("{source_name}: ")
    } else {
        format!("{source_name}:{line}: ")
    }
}

fn in_code(field: &'static str, reason: String) -> StoreConfigError {
    StoreConfigError::Value {
        source_name: "StoreConfig".into(),
        line: 0,
        field,
        reason,
    }
}

impl StoreConfig {
    /// Shares limits and bans through the Redis (or Valkey) server at `url`:
    /// `redis://[:password@]host[:port][/db]`, `redis://user:password@...`,
    /// `rediss://...` (TLS, with the `tls` feature) or `unix:///path`.
    /// The prefix defaults to `firewall`: set it to the app name.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::StoreConfig;
    /// assert!(StoreConfig::redis("redis://127.0.0.1:6379/0").is_ok());
    /// let err = StoreConfig::redis("127.0.0.1:6379").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "StoreConfig: [store] redis: `127.0.0.1:6379` is not a Redis URL: expected redis://, rediss:// or unix://"
    /// );
    /// ```
    pub fn redis(url: impl Into<String>) -> Result<Self, StoreConfigError> {
        let url = url.into();
        check_url(&url).map_err(|reason| in_code("redis", reason))?;
        Ok(Self {
            url,
            prefix: "firewall".to_owned(),
            timeout: DEFAULT_TIMEOUT,
            fail_closed: Vec::new(),
        })
    }

    /// Starts every key with `prefix` (1 to 64 letters, digits, `-`, `_`,
    /// `.`), so that several applications can share one Redis.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::StoreConfig;
    /// let c = StoreConfig::redis("redis://127.0.0.1")?.prefix("shop")?;
    /// assert_eq!(c.prefix_value(), "shop");
    /// assert!(StoreConfig::redis("redis://127.0.0.1")?.prefix("a{b}").is_err());
    /// # Ok::<(), firewall_core::store::StoreConfigError>(())
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Result<Self, StoreConfigError> {
        let prefix = prefix.into();
        check_prefix(&prefix).map_err(|reason| in_code("prefix", reason))?;
        self.prefix = prefix;
        Ok(self)
    }

    /// The longest a decision waits for Redis (1 ms to 10 s; 5 ms by
    /// default) before it falls back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::store::StoreConfig;
    /// let c = StoreConfig::redis("redis://127.0.0.1")?.timeout(Duration::from_millis(20))?;
    /// assert_eq!(c.timeout_value(), Duration::from_millis(20));
    /// assert!(StoreConfig::redis("redis://127.0.0.1")?.timeout(Duration::ZERO).is_err());
    /// # Ok::<(), firewall_core::store::StoreConfigError>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Result<Self, StoreConfigError> {
        check_timeout(timeout).map_err(|reason| in_code("timeout_ms", reason))?;
        self.timeout = timeout;
        Ok(self)
    }

    /// Refuses requests under the limit `name` while Redis cannot answer,
    /// instead of counting them in process (may be called several times).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::StoreConfig;
    /// let c = StoreConfig::redis("redis://127.0.0.1")?.fail_closed("login").fail_closed("otp");
    /// assert!(c.is_fail_closed("otp"));
    /// # Ok::<(), firewall_core::store::StoreConfigError>(())
    /// ```
    #[must_use]
    pub fn fail_closed(mut self, name: impl Into<String>) -> Self {
        self.fail_closed.push(name.into());
        self
    }

    /// The URL as given (with its password: never log it; see
    /// [`url_redacted`](Self::url_redacted)).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::StoreConfig;
    /// let c = StoreConfig::redis("redis://127.0.0.1:6379/0")?;
    /// assert_eq!(c.url(), "redis://127.0.0.1:6379/0");
    /// # Ok::<(), firewall_core::store::StoreConfigError>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL with its password replaced by `***`: for log lines and pages.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::StoreConfig;
    /// let c = StoreConfig::redis("redis://app:s3cr3t@redis.internal:6380")?;
    /// assert_eq!(c.url_redacted(), "redis://app:***@redis.internal:6380");
    /// # Ok::<(), firewall_core::store::StoreConfigError>(())
    /// ```
    pub fn url_redacted(&self) -> String {
        redact(&self.url)
    }

    /// The key prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::StoreConfig;
    /// assert_eq!(StoreConfig::redis("redis://127.0.0.1")?.prefix_value(), "firewall");
    /// # Ok::<(), firewall_core::store::StoreConfigError>(())
    /// ```
    pub fn prefix_value(&self) -> &str {
        &self.prefix
    }

    /// The per-call timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::{StoreConfig, DEFAULT_TIMEOUT};
    /// assert_eq!(StoreConfig::redis("redis://127.0.0.1")?.timeout_value(), DEFAULT_TIMEOUT);
    /// # Ok::<(), firewall_core::store::StoreConfigError>(())
    /// ```
    pub fn timeout_value(&self) -> Duration {
        self.timeout
    }

    /// Whether the limit `name` refuses while Redis cannot answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::StoreConfig;
    /// assert!(!StoreConfig::redis("redis://127.0.0.1")?.is_fail_closed("login"));
    /// # Ok::<(), firewall_core::store::StoreConfigError>(())
    /// ```
    pub fn is_fail_closed(&self, name: &str) -> bool {
        self.fail_closed.iter().any(|n| n == name)
    }

    /// Reads the `[store]` table of a rules file (other tables are
    /// ignored); `Ok(None)` when there is none, or when it names no `redis`
    /// (limits and bans then stay in process). `source` names the file in
    /// errors; `app_name` is the default prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::store::StoreConfig;
    /// let text = "[store]\nredis = \"redis://127.0.0.1:6379/0\"\ntimeout_ms = 20\n";
    /// let c = StoreConfig::from_toml_str(text, "rules.toml", "shop")?.unwrap();
    /// assert_eq!((c.prefix_value(), c.timeout_value().as_millis()), ("shop", 20));
    /// assert!(StoreConfig::from_toml_str("[[rule]]\n", "rules.toml", "shop")?.is_none());
    /// let err = StoreConfig::from_toml_str("[store]\ntimeout_ms = 0\n", "r.toml", "shop").unwrap_err();
    /// assert_eq!(err.to_string(), "r.toml:2: [store] timeout_ms: 0 ms: use 1 to 10000");
    /// # Ok::<(), firewall_core::store::StoreConfigError>(())
    /// ```
    pub fn from_toml_str(
        text: &str,
        source: &str,
        app_name: &str,
    ) -> Result<Option<Self>, StoreConfigError> {
        let file: RawFile = toml::from_str(text).map_err(|e| StoreConfigError::Syntax {
            source_name: source.to_owned(),
            line: e.span().map_or(0, |s| line_of(text, s.start)),
            message: e.message().trim().to_owned(),
        })?;
        let Some(raw) = file.store else {
            return Ok(None);
        };
        let at = |field: &'static str, span: std::ops::Range<usize>, reason: String| {
            StoreConfigError::Value {
                source_name: source.to_owned(),
                line: line_of(text, span.start),
                field,
                reason,
            }
        };
        let timeout = match raw.timeout_ms {
            None => DEFAULT_TIMEOUT,
            Some(ms) => {
                let d = u64::try_from(*ms.get_ref()).map_or(Duration::ZERO, Duration::from_millis);
                check_timeout(d).map_err(|_| {
                    at(
                        "timeout_ms",
                        ms.span(),
                        format!("{} ms: use 1 to 10000", ms.get_ref()),
                    )
                })?;
                d
            }
        };
        let prefix = if let Some(p) = raw.prefix {
            check_prefix(p.get_ref()).map_err(|r| at("prefix", p.span(), r))?;
            p.into_inner()
        } else {
            check_prefix(app_name).map_err(|r| {
                at(
                    "prefix",
                    0..0,
                    format!("the app name as default prefix: {r}"),
                )
            })?;
            app_name.to_owned()
        };
        let Some(url) = raw.redis else {
            return Ok(None);
        };
        check_url(url.get_ref()).map_err(|r| at("redis", url.span(), r))?;
        Ok(Some(Self {
            url: url.into_inner(),
            prefix,
            timeout,
            fail_closed: raw.fail_closed,
        }))
    }
}

#[derive(Deserialize)]
struct RawFile {
    store: Option<RawStore>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    redis: Option<Spanned<String>>,
    prefix: Option<Spanned<String>>,
    timeout_ms: Option<Spanned<i64>>,
    #[serde(default)]
    fail_closed: Vec<String>,
}

fn check_url(url: &str) -> Result<(), String> {
    let shown = redact(url);
    let known = ["redis://", "rediss://", "unix://", "redis+unix://"];
    let Some(rest) = known.iter().find_map(|scheme| url.strip_prefix(scheme)) else {
        return Err(format!(
            "`{shown}` is not a Redis URL: expected redis://, rediss:// or unix://"
        ));
    };
    // The client reads the rest when it connects; an empty host or path
    // is refused here, with the file's line.
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let unix = url.contains("unix://");
    if !unix && (host.is_empty() || host.starts_with('/')) {
        return Err(format!("`{shown}` is not a valid Redis URL: no host"));
    }
    Ok(())
}

fn check_prefix(prefix: &str) -> Result<(), String> {
    let valid = (1..=MAX_PREFIX_LEN).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}`: use 1 to 64 letters, digits, `-`, `_` or `.`",
            prefix.escape_debug()
        ))
    }
}

fn check_timeout(timeout: Duration) -> Result<(), String> {
    if timeout < Duration::from_millis(1) || timeout > Duration::from_secs(10) {
        return Err(format!("{timeout:?}: use 1 ms to 10 s"));
    }
    Ok(())
}

/// `scheme://user:password@host...` -> `scheme://user:***@host...`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                // redis://password@host: the crate reads a lone user as the password.
                "***".to_owned()
            };
            format!("{scheme}://{hidden}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<StoreConfig>, String> {
        StoreConfig::from_toml_str(text, "r.toml", "shop").map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_table_is_read_and_the_password_never_shows() {
        let text = "[[rule]]\naction = \"ALLOW\"\n\n[store]\nredis = \"redis://:pw@127.0.0.1:6379/2\"\nprefix = \"app-1\"\ntimeout_ms = 8\nfail_closed = [\"login\"]\n";
        let c = parse(text).unwrap().unwrap();
        assert_eq!(c.url(), "redis://:pw@127.0.0.1:6379/2");
        assert_eq!(c.prefix_value(), "app-1");
        assert_eq!(c.timeout_value(), Duration::from_millis(8));
        assert!(c.is_fail_closed("login"));
        assert!(!format!("{c:?}").contains("pw"));
    }

    #[test]
    fn each_bad_value_is_named_with_its_line() {
        assert_eq!(
            parse("[store]\nredis = \"redis://127.0.0.1\"\nprefix = \"a b\"\n").unwrap_err(),
            "r.toml:3: [store] prefix: `a b`: use 1 to 64 letters, digits, `-`, `_` or `.`"
        );
        assert_eq!(
            parse("[store]\nredis = \"redis://127.0.0.1\"\ntimeout_ms = 60000\n").unwrap_err(),
            "r.toml:3: [store] timeout_ms: 60000 ms: use 1 to 10000"
        );
        assert_eq!(
            parse("[store]\nredis = \"http://u:secret@x\"\n").unwrap_err(),
            "r.toml:2: [store] redis: `http://u:***@x` is not a Redis URL: expected redis://, rediss:// or unix://"
        );
        let unknown = parse("[store]\nredis = \"redis://127.0.0.1\"\nurl = \"x\"\n").unwrap_err();
        assert!(
            unknown.starts_with("r.toml:3: unknown field `url`"),
            "{unknown}"
        );
    }

    #[test]
    fn the_rules_loader_and_the_store_read_the_same_file() {
        let text = "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = \"ANY\"\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n\n[store]\nredis = \"redis://127.0.0.1:6379/0\"\n";
        let rules = crate::RuleSet::from_toml_str(text, "r.toml");
        assert_eq!(rules.map(|r| r.len()).map_err(|e| e.to_string()), Ok(1));
        assert!(parse(text).unwrap().is_some());
    }

    #[test]
    fn without_a_url_the_store_stays_in_process() {
        assert_eq!(parse("[store]\nprefix = \"x\"\n").unwrap(), None);
        assert_eq!(parse("").unwrap(), None);
    }

    #[test]
    fn redaction_covers_every_userinfo_shape() {
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redact("redis://pw@h/0"), "redis://***@h/0");
        assert_eq!(redact("redis://u:p@ss@h"), "redis://u:***@h");
        assert_eq!(redact("unix:///run/redis.sock"), "unix:///run/redis.sock");
    }
}
