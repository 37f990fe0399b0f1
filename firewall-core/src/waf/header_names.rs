//! The header names the engine reads apart from the others, told once,
//! when a header is added to a [`Request`](super::Request): those the
//! protocol checks gather (`Host`, `Range`, the method overrides...),
//! those whose values are structured and never inspected
//! (`Accept-Language`, `Sec-Fetch-Mode`...), and `Cookie`. The checks and
//! the collection of values read the [`KnownHeader`] of each header
//! instead of comparing its name again, each on its own.

/// A header name the engine knows (in any case), or [`KnownHeader::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum KnownHeader {
    /// A name the engine does not read apart.
    #[default]
    Other,
    Accept,
    AcceptCharset,
    AcceptEncoding,
    AcceptLanguage,
    CacheControl,
    Connection,
    ContentLength,
    ContentRange,
    ContentType,
    Cookie,
    Dnt,
    Host,
    If,
    IfModifiedSince,
    IfNoneMatch,
    KeepAlive,
    LockToken,
    Pragma,
    Proxy,
    ProxyConnection,
    Range,
    RequestRange,
    SecChUa,
    SecChUaMobile,
    SecChUaPlatform,
    SecFetchDest,
    SecFetchMode,
    SecFetchSite,
    SecFetchUser,
    Te,
    TransferEncoding,
    UpgradeInsecureRequests,
    UserAgent,
    XHttpMethod,
    XHttpMethodOverride,
    XMethodOverride,
    XMiddlewareSubrequest,
    XUpDevcapPostCharset,
}

/// Every known name, in lower case.
pub(crate) const NAMES: [(&str, KnownHeader); 38] = [
    ("accept", KnownHeader::Accept),
    ("accept-charset", KnownHeader::AcceptCharset),
    ("accept-encoding", KnownHeader::AcceptEncoding),
    ("accept-language", KnownHeader::AcceptLanguage),
    ("cache-control", KnownHeader::CacheControl),
    ("connection", KnownHeader::Connection),
    ("content-length", KnownHeader::ContentLength),
    ("content-range", KnownHeader::ContentRange),
    ("content-type", KnownHeader::ContentType),
    ("cookie", KnownHeader::Cookie),
    ("dnt", KnownHeader::Dnt),
    ("host", KnownHeader::Host),
    ("if", KnownHeader::If),
    ("if-modified-since", KnownHeader::IfModifiedSince),
    ("if-none-match", KnownHeader::IfNoneMatch),
    ("keep-alive", KnownHeader::KeepAlive),
    ("lock-token", KnownHeader::LockToken),
    ("pragma", KnownHeader::Pragma),
    ("proxy", KnownHeader::Proxy),
    ("proxy-connection", KnownHeader::ProxyConnection),
    ("range", KnownHeader::Range),
    ("request-range", KnownHeader::RequestRange),
    ("sec-ch-ua", KnownHeader::SecChUa),
    ("sec-ch-ua-mobile", KnownHeader::SecChUaMobile),
    ("sec-ch-ua-platform", KnownHeader::SecChUaPlatform),
    ("sec-fetch-dest", KnownHeader::SecFetchDest),
    ("sec-fetch-mode", KnownHeader::SecFetchMode),
    ("sec-fetch-site", KnownHeader::SecFetchSite),
    ("sec-fetch-user", KnownHeader::SecFetchUser),
    ("te", KnownHeader::Te),
    ("transfer-encoding", KnownHeader::TransferEncoding),
    (
        "upgrade-insecure-requests",
        KnownHeader::UpgradeInsecureRequests,
    ),
    ("user-agent", KnownHeader::UserAgent),
    ("x-http-method", KnownHeader::XHttpMethod),
    ("x-http-method-override", KnownHeader::XHttpMethodOverride),
    ("x-method-override", KnownHeader::XMethodOverride),
    (
        "x-middleware-subrequest",
        KnownHeader::XMiddlewareSubrequest,
    ),
    (
        "x-up-devcap-post-charset",
        KnownHeader::XUpDevcapPostCharset,
    ),
];

impl KnownHeader {
    /// The known name `name` is, ignoring ASCII case: the bucket its
    /// length and end letters pick holds at most two names of [`NAMES`],
    /// compared without copying or lower-casing `name`. A name in lower
    /// case (as Actix and HTTP/2 give every name) is compared whole first,
    /// in a few word compares where the lower-casing table costs a load
    /// and a compare a byte.
    pub(crate) fn of(name: &str) -> Self {
        let name = name.as_bytes();
        let Some(bucket) = bucket_of(name).and_then(|b| BUCKETS.get(b)) else {
            return Self::Other;
        };
        bucket
            .iter()
            .map_while(|&entry| NAMES.get(usize::from(entry).checked_sub(1)?))
            .find(|(known, _)| name == known.as_bytes() || is_lower_case_of(name, known.as_bytes()))
            .map_or(Self::Other, |&(_, known)| known)
    }
}

