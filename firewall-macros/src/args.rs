//! Parsing `#[firewall(key = value, ...)]`.
//!
//! Every key is one row of [`KEYS`]: its name, how to recognise it and how to
//! parse its value. Unknown and repeated keys are checked once, in
//! [`Args::parse`], for every row, so adding a key is adding a row.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Lit, Token};

mod kw {
    syn::custom_keyword!(port);
    syn::custom_keyword!(waf);
    syn::custom_keyword!(limit);
}

/// `waf = "off" | "on" | "detect"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WafChoice {
    /// Never inspect (the ACL check only).
    Off,
    /// Refuse what the firewall's WAF flags, even in detection-only mode.
    On,
    /// Log what the firewall's WAF flags, never refuse.
    Detect,
}

/// The parsed arguments.
#[derive(Debug, Default)]
pub(crate) struct Args {
    /// The destination port pinned by `port = N`; the local port when absent.
    pub(crate) port: Option<u16>,
    /// `waf = ...`; absent: follow the firewall's WAF.
    pub(crate) waf: Option<WafChoice>,
    /// `limit = "name"`: a rate limit of the firewall this handler counts.
    pub(crate) limit: Option<String>,
}

/// One accepted key.
struct Key {
    name: &'static str,
    example: &'static str,
    peek: fn(ParseStream<'_>) -> bool,
    parse: fn(ParseStream<'_>, &mut Args) -> syn::Result<()>,
}

/// The accepted keys. To add one, add a field to [`Args`] and a row here.
const KEYS: &[Key] = &[
    Key {
        name: "port",
        example: "port = 5000",
        peek: |input| input.peek(kw::port),
        parse: parse_port,
    },
    Key {
        name: "waf",
        example: "waf = \"off\"",
        peek: |input| input.peek(kw::waf),
        parse: parse_waf,
    },
    Key {
        name: "limit",
        example: "limit = \"login\"",
        peek: |input| input.peek(kw::limit),
        parse: parse_limit,
    },
];

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        let mut seen = [false; KEYS.len()];
        while !input.is_empty() {
            let Some(index) = KEYS.iter().position(|key| (key.peek)(input)) else {
                return Err(unknown_key(input));
            };
            let key: Ident = input.parse()?;
            if std::mem::replace(&mut seen[index], true) {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!("`{}` is given more than once", KEYS[index].name),
                ));
            }
            if !input.peek(Token![=]) {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!(
                        "`{}` needs a value, such as `{}`",
                        KEYS[index].name, KEYS[index].example
                    ),
                ));
            }
            input.parse::<Token![=]>()?;
            (KEYS[index].parse)(input, &mut args)?;
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

fn unknown_key(input: ParseStream<'_>) -> syn::Error {
    let expected = KEYS
        .iter()
        .map(|key| format!("`{}`", key.name))
        .collect::<Vec<_>>()
        .join(", ");
    match input.fork().call(Ident::parse_any) {
        Ok(ident) => syn::Error::new_spanned(
            &ident,
            format!("unknown argument `{ident}`: expected {expected}"),
        ),
        Err(_) => syn::Error::new(input.span(), format!("expected an argument: {expected}")),
    }
}

fn parse_port(input: ParseStream<'_>, args: &mut Args) -> syn::Result<()> {
    let lit: Lit = input.parse().map_err(|err| {
        syn::Error::new(
            err.span(),
            "`port` must be an integer literal, such as `port = 5000`",
        )
    })?;
    let Lit::Int(int) = &lit else {
        return Err(syn::Error::new_spanned(
            &lit,
            "`port` must be an integer literal, such as `port = 5000`",
        ));
    };
    match int.base10_parse::<u16>() {
        Ok(port) if port > 0 => {
            args.port = Some(port);
            Ok(())
        }
        _ => Err(syn::Error::new_spanned(
            int,
            format!("`port` must be between 1 and 65535, found `{int}`"),
        )),
    }
}

fn parse_waf(input: ParseStream<'_>, args: &mut Args) -> syn::Result<()> {
    const EXPECTED: &str = "`waf` must be \"off\", \"on\" or \"detect\"";
    let lit: Lit = input
        .parse()
        .map_err(|err| syn::Error::new(err.span(), EXPECTED))?;
    let Lit::Str(text) = &lit else {
        return Err(syn::Error::new_spanned(&lit, EXPECTED));
    };
    args.waf = Some(match text.value().as_str() {
        "off" => WafChoice::Off,
        "on" => WafChoice::On,
        "detect" => WafChoice::Detect,
        other => {
            return Err(syn::Error::new_spanned(
                text,
                format!("{EXPECTED}, found \"{other}\""),
            ))
        }
    });
    Ok(())
}

/// `limit = "name"`: the name checked as `Limit::new` checks it (1 to 64
/// ASCII letters, digits, `-`, `_`, `.`), so a typo in its shape fails here.
fn parse_limit(input: ParseStream<'_>, args: &mut Args) -> syn::Result<()> {
    const EXPECTED: &str =
        "`limit` must be a string naming a limit: 1 to 64 letters, digits, `-`, `_` or `.`, such as `limit = \"login\"`";
    let lit: Lit = input
        .parse()
        .map_err(|err| syn::Error::new(err.span(), EXPECTED))?;
    let Lit::Str(text) = &lit else {
        return Err(syn::Error::new_spanned(&lit, EXPECTED));
    };
    let name = text.value();
    let valid = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid {
        return Err(syn::Error::new_spanned(
            text,
            format!("{EXPECTED}, found {name:?}"),
        ));
    }
    args.limit = Some(name);
    Ok(())
}
