//! `firewall waf`: one request through the WAF, as the middleware hands it
//! over: method, raw path and query, headers (names lower-cased, as Actix
//! presents them), cookies from the `Cookie` header, and the body with the
//! first `Content-Type` header's type. What this command cannot do without
//! Actix: decode a `Content-Encoding` or convert a charset (the middleware
//! does both before inspection); give the body as the handler would read it.
//!
//! Prints the verdict of [`Waf::inspect`] (the middleware's call), then
//! every signature that matched with its decoded location, each with the
//! `[[waf.exclusion]]` that would silence it on this route.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use firewall_core::waf::{Exclusion, Match, Mode, Request, RoutePath, Verdict, Waf, WafConfig};

use crate::load;
use crate::terminal::clean;

/// The command's arguments.
#[derive(Debug)]
pub(crate) struct Input {
    pub(crate) request: String,
    pub(crate) paranoia: Option<u8>,
    pub(crate) headers: Vec<String>,
    pub(crate) body: Option<String>,
    pub(crate) rules: Option<PathBuf>,
}

/// A bad argument or file.
type Error = Box<dyn std::error::Error>;

/// Runs the command; returns the exit status (0 pass, 1 block or detect).
pub(crate) fn run(input: &Input, out: &mut impl Write) -> Result<u8, Error> {
    let RequestLine {
        method,
        target,
        version,
    } = request_line(&input.request)?;
    let headers = input
        .headers
        .iter()
        .map(|h| header(h))
        .collect::<Result<Vec<_>, _>>()?;
    let body = match &input.body {
        Some(body) => read_body(body)?,
        None => Vec::new(),
    };
    let (config, origin) = config(input)?;
    let waf = Waf::new(config.clone())?;
    let content_type = headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let mut view = Request::from_target(method.clone(), target.clone());
    if let Some(version) = version {
        view = view.version(version);
    }
    for (name, value) in &headers {
        view = view.header(name.clone(), value.clone());
    }
    let view = view.body(content_type.clone(), body.clone());

    match version {
        Some(version) => writeln!(
            out,
            "request: {} {} {version}",
            clean(&method),
            clean(&target)
        )?,
        None => writeln!(out, "request: {} {}", clean(&method), clean(&target))?,
    }
    for (name, value) in &headers {
        writeln!(out, "header: {}: {}", clean(name), clean(value))?;
    }
    if !body.is_empty() {
        let kind = if content_type.is_empty() {
            "no Content-Type: inspected as a raw body"
        } else {
            "its Content-Type"
        };
        writeln!(out, "body: {} bytes, read by {kind}", body.len())?;
    }
    if headers.iter().any(|(name, _)| name == "content-encoding") {
        writeln!(out, "note: the middleware decodes Content-Encoding before inspection; this body is inspected as given")?;
    }
    writeln!(
        out,
        "waf: mode {}, paranoia {}, threshold {} ({origin})",
        mode_name(config.mode),
        config.paranoia,
        config.threshold
    )?;
    let verdict = waf.inspect(&view);
    write_verdict(&verdict, &config, out)?;
    let matches = every_match(&waf, &config, &view, &verdict)?;
    write_matches(&matches, view.path(), out)?;
    Ok(u8::from(!verdict.is_pass()))
}

/// A request line as the command reads it.
#[derive(Debug, PartialEq, Eq)]
struct RequestLine {
    method: String,
    target: String,
    /// `HTTP/1.0` or `HTTP/1.1` when the line names it: the WAF then checks
    /// the headers HTTP/1 requires (920280 Host...), as it does for what
    /// the middleware hands it; without one, those checks are skipped.
    version: Option<&'static str>,
}

/// `METHOD TARGET [HTTP/x]` (the target may hold spaces) or a bare target.
fn request_line(line: &str) -> Result<RequestLine, String> {
    let line = line.trim();
    let (method, rest) = if line.starts_with('/') {
        ("GET", line)
    } else {
        line.split_once(' ')
            .ok_or_else(|| format!("request `{}`: expected `METHOD /path?query`", clean(line)))?
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(format!(
            "request `{}`: the method `{}` is not a word such as GET",
            clean(line),
            clean(method)
        ));
    }
    let mut target = rest.trim();
    let mut version = None;
    if let Some((head, named)) = target.rsplit_once(' ') {
        if named.starts_with("HTTP/") {
            target = head.trim_end();
            version = Some(match named {
                "HTTP/1.1" => "HTTP/1.1",
                "HTTP/1.0" => "HTTP/1.0",
                other => {
                    return Err(format!(
                        "request `{}`: `{}`: Actix serves HTTP/1.0 and HTTP/1.1 lines only (it answers 400 before any middleware)",
                        clean(line),
                        clean(other)
                    ))
                }
            });
        }
    }
    if !target.starts_with('/') {
        return Err(format!(
            "request `{}`: the target `{}` must start with /",
            clean(line),
            clean(target)
        ));
    }
    Ok(RequestLine {
        method: method.to_owned(),
        target: target.to_owned(),
        version,
    })
}

