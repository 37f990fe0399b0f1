//! The web application firewall: inspects what a request carries (path,
//! query, headers, cookies, body) for attacks, after the ACL let it in.
//!
//! The shape follows Coraza: a [`Waf`] compiles its signatures once and is
//! immutable (share one `Arc<Waf>` between workers); each call to
//! [`Waf::inspect`] keeps its own small state. Phases run cheapest first:
//! request line and headers, then the body, which is not scanned when the
//! head alone already reaches the threshold (a urlencoded form within the
//! body limit is decoded before, the protocol checks counting its
//! arguments from that reading).
//!
//! Values are decoded the way attackers evade ([`transform`]), then matched
//! against one combined linear-time automaton per decoded view (lazy DFAs
//! from `regex-automata`: no backtracking whatever the input). Each matching
//! signature adds its score; the request is refused when the total reaches
//! the threshold (5 by default: one critical match).
//!
//! The modules beside this one hold the WAF's concepts (its settings,
//! the request, routes, signatures, locations, the reports and the log
//! line, the body readers and the decodings); `engine` and the modules
//! below it hold the machinery that matches them (joined automata, byte
//! sets, the clean-value memo, pattern rewriting, value shapes) and a
//! plain reference scanner the tests compare it with.
//!
//! # Examples
//!
//! ```
//! use firewall_core::waf::{Mode, Request, Verdict, Waf, WafConfig, WafLine};
//! use firewall_core::Packet;
//!
//! let waf = Waf::new(WafConfig::default())?;
//! let attack = Request::from_target("GET", "/items?id=1%27%20OR%20%271%27=%271");
//! let Verdict::Block(hit) = waf.inspect(&attack) else { panic!("not blocked") };
//! assert_eq!(hit.location, "ARGS:id");
//!
//! let packet = Packet::tcp("10.0.0.7:51234".parse()?, "127.0.0.1:5000".parse()?);
//! let line = WafLine { packet: &packet, interruption: &hit, blocked: true };
//! assert!(line.to_string().starts_with("WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942"));
//!
//! let fine = Request::from_target("GET", "/items?q=select+the+plan+you%27d+like");
//! assert_eq!(waf.inspect(&fine), Verdict::Pass);
//!
//! let watch = Waf::new(WafConfig::default().mode(Mode::DetectionOnly))?;
//! assert!(matches!(watch.inspect(&attack), Verdict::Detected(_)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod body;
mod config;
mod config_file;
mod engine;
mod error;
mod header_names;
mod html_tokens;
mod js_injection;
mod line;
pub mod multipart;
mod protocol;
mod request;
pub mod route;
mod score;
mod shell_injection;
mod shell_tokens;
mod signatures;
mod sql_injection;
mod sql_tokens;
mod target;
pub mod transform;
mod xml;
mod xss_injection;

pub(crate) use config::under;
pub use config::{BodyOverflow, Exclusion, Mode, WafConfig};
pub use error::{UnknownName, WafError};
pub(crate) use line::{write_json_event, write_line};
pub use line::{WafLine, WafReason};
pub use protocol::Check;
pub use request::Request;
pub use route::RoutePath;
pub use score::{Match, Report};
pub use signatures::{AttackFamily, Detector, Signature, View};
pub use target::Location;

use engine::{Compiled, Remember};

/// What the WAF decided for one request.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::Verdict;
/// assert!(Verdict::Pass.is_pass());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing reached the threshold.
    Pass,
    /// Refuse the request (mode On).
    Block(Interruption),
    /// Would have been refused; let through (mode `DetectionOnly`).
    Detected(Interruption),
}

impl Verdict {
    /// Whether the request goes through without anything to log.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::waf::Verdict::Pass.is_pass());
    /// ```
    pub fn is_pass(&self) -> bool {
        matches!(self, Self::Pass)
    }
}

/// Why a request reached the threshold: the strongest match and the total.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{AttackFamily, Interruption};
/// let i = Interruption { rule_id: 942100, family: AttackFamily::Sqli, message: "m".into(), location: "ARGS:id".into(), score: 5 };
/// assert_eq!(i.family.to_string(), "SQL injection");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// Id of the signature that explains the decision best.
    pub rule_id: u32,
    /// Its family.
    pub family: AttackFamily,
    /// Its message.
    pub message: String,
    /// Where it matched (`ARGS:id`), unescaped: escape before logging.
    pub location: String,
    /// The request's total anomaly score.
    pub score: u32,
}

/// The compiled WAF. Build once, share between workers.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{Waf, WafConfig};
/// let waf = Waf::new(WafConfig::default().paranoia(2))?;
/// assert_eq!(waf.config().paranoia, 2);
/// # Ok::<(), firewall_core::waf::WafError>(())
/// ```
#[derive(Debug)]
pub struct Waf {
    config: WafConfig,
    compiled: Compiled,
}

impl Waf {
    /// Compiles the signatures active at the configured paranoia level.
    ///
    /// # Errors
    ///
    /// A paranoia level outside 1..=4, a zero threshold, or a disabled id
    /// that names no signature (a typo would leave the signature on).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{Waf, WafConfig};
    /// let err = Waf::new(WafConfig::default().disable(1)).unwrap_err();
    /// assert_eq!(err.to_string(), "WafConfig: [waf] disabled: no signature has id 1");
    /// ```
    pub fn new(config: WafConfig) -> Result<Self, WafError> {
        config.validate()?;
        let all = config.signatures.clone().unwrap_or_else(Signature::builtin);
        if let Some(id) = config
            .disabled
            .iter()
            .find(|id| !all.iter().any(|s| s.id == **id))
        {
            return Err(WafError::Setting {
                field: "disabled",
                reason: format!("no signature has id {id}"),
            });
        }
        let active = all
            .into_iter()
            .filter(|s| config.runs(s))
            .map(|mut s| {
                if s.critical_from
                    .is_some_and(|level| config.paranoia >= level)
                {
                    s.score = s.score.max(5);
                }
                s
            })
            .collect();
        Ok(Self {
            compiled: Compiled::new(active)?,
            config,
        })
    }

