//! The request path as exclusions see it: as received, and as any server or
//! application behind the route might resolve it.
//!
//! Actix's router matches the path with its escapes decoded (but `%2F`,
//! `%25` and `%2B`) and its dot segments kept, so `/static/%2e%2e/admin`
//! reaches a `/static/{tail}` route; a file server, a proxy or the handler
//! itself may then resolve `..`. An exclusion for `/static` must therefore
//! hold for every reading of the path: each round of percent-decoding, with
//! `\` read as `/`, `;params` dropped from segments, `//` merged or not, and
//! dot segments removed as RFC 3986 §5.2.4 says. A path whose reading is in
//! doubt (a control character, invalid UTF-8, more encoding than the rounds
//! resolve, a `..` above the root) is under no exclusion: it is inspected.
//!
//! ```
//! use firewall_core::waf::{Exclusion, RoutePath};
//! let statics = Exclusion::route("/static");
//! assert!(statics.covers_route(&RoutePath::new("/static/app.js")));
//! assert!(!statics.covers_route(&RoutePath::new("/static/%2e%2e/admin")));
//! ```

use std::borrow::Cow;

use super::transform::{normalise_unicode, url_decode};

/// Rounds of percent-decoding resolved (double and triple encoding): a path
/// that still changes after them is in doubt.
const ROUNDS: usize = 3;

/// A request path and its resolved readings, computed once per request for
/// [`crate::waf::Exclusion::covers_route`].
///
/// # Examples
///
/// ```
/// use firewall_core::waf::RoutePath;
/// let path = RoutePath::new("/static/..;/admin");
/// assert_eq!(path.raw(), "/static/..;/admin");
/// assert!(path.readings().any(|p| p == "/admin"));
/// assert!(RoutePath::new("/static/%00/x").in_doubt());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePath<'a> {
    raw: &'a str,
    resolved: Vec<String>,
    in_doubt: bool,
}

impl<'a> RoutePath<'a> {
    /// Resolves `raw`, the path as received (escapes and all, no query).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::RoutePath;
    /// let path = RoutePath::new("/static/%252e%252e/admin");
    /// assert!(path.readings().any(|p| p == "/admin"));
    /// ```
    pub fn new(raw: &'a str) -> Self {
        let mut resolved = Vec::new();
        if !raw.contains(['%', '\\', ';', '.']) && !raw.contains("//") {
            // Nothing to decode or resolve: the raw path is the only reading.
            return Self {
                raw,
                resolved,
                in_doubt: doubtful(raw),
            };
        }
        let (mut above_root, mut stable) = (false, false);
        let mut current = Cow::Borrowed(raw);
        for _ in 0..=ROUNDS {
            above_root |= add_readings(raw, &current, &mut resolved);
            let (next, changed) = url_decode(&current);
            if !changed {
                stable = true;
                break;
            }
            current = Cow::Owned(next.into_owned());
        }
        let (unicode, changed) = normalise_unicode(&current);
        if changed {
            above_root |= add_readings(raw, &unicode, &mut resolved);
        }
        let in_doubt = !stable
            || above_root
            || doubtful(raw)
            || doubtful(&current)
            || resolved.iter().any(|p| doubtful(p));
        Self {
            raw,
            resolved,
            in_doubt,
        }
    }

    /// The path as received.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::waf::RoutePath::new("/a/../b").raw(), "/a/../b");
    /// ```
    pub fn raw(&self) -> &str {
        self.raw
    }

    /// Every resolved reading of the path (the raw path is not among them).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = firewall_core::waf::RoutePath::new("/a/..%5cb");
    /// assert!(path.readings().any(|p| p == "/b"));
    /// ```
    pub fn readings(&self) -> impl Iterator<Item = &str> {
        self.resolved.iter().map(String::as_str)
    }

    /// Whether the path's reading is in doubt: no exclusion covers it.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::RoutePath;
    /// assert!(RoutePath::new("/static/%c0%ae%c0%ae/admin").in_doubt());
    /// assert!(!RoutePath::new("/static/app.js").in_doubt());
    /// ```
    pub fn in_doubt(&self) -> bool {
        self.in_doubt
    }
}

/// Adds the readings of `path` (one decoding round of `raw`) that are new:
/// resolved with `//` kept, and with `//` merged. `true` when a `..` climbs
/// above the root.
fn add_readings(raw: &str, path: &str, out: &mut Vec<String>) -> bool {
    let segments = path.replace('\\', "/");
    let segments: Vec<&str> = segments
        .split('/')
        .map(|segment| segment.split(';').next().unwrap_or_default())
        .collect();
    let kept = segments.join("/");
    let merged = merge_slashes(&segments);
    let mut above_root = false;
    for path in [kept, merged] {
        let (reading, climbed) = resolve_dots(&path);
        above_root |= climbed;
        if reading != raw && !out.contains(&reading) {
            out.push(reading);
        }
    }
    above_root
}

/// The segments joined with `/`, empty ones dropped (but a leading and a
/// trailing `/` kept).
fn merge_slashes(segments: &[&str]) -> String {
    let inner: Vec<&str> = segments.iter().copied().filter(|s| !s.is_empty()).collect();
    let mut out = inner.join("/");
    if segments.first().is_some_and(|s| s.is_empty()) {
        out.insert(0, '/');
    }
    if segments.len() > 1 && segments.last().is_some_and(|s| s.is_empty()) && !inner.is_empty() {
        out.push('/');
    }
    out
}

/// Control characters and U+FFFD (invalid UTF-8 once decoded, such as the
/// overlong `%c0%ae` some servers read as `.`) make a reading doubtful.
fn doubtful(path: &str) -> bool {
    path.chars().any(|c| c.is_control() || c == '\u{fffd}')
}

/// RFC 3986 §5.2.4 `remove_dot_segments`: `.` and `..` segments resolved,
/// a `..` at the root dropped.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::route::remove_dot_segments;
/// assert_eq!(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
/// assert_eq!(remove_dot_segments("mid/content=5/../6"), "mid/6");
/// ```
pub fn remove_dot_segments(path: &str) -> String {
    resolve_dots(path).0
}

/// [`remove_dot_segments`], and whether a `..` climbed above the root.
fn resolve_dots(path: &str) -> (String, bool) {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    let mut climbed = false;
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            input = rest; // A
        } else if input.starts_with("/./") || input == "/." {
            input = if input == "/." { "/" } else { &input[2..] }; // B
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." { "/" } else { &input[3..] }; // C
            climbed |= !pop_segment(&mut output);
        } else if input == "." || input == ".." {
            input = ""; // D
        } else {
            // E: the first segment, with its leading `/`, moves to the output.
            let start = usize::from(input.starts_with('/'));
            let end = input[start..]
                .find('/')
                .map_or(input.len(), |at| at + start);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    (output, climbed)
}

/// Removes the last segment of `output` and its `/`; `false` when there was
/// none (a `..` at the root).
fn pop_segment(output: &mut String) -> bool {
    let had = !output.is_empty();
    output.truncate(output.rfind('/').unwrap_or(0));
    had
}

#[cfg(test)]
mod tests;
