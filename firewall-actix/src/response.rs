//! The answers a refused request gets.

use std::cell::RefCell;

use actix_web::http::header::{ContentType, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::web::Bytes;
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

/// Adds `RateLimit-Policy`, `RateLimit` (after any the handler set) and
/// (on a refusal) `Retry-After`.
pub(crate) fn insert_rate_headers(map: &mut HeaderMap, headers: &RateLimitHeaders) {
    // Limit names are letters, digits, `-`, `_`, `.`: always a valid value.
    let values = match headers.one_limit() {
        Some(one) => LAST.with(|last| last.borrow_mut().values(one)),
        None => made_values(headers),
    };
    if let Some((policy, state)) = values {
        // Appended: both fields are lists, so a handler's own members stay
        // beside the firewall's (and an append builds no `Removed`, 211
        // instructions a request less than `insert` under callgrind).
        map.append(RATELIMIT_POLICY, policy);
        map.append(RATELIMIT, state);
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
/// limiter's policy text and the two numbers of `RateLimit`. With a large
/// quota, or a client well under it, `remaining` and `reset` repeat from one
/// response to the next: the values are then clones. A value made from a
/// text the limiter keeps for the life of the process (its policy, the
/// `RateLimit` of a client at full quota) points at that text: its clones
/// copy a pointer, with no reference count to change.
struct LastValues(Option<Made>);

struct Made {
    policy_text: PolicyKey,
    policy: HeaderValue,
    numbers: (u32, u64),
    state: HeaderValue,
}

impl LastValues {
    fn values(&mut self, one: OneLimitState<'_>) -> Option<(HeaderValue, HeaderValue)> {
        let numbers = (one.remaining, one.reset_secs);
        let made = match &mut self.0 {
            Some(made) if made.policy_text.is(&one) => {
                if made.numbers != numbers {
                    made.state = state_value(&one)?;
                    made.numbers = numbers;
                }
                made
            }
            last => last.insert(Made {
                policy_text: PolicyKey::of(&one),
                policy: text_value(one.policy, one.policy_static)?,
                numbers,
                state: state_value(&one)?,
            }),
        };
        Some((made.policy.clone(), made.state.clone()))
    }
}

/// Which policy text the values were made for: the limiter's kept text (the
/// same text is the same pointer), or a copy of one it shares.
enum PolicyKey {
    Kept(&'static str),
    Copied(Box<str>),
}

impl PolicyKey {
    fn of(one: &OneLimitState<'_>) -> Self {
        match one.policy_static {
            Some(kept) => Self::Kept(kept),
            None => Self::Copied(one.policy.into()),
        }
    }

    /// Whether `one` has this policy text.
    fn is(&self, one: &OneLimitState<'_>) -> bool {
        match (self, one.policy_static) {
            (Self::Kept(kept), Some(text)) => std::ptr::eq(*kept, text),
            (Self::Copied(copied), None) => **copied == *one.policy,
            // A text is kept whenever it can be: a kept and a shared one differ.
            _ => false,
        }
    }
}

/// The `RateLimit` value of `one`: the limiter's kept text, or written on
/// the stack and copied into the value.
fn state_value(one: &OneLimitState<'_>) -> Option<HeaderValue> {
    match one.state_static {
        Some(kept) => text_value(kept, Some(kept)),
        None => HeaderValue::from_bytes(one.state_text().as_bytes()).ok(),
    }
}

/// A header value of `text`, pointing at it when it is `kept` for the life
/// of the process (no copy, clones without a reference count).
fn text_value(text: &str, kept: Option<&'static str>) -> Option<HeaderValue> {
    match kept {
        Some(kept) => HeaderValue::from_maybe_shared(Bytes::from_static(kept.as_bytes())).ok(),
        None => HeaderValue::from_str(text).ok(),
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
    fn the_usual_values_point_at_the_limiters_kept_texts() {
        let fw = Firewall::new("unit")
            .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all").unwrap()])
            .unwrap()
            .with_limits(vec![Limit::new("kept", "1000/1s".parse().unwrap()).unwrap()])
            .unwrap();
        for client in ["192.0.2.1:1", "192.0.2.2:1", "192.0.2.3:1"] {
            let packet = Packet::tcp(client.parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
            let headers = fw
                .check_request(&ClientRequest::new(packet, "GET", "/"))
                .unwrap();
            let one = headers.one_limit().unwrap();
            let mut map = HeaderMap::new();
            insert_rate_headers(&mut map, &headers);
            for (name, kept) in [
                (&RATELIMIT_POLICY, one.policy_static),
                (&RATELIMIT, one.state_static),
            ] {
                let kept = kept.expect("a client at full quota: kept texts");
                let sent = map.get(name).unwrap().as_bytes();
                assert_eq!(sent, kept.as_bytes());
                assert_eq!(sent.as_ptr(), kept.as_ptr(), "{name}: not a copy");
            }
        }
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
