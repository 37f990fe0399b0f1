//! The compiled matcher against the linear first-match reference: edge cases
//! by hand, then random rule sets with packets built to hit them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnetwork::IpNetwork;
use proptest::prelude::*;

use super::*;
use crate::rule::{Action, NetMatch, PortMatch, Protocol, Rule};

fn rule(line: &str) -> Rule {
    line.parse().unwrap()
}

fn rules(lines: &[&str]) -> Vec<Rule> {
    lines.iter().map(|l| rule(l)).collect()
}

fn packet(proto: Protocol, src: &str, dst: &str) -> Packet {
    Packet::new(proto, src.parse().unwrap(), dst.parse().unwrap())
}

fn tcp(src: &str, dst: &str) -> Packet {
    packet(Protocol::Tcp, src, dst)
}

/// What the matcher reads of `rules`.
fn fields(rules: &[Rule]) -> Vec<RuleFields> {
    rules.iter().map(RuleFields::of).collect()
}

/// The compiled answer at several sub-indexing thresholds, checked against
/// the linear reference and returned.
fn first(rules: &[Rule], p: &Packet) -> Option<usize> {
    let rules = &fields(rules);
    let expected = first_match_linear(rules, p);
    assert_eq!(Matcher::compile(rules).first_match(rules, p), expected);
    for scan_max in [0, 1, 3, SCAN_MAX] {
        let got = Matcher::compile_with(rules, scan_max).first_match(rules, p);
        assert_eq!(got, expected, "scan_max {scan_max}, packet {p:?}");
    }
    expected
}

#[test]
fn empty_rule_set_matches_nothing() {
    assert_eq!(first(&[], &tcp("10.0.0.1:1", "10.0.0.2:80")), None);
}

#[test]
fn zero_and_full_prefixes() {
    let set = rules(&[
        "DROP TCP 80 10.0.0.1 ANY",
        "ALLOW TCP 80 0.0.0.0/0 ANY",
        "DROP TCP 80 2001:db8::1 ANY",
        "ALLOW TCP 80 ::/0 ANY",
    ]);
    assert_eq!(first(&set, &tcp("10.0.0.1:5", "10.0.0.9:80")), Some(0));
    assert_eq!(first(&set, &tcp("10.0.0.2:5", "10.0.0.9:80")), Some(1));
    assert_eq!(first(&set, &tcp("[2001:db8::1]:5", "[::1]:80")), Some(2));
    assert_eq!(first(&set, &tcp("[2001:db8::2]:5", "[::1]:80")), Some(3));
    assert_eq!(first(&set, &tcp("10.0.0.2:5", "10.0.0.9:81")), None);
}

#[test]
fn any_everywhere_matches_both_families_and_protocols() {
    let set = rules(&["DROP TCP 22 ANY ANY", "ALLOW ANY ANY ANY ANY"]);
    assert_eq!(first(&set, &tcp("10.0.0.1:5", "10.0.0.2:22")), Some(0));
    assert_eq!(first(&set, &tcp("[::2]:5", "[::1]:22")), Some(0));
    let udp = packet(Protocol::Udp, "[::2]:5", "[::1]:22");
    assert_eq!(first(&set, &udp), Some(1));
}

#[test]
fn port_edges() {
    let set = rules(&[
        "DROP TCP 1 ANY ANY",
        "DROP TCP 65535 ANY ANY",
        "ALLOW TCP 2-65534 ANY ANY",
    ]);
    // No rule can name port 0; a packet to it falls through to the default.
    for (port, expected) in [
        (0, None),
        (1, Some(0)),
        (2, Some(2)),
        (65534, Some(2)),
        (65535, Some(1)),
    ] {
        let p = tcp("10.0.0.1:5", &format!("10.0.0.2:{port}"));
        assert_eq!(first(&set, &p), expected, "port {port}");
    }
}

#[test]
fn ipv4_mapped_client_is_matched_as_ipv4() {
    let set = rules(&["ALLOW TCP ANY ::/0 ANY", "DROP TCP ANY 10.0.0.0/8 ANY"]);
    assert_eq!(
        first(&set, &tcp("[::ffff:10.1.2.3]:5", "[::ffff:10.0.0.1]:80")),
        Some(1)
    );
    assert_eq!(first(&set, &tcp("[::1]:5", "[::1]:80")), Some(0));
}

