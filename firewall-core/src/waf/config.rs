//! WAF settings: engine mode, paranoia level, anomaly threshold, body limit
//! and exclusions, in code or from the `[waf]` table of the rules file.
//!
//! ```toml
//! [waf]
//! mode = "on"                 # on | detection-only | off
//! paranoia = 1                # 1 (fewest false positives) to 4
//! threshold = 5               # anomaly score that blocks (one critical match)
//! body_limit = 131072         # bytes inspected
//! body_overflow = "reject"    # reject (413) | inspect-partial
//! disabled = [942100]         # signature ids turned off everywhere
//! validate_utf8 = false       # true: refuse arguments that are not UTF-8 (920250)
//!
//! [[waf.exclusion]]
//! path = "/comments"          # route prefix (see Exclusion::covers_route)
//! args = ["body"]             # optional: only these arguments, cookies or headers
//! families = ["xss"]          # optional: only these families
//! rules = [941100]            # optional: only these ids
//! ```
//!
//! ```
//! use firewall_core::waf::{Mode, WafConfig};
//! let text = "[waf]\nmode = \"detection-only\"\nparanoia = 2\n[[waf.exclusion]]\npath = \"/c\"\nfamilies = [\"xss\"]\n";
//! let config = WafConfig::from_toml_str(text, "rules.toml")?.unwrap();
//! assert_eq!(config.mode, Mode::DetectionOnly);
//! assert_eq!(config.paranoia, 2);
//! assert_eq!(config.exclusions.len(), 1);
//! # Ok::<(), firewall_core::waf::WafError>(())
//! ```

use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use super::protocol::Check;
use super::route::RoutePath;
use super::signatures::{AttackFamily, Signature};
use super::target::Location;
use super::{UnknownName, WafError};

/// What the engine does with a request whose score reaches the threshold.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::Mode;
/// assert_eq!("detection-only".parse::<Mode>(), Ok(Mode::DetectionOnly));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Block (the integration answers 403).
    #[default]
    On,
    /// Log what would be blocked; let the request through.
    DetectionOnly,
    /// Inspect nothing.
    Off,
}

impl FromStr for Mode {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "on" => Ok(Self::On),
            "detection-only" | "detectiononly" => Ok(Self::DetectionOnly),
            "off" => Ok(Self::Off),
            _ => Err(UnknownName::new("mode", s, "on, detection-only or off")),
        }
    }
}

/// What to do with a body larger than the limit.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::BodyOverflow;
/// assert_eq!(BodyOverflow::default(), BodyOverflow::Reject);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyOverflow {
    /// Refuse the request (413).
    #[default]
    Reject,
    /// Inspect the first `body_limit` bytes and let the rest through unseen.
    InspectPartial,
}

/// Turns some signatures off for a route prefix, optionally only for some
/// arguments, families or ids: for the false positives an application meets.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{Exclusion, AttackFamily};
/// let ex = Exclusion::route("/comments").arg("body").family(AttackFamily::Xss);
/// assert_eq!(ex.path, "/comments");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exclusion {
    /// Route prefix the exclusion applies under (`/` for everywhere).
    pub path: String,
    /// Argument, cookie or header names it applies to (empty: all values).
    pub args: Vec<String>,
    /// Families turned off (empty with `rules` empty: every signature).
    pub families: Vec<AttackFamily>,
    /// Signature ids turned off.
    pub rules: Vec<u32>,
}

