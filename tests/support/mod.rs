//! Shared helpers for the integration tests: a real server on a loopback
//! socket, a small HTTP/1.1 client, and the log file.
//!
//! The logger is one per process, so each test binary logs to its own file
//! (named after the binary) and each assertion finds its lines by the client
//! and server ports, which are unique while the test runs.

#![allow(dead_code)] // each test binary uses a different part

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use actix_web::dev::Server;
use firewall_actix::logger::{self, LogConfig};

/// The log file of this test binary, created on first use in a temporary folder.
pub fn log_file(app: &str) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"));
    let config = LogConfig::new(app).dir(dir.path()).console(false);
    let handle = logger::init(config).expect("the logger starts");
    handle.path().to_path_buf()
}

/// Every line of the log written so far, without the timestamp:
/// `[WARNING] ACL DROP: ...`. Panics if a timestamp is not in the seed's format.
pub fn log_lines(path: &PathBuf) -> Vec<String> {
    logger::flush();
    let text = std::fs::read_to_string(path).expect("the log file is readable");
    text.lines()
        .map(|line| strip_timestamp(line).to_owned())
        .collect()
}

/// The lines that mention `needle`.
pub fn log_lines_with(path: &PathBuf, needle: &str) -> Vec<String> {
    log_lines(path)
        .into_iter()
        .filter(|line| line.contains(needle))
        .collect()
}

/// `2026-01-11 10:52:46,996 [INFO] x` -> `[INFO] x`, checking the timestamp's shape.
fn strip_timestamp(line: &str) -> &str {
    let (stamp, rest) = line
        .split_at_checked(24)
        .unwrap_or_else(|| panic!("short line {line:?}"));
    let shape: String = stamp
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99 99:99:99,999 ", "timestamp of {line:?}");
    rest
}

/// A server running on its own thread and actix system until the process ends.
#[derive(Debug, Clone, Copy)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
}

/// Binds `addr` (use port 0) and runs the server `make` builds on that
/// listener. `None` when the address cannot be bound (no IPv6 here).
pub fn serve<F>(addr: &str, make: F) -> Option<Running>
where
    F: FnOnce(TcpListener) -> io::Result<Server> + Send + 'static,
{
    let listener = match TcpListener::bind(addr) {
        Ok(listener) => listener,
        Err(err) => {
            println!("skipped: cannot bind {addr}: {err}");
            return None;
        }
    };
    let bound = listener.local_addr().expect("a bound address");
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            make(listener)
                .expect("the server starts")
                .await
                .expect("the server runs");
        });
    });
    Some(Running { addr: bound })
}

/// One HTTP response, and the client's own address (the server's peer).
#[derive(Debug)]
pub struct Reply {
    /// `200`, `403`, ...
    pub status: u16,
    /// The head, lower-cased header names and values as sent.
    pub head: String,
    /// The body.
    pub body: String,
    /// The client socket's address: the peer the firewall saw.
    pub client: SocketAddr,
}

impl Reply {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// Every value of header `name` (lower case), in the order sent.
    pub fn headers(&self, name: &str) -> Vec<&str> {
        self.head
            .lines()
            .filter_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name).then(|| value.trim())
            })
            .collect()
    }

    /// What finds this request's ACL line: `:<client port> -> <destination>`
    /// (`[::1]:5000` for IPv6, as the log writes it).
    pub fn acl_key(&self, destination: SocketAddr) -> String {
        format!(":{} -> {destination}", self.client.port())
    }
}

/// `GET path` on a new connection, with extra request headers.
pub fn get(server: SocketAddr, path: &str, headers: &[(&str, &str)]) -> io::Result<Reply> {
    send(server, "GET", path, headers, b"")
}

/// `method path` with a body (and its `Content-Length` when not empty) on a
/// new connection, with extra request headers.
pub fn send(
    server: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&server, Duration::from_secs(10))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let client = stream.local_addr()?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&[name, ": ", value, "\r\n"].concat());
    }
    if !body.is_empty() {
        request.push_str(&["Content-Length: ", &body.len().to_string(), "\r\n"].concat());
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    let mut raw = Vec::new();
    // The server may close before reading a refused body: keep what came.
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("no head in {raw:?}")))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, format!("no status in {head:?}"))
        })?;
    Ok(Reply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
        client,
    })
}
