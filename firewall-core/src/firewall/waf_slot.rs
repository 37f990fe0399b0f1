//! The WAF stage of a [`Firewall`]: installing a [`Waf`], reloading it with
//! the rules file, and the log line, counters and events of its decisions.
//!
//! The inspection itself belongs to [`crate::waf`]; the web framework builds
//! the [`crate::waf::Request`] and answers the client.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::limit_set::LimitSet;
use super::limits_file::{self, LimitFileError};
use super::Firewall;
use crate::ban::BanPolicy;
use crate::logger::{self, RawMessage};
use crate::packet::Packet;
use crate::ruleset::{RuleFileError, RuleSet};
use crate::stats::Stage;
use crate::store::{StoreConfig, StoreConfigError};
use crate::waf::{Verdict, Waf, WafConfig, WafError, WafLine, WafReason};

/// Why [`Firewall::reload_file`] changed nothing.
///
/// # Examples
///
/// ```
/// let fw = firewall_core::Firewall::new("app");
/// let err = fw.reload_file("/nonexistent/rules.toml").unwrap_err();
/// assert!(err.to_string().starts_with("/nonexistent/rules.toml: "));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReloadError {
    /// The rules (or the file itself) are not valid.
    #[error(transparent)]
    Rules(#[from] RuleFileError),
    /// The `[waf]` table is not valid.
    #[error(transparent)]
    Waf(#[from] WafError),
    /// A `[[limit]]` or the `[bans]` table is not valid.
    #[error(transparent)]
    Limits(#[from] LimitFileError),
    /// The `[store]` table is not valid.
    #[error(transparent)]
    Store(#[from] StoreConfigError),
}

impl Firewall {
    /// Installs (`Some`) or removes (`None`) the web application firewall;
    /// requests already being inspected finish with the one they started with.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Firewall, waf::{Waf, WafConfig}};
    /// let fw = Firewall::new("app");
    /// fw.set_waf(Some(Waf::new(WafConfig::default())?));
    /// assert!(fw.waf().is_some());
    /// fw.set_waf(None);
    /// assert!(fw.waf().is_none());
    /// # Ok::<(), firewall_core::waf::WafError>(())
    /// ```
    pub fn set_waf(&self, waf: Option<Waf>) {
        self.shared.waf.store(waf.map(Arc::new));
    }

    /// Builder form of [`set_waf`](Self::set_waf): compiles `config` and installs it.
    ///
    /// # Errors
    ///
    /// The [`WafError`] of [`Waf::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Firewall, waf::WafConfig};
    /// let fw = Firewall::new("app").with_waf(WafConfig::default().paranoia(2))?;
    /// assert_eq!(fw.waf().unwrap().config().paranoia, 2);
    /// # Ok::<(), firewall_core::waf::WafError>(())
    /// ```
    pub fn with_waf(self, config: WafConfig) -> Result<Self, WafError> {
        self.set_waf(Some(Waf::new(config)?));
        Ok(self)
    }

    /// The WAF in force, if any (without one, a plain load of a flag).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::Firewall::new("app").waf().is_none());
    /// ```
    pub fn waf(&self) -> Option<Arc<Waf>> {
        self.shared.waf.load_full()
    }

    /// Loads a TOML rules file: its rules and, when it has them, its `[waf]`
    /// table, its `[[limit]]` tables and its `[bans]` table. All are checked
    /// before any is installed, so a bad file keeps the old rules, WAF,
    /// limits and ban policy (and is logged at ERROR). A file without
    /// `[waf]`, without `[[limit]]` or without `[bans]` leaves that part in
    /// force as it is. A limit defined as before keeps what its clients have
    /// used; the bans in force stay. Returns the number of rules.
    ///
    /// # Errors
    ///
    /// [`ReloadError`] naming the file, line and field.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("rules.toml");
    /// std::fs::write(&path, "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 5000\n\
    ///     src_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n[waf]\nparanoia = 2\n")?;
    /// let fw = firewall_core::Firewall::new("app");
    /// assert_eq!(fw.reload_file(&path)?, 1);
    /// assert_eq!(fw.waf().unwrap().config().paranoia, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reload_file(&self, path: impl AsRef<Path>) -> Result<usize, ReloadError> {
        match load(path.as_ref(), &self.shared.limits.load(), &self.shared.name) {
            Ok((set, waf, limits)) => {
                let count = set.len();
                self.shared.engine.replace(set);
                if let Some(waf) = waf {
                    self.set_waf(Some(waf));
                    log::info!("Firewall WAF loaded from the rules file.");
                }
                if let Some(limits) = limits.limits {
                    self.shared.limits.store(Arc::new(limits));
                }
                if let Some(policy) = limits.bans {
                    self.set_ban_policy(policy);
                }
                self.set_store_config(limits.store);
                self.shared.metrics.reloads().record_success();
                Ok(count)
            }
            Err(err) => {
                log::error!(
                    "Firewall rules not reloaded, the previous rules, WAF, limits and ban policy stay in force: {err}"
                );
                self.shared.metrics.reloads().record_failure();
                Err(err)
            }
        }
    }

    /// Logs and counts a WAF verdict for the request that came on `packet`:
    /// nothing for [`Verdict::Pass`]; `WAF DROP: ...` at WARNING, a drop in
    /// the counters and an event for [`Verdict::Block`]; `WAF DETECT: ...` at
    /// WARNING for [`Verdict::Detected`].
    ///
    /// A block counted here is a decision of its own: for a request the ACL
    /// admitted ([`Firewall::admit`]), end it with
    /// [`Firewall::refuse`] instead, which counts the request once.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Firewall, Packet, waf::{Request, WafConfig}};
    /// let fw = Firewall::new("app").with_waf(WafConfig::default())?;
    /// let packet = Packet::tcp("10.0.0.7:51234".parse()?, "127.0.0.1:5000".parse()?);
    /// let verdict = fw.waf().unwrap().inspect(&Request::from_target("GET", "/?id=1%27%20OR%201=1--"));
    /// fw.record_waf(&packet, &verdict);
    /// assert_eq!(fw.stats().dropped, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_waf(&self, packet: &Packet, verdict: &Verdict) {
        let (hit, blocked) = match verdict {
            Verdict::Pass => return,
            Verdict::Block(hit) => (hit, true),
            Verdict::Detected(hit) => (hit, false),
        };
        let line = WafLine {
            packet,
            interruption: hit,
            blocked,
        };
        logger::log_firewall(log::Level::Warn, &line);
        self.shared
            .metrics
            .waf_hits()
            .count(hit.family, hit.rule_id);
        if blocked {
            self.record_drop_with(Stage::Waf, packet, || WafReason(hit).to_string());
        }
    }

    /// Logs and counts a request refused because its body is longer than the
    /// WAF may inspect: `WAF DROP: ... - Request body over the WAF limit of N bytes`.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// let packet = firewall_core::Packet::tcp("10.0.0.7:1".parse()?, "127.0.0.1:5000".parse()?);
    /// fw.record_oversized_body(&packet, 1024);
    /// assert_eq!(fw.stats().dropped, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_oversized_body(&self, packet: &Packet, limit: usize) {
        self.record_body_refusal(packet, &oversized_body_reason(limit));
    }

    /// Logs and counts a request refused because the WAF could not inspect
    /// its body: `WAF DROP: ... - <reason>` (escaped by the logger).
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// let packet = firewall_core::Packet::tcp("10.0.0.7:1".parse()?, "127.0.0.1:5000".parse()?);
    /// fw.record_body_refusal(&packet, "Request body with Content-Encoding br, which the WAF cannot decode");
    /// assert_eq!(fw.stats().dropped, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_body_refusal(&self, packet: &Packet, reason: &str) {
        logger::log_firewall(log::Level::Warn, &BodyLine { packet, reason });
        self.record_drop_with(Stage::Waf, packet, || reason.to_owned());
    }
}

