//! `firewall`: checks and lints a rules file, explains which rule decides a
//! packet, and runs the WAF on one request, all without starting the app.
//!
//! ```text
//! firewall check rules.toml [--format text|json]
//! firewall explain rules.toml 203.0.113.7:5123 127.0.0.1:5000 [--proto tcp]
//! firewall waf 'GET /search?q=1 union select 1' [--paranoia N] [--header 'K: V']...
//!              [--body @file|TEXT] [--rules rules.toml]
//! ```
//!
//! `main.rs` reads the arguments; each command is its own module. Anything
//! that came from the input is escaped before it reaches the terminal
//! ([`terminal`]).

mod check;
mod explain;
mod inspect;
mod lint;
mod load;
mod terminal;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// For `--help`: where to read the log.
const AFTER_HELP: &str = "\
Exit status: 0 clean (check) / request passes (waf); 1 findings (check) / the WAF
would block or detect the request (waf); 2 invalid input (a rules file a reload
would refuse, a bad argument).

To follow the firewall's log (`<app>_firewall.log`) live, use the terminal monitor:
    firewall-monitor --log app_firewall.log [--api http://127.0.0.1:8000]";

/// Checks, explains and tries firewall rules and the WAF without starting the app.
#[derive(Debug, Parser)]
#[command(name = "firewall", version, after_help = AFTER_HELP)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validates a rules file exactly as a reload does, then lints it:
    /// shadowed, redundant and order-dependent rules, overlapping networks.
    Check {
        /// The TOML rules file (`[[rule]]` tables, optionally `[waf]`).
        file: PathBuf,
        /// Output: one line per finding, or one JSON document.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Shows which rule decides a packet (or the default DROP), and why
    /// each rule before it did not match.
    Explain {
        /// The TOML rules file.
        file: PathBuf,
        /// The client's address and port, e.g. 203.0.113.7:5123 (an IPv6 address in brackets).
        src: SocketAddr,
        /// The address and port the request comes in on, e.g. 127.0.0.1:5000.
        dst: SocketAddr,
        /// The packet's protocol.
        #[arg(long, value_enum, default_value_t = Proto::Tcp)]
        proto: Proto,
        /// Earlier rules listed one by one before the rest are summed up.
        #[arg(long, default_value_t = 10, value_name = "N")]
        show: usize,
    },
    /// Runs the WAF on one request: score, verdict, each signature that
    /// matched and where, and the exclusion that would silence it.
    Waf {
        /// The request line: `METHOD TARGET [HTTP/1.1]` (the target may
        /// hold spaces), or just the target for a GET.
        request: String,
        /// Paranoia level, 1 to 4 (default: the rules file's, else 1).
        #[arg(long, value_name = "N")]
        paranoia: Option<u8>,
        /// A request header, `Name: value` (repeat for more).
        #[arg(long = "header", short = 'H', value_name = "K: V")]
        headers: Vec<String>,
        /// The body: text, or `@FILE` to read it from a file. Its type is
        /// the `Content-Type` header's.
        #[arg(long, value_name = "@FILE|TEXT")]
        body: Option<String>,
        /// A rules file whose `[waf]` table (mode, paranoia, threshold,
        /// exclusions...) to use.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// `--proto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Proto {
    Tcp,
    Udp,
}

/// Exit status 2: the input is invalid.
const INVALID: u8 = 2;

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { INVALID } else { 0 });
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let status = match args.command {
        Command::Check { file, format } => {
            check::run(&file, format == Format::Json, &mut out).map_err(Into::into)
        }
        Command::Explain {
            file,
            src,
            dst,
            proto,
            show,
        } => {
            let proto = match proto {
                Proto::Tcp => firewall_core::Protocol::Tcp,
                Proto::Udp => firewall_core::Protocol::Udp,
            };
            let packet = firewall_core::Packet::new(proto, src, dst);
            explain::run(&file, &packet, show, &mut out).map_err(Into::into)
        }
        Command::Waf {
            request,
            paranoia,
            headers,
            body,
            rules,
        } => {
            let input = inspect::Input {
                request,
                paranoia,
                headers,
                body,
                rules,
            };
            inspect::run(&input, &mut out)
        }
    };
    let status = match status {
        Ok(status) => status,
        Err(err) => {
            let _ = out.flush();
            eprintln!("firewall: {}", terminal::clean(&err.to_string()));
            INVALID
        }
    };
    if out.flush().is_err() {
        return ExitCode::from(INVALID);
    }
    ExitCode::from(status)
}
