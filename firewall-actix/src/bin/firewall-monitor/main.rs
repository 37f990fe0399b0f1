//! The terminal monitor (work in progress).

fn main() {}
