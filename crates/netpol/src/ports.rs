//! Connection sets: for each transport protocol, the set of destination ports allowed, kept as
//! sorted disjoint intervals so that unions, intersections and differences are exact and cheap.

use std::fmt;

use serde::Serialize;

/// Transport protocols NetworkPolicy knows. Declared in alphabetical order, which is also the
/// order connection strings list them in (`SCTP …,TCP …,UDP …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Protocol {
    Sctp,
    Tcp,
    Udp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// Parse a Kubernetes protocol name (case-insensitive); `None` for anything else.
    pub fn parse(s: &str) -> Option<Protocol> {
        match s.to_ascii_uppercase().as_str() {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

/// A set of ports in `1..=65535` as sorted, disjoint, non-touching inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

impl PortSet {
    pub fn empty() -> Self {
        PortSet::default()
    }

    pub fn all() -> Self {
        PortSet { ranges: vec![(MIN_PORT, MAX_PORT)] }
    }

    /// Ports `start..=end`, clamped to the valid range; empty when `start > end`.
    pub fn range(start: u16, end: u16) -> Self {
        let start = start.max(MIN_PORT);
        if start > end {
            return PortSet::empty();
        }
        PortSet { ranges: vec![(start, end)] }
    }

    pub fn single(port: u16) -> Self {
        PortSet::range(port, port)
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.ranges == [(MIN_PORT, MAX_PORT)]
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    pub fn contains(&self, port: u16) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= port && port <= b)
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        PortSet { ranges: crate::intervals::union(&self.ranges, &other.ranges) }
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        PortSet { ranges: crate::intervals::intersect(&self.ranges, &other.ranges) }
    }

    pub fn subtract(&self, other: &PortSet) -> PortSet {
        PortSet { ranges: crate::intervals::subtract(&self.ranges, &other.ranges) }
    }
}

impl fmt::Display for PortSet {
    /// `80`, `1-79,81-65535`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b { write!(f, "{a}")? } else { write!(f, "{a}-{b}")? }
        }
        Ok(())
    }
}

/// The connections allowed between two endpoints: ports per protocol.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConnSet {
    ports: [PortSet; 3],
}

impl ConnSet {
    pub fn none() -> Self {
        ConnSet::default()
    }

    pub fn all() -> Self {
        ConnSet { ports: [PortSet::all(), PortSet::all(), PortSet::all()] }
    }

    pub fn of(protocol: Protocol, ports: PortSet) -> Self {
        let mut c = ConnSet::none();
        c.ports[protocol.index()] = ports;
        c
    }

    pub fn all_of(protocol: Protocol) -> Self {
        ConnSet::of(protocol, PortSet::all())
    }

    pub fn ports(&self, protocol: Protocol) -> &PortSet {
        &self.ports[protocol.index()]
    }

    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(PortSet::is_empty)
    }

    pub fn is_all(&self) -> bool {
        self.ports.iter().all(PortSet::is_all)
    }

    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ports(protocol).contains(port)
    }

    fn zip(&self, other: &ConnSet, f: impl Fn(&PortSet, &PortSet) -> PortSet) -> ConnSet {
        ConnSet { ports: [f(&self.ports[0], &other.ports[0]), f(&self.ports[1], &other.ports[1]), f(&self.ports[2], &other.ports[2])] }
    }

    pub fn union(&self, other: &ConnSet) -> ConnSet {
        self.zip(other, PortSet::union)
    }

    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        self.zip(other, PortSet::intersect)
    }

    pub fn subtract(&self, other: &ConnSet) -> ConnSet {
        self.zip(other, PortSet::subtract)
    }

    /// Whether every connection of `other` is in `self`.
    pub fn contains_set(&self, other: &ConnSet) -> bool {
        other.subtract(self).is_empty()
    }

    /// Protocols with at least one port, with their ports.
    pub fn iter(&self) -> impl Iterator<Item = (Protocol, &PortSet)> {
        Protocol::ALL.into_iter().map(|p| (p, self.ports(p))).filter(|(_, s)| !s.is_empty())
    }
}

impl fmt::Display for ConnSet {
    /// `All Connections`, `No Connections`, or `SCTP 1-65535,TCP 1-79,81-65535,UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        for (i, (p, ports)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{p} {ports}")?;
        }
        Ok(())
    }
}

/// Parse `TCP/8080`, `udp/53` or a bare `8080` (TCP) as a protocol and port.
pub fn parse_port_spec(s: &str) -> Option<(Protocol, u16)> {
    let (proto, port) = match s.split_once('/') {
        Some((p, n)) => (Protocol::parse(p.trim())?, n.trim()),
        None => (Protocol::Tcp, s.trim()),
    };
    let n: u16 = port.parse().ok()?;
    (n >= MIN_PORT).then_some((proto, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra() {
        let a = PortSet::range(1, 100);
        let b = PortSet::single(80);
        assert_eq!(a.subtract(&b).to_string(), "1-79,81-100");
        assert_eq!(a.subtract(&b).union(&b), a);
        assert_eq!(a.intersect(&PortSet::range(90, 200)).to_string(), "90-100");
        assert!(PortSet::all().subtract(&PortSet::all()).is_empty());
        assert_eq!(PortSet::range(5, 3), PortSet::empty());
        assert_eq!(PortSet::single(1).union(&PortSet::single(2)).to_string(), "1-2");
    }

    #[test]
    fn conn_strings() {
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        assert_eq!(ConnSet::none().to_string(), "No Connections");
        let c = ConnSet::of(Protocol::Udp, PortSet::single(53)).union(&ConnSet::of(Protocol::Tcp, PortSet::single(8080)));
        assert_eq!(c.to_string(), "TCP 8080,UDP 53");
        let most = ConnSet::all().subtract(&ConnSet::of(Protocol::Tcp, PortSet::single(80)));
        assert_eq!(most.to_string(), "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535");
    }

    #[test]
    fn port_specs() {
        assert_eq!(parse_port_spec("TCP/8080"), Some((Protocol::Tcp, 8080)));
        assert_eq!(parse_port_spec("udp/53"), Some((Protocol::Udp, 53)));
        assert_eq!(parse_port_spec("443"), Some((Protocol::Tcp, 443)));
        assert_eq!(parse_port_spec("ICMP/1"), None);
        assert_eq!(parse_port_spec("TCP/0"), None);
    }
}
