use firewall_actix::monitor::api::{ProcessJson, RuleJson, StatsJson};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::*;
use crate::client::ApiUpdate;

const DROP_LINE: &str = "2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.";
const ALLOW_LINE: &str =
    "2026-01-11 11:07:39,364 [INFO] ACL ALLOW: [TCP] 127.0.0.1:62286 -> 127.0.0.1:5000";

/// Renders `app` on a 110x24 screen and returns its lines.
fn screen(app: &App) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(110, 24)).unwrap();
    terminal.draw(|frame| draw(frame, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

fn find<'a>(lines: &'a [String], needle: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?}:\n{}", lines.join("\n")))
}

fn app_with_traffic() -> App {
    let mut app = App::new("shop_firewall.log".into(), None, "/tmp/reports".into());
    app.log_state = crate::follow::FollowState::Following;
    let lines = [ALLOW_LINE, DROP_LINE, DROP_LINE, "junk"];
    app.on_lines(lines.iter().map(|s| (*s).to_owned()).collect(), true);
    app.on_second();
    app
}

fn api_update() -> ApiUpdate {
    let stats = StatsJson {
        app: "shop".into(),
        allowed: 10,
        dropped: 4,
        rate_per_sec: 2.5,
        uptime_secs: 60,
        process: ProcessJson {
            cpu_percent: Some(12.5),
            rss_bytes: Some(48 * 1024 * 1024),
        },
        top_blocked: vec![],
        last_seq: 14,
        rate_limited: 0,
        active_bans: 0,
    };
    let rule = RuleJson {
        index: 1,
        action: "ALLOW".into(),
        proto: "TCP".into(),
        dport: "5000".into(),
        src: "ANY".into(),
        dst: "ANY".into(),
        desc: "Allow app\x1b[2J".into(),
        hits: 10,
    };
    ApiUpdate::Data {
        stats: Box::new(stats),
        rules: vec![rule],
    }
}

#[test]
fn live_traffic_shows_counters_and_the_newest_decision_first() {
    let lines = screen(&app_with_traffic());
    assert!(find(&lines, "Live Traffic").contains("Security Policy"));
    let totals = find(&lines, "Allowed:");
    assert!(
        totals.contains("Allowed: 1") && totals.contains("Dropped: 2"),
        "{totals}"
    );
    assert!(
        totals.contains("Rate: 3/s") && totals.contains("Malformed lines: 1"),
        "{totals}"
    );
    let first = lines
        .iter()
        .position(|l| l.contains("ACL DROP   10:52:46,996"))
        .expect("drop row");
    let allow = lines
        .iter()
        .position(|l| l.contains("ACL ALLOW  11:07:39,364"))
        .expect("allow row");
    assert!(first < allow, "newest first");
    assert!(
        find(&lines, "?          junk").starts_with("│?"),
        "malformed lines are shown"
    );
    assert!(
        lines[first].contains("192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.")
    );
}

#[test]
fn verdicts_are_coloured() {
    let app = app_with_traffic();
    let mut terminal = Terminal::new(TestBackend::new(110, 24)).unwrap();
    terminal.draw(|frame| draw(frame, &app)).unwrap();
    let buffer = terminal.backend().buffer();
    let row_of = |word: &str| {
        (0..24)
            .find(|&y| {
                (0..110)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    .starts_with(&format!("│{word}"))
            })
            .unwrap()
    };
    assert_eq!(buffer[(1, row_of("ACL DROP"))].fg, Color::Red);
    assert_eq!(buffer[(1, row_of("ACL ALLOW"))].fg, Color::Green);
}