/// Whether `lower` (lower case) is `name` lower-cased: one table load a
/// byte of `name`, where `eq_ignore_ascii_case` lower-cases both sides.
fn is_lower_case_of(name: &[u8], lower: &[u8]) -> bool {
    name.len() == lower.len()
        && name
            .iter()
            .zip(lower)
            .all(|(&n, &l)| LOWER[usize::from(n)] == l)
}

/// Each byte lower-cased (ASCII letters; other bytes as they are).
const LOWER: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).to_ascii_lowercase();
        b += 1;
    }
    table
};

/// How many buckets [`bucket_of`] spreads the names over.
const BUCKET_COUNT: usize = 128;

/// The bucket of a name, any case, from its length and its first and last
/// bytes (the mix that spreads [`NAMES`] with at most two a bucket);
/// `None` for an empty name.
const fn bucket_of(name: &[u8]) -> Option<usize> {
    let (Some(&first), Some(&last)) = (name.first(), name.last()) else {
        return None;
    };
    let first = LOWER[first as usize] as usize;
    let last = LOWER[last as usize] as usize;
    Some((name.len().wrapping_mul(3) + first + 8 * last) % BUCKET_COUNT)
}

/// The names of [`NAMES`] in each bucket ([`bucket_of`]), as their index
/// plus one (zero: no more).
const BUCKETS: [[u8; 2]; BUCKET_COUNT] = buckets();

// Bucket entries are stored as index + 1 in a byte, 0 meaning none.
const _: () = assert!(NAMES.len() < 256, "a bucket entry is a byte");

const fn buckets() -> [[u8; 2]; BUCKET_COUNT] {
    let mut buckets = [[0u8; 2]; BUCKET_COUNT];
    let mut i = 0;
    while i < NAMES.len() {
        let Some(bucket) = bucket_of(NAMES[i].0.as_bytes()) else {
            panic!("a known name is not empty");
        };
        let mut slot = 0;
        while buckets[bucket][slot] != 0 {
            slot += 1; // Past two: a compile error (index out of bounds).
        }
        buckets[bucket][slot] = (i + 1) as u8;
        i += 1;
    }
    buckets
}

/// Header names for proptests of a table of `names`: any name, short
/// names of odd bytes, and each of `names` in any case with one byte
/// more or less at its end.
#[cfg(test)]
pub(crate) fn names_and_near_names(
    names: Vec<&'static str>,
) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let longest = names.iter().map(|n| n.len()).max().unwrap_or(0);
    prop_oneof![
        "[a-zA-Z-]{0,26}",
        "[a-zé_ -]{0,6}",
        (
            prop::sample::select(names),
            prop::collection::vec(any::<bool>(), longest),
            "[a-z_]{0,1}",
            0..2usize,
        )
            .prop_map(|(name, upper, extra, cut)| {
                let cased: String = name
                    .chars()
                    .zip(upper)
                    .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                    .collect();
                format!("{}{extra}", &cased[..cased.len() - cut])
            }),
    ]
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{names_and_near_names, KnownHeader, NAMES};

    /// The known name by lower-casing `name` and reading the list: what
    /// [`KnownHeader::of`] must answer.
    fn known_by_list(name: &str) -> KnownHeader {
        let lower = name.to_ascii_lowercase();
        NAMES
            .iter()
            .find(|(known, _)| *known == lower)
            .map_or(KnownHeader::Other, |&(_, known)| known)
    }

    #[test]
    fn every_known_name_is_found_in_any_case() {
        for &(name, known) in &NAMES {
            assert_eq!(KnownHeader::of(name), known, "{name}");
            assert_eq!(KnownHeader::of(&name.to_ascii_uppercase()), known, "{name}");
        }
        for name in [
            "",
            "referer",
            "hosts",
            "x-http-methods",
            "sec-fetch-usr",
            "é",
        ] {
            assert_eq!(KnownHeader::of(name), KnownHeader::Other, "{name}");
        }
    }

    proptest! {
        /// The buckets answer what the list answers: known names in any
        /// case, one byte off them, and any name.
        #[test]
        fn names_are_known_as_the_list_knows_them(
            name in names_and_near_names(NAMES.iter().map(|(n, _)| *n).collect())
        ) {
            prop_assert_eq!(KnownHeader::of(&name), known_by_list(&name), "{:?}", name);
        }
    }
}
