//! Drawing: one `draw_*` per area. Every text that came from the log or the
//! API goes through [`clean`] so it cannot drive the terminal.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Row, Sparkline, Table, Tabs, Wrap};
use ratatui::Frame;

use crate::app::{App, Entry, Shown, Tab};
use crate::follow::FollowState;
use crate::logline::Action;

const ALLOW: Color = Color::Green;
const DROP: Color = Color::Red;
const DETECT: Color = Color::Magenta;
const OTHER: Color = Color::Cyan;
const NOTICE: Color = Color::Yellow;
/// Rate-limit refusals: amber, apart from the other drops.
const RATE: Color = Color::Indexed(214);
/// Bans and requests refused for one.
const BAN: Color = Color::Indexed(171);
/// A ban's end.
const UNBAN: Color = Color::LightCyan;
/// Bans listed on the Live tab at most.
const BANS_SHOWN: usize = 5;

/// Control characters and escapes shown as text, never sent to the terminal raw.
fn clean(text: &str) -> String {
    firewall_core::logger::escape(text).into_owned()
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [tabs, body, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_tabs(frame, app, tabs);
    match app.tab {
        Tab::Live => draw_live(frame, app, body),
        Tab::Performance => draw_performance(frame, app, body),
        Tab::Policy => draw_policy(frame, app, body),
        Tab::Automation => draw_automation(frame, app, body),
    }
    draw_footer(frame, app, footer);
}

fn draw_tabs(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let titles = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{} {}", i + 1, t.title()));
    let selected = Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0);
    let tabs = Tabs::new(titles)
        .select(selected)
        .block(Block::bordered().title(" Sentinel SOC · firewall-monitor "))
        .highlight_style(
            Style::new()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        );
    frame.render_widget(tabs, area);
}

fn draw_live(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let shown = app.bans.len().min(BANS_SHOWN);
    let bans_height = if shown == 0 {
        0
    } else {
        shown + 2 + usize::from(app.bans.len() > shown)
    };
    let [counters, bans, stream] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(u16::try_from(bans_height).unwrap_or(0)),
        Constraint::Min(3),
    ])
    .areas(area);
    draw_counters(frame, app, counters);
    if shown > 0 {
        draw_bans(frame, app, bans);
    }
    draw_stream(frame, app, stream);
}

/// The bans in force, newest first: who, until when (local time), why.
fn draw_bans(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let all = app.bans.newest_first();
    let mut lines: Vec<Line<'_>> = all
        .iter()
        .take(BANS_SHOWN)
        .map(|ban| {
            let until = ban.until.map_or_else(
                || "until ?".to_owned(),
                |t| {
                    let local = t.with_timezone(&chrono::Local);
                    format!("until {}", local.format("%Y-%m-%d %H:%M:%S"))
                },
            );
            let since = ban.since.get(11..19).unwrap_or(&ban.since);
            Line::from(vec![
                Span::styled(
                    format!(" {:<26}", clean(&ban.key)),
                    Style::new().fg(BAN).bold(),
                ),
                Span::raw(format!(" since {} {until}  ", clean(since))),
                Span::styled(clean(&ban.reason), Style::new().fg(BAN)),
            ])
        })
        .collect();
    if all.len() > BANS_SHOWN {
        lines.push(Line::from(format!(
            " … and {} more",
            all.len() - BANS_SHOWN
        )));
    }
    let title = format!(" Active bans ({}) ", all.len());
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}

