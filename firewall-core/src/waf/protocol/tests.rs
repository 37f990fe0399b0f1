//! The protocol checks on requests built from the grammars they enforce.

use super::*;

/// What collecting `req`'s values leaves for the checks, as
/// `Waf::evaluate` collects them (the body with the default limit).
fn readings<'r>(req: &'r Request<'_>) -> Readings<'r> {
    let limit = crate::waf::WafConfig::default().body_limit;
    let mut readings = Readings::default();
    crate::waf::target::collect_head(req, &mut readings.query);
    if body_is_form_within(req, limit) {
        crate::waf::target::collect_body(req, limit, &mut readings.body);
    }
    readings
}

/// The checks `req` fails, by name.
fn failed(req: &Request<'_>) -> Vec<String> {
    let all: Vec<(usize, Check)> = NAMES
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (i, *c))
        .collect();
    let mut out = Vec::new();
    run(req, readings(req), &Checks::new(all), 1, |i, _| {
        out.push(NAMES[i].1.to_owned());
    });
    out
}

/// An HTTP/1.1 GET as curl sends it.
fn curl(target: &str) -> Request<'_> {
    Request::from_target("GET", target)
        .version("HTTP/1.1")
        .header("Host", "127.0.0.1:5000")
        .header("User-Agent", "curl/8.5.0")
        .header("Accept", "*/*")
}

#[test]
fn a_content_type_cut_inside_a_character_is_read_without_panic() {
    let req = Request::from_target("POST", "/?a=\\u0041").body("I\u{c0f44}hi", "x");
    assert!(failed(&req).contains(&"unicode-escape".to_owned()));
}

#[test]
fn names_round_trip() {
    for (check, name) in NAMES {
        assert_eq!(check.to_string(), name);
        assert_eq!(name.parse::<Check>(), Ok(check));
    }
}

#[test]
fn ordinary_requests_fail_no_check_below_the_strict_ranges() {
    let strict = ["argument-strict", "outside-printable"];
    let form = curl("/login?next=%2Fhome")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Content-Length", "21");
    let form = Request::new("POST", "/login")
        .version("HTTP/1.1")
        .header("Host", "shop.example.com")
        .header("User-Agent", "Mozilla/5.0")
        .header("Accept", "text/html,*/*;q=0.8")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Content-Length", "21")
        .body("application/x-www-form-urlencoded", "user=ann&pass=s3cr3t!")
        .query(form.raw_query().to_owned());
    for req in [curl("/"), curl("/search?q=rain+jacket&page=2"), form] {
        let failed = failed(&req);
        assert!(
            failed.iter().all(|f| strict.contains(&f.as_str())),
            "{req:?}: {failed:?}"
        );
    }
}

#[test]
fn bodies_and_lengths() {
    let get = curl("/").header("Content-Length", "7");
    assert!(failed(&get).contains(&"get-with-body".to_owned()));
    let zero = curl("/").header("Content-Length", "0");
    assert!(!failed(&zero).contains(&"get-with-body".to_owned()));
    let bad = curl("/").header("Content-Length", "3;");
    assert!(failed(&bad).contains(&"length-not-digits".to_owned()));
    let post = Request::new("POST", "/").version("HTTP/1.1");
    assert!(failed(&post).contains(&"post-without-length".to_owned()));
    let untyped = Request::new("PUT", "/r").header("Content-Length", "4");
    assert!(failed(&untyped).contains(&"body-without-type".to_owned()));
}

#[test]
fn encodings() {
    let has = |target: &str, check: &str| failed(&curl(target)).contains(&check.to_owned());
    assert!(has("/?a=50%", "bad-percent-uri"));
    assert!(has("/?a=%zz", "bad-percent-uri"));
    assert!(!has("/?a=%41", "bad-percent-uri"));
    assert!(has("/?a=%uff0f", "full-width-unicode"));
    assert!(has("/?a=%c0%af", "bad-utf8"));
    assert!(has("/?a=%E2%A3", "bad-utf8"));
    assert!(!has("/?a=%C3%A9", "bad-utf8"));
    assert!(has("/?a=%2541", "double-encoding"));
    assert!(has("/?a=%00", "nul-byte"));
    assert!(has("/?a=%13", "control-character"));
    assert!(has("/?a=1%25", "outside-printable"));
    assert!(has("/?file=\\c", "abnormal-escape"));
    assert!(!has("/?file=\\\\c", "abnormal-escape"));
}

