//! The answers a refused request gets.

use std::cell::RefCell;
use std::sync::Arc;

use actix_web::http::header::{ContentType, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::HttpResponse;
use firewall_core::{OneLimitState, RateLimitHeaders, Stopped};

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
    let values = match headers.one_limit() {
        Some(one) => LAST.with(|last| last.borrow_mut().values(one, headers)),
        None => made_values(headers),
    };
    if let Some((policy, state)) = values {
        map.insert(RATELIMIT_POLICY, policy);
        map.insert(RATELIMIT, state);
    }
    if let Some(secs) = headers.retry_after() {
        map.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
}

/// The `RateLimit-Policy` and `RateLimit` values of `headers`, made anew.
fn made_values(headers: &RateLimitHeaders) -> Option<(HeaderValue, HeaderValue)> {
    let policy = HeaderValue::from_str(headers.policy()?).ok()?;
    let state = HeaderValue::from_str(headers.state()?).ok()?;
    Some((policy, state))
}

thread_local! {
    /// The values this worker made last for a response one limit counted.
    static LAST: RefCell<LastValues> = const { RefCell::new(LastValues(None)) };
}

/// The header values made last, with what they were made from: the
/// limiter's policy text (kept, so its address names that limiter while
/// cached) and the two numbers of `RateLimit`. With a large quota, or a
/// client well under it, `remaining` and `reset` repeat from one response to
/// the next: the values are then clones (a reference count each).
struct LastValues(Option<Made>);

struct Made {
    policy_text: Arc<str>,
    policy: HeaderValue,
    numbers: (u32, u64),
    state: HeaderValue,
}

impl LastValues {
    fn values(
        &mut self,
        one: OneLimitState<'_>,
        headers: &RateLimitHeaders,
    ) -> Option<(HeaderValue, HeaderValue)> {
        let numbers = (one.remaining, one.reset_secs);
        let made = match &mut self.0 {
            Some(made) if Arc::ptr_eq(&made.policy_text, one.policy) => {
                if made.numbers != numbers {
                    made.state = HeaderValue::from_str(headers.state()?).ok()?;
                    made.numbers = numbers;
                }
                made
            }
            last => last.insert(Made {
                policy_text: one.policy.clone(),
                policy: HeaderValue::from_str(one.policy).ok()?,
                numbers,
                state: HeaderValue::from_str(headers.state()?).ok()?,
            }),
        };
        Some((made.policy.clone(), made.state.clone()))
    }
}

#[cfg(test)]
mod tests {
    use firewall_core::limit::Limit;
    use firewall_core::{ClientRequest, Firewall, Packet, Rule, ALLOW, ANY};

    use super::*;

    /// The `RateLimit-Policy` and `RateLimit` values a response to `client`
    /// for `path` gets, with the texts the firewall gave.
    fn sent(fw: &Firewall, client: &str, path: &str) -> [(String, String); 2] {
        let packet = Packet::tcp(client.parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
        let headers = fw
            .check_request(&ClientRequest::new(packet, "GET", path))
            .unwrap();
        let mut map = HeaderMap::new();
        insert_rate_headers(&mut map, &headers);
        let value = |name: &HeaderName| map.get(name).unwrap().to_str().unwrap().to_owned();
        let given = |text: Option<&str>| text.unwrap().to_owned();
        [
            (value(&RATELIMIT_POLICY), given(headers.policy())),
            (value(&RATELIMIT), given(headers.state())),
        ]
    }

    #[test]
    fn each_response_carries_its_own_limit_and_numbers() {
        let limits = ["a", "b"].map(|name| {
            Limit::new(name, "5/1h".parse().unwrap())
                .unwrap()
                .route(format!("/{name}"))
                .unwrap()
        });
        let fw = Firewall::new("unit")
            .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all").unwrap()])
            .unwrap()
            .with_limits(limits.to_vec())
            .unwrap();
        // The same limit, numbers falling; another limit, the same numbers;
        // the first limit again for a new client (its first numbers again).
        let steps = [
            ("192.0.2.1:1", "/a", r#""a";r=4;t=720"#),
            ("192.0.2.1:1", "/a", r#""a";r=3;t=1440"#),
            ("192.0.2.1:1", "/b", r#""b";r=4;t=720"#),
            ("192.0.2.2:1", "/a", r#""a";r=4;t=720"#),
            ("192.0.2.2:1", "/a", r#""a";r=3;t=1440"#),
        ];
        for (client, path, state) in steps {
            let [(policy_sent, policy), (state_sent, state_given)] = sent(&fw, client, path);
            assert_eq!(policy_sent, policy, "{client} {path}");
            assert_eq!(policy, format!("\"{}\";q=5;w=3600", &path[1..]));
            assert_eq!(state_sent, state_given, "{client} {path}");
            assert_eq!(state_sent, state, "{client} {path}");
        }
    }
}
