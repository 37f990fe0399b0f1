//! The log file follows `logrotate`: after a move (or a removal) new lines
//! go to a new file at the original path, and after a copy-and-truncate
//! they start the truncated file, with no hole. (Its own test binary: the
//! logger is one per process, and rotating its file would disturb others.)

use std::fs;
use std::path::Path;
use std::time::Duration;

use firewall_core::logger::{self, LogConfig};
use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, TCP};

/// The ACL lines of the file without their timestamp, checking that the
/// file has no NUL byte and each line starts with a timestamp of the seed's shape.
fn messages(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).expect("log file readable");
    assert!(!text.contains('\0'), "a hole of NUL bytes in {text:?}");
    text.lines()
        .map(|line| {
            let (stamp, rest) = line.split_at(24);
            let shape: String = stamp
                .chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c })
                .collect();
            assert_eq!(shape, "9999-99-99 99:99:99,999 ", "{line:?}");
            rest.to_owned()
        })
        .filter(|message| message.contains("] ACL "))
        .collect()
}

fn allow_line(port: u16) -> String {
    format!("[INFO] ACL ALLOW: [TCP] 10.1.1.1:{port} -> 127.0.0.1:5000")
}

#[test]
fn moved_removed_and_truncated_files_are_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = logger::init(
        LogConfig::new("rotate")
            .dir(dir.path())
            .console(false)
            .rotation_check(Duration::ZERO),
    )
    .expect("logger starts");
    let fw = Firewall::new("rotate")
        .with_rules(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app").unwrap()])
        .unwrap();
    let request = |port: u16| {
        fw.check(&Packet::tcp(
            ([10, 1, 1, 1], port).into(),
            ([127, 0, 0, 1], 5000).into(),
        ));
        log.flush();
    };
    let path = log.path().to_path_buf();

    request(40001);
    assert_eq!(messages(&path), [allow_line(40001)]);

    // logrotate's default: move, then the app creates the file again.
    let moved = dir.path().join("rotate_firewall.log.1");
    fs::rename(&path, &moved).unwrap();
    request(40002);
    assert_eq!(
        messages(&moved),
        [allow_line(40001)],
        "the moved file is left alone"
    );
    assert_eq!(
        messages(&path),
        [allow_line(40002)],
        "a new file at the path"
    );

    fs::remove_file(&path).unwrap();
    request(40003);
    assert_eq!(
        messages(&path),
        [allow_line(40003)],
        "created again after rm"
    );

    // logrotate's copytruncate: the copy keeps the old lines, the file
    // starts again from its first byte.
    request(40004);
    fs::copy(&path, dir.path().join("rotate_firewall.log.2")).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    request(40005);
    assert_eq!(
        messages(&path),
        [allow_line(40005)],
        "no hole before the line"
    );
    assert_eq!(
        messages(&dir.path().join("rotate_firewall.log.2")),
        [allow_line(40003), allow_line(40004)]
    );
}