impl Exclusion {
    /// An exclusion for everything under a route prefix; narrow it with the
    /// other builders.
    ///
    /// # Examples
    ///
    /// ```
    /// let ex = firewall_core::waf::Exclusion::route("/admin");
    /// assert!(ex.args.is_empty() && ex.rules.is_empty());
    /// ```
    #[must_use]
    pub fn route(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            ..Self::default()
        }
    }

    /// Only for this argument (or cookie, or header) name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::waf::Exclusion::route("/").arg("q").args, ["q"]);
    /// ```
    #[must_use]
    pub fn arg(mut self, name: impl Into<String>) -> Self {
        self.args.push(name.into());
        self
    }

    /// Only this family.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{Exclusion, AttackFamily};
    /// assert_eq!(Exclusion::route("/").family(AttackFamily::Sqli).families, [AttackFamily::Sqli]);
    /// ```
    #[must_use]
    pub fn family(mut self, family: AttackFamily) -> Self {
        self.families.push(family);
        self
    }

    /// Only this signature id.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::waf::Exclusion::route("/").rule(942100).rules, [942100]);
    /// ```
    #[must_use]
    pub fn rule(mut self, id: u32) -> Self {
        self.rules.push(id);
        self
    }

    /// Whether a request path is under this exclusion's route, at a segment
    /// boundary (`/admin` covers `/admin` and `/admin/users`, not
    /// `/administrator`; `/` covers everything). The path as received and
    /// every reading of it ([`RoutePath`]: decoded, `\` as `/`, `;params`
    /// dropped, dot segments removed) must be under the route, and a path
    /// whose reading is in doubt is under none: `/static/%2e%2e/admin` is
    /// not under `/static`, and `/api/..%2fadmin` not under `/admin` (the
    /// router sees `/api/...`). Matching is case-sensitive, as Actix's
    /// router is.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{Exclusion, RoutePath};
    /// let ex = Exclusion::route("/admin");
    /// assert!(ex.covers_route(&RoutePath::new("/admin/users")));
    /// assert!(!ex.covers_route(&RoutePath::new("/administrator")));
    /// assert!(!ex.covers_route(&RoutePath::new("/api/..%2fadmin")));
    /// assert!(!ex.covers_route(&RoutePath::new("/admin/..;/login")));
    /// ```
    pub fn covers_route(&self, path: &RoutePath<'_>) -> bool {
        !path.in_doubt()
            && under(&self.path, path.raw())
            && path.readings().all(|reading| under(&self.path, reading))
    }

    /// Whether this exclusion silences `sig` matching at `location` on a
    /// request path.
    pub(crate) fn covers(
        &self,
        path: &RoutePath<'_>,
        location: &Location<'_>,
        sig: &Signature,
    ) -> bool {
        if !self.covers_route(path) {
            return false;
        }
        if !self.args.is_empty()
            && !location
                .arg_name()
                .is_some_and(|n| self.args.iter().any(|a| a == n))
        {
            return false;
        }
        if self.families.is_empty() && self.rules.is_empty() {
            return true;
        }
        self.families.contains(&sig.family) || self.rules.contains(&sig.id)
    }
}

/// Whether `path` is `prefix` or below it at a segment boundary.
pub(crate) fn under(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'))
}

/// Everything [`crate::waf::Waf::new`] needs.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{Exclusion, Mode, WafConfig};
/// let config = WafConfig::default()
///     .mode(Mode::DetectionOnly)
///     .paranoia(2)
///     .threshold(10)
///     .exclude(Exclusion::route("/search").arg("q"));
/// assert_eq!((config.paranoia, config.threshold), (2, 10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WafConfig {
    /// On, detection-only or off.
    pub mode: Mode,
    /// 1 to 4: higher catches more and has more false positives.
    pub paranoia: u8,
    /// Anomaly score at which a request is blocked (a critical match scores 5).
    pub threshold: u32,
    /// Body bytes inspected: [`crate::waf::Waf::inspect`] never reads past
    /// them; the integration answers 413 to a longer body
    /// ([`BodyOverflow::Reject`]) or hands over the first `body_limit` bytes.
    pub body_limit: usize,
    /// What a body over `body_limit` gets.
    pub body_overflow: BodyOverflow,
    /// Signature ids turned off.
    pub disabled: Vec<u32>,
    /// Exclusions, checked for every match.
    pub exclusions: Vec<Exclusion>,
    /// Signatures used instead of the built-in set (`None`: built-in).
    pub signatures: Option<Vec<Signature>>,
    /// Refuse a path or argument that is not UTF-8 once percent-decoded
    /// (920250, the [`Check::BadUtf8`] check), at every paranoia level.
    /// Off by default, as in CRS (`tx.crs_validate_utf8_encoding`): a
    /// form sent in another charset (`caf%E9` from an ISO-8859-1 page) is
    /// legitimate; turn it on when the application only takes UTF-8.
    pub validate_utf8: bool,
}

impl Default for WafConfig {
    fn default() -> Self {
        Self {
            mode: Mode::On,
            paranoia: 1,
            threshold: 5,
            body_limit: 128 * 1024,
            body_overflow: BodyOverflow::Reject,
            disabled: Vec::new(),
            exclusions: Vec::new(),
            signatures: None,
            validate_utf8: false,
        }
    }
}

