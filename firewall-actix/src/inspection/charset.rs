//! Bodies in a charset other than UTF-8. Actix's `Form` and `String`
//! extractors decode the body with the `charset` of its `Content-Type`
//! (`utf-16le`, `iso-2022-jp`, ...), so the WAF inspects the same text, not
//! the bytes: in UTF-16 every character carries a NUL, and in ISO-2022-JP
//! escape sequences can split every word without changing the decoded text.

use std::borrow::Cow;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpMessage as _, HttpRequest};
use firewall_core::waf::multipart;

/// `body` as UTF-8 text when the request declares another charset that
/// decodes it; else `body` unchanged (a charset Actix does not know, or bytes
/// invalid in it, make its extractors refuse the body anyway, and a handler
/// that reads raw bytes reads these). `content_type` is the request's first
/// `Content-Type` header as text (with replacement characters for bytes
/// that are not UTF-8), which the WAF reads too.
/// A multipart body stays bytes: `actix-multipart` reads its delimiters and
/// fields from the bytes, whatever charset the request names.
pub(crate) fn as_utf8<'a>(
    req: &HttpRequest,
    content_type: &str,
    body: Cow<'a, [u8]>,
) -> Cow<'a, [u8]> {
    // Without a `charset` parameter Actix reads UTF-8 (or fails to parse
    // the type, and reads the bytes as they are): no need to parse the
    // type (`mime` allocates) to learn it.
    if multipart::is_multipart(content_type) || !names_a_charset(content_type) {
        return body;
    }
    // Actix parses the whole first `Content-Type` header only when it is
    // visible ASCII (its `to_str`); one that is not is an error, and the
    // body is read as it is. (Such a header can still read as multipart or
    // name a charset above, with replacement characters: the body stays
    // as it is either way.)
    let declared = req.headers().get(CONTENT_TYPE).map(|v| v.to_str());
    if !matches!(declared, Some(Ok(value)) if names_a_charset(value)) {
        return body;
    }
    let Ok(encoding) = req.encoding() else {
        return body;
    };
    if encoding.name() == "UTF-8" {
        return body;
    }
    match encoding.decode_without_bom_handling_and_without_replacement(&body) {
        Some(text) => Cow::Owned(text.into_owned().into_bytes()),
        None => body,
    }
}

/// Whether `content_type` holds `charset`, in any case: a type without it
/// has no charset parameter.
fn names_a_charset(content_type: &str) -> bool {
    // A parameter needs a `=`: most types have none, and one search for it
    // is cheaper than looking for the name at every offset.
    content_type.contains('=')
        && content_type
            .as_bytes()
            .windows(b"charset".len())
            .any(|w| w.eq_ignore_ascii_case(b"charset"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use actix_web::test::TestRequest;

    fn decoded(content_type: &str, body: &[u8]) -> Vec<u8> {
        decoded_with(HeaderValue::from_str(content_type).unwrap(), body)
    }

    fn decoded_with(content_type: HeaderValue, body: &[u8]) -> Vec<u8> {
        let req = TestRequest::default()
            .insert_header((CONTENT_TYPE, content_type))
            .to_http_request();
        let text = String::from_utf8_lossy(req.headers().get(CONTENT_TYPE).unwrap().as_bytes());
        as_utf8(&req, &text, Cow::Borrowed(body)).into_owned()
    }

    #[test]
    fn a_content_type_actix_cannot_read_leaves_the_body_as_it_is() {
        let utf16: Vec<u8> = "a=<b>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        for value in [
            &b"application/x-www-form-urlencoded; charset=utf-16le; x=\xe9"[..],
            b"multipart/form-data; boundary=\xe9; charset=utf-16le",
        ] {
            let value = HeaderValue::from_bytes(value).unwrap();
            assert!(value.to_str().is_err());
            assert_eq!(decoded_with(value, &utf16), utf16);
        }
    }

    #[test]
    fn utf16_and_iso_2022_jp_become_the_text_the_extractors_see() {
        let utf16: Vec<u8> = "a=<b>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let ct = "application/x-www-form-urlencoded; charset=utf-16le";
        assert_eq!(decoded(ct, &utf16), b"a=<b>");
        let jp = b"a=\x1b(B<\x1b(Bb\x1b(B>";
        let ct = "application/x-www-form-urlencoded; charset=iso-2022-jp";
        assert_eq!(decoded(ct, jp), b"a=<b>");
    }

    #[test]
    fn a_charset_named_in_capitals_is_decoded_too() {
        let utf16: Vec<u8> = "a=<b>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let ct = "application/x-www-form-urlencoded; CharSet=UTF-16LE";
        assert_eq!(decoded(ct, &utf16), b"a=<b>");
        assert_eq!(decoded("text/plain", &utf16), utf16);
    }

    #[test]
    fn multipart_bodies_stay_bytes_whatever_their_charset() {
        let utf16: Vec<u8> = "--B\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let ct = "multipart/form-data; boundary=B; charset=utf-16le";
        assert_eq!(decoded(ct, &utf16), utf16);
    }

    #[test]
    fn utf8_unknown_and_undecodable_bodies_stay_as_they_are() {
        let form = "application/x-www-form-urlencoded";
        assert_eq!(decoded(form, b"a=\xff"), b"a=\xff");
        assert_eq!(decoded(&format!("{form}; charset=utf-8"), b"a=1"), b"a=1");
        assert_eq!(decoded(&format!("{form}; charset=klingon"), b"a=1"), b"a=1");
        assert_eq!(
            decoded(&format!("{form}; charset=utf-16le"), b"odd"),
            b"odd"
        );
    }
}
