//! The local copy of the bans: loaded from Redis at start and after every
//! reconnection (SCAN), then kept current by the bans channel.

use std::sync::Arc;

use firewall_core::limit::{Clock, UnixClock};
use firewall_core::logger::TARGET;
use futures_util::StreamExt;
use redis::aio::PubSubStream;
use redis::Value;

use super::{Shared, BACKGROUND_TIMEOUT, MAX_BACKOFF, MIN_BACKOFF};
use crate::wire::{Message, WireBan};

/// Keys asked per SCAN step.
const SCAN_COUNT: usize = 1_000;

async fn bounded<T>(
    what: &str,
    call: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, String> {
    match tokio::time::timeout(BACKGROUND_TIMEOUT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {BACKGROUND_TIMEOUT:?}")),
    }
}

/// Subscribes to the bans channel, then loads every active ban (in this
/// order, so that no change falls between the two); returns the channel's
/// messages and how many bans were loaded.
pub(super) async fn subscribe_and_load(shared: &Shared) -> Result<(PubSubStream, usize), String> {
    let mut pubsub = bounded("pub/sub connection", shared.client.get_async_pubsub()).await?;
    bounded("SUBSCRIBE", pubsub.subscribe(shared.keys.channel())).await?;
    let loaded = load_bans(shared).await?;
    Ok((pubsub.into_on_message(), loaded))
}

/// Reads every ban of this prefix (SCAN, then GET and PTTL pipelined) into
/// the local copy; returns how many.
async fn load_bans(shared: &Shared) -> Result<usize, String> {
    let mut conn = shared.conn.clone();
    let pattern = shared.keys.ban_pattern();
    let (mut cursor, mut loaded, mut unreadable) = (0u64, 0usize, 0usize);
    loop {
        let mut scan = redis::cmd("SCAN");
        scan.arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(SCAN_COUNT);
        let (next, keys): (u64, Vec<String>) = bounded("SCAN", scan.query_async(&mut conn)).await?;
        if !keys.is_empty() {
            let mut pipe = redis::pipe();
            for key in &keys {
                pipe.cmd("GET").arg(key).cmd("PTTL").arg(key);
            }
            let values: Vec<Value> = bounded("GET", pipe.query_async(&mut conn)).await?;
            let now = UnixClock.now();
            for pair in values.chunks(2) {
                let [value, ttl] = pair else { continue };
                let ttl: i64 = redis::from_redis_value(ttl).unwrap_or(-2);
                let Ok(Some(text)) = redis::from_redis_value::<Option<String>>(value) else {
                    continue; // expired between SCAN and GET
                };
                let Ok(ttl_ms) = u64::try_from(ttl) else {
                    continue;
                };
                match serde_json::from_str::<WireBan>(&text)
                    .ok()
                    .and_then(|wire| wire.into_ban(now, ttl_ms))
                {
                    Some(ban) => {
                        shared.bans.insert(ban);
                        loaded += 1;
                    }
                    None => unreadable += 1,
                }
            }
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    if unreadable > 0 {
        log::warn!(
            target: TARGET,
            "Store: {unreadable} bans in Redis under `{pattern}` could not be read and were skipped"
        );
    }
    Ok(loaded)
}

/// Applies one message of the bans channel to the local copy.
fn apply(shared: &Shared, payload: &[u8]) {
    let Ok(message) = serde_json::from_slice::<Message>(payload) else {
        log::warn!(target: TARGET, "Store: unreadable message on the bans channel, skipped");
        return;
    };
    match message {
        Message::Ban { ban, ttl_ms } => {
            if let Some(ban) = ban.into_ban(UnixClock.now(), ttl_ms) {
                shared.bans.insert(ban);
            }
        }
        Message::Unban { key } => {
            if let Some(key) = key.into_key() {
                shared.bans.unban_key_here(&key);
            }
        }
    }
}

/// Follows the bans channel for the store's life; when the connection
/// ends, subscribes and loads again, with a growing backoff.
pub(super) async fn follow_bans(shared: Arc<Shared>, first: PubSubStream) {
    let mut stream = Some(first);
    let mut backoff = MIN_BACKOFF;
    loop {
        if let Some(mut messages) = stream.take() {
            while let Some(message) = messages.next().await {
                apply(&shared, message.get_payload_bytes());
                backoff = MIN_BACKOFF;
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        if let Ok((messages, _)) = subscribe_and_load(&shared).await {
            stream = Some(messages);
        }
    }
}
