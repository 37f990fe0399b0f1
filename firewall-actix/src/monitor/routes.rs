//! The monitor's routes: the page, its assets, the JSON API and the live stream.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, Responder};
use serde::Deserialize;

use super::api::UpdateJson;
use super::sampler::Sampler;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// How often the stream sends an update.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interval(pub(crate) Duration);

/// Registers every route on the monitor's `App`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/static/app.js", web::get().to(app_js))
        .route("/static/style.css", web::get().to(style_css))
        .route("/api/stats", web::get().to(stats))
        .route("/api/rules", web::get().to(rules))
        .route("/api/events", web::get().to(events))
        .route("/api/events/stream", web::get().to(stream))
        .route("/api/report", web::get().to(report))
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

async fn stats(sampler: web::Data<Sampler>) -> impl Responder {
    HttpResponse::Ok().json(sampler.stats())
}

async fn rules(sampler: web::Data<Sampler>) -> impl Responder {
    HttpResponse::Ok().json(sampler.rules())
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

/// Server-Sent Events: an update now, then one per interval, each carrying
/// the decisions made since the previous one.
async fn stream(
    sampler: web::Data<Sampler>,
    interval: web::Data<Interval>,
    query: web::Query<After>,
) -> impl Responder {
    let sampler = sampler.into_inner();
    let start = query
        .after
        .unwrap_or_else(|| sampler.stats().last_seq.saturating_sub(50));
    let mut ticker = tokio::time::interval(interval.0);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let body = futures_util::stream::unfold(
        (sampler, start, ticker),
        |(sampler, after, mut ticker)| async move {
            ticker.tick().await;
            let (message, after) = update_message(&sampler, after);
            Some((Ok::<_, actix_web::Error>(message), (sampler, after, ticker)))
        },
    );
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// One SSE message (`data: {json}\n\n`) and the `seq` to continue after.
fn update_message(sampler: &Arc<Sampler>, after: u64) -> (Bytes, u64) {
    let events = sampler.events(after);
    let update = UpdateJson {
        stats: sampler.stats(),
        rules: sampler.rules(),
        events: events.events,
    };
    let json = serde_json::to_string(&update).unwrap_or_else(|_| "{}".to_owned());
    (Bytes::from(format!("data: {json}\n\n")), events.last_seq)
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
