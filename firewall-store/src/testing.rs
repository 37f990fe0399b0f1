//! A `redis-server` of the test's own, on a free loopback port, with no
//! persistence; stopped when dropped. Feature `test-support`.
//!
//! ```no_run
//! use firewall_store::testing::RedisServer;
//! let mut server = RedisServer::start()?;
//! let url = server.url(); // redis://127.0.0.1:PORT/0
//! server.pause()?;        // SIGSTOP: connections stay open, nothing answers
//! server.resume()?;
//! server.kill();          // SIGKILL
//! server.restart()?;      // the same port again
//! # Ok::<(), String>(())
//! ```

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to answer its first PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A running `redis-server` (the binary named by `REDIS_SERVER`, else
/// `redis-server` on the `PATH`).
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free port of 127.0.0.1 and waits until it
    /// answers PING; the error says what is missing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let server = firewall_store::testing::RedisServer::start()?;
    /// assert!(server.url().starts_with("redis://127.0.0.1:"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn start() -> Result<Self, String> {
        let mut last = String::new();
        // Another process may take the port between probing and binding.
        for _ in 0..3 {
            let port = free_port()?;
            let mut server = Self { port, child: None };
            match server.restart() {
                Ok(()) => return Ok(server),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// [`start`](Self::start) for a test that cannot run without Redis:
    /// `None`, after printing `SKIPPED <test>: redis-server not found`,
    /// when the binary is not installed (a user's machine); any other
    /// failure to start panics, so a broken Redis never passes silently.
    ///
    /// # Panics
    ///
    /// When `redis-server` is installed but does not start.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let Some(server) = firewall_store::testing::RedisServer::start_or_skip("doc") else {
    ///     return;
    /// };
    /// assert!(server.url().starts_with("redis://127.0.0.1:"));
    /// ```
    pub fn start_or_skip(test: &str) -> Option<Self> {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let found = Command::new(&binary)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            println!(
                "SKIPPED {test}: `{binary}` not found (install redis-server, or set REDIS_SERVER)"
            );
            return None;
        }
        match Self::start() {
            Ok(server) => Some(server),
            Err(e) => panic!("{test}: redis-server did not start: {e}"),
        }
    }

    /// The port.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let server = firewall_store::testing::RedisServer::start()?;
    /// assert!(server.port() > 0);
    /// # Ok::<(), String>(())
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT/0`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let server = firewall_store::testing::RedisServer::start()?;
    /// assert_eq!(server.url(), format!("redis://127.0.0.1:{}/0", server.port()));
    /// # Ok::<(), String>(())
    /// ```
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts the server (again) on the same port, with no data.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let mut server = firewall_store::testing::RedisServer::start()?;
    /// server.kill();
    /// server.restart()?;
    /// # Ok::<(), String>(())
    /// ```
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start `{binary}`: {e} (install redis-server, or set REDIS_SERVER)")
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if self.ping() {
                return Ok(());
            }
            if let Some(child) = &mut self.child {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(format!("`{binary}` on port {} exited: {status}", self.port));
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        Err(format!(
            "`{binary}` on port {} did not answer within {READY_WITHIN:?}",
            self.port
        ))
    }

    /// Whether the server answers PING within 500 ms.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let server = firewall_store::testing::RedisServer::start()?;
    /// assert!(server.ping());
    /// # Ok::<(), String>(())
    /// ```
    pub fn ping(&self) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        let mut answer = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    /// Stops the server at once (SIGKILL), as a crash would.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let mut server = firewall_store::testing::RedisServer::start()?;
    /// server.kill();
    /// assert!(!server.ping());
    /// # Ok::<(), String>(())
    /// ```
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = signal(&child, "CONT");
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open, nothing answers.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let mut server = firewall_store::testing::RedisServer::start()?;
    /// server.pause()?;
    /// server.resume()?;
    /// # Ok::<(), String>(())
    /// ```
    pub fn pause(&mut self) -> Result<(), String> {
        self.child
            .as_ref()
            .map_or(Err("not running".into()), |c| signal(c, "STOP"))
    }

    /// Lets a paused server go on (SIGCONT).
    ///
    /// # Examples
    ///
    /// See [`pause`](Self::pause).
    pub fn resume(&mut self) -> Result<(), String> {
        self.child
            .as_ref()
            .map_or(Err("not running".into()), |c| signal(c, "CONT"))
    }

    /// Runs one command with `redis-cli`-like simplicity over a raw
    /// connection: sends `args` as a RESP array, returns the raw reply.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let server = firewall_store::testing::RedisServer::start()?;
    /// assert_eq!(server.command(&["DBSIZE"])?, ":0\r\n");
    /// # Ok::<(), String>(())
    /// ```
    pub fn command(&self, args: &[&str]) -> Result<String, String> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))
            .map_err(|e| format!("connect to port {}: {e}", self.port))?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            let _ = write!(request, "${}\r\n{arg}\r\n", arg.len());
        }
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut reply = vec![0u8; 1 << 16];
        let n = stream.read(&mut reply).map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&reply[..n]).into_owned())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("no free loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn signal(child: &Child, name: &str) -> Result<(), String> {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .map_err(|e| format!("kill -{name}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kill -{name} {}: {status}", child.id()))
    }
}
