//! Who may read the monitor: the access token, the Host check and the
//! security headers sent with every answer; refused tokens are logged, at
//! most one line per [`REFUSALS_LOGGED_EVERY`].

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{web, HttpResponse};
use subtle::ConstantTimeEq;

/// The Content-Security-Policy of every answer: the page's own script and
/// style only, nothing inline, no frames, no forms.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// At most one WARNING line per this period for requests refused for their
/// token; the next line counts the ones left out.
pub(crate) const REFUSALS_LOGGED_EVERY: Duration = Duration::from_secs(10);

/// The longest request path quoted in a refusal line.
const LOGGED_PATH_CHARS: usize = 120;

/// Access policy of one monitor.
#[derive(Debug)]
pub(crate) struct Access {
    /// The token every page and API call must carry, if any.
    pub(crate) token: Option<String>,
    /// When the last refusal was logged, and how many were not since.
    pub(crate) refusals: RefusalLog,
}

impl Access {
    /// The policy of a monitor: `token` required when given.
    pub(crate) fn new(token: Option<String>) -> Self {
        Self {
            token,
            refusals: RefusalLog::default(),
        }
    }
}

/// Rate limit of the refusal lines: one per [`REFUSALS_LOGGED_EVERY`].
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    state: Mutex<RefusalState>,
}

#[derive(Debug, Default)]
struct RefusalState {
    last_logged: Option<Instant>,
    not_logged: u64,
}

impl RefusalLog {
    /// Counts a refusal at `now`: `Some(n)` when it is to be logged, `n`
    /// refusals having gone unlogged since the previous line; `None` when
    /// a line was written less than [`REFUSALS_LOGGED_EVERY`] ago.
    fn note(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match state.last_logged {
            Some(at) if now.saturating_duration_since(at) < REFUSALS_LOGGED_EVERY => {
                state.not_logged += 1;
                None
            }
            _ => {
                state.last_logged = Some(now);
                Some(std::mem::take(&mut state.not_logged))
            }
        }
    }
}

/// The WARNING line for a request refused for its token (`why`), from
/// `client` for `path`; escaped, as every client-controlled text in a log line.
fn refusal_line(
    why: &str,
    client: Option<std::net::SocketAddr>,
    path: &str,
    not_logged: u64,
) -> String {
    let client = client.map_or_else(|| "an unknown address".to_owned(), |a| a.to_string());
    let path: String = path.chars().take(LOGGED_PATH_CHARS).collect();
    let line = if not_logged > 0 {
        format!(
            "Monitor refused {client} for {path}: {why} \
             ({not_logged} more refused since the previous line, not logged)"
        )
    } else {
        format!("Monitor refused {client} for {path}: {why}")
    };
    firewall_core::logger::escape(&line).into_owned()
}

impl Access {
    /// Whether `req` may be served: static assets always; otherwise the
    /// token when one is set, else a loopback `Host` (defeats DNS rebinding).
    fn allows(&self, req: &ServiceRequest) -> Result<(), &'static str> {
        if req.path().starts_with("/static/") {
            return Ok(());
        }
        match &self.token {
            Some(token) => match presented_token(req) {
                Some(given) if bool::from(given.as_bytes().ct_eq(token.as_bytes())) => Ok(()),
                Some(_) => Err(WRONG_TOKEN),
                None => Err(NO_TOKEN),
            },
            None if host_is_loopback(req) => Ok(()),
            None => Err("this monitor only answers to 127.0.0.1, localhost or [::1]"),
        }
    }
}

impl Access {
    /// Whether `req` may change state (ban, unban), on top of [`guard`]:
    /// only on a monitor with a token (which `guard` has checked), and not
    /// from a page of another origin (an `Origin` header other than
    /// `http://` or `https://` and the request's `Host`).
    pub(crate) fn may_change_state(
        &self,
        req: &actix_web::HttpRequest,
    ) -> Result<(), &'static str> {
        if self.token.is_none() {
            return Err(NO_TOKEN_CONFIGURED);
        }
        let Some(origin) = req.headers().get(header::ORIGIN) else {
            return Ok(()); // not a browser's cross-origin request
        };
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        match (origin.to_str().ok(), host) {
            (Some(origin), Some(host)) if is_own_origin(origin, host) => Ok(()),
            _ => Err(FOREIGN_ORIGIN),
        }
    }
}

