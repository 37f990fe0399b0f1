use std::io::Write;

use super::*;

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// A log in a fresh directory, and the directory.
fn log() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app_firewall.log");
    (dir, path)
}

#[test]
fn by_default_only_lines_written_after_the_start_are_read() {
    let (_dir, path) = log();
    append(&path, "earlier run\nearlier run, last line\n");
    let mut follower = Follower::new(&path, Start::End);
    assert!(follower.poll().is_empty());
    assert_eq!(follower.state(), FollowState::Following);
    append(&path, "new\n");
    assert_eq!(follower.poll(), ["new"]);
}

#[test]
fn a_line_being_written_at_the_start_is_skipped_whole() {
    let (_dir, path) = log();
    append(&path, "old\nhalf of a li");
    let mut follower = Follower::new(&path, Start::End);
    assert!(follower.poll().is_empty());
    append(&path, "ne\nnext\n");
    assert_eq!(follower.poll(), ["next"]);
}

#[test]
fn from_the_beginning_the_existing_lines_are_read_as_history() {
    let (_dir, path) = log();
    append(&path, "one\ntwo\n");
    let mut follower = Follower::new(&path, Start::Beginning);
    assert!(!follower.catching_up(), "nothing open yet");
    assert_eq!(follower.poll(), ["one", "two"]);
    assert!(!follower.catching_up());
    append(&path, "three\n");
    assert_eq!(follower.poll(), ["three"]);
}

#[test]
fn a_long_history_is_read_a_chunk_per_poll_and_known_as_history() {
    let (_dir, path) = log();
    let line = format!("{}\n", "x".repeat(1023));
    let lines = usize::try_from(READ_CHUNK).unwrap() / line.len() + 10;
    append(&path, &line.repeat(lines));
    let mut follower = Follower::new(&path, Start::Beginning);
    let first = follower.poll().len();
    assert!(first < lines, "one chunk per poll: {first}");
    assert!(follower.catching_up());
    assert_eq!(first + follower.poll().len(), lines);
    assert!(!follower.catching_up());
    append(&path, "live\n");
    assert_eq!(follower.poll(), ["live"]);
}

#[test]
fn waits_for_a_missing_file_then_reads_it_from_its_start() {
    let (_dir, path) = log();
    let mut follower = Follower::new(&path, Start::End);
    assert!(follower.poll().is_empty());
    assert_eq!(follower.state(), FollowState::Waiting);
    append(&path, "one\ntwo\n");
    assert_eq!(follower.poll(), ["one", "two"]);
    assert_eq!(follower.state(), FollowState::Following);
}

#[test]
fn a_partial_line_waits_for_its_end() {
    let (_dir, path) = log();
    append(&path, "first\nsec");
    let mut follower = Follower::new(&path, Start::Beginning);
    assert_eq!(follower.poll(), ["first"]);
    append(&path, "ond\r\n");
    assert_eq!(follower.poll(), ["second"]);
}

#[test]
fn truncation_to_less_starts_again_from_the_top() {
    let (_dir, path) = log();
    append(&path, "old line one\nold line two\n");
    let mut follower = Follower::new(&path, Start::Beginning);
    assert_eq!(follower.poll().len(), 2);
    std::fs::write(&path, "new\n").unwrap();
    assert_eq!(follower.poll(), ["new"]);
}