impl WafConfig {
    /// Sets the mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{Mode, WafConfig};
    /// assert_eq!(WafConfig::default().mode(Mode::Off).mode, Mode::Off);
    /// ```
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the paranoia level (checked by [`crate::waf::Waf::new`]: 1 to 4).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::waf::WafConfig::default().paranoia(3).paranoia, 3);
    /// ```
    #[must_use]
    pub fn paranoia(mut self, level: u8) -> Self {
        self.paranoia = level;
        self
    }

    /// Sets the blocking threshold (checked: at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::waf::WafConfig::default().threshold(8).threshold, 8);
    /// ```
    #[must_use]
    pub fn threshold(mut self, score: u32) -> Self {
        self.threshold = score;
        self
    }

    /// Sets the body limit and what happens above it.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{BodyOverflow, WafConfig};
    /// let c = WafConfig::default().body_limit(1024, BodyOverflow::InspectPartial);
    /// assert_eq!(c.body_limit, 1024);
    /// ```
    #[must_use]
    pub fn body_limit(mut self, bytes: usize, overflow: BodyOverflow) -> Self {
        self.body_limit = bytes;
        self.body_overflow = overflow;
        self
    }

    /// Turns one signature off.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::waf::WafConfig::default().disable(942100).disabled, [942100]);
    /// ```
    #[must_use]
    pub fn disable(mut self, id: u32) -> Self {
        self.disabled.push(id);
        self
    }

    /// Adds an exclusion.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{Exclusion, WafConfig};
    /// assert_eq!(WafConfig::default().exclude(Exclusion::route("/a")).exclusions.len(), 1);
    /// ```
    #[must_use]
    pub fn exclude(mut self, exclusion: Exclusion) -> Self {
        self.exclusions.push(exclusion);
        self
    }

    /// Uses these signatures instead of the built-in set.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{Signature, WafConfig};
    /// let c = WafConfig::default().signatures(Signature::builtin());
    /// assert!(c.signatures.is_some());
    /// ```
    #[must_use]
    pub fn signatures(mut self, signatures: Vec<Signature>) -> Self {
        self.signatures = Some(signatures);
        self
    }

    /// Refuses paths and arguments that are not UTF-8 once decoded
    /// (920250; off by default, see [`WafConfig::validate_utf8`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{Request, Waf, WafConfig};
    /// let latin1 = Request::from_target("GET", "/search?q=caf%E9");
    /// assert!(Waf::new(WafConfig::default())?.inspect(&latin1).is_pass());
    /// let strict = Waf::new(WafConfig::default().validate_utf8(true))?;
    /// assert!(!strict.inspect(&latin1).is_pass());
    /// # Ok::<(), firewall_core::waf::WafError>(())
    /// ```
    #[must_use]
    pub fn validate_utf8(mut self, on: bool) -> Self {
        self.validate_utf8 = on;
        self
    }

    /// Whether `signature` runs under this configuration: at or under the
    /// paranoia level, not disabled, and the UTF-8 check only when
    /// [`WafConfig::validate_utf8`] is set.
    pub(crate) fn runs(&self, signature: &Signature) -> bool {
        signature.paranoia <= self.paranoia
            && !self.disabled.contains(&signature.id)
            && (self.validate_utf8 || signature.check != Some(Check::BadUtf8))
    }

    /// Reads the `[waf]` table of a rules file (other tables are ignored);
    /// `Ok(None)` when the file has none. `source` names the file in errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::WafConfig;
    /// assert!(WafConfig::from_toml_str("[[rule]]\naction = \"ALLOW\"\n", "r.toml")?.is_none());
    /// let err = WafConfig::from_toml_str("[waf]\nparanoia = 9\n", "r.toml").unwrap_err();
    /// assert_eq!(err.to_string(), "r.toml:2: [waf] paranoia: 9 is not between 1 and 4");
    /// # Ok::<(), firewall_core::waf::WafError>(())
    /// ```
    pub fn from_toml_str(text: &str, source: &str) -> Result<Option<Self>, WafError> {
        super::config_file::parse(text, source)
    }

    /// Reads the `[waf]` table of a rules file on disk; `Ok(None)` when it
    /// has none.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::WafConfig;
    /// let err = WafConfig::from_toml_file("/nonexistent/rules.toml").unwrap_err();
    /// assert!(err.to_string().starts_with("/nonexistent/rules.toml: "));
    /// ```
    pub fn from_toml_file(path: impl AsRef<std::path::Path>) -> Result<Option<Self>, WafError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| WafError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Checks the values [`crate::waf::Waf::new`] relies on.
    pub(crate) fn validate(&self) -> Result<(), WafError> {
        let bad = |field: &'static str, reason: String| WafError::Setting { field, reason };
        if !(1..=4).contains(&self.paranoia) {
            return Err(bad(
                "paranoia",
                format!("{} is not between 1 and 4", self.paranoia),
            ));
        }
        if self.threshold == 0 {
            return Err(bad("threshold", "0 would block every request".into()));
        }
        Ok(())
    }
}

/// The `[waf]` table as written (see the module docs).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWaf {
    pub(crate) mode: Option<Spanned<String>>,
    pub(crate) paranoia: Option<Spanned<i64>>,
    pub(crate) threshold: Option<Spanned<i64>>,
    pub(crate) body_limit: Option<Spanned<i64>>,
    pub(crate) body_overflow: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) disabled: Vec<u32>,
    pub(crate) validate_utf8: Option<bool>,
    #[serde(default)]
    pub(crate) exclusion: Vec<Spanned<RawExclusion>>,
}

/// One `[[waf.exclusion]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExclusion {
    pub(crate) path: Option<String>,
    #[serde(default)]
    pub(crate) args: Vec<String>,
    #[serde(default)]
    pub(crate) families: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) rules: Vec<u32>,
}
