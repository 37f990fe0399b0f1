//! A deterministic rule-set generator shared by the benches.
//!
//! Rules mix IPv4 (60%) and IPv6 (40%); sources are ANY 5% of the time, else a
//! prefix whose length is drawn from the common range (IPv4 /16-/32, IPv6
//! /32-/128) 98% of the time and from every length (/0 up) 2% of the time
//! (so that every length is present, with wide networks as rare as in real
//! rule sets: a 1M-rule set still holds about 360 IPv4 rules of each length);
//! destinations are ANY 70% of the time, else drawn the same way; ports are
//! ANY 25%, one port 55%, a range of up to 1,000 ports 20%; protocols TCP,
//! UDP, ANY; actions half and half.
//!
//! Probe packets live in reserved regions (IPv4 `198.18.0.0/16` ->
//! `198.19.0.0/16`, IPv6 `2001:2:0:1::/64` -> `2001:2:0:2::/64`, ports 443,
//! 8000-8999 and 9999) that background rules may cover only with other ports,
//! so each case's first match is where the bench planted it.
#![allow(dead_code)] // each bench uses part of it

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use firewall_core::{Action, NetMatch, Packet, PortMatch, Protocol, Rule};
use ipnetwork::IpNetwork;

/// xorshift64*: small, fast, seeded, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const SRC_V4: &str = "198.18.0.0/16";
const DST_V4: &str = "198.19.0.0/16";
const SRC_V6: &str = "2001:2:0:1::/64";
const DST_V6: &str = "2001:2:0:2::/64";

/// Where the first match of a probe packet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// The planted rule at index `n / 1000`.
    Early,
    /// The planted rule at the very end.
    Late,
    /// No rule matches.
    Absent,
    /// Random addresses and ports: wherever it falls.
    Random,
    /// Random addresses of different families (a client from
    /// `X-Forwarded-For` of the other family than the server) and ports.
    Mixed,
}

impl Case {
    pub const ALL: [Case; 5] = [
        Case::Early,
        Case::Late,
        Case::Absent,
        Case::Random,
        Case::Mixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Case::Early => "early",
            Case::Late => "late",
            Case::Absent => "absent",
            Case::Random => "random",
            Case::Mixed => "mixed",
        }
    }
}

/// `n` rules (n >= 4): background rules, with two planted early (one per
/// family) at `n / 1000` and two planted at the end.
pub fn rules(n: usize, seed: u64) -> Vec<Rule> {
    let mut rng = Rng::new(seed);
    let early = n / 1000;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let i = out.len();
        let rule = if i == early {
            planted("ALLOW TCP 443", SRC_V4, DST_V4)
        } else if i == early + 1 {
            planted("ALLOW TCP 443", SRC_V6, DST_V6)
        } else if i == n - 2 {
            planted("DROP ANY 8000-8999", SRC_V4, DST_V4)
        } else if i == n - 1 {
            planted("DROP ANY 8000-8999", SRC_V6, DST_V6)
        } else {
            background(&mut rng)
        };
        out.push(rule);
    }
    out
}

fn planted(head: &str, src: &str, dst: &str) -> Rule {
    format!("{head} {src} {dst} \"planted\"").parse().unwrap()
}

fn background(rng: &mut Rng) -> Rule {
    loop {
        let v6 = rng.chance(40);
        let rule = Rule {
            action: if rng.chance(50) {
                Action::Allow
            } else {
                Action::Drop
            },
            proto: [Protocol::Tcp, Protocol::Udp, Protocol::Any][rng.below(3) as usize],
            dport: port(rng),
            src_cidr: if rng.chance(5) {
                NetMatch::Any
            } else {
                net(rng, v6)
            },
            dst_cidr: if rng.chance(70) {
                NetMatch::Any
            } else {
                net(rng, v6)
            },
            desc: String::new(),
        };
        if !could_hit_probes(&rule) {
            return rule;
        }
    }
}

fn port(rng: &mut Rng) -> PortMatch {
    match rng.below(100) {
        0..25 => PortMatch::Any,
        25..80 => PortMatch::single(1 + rng.below(65535) as u16),
        _ => {
            let lo = 1 + rng.below(65535) as u16;
            PortMatch::Range(lo, lo.saturating_add(rng.below(1000) as u16))
        }
    }
}