    /// The configuration it was built with.
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::{Waf, WafConfig};
    /// assert_eq!(Waf::new(WafConfig::default())?.config().threshold, 5);
    /// # Ok::<(), firewall_core::waf::WafError>(())
    /// ```
    pub fn config(&self) -> &WafConfig {
        &self.config
    }

    /// The active signatures (those at or under the paranoia level).
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::{Waf, WafConfig};
    /// let waf = Waf::new(WafConfig::default())?;
    /// assert!(waf.signatures().iter().all(|s| s.paranoia == 1));
    /// # Ok::<(), firewall_core::waf::WafError>(())
    /// ```
    pub fn signatures(&self) -> &[Signature] {
        self.compiled.signatures()
    }

    /// Inspects a request and decides, according to the mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{Request, Verdict, Waf, WafConfig};
    /// let waf = Waf::new(WafConfig::default())?;
    /// let req = Request::new("POST", "/c").body("application/json", r#"{"c":"<script>alert(1)</script>"}"#);
    /// assert!(matches!(waf.inspect(&req), Verdict::Block(i) if i.location == "ARGS:json.c"));
    /// # Ok::<(), firewall_core::waf::WafError>(())
    /// ```
    pub fn inspect(&self, req: &Request<'_>) -> Verdict {
        if self.config.mode == Mode::Off {
            return Verdict::Pass;
        }
        let report = self.evaluate(req);
        if report.score() < self.config.threshold {
            return Verdict::Pass;
        }
        let Some(strongest) = report.strongest() else {
            return Verdict::Pass;
        };
        let interruption = Interruption {
            rule_id: strongest.rule_id,
            family: strongest.family,
            message: strongest.message.clone(),
            location: strongest.location.clone(),
            score: report.score(),
        };
        match self.config.mode {
            Mode::On => Verdict::Block(interruption),
            Mode::DetectionOnly | Mode::Off => Verdict::Detected(interruption),
        }
    }

    /// Scores a request whatever the mode: every match and the total. The
    /// body is not scanned when the head alone reaches the threshold (a
    /// form within the body limit is still decoded, for the protocol
    /// checks).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::{Request, Waf, WafConfig};
    /// let waf = Waf::new(WafConfig::default())?;
    /// let report = waf.evaluate(&Request::from_target("GET", "/?f=../../etc/passwd"));
    /// assert!(report.score() >= 5);
    /// # Ok::<(), firewall_core::waf::WafError>(())
    /// ```
    pub fn evaluate(&self, req: &Request<'_>) -> Report {
        // Only exclusions read the resolved path: none, nothing to resolve.
        let path = if self.config.exclusions.is_empty() {
            RoutePath::new("/")
        } else {
            RoutePath::new(req.path())
        };
        let mut report = Report::default();
        let limit = self.config.body_limit;
        let mut readings = protocol::Readings::default();
        let head = target::collect_head(req, &mut readings.query);
        // A form body is read before the protocol checks, which take its
        // arguments' count and lengths from the reading; any other body
        // only when the head leaves the request under the threshold.
        let checks = !self.compiled.checks().is_empty();
        let mut body = (checks && protocol::body_is_form_within(req, limit))
            .then(|| target::collect_body(req, limit, &mut readings.body));
        self.check_protocol(&path, req, readings, &mut report);
        self.scan(&path, &head, Remember::CleanValues, &mut report);
        if report.score() < self.config.threshold {
            let body = body.get_or_insert_with(|| {
                target::collect_body(req, limit, &mut protocol::FormReading::default())
            });
            self.scan(&path, body, Remember::Nothing, &mut report);
        }
        report
    }

    /// Adds what the protocol checks find in `req` (whose query and form
    /// body showed `readings`) to `report`, but for what an exclusion
    /// covers on `path`.
    fn check_protocol<'r>(
        &self,
        path: &RoutePath<'_>,
        req: &'r Request<'_>,
        readings: protocol::Readings<'r>,
        report: &mut Report,
    ) {
        let sigs = self.compiled.signatures();
        let paranoia = self.config.paranoia;
        protocol::run(
            req,
            readings,
            self.compiled.checks(),
            paranoia,
            |sig, location| {
                let sig = &sigs[sig];
                if !self
                    .config
                    .exclusions
                    .iter()
                    .any(|e| e.covers(path, &location, sig))
                {
                    report.add(sig, &location);
                }
            },
        );
    }

    /// Adds what matches in `targets` to `report`, but for what an exclusion
    /// covers on `path`.
    fn scan(
        &self,
        path: &RoutePath<'_>,
        targets: &[target::Target<'_>],
        remember: Remember,
        report: &mut Report,
    ) {
        let sigs = self.compiled.signatures();
        self.compiled.scan_all(targets, remember, |index, sig| {
            let (sig, location) = (&sigs[sig], &targets[index].location);
            if !self
                .config
                .exclusions
                .iter()
                .any(|e| e.covers(path, location, sig))
            {
                report.add(sig, location);
            }
        });
    }
}

#[cfg(test)]
mod tests;
