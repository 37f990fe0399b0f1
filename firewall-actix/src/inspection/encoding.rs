//! Compressed request bodies (`Content-Encoding`). Actix decodes a gzip or
//! deflate body before the handler's extractors read it (and brotli or zstd
//! when the app enables those features), so the WAF must inspect the decoded
//! bytes: a body it cannot decode is refused, never passed uninspected.

use std::borrow::Cow;
use std::fmt;
use std::io::Read;

use actix_web::http::header::{HeaderMap, CONTENT_ENCODING};
use actix_web::HttpResponse;
use flate2::read::{MultiGzDecoder, ZlibDecoder};

use crate::response::{bad_body, unsupported_encoding};

/// The longest `Content-Encoding` value quoted back in a log line or answer.
const QUOTED: usize = 64;

/// The body as the handler will read it, at most `limit` bytes of it.
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    /// The decoded bytes (the body itself when it is not encoded).
    pub(crate) bytes: Cow<'a, [u8]>,
    /// The decoded body is longer than the limit (only a prefix is here).
    pub(crate) over: bool,
}

/// Why a body cannot be inspected.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Undecodable {
    /// A `Content-Encoding` the WAF does not decode (brotli, zstd, a list, an unknown name).
    Unsupported(String),
    /// The body is not valid in its declared encoding.
    Corrupt(&'static str),
}

impl fmt::Display for Undecodable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported(coding) => write!(
                f,
                "Request body with Content-Encoding {coding:?}, which the WAF cannot decode"
            ),
            Self::Corrupt(coding) => write!(f, "Request body is not valid {coding}"),
        }
    }
}

impl Undecodable {
    /// `415` for an encoding the WAF does not decode, `400` for a corrupt body.
    pub(crate) fn response(&self) -> HttpResponse {
        match self {
            Self::Unsupported(coding) => unsupported_encoding(coding),
            Self::Corrupt(coding) => bad_body(coding),
        }
    }
}

/// Decodes `body` (all of it, or its first bytes when `truncated`) as its
/// `Content-Encoding` says, keeping at most `limit` decoded bytes.
pub(crate) fn decode<'a>(
    headers: &HeaderMap,
    body: &'a [u8],
    limit: usize,
    truncated: bool,
) -> Result<Decoded<'a>, Undecodable> {
    let codings = codings(headers)?;
    match codings.as_slice() {
        [] => Ok(Decoded {
            bytes: Cow::Borrowed(body),
            over: truncated,
        }),
        [one] if one == "gzip" || one == "x-gzip" => {
            inflate(MultiGzDecoder::new(body), limit, truncated, "gzip")
        }
        [one] if one == "deflate" => inflate(ZlibDecoder::new(body), limit, truncated, "deflate"),
        _ => Err(Undecodable::Unsupported(quoted(&codings.join(", ")))),
    }
}

/// The codings of every `Content-Encoding` header, lower case, without
/// `identity`.
fn codings(headers: &HeaderMap) -> Result<Vec<String>, Undecodable> {
    let mut out = Vec::new();
    for value in headers.get_all(CONTENT_ENCODING) {
        let text = value.to_str().map_err(|_| {
            Undecodable::Unsupported(quoted(&String::from_utf8_lossy(value.as_bytes())))
        })?;
        out.extend(
            text.split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty() && c != "identity"),
        );
    }
    Ok(out)
}

fn quoted(text: &str) -> String {
    text.chars().take(QUOTED).collect()
}

/// Reads up to `limit + 1` decoded bytes (the extra one tells a longer body).
/// A decoding error is a corrupt body, unless the input was cut short by the
/// limit: then what was decoded is a prefix, and it is inspected.
fn inflate<'a>(
    decoder: impl Read,
    limit: usize,
    truncated: bool,
    coding: &'static str,
) -> Result<Decoded<'a>, Undecodable> {
    let mut out = Vec::new();
    let read = decoder
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut out);
    let over = out.len() > limit;
    out.truncate(limit);
    match read {
        Ok(_) => Ok(Decoded {
            bytes: Cow::Owned(out),
            over: over || truncated,
        }),
        Err(_) if truncated => Ok(Decoded {
            bytes: Cow::Owned(out),
            over: true,
        }),
        Err(_) => Err(Undecodable::Corrupt(coding)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn headers(coding: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(CONTENT_ENCODING, HeaderValue::from_str(coding).unwrap());
        map
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn plain_and_identity_bodies_are_inspected_as_they_are() {
        for map in [HeaderMap::new(), headers("identity"), headers(" Identity ")] {
            let decoded = decode(&map, b"id=1", 100, false).unwrap();
            assert_eq!((&*decoded.bytes, decoded.over), (&b"id=1"[..], false));
        }
    }

    #[test]
    fn gzip_is_decoded_and_a_bomb_stops_at_the_limit() {
        let body = gzip(b"id=1' or '1'='1");
        let decoded = decode(&headers("GZIP"), &body, 100, false).unwrap();
        assert_eq!(&*decoded.bytes, b"id=1' or '1'='1");
        let bomb = gzip(&vec![b'a'; 10_000_000]);
        let decoded = decode(&headers("gzip"), &bomb, 1000, false).unwrap();
        assert_eq!((decoded.bytes.len(), decoded.over), (1000, true));
    }

    #[test]
    fn unsupported_and_corrupt_bodies_are_refused_with_their_reason() {
        let err = decode(&headers("br"), b"x", 100, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Request body with Content-Encoding \"br\", which the WAF cannot decode"
        );
        assert_eq!(err.response().status(), 415);
        let err = decode(&headers("gzip, gzip"), b"x", 100, false).unwrap_err();
        assert_eq!(err, Undecodable::Unsupported("gzip, gzip".into()));
        let err = decode(&headers("gzip"), b"not gzip at all", 100, false).unwrap_err();
        assert_eq!(err.to_string(), "Request body is not valid gzip");
        assert_eq!(err.response().status(), 400);
    }

    #[test]
    fn a_body_cut_at_the_limit_is_inspected_as_far_as_it_decodes() {
        let whole = gzip(b"comment=hello world, and more text to compress");
        let decoded = decode(&headers("gzip"), &whole[..whole.len() - 8], 100, true).unwrap();
        assert!(decoded.over);
        assert!(
            decoded.bytes.starts_with(b"comment=hello"),
            "{:?}",
            decoded.bytes
        );
    }
}
