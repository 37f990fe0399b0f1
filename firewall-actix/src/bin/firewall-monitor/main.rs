//! `firewall-monitor`: the terminal monitor of an app protected by the firewall.
//!
//! ```text
//! firewall-monitor --log app_firewall.log [--api http://127.0.0.1:8000] [--token T] [--report-dir DIR]
//! ```
//!
//! Follows the app's log (surviving rotation, truncation and a file that does
//! not exist yet) and, given `--api`, reads the web monitor's JSON API for the
//! rules with hits and the app's CPU and memory. Tabs: Live Traffic,
//! Performance, Security Policy, Automation. Keys: `q`/Esc quit, Tab/arrows or
//! 1-4 switch tabs, `r` writes the audit report.

mod app;
mod client;
mod follow;
mod logline;
mod ui;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};

use app::App;
use client::ApiClient;
use follow::{FollowState, Follower};

const USAGE: &str = "usage: firewall-monitor --log <app>_firewall.log [--api http://127.0.0.1:8000] [--token T] [--report-dir DIR]";

/// Command-line options.
#[derive(Debug, PartialEq, Eq)]
struct Args {
    log: PathBuf,
    api: Option<String>,
    token: Option<String>,
    report_dir: PathBuf,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let (mut log, mut api, mut token, mut report_dir) = (None, None, None, PathBuf::from("."));
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--log" => log = Some(PathBuf::from(value()?)),
            "--api" => api = Some(value()?),
            "--token" => token = Some(value()?),
            "--report-dir" => report_dir = PathBuf::from(value()?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let log = log.ok_or_else(|| format!("--log is required\n{USAGE}"))?;
    if let Some(url) = &api {
        if !url.starts_with("http://") {
            return Err(format!(
                "--api `{url}`: only http:// URLs are supported\n{USAGE}"
            ));
        }
    }
    Ok(Args {
        log,
        api,
        token,
        report_dir,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    // try_init installs a panic hook that restores the terminal before the message prints.
    let mut terminal = match ratatui::try_init() {
        Ok(terminal) => terminal,
        Err(e) => {
            ratatui::restore(); // raw mode may already be on
            eprintln!("firewall-monitor: cannot set up the terminal: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = run(&mut terminal, args);
    ratatui::restore();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("firewall-monitor: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The event loop: draw, wait up to 200 ms for a key, read new log lines and API updates.
fn run(terminal: &mut ratatui::DefaultTerminal, args: Args) -> std::io::Result<()> {
    let mut follower = Follower::new(&args.log);
    let mut app = App::new(args.log.clone(), args.api.clone(), args.report_dir);
    let api = args
        .api
        .map(|url| ApiClient::new(&url, args.token).spawn_poller(Duration::from_secs(1)));
    app.on_lines(follower.poll(), false);
    let mut second = Instant::now();
    while !app.should_quit {
        app.log_found = follower.state() == FollowState::Following;
        terminal.draw(|frame| ui::draw(frame, &app))?;
        if event::poll(Duration::from_millis(200))? {
            if let Event::Key(key) = event::read()? {
                app.on_key(key);
            }
        }
        app.on_lines(follower.poll(), true);
        if let Some(updates) = &api {
            while let Ok(update) = updates.try_recv() {
                app.on_api(update);
            }
        }
        if second.elapsed() >= Duration::from_secs(1) {
            second += Duration::from_secs(1);
            app.on_second();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn flags_are_read() {
        let parsed = args(&[
            "--log",
            "a_firewall.log",
            "--api",
            "http://127.0.0.1:8000",
            "--token",
            "t",
        ])
        .unwrap();
        assert_eq!(parsed.log, PathBuf::from("a_firewall.log"));
        assert_eq!(parsed.api.as_deref(), Some("http://127.0.0.1:8000"));
        assert_eq!(parsed.token.as_deref(), Some("t"));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        assert!(args(&[]).unwrap_err().starts_with("--log is required"));
        assert!(args(&["--log"])
            .unwrap_err()
            .starts_with("--log needs a value"));
        assert!(args(&["--log", "x", "--bogus"])
            .unwrap_err()
            .starts_with("unknown argument `--bogus`"));
        assert!(args(&["--log", "x", "--api", "https://h"])
            .unwrap_err()
            .contains("only http://"));
    }
}
