//! Anomaly scoring: each signature that matches adds its score once per
//! request; the request is refused when the total reaches the threshold.

use super::signatures::{AttackFamily, Signature};
use super::target::Location;

/// One signature that matched, and where.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{AttackFamily, Match};
/// let m = Match { rule_id: 942100, family: AttackFamily::Sqli, message: "m".into(), location: "ARGS:id".into(), score: 5 };
/// assert_eq!(m.score, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Signature id.
    pub rule_id: u32,
    /// Its family.
    pub family: AttackFamily,
    /// Its message.
    pub message: String,
    /// Where it matched first (`ARGS:id`...), unescaped.
    pub location: String,
    /// The score it added.
    pub score: u32,
}

/// The matches of one request and their total, in the order found.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{Report, Waf, WafConfig, Request};
/// let waf = Waf::new(WafConfig::default())?;
/// let report = waf.evaluate(&Request::from_target("GET", "/?q=hello"));
/// assert_eq!(report.score(), 0);
/// # Ok::<(), firewall_core::waf::WafError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    matches: Vec<Match>,
    score: u32,
}

impl Report {
    /// Records a match unless the same signature already matched.
    pub(crate) fn add(&mut self, sig: &Signature, location: &Location<'_>) {
        if self.matches.iter().any(|m| m.rule_id == sig.id) {
            return;
        }
        self.score = self.score.saturating_add(sig.score);
        self.matches.push(Match {
            rule_id: sig.id,
            family: sig.family,
            message: sig.message.clone(),
            location: location.to_string(),
            score: sig.score,
        });
    }

    /// The total anomaly score.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::waf::Report::default().score(), 0);
    /// ```
    pub fn score(&self) -> u32 {
        self.score
    }

    /// Every match, in the order found.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::waf::Report::default().matches().is_empty());
    /// ```
    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    /// The match that explains the decision best: the highest score, then
    /// the first found.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::waf::Report::default().strongest().is_none());
    /// ```
    pub fn strongest(&self) -> Option<&Match> {
        self.matches.iter().rev().max_by_key(|m| m.score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_counts_once_and_the_strongest_explains() {
        let sigs = Signature::parse_toml(
            "[[signature]]\nid = 942001\nfamily = \"sqli\"\nparanoia = 1\nseverity = \"warning\"\nmessage = \"a\"\npattern = \"a\"\n\
             [[signature]]\nid = 942002\nfamily = \"sqli\"\nparanoia = 1\nmessage = \"b\"\npattern = \"b\"\n\
             [[signature]]\nid = 942003\nfamily = \"sqli\"\nparanoia = 1\nmessage = \"c\"\npattern = \"c\"\n",
            "t",
        )
        .unwrap();
        let mut report = Report::default();
        for sig in [&sigs[0], &sigs[0], &sigs[1], &sigs[2]] {
            report.add(sig, &Location::Arg("x".into()));
        }
        assert_eq!(report.score(), 13);
        assert_eq!(report.strongest().map(|m| m.rule_id), Some(942_002));
    }
}