/// What a rules file holds of limits and bans, checked.
struct LoadedLimits {
    limits: Option<LimitSet>,
    bans: Option<BanPolicy>,
    /// The `[store]` table (`None`: limits and bans in process).
    store: Option<StoreConfig>,
}

/// Reads and checks every table of a rules file (limits keep the state of
/// those in `old` defined the same); installs nothing.
fn load(
    path: &Path,
    old: &LimitSet,
    app_name: &str,
) -> Result<(RuleSet, Option<Waf>, LoadedLimits), ReloadError> {
    let text = std::fs::read_to_string(path).map_err(|source| RuleFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let set = RuleSet::from_toml_str(&text, path)?;
    let waf = match WafConfig::from_toml_str(&text, &path.display().to_string())? {
        Some(config) => Some(Waf::new(config)?),
        None => None,
    };
    let read = limits_file::parse(&text, path)?;
    let limits = match read.limits {
        // Names are checked unique by the reader.
        Some(limits) => Some(LimitSet::new(limits, old).map_err(|dup| LimitFileError {
            path: path.display().to_string(),
            line: 0,
            table: "[[limit]]".to_owned(),
            message: dup.to_string(),
        })?),
        None => None,
    };
    let store = StoreConfig::from_toml_str(&text, &path.display().to_string(), app_name)?;
    let limits = LoadedLimits {
        limits,
        bans: read.bans,
        store,
    };
    Ok((set, waf, limits))
}

/// `Request body over the WAF limit of N bytes`.
pub(super) fn oversized_body_reason(limit: usize) -> String {
    format!("Request body over the WAF limit of {limit} bytes")
}

/// `WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - Request body over ...`.
pub(super) struct BodyLine<'a> {
    pub(super) packet: &'a Packet,
    pub(super) reason: &'a str,
}

