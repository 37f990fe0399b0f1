//! stub

pub mod monitor;