#[test]
fn families_never_cross() {
    let set = rules(&["ALLOW TCP ANY 0.0.0.0/0 ANY", "ALLOW TCP ANY ANY 0.0.0.0/0"]);
    assert_eq!(first(&set, &tcp("[::1]:5", "[::1]:80")), None);
    let set = rules(&["ALLOW TCP ANY ::/0 ANY"]);
    assert_eq!(first(&set, &tcp("10.0.0.1:5", "10.0.0.2:80")), None);
}

#[test]
fn mixed_family_packet_follows_the_reference() {
    let set = rules(&[
        "DROP TCP ANY 10.0.0.0/8 10.0.0.0/8",
        "ALLOW TCP ANY ANY ::1",
    ]);
    let p = Packet::tcp("10.0.0.1:5".parse().unwrap(), "[::1]:80".parse().unwrap());
    assert_eq!(first(&set, &p), Some(1));
}

#[test]
fn mixed_family_packet_uses_one_sided_rules_only() {
    let mut set = rules(&[
        "DROP TCP ANY 0.0.0.0/0 ANY",
        "DROP TCP ANY ANY ::/0",
        "DROP TCP ANY 2001:db8::/32 ::1",
        "DROP TCP ANY ::/0 ANY",
        "ALLOW TCP 80 2001:db8::/32 ANY",
        "ALLOW TCP 81 ANY 10.0.0.0/8",
        "ALLOW TCP 82 ANY 0.0.0.0/0",
        "ALLOW TCP ANY ANY ANY",
    ]);
    // Enough padding that the set is indexed.
    set.extend((0..40).map(|i| rule(&format!("DROP UDP {} 10.{i}.0.0/16 10.0.0.0/8", i + 1))));
    let p = |src: &str, dst: &str| Packet::tcp(src.parse().unwrap(), dst.parse().unwrap());
    // v6 client behind a v4 proxy: ::/0 source rules apply, not 0.0.0.0/0 ones.
    assert_eq!(first(&set, &p("[2001:db8::5]:1", "10.1.2.3:80")), Some(3));
    assert_eq!(first(&set, &p("[2001:db8::5]:1", "[::1]:80")), Some(1));
    assert_eq!(first(&set, &p("10.9.9.9:1", "[::1]:80")), Some(0));
    set.drain(..4);
    assert_eq!(first(&set, &p("[2001:db8::5]:1", "10.1.2.3:80")), Some(0));
    assert_eq!(first(&set, &p("[2001:db8::5]:1", "11.1.2.3:81")), Some(3));
    assert_eq!(first(&set, &p("[2002::5]:1", "10.1.2.3:81")), Some(1));
    assert_eq!(first(&set, &p("[2002::5]:1", "11.1.2.3:82")), Some(2));
    assert_eq!(first(&set, &p("10.1.2.3:1", "[2001:db8::5]:80")), Some(3));
}

#[test]
fn mixed_family_port_tables_tell_any_from_zero_prefixes() {
    // Many rules sharing both keys (length 0): a port table, mixing ANY and /0.
    let mut set: Vec<Rule> = (1000..1100)
        .map(|port| {
            let src = if port % 2 == 0 { "ANY" } else { "0.0.0.0/0" };
            rule(&format!("DROP TCP {port} {src} ANY"))
        })
        .collect();
    set.extend((1000..1100).map(|port| {
        let dst = if port % 2 == 0 { "ANY" } else { "0.0.0.0/0" };
        rule(&format!("ALLOW TCP {port} ANY {dst}"))
    }));
    let p = |src: &str, port: u16| {
        let dst = if src.starts_with('[') {
            "10.0.0.1"
        } else {
            "[::1]"
        };
        Packet::tcp(
            src.parse().unwrap(),
            format!("{dst}:{port}").parse().unwrap(),
        )
    };
    // src v6, dst v4: src must be ANY.
    assert_eq!(first(&set, &p("[::2]:1", 1000)), Some(0));
    assert_eq!(first(&set, &p("[::2]:1", 1001)), Some(101));
    // src v4, dst v6: dst must be ANY.
    assert_eq!(first(&set, &p("10.0.0.2:1", 1001)), Some(1));
    assert_eq!(first(&set, &p("10.0.0.2:1", 1100)), None);
}

#[test]
fn any_protocol_packet_only_matches_any_protocol_rules() {
    let set = rules(&["DROP TCP 80 ANY ANY", "ALLOW ANY 80 ANY ANY"]);
    assert_eq!(
        first(&set, &packet(Protocol::Any, "10.0.0.1:5", "10.0.0.2:80")),
        Some(1)
    );
}