fn draw_counters(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let mut spans = vec![
        Span::raw(" Allowed: "),
        Span::styled(app.allowed.to_string(), Style::new().fg(ALLOW).bold()),
        Span::raw("   Dropped: "),
        Span::styled(app.dropped.to_string(), Style::new().fg(DROP).bold()),
        Span::raw("   Detected: "),
        Span::styled(app.detected.to_string(), Style::new().fg(DETECT).bold()),
        Span::raw(format!("   Rate: {}/s", app.current_rate())),
        Span::raw(format!("   Malformed lines: {}", app.malformed)),
    ];
    if app.lost_lines > 0 {
        spans.push(Span::styled(
            format!("   Lost log lines: {}", app.lost_lines),
            Style::new().fg(DROP).bold(),
        ));
    }
    let mut limits = vec![
        Span::raw(" Rate-limited: "),
        Span::styled(app.rate_limited.to_string(), Style::new().fg(RATE).bold()),
        Span::raw("   Ban drops: "),
        Span::styled(app.ban_drops.to_string(), Style::new().fg(BAN).bold()),
        Span::raw("   Active bans: "),
        Span::styled(app.bans.len().to_string(), Style::new().fg(BAN).bold()),
    ];
    if let Some(store) = &app.store {
        limits.push(Span::raw(format!("   Store: Redis {} ", clean(&store.url))));
        limits.push(match &store.degraded_since {
            None => Span::styled("connected", Style::new().fg(ALLOW).bold()),
            Some(since) => Span::styled(
                format!("DEGRADED since {}", clean(since)),
                Style::new().fg(RATE).bold(),
            ),
        });
    }
    let limits = Line::from(limits);
    let title = format!(" Totals {} ", app.counting_from);
    frame.render_widget(
        Paragraph::new(vec![Line::from(spans), limits]).block(Block::bordered().title(title)),
        area,
    );
}

fn draw_stream(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let visible = area.height.saturating_sub(2) as usize;
    let lines: Vec<Line<'_>> = app
        .recent
        .iter()
        .rev()
        .take(visible)
        .map(entry_line)
        .collect();
    let path = clean(&app.log_path.display().to_string());
    let title = match app.log_state {
        FollowState::Following => format!(" Live traffic · {path} "),
        FollowState::Waiting => format!(" Waiting for {path} "),
        FollowState::Moved => {
            format!(" {path} was moved or deleted: reading it on until a new one appears ")
        }
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}

/// One stream line: a label in the line's colour, then the time and the message.
fn entry_line(entry: &Entry) -> Line<'static> {
    let time = entry.time.get(11..).unwrap_or(&entry.time);
    let (label, color, text) = match &entry.what {
        Shown::Decision(d) => {
            let color = match (&d.action, d.stage.as_str()) {
                (Action::Allow, _) => ALLOW,
                (Action::Drop, "RATE") => RATE,
                (Action::Drop, "BAN") => BAN,
                (Action::Drop, _) => DROP,
                (Action::Detect, _) => DETECT,
                (Action::Other(_), _) => OTHER,
            };
            let mut text = format!("{time} [{}] {} -> {}", clean(&d.proto), d.src, d.dst);
            if !d.reason.is_empty() {
                text.push_str(" - ");
                text.push_str(&clean(&d.reason));
            }
            (
                format!("{} {}", clean(&d.stage), clean(d.action.name())),
                color,
                text,
            )
        }
        Shown::Error(message) => (
            "ERROR".to_owned(),
            DROP,
            format!("{time} {}", clean(message)),
        ),
        Shown::Ban(message) => ("BAN".to_owned(), BAN, format!("{time} {}", clean(message))),
        Shown::Unban(message) => (
            "UNBAN".to_owned(),
            UNBAN,
            format!("{time} {}", clean(message)),
        ),
        Shown::Notice(message) => (
            clean(&entry.level),
            NOTICE,
            format!("{time} {}", clean(message)),
        ),
        Shown::Malformed(line) => ("?".to_owned(), Color::DarkGray, clean(line)),
    };
    Line::from(vec![
        Span::styled(format!("{label:<10}"), Style::new().fg(color).bold()),
        Span::raw(" "),
        Span::styled(text, Style::new().fg(color)),
    ])
}