#[test]
fn every_kind_of_line_is_shown_as_what_it_is() {
    let mut app = App::new("shop_firewall.log".into(), None, ".".into());
    app.counting_from = "since 23:41:07".into();
    let lines = [
        "2026-01-11 11:02:14,551 [WARNING] WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id",
        "2026-01-11 11:02:15,002 [WARNING] WAF DETECT: [TCP] 10.0.0.7:51240 -> 127.0.0.1:5000 - Cross-site scripting (941110) in ARGS:comment",
        "2026-01-11 11:02:16,000 [WARNING] RATE DROP: [TCP] 203.0.113.7:5123 -> 127.0.0.1:5000 - limit \"login\" 5/60s",
        "2026-01-11 11:02:16,001 [ERROR] Firewall Processing Error: malformed x-forwarded-for \x1b[2J",
        "2026-01-11 11:02:16,002 [WARNING] UNBAN: 203.0.113.7",
        "2026-01-11 11:02:16,003 [WARNING] Firewall log: 12 lines dropped (queue full)",
    ];
    app.on_lines(lines.iter().map(|s| (*s).to_owned()).collect(), true);
    let screen = screen(&app);
    let totals = find(&screen, "Allowed:");
    assert!(
        totals.contains("Allowed: 0   Dropped: 3   Detected: 1")
            && totals.contains("Lost log lines: 12"),
        "{totals}"
    );
    assert!(find(&screen, "Totals since 23:41:07").contains("Totals"));
    for row in [
        "WAF DROP   11:02:14,551 [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id",
        "WAF DETECT 11:02:15,002 [TCP] 10.0.0.7:51240",
        "RATE DROP  11:02:16,000 [TCP] 203.0.113.7:5123 -> 127.0.0.1:5000 - limit \"login\" 5/60s",
        "ERROR      11:02:16,001 Firewall Processing Error: malformed x-forwarded-for \\x1b[2J",
        "UNBAN      11:02:16,002 UNBAN: 203.0.113.7",
        "WARNING    11:02:16,003 The app's logger lost 12 line(s); the totals miss them.",
    ] {
        assert!(find(&screen, row).starts_with("│"), "{row}");
    }
    assert!(!screen.concat().contains('\x1b'));
}