#[test]
fn paths() {
    let has = |target: &str, check: &str| failed(&curl(target)).contains(&check.to_owned());
    assert!(has("/backup/site.sql", "restricted-extension"));
    assert!(has("/dump%2Erdb", "restricted-extension"));
    assert!(!has("/fonts/Inter.ttf", "restricted-extension"));
    assert!(has("/index.php~", "backup-file"));
    assert!(!has("/~user/index.html", "backup-file"));
    assert!(has("/#frag", "fragment-in-target"));
}

#[test]
fn method_override_names_another_method() {
    let post = |q: &str| Request::from_target("POST", format!("/r?{q}"));
    assert!(failed(&post("_method=DELETE")).contains(&"method-override".to_owned()));
    assert!(failed(&post("_method=%44%45%4C%45%54%45")).contains(&"method-override".to_owned()));
    assert!(!failed(&post("_method=post")).contains(&"method-override".to_owned()));
    assert!(!failed(&post("_method=AB")).contains(&"method-override".to_owned()));
    assert!(!failed(&post("http_method=PUT")).contains(&"method-override".to_owned()));
}

mod through_the_waf {
    use crate::waf::{Request, Verdict, Waf, WafConfig};

    fn waf(paranoia: u8) -> Waf {
        Waf::new(WafConfig::default().paranoia(paranoia)).unwrap()
    }

    /// The ids a request matches at `paranoia`.
    fn ids(paranoia: u8, req: &Request<'_>) -> Vec<u32> {
        waf(paranoia)
            .evaluate(req)
            .matches()
            .iter()
            .map(|m| m.rule_id)
            .collect()
    }

    /// A browser's form post over HTTP/1.1, as Actix hands it over.
    fn form_post() -> Request<'static> {
        Request::new("POST", "/account/login")
            .version("HTTP/1.1")
            .header("Host", "shop.example.com")
            .header(
                "User-Agent",
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            )
            .header(
                "Accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            )
            .header("Accept-Language", "nb-NO,nb;q=0.9,en;q=0.5")
            .header("Accept-Encoding", "gzip, deflate, br, zstd")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Content-Length", "38")
            .header("Sec-Fetch-User", "?1")
            .header("Cache-Control", "max-age=0")
            .body(
                "application/x-www-form-urlencoded",
                "user=%C3%85se&pass=r%C3%B8d+gr%C3%B8t",
            )
    }

    #[test]
    fn ordinary_clients_pass_at_paranoia_1_and_2() {
        let curl = Request::from_target("GET", "/health?verbose=1")
            .version("HTTP/1.1")
            .header("Host", "127.0.0.1:5000")
            .header("User-Agent", "curl/8.5.0")
            .header("Accept", "*/*");
        let upload = Request::new("POST", "/files")
            .version("HTTP/1.1")
            .header("Host", "[::1]:5000")
            .header("User-Agent", "python-requests/2.32.3")
            .header("Accept", "*/*")
            .header("Content-Type", "multipart/form-data; boundary=b0undary")
            .body(
                "multipart/form-data; boundary=b0undary",
                "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Anne O'Neil.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\r\n--b0undary--\r\n",
            );
        for paranoia in [1, 2] {
            for req in [&curl, &form_post(), &upload] {
                assert_eq!(ids(paranoia, req), [0u32; 0], "PL{paranoia}: {req:?}");
            }
        }
    }

    #[test]
    fn protocol_violations_are_refused_at_paranoia_1() {
        let get_with_body = Request::new("GET", "/")
            .version("HTTP/1.1")
            .header("Host", "shop.example.com")
            .header("Content-Length", "7")
            .body("application/x-www-form-urlencoded", "a=b&c=d");
        let bad_percent = Request::from_target("GET", "/search?q=%zz%u0027");
        let overlong = Request::from_target("GET", "/files?name=..%c0%af..%c0%afetc");
        let backup = Request::from_target("GET", "/config/database.yml.bak");
        let smuggling = Request::new("POST", "/")
            .header("Content-Length", "4")
            .header("Transfer-Encoding", "chunked");
        for (req, id) in [
            (get_with_body, 920_170),
            (bad_percent, 920_220),
            (backup, 920_440),
            (smuggling, 920_181),
        ] {
            let verdict = waf(1).inspect(&req);
            assert!(
                matches!(&verdict, Verdict::Block(hit) if hit.rule_id / 1000 == 920),
                "{req:?}: {verdict:?}"
            );
            assert!(ids(1, &req).contains(&id), "{req:?}");
        }
        // Overlong UTF-8 is 920250's only with `validate_utf8` (off by
        // default, as in CRS); the traversal it hides is refused anyway.
        assert!(matches!(waf(1).inspect(&overlong), Verdict::Block(_)));
        let strict = Waf::new(WafConfig::default().validate_utf8(true)).unwrap();
        let report = strict.evaluate(&overlong);
        assert!(report.matches().iter().any(|m| m.rule_id == 920_250));
    }

