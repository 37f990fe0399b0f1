//! The timestamp of a log line, `2026-01-11 10:52:46,996`, in local time.

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

#[cfg(test)]
mod tests {
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