#[test]
fn many_any_rules_differing_by_port_use_the_port_table() {
    let mut set: Vec<Rule> = (1000..3000)
        .map(|port| rule(&format!("DROP TCP {port} ANY ANY")))
        .collect();
    set.push(rule("ALLOW UDP ANY ANY ANY"));
    assert_eq!(first(&set, &tcp("10.0.0.1:5", "10.0.0.2:2999")), Some(1999));
    assert_eq!(first(&set, &tcp("[::1]:5", "[::1]:1000")), Some(0));
    assert_eq!(first(&set, &tcp("10.0.0.1:5", "10.0.0.2:3000")), None);
    let udp = packet(Protocol::Udp, "10.0.0.1:5", "10.0.0.2:1500");
    assert_eq!(first(&set, &udp), Some(2000));
}

#[test]
fn many_zero_prefix_rules_with_distinct_destinations() {
    let mut set: Vec<Rule> = (0..1000u32)
        .map(|i| {
            let dst = Ipv4Addr::from(0x0A00_0000 | (i << 8));
            rule(&format!("DROP TCP ANY 0.0.0.0/0 {dst}/24"))
        })
        .collect();
    set.push(rule("ALLOW TCP 443 0.0.0.0/0 ANY"));
    assert_eq!(first(&set, &tcp("1.2.3.4:5", "10.0.3.9:80")), Some(3));
    assert_eq!(first(&set, &tcp("1.2.3.4:5", "11.0.0.1:443")), Some(1000));
    assert_eq!(first(&set, &tcp("1.2.3.4:5", "11.0.0.1:80")), None);
}

#[test]
fn every_prefix_length_of_one_address() {
    let addr: u128 = 0x2001_0db8_dead_beef_0123_4567_89ab_cdef;
    let set: Vec<Rule> = (0..=128u8)
        .rev()
        .map(|len| {
            let net = Ipv6Addr::from(addr & key::mask(len));
            rule(&format!("ALLOW TCP ANY {net}/{len} ANY"))
        })
        .collect();
    let inside = SocketAddr::new(IpAddr::V6(Ipv6Addr::from(addr)), 5);
    let p = Packet::tcp(inside, "[::1]:80".parse().unwrap());
    assert_eq!(first(&set, &p), Some(0));
    let flipped = SocketAddr::new(IpAddr::V6(Ipv6Addr::from(addr ^ 1)), 5);
    let p = Packet::tcp(flipped, "[::1]:80".parse().unwrap());
    assert_eq!(first(&set, &p), Some(1));
}

// ---- property test ------------------------------------------------------

/// Addresses from a few nearby bases so that random prefixes overlap.
fn address_bits() -> impl Strategy<Value = u128> {
    let base = prop_oneof![
        Just(0u128),
        Just(u128::MAX),
        Just(0x0a00_0000u128 << 96),
        Just(0x2001_0db8u128 << 96),
        any::<u128>(),
    ];
    (base, any::<u128>(), 0u32..128).prop_map(|(base, noise, keep)| {
        // Perturb only the low `keep` bits so high prefixes are shared.
        base ^ (noise & !key::mask((128 - keep) as u8))
    })
}

fn net(v6: bool, len_pick: u8, bits: u128, any: bool) -> NetMatch {
    if any {
        return NetMatch::Any;
    }
    let net = if v6 {
        let len = len_pick % 129;
        IpNetwork::new(IpAddr::V6(Ipv6Addr::from(bits & key::mask(len))), len)
    } else {
        let len = len_pick % 33;
        let addr = (bits >> 96) as u32 & (key::mask(len) >> 96) as u32;
        IpNetwork::new(IpAddr::V4(Ipv4Addr::from(addr)), len)
    };
    NetMatch::Net(net.unwrap())
}

/// A rule's ports: never 0, which no rule may name (packets still may).
fn port_match(kind: u8, a: u16, b: u16) -> PortMatch {
    let (a, b) = (a.max(1), b.max(1));
    match kind % 3 {
        0 => PortMatch::Any,
        1 => PortMatch::single(a),
        _ => PortMatch::Range(a.min(b), a.max(b)),
    }
}

fn port_value() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(0u16),
        Just(1),
        Just(80),
        Just(65534),
        Just(65535),
        any::<u16>()
    ]
}

