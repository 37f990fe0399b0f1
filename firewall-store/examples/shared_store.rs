//! Two "instances" (two stores) sharing one Redis: a limit counted once for
//! both, a ban made on one refusing on the other. Without a reachable Redis
//! it says so and goes on with in-process stores (then nothing is shared).
//!
//! `REDIS_URL=redis://127.0.0.1:6379/0 cargo run -p firewall-store --example shared_store`

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use firewall_core::ban::{BanPolicy, Bans};
use firewall_core::limit::{Limit, Quota, RateLimiter};
use firewall_store::{Store, StoreConfig};

async fn instance(url: &str) -> Result<Store, Box<dyn std::error::Error>> {
    let policy = BanPolicy::new(20, Duration::from_secs(60), Duration::from_secs(600))?;
    let bans = Arc::new(Bans::new(policy));
    let config = StoreConfig::redis(url)?.prefix("shared_store_example")?;
    match Store::redis(config, Arc::clone(&bans)).await {
        Ok(store) => Ok(store),
        Err(e) => {
            eprintln!("{e}\n  -> limits and bans stay in this process (not shared)");
            Ok(Store::in_process(bans))
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    let (a, b) = (instance(&url).await?, instance(&url).await?);
    println!("store: {} {}", a.state().backend, a.state().url);

    // Each instance has its own limiter: the in-process state and fallback.
    let limit = Limit::new("login", Quota::per_minute(5)?)?;
    let (on_a, on_b) = (RateLimiter::new(limit.clone()), RateLimiter::new(limit));
    let client: IpAddr = "203.0.113.7".parse()?;
    let key = on_a.limit().key_for(client);
    for n in 1..=8 {
        let (name, store, limiter) = if n % 2 == 1 {
            ("A", &a, &on_a)
        } else {
            ("B", &b, &on_b)
        };
        let d = store.check_limit(limiter, &key).await;
        println!(
            "request {n} on {name}: {} (RateLimit: {})",
            if d.allowed { "allowed" } else { "refused" },
            d.header_value("login")
        );
    }

    a.ban(client, Duration::from_secs(60), "example").await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    println!(
        "banned on A, seen on B: {}",
        b.is_banned(client)
            .map_or("no".into(), |ban| ban.to_string())
    );
    a.unban(client).await;
    Ok(())
}
