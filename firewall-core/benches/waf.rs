//! Inspecting a typical 1 KB request (headers, cookies, query, JSON body) at
//! paranoia 1 and 4, against a baseline measured in the same run: parsing the
//! same JSON body with `serde_json`, which any JSON handler does anyway.
//! `inspect_form_pl1` is exactly the request of the load benchmark
//! (`firewall-actix/benches/load.sh`, `post.lua`): an urlencoded form;
//! `inspect_form_accented_pl1` the same form with a few letters that are
//! not ASCII, which must cost about as much.
//!
//! `cargo bench -p firewall-core --bench waf`

// criterion's macros generate an undocumented `benches` function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use firewall_core::waf::{Request, Waf, WafConfig};

#[path = "support/waf_requests.rs"]
mod waf_requests;

use waf_requests::{form, form_accented, typical};

fn bench(c: &mut Criterion) {
    let req = typical();
    let size = req
        .headers()
        .map(|(n, v)| n.len() + v.len() + 4)
        .sum::<usize>()
        + req.body_bytes().len()
        + 80;
    println!("typical request: {size} bytes");
    let attack = Request::from_target(
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
    let form = form();
    assert!(
        pl1.inspect(&form).is_pass(),
        "the load benchmark's request passes"
    );
    group.bench_function("inspect_form_pl1", |b| {
        b.iter(|| pl1.inspect(black_box(&form)));
    });
    let accented = form_accented();
    assert!(pl1.inspect(&accented).is_pass(), "an accented form passes");
    group.bench_function("inspect_form_accented_pl1", |b| {
        b.iter(|| pl1.inspect(black_box(&accented)));
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
