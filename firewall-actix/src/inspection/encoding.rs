//! Compressed request bodies (`Content-Encoding`), decoded by the decoder
//! Actix's body extractors use (`actix_web::dev::Decompress`, with the
//! `compress-*` features the app's actix-web was built with), so the WAF
//! inspects exactly the bytes `web::Bytes`, `String`, `Form` and `Json` read.
//!
//! Those extractors decode one coding, named by the first `Content-Encoding`
//! header, and hand over every other body as it is: a list (`gzip, br`), an
//! unknown name, or a coding whose feature is off. The WAF refuses a body
//! declared in such a coding (`415`) rather than inspect bytes the handler
//! could only use by decoding them itself; a body that is not valid in its
//! coding gets `400`, and a body that decodes past the limit `413`.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use actix_web::dev::Decompress;
use actix_web::http::header::{ContentEncoding, HeaderMap, CONTENT_ENCODING};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::{stream, FutureExt as _, StreamExt as _};

use crate::response::{bad_body, unsupported_encoding};

/// The longest `Content-Encoding` value quoted back in a log line or answer.
const QUOTED: usize = 64;

/// Input bytes handed to Actix's decoder at a time for `coding`. Below its
/// 2,049 they are decoded in place (no blocking task), and what one step may
/// add before the limit is checked stays small: a step's output is its input
/// times the coding's ratio, which for brotli reaches 660,000 (405 bytes
/// decode to 256 MiB). Measured on such bombs (release build): brotli by 4
/// bytes adds at most 8 MiB a step, by 16 bytes 16 MiB, by 512 bytes
/// 256 MiB; zstd by 64 bytes 2 MiB; deflate tops out near 1,032 times
/// (512 KiB by 512 bytes). Smaller slices cost time: 108 KB of brotli
/// decode in 2.8 ms by 512 bytes, 6.4 ms by 4.
fn slice_len(coding: ContentEncoding) -> usize {
    match coding {
        ContentEncoding::Brotli => 8,
        ContentEncoding::Zstd => 64,
        _ => 512,
    }
}

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
    /// A `Content-Encoding` Actix's extractors do not decode (a list, an
    /// unknown name, a coding whose actix-web feature is off).
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

/// Decodes `body` (all of it, or its first bytes when `truncated`) as Actix's
/// extractors will, keeping at most `limit` decoded bytes.
pub(crate) fn decode<'a>(
    headers: &HeaderMap,
    body: &'a Bytes,
    limit: usize,
    truncated: bool,
) -> Result<Decoded<'a>, Undecodable> {
    match coding(headers)? {
        None => Ok(Decoded {
            bytes: Cow::Borrowed(body),
            over: truncated,
        }),
        Some(coding) => through_actix(coding, body, limit, truncated),
    }
}