/// `Name: value`, the name lower-cased as Actix presents header names.
fn header(text: &str) -> Result<(String, String), String> {
    let bad = || format!("--header `{}`: expected `Name: value`", clean(text));
    let (name, value) = text.split_once(':').ok_or_else(bad)?;
    let name = name.trim();
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(bad());
    }
    Ok((name.to_ascii_lowercase(), value.trim().to_owned()))
}

/// `@FILE` read from disk, else the text itself.
fn read_body(body: &str) -> Result<Vec<u8>, String> {
    match body.strip_prefix('@') {
        Some(file) => std::fs::read(file).map_err(|e| format!("--body @{}: {e}", clean(file))),
        None => Ok(body.as_bytes().to_vec()),
    }
}

/// The WAF settings (the rules file's `[waf]`, else the defaults, then
/// `--paranoia`) and where they came from.
fn config(input: &Input) -> Result<(WafConfig, String), Error> {
    let (mut config, mut origin) = match &input.rules {
        Some(path) => {
            let loaded = load::load(path)?;
            let shown = clean(&path.display().to_string()).into_owned();
            match loaded.waf {
                Some(config) => (config, format!("[waf] of {shown}")),
                None => (
                    WafConfig::default(),
                    format!("defaults: {shown} has no [waf]"),
                ),
            }
        }
        None => (WafConfig::default(), "defaults".to_owned()),
    };
    if let Some(level) = input.paranoia {
        config.paranoia = level;
        origin.push_str(", --paranoia");
    }
    Ok((config, origin))
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::On => "on",
        Mode::DetectionOnly => "detection-only",
        Mode::Off => "off",
    }
}

fn write_verdict(
    verdict: &Verdict,
    config: &WafConfig,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let (word, hit) = match verdict {
        Verdict::Pass => {
            let why = if config.mode == Mode::Off {
                "the WAF is off"
            } else {
                "under the threshold"
            };
            return writeln!(out, "verdict: PASS ({why})");
        }
        Verdict::Block(hit) => ("BLOCK (403)", hit),
        Verdict::Detected(hit) => ("DETECT (served, logged as WAF DETECT)", hit),
    };
    writeln!(
        out,
        "verdict: {word}: score {} reaches the threshold {}; strongest: {} {} in {}",
        hit.score,
        config.threshold,
        hit.rule_id,
        hit.family,
        clean(&hit.location)
    )
}

/// Every signature that matches anywhere: the middleware's scan skips the
/// body once the head alone reaches the threshold, so a blocked request
/// with a body is scanned again with no threshold to list the body's
/// matches too.
fn every_match(
    waf: &Waf,
    config: &WafConfig,
    view: &Request<'_>,
    verdict: &Verdict,
) -> Result<Vec<Match>, Error> {
    if config.mode == Mode::Off {
        return Ok(Vec::new());
    }
    let report = waf.evaluate(view);
    if verdict.is_pass() || view.body_bytes().is_empty() {
        return Ok(report.matches().to_vec());
    }
    let whole = Waf::new(config.clone().threshold(u32::MAX))?;
    Ok(whole.evaluate(view).matches().to_vec())
}

fn write_matches(matches: &[Match], raw_path: &str, out: &mut impl Write) -> std::io::Result<()> {
    if matches.is_empty() {
        return writeln!(out, "no signature matched");
    }
    writeln!(out, "matched ({}):", matches.len())?;
    let route = route_for(raw_path);
    for m in matches {
        writeln!(
            out,
            "  {} {} ({}), score {}, in {}: {}",
            m.rule_id,
            m.family.key(),
            m.family,
            m.score,
            clean(&m.location),
            clean(&m.message)
        )?;
        match &route {
            Some(route) => {
                writeln!(out, "    silence it on this route with:")?;
                for line in exclusion_snippet(route, m).lines() {
                    writeln!(out, "      {line}")?;
                }
            }
            None => writeln!(
                out,
                "    no exclusion can cover this path (its reading is in doubt); to turn it off everywhere: [waf] disabled = [{}]",
                m.rule_id
            )?,
        }
    }
    Ok(())
}

