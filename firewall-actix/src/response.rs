//! The answers a refused request gets.

use std::cell::RefCell;
use std::sync::Arc;

use actix_web::http::header::{ContentType, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::HttpResponse;
use firewall_core::{RateLimitHeaders, Stopped};

/// The body of every refusal, as the seed logs it: `403 Forbidden: Access denied by Firewall.`
///
/// # Examples
///
/// ```
/// assert_eq!(firewall_actix::DENIED_BODY, "Access denied by Firewall.");
/// ```
pub const DENIED_BODY: &str = "Access denied by Firewall.";

/// `403 Forbidden`, `text/plain; charset=utf-8`, body [`DENIED_BODY`].
///
/// # Examples
///
/// ```
/// let res = firewall_actix::denied();
/// assert_eq!(res.status(), actix_web::http::StatusCode::FORBIDDEN);
/// ```
pub fn denied() -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type(ContentType::plaintext())
        .body(DENIED_BODY)
}

/// `500 Internal Server Error` for a handler guarded by `#[firewall]` on an
/// app that registered no `Firewall`: a setup mistake, not the client's.
pub(crate) fn misconfigured() -> HttpResponse {
    HttpResponse::InternalServerError()
        .content_type(ContentType::plaintext())
        .body("Firewall misconfigured: the request was refused.")
}

/// `413 Payload Too Large` for a body longer than the WAF may inspect.
pub(crate) fn too_large(limit: usize) -> HttpResponse {
    HttpResponse::PayloadTooLarge()
        .content_type(ContentType::plaintext())
        .body(format!(
            "Request body too large: the firewall inspects at most {limit} bytes."
        ))
}

/// `415 Unsupported Media Type` for a body in an encoding the WAF cannot decode.
pub(crate) fn unsupported_encoding(coding: &str) -> HttpResponse {
    HttpResponse::UnsupportedMediaType()
        .content_type(ContentType::plaintext())
        .body(format!(
            "Request body encoding not supported: the firewall cannot inspect Content-Encoding {coding:?}."
        ))
}

/// `400 Bad Request` for a body that is not valid in its declared encoding.
pub(crate) fn bad_body(coding: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type(ContentType::plaintext())
        .body(format!("Request body is not valid {coding}."))
}

/// The answer to a request the ban, ACL or limit stage refused: `403` with
/// [`DENIED_BODY`], or `429 Too Many Requests` with `Retry-After`,
/// `RateLimit-Policy` and `RateLimit`.
pub(crate) fn refusal(stopped: &Stopped) -> HttpResponse {
    match stopped {
        Stopped::RateLimited { headers, .. } => too_many_requests(headers),
        _ => denied(),
    }
}

/// `429 Too Many Requests` with the limit's headers.
pub(crate) fn too_many_requests(headers: &RateLimitHeaders) -> HttpResponse {
    let mut response = HttpResponse::TooManyRequests()
        .content_type(ContentType::plaintext())
        .body("Too many requests: slow down and retry later.");
    insert_rate_headers(response.headers_mut(), headers);
    response
}

/// `RateLimit-Policy`, the IETF httpapi draft's header naming the quota.
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`, the draft's header with what the client has left.
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Adds `RateLimit-Policy`, `RateLimit` and (on a refusal) `Retry-After`.
pub(crate) fn insert_rate_headers(map: &mut HeaderMap, headers: &RateLimitHeaders) {
    // Limit names are letters, digits, `-`, `_`, `.`: always a valid value.
    if let Some(value) = policy_value(headers) {
        map.insert(RATELIMIT_POLICY, value);
    }
    if let Some(value) = headers.state().and_then(|v| HeaderValue::from_str(v).ok()) {
        map.insert(RATELIMIT, value);
    }
    if let Some(secs) = headers.retry_after() {
        map.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
}

/// The `RateLimit-Policy` value. The text of one limit is the same on every
/// response, so the worker keeps the value it made last and clones it (a
/// reference count) while the limiter's text is the same allocation.
fn policy_value(headers: &RateLimitHeaders) -> Option<HeaderValue> {
    thread_local! {
        static LAST: RefCell<Option<(Arc<str>, HeaderValue)>> = const { RefCell::new(None) };
    }
    let Some(text) = headers.policy_shared() else {
        return headers.policy().and_then(|v| HeaderValue::from_str(v).ok());
    };
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((seen, value)) = last.as_ref() {
            if Arc::ptr_eq(seen, text) {
                return Some(value.clone());
            }
        }
        let value = HeaderValue::from_str(text).ok()?;
        *last = Some((text.clone(), value.clone()));
        Some(value)
    })
}
