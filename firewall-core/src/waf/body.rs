//! Body parsers: urlencoded forms, JSON (every key and string), multipart
//! (field values and file names) and raw text, each pushing [`Target`]s.
//!
//! A body that does not parse as its content type says is inspected as raw
//! text rather than skipped.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::Value;

use super::multipart;
use super::protocol::FormReading;
use super::target::{Location, Target};
use super::transform;
use super::xml;

/// Deepest JSON nesting walked; deeper values are inspected as raw text.
const MAX_JSON_DEPTH: usize = 64;

/// Pushes the names and values of an `a=1&b=2` string, percent-decoded once
/// with `+` as space, noting in `reading` what the protocol checks ask of
/// them (it is marked whole by the caller, which knows whether `raw` is
/// all of the text).
pub(crate) fn push_urlencoded<'a>(
    raw: &'a str,
    out: &mut Vec<Target<'a>>,
    reading: &mut FormReading<'a>,
) {
    // `memchr` finds the separators a vector at a time (`str::split` took
    // 4% of an inspection of a 1 KB form).
    let mut start = 0;
    let ends = memchr::memchr_iter(b'&', raw.as_bytes()).chain([raw.len()]);
    for end in ends {
        // `&` and `=` are ASCII: every cut is at a character boundary.
        let pair = &raw[start..end];
        start = end + 1;
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match memchr::memchr(b'=', pair.as_bytes()) {
            Some(eq) => (&pair[..eq], &pair[eq + 1..]),
            None => (pair, ""),
        };
        let raw_name = name;
        let name = transform::form_decode_tallied(name, &mut reading.tally);
        out.push(Target::body(Location::ArgName(name.clone()), name.clone()));
        let name_len = name.len();
        let mut value_len = 0;
        if !value.is_empty() {
            let value = transform::form_decode_tallied(value, &mut reading.tally);
            value_len = value.len();
            out.push(Target::body(Location::Arg(name), value));
        }
        reading.argument(raw_name, name_len, value_len);
    }
}

/// Pushes what a body carries, by content type; `complete` is `false` when
/// `body` is only the first bytes of the request's body. A form read whole
/// from `body` itself leaves its [`FormReading`] in `reading`.
pub(crate) fn push_body<'a>(
    content_type: &str,
    body: &'a [u8],
    complete: bool,
    out: &mut Vec<Target<'a>>,
    reading: &mut FormReading<'a>,
) {
    if body.is_empty() {
        return;
    }
    if multipart::is_multipart(content_type) {
        push_multipart(content_type, body, complete, out);
        return;
    }
    let text = match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(body),
    };
    // Compared ignoring case, not lower-cased: no copy of the type.
    let mime = content_type.split(';').next().unwrap_or("").trim();
    let is = |name: &str| mime.eq_ignore_ascii_case(name);
    let ends_with = |suffix: &str| {
        mime.len() >= suffix.len()
            && mime.as_bytes()[mime.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    if mime.is_empty() || is("application/x-www-form-urlencoded") {
        match text {
            Cow::Borrowed(text) => {
                push_urlencoded(text, out, reading);
                reading.whole = complete;
            }
            Cow::Owned(text) => {
                let mut owned = Vec::new();
                push_urlencoded(&text, &mut owned, &mut FormReading::default());
                for target in owned {
                    out.push(target.into_owned());
                }
            }
        }
    } else if is("application/json") || ends_with("+json") {
        push_json(&text, out);
    } else if ends_with("/xml") || ends_with("+xml") {
        xml::push_xml(&text, out);
    } else {
        out.push(Target::body(Location::Body, text.into_owned()));
    }
}

fn push_json(text: &str, out: &mut Vec<Target<'_>>) {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => walk_json(value, &mut String::from("json"), 0, out),
        Err(_) => out.push(Target::body(Location::Body, text.to_owned())),
    }
}

/// Pushes the keys and the strings and numbers of `value`, found at
/// `path` (which it extends and restores as it goes down). Takes the
/// value, so that its strings move into targets instead of being copied.
fn walk_json(value: Value, path: &mut String, depth: usize, out: &mut Vec<Target<'_>>) {
    if depth > MAX_JSON_DEPTH {
        let text = value.to_string();
        out.push(Target::body(Location::Arg(path.clone().into()), text));
        return;
    }
    let at = path.len();
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                path.push('.');
                path.push_str(&key);
                // A prototype pollution path spans two keys: read both.
                let name = if key == "prototype" && path[..at].ends_with(".constructor") {
                    "constructor.prototype".to_owned()
                } else {
                    key
                };
                out.push(Target::body(Location::ArgName(path.clone().into()), name));
                walk_json(item, path, depth + 1, out);
                path.truncate(at);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                let _ = write!(path, ".{i}");
                walk_json(item, path, depth + 1, out);
                path.truncate(at);
            }
        }
        Value::String(s) => out.push(Target::body(Location::Arg(path.clone().into()), s)),
        Value::Number(n) => out.push(Target::body(
            Location::Arg(path.clone().into()),
            n.to_string(),
        )),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Pushes the names, values and file names of a multipart body as
