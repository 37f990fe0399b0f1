//! The bans API: `GET /api/bans` lists the bans in force; `POST
//! /api/bans/unban` lifts one and `POST /api/bans` makes one, for an
//! operator with the token, from no other origin (see [`super::api`]).

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use firewall_core::ban::Bans;
use firewall_core::limit::ClientKey;
use firewall_core::{logger, NetMatch};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::access::Access;
use super::api::{BanJson, BanRequest, UnbanRequest, MAX_BANS_PAGE};
use super::sampler::Sampler;

/// The longest manual ban, in seconds (one year).
const MAX_BAN_SECONDS: u64 = 365 * 86_400;

/// The longest reason of a manual ban, in characters.
const MAX_REASON_CHARS: usize = 200;

/// Registers the bans routes; any other method on them is a 405.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/bans")
            .route(web::get().to(list))
            .route(web::post().to(ban))
            .default_service(web::to(|| async { not_allowed("GET, POST") })),
    )
    .service(
        web::resource("/api/bans/unban")
            .route(web::post().to(unban))
            .default_service(web::to(|| async { not_allowed("POST") })),
    );
}

fn not_allowed(allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .content_type("text/plain; charset=utf-8")
        .body(format!("method not allowed: use {allow}"))
}

/// `?offset=&limit=` of `/api/bans`.
#[derive(Debug, Deserialize)]
struct Page {
    offset: Option<usize>,
    limit: Option<usize>,
}

/// One page of the bans in force, newest first; their number in `X-Total-Count`.
async fn list(sampler: web::Data<Sampler>, page: web::Query<Page>) -> HttpResponse {
    let bans = sampler.firewall().bans().list();
    let now = now_nanos();
    let limit = page.limit.unwrap_or(MAX_BANS_PAGE).min(MAX_BANS_PAGE);
    let shown: Vec<BanJson> = bans
        .iter()
        .rev()
        .skip(page.offset.unwrap_or(0))
        .take(limit)
        .map(|ban| BanJson::new(ban, now))
        .collect();
    HttpResponse::Ok()
        .insert_header(("X-Total-Count", bans.len().to_string()))
        .json(shown)
}

/// Lifts the ban on an address or a listed network; logs `UNBAN`.
async fn unban(
    req: HttpRequest,
    access: web::Data<Access>,
    sampler: web::Data<Sampler>,
    body: web::Bytes,
) -> HttpResponse {
    let body: UnbanRequest = match state_change(&req, &access, &body) {
        Ok(body) => body,
        Err((status, why)) => return text(HttpResponse::build(status), &why),
    };
    let bans = sampler.firewall().bans();
    let key = match unban_key(bans, body.key.trim()) {
        Ok(key) => key,
        Err(why) => return text(HttpResponse::BadRequest(), &why),
    };
    match bans.unban_key(&key) {
        // `Bans` logs the UNBAN line itself.
        Some(ended) => HttpResponse::Ok().json(BanJson::new(&ended.ban, now_nanos())),
        None => text(HttpResponse::NotFound(), &format!("no ban on {key}")),
    }
}

/// The key `text` names: an address's ban key, or a network as listed.
fn unban_key(bans: &Bans, text: &str) -> Result<ClientKey, String> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(bans.key_for(ip));
    }
    match text.parse::<NetMatch>() {
        Ok(NetMatch::Net(net)) => Ok(ClientKey::Net {
            addr: net.ip(),
            prefix: net.prefix(),
        }),
        Ok(NetMatch::Any) => Err("ANY is not a ban: name an address or a network".to_owned()),
        Err(e) => Err(format!(
            "not an address or a network: {} ({})",
            quoted(text),
            e.reason()
        )),
    }
}

/// Bans an address for a while; logs `BAN`.
async fn ban(
    req: HttpRequest,
    access: web::Data<Access>,
    sampler: web::Data<Sampler>,
    body: web::Bytes,
) -> HttpResponse {
    let body: BanRequest = match state_change(&req, &access, &body) {
        Ok(body) => body,
        Err((status, why)) => return text(HttpResponse::build(status), &why),
    };
    let (ip, duration, reason) = match checked_ban(&body) {
        Ok(checked) => checked,
        Err(why) => return text(HttpResponse::BadRequest(), &why),
    };
    match sampler.firewall().bans().ban(ip, duration, reason) {
        // `Bans` logs the BAN line itself.
        Ok(made) => HttpResponse::Created().json(BanJson::new(&made, now_nanos())),
        Err(e) => text(HttpResponse::Conflict(), &e.to_string()),
    }
}

