//! `firewall-monitor`: the terminal monitor of an app protected by the firewall.
//!
//! ```text
//! firewall-monitor --log app_firewall.log [--from-start] [--api http://127.0.0.1:8000]
//!                  [--token-file FILE] [--report-dir DIR]      # or FIREWALL_MONITOR_TOKEN=...
//! ```
//!
//! Follows the app's log (surviving rotation, copy-and-truncate and a file that
//! does not exist yet, see [`follow`]) and, given `--api`, reads the web
//! monitor's JSON API for the rules with hits and the app's CPU and memory.
//! What it counts is in [`COUNTING`]. Tabs: Live Traffic, Performance,
//! Security Policy, Automation. Keys: `q`/Esc quit, Tab/arrows or 1-4 switch
//! tabs, `r` writes the audit report.

mod app;
mod bans;
mod client;
mod follow;
mod logline;
mod ui;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use crossterm::event::{self, Event};

use app::App;
use client::ApiClient;
use follow::{Follower, Start};

/// What the totals count, for `--help` and the docs.
const COUNTING: &str = "\
What is counted: the lines written to the log after the monitor started (with
--from-start, also the lines already in the file), each line once, also when the
file is rotated (mv), copied and truncated, or moved away and back. A request is
one decision: ALLOW for an ACL ALLOW, DROP for any DROP line (ACL, WAF, RATE,
BAN...) or a Firewall Processing Error; an ACL ALLOW followed by a later stage's
DROP for the same endpoints is one drop. WAF DETECT lines are counted apart as
Detected (the request was served); RATE DROP and BAN DROP lines also count apart
as Rate-limited and Ban drops. BAN and UNBAN lines keep the list of bans in force
(who, why, until), which also forgets a ban when its time is up. Other lines are
shown, never counted.";

/// The largest token file read (a token is one short line).
const MAX_TOKEN_FILE: u64 = 4096;

/// The terminal monitor of an app protected by the firewall: follows its log
/// and, with --api, reads its web monitor.
#[derive(Debug, Parser)]
#[command(name = "firewall-monitor", version, after_help = COUNTING)]
struct Args {
    /// The app's log file, `<app>_firewall.log` (it may not exist yet).
    #[arg(long, value_name = "FILE")]
    log: PathBuf,
    /// Also read and count the lines already in the log file.
    #[arg(long)]
    from_start: bool,
    /// The web monitor, for CPU, memory and the rules with hits (http:// only).
    #[arg(long, value_name = "URL", value_parser = http_url)]
    api: Option<String>,
    /// The web monitor's token. On the command line it is visible to every
    /// user in `ps`: prefer the environment variable or --token-file.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "FIREWALL_MONITOR_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// A file whose first line is the web monitor's token (takes precedence
    /// over `FIREWALL_MONITOR_TOKEN`).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Where `r` writes the audit report.
    #[arg(long, value_name = "DIR", default_value = ".")]
    report_dir: PathBuf,
}

impl Args {
    /// Parses `argv` (program name first). `--token` and `--token-file` on one
    /// command line are an error; `FIREWALL_MONITOR_TOKEN` gives way to `--token-file`.
    fn parse_from(argv: impl IntoIterator<Item = String>) -> Result<Self, clap::Error> {
        let matches = Self::command().try_get_matches_from(argv)?;
        let parsed = Self::from_arg_matches(&matches)?;
        if parsed.token_file.is_some()
            && matches.value_source("token") == Some(ValueSource::CommandLine)
        {
            return Err(Self::command().error(
                ErrorKind::ArgumentConflict,
                "--token and --token-file both give the token: give only one",
            ));
        }
        Ok(parsed)
    }

    /// The token to send: from --token-file, else --token or `FIREWALL_MONITOR_TOKEN`.
    /// A token with a control character (it could not be sent in a header) is an error.
    fn resolved_token(&self) -> Result<Option<String>, String> {
        let (token, from) = match &self.token_file {
            Some(path) => (
                read_token_file(path)?,
                format!("--token-file {}", path.display()),
            ),
            None => match &self.token {
                Some(token) => (token.clone(), "--token".to_owned()),
                None => return Ok(None),
            },
        };
        if token.chars().any(char::is_control) {
            return Err(format!("{from}: the token holds a control character"));
        }
        Ok(Some(token))
    }
}

fn http_url(url: &str) -> Result<String, String> {
    if url.starts_with("http://") {
        Ok(url.to_owned())
    } else {
        Err(format!("`{url}`: only http:// URLs are supported"))
    }
}