fn protocol(pick: u8) -> Protocol {
    [Protocol::Tcp, Protocol::Udp, Protocol::Any][usize::from(pick % 3)]
}

prop_compose! {
    fn arb_rule()(
        v6 in any::<bool>(), drop in any::<bool>(), proto in any::<u8>(),
        kind in any::<u8>(), a in port_value(), b in port_value(),
        src in (any::<u8>(), address_bits(), prop::bool::weighted(0.2)),
        dst in (any::<u8>(), address_bits(), prop::bool::weighted(0.6)),
    ) -> Rule {
        Rule {
            action: if drop { Action::Drop } else { Action::Allow },
            proto: protocol(proto),
            dport: port_match(kind, a, b),
            src_cidr: net(v6, src.0, src.1, src.2),
            dst_cidr: net(v6, dst.0, dst.1, dst.2),
            desc: String::new(),
        }
    }
}

/// How to build a packet aimed at one rule.
#[derive(Debug, Clone)]
struct Aim {
    rule: usize,
    v6_if_any: bool,
    src_host: u128,
    dst_host: u128,
    port_edge: u8,
    port: u16,
    proto: u8,
    mapped: bool,
    /// 1: the source, 2: the destination is moved to the other family.
    cross: u8,
}

prop_compose! {
    fn arb_aim()(
        rule in any::<usize>(), v6_if_any in any::<bool>(), src_host in address_bits(),
        dst_host in address_bits(), port_edge in any::<u8>(), port in any::<u16>(),
        proto in any::<u8>(), mapped in prop::bool::weighted(0.2), cross in 0u8..4,
    ) -> Aim {
        Aim { rule, v6_if_any, src_host, dst_host, port_edge, port, proto, mapped, cross }
    }
}

/// A host inside `net` (host bits from `host`), in `v6`'s family for ANY.
fn host_in(net: NetMatch, v6: bool, host: u128) -> IpAddr {
    match net {
        NetMatch::Net(IpNetwork::V4(n)) => {
            let keep = key::mask(n.prefix()) >> 96;
            let bits = (u128::from(u32::from(n.network())) & keep) | ((host >> 96) & !keep);
            IpAddr::V4(Ipv4Addr::from(bits as u32))
        }
        NetMatch::Net(IpNetwork::V6(n)) => {
            let keep = key::mask(n.prefix());
            IpAddr::V6(Ipv6Addr::from(
                (u128::from(n.network()) & keep) | (host & !keep),
            ))
        }
        NetMatch::Any if v6 => IpAddr::V6(Ipv6Addr::from(host)),
        NetMatch::Any => IpAddr::V4(Ipv4Addr::from((host >> 96) as u32)),
    }
}

/// An address of the other family than `addr`, from `host`'s bits
/// (never IPv4-mapped, which would be made IPv4 again).
fn other_family(addr: IpAddr, host: u128) -> IpAddr {
    match addr {
        IpAddr::V4(_) => IpAddr::V6(Ipv6Addr::from(host | 1 << 127)),
        IpAddr::V6(_) => IpAddr::V4(Ipv4Addr::from((host >> 96) as u32)),
    }
}

fn aimed_packet(rules: &[RuleFields], aim: &Aim) -> Packet {
    let target = &rules[aim.rule % rules.len()];
    let v6 = target.family().map_or(aim.v6_if_any, |f| f == IpFamily::V6);
    let src = host_in(target.src_cidr(), v6, aim.src_host);
    let dst = host_in(target.dst_cidr(), v6, aim.dst_host);
    let (lo, hi) = target.dport.bounds();
    let port = match aim.port_edge % 5 {
        0 => lo,
        1 => hi,
        2 => lo.wrapping_sub(1),
        3 => hi.wrapping_add(1),
        _ => aim.port,
    };
    let (src, dst) = match aim.cross {
        1 => (other_family(src, aim.src_host), dst),
        2 => (src, other_family(dst, aim.dst_host)),
        _ => (src, dst),
    };
    let src = match src {
        IpAddr::V4(a) if aim.mapped => IpAddr::V6(a.to_ipv6_mapped()),
        other => other,
    };
    Packet::new(
        protocol(aim.proto),
        SocketAddr::new(src, 40000),
        SocketAddr::new(dst, port),
    )
}

