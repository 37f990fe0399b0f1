//! [`WithRateHeaders`]: the inner service's response with the rate-limit
//! headers added, as a named future (no allocation per request).

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use actix_web::Error;
use firewall_core::RateLimitHeaders;

use crate::response::insert_rate_headers;

pin_project_lite::pin_project! {
    /// The future of a request the ban, ACL and limit stages let through
    /// (no WAF): the inner service's response, with the `RateLimit-Policy`
    /// and `RateLimit` headers of the limits that counted the request (none:
    /// unchanged). Returned by [`FirewallService`](super::FirewallService).
    #[derive(Debug)]
    pub struct WithRateHeaders<F> {
        #[pin]
        served: F,
        headers: RateLimitHeaders,
    }
}

impl<F> WithRateHeaders<F> {
    /// `served`, whose response will carry `headers`.
    pub(crate) fn new(served: F, headers: RateLimitHeaders) -> Self {
        Self { served, headers }
    }
}

impl<F, B> Future for WithRateHeaders<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut res = ready!(this.served.poll(cx))?;
        if !this.headers.is_empty() {
            insert_rate_headers(res.headers_mut(), this.headers);
        }
        Poll::Ready(Ok(res.map_into_left_body()))
    }
}
