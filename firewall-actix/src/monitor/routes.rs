//! The monitor's routes: the page, its assets, the JSON API and the live stream.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, Responder};
use serde::Deserialize;

use super::api::{StoreJson, UpdateJson, MAX_RULES_PAGE};
use super::rule_pages::RuleOrder;
use super::sampler::Sampler;
use super::stream::StreamCursor;

/// How long a browser waits before it reconnects a dropped stream (SSE `retry:`).
const RECONNECT_MILLIS: u64 = 1000;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// How often the stream sends an update.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interval(pub(crate) Duration);

/// Registers every route on the monitor's `App`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    super::bans::configure(cfg);
    cfg.route("/", web::get().to(index))
        .route("/static/app.js", web::get().to(app_js))
        .route("/static/style.css", web::get().to(style_css))
        .route("/api/stats", web::get().to(stats))
        .route("/api/rules", web::get().to(rules))
        .route("/api/events", web::get().to(events))
        .route("/api/events/stream", web::get().to(stream))
        .route("/api/report", web::get().to(report))
        .route("/api/store", web::get().to(store))
        .route("/metrics", web::get().to(crate::metrics::serve))
        .default_service(web::to(|| async {
            HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("not found")
        }));
}

async fn index() -> impl Responder {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(INDEX_HTML)
}

async fn app_js() -> impl Responder {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(APP_JS)
}

async fn style_css() -> impl Responder {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(STYLE_CSS)
}

async fn store(sampler: web::Data<Sampler>) -> impl Responder {
    HttpResponse::Ok().json(StoreJson::new(&sampler.firewall().store_state()))
}

async fn stats(sampler: web::Data<Sampler>) -> impl Responder {
    HttpResponse::Ok().json(sampler.stats())
}

/// `?offset=&limit=&order=` of `/api/rules`.
#[derive(Debug, Deserialize)]
struct RulesQuery {
    offset: Option<usize>,
    limit: Option<usize>,
    #[serde(default)]
    order: RuleOrder,
}

async fn rules(sampler: web::Data<Sampler>, query: web::Query<RulesQuery>) -> impl Responder {
    let limit = query.limit.unwrap_or(MAX_RULES_PAGE).min(MAX_RULES_PAGE);
    let (total, page) = sampler.rules_page(query.order, query.offset.unwrap_or(0), limit);
    HttpResponse::Ok()
        .insert_header(("X-Total-Count", total.to_string()))
        .json(page)
}

/// `?after=SEQ` of `/api/events`.
#[derive(Debug, Deserialize)]
struct After {
    after: Option<u64>,
}

async fn events(sampler: web::Data<Sampler>, query: web::Query<After>) -> impl Responder {
    HttpResponse::Ok().json(sampler.events(query.after.unwrap_or(0)))
}

async fn report(sampler: web::Data<Sampler>) -> impl Responder {
    let name = format!("{}_audit_report.json", file_safe(sampler.firewall().name()));
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(name)],
    };
    HttpResponse::Ok()
        .insert_header(disposition)
        .json(sampler.report())
}

/// Server-Sent Events: an update now, then one per interval, each with
/// `id:` and the decisions made since the previous one (see [`super::api`]).
/// Resumes after `Last-Event-ID` (a browser reconnecting), else after `?after=`.
async fn stream(
    req: HttpRequest,
    sampler: web::Data<Sampler>,
    interval: web::Data<Interval>,
    query: web::Query<After>,
) -> impl Responder {
    let sampler = sampler.into_inner();
    let resume = last_event_id(&req).or(query.after);
    let cursor = StreamCursor::open(sampler.firewall().events(), resume);
    let every = interval.0;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let body = futures_util::stream::unfold(
        (sampler, cursor, ticker, true),
        |(sampler, mut cursor, mut ticker, first)| async move {
            if !first && !cursor.catching_up() {
                ticker.tick().await;
            }
            let message = update_message(&sampler, &mut cursor, first);
            Some((
                Ok::<_, actix_web::Error>(message),
                (sampler, cursor, ticker, false),
            ))
        },
    );
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// The `Last-Event-ID` header as a `seq`, when it is one.
fn last_event_id(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get("last-event-id")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// One SSE message: `id: SEQ` and `data: {json}` (the first one also sets `retry:`).
fn update_message(sampler: &Arc<Sampler>, cursor: &mut StreamCursor, first: bool) -> Bytes {
    let batch = cursor.next_batch(sampler.firewall().events());
    let update = UpdateJson {
        stats: sampler.stats(),
        events: batch.events,
        gap: batch.gap,
    };
    let json = serde_json::to_string(&update).unwrap_or_else(|_| "{}".to_owned());
    let retry = if first {
        format!("retry: {RECONNECT_MILLIS}\n")
    } else {
        String::new()
    };
    Bytes::from(format!("{retry}id: {}\ndata: {json}\n\n", cursor.id()))
}

/// `name` reduced to characters safe in a download file name.
fn file_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() {
        "firewall".to_owned()
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_keep_only_safe_characters() {
        assert_eq!(file_safe("shop"), "shop");
        assert_eq!(file_safe("a/../b\"c"), "a_.._b_c");
        assert_eq!(file_safe(""), "firewall");
    }
}
