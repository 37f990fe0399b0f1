//! A plain release loop over `Waf::inspect` for instruction and cache-miss
//! counts under callgrind (perf counters are often unavailable on VMs):
//!
//! ```text
//! cargo bench -p firewall-core --bench waf_profile --no-run
//! valgrind --tool=callgrind --toggle-collect='*waf_profile*measured*' \
//!     target/release/deps/waf_profile-* form 1 2000
//! ```
//!
//! Arguments: request (`form`: the load benchmark's POST; `form-accented`:
//! the same with a few letters that are not ASCII; `form-new-head`: the
//! same with every value of its head new at each inspection, which the
//! WAF's memo of clean head values never knows; `json`: the typical
//! JSON order), paranoia level, inspections, and optionally a
//! number of KiB to sweep between two inspections, as a server's network
//! stack does, so that the WAF runs with cold caches. Divide the
//! collected counts by the inspections. Before them, [`WARM_UP`]
//! inspections are made and not collected: the automata build their
//! states within a time budget per request, so their warm-up is spread
//! over the first requests, and under callgrind (about 50 times slower)
//! over the first thousand or so. It also prints the mean wall time of an
//! inspection (the sweep not included), to compare warm and cold caches.

use std::hint::black_box;
use std::time::{Duration, Instant};

use firewall_core::waf::{Request, Waf, WafConfig};

#[path = "support/waf_requests.rs"]
mod waf_requests;

/// Inspections made before the measured ones (not collected).
const WARM_UP: usize = 5000;

/// One measured inspection: the function callgrind's `--toggle-collect`
/// names.
#[inline(never)]
fn measured(waf: &Waf, request: &Request<'_>) -> bool {
    waf.inspect(black_box(request)).is_pass()
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let name = args.next().unwrap_or_else(|| "form".into());
    let request = match name.as_str() {
        "form" | "form-new-head" => waf_requests::form(),
        "form-accented" => waf_requests::form_accented(),
        "json" => waf_requests::typical(),
        _ => {
            // `cargo bench -- <filter>` hands every bench the criterion filter.
            println!("waf_profile: {name:?} is not a request; skipped (see the file's doc)");
            return;
        }
    };
    let paranoia: u8 = args.next().map_or(1, |a| a.parse().expect("paranoia"));
    let rounds: usize = args.next().map_or(2000, |a| a.parse().expect("rounds"));
    let sweep_kib: usize = args.next().map_or(0, |a| a.parse().expect("KiB to sweep"));
    let mut sweep = vec![0u8; sweep_kib * 1024];
    let waf = Waf::new(WafConfig::default().paranoia(paranoia)).expect("the WAF compiles");
    // The warm-up sends what is measured (new head values for
    // `form-new-head`, numbered 0.. before the measured ones, as a server's
    // count goes on), so the lazy DFAs' states are built before, as in a
    // server that has run a while.
    let request_at = |n: usize| (name == "form-new-head").then(|| waf_requests::form_new_head(n));
    for n in 0..WARM_UP {
        let new_head = request_at(n);
        black_box(waf.inspect(black_box(new_head.as_ref().unwrap_or(&request))));
    }
    let mut passed = 0usize;
    let mut inspecting = Duration::ZERO;
    for round in 0..rounds {
        // One write per cache line evicts what the last inspection left.
        for line in sweep.chunks_mut(64) {
            line[0] = line[0].wrapping_add(round as u8);
        }
        let new_head = request_at(WARM_UP + round);
        let request = new_head.as_ref().unwrap_or(&request);
        let start = Instant::now();
        passed += usize::from(measured(&waf, request));
        inspecting += start.elapsed();
    }
    println!(
        "{name}: {rounds} inspections at PL{paranoia}, {passed} passed, {} bytes swept, {:.2} µs per inspection",
        black_box(&sweep).len(),
        inspecting.as_secs_f64() * 1e6 / f64::from(u32::try_from(rounds.max(1)).unwrap_or(u32::MAX))
    );
}
