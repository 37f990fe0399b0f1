//! The requests the WAF benchmarks inspect (`waf.rs` times them,
//! `waf_profile.rs` loops over them for callgrind).

use firewall_core::waf::Request;

const BODY: &str = r#"{"customer":{"name":"Anne O'Neil","email":"anne.oneil@example.com","phone":"+47 912 34 567"},"shipping":{"street":"12 Baker's Lane, Apt. 3B","city":"Springfield","zip":"0150","country":"NO"},"items":[{"sku":"A-100","qty":2,"price":19.9},{"sku":"B-220","qty":1,"price":49.0}],"note":"Please select the plan you'd like; drop me a line if the blue one is out of stock.","coupon":"SPRING24","gift":false}"#;

pub fn typical() -> Request<'static> {
    Request::from_target("POST", "/api/v1/orders?source=checkout&utm_campaign=spring_sale&ref=cart")
        .header("Host", "shop.example.com")
        .header("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")
        .header("Accept", "application/json, text/plain, */*")
        .header("Accept-Language", "en-GB,en;q=0.9")
        .header("Referer", "https://shop.example.com/checkout?step=2")
        .header("Cookie", "_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000000; session=eyJ1c2VyIjo0Mn0.ZmF0.abc123def456; theme=dark")
        .body("application/json", BODY)
}

/// The body of `firewall-actix/benches/post.lua` (the load benchmark), byte for
/// byte; `accented`: with a name and a word that are not ASCII.
fn form_body(accented: bool) -> String {
    let name = if accented {
        "name=Zo%C3%AB+M%C3%BCller"
    } else {
        "name=Ann+O%27Brien"
    };
    let fields = [
        name,
        "email=ann.obrien%40example.com",
        "phone=%2B44+20+7946+0958",
        "address=Flat+3%2C+12+Baker%27s+Row%2C+London",
        "postcode=NW1+6XE",
        "plan=pro-yearly",
        "seats=12",
        "coupon=SPRING-2026",
        "newsletter=on",
        "csrf_token=6f1c2e9a0b7d4e3f8a5c1b2d9e0f7a6c",
    ];
    let greeting = if accented { "Caf%C3%A9+order%3A+" } else { "" };
    let comment = "Please+select+the+plan+you%27d+recommend+for+a+small+team%2C+and+drop+me+a+line+if+the+invoice+needs+a+PO+number.+".repeat(6);
    format!("{}&comment={greeting}{comment}", fields.join("&"))
}

/// The load benchmark's request (post.lua), with the headers wrk sends.
pub fn form() -> Request<'static> {
    form_request(form_body(false), "")
}

/// [`form`] from a customer whose name and comment are not all ASCII
/// ("Zoë Müller", "Café order: ..."), as in most of the world.
pub fn form_accented() -> Request<'static> {
    form_request(form_body(true), "")
}

/// [`form`] with every value of its head (query, headers, cookies) ending in
/// `n`, as `load.sh`'s `waf_new_head` sends it (the path, `Content-Type` and
/// `Content-Length` unchanged): with a new `n` each time, none of them is
/// one the WAF found clean before, which is the worst case of its memo of
/// those.
#[allow(dead_code)] // waf_profile's only
pub fn form_new_head(n: usize) -> Request<'static> {
    form_request(form_body(false), &n.to_string())
}

fn form_request(body: String, mark: &str) -> Request<'static> {
    let cookie = format!("sid=9b2f0c7e4d1a{mark}; theme=dark{mark}; _ga=GA1.2.1843925735.1700000000{mark}; cart=3{mark}");
    Request::from_target(
        "POST",
        format!("/?ref=newsletter{mark}&utm_source=mail{mark}&utm_campaign=spring{mark}"),
    )
    .header("Host", format!("127.0.0.1:18080{mark}"))
    .header("Content-Length", body.len().to_string())
    .header("Content-Type", "application/x-www-form-urlencoded")
    .header(
        "User-Agent",
        format!("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0{mark}"),
    )
    .header(
        "Accept",
        format!("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8{mark}"),
    )
    .header("Accept-Language", format!("en-GB,en;q=0.7{mark}"))
    .header(
        "Referer",
        format!("https://shop.example.com/checkout/plan?step=2{mark}"),
    )
    .header("Cookie", cookie)
    .body("application/x-www-form-urlencoded", body)
}