/// The compiled rules (indexed, and scanned below `scan_max` rules) answer
/// the packet of every aim as the linear first match does.
fn matches_linear_reference(rules: &[Rule], aims: &[Aim]) -> Result<(), TestCaseError> {
    let rules = &fields(rules);
    for scan_max in [0, 2, SCAN_MAX] {
        let compiled = Matcher::compile_with(rules, scan_max);
        for aim in aims {
            let p = aimed_packet(rules, aim);
            let expected = first_match_linear(rules, &p);
            prop_assert_eq!(
                compiled.first_match(rules, &p),
                expected,
                "scan_max {} packet {:?}",
                scan_max,
                p
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiled_matches_linear_reference(
        rules in prop::collection::vec(arb_rule(), 1..60),
        aims in prop::collection::vec(arb_aim(), 1..20),
    ) {
        matches_linear_reference(&rules, &aims)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn compiled_matches_linear_reference_on_larger_sets(
        rules in prop::collection::vec(arb_rule(), 200..600),
        aims in prop::collection::vec(arb_aim(), 50..100),
    ) {
        let rules = fields(&rules);
        let compiled = Matcher::compile(&rules);
        for aim in &aims {
            let p = aimed_packet(&rules, aim);
            prop_assert_eq!(compiled.first_match(&rules, &p), first_match_linear(&rules, &p), "packet {:?}", p);
        }
    }
}

/// `net` widened to at most `len` bits (ANY stays ANY).
fn widen(net: NetMatch, len: u8) -> NetMatch {
    match net {
        NetMatch::Any => NetMatch::Any,
        NetMatch::Net(n) => {
            let len = len.min(n.prefix());
            let masked = IpNetwork::new(n.ip(), len).unwrap().network();
            NetMatch::Net(IpNetwork::new(masked, len).unwrap())
        }
    }
}

prop_compose! {
    /// Rules with wide prefixes (up to /12) and mostly ANY destinations: the
    /// shape served by the short index and the merged wide port tables.
    fn arb_wide_rule()(
        rule in arb_rule(), src_len in 0u8..13, dst_len in 0u8..13,
        dst_any in prop::bool::weighted(0.7),
    ) -> Rule {
        Rule {
            src_cidr: widen(rule.src_cidr, src_len),
            dst_cidr: if dst_any { NetMatch::Any } else { widen(rule.dst_cidr, dst_len) },
            ..rule
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn compiled_matches_linear_reference_on_wide_rules(
        wide in prop::collection::vec(arb_wide_rule(), 100..400),
        other in prop::collection::vec(arb_rule(), 0..200),
        aims in prop::collection::vec(arb_aim(), 50..100),
    ) {
        let mut rules = wide;
        rules.extend(other);
        let rules = fields(&rules);
        let compiled = Matcher::compile(&rules);
        for aim in &aims {
            let p = aimed_packet(&rules, aim);
            prop_assert_eq!(compiled.first_match(&rules, &p), first_match_linear(&rules, &p), "packet {:?}", p);
        }
    }
}

/// `net` as `ANY` (`pick` 0), an explicit `/0` of `v6`'s family (1) or
/// itself.
fn zero_or(net: NetMatch, v6: bool, pick: u8) -> NetMatch {
    let zero = if v6 { "::/0" } else { "0.0.0.0/0" };
    match pick % 4 {
        0 => NetMatch::Any,
        1 => NetMatch::Net(zero.parse().unwrap()),
        _ => net,
    }
}

prop_compose! {
    /// Rules whose networks are often `ANY` or an explicit `/0`: the rules
    /// a mixed-family packet can match, and those it must not.
    fn arb_zero_rule()(rule in arb_rule(), src in any::<u8>(), dst in any::<u8>(), v6 in any::<bool>()) -> Rule {
        let v6 = rule.family().map_or(v6, |f| f == IpFamily::V6);
        Rule {
            src_cidr: zero_or(rule.src_cidr, v6, src),
            dst_cidr: zero_or(rule.dst_cidr, v6, dst),
            ..rule
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Mixed-family packets (and others) against rule sets dense in `ANY`
    /// and explicit `/0` networks, with port tables for the large groups.
    #[test]
    fn compiled_matches_linear_reference_on_zero_prefixes(
        rules in prop::collection::vec(arb_zero_rule(), 40..200),
        aims in prop::collection::vec(arb_aim(), 50..100),
    ) {
        matches_linear_reference(&rules, &aims)?;
    }
}
