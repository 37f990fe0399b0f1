use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::*;
use crate::limit::ManualClock;

const NOW: u64 = 1_800_000_000_000_000_000;
const MIN: Duration = Duration::from_secs(60);

fn bans(policy: BanPolicy) -> (Bans, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(NOW));
    (Bans::with_clock(policy, clock.clone()), clock)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn twenty_waf_drops() -> BanPolicy {
    BanPolicy::new(20, MIN, 10 * MIN).unwrap()
}

#[test]
fn the_twentieth_waf_drop_bans_and_the_ban_expires() {
    let (bans, clock) = bans(twenty_waf_drops());
    let attacker = ip("203.0.113.7");
    for _ in 0..19 {
        assert_eq!(bans.strike(attacker, StrikeKind::WafDrop), None);
        clock.advance(Duration::from_secs(1));
    }
    assert!(bans.is_banned(attacker).is_none());
    let ban = bans.strike(attacker, StrikeKind::WafDrop).unwrap();
    assert_eq!(&*ban.reason, "20 WAF drops in 60s");
    assert_eq!(ban.key.to_string(), "203.0.113.7");
    assert_eq!(ban.duration(), 10 * MIN);
    assert_eq!(bans.is_banned(attacker), Some(ban.clone()));

    clock.advance(Duration::from_nanos(600_000_000_000 - 1));
    assert!(bans.is_banned(attacker).is_some());
    assert!(bans.expire().is_empty());
    clock.advance(Duration::from_nanos(1));
    assert!(bans.is_banned(attacker).is_none());
    assert_eq!(
        bans.expire(),
        [Ended {
            ban,
            cause: EndCause::Expired
        }]
    );
    assert!(bans.is_empty());
}

#[test]
fn nineteen_drops_a_minute_never_ban() {
    let (bans, clock) = bans(twenty_waf_drops());
    let client = ip("198.51.100.9");
    // One drop every 3.2 s: 19 in any 60 s, for ten minutes.
    for _ in 0..190 {
        assert_eq!(bans.strike(client, StrikeKind::WafDrop), None);
        clock.advance(Duration::from_millis(3_200));
    }
}

#[test]
fn a_repeat_offenders_ban_doubles_up_to_the_maximum() {
    let policy = BanPolicy::new(1, MIN, 10 * MIN)
        .unwrap()
        .max(30 * MIN)
        .unwrap();
    let (bans, clock) = bans(policy);
    let client = ip("203.0.113.7");
    let mut durations = Vec::new();
    for _ in 0..4 {
        let ban = bans.strike(client, StrikeKind::AclDrop).unwrap();
        durations.push(ban.duration().as_secs() / 60);
        assert!(
            bans.strike(client, StrikeKind::AclDrop).is_none(),
            "banned: no strike"
        );
        clock.advance(ban.duration());
        assert_eq!(bans.expire().len(), 1);
    }
    assert_eq!(durations, [10, 20, 30, 30]);
}

#[test]
fn kinds_not_counted_never_ban() {
    let policy = BanPolicy::new(1, MIN, MIN)
        .unwrap()
        .count(StrikeKind::RateLimited, false);
    let (bans, _clock) = bans(policy);
    for _ in 0..10 {
        assert!(bans
            .strike(ip("192.0.2.1"), StrikeKind::RateLimited)
            .is_none());
    }
    assert_eq!(bans.tracked(), 0);
    assert!(bans.strike(ip("192.0.2.1"), StrikeKind::WafDrop).is_some());
}

#[test]
fn allowlisted_networks_are_never_banned() {
    let policy = BanPolicy::new(1, MIN, MIN)
        .unwrap()
        .allow("10.0.0.0/8")
        .unwrap()
        .allow("2001:db8::1")
        .unwrap();
    let (bans, _clock) = bans(policy);
    assert!(bans.strike(ip("10.1.2.3"), StrikeKind::WafDrop).is_none());
    assert!(bans
        .strike(ip("::ffff:10.1.2.3"), StrikeKind::WafDrop)
        .is_none());
    assert!(matches!(
        bans.ban(ip("::ffff:10.9.9.9"), MIN, "x"),
        Err(BanError::Allowlisted { .. })
    ));
    // A neighbour in the proxy's /64 gets the /64 banned; the proxy is not refused.
    assert!(bans
        .strike(ip("2001:db8::2"), StrikeKind::WafDrop)
        .is_some());
    assert!(bans.is_banned(ip("2001:db8::3")).is_some());
    assert!(bans.is_banned(ip("2001:db8::1")).is_none());
}

#[test]
fn v4_and_its_mapped_form_are_one_client() {
    let (bans, _clock) = bans(BanPolicy::new(2, MIN, MIN).unwrap());
    assert!(bans
        .strike(ip("203.0.113.7"), StrikeKind::WafDrop)
        .is_none());
    assert!(bans
        .strike(ip("::ffff:203.0.113.7"), StrikeKind::WafDrop)
        .is_some());
    assert!(bans.is_banned(ip("203.0.113.7")).is_some());
    assert!(bans.is_banned(ip("::ffff:203.0.113.7")).is_some());
    assert!(bans.is_banned(ip("203.0.113.8")).is_none());
}

