//! What the XSS signatures do at each paranoia level with rich text and
//! with the script constructs that only the higher levels read: rich text
//! (formatting, links and images to `https:` URLs, inline colours) passes
//! at paranoia 1; at 2, a tag with attributes is reported (941180), and so
//! are a quote closed then an assignment (941330) and a template
//! expression with an operator (941380).

use std::fmt::Write as _;

use firewall_core::waf::{Request, Waf, WafConfig};

fn waf(paranoia: u8) -> Waf {
    Waf::new(WafConfig::default().paranoia(paranoia)).expect("built-in WAF compiles")
}

/// A form post of `comment`, as a rich-text editor sends it.
fn comment(text: &str) -> Request<'static> {
    let body = encoded(text, "+");
    Request::new("POST", "/blog/post-1/comments").body(
        "application/x-www-form-urlencoded",
        format!("comment={body}"),
    )
}

/// `text` percent-encoded (spaces as `+` in a form, `%20` in a cookie).
fn encoded(text: &str, space: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push_str(space);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The ids of the signatures `req` matches.
fn ids(waf: &Waf, req: &Request<'_>) -> Vec<u32> {
    waf.evaluate(req)
        .matches()
        .iter()
        .map(|m| m.rule_id)
        .collect()
}

const RICH_TEXT: [&str; 6] = [
    "<img src=\"https://images.example.com/cat.jpg\" alt=\"my cat\" width=\"300\">",
    "<p style=\"text-align: center; color: #333\">Centered</p>",
    "<a href=\"https://example.com/page\" target=\"_blank\" rel=\"noopener noreferrer\">link</a>",
    "<span style=\"font-weight: bold\">Note:</span> shipping takes 3 days.",
    "<table><tr><td>Size</td><td>M</td></tr></table>",
    "<p>Dear {{ first_name }}, your order {{order.id}} has shipped.</p>",
];

#[test]
fn rich_text_from_an_editor_passes_at_paranoia_1() {
    let waf = waf(1);
    for text in RICH_TEXT {
        let req = comment(text);
        assert!(ids(&waf, &req).is_empty(), "{text}: {:?}", ids(&waf, &req));
    }
}

#[test]
fn at_paranoia_2_a_tag_with_attributes_is_reported() {
    let waf = waf(2);
    let req = comment(RICH_TEXT[0]);
    assert!(ids(&waf, &req).contains(&941_180), "{:?}", ids(&waf, &req));
    // Formatting without attributes still passes.
    let req = comment("<b>Bold</b> claim, but I <i>mostly</i> agree.");
    assert!(waf.inspect(&req).is_pass(), "{:?}", ids(&waf, &req));
}

#[test]
fn a_quote_closed_then_an_assignment_is_reported_from_paranoia_2() {
    let (pl1, pl2) = (waf(1), waf(2));
    for payload in ["\", x.y=1", "\" in x.y = z", "', name = x", "\"; valueOf=x"] {
        for req in [
            Request::from_target("GET", "/p").cookie("pref", encoded(payload, "%20")),
            Request::from_target("GET", "/p").header("User-Agent", payload),
        ] {
            assert!(ids(&pl2, &req).contains(&941_330), "{payload}");
            assert!(!ids(&pl1, &req).contains(&941_330), "{payload} at PL1");
        }
    }
    for prose in [
        "He said \"no\", then left. x=1",
        "the \"a.b\" key = 1",
        "it's o'clock, name = john",
    ] {
        let req = Request::from_target("GET", "/p").cookie("pref", encoded(prose, "%20"));
        assert!(!ids(&pl2, &req).contains(&941_330), "{prose}");
    }
}

#[test]
fn a_template_expression_with_an_operator_is_reported_from_paranoia_2() {
    let (pl1, pl2) = (waf(1), waf(2));
    for payload in ["{{7*7}}", "{{x=1}}", "{{'a'+'b'}}", "{{$on}}"] {
        let req = Request::from_target("GET", "/p").header("User-Agent", payload);
        assert!(ids(&pl2, &req).contains(&941_380), "{payload}");
        assert!(!ids(&pl1, &req).contains(&941_380), "{payload} at PL1");
    }
    for text in [
        "{{user.name}}",
        "{{ total | currency }}",
        "{{first_name}} {{ last_name }}",
    ] {
        let req = Request::from_target("GET", "/p").header("User-Agent", text);
        assert!(!ids(&pl2, &req).contains(&941_380), "{text}");
    }
}

#[test]
fn images_pasted_as_data_urls_are_no_xss_at_paranoia_1() {
    let waf = waf(1);
    let xss = |req: &Request<'_>| -> Vec<u32> {
        ids(&waf, req)
            .into_iter()
            .filter(|id| (941_000..942_000).contains(id))
            .collect()
    };
    for text in [
        "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"\">",
        "<p><img src=\"data:image/jpeg;base64,/9j/4AAQSkZJRg==\"></p>",
        "<img src=\"/img/database.png\">",
    ] {
        assert!(
            xss(&comment(text)).is_empty(),
            "{text}: {:?}",
            xss(&comment(text))
        );
    }
    for attack in [
        "<iframe src=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">",
        "<object data=\"data:;base64,PHNjcmlwdD4=\">",
        "<embed src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    ] {
        let found = xss(&comment(attack));
        assert!(
            found.contains(&941_120) && found.contains(&941_170),
            "{attack}: {found:?}"
        );
    }
}