fn draw_performance(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let [cpu, mem, rate] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Min(4),
    ])
    .areas(area);
    let process = app.api_stats.as_ref().map(|s| s.process);
    let cpu_percent = process.and_then(|p| p.cpu_percent);
    let cpu_block = Block::bordered().title(" App CPU ");
    match cpu_percent {
        Some(p) => {
            let gauge = Gauge::default()
                .block(cpu_block)
                .gauge_style(Style::new().fg(Color::Cyan))
                .ratio((p / 100.0).clamp(0.0, 1.0))
                .label(format!("{p:.1} %"));
            frame.render_widget(gauge, cpu);
        }
        None => frame.render_widget(Paragraph::new(needs_api(app)).block(cpu_block), cpu),
    }
    let mem_text = match process.and_then(|p| p.rss_bytes) {
        Some(bytes) => format!(" {}", format_bytes(bytes)),
        None => needs_api(app),
    };
    frame.render_widget(
        Paragraph::new(mem_text).block(Block::bordered().title(" App memory (RSS) ")),
        mem,
    );
    let data: Vec<u64> = app.rate.iter().copied().collect();
    let api_rate = app
        .api_stats
        .as_ref()
        .map(|s| format!(" · API {:.1}/s", s.rate_per_sec))
        .unwrap_or_default();
    let title = format!(
        " Request rate: {}/s from the log{api_rate} ",
        app.current_rate()
    );
    let width = rate.width.saturating_sub(2) as usize;
    let shown = &data[data.len().saturating_sub(width)..];
    let spark = Sparkline::default()
        .block(Block::bordered().title(title))
        .style(Style::new().fg(Color::Yellow))
        .data(shown);
    frame.render_widget(spark, rate);
}

fn needs_api(app: &App) -> String {
    match (&app.api_url, &app.api_error) {
        (None, _) => " n/a: start with --api http://127.0.0.1:8000".to_owned(),
        (Some(_), Some(e)) => format!(" API error: {}", clean(e)),
        (Some(url), None) => format!(" waiting for {}", clean(url)),
    }
}

fn format_bytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // display only
    let mib = bytes as f64 / (1024.0 * 1024.0);
    format!("{mib:.1} MiB")
}

fn draw_policy(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let block = Block::bordered().title(" Security policy (rules in force, with hits) ");
    if app.api_rules.is_empty() {
        let text = if app.api_url.is_some() && app.api_error.is_none() && app.api_stats.is_some() {
            " No rules: every request is dropped.".to_owned()
        } else {
            needs_api(app)
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let rows = app.api_rules.iter().map(|r| {
        let color = if r.action == "ALLOW" { ALLOW } else { DROP };
        Row::new(vec![
            r.index.to_string(),
            clean(&r.action),
            clean(&r.proto),
            clean(&r.dport),
            clean(&r.src),
            clean(&r.dst),
            clean(&r.desc),
            r.hits.to_string(),
        ])
        .style(Style::new().fg(color))
    });
    let widths = [
        Constraint::Length(3),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(11),
        Constraint::Length(18),
        Constraint::Length(18),
        Constraint::Min(10),
        Constraint::Length(8),
    ];
    let header = Row::new([
        "#",
        "Action",
        "Proto",
        "Port",
        "Source",
        "Destination",
        "Description",
        "Hits",
    ])
    .style(Style::new().add_modifier(Modifier::BOLD));
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

fn draw_automation(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let mut lines = vec![
        Line::from(" Press r to write the audit report (JSON) to:"),
        Line::from(format!(
            "   {}",
            clean(&app.report_dir.display().to_string())
        )),
        Line::from(""),
        Line::from(
            " It holds the totals from the log, the top blocked sources, the latest decisions,",
        ),
        Line::from(" and, with --api, the app's stats and rules with hits."),
        Line::from(""),
    ];
    if let Some(status) = &app.report_status {
        lines.push(Line::from(Span::styled(
            format!(" {}", clean(status)),
            Style::new().fg(Color::Cyan).bold(),
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(" Top blocked sources:"));
    for (src, count) in app.top_blocked(5) {
        lines.push(Line::from(Span::styled(
            format!("   {:<40} {count}", clean(src)),
            Style::new().fg(DROP),
        )));
    }
    let block = Block::new().borders(Borders::ALL).title(" Automation ");
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

fn draw_footer(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let api = match (&app.api_url, &app.api_error) {
        (None, _) => "API: off".to_owned(),
        (Some(url), None) => format!("API: {}", clean(url)),
        (Some(_), Some(_)) => "API: unreachable".to_owned(),
    };
    let text = format!(" q quit · Tab/←/→ or 1-4 switch tabs · r audit report · {api}");
    frame.render_widget(
        Paragraph::new(text).style(Style::new().fg(Color::DarkGray)),
        area,
    );
}

#[cfg(test)]
mod tests;
