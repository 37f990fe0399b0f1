//! Writes a large rules file to stdout, for timing `firewall check`:
//!
//! ```text
//! cargo build --release -p firewall-cli --bin firewall --example gen_rules
//! target/release/examples/gen_rules 1000000 [blocklist|mixed] > /tmp/rules-1m.toml
//! time target/release/firewall check /tmp/rules-1m.toml > /tmp/findings.txt
//! ```
//!
//! Two shapes. `blocklist` (second argument): 99% DROP by source host or
//! subnet on any port, 1% allow lists. The default, `mixed`, is harder: mostly a blocklist (DROP by
//! source host or subnet, some per port), allow lists per service from
//! client subnets to the server's addresses, a few port ranges and IPv6
//! networks, and a final ALLOW for the app's port. The same count gives
//! the same file (a fixed-seed generator).

use std::io::{BufWriter, Write};

/// A small deterministic generator (`SplitMix64`).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PORTS: [&str; 12] = [
    "22",
    "25",
    "53",
    "80",
    "443",
    "3306",
    "5000",
    "5432",
    "6379",
    "8080",
    "8000-8099",
    "ANY",
];
const SERVERS: [&str; 4] = ["ANY", "127.0.0.1", "10.0.0.0/24", "192.0.2.10"];

fn v4(rng: &mut Rng, prefix: u32) -> String {
    let addr = (rng.next() as u32) & (u32::MAX << (32 - prefix));
    let ip = std::net::Ipv4Addr::from(addr);
    if prefix == 32 {
        ip.to_string()
    } else {
        format!("{ip}/{prefix}")
    }
}

/// The blocklist shape: 99% DROP by source (port ANY), 1% allow lists.
fn blocklist_roll(rng: &mut Rng) -> u64 {
    if rng.below(100) == 0 {
        70 + rng.below(27)
    } else {
        0
    }
}

fn main() -> std::io::Result<()> {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let blocklist = std::env::args().nth(2).as_deref() == Some("blocklist");
    let mut rng = Rng(20);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for n in 0..count.saturating_sub(1) {
        let roll = if blocklist {
            blocklist_roll(&mut rng)
        } else {
            rng.below(100)
        };
        let (action, port, src, dst) = if roll < 70 {
            let prefix = [32, 32, 32, 24, 16][rng.below(5) as usize];
            let port = if rng.below(4) == 0 {
                PORTS[rng.below(12) as usize]
            } else {
                "ANY"
            };
            ("DROP", port, v4(&mut rng, prefix), "ANY".to_owned())
        } else if roll < 97 {
            let server = SERVERS[rng.below(4) as usize];
            (
                "ALLOW",
                PORTS[rng.below(11) as usize],
                v4(&mut rng, 24),
                server.to_owned(),
            )
        } else {
            let net = format!("2001:db8:{:x}::/48", rng.below(0x10000));
            ("DROP", PORTS[rng.below(12) as usize], net, "ANY".to_owned())
        };
        let proto = if blocklist && action == "DROP" {
            "TCP"
        } else {
            ["TCP", "TCP", "TCP", "UDP", "ANY"][rng.below(5) as usize]
        };
        writeln!(
            out,
            "[[rule]]\naction = \"{action}\"\nproto = \"{proto}\"\ndport = \"{port}\"\nsrc_cidr = \"{src}\"\ndst_cidr = \"{dst}\"\ndesc = \"generated {n}\"\n"
        )?;
    }
    writeln!(
        out,
        "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = 5000\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\ndesc = \"the app\""
    )
}