/// The most specific route prefix an exclusion can name and still cover
/// `raw_path` (checked with [`Exclusion::covers_route`], the WAF's own
/// test), or `None` when no route covers it.
fn route_for(raw_path: &str) -> Option<String> {
    let path = RoutePath::new(raw_path);
    let mut candidates: Vec<&str> = Vec::new();
    for reading in std::iter::once(raw_path).chain(path.readings()) {
        candidates.push(reading);
        let mut rest = reading;
        while let Some((parent, _)) = rest.rsplit_once('/') {
            candidates.push(if parent.is_empty() { "/" } else { parent });
            rest = parent;
        }
    }
    candidates.sort_by_key(|c| std::cmp::Reverse(c.len()));
    candidates
        .into_iter()
        .find(|c| Exclusion::route(*c).covers_route(&path))
        .map(str::to_owned)
}

/// The argument, cookie or header a location names (`ARGS:q` -> `q`), which
/// an exclusion's `args` matches; `None` for the path, method, query or body.
fn arg_of(location: &str) -> Option<&str> {
    let (kind, name) = location.split_once(':')?;
    let named = [
        "ARGS",
        "ARGS_NAMES",
        "FILES",
        "REQUEST_COOKIES",
        "REQUEST_COOKIES_NAMES",
        "REQUEST_HEADERS",
    ];
    named.contains(&kind).then_some(name)
}

/// A `[[waf.exclusion]]` for one match on `route`, in the rules file's syntax.
fn exclusion_snippet(route: &str, m: &Match) -> String {
    let mut snippet = format!("[[waf.exclusion]]\npath = {}\n", toml_string(route));
    if let Some(arg) = arg_of(&m.location) {
        let _ = writeln!(snippet, "args = [{}]", toml_string(arg));
    }
    let _ = writeln!(snippet, "rules = [{}]  # {}", m.rule_id, m.family.key());
    snippet
}

/// A TOML basic string that is also safe on a terminal: quotes,
/// backslashes, control characters and bidi controls as escapes.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || is_bidi(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Unicode bidi controls and line separators.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_keep_spaces_in_the_target() {
        let line = |method: &str, target: &str, version| RequestLine {
            method: method.into(),
            target: target.into(),
            version,
        };
        assert_eq!(
            request_line("GET /search?q=1 union select 1").unwrap(),
            line("GET", "/search?q=1 union select 1", None)
        );
        assert_eq!(
            request_line("POST /a b HTTP/1.1").unwrap(),
            line("POST", "/a b", Some("HTTP/1.1"))
        );
        assert_eq!(request_line("/x").unwrap(), line("GET", "/x", None));
        assert!(request_line("GET / HTTP/2.0")
            .unwrap_err()
            .contains("HTTP/2.0"));
        assert!(request_line("GET search").is_err());
        assert!(request_line("G\x1bT /").unwrap_err().contains("\\x1b"));
    }

    #[test]
    fn headers_are_lower_cased_and_checked() {
        assert_eq!(
            header("User-Agent:  curl/8 ").unwrap(),
            ("user-agent".into(), "curl/8".into())
        );
        assert!(header("no colon").is_err());
        assert!(header("bad name: x").is_err());
    }

    #[test]
    fn snippets_are_toml_that_reads_back() {
        let m = Match {
            rule_id: 942_100,
            family: firewall_core::waf::AttackFamily::Sqli,
            message: "m".into(),
            location: "ARGS:q\"\\\x1b\u{202e}".into(),
            score: 5,
        };
        let snippet = exclusion_snippet("/search", &m);
        assert!(!snippet.contains('\x1b') && !snippet.contains('\u{202e}'));
        let config = WafConfig::from_toml_str(&snippet, "s.toml")
            .unwrap()
            .unwrap();
        assert_eq!(
            config.exclusions,
            [Exclusion::route("/search")
                .arg("q\"\\\x1b\u{202e}")
                .rule(942_100)]
        );
    }

    #[test]
    fn routes_are_the_most_specific_that_still_cover() {
        assert_eq!(route_for("/search").as_deref(), Some("/search"));
        assert_eq!(route_for("/a%20b/c").as_deref(), Some("/"));
        assert_eq!(route_for("/static/%2e%2e/admin").as_deref(), Some("/"));
        assert_eq!(route_for("/static/%c0%ae%c0%ae/admin"), None);
    }
}
