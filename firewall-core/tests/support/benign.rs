//! The benign corpus: `tests/data/waf/benign.toml` (prose with apostrophes
//! and SQL words, searches, HTML comments, uploads, JSON APIs, tracking
//! cookies) expanded into requests. Shared by `waf_benign.rs` and the
//! engine's unit tests (included by path).

use std::fmt::Write as _;

use firewall_core::waf::Request;
use serde::Deserialize;

#[derive(Deserialize)]
struct Pieces {
    prose: Vec<String>,
    searches: Vec<String>,
    names: Vec<String>,
    emails: Vec<String>,
    cities: Vec<String>,
    html_comments: Vec<String>,
    file_names: Vec<String>,
    slugs: Vec<String>,
    user_agents: Vec<String>,
    cookies: Vec<String>,
    referers: Vec<String>,
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn pieces() -> Pieces {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/waf/benign.toml");
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Percent-encodes a form value the way browsers do (space as `+`).
fn enc(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Percent-encodes a form value as a page in ISO-8859-1 sends it (one
/// byte per character, `é` as `%E9`); `None` when a character has no
/// Latin-1 byte.
fn enc_latin1(value: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = value
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect();
    let mut out = String::new();
    for b in bytes? {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    Some(out)
}

fn json(value: &serde_json::Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// Adds the headers a browser sends, rotating agents, cookies and referers.
fn browser(p: &Pieces, i: usize, req: Request<'static>) -> Request<'static> {
    req.header("Host", "shop.example.com")
        .header("User-Agent", p.user_agents[i % p.user_agents.len()].clone())
        .header(
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .header("Accept-Language", "en-GB,en;q=0.9,nb;q=0.8")
        .header("Referer", p.referers[i % p.referers.len()].clone())
        .header("Cookie", p.cookies[i % p.cookies.len()].clone())
}

fn prose_requests(p: &Pieces, out: &mut Vec<Request<'static>>) {
    for (i, text) in p.prose.iter().enumerate() {
        let (name, email, city) = (
            &p.names[i % p.names.len()],
            &p.emails[i % p.emails.len()],
            &p.cities[i % p.cities.len()],
        );
        let form = format!(
            "name={}&email={}&city={}&message={}",
            enc(name),
            enc(email),
            enc(city),
            enc(text)
        );
        out.push(browser(
            p,
            i,
            Request::new("POST", "/contact").body(FORM, form),
        ));
        let subject: String = text
            .split_whitespace()
            .take(5)
            .collect::<Vec<_>>()
            .join(" ");
        let ticket = serde_json::json!({
            "subject": subject, "body": text, "priority": "normal", "tags": ["support", "web"],
            "customer": { "name": name, "email": email, "city": city }
        });
        out.push(browser(
            p,
            i + 1,
            Request::new("POST", "/api/v1/tickets").body(JSON, json(&ticket)),
        ));
        let query = format!("rating={}&comment={}&source=footer", 1 + i % 5, enc(text));
        out.push(browser(
            p,
            i + 2,
            Request::from_target("GET", format!("/feedback?{query}")),
        ));
        let note = serde_json::json!({ "title": subject, "text": text, "pinned": i % 3 == 0 });
        out.push(browser(
            p,
            i + 3,
            Request::new("PUT", format!("/api/notes/{}", 100 + i)).body(JSON, json(&note)),
        ));
    }
}

fn search_requests(p: &Pieces, out: &mut Vec<Request<'static>>) {
    for (i, q) in p.searches.iter().enumerate() {
        let target = format!("/search?q={}&page={}&sort=relevance", enc(q), 1 + i % 4);
        out.push(browser(p, i, Request::from_target("GET", target)));
        let body = serde_json::json!({ "query": q, "filters": { "in_stock": true, "max_price": 200 }, "limit": 24 });
        out.push(browser(
            p,
            i + 5,
            Request::new("POST", "/api/search").body(JSON, json(&body)),
        ));
    }
}

fn comment_requests(p: &Pieces, out: &mut Vec<Request<'static>>) {
    for (i, html) in p.html_comments.iter().enumerate() {
        let slug = &p.slugs[i % p.slugs.len()];
        let form = format!(
            "author={}&comment={}&notify=on",
            enc(&p.names[i % p.names.len()]),
            enc(html)
        );
        out.push(browser(
            p,
            i,
            Request::new("POST", format!("/blog/{slug}/comments")).body(FORM, form),
        ));
        let body = serde_json::json!({ "post": slug, "html": html, "reply_to": null });
        out.push(browser(
            p,
            i + 1,
            Request::new("POST", "/api/comments").body(JSON, json(&body)),
        ));
    }
}

fn upload_requests(p: &Pieces, out: &mut Vec<Request<'static>>) {
    let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    for (i, file) in p.file_names.iter().enumerate() {
        let title = file
            .rsplit_once('.')
            .map_or(file.as_str(), |(stem, _)| stem);
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n\x00\x01binary\x02\r\n--{boundary}--\r\n",
            p.prose[i % p.prose.len()]
        );
        let ct = format!("multipart/form-data; boundary={boundary}");
        out.push(browser(
            p,
            i,
            Request::new("POST", "/account/documents").body(ct, body),
        ));
    }
}

fn browsing_requests(p: &Pieces, out: &mut Vec<Request<'static>>) {
    for (i, slug) in p.slugs.iter().enumerate() {
        let target = format!(
            "/products/{slug}?ref=home&utm_source=newsletter&utm_campaign=spring_sale&color=blue"
        );
        out.push(browser(p, i, Request::from_target("GET", target)));
        out.push(browser(
            p,
            i + 1,
            Request::from_target("GET", format!("/articles/2024/05/{slug}.html")),
        ));
        let api = format!("/api/v1/orders?status=shipped&from=2024-01-0{}&to=2024-03-31&limit=50&fields=id,total,items", 1 + i % 9);
        out.push(browser(
            p,
            i + 2,
            Request::from_target("GET", api).header(
                "Authorization",
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
            ),
        ));
    }
    for (i, name) in p.names.iter().enumerate() {
        let body = serde_json::json!({
            "display_name": name, "bio": p.prose[(i * 7) % p.prose.len()], "city": p.cities[i % p.cities.len()],
            "website": format!("https://example.com/~user{i}"), "newsletter": true, "age": 20 + i
        });
        out.push(browser(
            p,
            i,
            Request::new("PATCH", format!("/api/users/{}", 40 + i)).body(JSON, json(&body)),
        ));
    }
}

/// Forms and searches from pages served in ISO-8859-1 (`accept-charset`,
/// older sites): accented letters arrive as single bytes, not UTF-8.
fn latin1_requests(p: &Pieces, out: &mut Vec<Request<'static>>) {
    let texts = p.prose.iter().filter(|t| !t.is_ascii());
    for (i, text) in texts.filter_map(|t| enc_latin1(t)).enumerate() {
        let city = &p.cities[i % p.cities.len()];
        let city = enc_latin1(city).unwrap_or_else(|| enc(city));
        let form = format!("name=Ren%E9e+L%E9vesque&city={city}&message={text}");
        out.push(browser(
            p,
            i,
            Request::new("POST", "/contact").body(FORM, form),
        ));
        out.push(browser(
            p,
            i + 1,
            Request::from_target("GET", format!("/search?q={text}&lang=fr")),
        ));
    }
}

/// Every request of the corpus.
pub fn corpus() -> Vec<Request<'static>> {
    let p = pieces();
    let mut out = Vec::new();
    prose_requests(&p, &mut out);
    search_requests(&p, &mut out);
    comment_requests(&p, &mut out);
    upload_requests(&p, &mut out);
    browsing_requests(&p, &mut out);
    latin1_requests(&p, &mut out);
    out
}
