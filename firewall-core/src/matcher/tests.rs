//! The compiled matcher against the linear first-match reference.

use super::*;

#[test]
fn placeholder() {}
