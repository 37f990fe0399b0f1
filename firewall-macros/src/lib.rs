//! The `#[firewall]` attribute for Actix handlers; use it through
//! `firewall_actix::firewall`.
//!
//! This crate only rewrites tokens; the check itself lives in
//! `firewall_actix`.

mod args;
mod expand;

use proc_macro::TokenStream;

/// Guards an Actix handler with the app's firewall, like the seed's
/// `@fw.firewall(port=5000)`.
///
/// Before the handler runs, the request's connection is checked against the
/// app's `Firewall`: the one registered with `App::app_data(fw.clone())`, or
/// else the one of the `fw.middleware()` in front of the handler (no second
/// registration is needed behind the middleware). TCP from the client to the local address, on the given port or the port
/// the request came in on. A DROP answers `403 Forbidden`, body
/// `Access denied by Firewall.`, and the handler does not run. An app with no
/// `Firewall` answers `500` and logs
/// `Firewall Processing Error: no Firewall for this handler: ...` at ERROR: a
/// guarded handler is never served unguarded. Trusted proxies registered
/// with `App::app_data(TrustedProxies::new([...])?)` are honoured, as in the
/// middleware.
///
/// Behind the middleware of the same `Firewall` (or of any, when the app
/// registered none) the handler judges the request with what the
/// middleware applied: its firewall, its trusted proxies and its port (a
/// `port = N` given here still pins the port). The packet the middleware
/// allowed is not decided, counted or logged again, and the WAF does not run
/// again unless `waf = ...` asks for another mode than the middleware's.
///
/// # Syntax
///
/// ```text
/// #[firewall]                  // destination port: the one the request came in on
/// #[firewall(port = 5000)]     // destination port pinned to 5000 (1-65535)
/// #[firewall(waf = "off")]     // the ACL check only: the WAF never inspects this handler
/// #[firewall(waf = "detect")]  // the WAF logs `WAF DETECT: ...` and never refuses here
/// #[firewall(waf = "on")]      // the WAF refuses even in detection-only mode (500 if none)
/// #[firewall(limit = "login")] // counts the Firewall's limit named "login" too (429 over it)
/// #[firewall(port = 5000, waf = "off")]
/// ```
///
/// With `limit = "name"` the handler's requests count against that limit of
/// the `Firewall` (set with `Firewall::set_limits` or a `[[limit]]` table),
/// whatever route the limit covers, once even when a middleware in front
/// counted it too. Over it the answer is `429 Too Many Requests` with
/// `Retry-After`; the name must be 1 to 64 letters, digits, `-`, `_` or `.`
/// (a compile error otherwise); a name the firewall does not know at run
/// time refuses with `500` and an ERROR line, never serves unguarded.
///
/// Without `waf` the handler follows the `Firewall`'s WAF (`Firewall::set_waf`),
/// if it has one: after the ACL allowed the request, the WAF inspects it,
/// body included (read up to its limit and then handed to the handler's
/// extractors unchanged); an attack answers `403` and a body over the limit
/// `413`. In that form the handler's extractors run after the check.
///
/// The handler must be an `async fn` (not a method) and may take any
/// extractors and return any `Responder`. The attribute adds an `HttpRequest`
/// extractor in front of them and returns `actix_web::Either<HttpResponse, _>`
/// around the original response (given the rate-limit headers); attributes, visibility and the body are
/// kept. With a route macro, write the route macro first:
///
/// ```text
/// #[get("/")]
/// #[firewall(port = 5000)]
/// async fn index() -> impl Responder { "veera" }
/// ```
///
/// # Examples
///
/// ```
/// use actix_web::{get, test, App, Responder, http::StatusCode};
/// use firewall_actix::prelude::*;
///
/// #[get("/")]
/// #[firewall(port = 5000)]
/// async fn index() -> impl Responder {
///     "veera"
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let fw = Firewall::new("docs").with_rules(vec![Rule::new(ALLOW, TCP, 5000, "127.0.0.1", ANY, "app")?])?;
/// let app = test::init_service(App::new().app_data(fw.clone()).service(index)).await;
/// let req = test::TestRequest::get().uri("/").peer_addr("127.0.0.1:40000".parse()?).to_request();
/// assert_eq!(test::call_and_read_body(&app, req).await, "veera");
/// let req = test::TestRequest::get().uri("/").peer_addr("192.0.2.7:40000".parse()?).to_request();
/// assert_eq!(test::call_service(&app, req).await.status(), StatusCode::FORBIDDEN);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[proc_macro_attribute]
pub fn firewall(args: TokenStream, item: TokenStream) -> TokenStream {
    let original = proc_macro2::TokenStream::from(item.clone());
    let expanded = syn::parse::<args::Args>(args).and_then(|args| {
        let function = syn::parse::<syn::ItemFn>(item).map_err(|err| {
            syn::Error::new(err.span(), "#[firewall] goes on an `async fn` handler")
        })?;
        expand::expand(&args, function)
    });
    match expanded {
        Ok(tokens) => tokens.into(),
        Err(err) => {
            let mut tokens = original;
            tokens.extend(err.to_compile_error());
            tokens.into()
        }
    }
}
