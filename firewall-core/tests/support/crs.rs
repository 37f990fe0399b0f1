//! The OWASP CRS regression tests (`../shared/corpus/crs/`, go-ftw YAML) as
//! requests for the WAF engine: shared by `waf_crs.rs` and the engine's
//! unit tests (included by path).
//!
//! The files are split once, here, into a tuning part (signatures may be
//! written against its misses) and a validation part (only counted, never
//! listed): see [`split`].

use std::path::{Path, PathBuf};

use firewall_core::waf::Request;
use serde_yaml::Value;

/// Which part of the corpus a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Misses may be read and signatures written against them.
    Tuning,
    /// Held out: counted in the reports, never listed nor read.
    Validation,
}

/// One replayable stage.
pub struct Case {
    pub family: String,
    pub name: String,
    pub part: Part,
    pub attack: bool,
    pub request: Request<'static>,
}

/// Where the corpus lives (beside the workspace; absent in a user's clone).
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/crs/tests")
}

/// Every stage of every file, as cases (usable) and names (skipped).
pub fn load(dir: &Path) -> (Vec<Case>, Vec<String>) {
    let mut files = all_files(dir);
    files.sort();
    let parts = split(&files);
    let (mut cases, mut skipped) = (Vec::new(), Vec::new());
    for (file, part) in files.into_iter().zip(parts) {
        let family = family_of(&file);
        let text = std::fs::read_to_string(&file).unwrap();
        let doc: Value = serde_yaml::from_str(&text).unwrap_or(Value::Null);
        for (n, test) in doc["tests"].as_sequence().into_iter().flatten().enumerate() {
            let id = test["test_id"].as_u64().map_or(n as u64 + 1, |v| v);
            let name = format!("{}-{id}", file.file_stem().unwrap().to_string_lossy());
            for stage in test["stages"].as_sequence().into_iter().flatten() {
                let stage = if stage["stage"].is_mapping() {
                    &stage["stage"]
                } else {
                    stage
                };
                match case_of(stage, &family, &name) {
                    Some(Ok(case)) => cases.push(Case { part, ..case }),
                    Some(Err(reason)) => skipped.push(format!("{name}: {reason}")),
                    None => {}
                }
            }
        }
    }
    (cases, skipped)
}

/// Every YAML file of the corpus, in no particular order.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in std::fs::read_dir(dir).unwrap().flatten() {
        for file in std::fs::read_dir(folder.path()).unwrap().flatten() {
            if file.path().extension().is_some_and(|e| e == "yaml") {
                files.push(file.path());
            }
        }
    }
    files
}

/// The part of each of `files` (sorted): in each family, the files ranked
/// by [`stable_hash`] of their name, every third (ranks 0, 3, 6...) is
/// held out for validation. So each family has a third of its files (at
/// least one) in validation, the choice depends on the names alone (not on
/// their contents, nor on what the WAF detects), and a file added later
/// moves at most a few others.
pub fn split(files: &[PathBuf]) -> Vec<Part> {
    let mut parts = vec![Part::Tuning; files.len()];
    let mut by_family = std::collections::BTreeMap::<String, Vec<(u64, usize)>>::new();
    for (i, file) in files.iter().enumerate() {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let key = (stable_hash(name.unwrap_or_default().as_bytes()), i);
        by_family.entry(family_of(file)).or_default().push(key);
    }
    for ranked in by_family.values_mut() {
        ranked.sort_unstable();
        for (rank, &(_, i)) in ranked.iter().enumerate() {
            if rank % 3 == 0 {
                parts[i] = Part::Validation;
            }
        }
    }
    parts
}

/// FNV-1a (64 bits): stable across Rust versions and platforms, unlike
/// the standard library's hashers.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn family_of(file: &Path) -> String {
    let folder = file
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    folder.split('-').nth(1).unwrap_or("?").to_owned()
}

/// `None` for a stage that asserts nothing about rules; `Err` for a stage
/// only a raw socket can send.
fn case_of(stage: &Value, family: &str, name: &str) -> Option<Result<Case, String>> {
    let log = &stage["output"]["log"];
    let attack = log["expect_ids"]
        .as_sequence()
        .is_some_and(|s| !s.is_empty());
    let benign = log["no_expect_ids"]
        .as_sequence()
        .is_some_and(|s| !s.is_empty());
    if !attack && !benign {
        return None;
    }
    let input = &stage["input"];
    if input["encoded_request"].is_string() {
        return Some(Err("raw request bytes (encoded_request)".into()));
    }
    Some(request_of(input).map(|request| Case {
        family: family.to_owned(),
        name: name.to_owned(),
        part: Part::Tuning,
        attack,
        request,
    }))
}

fn request_of(input: &Value) -> Result<Request<'static>, String> {
    let method = input["method"].as_str().unwrap_or("GET");
    let uri = input["uri"].as_str().unwrap_or("/");
    if !method
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
    {
        return Err(format!("method {method:?} is not a token"));
    }
    if !uri.starts_with('/') || uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(format!("request target {uri:?} is not sendable"));
    }
    // Actix's HTTP/1 parser refuses any other version with a 400 before
    // any middleware (go-ftw writes the version into the request line).
    let version = match input["version"].as_str().unwrap_or("HTTP/1.1") {
        "HTTP/1.1" => "HTTP/1.1",
        "HTTP/1.0" => "HTTP/1.0",
        other => return Err(format!("version {other:?} is refused by Actix's parser")),
    };
    let target = as_actix_reads(uri)?;
    let mut request = Request::from_target(method.to_owned(), target).version(version);
    for (name, value) in input["headers"].as_mapping().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        let value = yaml_text(value);
        if name.is_empty() || value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(format!("header {name:?} is not sendable"));
        }
        request = request.header(name.to_owned(), value);
    }
    // Without go-ftw's completed headers, data with neither Content-Length
    // nor Transfer-Encoding is no body to an HTTP/1.1 server.
    let completed = input["autocomplete_headers"].as_bool() != Some(false)
        || request.header_value("content-length").is_some()
        || request.header_value("transfer-encoding").is_some();
    if let Some(data) = input["data"].as_str().filter(|_| completed) {
        let content_type = request.content_type().to_owned();
        request = request.body(content_type, data.as_bytes().to_vec());
    }
    Ok(request)
}

/// The request target as an Actix application receives it: Actix parses
/// it with the `http` crate, which answers 400 before any middleware to a
/// target with bytes it does not take (`<`, `>`, a backtick, non-ASCII in
/// the path...) and drops a `#fragment`. The WAF sees what the handler
/// sees, so the harness gives it the same.
fn as_actix_reads(uri: &str) -> Result<String, String> {
    let parsed = http::Uri::try_from(uri)
        .map_err(|e| format!("request target {uri:?}: Actix answers 400 ({e})"))?;
    Ok(parsed
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()))
}

fn yaml_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}