/// The foreground colour of the first cell of the line that contains `needle`.
fn colour_of(app: &App, needle: &str) -> ratatui::style::Color {
    let mut terminal = Terminal::new(TestBackend::new(110, 24)).unwrap();
    terminal.draw(|frame| draw(frame, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let lines = screen(app);
    let y = lines.iter().position(|l| l.contains(needle)).unwrap();
    let x = lines[y]
        .chars()
        .take_while(|c| *c == '│' || *c == ' ')
        .count();
    buffer[(u16::try_from(x).unwrap(), u16::try_from(y).unwrap())].fg
}

#[test]
fn bans_are_listed_and_ban_and_rate_lines_have_their_own_colours() {
    let mut app = App::new("shop_firewall.log".into(), None, ".".into());
    let lines = [
        "2026-01-11 11:02:16,000 [WARNING] RATE DROP: [TCP] 203.0.113.7:5123 -> 127.0.0.1:5000 - limit \"login\" 5/60s",
        "2026-01-11 11:02:16,001 [WARNING] BAN: 203.0.113.7 for 10m until 2999-01-11T11:12:16Z (offence 1): 3 rate-limit refusals in 60s",
        "2026-01-11 11:02:16,002 [WARNING] BAN: 2001:db8::/64 for 1h until 2999-01-11T12:02:16Z (manual): \x1b[2Jspam",
        "2026-01-11 11:02:16,003 [WARNING] BAN DROP: [TCP] 203.0.113.7:5124 -> 127.0.0.1:5000 - banned",
        "2026-01-11 11:02:16,004 [WARNING] BAN: 198.51.100.1 for 1h until 2999-01-11T12:02:16Z (manual): gone soon",
        "2026-01-11 11:02:16,005 [WARNING] UNBAN: 198.51.100.1 - manual unban by operator (ban reason: gone soon)",
    ];
    app.on_lines(lines.iter().map(|s| (*s).to_owned()).collect(), true);
    let screen = screen(&app);
    assert!(
        find(&screen, "Rate-limited:").contains("Rate-limited: 1   Ban drops: 1   Active bans: 2")
    );
    assert!(find(&screen, "Active bans (2)").contains("Active bans"));
    let newest = find(&screen, "2001:db8::/64 ");
    assert!(
        newest.contains(" since 11:02:16 until 2999-01-11 ") && newest.contains("\\x1b[2Jspam"),
        "{newest}"
    );
    assert!(find(&screen, "203.0.113.7    ").contains("3 rate-limit refusals in 60s"));
    assert!(!screen.concat().contains('\x1b'));
    assert!(screen
        .iter()
        .all(|l| !l.contains("198.51.100.1 ") || l.contains("UNBAN") || l.contains("BAN:")));
    assert_eq!(colour_of(&app, "RATE DROP  11:02:16,000"), RATE);
    assert_eq!(colour_of(&app, "BAN DROP   11:02:16,003"), BAN);
    assert_eq!(colour_of(&app, "BAN        11:02:16,001"), BAN);
    assert_eq!(colour_of(&app, "UNBAN      11:02:16,005"), UNBAN);
}

#[test]
fn a_moved_log_file_says_it_is_still_read() {
    let mut app = App::new("shop_firewall.log".into(), None, ".".into());
    app.log_state = crate::follow::FollowState::Moved;
    let screen = screen(&app);
    assert!(find(
        &screen,
        "shop_firewall.log was moved or deleted: reading it on until a new one appears"
    )
    .contains("moved"));
}

#[test]
fn a_missing_log_file_says_it_is_waiting() {
    let app = App::new("later_firewall.log".into(), None, ".".into());
    assert!(find(&screen(&app), "Waiting for later_firewall.log").contains("Waiting"));
}

#[test]
fn performance_without_api_says_how_to_get_cpu_and_memory() {
    let mut app = app_with_traffic();
    app.tab = Tab::Performance;
    let lines = screen(&app);
    assert!(find(&lines, "App CPU").contains("App CPU"));
    assert!(find(&lines, "n/a: start with --api").contains("--api"));
    assert!(find(&lines, "Request rate: 3/s from the log").contains("3/s"));
}

#[test]
fn performance_with_api_shows_cpu_memory_and_the_api_rate() {
    let mut app = app_with_traffic();
    app.api_url = Some("http://127.0.0.1:8000".into());
    app.on_api(api_update());
    app.tab = Tab::Performance;
    let lines = screen(&app);
    assert!(find(&lines, "12.5 %").contains("12.5 %"));
    assert!(find(&lines, "48.0 MiB").contains("MiB"));
    assert!(find(&lines, "API 2.5/s").contains("Request rate"));
}

#[test]
fn policy_lists_rules_with_hits_and_escapes_control_characters() {
    let mut app = app_with_traffic();
    app.api_url = Some("http://127.0.0.1:8000".into());
    app.on_api(api_update());
    app.tab = Tab::Policy;
    let lines = screen(&app);
    let row = find(&lines, "Allow app");
    assert!(
        row.contains("ALLOW")
            && row.contains("5000")
            && row.trim_end_matches('│').trim_end().ends_with("10"),
        "{row}"
    );
    assert!(row.contains("\\x1b[2J"), "escape shown as text: {row}");
    assert!(!lines.concat().contains('\x1b'));
}

#[test]
fn policy_shows_the_api_error() {
    let mut app = app_with_traffic();
    app.api_url = Some("http://127.0.0.1:9".into());
    app.on_api(ApiUpdate::Error("/api/stats: connection refused".into()));
    app.tab = Tab::Policy;
    let lines = screen(&app);
    assert!(find(&lines, "API error: /api/stats: connection refused").contains("refused"));
    assert!(find(&lines, "API: unreachable").contains("quit"));
}

#[test]
fn automation_tells_where_the_report_went() {
    let mut app = app_with_traffic();
    app.tab = Tab::Automation;
    app.report_status = Some("Report written to /tmp/reports/shop_audit_report_x.json".into());
    let lines = screen(&app);
    assert!(find(&lines, "Press r to write the audit report").contains("JSON"));
    assert!(find(
        &lines,
        "Report written to /tmp/reports/shop_audit_report_x.json"
    )
    .contains("written"));
    assert!(find(&lines, "192.168.29.83")
        .trim_end_matches('│')
        .trim_end()
        .ends_with('2'));
}