/// `actix-multipart` reads it ([`multipart`]); a body it refuses is
/// inspected as raw text (the integration refuses it before: see
/// [`multipart::parse`]). File contents are not inspected.
fn push_multipart<'a>(
    content_type: &str,
    body: &'a [u8],
    complete: bool,
    out: &mut Vec<Target<'a>>,
) {
    let Ok(fields) = multipart::parse(content_type, body, complete) else {
        out.push(Target::body(
            Location::Body,
            String::from_utf8_lossy(body).into_owned(),
        ));
        return;
    };
    for field in fields {
        let name: Cow<'a, str> = field.name.unwrap_or_default().into();
        out.push(Target::body(Location::ArgName(name.clone()), name.clone()));
        match field.filename {
            Some(file) => out.push(Target::body(Location::FileName(name), file)),
            None => out.push(Target::body(
                Location::Arg(name),
                String::from_utf8_lossy(field.content),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(content_type: &str, body: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        push_body(
            content_type,
            body.as_bytes(),
            true,
            &mut out,
            &mut FormReading::default(),
        );
        out.into_iter()
            .map(|t| (t.location.to_string(), t.value.into_owned()))
            .collect()
    }

    #[test]
    fn form_pairs_names_and_values() {
        let got = collect(
            "application/x-www-form-urlencoded",
            "&a=1&&b=x%27+y&flag&c=&=v&d=1=2&",
        );
        let want = [
            ("ARGS_NAMES:a", "a"),
            ("ARGS:a", "1"),
            ("ARGS_NAMES:b", "b"),
            ("ARGS:b", "x' y"),
            ("ARGS_NAMES:flag", "flag"),
            ("ARGS_NAMES:c", "c"),
            ("ARGS_NAMES:", ""),
            ("ARGS:", "v"),
            ("ARGS_NAMES:d", "d"),
            ("ARGS:d", "1=2"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(l, v)| ((*l).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(got, want);
    }

    proptest::proptest! {
        /// The pairs are those `str::split` gives (the code before memchr).
        #[test]
        fn form_pairs_are_split_as_by_the_standard_library(raw in "[a&=é%2+]{0,24}") {
            let mut got = Vec::new();
            push_urlencoded(&raw, &mut got, &mut FormReading::default());
            let mut want = Vec::new();
            for pair in raw.split('&').filter(|p| !p.is_empty()) {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let name = transform::form_decode_cow(name);
                want.push((Location::ArgName(name.clone()).to_string(), name.clone().into_owned()));
                if !value.is_empty() {
                    want.push((Location::Arg(name).to_string(), transform::form_decode_cow(value).into_owned()));
                }
            }
            let got: Vec<(String, String)> = got
                .into_iter()
                .map(|t| (t.location.to_string(), t.value.into_owned()))
                .collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn json_keys_and_strings_are_targets() {
        let got = collect("application/json", r#"{"a":{"b":["x' or 1=1"]},"n":3}"#);
        assert!(
            got.contains(&("ARGS:json.a.b.0".into(), "x' or 1=1".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("ARGS_NAMES:json.n".into(), "n".into())),
            "{got:?}"
        );
    }

    #[test]
    fn a_prototype_key_under_constructor_is_read_with_it() {
        let got = collect(
            "application/json",
            r#"{"constructor":{"prototype":{"x":1}}}"#,
        );
        assert!(
            got.contains(&(
                "ARGS_NAMES:json.constructor.prototype".into(),
                "constructor.prototype".into()
            )),
            "{got:?}"
        );
        let got = collect("application/json", r#"{"item":{"prototype":1}}"#);
        assert!(
            got.contains(&("ARGS_NAMES:json.item.prototype".into(), "prototype".into())),
            "{got:?}"
        );
    }

    #[test]
    fn invalid_json_is_inspected_raw() {
        assert_eq!(
            collect("application/json", "{oops"),
            [("REQUEST_BODY".into(), "{oops".into())]
        );
    }

    #[test]
    fn multipart_values_and_file_names() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nhello\r\n--XX\r\n\
                    Content-Disposition: form-data; name=\"f\"; filename=\"../a.php\"\r\n\r\nBIN\r\n--XX--\r\n";
        let got = collect("multipart/form-data; boundary=XX", body);
        assert!(got.contains(&("ARGS:c".into(), "hello".into())), "{got:?}");
        assert!(
            got.contains(&("FILES:f".into(), "../a.php".into())),
            "{got:?}"
        );
        assert!(!got.iter().any(|(_, v)| v == "BIN"), "{got:?}");
    }

    #[test]
    fn a_multipart_value_holding_the_boundary_text_is_one_value() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n\
                    x--XX<script>alert(1)</script>\r\n--XX--\r\n";
        let got = collect("multipart/form-data; boundary=XX", body);
        assert_eq!(
            got,
            [
                ("ARGS_NAMES:c".into(), "c".into()),
                ("ARGS:c".into(), "x--XX<script>alert(1)</script>".into())
            ]
        );
        let unterminated = "--XX\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nx";
        assert_eq!(
            collect("multipart/form-data; boundary=XX", unterminated),
            [("REQUEST_BODY".into(), unterminated.into())]
        );
    }
}