/// The first line of `path`, trimmed; an error naming the file if it cannot be read or is empty.
fn read_token_file(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_TOKEN_FILE).read_to_string(&mut text))
        .map_err(|e| format!("--token-file {shown}: {e}"))?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() {
        return Err(format!(
            "--token-file {shown}: the file is empty (write the token on its first line)"
        ));
    }
    Ok(token.to_owned())
}

fn main() -> ExitCode {
    let args = match Args::parse_from(std::env::args()) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let token = match args.resolved_token() {
        Ok(token) => token,
        Err(message) => {
            eprintln!("firewall-monitor: {message}");
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
    let result = run(&mut terminal, args, token);
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
fn run(
    terminal: &mut ratatui::DefaultTerminal,
    args: Args,
    token: Option<String>,
) -> std::io::Result<()> {
    let start = if args.from_start {
        Start::Beginning
    } else {
        Start::End
    };
    let mut follower = Follower::new(&args.log, start);
    let mut app = App::new(args.log.clone(), args.api.clone(), args.report_dir);
    if start == Start::End {
        app.counting_from = format!("since {}", chrono::Local::now().format("%H:%M:%S"));
    }
    let api = args
        .api
        .map(|url| ApiClient::new(&url, token).spawn_poller(Duration::from_secs(1)));
    app.on_lines(follower.poll(), false);
    let mut second = Instant::now();
    while !app.should_quit {
        app.log_state = follower.state();
        terminal.draw(|frame| ui::draw(frame, &app))?;
        if event::poll(Duration::from_millis(200))? {
            if let Event::Key(key) = event::read()? {
                app.on_key(key);
            }
        }
        let live = !follower.catching_up();
        app.on_lines(follower.poll(), live);
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
        let argv = std::iter::once("firewall-monitor").chain(list.iter().copied());
        Args::parse_from(argv.map(str::to_owned)).map_err(|e| e.to_string())
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
            "--from-start",
        ])
        .unwrap();
        assert_eq!(parsed.log, PathBuf::from("a_firewall.log"));
        assert_eq!(parsed.api.as_deref(), Some("http://127.0.0.1:8000"));
        assert_eq!(parsed.resolved_token().unwrap().as_deref(), Some("t"));
        assert!(parsed.from_start);
        assert!(!args(&["--log", "x"]).unwrap().from_start);
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        let error = |list: &[&str]| args(list).unwrap_err();
        assert!(error(&[]).contains("--log <FILE>"), "{}", error(&[]));
        assert!(error(&["--log"]).contains("a value is required for '--log <FILE>'"));
        assert!(error(&["--log", "x", "--bogus"]).contains("unexpected argument '--bogus'"));
        assert!(error(&["--log", "x", "--api", "https://h"]).contains("only http://"));
        assert!(error(&["--log", "x", "--token", "t", "--token-file", "f"])
            .contains("--token and --token-file both give the token"));
    }

    #[test]
    fn the_help_says_what_is_counted_and_how_to_hide_the_token() {
        let help = args(&["--help"]).unwrap_err();
        assert!(
            help.contains(
                "What is counted: the lines written to the log after the monitor started"
            ),
            "{help}"
        );
        assert!(help.contains("[env: FIREWALL_MONITOR_TOKEN"), "{help}");
        assert!(help.contains("--token-file <FILE>"), "{help}");
    }

    #[test]
    fn the_token_file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "  0123456789abcdef-secret \nsecond line\n").unwrap();
        let parsed = args(&["--log", "x", "--token-file", file.to_str().unwrap()]).unwrap();
        assert_eq!(
            parsed.resolved_token().unwrap().as_deref(),
            Some("0123456789abcdef-secret")
        );
        std::fs::write(&file, "\n").unwrap();
        let empty = parsed.resolved_token().unwrap_err();
        assert!(
            empty.contains("token") && empty.contains("is empty"),
            "{empty}"
        );
        let missing = args(&["--log", "x", "--token-file", "/nonexistent/token"])
            .unwrap()
            .resolved_token()
            .unwrap_err();
        assert!(
            missing.starts_with("--token-file /nonexistent/token: "),
            "{missing}"
        );
    }

    #[test]
    fn a_token_with_a_control_character_is_refused() {
        let control = args(&["--log", "x", "--token", "abc\rdef"])
            .unwrap()
            .resolved_token()
            .unwrap_err();
        assert_eq!(control, "--token: the token holds a control character");
    }
}