/// The JSON body of a state change that `access` allows, or the refusal:
/// 403 (no token configured, another origin) before anything is read, 415
/// for a body that is not `application/json`, 400 for bad JSON.
fn state_change<T: DeserializeOwned>(
    req: &HttpRequest,
    access: &Access,
    body: &[u8],
) -> Result<T, (StatusCode, String)> {
    access
        .may_change_state(req)
        .map_err(|why| (StatusCode::FORBIDDEN, why.to_owned()))?;
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be JSON (Content-Type: application/json)".to_owned(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("bad JSON body: {e}")))
}

/// The address, duration and reason of a manual ban, or what is wrong.
fn checked_ban(body: &BanRequest) -> Result<(IpAddr, Duration, &str), String> {
    let key = body.key.trim();
    let ip: IpAddr = key
        .parse()
        .map_err(|_| format!("not an address: {}", quoted(key)))?;
    if !(1..=MAX_BAN_SECONDS).contains(&body.seconds) {
        return Err(format!(
            "seconds must be 1 to {MAX_BAN_SECONDS} (one year), not {}",
            body.seconds
        ));
    }
    let reason = body.reason.trim();
    let chars = reason.chars().count();
    if chars == 0 || chars > MAX_REASON_CHARS {
        return Err(format!(
            "the reason must be 1 to {MAX_REASON_CHARS} characters, not {chars}"
        ));
    }
    if reason.chars().any(char::is_control) {
        return Err("the reason must not hold control characters".to_owned());
    }
    Ok((ip, Duration::from_secs(body.seconds), reason))
}

/// `text` quoted for an error message, escaped and cut to 64 characters.
fn quoted(text: &str) -> String {
    let cut: String = text.chars().take(64).collect();
    format!("`{}`", logger::escape(&cut))
}

fn text(mut builder: actix_web::HttpResponseBuilder, body: &str) -> HttpResponse {
    builder
        .content_type("text/plain; charset=utf-8")
        .body(body.to_owned())
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use firewall_core::ban::BanPolicy;

    fn bans() -> Bans {
        Bans::new(BanPolicy::new(5, Duration::from_secs(60), Duration::from_secs(600)).unwrap())
    }

    #[test]
    fn an_address_or_the_listed_network_names_the_ban() {
        let bans = bans();
        let v6 = bans
            .ban("2001:db8::7".parse().unwrap(), Duration::from_secs(60), "x")
            .unwrap();
        assert_eq!(unban_key(&bans, "2001:db8::/64"), Ok(v6.key.clone()));
        assert_eq!(unban_key(&bans, "2001:db8::99"), Ok(v6.key));
        assert_eq!(
            unban_key(&bans, "::ffff:203.0.113.7").map(|k| k.to_string()),
            Ok("203.0.113.7".to_owned())
        );
        let host_bits = unban_key(&bans, "2001:db8::1/64").unwrap_err();
        assert!(
            host_bits.starts_with("not an address or a network: `2001:db8::1/64` ("),
            "{host_bits}"
        );
        let hostile = unban_key(&bans, "evil\r\nUNBAN: 1.2.3.4").unwrap_err();
        assert!(
            hostile.starts_with("not an address or a network: `evil\\r\\nUNBAN: 1.2.3.4`"),
            "{hostile}"
        );
        assert!(unban_key(&bans, "ANY").is_err());
    }

    #[test]
    fn a_manual_ban_needs_an_address_a_sane_duration_and_a_printable_reason() {
        let body = |key: &str, seconds, reason: &str| BanRequest {
            key: key.into(),
            seconds,
            reason: reason.into(),
        };
        let ok = body(" 203.0.113.7 ", 60, " abuse ");
        assert_eq!(
            checked_ban(&ok),
            Ok((
                "203.0.113.7".parse().unwrap(),
                Duration::from_secs(60),
                "abuse"
            ))
        );
        for (bad, why) in [
            (body("203.0.113.0/24", 60, "x"), "not an address"),
            (body("203.0.113.7", 0, "x"), "seconds must be"),
            (
                body("203.0.113.7", MAX_BAN_SECONDS + 1, "x"),
                "seconds must be",
            ),
            (body("203.0.113.7", 60, "  "), "1 to 200 characters, not 0"),
            (body("203.0.113.7", 60, &"x".repeat(201)), "not 201"),
            (
                body("203.0.113.7", 60, "a\nBAN: forged"),
                "control characters",
            ),
        ] {
            let err = checked_ban(&bad).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }
}