fn net(rng: &mut Rng, v6: bool) -> NetMatch {
    let (common, full) = if v6 {
        (32..=128u64, 128)
    } else {
        (16..=32, 32)
    };
    let len = if rng.chance(98) {
        common.start() + rng.below(common.end() - common.start() + 1)
    } else {
        rng.below(full + 1)
    } as u8;
    let net = if v6 {
        // Global unicast, 2000::/3.
        let bits = (u128::from(rng.next()) << 64 | u128::from(rng.next())) >> 3 | 1 << 125;
        IpNetwork::new(IpAddr::V6(Ipv6Addr::from(bits)), len).unwrap()
    } else {
        IpNetwork::new(IpAddr::V4(Ipv4Addr::from(rng.next() as u32)), len).unwrap()
    };
    NetMatch::Net(IpNetwork::new(net.network(), len).unwrap())
}

fn overlaps(a: NetMatch, b: &str) -> bool {
    let b: IpNetwork = b.parse().unwrap();
    match a {
        NetMatch::Any => true,
        NetMatch::Net(a) => {
            a.is_ipv4() == b.is_ipv4() && (a.contains(b.network()) || b.contains(a.network()))
        }
    }
}

/// Whether a background rule could match one of the probe packets.
fn could_hit_probes(rule: &Rule) -> bool {
    let (lo, hi) = rule.dport.bounds();
    let ports = (lo..=hi).contains(&443) || (lo..=hi).contains(&9999) || (lo <= 8999 && hi >= 8000);
    let region = |src, dst| overlaps(rule.src_cidr, src) && overlaps(rule.dst_cidr, dst);
    ports && (region(SRC_V4, DST_V4) || region(SRC_V6, DST_V6))
}

/// `count` probe packets for `case`, alternating (source) families.
pub fn packets(case: Case, count: usize, seed: u64) -> Vec<Packet> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let v6 = i % 2 == 1;
            let (src, dst) = if v6 {
                (SRC_V6, DST_V6)
            } else {
                (SRC_V4, DST_V4)
            };
            let (src, dst, port) = match case {
                Case::Early => (host(&mut rng, src), host(&mut rng, dst), 443),
                Case::Late => (
                    host(&mut rng, src),
                    host(&mut rng, dst),
                    8000 + rng.below(1000) as u16,
                ),
                Case::Absent => (host(&mut rng, src), host(&mut rng, dst), 9999),
                Case::Random => (
                    random_host(&mut rng, v6),
                    random_host(&mut rng, v6),
                    rng.below(65536) as u16,
                ),
                Case::Mixed => (
                    random_host(&mut rng, v6),
                    random_host(&mut rng, !v6),
                    rng.below(65536) as u16,
                ),
            };
            let proto = if case == Case::Early || rng.chance(80) {
                Protocol::Tcp
            } else {
                Protocol::Udp
            };
            Packet::new(
                proto,
                SocketAddr::new(src, 40000),
                SocketAddr::new(dst, port),
            )
        })
        .collect()
}

fn host(rng: &mut Rng, net: &str) -> IpAddr {
    let net: IpNetwork = net.parse().unwrap();
    match net {
        IpNetwork::V4(n) => IpAddr::V4(Ipv4Addr::from(
            u32::from(n.network()) | (rng.next() as u32 & !u32::from(n.mask())),
        )),
        IpNetwork::V6(n) => IpAddr::V6(Ipv6Addr::from(
            u128::from(n.network()) | (u128::from(rng.next()) & !u128::from(n.mask())),
        )),
    }
}

fn random_host(rng: &mut Rng, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(
            (u128::from(rng.next()) << 64 | u128::from(rng.next())) >> 3 | 1 << 125,
        ))
    } else {
        IpAddr::V4(Ipv4Addr::from(rng.next() as u32))
    }
}

/// The rules as a TOML rules file, each with a short description.
pub fn toml(rules: &[Rule]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(rules.len() * 120);
    for (i, r) in rules.iter().enumerate() {
        let dport = match r.dport {
            PortMatch::Range(lo, hi) if lo == hi => lo.to_string(),
            other => format!("\"{other}\""),
        };
        let _ = write!(
            out,
            "[[rule]]\naction = \"{}\"\nproto = \"{}\"\ndport = {dport}\nsrc_cidr = \"{}\"\ndst_cidr = \"{}\"\ndesc = \"rule {i}\"\n\n",
            r.action, r.proto, r.src_cidr, r.dst_cidr
        );
    }
    out
}
