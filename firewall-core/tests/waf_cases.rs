//! Case tables per family (`tests/data/waf/cases/*.toml`): every
//! `triggered` request is blocked at paranoia 1 (by the given signature
//! when `id` is set) and every `not_triggered` one passes, in mode On; the
//! same tables run in `DetectionOnly`, where nothing is blocked but the same
//! requests are reported.

use std::path::Path;

use firewall_core::waf::{Mode, Request, Verdict, Waf, WafConfig};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    triggered: Vec<Case>,
    not_triggered: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    target: String,
    #[serde(default = "get")]
    method: String,
    body: Option<String>,
    content_type: Option<String>,
    #[serde(default)]
    headers: Vec<(String, String)>,
    id: Option<u32>,
}

fn get() -> String {
    "GET".to_owned()
}

impl Case {
    fn request(&self) -> Request<'_> {
        let method = if self.body.is_some() && self.method == "GET" {
            "POST"
        } else {
            &self.method
        };
        let mut req = Request::from_target(method, &self.target);
        for (name, value) in &self.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &self.body {
            req = req.body(
                self.content_type.clone().unwrap_or_default(),
                body.as_bytes().to_vec(),
            );
        }
        req
    }
}

fn tables() -> Vec<(String, Table)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/waf/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(files.len() >= 8, "case tables missing in {}", dir.display());
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            let table = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            (f.file_name().unwrap().to_string_lossy().into_owned(), table)
        })
        .collect()
}

#[test]
fn triggered_cases_block_and_not_triggered_cases_pass() {
    let waf = Waf::new(WafConfig::default()).unwrap();
    let mut failures = Vec::new();
    for (file, table) in tables() {
        for case in &table.triggered {
            let req = case.request();
            let ids: Vec<u32> = waf
                .evaluate(&req)
                .matches()
                .iter()
                .map(|m| m.rule_id)
                .collect();
            let blocked = matches!(waf.inspect(&req), Verdict::Block(_));
            if !blocked || case.id.is_some_and(|id| !ids.contains(&id)) {
                failures.push(format!(
                    "{file}: {} should trigger {:?}, matched {ids:?}",
                    case.target, case.id
                ));
            }
        }
        for case in &table.not_triggered {
            let req = case.request();
            if !waf.inspect(&req).is_pass() {
                let ids: Vec<u32> = waf
                    .evaluate(&req)
                    .matches()
                    .iter()
                    .map(|m| m.rule_id)
                    .collect();
                failures.push(format!(
                    "{file}: {} should pass, matched {ids:?}",
                    case.target
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn detection_only_reports_the_same_requests_without_blocking() {
    let on = Waf::new(WafConfig::default()).unwrap();
    let watch = Waf::new(WafConfig::default().mode(Mode::DetectionOnly)).unwrap();
    for (_, table) in tables() {
        for case in table.triggered.iter().chain(&table.not_triggered) {
            let req = case.request();
            match (on.inspect(&req), watch.inspect(&req)) {
                (Verdict::Block(a), Verdict::Detected(b)) => assert_eq!(a, b, "{}", case.target),
                (Verdict::Pass, Verdict::Pass) => {}
                other => panic!("{}: {other:?}", case.target),
            }
        }
    }
}
