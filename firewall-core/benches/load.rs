//! Building a rule set (validate + compile) and loading a TOML rules file,
//! at 10, 10,000 and 1,000,000 rules, and the memory a rule set holds per
//! rule, counted by an instrumented global allocator (requested bytes;
//! the system allocator's own overhead is not included).
//!
//! `cargo bench -p firewall-core --bench load`

#![allow(clippy::cast_precision_loss, clippy::cast_possible_wrap)] // byte counts far below 2^52

use std::alloc::System;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion};
use firewall_core::RuleSet;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[path = "support/rules_gen.rs"]
mod rules_gen;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const SIZES: [usize; 3] = [10, 10_000, 1_000_000];

/// Bytes held now minus bytes held when `region` started.
fn held(region: &Region<'_, System>) -> isize {
    let c = region.change();
    // stats_alloc counts a realloc's growth or shrinkage in these two already.
    c.bytes_allocated as isize - c.bytes_deallocated as isize
}

/// Prints the bytes per rule of a set built from rules without descriptions,
/// and of one loaded from a file where every rule has a short one.
fn memory_report(n: usize) {
    let region = Region::new(GLOBAL);
    let set = RuleSet::new(rules_gen::rules(n, 42)).expect("valid");
    let bytes = held(&region);
    drop(set);
    let text = rules_gen::toml(&rules_gen::rules(n, 42));
    let region = Region::new(GLOBAL);
    let start = Instant::now();
    let set = RuleSet::from_toml_str(&text, "bench.toml").expect("valid");
    let elapsed = start.elapsed();
    let file_bytes = held(&region);
    println!(
        "memory at {n} rules: {:.1} bytes/rule (no desc); {:.1} bytes/rule loaded from TOML (desc \"rule N\"); one TOML load {elapsed:.2?} ({} bytes of text)",
        bytes as f64 / n as f64,
        file_bytes as f64 / n as f64,
        text.len(),
    );
    drop(set);
}

fn config<'a>(
    c: &'a mut Criterion,
    name: &str,
    n: usize,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.warm_up_time(Duration::from_millis(500));
    if n >= 1_000_000 {
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(15));
    } else {
        group.measurement_time(Duration::from_secs(2));
    }
    group
}

fn bench_size(c: &mut Criterion, n: usize) {
    let rules = rules_gen::rules(n, 42);
    let mut group = config(c, "build", n);
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter_batched(
            || rules.clone(),
            |r| RuleSet::new(r).expect("valid"),
            BatchSize::PerIteration,
        );
    });
    group.finish();
    let text = rules_gen::toml(&rules);
    let mut group = config(c, "load_toml", n);
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| RuleSet::from_toml_str(black_box(&text), "bench.toml").expect("valid"));
    });
    group.finish();
}

fn main() {
    for n in SIZES {
        memory_report(n);
    }
    let mut c = Criterion::default().configure_from_args();
    for n in SIZES {
        bench_size(&mut c, n);
    }
    c.final_summary();
}