/// Refusal of a state change: the monitor has no token.
const NO_TOKEN_CONFIGURED: &str =
    "bans can be changed only on a monitor started with an access token";
/// Refusal of a state change: sent by a page of another origin.
const FOREIGN_ORIGIN: &str = "refused: the request comes from a page of another origin";

/// Whether `origin` is `http://HOST` or `https://HOST` (ASCII case-insensitive).
fn is_own_origin(origin: &str, host: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        origin.len() == scheme.len() + host.len()
            && origin[..scheme.len()].eq_ignore_ascii_case(scheme)
            && origin
                .get(scheme.len()..)
                .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
    })
}

/// Refusal: no token at all.
const NO_TOKEN: &str = "missing token";
/// Refusal: a token that is not the monitor's.
const WRONG_TOKEN: &str = "wrong token";

/// The token from `Authorization: Bearer T` (the scheme in any case, RFC 7235),
/// else from `?token=T`.
fn presented_token(req: &ServiceRequest) -> Option<String> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .map(str::to_owned);
    bearer.or_else(|| {
        #[derive(serde::Deserialize)]
        struct TokenQuery {
            token: Option<String>,
        }
        web::Query::<TokenQuery>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.into_inner().token)
    })
}

/// `T` of `Bearer T`, the scheme compared case-insensitively.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once([' ', '\t'])?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Whether the `Host` header names a loopback host (any port).
fn host_is_loopback(req: &ServiceRequest) -> bool {
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Middleware: refuses with 401 (token) or 403 (host) before any handler runs.
pub(crate) async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let access = req.app_data::<web::Data<Access>>().cloned();
    let verdict = access
        .as_ref()
        .map_or(Err("monitor misconfigured"), |access| access.allows(&req));
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(why) => {
            let token_refused = why == NO_TOKEN || why == WRONG_TOKEN;
            if let Some(access) = access.filter(|_| token_refused) {
                if let Some(not_logged) = access.refusals.note(Instant::now()) {
                    let line = refusal_line(why, req.peer_addr(), req.path(), not_logged);
                    log::warn!(target: "firewall", "{line}");
                }
            }
            let mut response = if token_refused {
                HttpResponse::Unauthorized()
                    .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                    .body(why)
            } else {
                HttpResponse::Forbidden().body(why)
            };
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

/// CSP, nosniff, no framing, no referrer, no caching: on every answer.
pub(crate) fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn allows(access: &Access, req: TestRequest) -> bool {
        access.allows(&req.to_srv_request()).is_ok()
    }

    #[test]
    fn without_token_only_loopback_host_names_are_answered() {
        let open = Access::new(None);
        for host in [
            "127.0.0.1:8000",
            "localhost:8000",
            "[::1]:8000",
            "127.0.0.1",
            "LOCALHOST",
        ] {
            let req = TestRequest::get()
                .uri("/api/stats")
                .insert_header(("host", host));
            assert!(allows(&open, req), "{host}");
        }
        for host in [
            "evil.example:8000",
            "10.0.0.1:8000",
            "127.0.0.1.evil.example",
        ] {
            let req = TestRequest::get()
                .uri("/api/stats")
                .insert_header(("host", host));
            assert!(!allows(&open, req), "{host}");
        }
    }

    #[test]
    fn with_a_token_it_is_needed_by_header_or_query() {
        let closed = Access::new(Some("s3cret".into()));
        let bearer = TestRequest::get()
            .uri("/api/stats")
            .insert_header(("authorization", "Bearer s3cret"));
        assert!(allows(&closed, bearer));
        assert!(allows(&closed, TestRequest::get().uri("/?token=s3cret")));
        assert!(!allows(&closed, TestRequest::get().uri("/?token=s3cre")));
        assert!(!allows(&closed, TestRequest::get().uri("/api/stats")));
        let wrong = TestRequest::get()
            .uri("/api/stats?token=s3cret")
            .insert_header(("authorization", "Bearer nope"));
        assert!(
            !allows(&closed, wrong),
            "a wrong header is not rescued by the query"
        );
        assert!(allows(&closed, TestRequest::get().uri("/static/app.js")));
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        let closed = Access::new(Some("s3cret".into()));
        for value in [
            "Bearer s3cret",
            "bearer s3cret",
            "BEARER s3cret",
            "bEaReR \t s3cret ",
        ] {
            let req = TestRequest::get()
                .uri("/api/stats")
                .insert_header(("authorization", value));
            assert!(allows(&closed, req), "{value:?}");
        }
        for value in ["Basic s3cret", "Bearers3cret", "Bearer", "s3cret"] {
            let req = TestRequest::get()
                .uri("/api/stats")
                .insert_header(("authorization", value));
            assert!(!allows(&closed, req), "{value:?}");
        }
    }

    fn may_change(access: &Access, req: TestRequest) -> Result<(), &'static str> {
        access.may_change_state(&req.to_http_request())
    }

    #[test]
    fn state_changes_need_a_token_and_the_monitors_own_origin() {
        let closed = Access::new(Some("s3cret".into()));
        let post = || TestRequest::post().insert_header(("host", "127.0.0.1:8000"));
        assert_eq!(
            may_change(&closed, post()),
            Ok(()),
            "no Origin: not a browser page"
        );
        for own in [
            "http://127.0.0.1:8000",
            "https://127.0.0.1:8000",
            "HTTP://127.0.0.1:8000",
        ] {
            assert_eq!(
                may_change(&closed, post().insert_header(("origin", own))),
                Ok(()),
                "{own}"
            );
        }
        for foreign in [
            "http://evil.example",
            "http://127.0.0.1:8001",
            "http://127.0.0.1",
            "http://127.0.0.1:8000.evil.example",
            "null",
            "",
            "ftp://127.0.0.1:8000",
        ] {
            let req = post().insert_header(("origin", foreign));
            assert_eq!(may_change(&closed, req), Err(FOREIGN_ORIGIN), "{foreign:?}");
        }
        let no_host = TestRequest::post().insert_header(("origin", "http://127.0.0.1:8000"));
        assert_eq!(may_change(&closed, no_host), Err(FOREIGN_ORIGIN));
        let open = Access::new(None);
        assert_eq!(may_change(&open, post()), Err(NO_TOKEN_CONFIGURED));
    }

    #[test]
    fn one_refusal_line_per_period_and_the_next_counts_the_others() {
        let log = RefusalLog::default();
        let t0 = Instant::now();
        assert_eq!(log.note(t0), Some(0));
        for ms in [1, 500, 9_999] {
            assert_eq!(log.note(t0 + Duration::from_millis(ms)), None);
        }
        assert_eq!(log.note(t0 + REFUSALS_LOGGED_EVERY), Some(3));
        assert_eq!(log.note(t0 + REFUSALS_LOGGED_EVERY * 3), Some(0));
    }

    #[test]
    fn refusal_lines_escape_the_path_and_never_quote_the_token() {
        let client = "10.1.2.3:4567".parse().ok();
        let line = refusal_line(WRONG_TOKEN, client, "/api/x\r\nFAKE [INFO] y", 2);
        assert_eq!(
            line,
            "Monitor refused 10.1.2.3:4567 for /api/x\\r\\nFAKE [INFO] y: wrong token \
             (2 more refused since the previous line, not logged)"
        );
        let long = "/".repeat(500);
        assert!(refusal_line(NO_TOKEN, None, &long, 0).len() < 200);
    }
}
