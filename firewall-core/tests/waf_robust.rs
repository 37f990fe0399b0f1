//! The WAF never panics, whatever a client sends: arbitrary bytes in every
//! part of the request, at every paranoia level (a panic would take a worker
//! down or, caught, let the request through uninspected).

use firewall_core::waf::{Request, Waf, WafConfig};
use proptest::prelude::*;
use std::sync::OnceLock;

/// One compiled WAF per paranoia level, shared by all cases.
fn waf(paranoia: u8) -> &'static Waf {
    static WAFS: OnceLock<Vec<Waf>> = OnceLock::new();
    let wafs = WAFS.get_or_init(|| {
        (1..=4)
            .map(|pl| Waf::new(WafConfig::default().paranoia(pl)).unwrap())
            .collect()
    });
    &wafs[usize::from(paranoia - 1)]
}

fn content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("application/x-www-form-urlencoded".to_owned()),
        Just("application/json".to_owned()),
        Just("text/xml".to_owned()),
        Just("multipart/form-data; boundary=b".to_owned()),
        Just("multipart/form-data".to_owned()),
        ".{0,40}",
    ]
}

proptest! {
    #[test]
    fn inspect_never_panics(
        target in "\\PC{0,80}",
        header in "\\PC{0,80}",
        cookie in "\\PC{0,60}",
        body in proptest::collection::vec(any::<u8>(), 0..300),
        ct in content_type(),
        paranoia in 1u8..=4,
    ) {
        let waf = waf(paranoia);
        let req = Request::from_target("POST", format!("/{target}"))
            .header("X-Anything", header)
            .header("Cookie", cookie)
            .body(ct, body);
        let _ = waf.inspect(&req);
    }

    #[test]
    fn structured_bodies_with_odd_escapes_never_panic(
        text in "[%&#;\\\\ux0-9a-fA-F<>\\[\\]\"'=/*!{}:-]{0,120}",
    ) {
        let waf = waf(1);
        for ct in ["application/json", "text/xml", "multipart/form-data; boundary=-", ""] {
            let req = Request::from_target("POST", format!("/?q={text}")).body(ct, text.clone());
            let _ = waf.inspect(&req);
        }
    }
}