/// The coding Actix's extractors decode the body from (`None`: they read it
/// as it is, and nothing else is declared); an error when a coding is
/// declared that they would not decode.
fn coding(headers: &HeaderMap) -> Result<Option<ContentEncoding>, Undecodable> {
    let declared = declared(headers)?;
    if declared.is_empty() {
        return Ok(None);
    }
    // As `Decompress::from_headers`: the first header, one name, or nothing.
    let actix = headers
        .get(CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .unwrap_or(ContentEncoding::Identity);
    if declared.len() == 1 && actix != ContentEncoding::Identity && actix_decodes(actix) {
        return Ok(Some(actix));
    }
    Err(Undecodable::Unsupported(quoted(&declared.join(", "))))
}

/// The codings of every `Content-Encoding` header, lower case, without
/// `identity`.
fn declared(headers: &HeaderMap) -> Result<Vec<String>, Undecodable> {
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

/// `a`, in each coding Actix knows.
const SAMPLES: [(ContentEncoding, &[u8]); 4] = [
    (
        ContentEncoding::Gzip,
        &[
            31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 75, 4, 0, 67, 190, 183, 232, 1, 0, 0, 0,
        ],
    ),
    (
        ContentEncoding::Deflate,
        &[120, 156, 75, 4, 0, 0, 98, 0, 98],
    ),
    (ContentEncoding::Brotli, &[11, 0, 128, 97, 3]),
    (
        ContentEncoding::Zstd,
        &[40, 181, 47, 253, 4, 88, 9, 0, 0, 97, 91, 110, 140, 169],
    ),
];

/// Whether Actix's decoder, as built into this app, decodes `coding` (its
/// `compress-*` feature is on) rather than hand the body over as it is:
/// learnt once, by decoding a sample.
fn actix_decodes(coding: ContentEncoding) -> bool {
    static DECODES: OnceLock<Vec<(ContentEncoding, bool)>> = OnceLock::new();
    DECODES
        .get_or_init(|| {
            SAMPLES
                .iter()
                .map(|&(coding, sample)| {
                    let decoded = through_actix(coding, &Bytes::from_static(sample), 1, false);
                    (coding, decoded.is_ok_and(|d| *d.bytes == *b"a"))
                })
                .collect()
        })
        .iter()
        .any(|&(known, decodes)| known == coding && decodes)
}

/// Runs `body` through Actix's decoder a slice at a time, stopping once the
/// output is longer than `limit`. A decoding error is a corrupt body, unless
/// the input was cut short by the limit: then what was decoded is a prefix,
/// and it is inspected.
fn through_actix<'a>(
    coding: ContentEncoding,
    body: &Bytes,
    limit: usize,
    truncated: bool,
) -> Result<Decoded<'a>, Undecodable> {
    let step = slice_len(coding);
    let slices = (0..body.len())
        .step_by(step)
        .map(|at| Ok(body.slice(at..body.len().min(at + step))));
    let mut decoder = Decompress::new(stream::iter(slices), coding);
    let mut out = Vec::new();
    let over = loop {
        // Slices below 2,049 bytes are decoded in place: never pending.
        match decoder.next().now_or_never() {
            Some(Some(Ok(chunk))) => {
                out.extend_from_slice(&chunk);
                if out.len() > limit {
                    out.truncate(limit);
                    break true;
                }
            }
            Some(None) => break truncated,
            Some(Some(Err(_))) if truncated => break true,
            Some(Some(Err(_))) | None => return Err(Undecodable::Corrupt(coding.as_str())),
        }
    };
    Ok(Decoded {
        bytes: Cow::Owned(out),
        over,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use flate2::write::{GzEncoder, ZlibEncoder};
    use flate2::Compression;
    use std::io::Write as _;

    fn headers(codings: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for coding in codings {
            map.append(CONTENT_ENCODING, HeaderValue::from_str(coding).unwrap());
        }
        map
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        enc.write_all(data).unwrap();
        drop(enc);
        out
    }

    type Encoder = fn(&[u8]) -> Vec<u8>;

    fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::encode_all(data, 3).unwrap()
    }

    fn decoded(
        codings: &[&str],
        body: &[u8],
        limit: usize,
    ) -> Result<(Vec<u8>, bool), Undecodable> {
        let body = Bytes::copy_from_slice(body);
        decode(&headers(codings), &body, limit, false).map(|d| (d.bytes.into_owned(), d.over))
    }

    /// What an extractor reads: the whole body through Actix's decoder as
    /// one chunk (small bodies: decoded in place), or its error.
    fn as_extractors_read(coding: ContentEncoding, body: &[u8]) -> Option<Vec<u8>> {
        let chunk = Ok(Bytes::copy_from_slice(body));
        let mut decoder = Decompress::new(stream::iter([chunk]), coding);
        let mut out = Vec::new();
        while let Some(chunk) = decoder.next().now_or_never().expect("decoded in place") {
            out.extend_from_slice(&chunk.ok()?);
        }
        Some(out)
    }

    #[test]
    fn the_samples_are_a_in_their_coding_and_actix_decodes_them_here() {
        let mut gz = flate2::read::GzDecoder::new(SAMPLES[0].1);
        let mut zlib = flate2::read::ZlibDecoder::new(SAMPLES[1].1);
        let mut br = brotli::Decompressor::new(SAMPLES[2].1, 64);
        let mut zst = zstd::Decoder::new(SAMPLES[3].1).unwrap();
        let readers: [&mut dyn std::io::Read; 4] = [&mut gz, &mut zlib, &mut br, &mut zst];
        for reader in readers {
            let mut text = String::new();
            reader.read_to_string(&mut text).unwrap();
            assert_eq!(text, "a");
        }
        // The tests' actix-web has compress-gzip, -brotli and -zstd.
        for (coding, _) in SAMPLES {
            assert!(actix_decodes(coding), "{coding:?}");
        }
        assert!(!actix_decodes(ContentEncoding::Identity));
    }

    #[test]
    fn plain_and_identity_bodies_are_inspected_as_they_are() {
        for codings in [&[][..], &["identity"], &[" Identity "], &["identity", ""]] {
            assert_eq!(
                decoded(codings, b"id=1", 100),
                Ok((b"id=1".to_vec(), false))
            );
        }
    }

    #[test]
    fn each_coding_actix_decodes_is_decoded_and_a_bomb_stops_at_the_limit() {
        let text = b"id=1' or '1'='1";
        let big = vec![b'a'; 10_000_000];
        let zlib: Encoder = |data| {
            let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
            enc.write_all(data).unwrap();
            enc.finish().unwrap()
        };
        let codings: [(&str, Encoder); 4] = [
            ("GZIP", gzip),
            ("deflate", zlib),
            ("br", brotli),
            (" zstd ", zstd),
        ];
        for (coding, encode) in codings {
            assert_eq!(
                decoded(&[coding], &encode(text), 100),
                Ok((text.to_vec(), false))
            );
            let bomb = encode(&big);
            assert_eq!(
                decoded(&[coding], &bomb, 1000),
                Ok((vec![b'a'; 1000], true))
            );
        }
    }

    #[test]
    fn the_waf_reads_what_actix_extractors_read_or_refuses_what_they_refuse() {
        let text = b"comment=hello world, hello again, and goodbye";
        let samples: [(ContentEncoding, Vec<u8>); 3] = [
            (ContentEncoding::Gzip, gzip(text)),
            (ContentEncoding::Brotli, brotli(text)),
            (ContentEncoding::Zstd, zstd(text)),
        ];
        for (coding, whole) in samples {
            let mut twice = whole.clone();
            twice.extend_from_slice(&whole);
            let mut trailing = whole.clone();
            trailing.extend_from_slice(b"&q=<script>");
            let cut = whole[..whole.len() - 3].to_vec();
            for body in [whole, twice, trailing, cut, Vec::new(), b"plain".to_vec()] {
                let ours = decoded(&[coding.as_str()], &body, 4096);
                let actix = as_extractors_read(coding, &body);
                match (ours, actix) {
                    (Ok((ours, false)), Some(actix)) => assert_eq!(ours, actix),
                    (Err(Undecodable::Corrupt(_)), None) => {}
                    other => panic!("{coding:?} {body:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn codings_actix_hands_over_undecoded_are_refused_with_their_reason() {
        let err = decoded(&["compress"], b"x", 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Request body with Content-Encoding \"compress\", which the WAF cannot decode"
        );
        assert_eq!(err.response().status(), 415);
        // Actix decodes one name from the first header, and nothing else.
        for codings in [
            &["gzip, gzip"][..],
            &["gzip, br"],
            &["gzip, identity"],
            &["x-gzip"],
            &["identity", "gzip"],
            &["", "br"],
            &["gzip", "br"],
        ] {
            let err = decoded(codings, &gzip(b"a"), 100).unwrap_err();
            assert!(matches!(err, Undecodable::Unsupported(_)), "{codings:?}");
        }
        let err = decoded(&["gzip"], b"not gzip at all", 100).unwrap_err();
        assert_eq!(err.to_string(), "Request body is not valid gzip");
        assert_eq!(err.response().status(), 400);
    }

    #[test]
    fn a_second_header_saying_identity_changes_nothing() {
        assert_eq!(
            decoded(&["gzip", "identity"], &gzip(b"id=1"), 100),
            Ok((b"id=1".to_vec(), false))
        );
    }

    #[test]
    fn a_body_cut_at_the_limit_is_inspected_as_far_as_it_decodes() {
        let whole = Bytes::from(gzip(b"comment=hello world, and more text to compress"));
        let cut = whole.slice(..whole.len() - 8);
        let decoded = decode(&headers(&["gzip"]), &cut, 100, true).unwrap();
        assert!(decoded.over);
        assert!(
            decoded.bytes.starts_with(b"comment=hello"),
            "{:?}",
            decoded.bytes
        );
    }
}
