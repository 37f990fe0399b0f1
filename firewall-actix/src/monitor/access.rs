//! Who may read the monitor: the access token, the Host check and the
//! security headers sent with every answer.

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

/// Access policy of one monitor.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    /// The token every page and API call must carry, if any.
    pub(crate) token: Option<String>,
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
                _ => Err("missing or wrong token"),
            },
            None if host_is_loopback(req) => Ok(()),
            None => Err("this monitor only answers to 127.0.0.1, localhost or [::1]"),
        }
    }
}

/// The token from `Authorization: Bearer T`, else from `?token=T`.
fn presented_token(req: &ServiceRequest) -> Option<String> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
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
    let verdict = req
        .app_data::<web::Data<Access>>()
        .map_or(Err("monitor misconfigured"), |access| access.allows(&req));
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(why) => {
            let mut response = if why.contains("token") {
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
        let open = Access { token: None };
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
        let closed = Access {
            token: Some("s3cret".into()),
        };
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
}
