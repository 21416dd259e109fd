//! Client addresses behind reverse proxies: which proxies are trusted (CIDRs) and which
//! `X-Forwarded-For` entry is the client.

use std::net::IpAddr;

/// An address block, `10.0.0.0/8` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, `x::y/n` or a bare address (a block of one).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self {
            network: addr,
            prefix,
        })
    }

    /// Whether `addr` lies in the block (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Parses the configured list; the first entry that is not a CIDR is the error.
pub fn parse_proxies(list: &[String]) -> Result<Vec<Cidr>, String> {
    list.iter()
        .map(|s| Cidr::parse(s).ok_or_else(|| s.clone()))
        .collect()
}

/// The client behind `peer`. Only when the peer is a trusted proxy is `forwarded_for` (the
/// `X-Forwarded-For` values, in order) read: the client is the rightmost entry that is not a
/// trusted proxy, since every proxy appends the address it saw and entries to the left of
/// the first untrusted one are the client's own say. A malformed header means the peer.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |a: IpAddr| trusted.iter().any(|c| c.contains(a));
    if forwarded_for.is_empty() || !is_trusted(peer) {
        return peer;
    }
    let mut hops = Vec::new();
    for value in forwarded_for {
        for entry in value.split(',') {
            match parse_hop(entry.trim()) {
                Some(a) => hops.push(a),
                None => return peer,
            }
        }
    }
    hops.iter()
        .rev()
        .copied()
        .find(|a| !is_trusted(*a))
        .or_else(|| hops.first().copied())
        .unwrap_or(peer)
}

fn parse_hop(s: &str) -> Option<IpAddr> {
    if s.len() > 64 {
        return None;
    }
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_contain_what_they_should() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.200.3.4")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.1.1.1")));
        assert!(
            Cidr::parse("192.168.1.7")
                .unwrap()
                .contains(ip("192.168.1.7"))
        );
        assert!(
            !Cidr::parse("192.168.1.7")
                .unwrap()
                .contains(ip("192.168.1.8"))
        );
        assert!(Cidr::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0/8", "::/129", ""] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop() {
        let trusted = parse_proxies(&["10.0.0.0/8".to_owned()]).unwrap();
        let proxy = ip("10.0.0.5");
        // The client wrote a forged entry first; the proxy appended what it saw.
        assert_eq!(
            client_address(proxy, &["6.6.6.6, 41.203.1.9"], &trusted),
            ip("41.203.1.9")
        );
        // Two trusted proxies in a row are skipped.
        assert_eq!(
            client_address(proxy, &["41.203.1.9, 10.0.0.9"], &trusted),
            ip("41.203.1.9")
        );
        // Several header lines read as one list.
        assert_eq!(
            client_address(proxy, &["1.1.1.1", "41.203.1.9"], &trusted),
            ip("41.203.1.9")
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_address(ip("41.0.0.1"), &["1.2.3.4"], &trusted),
            ip("41.0.0.1")
        );
        // Malformed: the peer.
        for bad in ["unknown", "1.2.3.4, garbage", "", "1.2.3.4,,5.6.7.8"] {
            assert_eq!(client_address(proxy, &[bad], &trusted), proxy, "{bad:?}");
        }
        // No header: the peer.
        assert_eq!(client_address(proxy, &[], &trusted), proxy);
        // No trusted proxies configured: always the peer.
        assert_eq!(client_address(proxy, &["1.2.3.4"], &[]), proxy);
    }
}
