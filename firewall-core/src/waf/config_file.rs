//! Reads the `[waf]` table of a rules file into a [`WafConfig`], reporting
//! the line of any bad value.

use serde::Deserialize;
use toml::Spanned;

use super::config::{BodyOverflow, Exclusion, RawExclusion, RawWaf, WafConfig};
use super::{UnknownName, WafError};
use crate::parse::line_of;

#[derive(Deserialize)]
struct RawFile {
    waf: Option<RawWaf>,
}

/// A field error: byte offset, field name, reason.
type Failure = (usize, &'static str, String);

/// See [`WafConfig::from_toml_str`].
pub(crate) fn parse(text: &str, source: &str) -> Result<Option<WafConfig>, WafError> {
    // A large rules file is nearly always only [[rule]] tables: say so
    // without building its whole TOML document.
    if crate::ruleset::holds_only_rule_tables(text) {
        return Ok(None);
    }
    let raw: RawFile = toml::from_str(text).map_err(|e| WafError::Syntax {
        source_name: source.to_owned(),
        line: e.span().map_or(0, |s| line_of(text, s.start)),
        message: e.message().to_owned(),
    })?;
    let Some(raw) = raw.waf else { return Ok(None) };
    convert(raw)
        .map(Some)
        .map_err(|(offset, field, reason)| WafError::Config {
            source_name: source.to_owned(),
            line: line_of(text, offset),
            field,
            reason,
        })
}

fn convert(raw: RawWaf) -> Result<WafConfig, Failure> {
    let mut config = WafConfig::default();
    if let Some(mode) = raw.mode {
        config.mode = mode
            .get_ref()
            .parse()
            .map_err(|e: UnknownName| (mode.span().start, "mode", e.to_string()))?;
    }
    if let Some(level) = raw.paranoia {
        config.paranoia = u8::try_from(ranged(&level, "paranoia", 1, 4)?).unwrap_or(1);
    }
    if let Some(score) = raw.threshold {
        config.threshold = u32::try_from(ranged(&score, "threshold", 1, 10_000)?).unwrap_or(5);
    }
    if let Some(limit) = raw.body_limit {
        config.body_limit =
            usize::try_from(ranged(&limit, "body_limit", 0, 1 << 40)?).unwrap_or(usize::MAX);
    }
    if let Some(overflow) = raw.body_overflow {
        config.body_overflow = match overflow.get_ref().as_str() {
            "reject" => BodyOverflow::Reject,
            "inspect-partial" => BodyOverflow::InspectPartial,
            other => {
                let reason = format!("unknown value `{other}`: expected reject or inspect-partial");
                return Err((overflow.span().start, "body_overflow", reason));
            }
        };
    }
    config.disabled = raw.disabled;
    config.validate_utf8 = raw.validate_utf8.unwrap_or(false);
    for exclusion in raw.exclusion {
        config.exclusions.push(exclusion_of(exclusion)?);
    }
    Ok(config)
}

fn ranged(value: &Spanned<i64>, field: &'static str, lo: i64, hi: i64) -> Result<i64, Failure> {
    let n = *value.get_ref();
    if (lo..=hi).contains(&n) {
        Ok(n)
    } else {
        Err((
            value.span().start,
            field,
            format!("{n} is not between {lo} and {hi}"),
        ))
    }
}

fn exclusion_of(raw: Spanned<RawExclusion>) -> Result<Exclusion, Failure> {
    let at = raw.span().start;
    let raw = raw.into_inner();
    let path = raw.path.ok_or((
        at,
        "exclusion.path",
        "missing: give a route prefix such as \"/\"".to_owned(),
    ))?;
    if !path.starts_with('/') {
        return Err((at, "exclusion.path", format!("`{path}` must start with /")));
    }
    let mut families = Vec::new();
    for family in raw.families {
        families.push(family.get_ref().parse().map_err(|e: UnknownName| {
            (family.span().start, "exclusion.families", e.to_string())
        })?);
    }
    Ok(Exclusion {
        path,
        args: raw.args,
        families,
        rules: raw.rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::{AttackFamily, Mode};

    #[test]
    fn full_table_parses() {
        let text = "[[rule]]\naction = \"ALLOW\"\n[waf]\nmode = \"off\"\nthreshold = 10\nbody_limit = 10\n\
                    body_overflow = \"inspect-partial\"\ndisabled = [1]\n\
                    [[waf.exclusion]]\npath = \"/a\"\nargs = [\"q\"]\nfamilies = [\"sqli\"]\nrules = [2]\n";
        let c = parse(text, "f").unwrap().unwrap();
        assert_eq!(
            (c.mode, c.threshold, c.body_limit, c.disabled.clone()),
            (Mode::Off, 10, 10, vec![1])
        );
        assert_eq!(c.body_overflow, BodyOverflow::InspectPartial);
        assert_eq!(
            c.exclusions,
            [Exclusion::route("/a")
                .arg("q")
                .family(AttackFamily::Sqli)
                .rule(2)]
        );
    }

    /// A form from a page in ISO-8859-1: `Renée`, `Köln`, `crème brûlée`.
    fn latin1_form() -> crate::waf::Request<'static> {
        crate::waf::Request::new("POST", "/contact").body(
            "application/x-www-form-urlencoded",
            "name=Ren%E9e&city=K%F6ln&message=Cr%E8me+br%FBl%E9e+pour+6",
        )
    }

    #[test]
    fn a_latin1_form_passes_by_default_at_every_level() {
        for paranoia in 1..=4 {
            let config = WafConfig::default().paranoia(paranoia);
            let report = crate::waf::Waf::new(config)
                .unwrap()
                .evaluate(&latin1_form());
            assert!(
                report.matches().iter().all(|m| m.rule_id != 920_250),
                "PL{paranoia}: {:?}",
                report.matches()
            );
        }
        let waf = crate::waf::Waf::new(WafConfig::default()).unwrap();
        assert!(waf.inspect(&latin1_form()).is_pass());
        assert!(waf
            .inspect(&crate::waf::Request::from_target("GET", "/?q=caf%E9"))
            .is_pass());
    }

    #[test]
    fn validate_utf8_refuses_a_latin1_form() {
        let text = "[waf]\nvalidate_utf8 = true\n";
        let config = parse(text, "f").unwrap().unwrap();
        assert!(config.validate_utf8);
        let waf = crate::waf::Waf::new(config).unwrap();
        assert!(!waf.inspect(&latin1_form()).is_pass());
        let report = waf.evaluate(&latin1_form());
        assert!(report.matches().iter().any(|m| m.rule_id == 920_250));
        // UTF-8 is still welcome.
        let utf8 = crate::waf::Request::new("POST", "/contact").body(
            "application/x-www-form-urlencoded",
            "name=Ren%C3%A9e&city=K%C3%B6ln",
        );
        assert!(waf.inspect(&utf8).is_pass());
        assert!(!parse("[waf]\n", "f").unwrap().unwrap().validate_utf8);
    }

    #[test]
    fn the_rules_file_carries_both_tables() {
        let text = "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 5000\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n\
                    [waf]\nparanoia = 2\n";
        assert_eq!(
            crate::RuleSet::from_toml_str(text, "r.toml").unwrap().len(),
            1
        );
        assert_eq!(parse(text, "r.toml").unwrap().unwrap().paranoia, 2);
    }

    #[test]
    fn bad_values_name_field_and_line() {
        let err = |text: &str| parse(text, "f.toml").unwrap_err().to_string();
        assert_eq!(
            err("[waf]\nmode = \"block\"\n"),
            "f.toml:2: [waf] mode: unknown mode `block`: expected on, detection-only or off"
        );
        assert!(
            err("[waf]\nmodes = 1\n").starts_with("f.toml:2: unknown field `modes`"),
            "{}",
            err("[waf]\nmodes = 1\n")
        );
        assert_eq!(
            err("[waf]\n[[waf.exclusion]]\npath = \"/\"\nfamilies = [\"sql\"]\n"),
            "f.toml:4: [waf] exclusion.families: unknown family `sql`: expected one of sqli, xss, lfi, rfi, rce, php, java, generic, scanner, protocol"
        );
        assert!(
            err("[waf]\nvalidate_utf8 = \"yes\"\n").starts_with("f.toml:2: invalid type"),
            "{}",
            err("[waf]\nvalidate_utf8 = \"yes\"\n")
        );
        assert_eq!(
            err("[waf]\n[[waf.exclusion]]\nargs = []\n"),
            "f.toml:2: [waf] exclusion.path: missing: give a route prefix such as \"/\""
        );
    }
}
