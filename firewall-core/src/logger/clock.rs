//! The timestamp of a log line, `2026-01-11 10:52:46,996`, in local time;
//! and of a JSON line, `2026-01-11T10:52:46.996+01:00` (RFC 3339).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::thread::LocalKey;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Local, TimeZone as _};

/// Writes the current local time as Python's logging does (`%Y-%m-%d %H:%M:%S,mmm`).
///
/// The part up to the second is formatted at most once per second per thread:
/// formatting dates is most of what a log line would otherwise cost.
pub(crate) fn push_now(out: &mut Vec<u8>) {
    thread_local! {
        static CACHE: RefCell<Second> = const { RefCell::new(Second::NONE) };
    }
    push_stamp(&CACHE, "%Y-%m-%d %H:%M:%S", "", b',', out);
}

/// Writes the current local time in RFC 3339 with milliseconds and the
/// offset (`2026-01-11T10:52:46.996+01:00`), cached per second as [`push_now`].
pub(crate) fn push_now_rfc3339(out: &mut Vec<u8>) {
    thread_local! {
        static CACHE: RefCell<Second> = const { RefCell::new(Second::NONE) };
    }
    push_stamp(&CACHE, "%Y-%m-%dT%H:%M:%S", "%:z", b'.', out);
}

/// One thread's text of the current second: what comes before the
/// milliseconds and what comes after them.
struct Second {
    secs: u64,
    before: String,
    after: String,
}

impl Second {
    const NONE: Second = Second {
        secs: u64::MAX,
        before: String::new(),
        after: String::new(),
    };
}

/// Writes `before`, `separator`, the milliseconds and `after` (chrono
/// formats) of now, remaking the text in `cache` once a second.
fn push_stamp(
    cache: &'static LocalKey<RefCell<Second>>,
    before: &str,
    after: &str,
    separator: u8,
    out: &mut Vec<u8>,
) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (secs, millis) = (now.as_secs(), now.subsec_millis());
    cache.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.secs != secs {
            let (mut head, mut tail) = (String::new(), String::new());
            let local = i64::try_from(secs)
                .ok()
                .and_then(|s| Local.timestamp_opt(s, 0).single());
            let _ = match local {
                Some(time) => write!(head, "{}", time.format(before))
                    .and_then(|()| write!(tail, "{}", time.format(after))),
                None => write!(head, "@{secs}"),
            };
            *cache = Second {
                secs,
                before: head,
                after: tail,
            };
        }
        out.extend_from_slice(cache.before.as_bytes());
        out.extend_from_slice(&[
            separator,
            b'0' + (millis / 100) as u8,
            b'0' + (millis / 10 % 10) as u8,
            b'0' + (millis % 10) as u8,
        ]);
        out.extend_from_slice(cache.after.as_bytes());
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_rfc3339_stamp_parses_and_follows_the_clock() {
        let mut a = Vec::new();
        super::push_now_rfc3339(&mut a);
        let a = String::from_utf8(a).unwrap();
        let stamped = chrono::DateTime::parse_from_rfc3339(&a).unwrap();
        assert_eq!(a.len(), "2026-01-11T10:52:46.996+01:00".len(), "{a}");
        let now = chrono::Local::now();
        assert!(
            (now.fixed_offset() - stamped).num_seconds().abs() <= 2,
            "{a} vs {now}"
        );
        assert_eq!(stamped.offset(), now.offset(), "{a}");
    }

    #[test]
    fn the_stamp_has_the_seeds_shape_and_follows_the_clock() {
        let mut a = Vec::new();
        super::push_now(&mut a);
        let a = String::from_utf8(a).unwrap();
        let shape: String = a
            .chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect();
        assert_eq!(shape, "9999-99-99 99:99:99,999");
        let stamped = chrono::NaiveDateTime::parse_from_str(&a[..19], "%Y-%m-%d %H:%M:%S").unwrap();
        let now = chrono::Local::now().naive_local();
        assert!((now - stamped).num_seconds().abs() <= 2, "{a} vs {now}");
    }
}
