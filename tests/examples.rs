//! The README's first command: `cargo run --example quickstart` shows both
//! outcomes. Runs the built example on free ports with `--once`.

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/examples/<name>`, built by `cargo test` before the tests run.
fn example(name: &str) -> Option<PathBuf> {
    let deps = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let path = deps.parent()?.join("examples").join(name);
    path.exists().then_some(path)
}

#[test]
fn quickstart_serves_one_url_and_refuses_the_other() {
    let Some(binary) = example("quickstart") else {
        println!("skipped: the quickstart example is not built (run `cargo test --workspace`)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binary)
        .arg("--once")
        .env("FIREWALL_PORT", "0")
        .env("FIREWALL_ADMIN_PORT", "0")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<&str> = stdout
        .lines()
        .filter(|line| line.trim_start().starts_with("GET http://127.0.0.1:"))
        .map(|line| line.split_once("/ -> ").map_or(line, |(_, answer)| answer))
        .collect();
    assert_eq!(
        answers,
        [
            r#"200 OK "Hello from behind the firewall!""#,
            r#"403 Forbidden "Access denied by Firewall.""#
        ],
        "{stdout}"
    );
    let log = std::fs::read_to_string(dir.path().join("quickstart_firewall.log")).unwrap();
    let acl: Vec<&str> = log
        .lines()
        .filter_map(|line| line.split_once(" [").map(|(_, rest)| rest))
        .filter(|rest| rest.contains("] ACL "))
        .collect();
    assert_eq!(acl.len(), 2, "{log}");
    assert!(
        acl[0].starts_with("INFO] ACL ALLOW: [TCP] 127.0.0.1:"),
        "{log}"
    );
    assert!(
        acl[1].starts_with("WARNING] ACL DROP: [TCP] 127.0.0.1:"),
        "{log}"
    );
    assert!(
        acl[1].ends_with(" - Matched rule #2: The admin port is closed"),
        "{log}"
    );
}

/// Runs `shared_limits --once` against `redis`; its output.
fn shared_limits(binary: &PathBuf, redis: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binary)
        .arg("--once")
        .env("FIREWALL_PORT_A", "0")
        .env("FIREWALL_PORT_B", "0")
        .env("REDIS_URL", redis)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn shared_limits_runs_without_redis_and_says_so() {
    let Some(binary) = example("shared_limits") else {
        println!("skipped: the shared_limits example is not built (run `cargo test --workspace`)");
        return;
    };
    // Nothing listens on port 1.
    let stdout = shared_limits(&binary, "redis://127.0.0.1:1/0");
    assert!(
        stdout.contains("no Redis reachable: limits and bans stay in this instance"),
        "{stdout}"
    );
    // Each instance counts its own 10 a minute: all 16 are served.
    assert!(stdout.contains(": 16 served, 0 refused"), "{stdout}");
}

#[test]
fn shared_limits_with_redis_counts_10_for_both_instances() {
    let Some(binary) = example("shared_limits") else {
        println!("skipped: the shared_limits example is not built (run `cargo test --workspace`)");
        return;
    };
    let Some(redis) =
        firewall_store::testing::RedisServer::start_or_skip("examples::shared_limits")
    else {
        return;
    };
    let stdout = shared_limits(&binary, &redis.url());
    assert!(
        stdout.contains("limits and bans shared through Redis"),
        "{stdout}"
    );
    assert!(stdout.contains(": 10 served, 6 refused"), "{stdout}");
}