#[test]
fn one_v6_slash_64_is_one_client_and_another_is_not() {
    let (bans, _clock) = bans(BanPolicy::new(2, MIN, MIN).unwrap());
    assert!(bans
        .strike(ip("2001:db8:0:1::1"), StrikeKind::WafDrop)
        .is_none());
    let ban = bans
        .strike(ip("2001:db8:0:1:ffff::2"), StrikeKind::WafDrop)
        .unwrap();
    assert_eq!(ban.key.to_string(), "2001:db8:0:1::/64");
    assert!(bans.is_banned(ip("2001:db8:0:1::99")).is_some());
    assert!(bans.is_banned(ip("2001:db8:0:2::1")).is_none());
}

#[test]
fn many_threads_striking_one_client_start_exactly_one_ban() {
    let (bans, _clock) = bans(BanPolicy::new(100, MIN, MIN).unwrap());
    let bans = Arc::new(bans);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let bans = bans.clone();
            thread::spawn(move || {
                (0..50)
                    .filter(|_| bans.strike(ip("192.0.2.1"), StrikeKind::WafDrop).is_some())
                    .count()
            })
        })
        .collect();
    let started: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(started, 1);
    assert_eq!(bans.len(), 1);
}

#[test]
fn manual_ban_list_and_unban() {
    let (bans, clock) = bans(twenty_waf_drops());
    let first = bans.ban(ip("192.0.2.1"), 60 * MIN, "abuse report").unwrap();
    clock.advance(Duration::from_secs(5));
    bans.ban(ip("2001:db8::1"), MIN, "scanner").unwrap();
    let listed = bans.list();
    let rows: Vec<(String, &str, u64, u64)> = listed
        .iter()
        .map(|b| (b.key.to_string(), &*b.reason, b.since - NOW, b.until - NOW))
        .collect();
    let s = 1_000_000_000;
    assert_eq!(
        rows,
        [
            ("192.0.2.1".to_owned(), "abuse report", 0, 3_600 * s),
            ("2001:db8::/64".to_owned(), "scanner", 5 * s, 65 * s),
        ]
    );
    assert_eq!(first.origin, BanOrigin::Manual);
    let ended = bans.unban(ip("192.0.2.1")).unwrap();
    assert_eq!((ended.ban, ended.cause), (first, EndCause::Lifted));
    assert!(bans.is_banned(ip("192.0.2.1")).is_none());
    assert!(bans.unban(ip("192.0.2.1")).is_none());
    assert_eq!(bans.len(), 1);
}

#[test]
fn unban_forgets_the_strikes_so_the_next_one_does_not_ban_again() {
    let (bans, _clock) = bans(BanPolicy::new(3, MIN, MIN).unwrap());
    let client = ip("192.0.2.1");
    bans.strike(client, StrikeKind::WafDrop);
    bans.strike(client, StrikeKind::WafDrop);
    bans.unban(client);
    assert!(bans.strike(client, StrikeKind::WafDrop).is_none());
}

#[test]
fn a_shorter_ban_added_later_still_expires_on_time() {
    let (bans, clock) = bans(twenty_waf_drops());
    bans.ban(ip("192.0.2.1"), 60 * MIN, "long").unwrap();
    bans.ban(ip("192.0.2.2"), MIN, "short").unwrap();
    clock.advance(MIN);
    let ended = bans.expire();
    assert_eq!(ended.len(), 1);
    assert_eq!(&*ended[0].ban.reason, "short");
    clock.advance(59 * MIN);
    assert_eq!(&*bans.expire()[0].ban.reason, "long");
    assert!(bans.is_empty());
}

#[test]
fn a_second_manual_ban_replaces_the_first() {
    let (bans, _clock) = bans(twenty_waf_drops());
    bans.ban(ip("192.0.2.1"), MIN, "one").unwrap();
    bans.ban(ip("192.0.2.1"), 2 * MIN, "two").unwrap();
    assert_eq!(bans.len(), 1);
    assert_eq!(&*bans.is_banned(ip("192.0.2.1")).unwrap().reason, "two");
}

#[test]
fn with_100_000_bans_the_others_are_not_banned() {
    let (bans, _clock) = bans(twenty_waf_drops());
    for n in 0..100_000u32 {
        bans.ban(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)), MIN, "x")
            .unwrap();
    }
    assert_eq!(bans.len(), 100_000);
    assert!(bans.is_banned(ip("10.0.0.7")).is_some());
    assert!(bans.is_banned(ip("10.1.134.160")).is_none()); // 10.0.0.0 + 100,000
    assert!(bans.is_banned(ip("192.0.2.1")).is_none());
}

#[test]
fn a_ban_replacing_one_past_its_time_still_reports_the_old_ones_end() {
    let (bans, clock) = bans(BanPolicy::new(1, MIN, MIN).unwrap());
    let client = ip("192.0.2.1");
    let first = bans.strike(client, StrikeKind::WafDrop).unwrap();
    clock.advance(MIN);
    // expire() has not run yet; the client strikes again and is banned again.
    let second = bans.strike(client, StrikeKind::WafDrop).unwrap();
    let ended = bans.expire();
    assert_eq!(
        ended,
        [Ended {
            ban: first,
            cause: EndCause::Expired
        }]
    );
    assert_eq!(bans.is_banned(client), Some(second));
    assert_eq!(bans.len(), 1);
}
