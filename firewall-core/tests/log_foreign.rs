//! An application that installs its own logger (not `firewall_core::logger`)
//! still receives every firewall line through the `log` facade, with the
//! target `firewall` and the same text. (Its own test binary: the `log`
//! facade takes one logger per process.)

use std::sync::Mutex;

use firewall_core::waf::{AttackFamily, Interruption, Verdict};
use firewall_core::{Firewall, Packet, Rule, ANY, DROP, TCP};

struct Capture(Mutex<Vec<(log::Level, String, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let mut seen = self.0.lock().unwrap();
        seen.push((
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn firewall_lines_reach_the_applications_logger() {
    log::set_logger(&CAPTURE).expect("no logger yet");
    log::set_max_level(log::LevelFilter::Info);
    let fw = Firewall::new("foreign")
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
        location: "ARGS:id\r\nx".into(),
        score: 5,
    };
    fw.record_waf(&packet, &Verdict::Block(hit));

    let seen: Vec<_> = CAPTURE
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, target, _)| target == "firewall")
        .cloned()
        .collect();
    assert_eq!(
        seen,
        [
            (
                log::Level::Warn,
                "firewall".to_owned(),
                "ACL DROP: [TCP] [2001:db8::7]:40001 -> [::1]:23 - Matched rule #1: No telnet".to_owned()
            ),
            (
                log::Level::Warn,
                "firewall".to_owned(),
                // Unescaped: escaping is the job of the logger that writes it.
                "WAF DROP: [TCP] [2001:db8::7]:40001 -> [::1]:23 - SQL injection (942100) in ARGS:id\r\nx".to_owned()
            ),
        ]
    );
}