impl RawMessage for BodyLine<'_> {
    fn write_raw(&self, out: &mut Vec<u8>) -> usize {
        crate::waf::write_line(out, true, self.packet, &self.reason)
    }

    fn write_json_fields(&self, _message: &str, out: &mut logger::JsonObject<'_>) {
        crate::waf::write_json_event(out, true, self.packet, self.reason);
        out.str("rule.ruleset", "waf");
    }
}

impl fmt::Display for BodyLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        logger::display_raw(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 5000\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n";

    #[test]
    fn a_bad_waf_table_keeps_the_old_rules_and_the_old_waf() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, format!("{RULES}[waf]\nparanoia = 3\n")).unwrap();
        let fw = Firewall::new("t");
        assert_eq!(fw.reload_file(&path).unwrap(), 1);
        std::fs::write(&path, format!("{RULES}{RULES}[waf]\nparanoia = 9\n")).unwrap();
        let err = fw.reload_file(&path).unwrap_err().to_string();
        assert!(
            err.ends_with(":14: [waf] paranoia: 9 is not between 1 and 4"),
            "{err}"
        );
        assert_eq!(fw.rules().len(), 1);
        assert_eq!(fw.waf().unwrap().config().paranoia, 3);
    }

    #[test]
    fn a_file_without_waf_keeps_the_waf_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, RULES).unwrap();
        let fw = Firewall::new("t").with_waf(WafConfig::default()).unwrap();
        assert_eq!(fw.reload_file(&path).unwrap(), 1);
        assert!(fw.waf().is_some());
    }

    #[test]
    fn a_block_is_counted_and_recorded_with_its_reason() {
        let fw = Firewall::new("t").with_waf(WafConfig::default()).unwrap();
        fw.events().enable();
        let packet = Packet::tcp(
            "10.0.0.7:51234".parse().unwrap(),
            "127.0.0.1:5000".parse().unwrap(),
        );
        let hit = crate::waf::Interruption {
            rule_id: 942_100,
            family: crate::waf::AttackFamily::Sqli,
            message: "m".into(),
            location: "ARGS:id".into(),
            score: 5,
        };
        fw.record_waf(&packet, &Verdict::Detected(hit.clone()));
        assert_eq!(fw.stats().dropped, 0);
        fw.record_waf(&packet, &Verdict::Block(hit));
        assert_eq!(fw.stats().dropped, 1);
        let events = fw.events().recent(0);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].reason, "SQL injection (942100) in ARGS:id");
    }
}
