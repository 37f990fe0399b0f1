//! Generating the guarded handler.
//!
//! By default (the firewall's WAF may inspect the body) the handler takes the
//! request and the payload, and runs its own extractors after the check, on
//! the payload the check hands back (the original body):
//!
//! ```text
//! #[attrs] vis async fn name(__firewall_request: HttpRequest, __firewall_payload: web::Payload)
//!     -> Either<HttpResponse, CustomizeResponder<Original>>
//! {
//!     async fn __firewall_handler(original inputs) -> Original { original body }
//!     let (mut payload, headers) = match guard(&__firewall_request, port, force, limit, payload).await {
//!         Ok(passed) => passed, Err(refusal) => return Either::Left(refusal) };
//!     let __firewall_arg0 = match <T0 as FromRequest>::from_request(&req, &mut payload).await { .. };
//!     Either::Right(respond(__firewall_handler(__firewall_arg0, ..).await, &headers))
//! }
//! ```
//!
//! With `waf = "off"` the extractors stay in the signature and only the ACL
//! check runs (`check(&__firewall_request, port, limit).await`: ban, ACL,
//! limits, awaited from the shared store when there is one).
//! The handler's response carries the `RateLimit-Policy` and `RateLimit`
//! headers of the limits that counted its request.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{FnArg, Ident, ItemFn, PatType, ReturnType, Signature, Token, Type};

use crate::args::{Args, WafChoice};

/// The guarded form of `item`, or an error pointing at what cannot be guarded.
pub(crate) fn expand(args: &Args, item: ItemFn) -> syn::Result<TokenStream> {
    check_signature(&item)?;
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    let private = quote!(::firewall_actix::__private);
    let port = args.port.map_or_else(
        || quote!(::core::option::Option::None),
        |port| quote!(::core::option::Option::Some(#port)),
    );
    let limit = args.limit.as_deref().map_or_else(
        || quote!(::core::option::Option::None),
        |limit| quote!(::core::option::Option::Some(#limit)),
    );
    let inspected = args.waf != Some(WafChoice::Off);
    let (outer_sig, inner_sig, extractors) = signatures(sig, &private, inspected);
    let body = if inspected {
        inspected_body(&private, &port, &limit, args.waf, &extractors)
    } else {
        acl_only_body(&private, &port, &limit, &extractors)
    };
    Ok(quote! {
        #(#attrs)*
        #vis #outer_sig {
            // Awaited right here, so "unused async" would blame the user for our call.
            #[allow(clippy::unused_async)]
            #inner_sig #block
            #body
        }
    })
}

/// The ban, ACL and limit checks, then the handler with the extractors
/// Actix ran, its response given the rate-limit headers.
fn acl_only_body(
    private: &TokenStream,
    port: &TokenStream,
    limit: &TokenStream,
    extractors: &[(Ident, Type)],
) -> TokenStream {
    let names = extractors.iter().map(|(name, _)| name);
    quote! {
        let __firewall_headers = match #private::check(&__firewall_request, #port, #limit).await {
            ::core::result::Result::Ok(headers) => headers,
            ::core::result::Result::Err(refusal) => return #private::actix_web::Either::Left(refusal),
        };
        #private::actix_web::Either::Right(
            #private::respond(__firewall_handler(#(#names),*).await, &__firewall_headers)
        )
    }
}

/// The ACL check and the WAF, then the extractors on the payload handed
/// back, then the handler.
fn inspected_body(
    private: &TokenStream,
    port: &TokenStream,
    limit: &TokenStream,
    waf: Option<WafChoice>,
    extractors: &[(Ident, Type)],
) -> TokenStream {
    let force = match waf {
        Some(WafChoice::On) => quote!(::core::option::Option::Some(#private::Mode::On)),
        Some(WafChoice::Detect) => {
            quote!(::core::option::Option::Some(#private::Mode::DetectionOnly))
        }
        Some(WafChoice::Off) | None => quote!(::core::option::Option::None),
    };
    let (names, types): (Vec<_>, Vec<_>) = extractors.iter().cloned().unzip();
    quote! {
        let (mut __firewall_payload, __firewall_headers) = match #private::guard(
            &__firewall_request, #port, #force, #limit, __firewall_payload.into_inner()
        ).await {
            ::core::result::Result::Ok(passed) => passed,
            ::core::result::Result::Err(refusal) => return #private::actix_web::Either::Left(refusal),
        };
        #(
            let #names = match <#types as #private::actix_web::FromRequest>::from_request(
                &__firewall_request, &mut __firewall_payload
            ).await {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(err) => return #private::actix_web::Either::Left(
                    #private::actix_web::HttpResponse::from_error(err)
                ),
            };
        )*
        #private::actix_web::Either::Right(
            #private::respond(__firewall_handler(#(#names),*).await, &__firewall_headers)
        )
    }
}

/// The handler's new signature (request first, `Either` returned), the
/// original one renamed `__firewall_handler`, and its extractors renamed.
fn signatures(
    sig: Signature,
    private: &TokenStream,
    inspected: bool,
) -> (Signature, Signature, Vec<(Ident, Type)>) {
    let original_output = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    let extractors = extractors(&sig.inputs);
    let mut inner = sig.clone();
    inner.ident = Ident::new("__firewall_handler", Span::call_site());
    let mut outer = sig;
    outer.inputs = outer_inputs(&extractors, private, inspected);
    outer.output = syn::parse_quote! {
        -> #private::actix_web::Either<
            #private::actix_web::HttpResponse,
            #private::actix_web::CustomizeResponder<#original_output>,
        >
    };
    (outer, inner, extractors)
}

/// `async fn`, no `self`: anything else cannot be an Actix handler we wrap.
fn check_signature(item: &ItemFn) -> syn::Result<()> {
    if item.sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            item.sig.fn_token,
            "#[firewall] guards Actix handlers, which must be `async fn`",
        ));
    }
    if let Some(receiver) = item.sig.receiver() {
        return Err(syn::Error::new_spanned(
            receiver,
            "#[firewall] guards free `async fn` handlers, not methods",
        ));
    }
    Ok(())
}

/// The handler's extractors, named `__firewall_argN`.
fn extractors(inputs: &Punctuated<FnArg, Token![,]>) -> Vec<(Ident, Type)> {
    inputs
        .iter()
        .enumerate()
        .filter_map(|(index, input)| match input {
            FnArg::Typed(PatType { ty, .. }) => {
                Some((format_ident!("__firewall_arg{}", index), (**ty).clone()))
            }
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// The request extractor, then the payload (inspected) or the handler's own
/// extractors (ACL only).
fn outer_inputs(
    extractors: &[(Ident, Type)],
    private: &TokenStream,
    inspected: bool,
) -> Punctuated<FnArg, Token![,]> {
    let mut outer: Punctuated<FnArg, Token![,]> = Punctuated::new();
    outer.push(syn::parse_quote! {
        __firewall_request: #private::actix_web::HttpRequest
    });
    if inspected {
        outer.push(syn::parse_quote! {
            __firewall_payload: #private::actix_web::web::Payload
        });
    } else {
        for (name, ty) in extractors {
            outer.push(syn::parse_quote!(#name: #ty));
        }
    }
    outer
}