#[test]
fn copy_and_truncate_then_more_than_was_read_is_read_once() {
    let (dir, path) = log();
    append(&path, "old 1\nold 2\n");
    let mut follower = Follower::new(&path, Start::Beginning);
    assert_eq!(follower.poll(), ["old 1", "old 2"]);
    // logrotate's copytruncate, then the app writes past the old length before the next poll.
    std::fs::copy(&path, dir.path().join("app_firewall.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&path, "new 1, longer than before\nnew 2\n");
    assert_eq!(follower.poll(), ["new 1, longer than before", "new 2"]);
    assert_eq!(follower.state(), FollowState::Following);
    append(&path, "new 3\n");
    assert_eq!(follower.poll(), ["new 3"]);
}

#[test]
fn rotation_reads_the_old_file_to_its_end_then_the_new_one() {
    let (dir, path) = log();
    append(&path, "before\n");
    let mut follower = Follower::new(&path, Start::Beginning);
    let t0 = Instant::now();
    assert_eq!(follower.poll_at(t0), ["before"]);
    append(&path, "last of old\n");
    let old = dir.path().join("app_firewall.log.1");
    std::fs::rename(&path, &old).unwrap();
    append(&path, "first of new\n");
    assert_eq!(follower.poll_at(t0), ["last of old", "first of new"]);
    // The app has not reopened yet: a line still goes to the old file.
    append(&old, "late in old\n");
    append(&path, "more\n");
    assert_eq!(
        follower.poll_at(t0 + DRAIN_GRACE / 2),
        ["more", "late in old"]
    );
    // Quiet for the grace: let go, and not read again.
    assert!(follower
        .poll_at(t0 + DRAIN_GRACE / 2 + DRAIN_GRACE)
        .is_empty());
    append(&old, "after the grace\n");
    append(&path, "still new\n");
    assert_eq!(follower.poll_at(t0 + 3 * DRAIN_GRACE), ["still new"]);
}

#[test]
fn a_moved_file_is_still_read_until_a_new_one_appears() {
    let (dir, path) = log();
    append(&path, "x\n");
    let mut follower = Follower::new(&path, Start::End);
    follower.poll();
    let old = dir.path().join("app_firewall.log.1");
    std::fs::rename(&path, &old).unwrap();
    append(&old, "written after the mv\n");
    assert_eq!(follower.poll(), ["written after the mv"]);
    assert_eq!(follower.state(), FollowState::Moved);
    append(&path, "new file\n");
    assert_eq!(follower.poll(), ["new file"]);
    assert_eq!(follower.state(), FollowState::Following);
}

#[test]
fn a_deleted_file_is_read_to_its_end_then_a_new_one_from_its_start() {
    let (_dir, path) = log();
    append(&path, "x\n");
    let mut follower = Follower::new(&path, Start::End);
    follower.poll();
    std::fs::remove_file(&path).unwrap();
    assert!(follower.poll().is_empty());
    assert_eq!(follower.state(), FollowState::Moved);
    append(&path, "recreated\n");
    assert_eq!(follower.poll(), ["recreated"]);
}

#[test]
fn a_file_that_comes_back_is_not_read_again() {
    let (dir, path) = log();
    append(&path, "one\n");
    let mut follower = Follower::new(&path, Start::Beginning);
    assert_eq!(follower.poll(), ["one"]);
    let away = dir.path().join("away.log");
    std::fs::rename(&path, &away).unwrap();
    assert!(follower.poll().is_empty());
    std::fs::rename(&away, &path).unwrap();
    assert!(follower.poll().is_empty(), "moved back: nothing new");
    append(&path, "two\n");
    assert_eq!(follower.poll(), ["two"]);
}

#[test]
fn a_rotated_file_moved_back_after_the_grace_goes_on_where_it_was() {
    let (dir, path) = log();
    append(&path, "old one\n");
    let mut follower = Follower::new(&path, Start::Beginning);
    let t0 = Instant::now();
    assert_eq!(follower.poll_at(t0), ["old one"]);
    let old = dir.path().join("app_firewall.log.1");
    std::fs::rename(&path, &old).unwrap();
    append(&path, "new one\n");
    assert_eq!(follower.poll_at(t0), ["new one"]);
    assert!(follower.poll_at(t0 + 2 * DRAIN_GRACE).is_empty());
    std::fs::rename(&old, &path).unwrap(); // the old file replaces the new one
    append(&path, "old two\n");
    assert_eq!(follower.poll_at(t0 + 3 * DRAIN_GRACE), ["old two"]);
}

#[test]
fn invalid_utf8_is_kept_lossily() {
    let (_dir, path) = log();
    std::fs::write(&path, b"bad \xff byte\n").unwrap();
    assert_eq!(
        Follower::new(&path, Start::Beginning).poll(),
        ["bad \u{fffd} byte"]
    );
}
