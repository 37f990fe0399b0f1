//! Generating the guarded handler.
//!
//! ```text
//! #[attrs] vis async fn name(__firewall_request: HttpRequest, __firewall_arg0: T0, ..)
//!     -> Either<HttpResponse, Original>
//! {
//!     async fn __firewall_handler(original inputs) -> Original { original body }
//!     if let Some(refusal) = check(&__firewall_request, port) { return Either::Left(refusal); }
//!     Either::Right(__firewall_handler(__firewall_arg0, ..).await)
//! }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{FnArg, Ident, ItemFn, PatType, ReturnType, Signature, Token, Type};

use crate::args::Args;

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
    let (outer_sig, inner_sig, forwarded) = signatures(sig, &private);
    let port = args.port.map_or_else(
        || quote!(::core::option::Option::None),
        |port| quote!(::core::option::Option::Some(#port)),
    );
    Ok(quote! {
        #(#attrs)*
        #vis #outer_sig {
            // Awaited right here, so "unused async" would blame the user for our call.
            #[allow(clippy::unused_async)]
            #inner_sig #block
            if let ::core::option::Option::Some(__firewall_refusal) =
                #private::check(&__firewall_request, #port)
            {
                return #private::actix_web::Either::Left(__firewall_refusal);
            }
            #private::actix_web::Either::Right(__firewall_handler(#(#forwarded),*).await)
        }
    })
}

/// The handler's new signature (request first, `Either` returned), the
/// original one renamed `__firewall_handler`, and the arguments to forward.
fn signatures(sig: Signature, private: &TokenStream) -> (Signature, Signature, Vec<Ident>) {
    let original_output = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    let (outer_inputs, forwarded) = outer_inputs(&sig.inputs, private);
    let mut inner = sig.clone();
    inner.ident = Ident::new("__firewall_handler", Span::call_site());
    let mut outer = sig;
    outer.inputs = outer_inputs;
    outer.output = syn::parse_quote! {
        -> #private::actix_web::Either<#private::actix_web::HttpResponse, #original_output>
    };
    (outer, inner, forwarded)
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

/// The request extractor followed by the handler's own extractors, renamed
/// `__firewall_argN`; and the names to pass on.
fn outer_inputs(
    inputs: &Punctuated<FnArg, Token![,]>,
    private: &TokenStream,
) -> (Punctuated<FnArg, Token![,]>, Vec<Ident>) {
    let mut outer: Punctuated<FnArg, Token![,]> = Punctuated::new();
    outer.push(syn::parse_quote! {
        __firewall_request: #private::actix_web::HttpRequest
    });
    let mut names = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        if let FnArg::Typed(PatType { ty, .. }) = input {
            let name = format_ident!("__firewall_arg{}", index);
            let ty: &Type = ty;
            outer.push(syn::parse_quote!(#name: #ty));
            names.push(name);
        }
    }
    (outer, names)
}
