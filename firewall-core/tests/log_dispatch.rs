//! An application that sets up its own logger chains the firewall's output
//! (`logger::dispatch`) into it: the firewall file gets the firewall's lines
//! in the seed's format, escaped, and nothing else; the app's own output
//! keeps every line, the firewall's included. (Its own test binary: the
//! `log` facade takes one logger per process.)

use std::sync::Mutex;

use firewall_core::logger::{self, LogConfig, LoggerError};
use firewall_core::waf::{AttackFamily, Interruption, Verdict};
use firewall_core::{Firewall, Packet, Rule, ANY, DROP, TCP};

/// The app's own logger, as `env_logger`'s `Logger` or `tracing-log`'s
/// `LogTracer` would be: any `log::Log`.
struct AppLogger(Mutex<Vec<(String, String)>>);

impl log::Log for AppLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let mut seen = self.0.lock().unwrap();
        seen.push((record.target().to_owned(), record.args().to_string()));
    }
    fn flush(&self) {}
}

static APP: AppLogger = AppLogger(Mutex::new(Vec::new()));

#[test]
fn the_firewall_output_chains_into_the_apps_logger() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (firewall_output, log) =
        logger::dispatch(LogConfig::new("chained").dir(dir.path()).console(false))
            .expect("the firewall's output");
    fern::Dispatch::new()
        .level(log::LevelFilter::Info)
        .chain(firewall_output)
        .chain(Box::new(&APP) as Box<dyn log::Log>)
        .apply()
        .expect("no logger yet");

    let refused = logger::init(LogConfig::new("chained").dir(dir.path()).console(false));
    assert!(
        matches!(refused, Err(LoggerError::OtherLogger)),
        "{refused:?}"
    );
    assert!(refused.unwrap_err().to_string().contains("dispatch()"));

    log::info!(target: "actix_server::builder", "starting 2 workers");
    log::info!("the app's own line");
    let fw = Firewall::new("chained")
        .with_rules(vec![
            Rule::new(DROP, TCP, 23, ANY, ANY, "No telnet").unwrap()
        ])
        .unwrap();
    let packet = Packet::tcp(
        "[2001:db8::7]:40001".parse().unwrap(),
        "[::1]:23".parse().unwrap(),
    );
    fw.check(&packet);
    let hit = Interruption {
        rule_id: 942_100,
        family: AttackFamily::Sqli,
        message: "m".into(),
        location: "ARGS:id\r\n2026-01-01 00:00:00,000 [INFO] forged".into(),
        score: 5,
    };
    fw.record_waf(&packet, &Verdict::Block(hit));
    log.flush();

    let text = std::fs::read_to_string(log.path()).expect("log file");
    let messages: Vec<&str> = text.lines().map(|line| &line[24..]).collect();
    assert_eq!(
        messages,
        [
            "[INFO] Firewall rules loaded: 1 rule(s) in force.",
            "[WARNING] ACL DROP: [TCP] [2001:db8::7]:40001 -> [::1]:23 - Matched rule #1: No telnet",
            "[WARNING] WAF DROP: [TCP] [2001:db8::7]:40001 -> [::1]:23 - SQL injection (942100) in \
             ARGS:id\\r\\n2026-01-01 00:00:00,000 [INFO] forged",
        ]
    );

    let seen: Vec<String> = APP
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(target, message)| format!("{target}: {message}"))
        .collect();
    assert!(
        seen.contains(&"actix_server::builder: starting 2 workers".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|line| line.ends_with(": the app's own line")),
        "{seen:?}"
    );
    assert!(
        seen.contains(
            &"firewall: ACL DROP: [TCP] [2001:db8::7]:40001 -> [::1]:23 - Matched rule #1: No telnet"
                .to_owned()
        ),
        "{seen:?}"
    );
}
