//! Ordinary clients: every User-Agent of `tests/data/waf/user_agents.txt`
//! (browsers of many vendors and years, HTTP libraries, crawlers) and the
//! Accept, Accept-Language, client-hint and cookie headers browsers send
//! pass at every paranoia level. Prints what is flagged, per level
//! (`cargo test -p firewall-core --test waf_clients -- --nocapture`).

use firewall_core::waf::{Request, Waf, WafConfig};

/// The User-Agents of the data file.
fn user_agents() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/waf/user_agents.txt"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Headers browsers send beside the User-Agent, as (name, value).
const BROWSER_HEADERS: &[(&str, &str)] = &[
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"),
    ("Accept", "application/json, text/plain, */*"),
    ("Accept", "*/*"),
    ("Accept-Language", "en-US,en;q=0.9"),
    ("Accept-Language", "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7"),
    ("Accept-Language", "fr-FR,fr;q=0.8,en-US;q=0.5,en;q=0.3"),
    ("Accept-Language", "zh-CN,zh;q=0.9"),
    ("Accept-Language", "pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7,es;q=0.6"),
    ("Accept-Language", "nb-NO,nb;q=0.9,no;q=0.8,nn;q=0.7,en-US;q=0.6,en;q=0.5"),
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ("Cache-Control", "max-age=0"),
    ("Sec-CH-UA", "\"Google Chrome\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""),
    ("Sec-CH-UA", "\"Microsoft Edge\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""),
    ("Sec-CH-UA", "\" Not A;Brand\";v=\"99\", \"Chromium\";v=\"99\", \"Opera\";v=\"85\""),
    ("Sec-CH-UA-Mobile", "?0"),
    ("Sec-CH-UA-Platform", "\"Windows\""),
    ("Sec-CH-UA-Platform", "\"macOS\""),
    ("Sec-Fetch-Dest", "document"),
    ("Sec-Fetch-Mode", "navigate"),
    ("Sec-Fetch-Site", "same-origin"),
    ("Sec-Fetch-User", "?1"),
    ("Upgrade-Insecure-Requests", "1"),
    ("DNT", "1"),
    ("If-None-Match", "W/\"5e8-1a2b3c4d\""),
    ("If-Modified-Since", "Tue, 03 Dec 2024 10:15:00 GMT"),
    ("Referer", "https://www.google.com/"),
    ("Referer", "https://shop.example.com/search?q=rain+jacket&page=2"),
    ("Cookie", "_ga=GA1.1.1234567890.1733000000; _ga_ABC123XYZ=GS1.1.1733000000.3.1.1733000500.0.0.0"),
    ("Cookie", "_gcl_au=1.1.987654321.1733000000; _fbp=fb.1.1733000000000.1234567890"),
    ("Cookie", "OptanonConsent=isGpcEnabled=0&datestamp=Tue+Dec+03+2024+10%3A15%3A00+GMT%2B0100&version=202409.1.0&groups=C0001%3A1%2CC0002%3A0"),
    ("Cookie", "CookieConsent={stamp:%27abc123==%27%2Cnecessary:true%2Cpreferences:false%2Cstatistics:true%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1}"),
    ("Cookie", "PHPSESSID=k3j4h5g6f7d8s9a0; wordpress_logged_in_abc=admin%7C1733000000%7Ctoken"),
    ("Cookie", "JSESSIONID=8F3A2B1C4D5E6F708192A3B4C5D6E7F8; XSRF-TOKEN=3f2a1b0c-9d8e-4f7a-b6c5-d4e3f2a1b0c9"),
    ("Cookie", "__cf_bm=abc.def-1733000000-1.0.1.1-ghiJKL; cf_clearance=xyz_123-1733000000-1.2.1.1-abc"),
    ("Cookie", "ajs_anonymous_id=%22a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6%22; _hjSessionUser_1234=eyJpZCI6IjEyMyJ9"),
    ("Cookie", "lang=fr; currency=EUR; recently_viewed=101%2C205%2C333; sort=price-asc"),
];

/// A `GET /` from `user_agent` with browser headers, rotated by `i`.
fn request(user_agent: &str, i: usize) -> Request<'static> {
    let mut req = Request::from_target("GET", "/products/rain-jacket?color=blue")
        .header("Host", "shop.example.com")
        .header("User-Agent", user_agent.to_owned());
    for k in 0..4 {
        let (name, value) = BROWSER_HEADERS[(i * 4 + k) % BROWSER_HEADERS.len()];
        req = req.header(name, value);
    }
    req
}

/// What `waf` flags among `requests`, as lines naming the signatures.
fn flagged(waf: &Waf, requests: &[(String, Request<'static>)]) -> Vec<String> {
    requests
        .iter()
        .filter(|(_, r)| !waf.inspect(r).is_pass())
        .map(|(what, r)| {
            let ids: Vec<String> = waf
                .evaluate(r)
                .matches()
                .iter()
                .map(|m| format!("{} in {}", m.rule_id, m.location))
                .collect();
            format!("{what}: {}", ids.join(", "))
        })
        .collect()
}

#[test]
fn ordinary_clients_pass_at_every_paranoia_level() {
    let agents = user_agents();
    assert!(agents.len() >= 150, "only {} user agents", agents.len());
    // Each User-Agent alone, then with the browser headers around it.
    let alone: Vec<(String, Request<'static>)> = agents
        .iter()
        .map(|ua| {
            (
                format!("User-Agent {ua:?}"),
                Request::from_target("GET", "/").header("User-Agent", ua.clone()),
            )
        })
        .collect();
    let with_headers: Vec<(String, Request<'static>)> =
        (0..BROWSER_HEADERS.len().max(agents.len()))
            .map(|i| {
                let ua = &agents[i % agents.len()];
                (format!("browser request {i}"), request(ua, i))
            })
            .collect();
    let mut failures = Vec::new();
    for paranoia in 1..=4 {
        let waf = Waf::new(WafConfig::default().paranoia(paranoia)).unwrap();
        let agents_flagged = flagged(&waf, &alone);
        let requests_flagged = flagged(&waf, &with_headers);
        println!(
            "PL{paranoia}: user agents flagged {} of {}; browser requests (User-Agent, Accept, languages, client hints, cookies) flagged {} of {}",
            agents_flagged.len(),
            alone.len(),
            requests_flagged.len(),
            with_headers.len()
        );
        for line in agents_flagged.iter().chain(&requests_flagged) {
            println!("  PL{paranoia} {line}");
            failures.push(format!("PL{paranoia} {line}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} flagged: {failures:#?}",
        failures.len()
    );
}
