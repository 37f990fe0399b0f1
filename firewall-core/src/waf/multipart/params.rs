//! The parameters a multipart body depends on: the request's `boundary`
//! (read as the `mime` crate reads it for `actix-multipart`) and each part's
//! `Content-Disposition` (read as actix-web's `ContentDisposition::from_raw`
//! reads it). Anything those readers would take one way and another reader
//! another way is refused instead.

use super::MultipartError;

/// The longest boundary RFC 2046 allows.
const MAX_BOUNDARY: usize = 70;

/// The `boundary` parameter of a `multipart/*` content type.
///
/// Refused: no boundary, an empty one, one given twice, one with characters
/// RFC 2046 does not allow (or a space at its end), and any other
/// parameter holding a quote or a backslash, since readers disagree on
/// where a quoted string ends.
pub(super) fn boundary(content_type: &str) -> Result<&str, MultipartError> {
    let mut found = None;
    let mut params = content_type.split(';').skip(1).peekable();
    while let Some(param) = params.next() {
        if param.trim().is_empty() && params.peek().is_none() {
            break;
        }
        let Some((key, value)) = param.split_once('=') else {
            return Err(MultipartError::Boundary("a parameter is not key=value"));
        };
        let key = key.trim_start_matches(' ');
        if key.is_empty() || !key.bytes().all(is_token) {
            return Err(MultipartError::Boundary("a parameter is not key=value"));
        }
        if !key.eq_ignore_ascii_case("boundary") {
            if value.contains(['"', '\\']) {
                return Err(MultipartError::Boundary("a parameter holds a quote"));
            }
            continue;
        }
        if found.is_some() {
            return Err(MultipartError::Boundary("boundary given twice"));
        }
        found = Some(match value.strip_prefix('"') {
            Some(rest) => rest
                .trim_end_matches(' ')
                .strip_suffix('"')
                .ok_or(MultipartError::Boundary("unterminated quotes"))?,
            None if value.bytes().all(is_token) => value,
            None => return Err(MultipartError::Boundary("unquoted boundary is not a token")),
        });
    }
    let boundary = found.ok_or(MultipartError::Boundary("no boundary"))?;
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b);
    if boundary.is_empty()
        || boundary.len() > MAX_BOUNDARY
        || boundary.ends_with(' ')
        || !boundary.bytes().all(allowed)
    {
        return Err(MultipartError::Boundary(
            "not 1 to 70 characters RFC 2046 allows",
        ));
    }
    Ok(boundary)
}

/// What a part's `Content-Disposition` names.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Disposition {
    /// `name`, if given.
    pub(super) name: Option<String>,
    /// `filename`, if given.
    pub(super) filename: Option<String>,
}

/// Reads a `Content-Disposition` value as actix-web does, refusing what it
/// would read differently from other readers: a type other than
/// `form-data`, a parameter given twice, an extended parameter
/// (`filename*`), text after a closing quote, bytes that are not UTF-8.
pub(super) fn disposition(value: &[u8]) -> Result<Disposition, &'static str> {
    let value = std::str::from_utf8(value).map_err(|_| "not UTF-8")?;
    let (kind, mut left) = split_trimmed(value.trim(), ';');
    if !kind.eq_ignore_ascii_case("form-data") {
        return Err("not form-data");
    }
    let mut out = Disposition::default();
    while !left.is_empty() {
        let (key, rest) = split_trimmed(left, '=');
        if key.is_empty() || rest.is_empty() || !key.bytes().all(is_token) {
            return Err("a parameter is not key=value");
        }
        if key.ends_with('*') {
            return Err("extended parameter (such as filename*)");
        }
        let value;
        (value, left) = if let Some(quoted) = rest.strip_prefix('"') {
            unquote(quoted)?
        } else {
            let (token, rest) = split_trimmed(rest, ';');
            if token.is_empty() {
                return Err("empty parameter value");
            }
            (token.to_owned(), rest)
        };
        let slot = if key.eq_ignore_ascii_case("name") {
            &mut out.name
        } else if key.eq_ignore_ascii_case("filename") {
            &mut out.filename
        } else {
            continue;
        };
        if slot.replace(value).is_some() {
            return Err("a parameter given twice");
        }
    }
    Ok(out)
}

/// A quoted string after its opening quote, as actix-web reads it (a
/// backslash keeps the next byte), and what follows its `;`.
fn unquote(text: &str) -> Result<(String, &str), &'static str> {
    let mut value = Vec::new();
    let mut escaping = false;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if escaping {
            escaping = false;
            value.push(b);
        } else if b == b'\\' {
            escaping = true;
        } else if b == b'"' {
            let after = &text[i + 1..];
            let (between, left) = after.split_once(';').unwrap_or((after, ""));
            if !between.trim().is_empty() {
                return Err("text after a closing quote");
            }
            let value = String::from_utf8(value).map_err(|_| "not UTF-8")?;
            return Ok((value, left.trim_start()));
        } else {
            value.push(b);
        }
    }
    Err("unterminated quotes")
}

/// `haystack` cut at the first `needle` (all of it when there is none),
/// the first half trimmed at its end and the second at its start.
fn split_trimmed(haystack: &str, needle: char) -> (&str, &str) {
    let (first, last) = haystack.split_once(needle).unwrap_or((haystack, ""));
    (first.trim_end(), last.trim_start())
}

/// An RFC 9110 token character.
pub(super) fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_plain_and_quoted_are_read_odd_ones_refused() {
        let ok = |ct: &str| boundary(ct).unwrap().to_owned();
        assert_eq!(ok("multipart/form-data; boundary=XX"), "XX");
        assert_eq!(
            ok("multipart/form-data; BOUNDARY=\"a b\"; charset=x"),
            "a b"
        );
        for odd in [
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\"\"",
            "multipart/form-data; boundary=a; boundary=b",
            "multipart/form-data; boundary=\"a",
            "multipart/form-data; boundary=a b",
            "multipart/form-data; boundary=a\\b",
            "multipart/form-data; x=\"; boundary=b\"; boundary=a",
        ] {
            assert!(boundary(odd).is_err(), "{odd}");
        }
    }

    #[test]
    fn dispositions_read_as_actix_reads_them() {
        let d = disposition(b"form-data; name=\"a\\\"b\"; filename=x.txt").unwrap();
        assert_eq!(d.name.as_deref(), Some("a\"b"));
        assert_eq!(d.filename.as_deref(), Some("x.txt"));
        assert_eq!(
            disposition(b"Form-Data;name=a;").unwrap().name.as_deref(),
            Some("a")
        );
        for (odd, why) in [
            (&b"attachment; name=a"[..], "not form-data"),
            (b"form-data; name=a; name=b", "a parameter given twice"),
            (b"form-data; name=\"a\"b", "text after a closing quote"),
            (
                b"form-data; name=a; filename*=utf-8''x",
                "extended parameter (such as filename*)",
            ),
            (b"form-data; name=\"a", "unterminated quotes"),
            (b"form-data; name", "a parameter is not key=value"),
            (b"form-data; name=\xff", "not UTF-8"),
        ] {
            assert_eq!(
                disposition(odd),
                Err(why),
                "{}",
                String::from_utf8_lossy(odd)
            );
        }
    }
}
