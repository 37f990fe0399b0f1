//! The timestamp of a log line, `2026-01-11 10:52:46,996`, in local time;
//! and of a JSON line, `2026-01-11T10:52:46.996+01:00` (RFC 3339).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Local, TimeZone as _};

/// Writes the current local time as Python's logging does (`%Y-%m-%d %H:%M:%S,mmm`).
///
/// The part up to the second is formatted at most once per second per thread:
/// formatting dates is most of what a log line would otherwise cost.
pub(crate) fn push_now(out: &mut Vec<u8>) {
    thread_local! {
        static CACHE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (secs, millis) = (now.as_secs(), now.subsec_millis());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            cache.1.clear();
            let local = i64::try_from(secs)
                .ok()
                .and_then(|s| Local.timestamp_opt(s, 0).single());
            let _ = match local {
                Some(time) => write!(cache.1, "{}", time.format("%Y-%m-%d %H:%M:%S")),
                None => write!(cache.1, "@{secs}"),
            };
            cache.0 = secs;
        }
        out.extend_from_slice(cache.1.as_bytes());
        out.extend_from_slice(&[
            b',',
            b'0' + (millis / 100) as u8,
            b'0' + (millis / 10 % 10) as u8,
            b'0' + (millis % 10) as u8,
        ]);
    });
}

/// Writes the current local time in RFC 3339 with milliseconds and the
/// offset (`2026-01-11T10:52:46.996+01:00`), cached per second as [`push_now`].
pub(crate) fn push_now_rfc3339(out: &mut Vec<u8>) {
    thread_local! {
        static CACHE: RefCell<(u64, String, String)> =
            const { RefCell::new((u64::MAX, String::new(), String::new())) };
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (secs, millis) = (now.as_secs(), now.subsec_millis());
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            let (mut seconds, mut offset) = (String::new(), String::new());
            let local = i64::try_from(secs)
                .ok()
                .and_then(|s| Local.timestamp_opt(s, 0).single());
            let _ = match local {
                Some(time) => write!(seconds, "{}", time.format("%Y-%m-%dT%H:%M:%S"))
                    .and_then(|()| write!(offset, "{}", time.format("%:z"))),
                None => write!(seconds, "@{secs}"),
            };
            *cache = (secs, seconds, offset);
        }
        out.extend_from_slice(cache.1.as_bytes());
        out.extend_from_slice(&[
            b'.',
            b'0' + (millis / 100) as u8,
            b'0' + (millis / 10 % 10) as u8,
            b'0' + (millis % 10) as u8,
        ]);
        out.extend_from_slice(cache.2.as_bytes());
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