    #[test]
    fn header_anomalies_add_up_then_refuse_alone_from_paranoia_3() {
        // No User-Agent and no Accept: notices at paranoia 2, 2 + 2 < 5.
        let bare = Request::from_target("GET", "/")
            .version("HTTP/1.1")
            .header("Host", "shop.example.com");
        assert!(waf(2).inspect(&bare).is_pass());
        assert!(!waf(3).inspect(&bare).is_pass());
        // A view built by hand says no version: not held to HTTP/1's headers.
        assert!(waf(4)
            .evaluate(&Request::from_target("GET", "/"))
            .matches()
            .is_empty());
        // Loopback by address: a developer's curl at 1 and 2, numeric from 3.
        let local = Request::from_target("GET", "/")
            .version("HTTP/1.1")
            .header("Host", "127.0.0.1:5000")
            .header("User-Agent", "curl/8.5.0")
            .header("Accept", "*/*");
        assert!(!ids(2, &local).contains(&920_350));
        assert!(ids(3, &local).contains(&920_350));
    }

    #[test]
    fn a_check_is_disabled_like_a_signature() {
        let req = Request::from_target("GET", "/search?q=100%");
        assert!(ids(1, &req).contains(&920_220));
        let waf = Waf::new(WafConfig::default().disable(920_220)).unwrap();
        assert!(waf
            .evaluate(&req)
            .matches()
            .iter()
            .all(|m| m.rule_id != 920_220));
    }
}

/// The checks `req` fails with those of paranoia 1 and 2 only (no byte
/// range beyond NUL wanted: the values' fast path).
fn failed_at_paranoia_1(req: &Request<'_>) -> Vec<String> {
    let ranges = [
        Check::ControlCharacter,
        Check::OutsidePrintable,
        Check::ArgumentStrict,
        Check::HeaderStrict,
    ];
    let some: Vec<(usize, Check)> = NAMES
        .iter()
        .enumerate()
        .filter(|(_, (c, _))| !ranges.contains(c))
        .map(|(i, (c, _))| (i, *c))
        .collect();
    let mut out = Vec::new();
    run(req, readings(req), &Checks::new(some), 1, |i, _| {
        out.push(NAMES[i].1.to_owned());
    });
    out
}

#[test]
fn values_without_a_percent_are_read_in_place_with_the_same_findings() {
    let has =
        |req: &Request<'_>, check: &str| failed_at_paranoia_1(req).contains(&check.to_owned());
    assert!(has(&curl("/?file=\\c"), "abnormal-escape"));
    assert!(!has(&curl("/?file=\\\\c"), "abnormal-escape"));
    assert!(has(&curl("/?a=%00"), "nul-byte"));
    assert!(has(&curl("/?a=%c0%af"), "bad-utf8"));
    assert!(has(&curl("/?a=%2541"), "double-encoding"));
    assert!(has(&curl("/").header("X-Note", "a\0b"), "nul-byte"));
    assert!(has(
        &curl("/").header("X-Note", "\\u0041"),
        "unicode-escape"
    ));
    assert!(!has(
        &curl("/").header("User-Agent", "\\u0041"),
        "unicode-escape"
    ));
    let clean = curl("/shop/item?id=42&q=blue+shirt").header("X-Note", "plain text");
    assert_eq!(failed_at_paranoia_1(&clean), Vec::<String>::new());
}

#[test]
fn accept_is_cut_and_its_charset_unquoted_as_before() {
    let accept = |value: &str| {
        let req = Request::from_target("GET", "/")
            .version("HTTP/1.1")
            .header("Host", "shop.example.com")
            .header("User-Agent", "curl/8.5.0")
            .header("Accept", value);
        failed(&req)
    };
    let syntax = "accept-syntax".to_owned();
    assert!(!accept("text/html,application/xml;q=0.9,*/*;q=0.8").contains(&syntax));
    assert!(!accept("text/html,,").contains(&syntax));
    assert!(!accept("text/html;charset=\"'  utf-8 '\"").contains(&syntax));
    assert!(accept("text/html;charset=ebcdic").contains(&syntax));
    assert!(accept("text/html;level").contains(&syntax));
    assert!(accept("text/html;q=(1)").contains(&syntax));
    assert!(accept("text/ht ml").contains(&syntax));
    assert!(!accept("text/html\u{a0}").contains(&syntax));
    assert!(accept("é/x").contains(&syntax));
}

/// The attack generators, loaded once for the crate's tests.
use crate::waf::sql_injection::generated;

/// Arguments read in place (their escapes plain) and headers passed over
/// (no escape or NUL) give the findings, locations, count and total that
/// decoding every one gives.
mod arguments_in_place {
    use proptest::prelude::*;

