//! Inspecting a typical 1 KB request (headers, cookies, query, JSON body) at
//! paranoia 1 and 4, against a baseline measured in the same run: parsing the
//! same JSON body with `serde_json`, which any JSON handler does anyway.
//!
//! `cargo bench -p firewall-core --bench waf`

// criterion's macros generate an undocumented `benches` function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use firewall_core::waf::{RequestView, Waf, WafConfig};

const BODY: &str = r#"{"customer":{"name":"Anne O'Neil","email":"anne.oneil@example.com","phone":"+47 912 34 567"},"shipping":{"street":"12 Baker's Lane, Apt. 3B","city":"Springfield","zip":"0150","country":"NO"},"items":[{"sku":"A-100","qty":2,"price":19.9},{"sku":"B-220","qty":1,"price":49.0}],"note":"Please select the plan you'd like; drop me a line if the blue one is out of stock.","coupon":"SPRING24","gift":false}"#;

fn typical() -> RequestView {
    RequestView::from_target("POST", "/api/v1/orders?source=checkout&utm_campaign=spring_sale&ref=cart")
        .header("Host", "shop.example.com")
        .header("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")
        .header("Accept", "application/json, text/plain, */*")
        .header("Accept-Language", "en-GB,en;q=0.9")
        .header("Referer", "https://shop.example.com/checkout?step=2")
        .header("Cookie", "_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000000; session=eyJ1c2VyIjo0Mn0.ZmF0.abc123def456; theme=dark")
        .body("application/json", BODY)
}

fn bench(c: &mut Criterion) {
    let req = typical();
    let size = req
        .headers()
        .map(|(n, v)| n.len() + v.len() + 4)
        .sum::<usize>()
        + req.body_bytes().len()
        + 80;
    println!("typical request: {size} bytes");
    let attack = RequestView::from_target(
        "GET",
        "/items?id=1%27%20UNION%20SELECT%20password%20FROM%20users--",
    );
    let pl1 = Waf::new(WafConfig::default()).unwrap();
    let pl4 = Waf::new(WafConfig::default().paranoia(4)).unwrap();
    let mut group = c.benchmark_group("waf");
    group.bench_function("baseline_json_parse_1k", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde_json::Value>(black_box(req.body_bytes())).unwrap()
        });
    });
    group.bench_function("inspect_1k_pl1", |b| {
        b.iter(|| pl1.inspect(black_box(&req)));
    });
    group.bench_function("inspect_1k_pl4", |b| {
        b.iter(|| pl4.inspect(black_box(&req)));
    });
    group.bench_function("inspect_attack_pl1", |b| {
        b.iter(|| pl1.inspect(black_box(&attack)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
