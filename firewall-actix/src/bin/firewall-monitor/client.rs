//! Reads the web monitor's JSON API on a background thread, so a slow or
//! absent server never freezes the terminal.

use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use firewall_actix::monitor::api::{RuleJson, StatsJson};

/// What one poll of the API brought.
#[derive(Debug, Clone)]
pub enum ApiUpdate {
    /// Stats and rules, fresh.
    Data {
        /// `/api/stats`.
        stats: Box<StatsJson>,
        /// `/api/rules`.
        rules: Vec<RuleJson>,
    },
    /// Why the poll failed.
    Error(String),
}

/// A blocking client of one monitor.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl ApiClient {
    /// A client of `base` (`http://127.0.0.1:8000`), sending `token` if given.
    pub fn new(base: &str, token: Option<String>) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(1))
            .timeout(Duration::from_secs(2))
            .build();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            agent,
        }
    }

    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let mut request = self.agent.get(&format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let response = request.call().map_err(|e| match e {
            ureq::Error::Status(code, _) => format!("{path}: HTTP {code}"),
            ureq::Error::Transport(t) => format!("{path}: {t}"),
        })?;
        response
            .into_json()
            .map_err(|e| format!("{path}: bad JSON: {e}"))
    }

    /// One poll of `/api/stats` and `/api/rules`.
    pub fn poll(&self) -> ApiUpdate {
        let data = self.get::<StatsJson>("/api/stats").and_then(|stats| {
            let rules = self.get::<Vec<RuleJson>>("/api/rules")?;
            Ok(ApiUpdate::Data {
                stats: Box::new(stats),
                rules,
            })
        });
        data.unwrap_or_else(ApiUpdate::Error)
    }

    /// Polls every `every` on a detached thread, which ends when the receiver is dropped.
    pub fn spawn_poller(self, every: Duration) -> Receiver<ApiUpdate> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || loop {
            if tx.send(self.poll()).is_err() {
                return;
            }
            std::thread::sleep(every);
        });
        rx
    }
}