    use super::values::{Values, ALL_FINDINGS, IN_PLACE};
    use super::{generated, readings, Readings, Request};

    /// Each wanted finding's first location, as text (the others are
    /// never read).
    fn findings(values: &Values<'_>, wanted: u32) -> Vec<Option<String>> {
        ALL_FINDINGS
            .iter()
            .filter(|f| f.bit() & wanted != 0)
            .map(|&f| values.first(f).map(|l| l.to_string()))
            .collect()
    }

    /// The readings of `req` differ in nothing, for `wanted`, for
    /// `wanted` cut to what the arguments read in place answer, and for
    /// each of those findings alone: every value decoded (the reference),
    /// the arguments read in place, and the arguments taken from what the
    /// engine's collection of the values showed.
    fn same(req: &Request<'_>, wanted: u32) -> Result<(), TestCaseError> {
        let alone = ALL_FINDINGS.iter().map(|f| f.bit() & IN_PLACE);
        let collected = readings(req);
        for wanted in [wanted, wanted & IN_PLACE, IN_PLACE]
            .into_iter()
            .chain(alone)
        {
            let reference = Values::of_decoding_all(req, wanted);
            for readings in [&Readings::default(), &collected] {
                same_as(req, wanted, &Values::of(req, wanted, readings), &reference)?;
            }
        }
        Ok(())
    }

    fn same_as(
        req: &Request<'_>,
        wanted: u32,
        fast: &Values<'_>,
        reference: &Values<'_>,
    ) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            findings(fast, wanted),
            findings(reference, wanted),
            "{:#x} {:?}",
            wanted,
            req
        );
        prop_assert_eq!(
            fast.arguments_and_total(),
            reference.arguments_and_total(),
            "{:#x} {:?}",
            wanted,
            req
        );
        Ok(())
    }

    /// Pieces of queries and form bodies: escapes of every kind (plain,
    /// NUL, backslash, above ASCII as UTF-8 or not, `%u`, malformed),
    /// separators, backslash escapes, and names and values past the
    /// length limits.
    const PIECES: &[&str] = &[
        "a",
        "Z",
        "0",
        "f",
        "F",
        "9",
        "_method",
        "put",
        "%",
        "%2",
        "%41",
        "%4",
        "%25",
        "%2541",
        "%00",
        "%5c",
        "%5C",
        "%7f",
        "%80",
        "%C3%A9",
        "%c3",
        "%a9",
        "%c0%af",
        "%F0%9F%98%80",
        "%F0%9F",
        "%E2%82",
        "%uFF41",
        "%u0041",
        "%UfF1c",
        "%u+123",
        "%u00",
        "u",
        "+",
        " ",
        "=",
        "==",
        "&",
        "&&",
        "\\",
        "\\c",
        "\\u0041",
        "\\\\",
        "\0",
        "\u{1}",
        "\u{7f}",
        "é",
        "€",
        "\u{fffd}",
        "%ef%bf%bd",
    ];

    fn long_piece() -> impl Strategy<Value = String> {
        (
            prop::sample::select(&["n", "%41", "%C3%A9", "+", "%zz"][..]),
            30usize..160,
        )
            .prop_map(|(piece, times)| piece.repeat(times))
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                8 => prop::sample::select(PIECES).prop_map(str::to_owned),
                1 => long_piece(),
            ],
            0..24,
        )
        .prop_map(|pieces| pieces.concat())
    }

    fn content_type() -> impl Strategy<Value = &'static str> {
        prop::sample::select(
            &[
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=utf-8",
                "application/x-www-form-urlencoded; charset=iso-8859-1",
                "text/plain",
            ][..],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn on_random_queries_and_forms(
            query in text(),
            body in text(),
            high_bytes in prop::collection::vec(any::<u8>(), 0..4),
            content_type in content_type(),
            header in text(),
            wanted in any::<u32>(),
        ) {
            let mut body = body.into_bytes();
            body.extend(high_bytes);
            let req = Request::new("POST", "/p")
                .query(query)
                .header("X-Note", header)
                .body(content_type, body);
            same(&req, wanted)?;
        }
    }

    #[test]
    fn on_generated_attacks_and_the_benign_and_crs_corpora() {
        let requests = generated::attacks(21, 60)
            .into_iter()
            .map(|attack| attack.request)
            .chain(crate::waf::tests::corpora());
        let mut count = 0;
        for req in requests {
            for wanted in [u32::MAX, 0x1_ffff, 0] {
                same(&req, wanted).unwrap();
            }
            count += 1;
        }
        assert!(count > 1000, "{count} requests");
    }
}
