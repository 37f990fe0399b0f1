//! The OWASP CRS regression tests (`../shared/corpus/crs/`, go-ftw YAML) as
//! requests for the WAF engine: shared by `waf_crs.rs` and the engine's
//! unit tests (included by path).

use std::path::{Path, PathBuf};

use firewall_core::waf::Request;
use serde_yaml::Value;

/// One replayable stage.
pub struct Case {
    pub family: String,
    pub name: String,
    pub attack: bool,
    pub request: Request<'static>,
}

/// Where the corpus lives (beside the workspace; absent in a user's clone).
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/crs/tests")
}

/// Every stage of every file, as cases (usable) and names (skipped).
pub fn load(dir: &Path) -> (Vec<Case>, Vec<String>) {
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in std::fs::read_dir(dir).unwrap().flatten() {
        for file in std::fs::read_dir(folder.path()).unwrap().flatten() {
            if file.path().extension().is_some_and(|e| e == "yaml") {
                files.push(file.path());
            }
        }
    }
    files.sort();
    let (mut cases, mut skipped) = (Vec::new(), Vec::new());
    for file in files {
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
                    Some(Ok(case)) => cases.push(case),
                    Some(Err(reason)) => skipped.push(format!("{name}: {reason}")),
                    None => {}
                }
            }
        }
    }
    (cases, skipped)
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
    let mut request = Request::from_target(method.to_owned(), uri.to_owned());
    for (name, value) in input["headers"].as_mapping().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        let value = yaml_text(value);
        if name.is_empty() || value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(format!("header {name:?} is not sendable"));
        }
        request = request.header(name.to_owned(), value);
    }
    if let Some(data) = input["data"].as_str() {
        let content_type = request.content_type().to_owned();
        request = request.body(content_type, data.as_bytes().to_vec());
    }
    Ok(request)
}

fn yaml_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}
