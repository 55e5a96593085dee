//! IPv4 address sets and the split of the address space into the disjoint blocks that policies
//! mention, so that every external "peer" is a block that each ipBlock/network either fully
//! contains or misses.
//!
//! The split follows netpol-analyzer's (the conformance oracle's) construction so that the
//! ranges listed are the same: blocks are added smallest first; a new block is cut where it
//! overlaps blocks already placed, and what remains of it is split into contiguous intervals.
//! IPv6 CIDRs are kept out of the IPv4 split (they never match an IPv4 range).

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::IpNet;

/// A set of IPv4 addresses as sorted, disjoint, non-touching inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpSet {
    ranges: Vec<(u32, u32)>,
}

/// Why a CIDR could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CidrError {
    Invalid(String),
    /// A valid IPv6 CIDR: legal in a policy, outside the IPv4 model.
    Ipv6,
}

impl IpSet {
    pub fn empty() -> Self {
        IpSet::default()
    }

    pub fn all() -> Self {
        IpSet { ranges: vec![(0, u32::MAX)] }
    }

    pub fn range(start: u32, end: u32) -> Self {
        if start > end { IpSet::empty() } else { IpSet { ranges: vec![(start, end)] } }
    }

    /// Parse `10.0.0.0/8` (host bits are ignored, as the apiserver's parser does for policies).
    pub fn from_cidr(cidr: &str) -> Result<IpSet, CidrError> {
        match cidr.trim().parse::<IpNet>() {
            Ok(IpNet::V4(net)) => {
                let net = net.trunc();
                Ok(IpSet::range(u32::from(net.network()), u32::from(net.broadcast())))
            }
            Ok(IpNet::V6(_)) => Err(CidrError::Ipv6),
            Err(_) => match cidr.trim().parse::<Ipv4Addr>() {
                Ok(ip) => Ok(IpSet::range(u32::from(ip), u32::from(ip))),
                Err(_) if cidr.contains(':') => Err(CidrError::Ipv6),
                Err(_) => Err(CidrError::Invalid(format!("invalid CIDR {cidr:?}"))),
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.ranges == [(0, u32::MAX)]
    }

    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    /// Number of addresses (up to 2^32).
    pub fn size(&self) -> u64 {
        self.ranges.iter().map(|&(a, b)| u64::from(b - a) + 1).sum()
    }

    pub fn union(&self, other: &IpSet) -> IpSet {
        IpSet { ranges: crate::intervals::union(&self.ranges, &other.ranges) }
    }

    pub fn intersect(&self, other: &IpSet) -> IpSet {
        IpSet { ranges: crate::intervals::intersect(&self.ranges, &other.ranges) }
    }

    pub fn subtract(&self, other: &IpSet) -> IpSet {
        IpSet { ranges: crate::intervals::subtract(&self.ranges, &other.ranges) }
    }

    pub fn overlaps(&self, other: &IpSet) -> bool {
        !self.intersect(other).is_empty()
    }

    pub fn is_subset_of(&self, other: &IpSet) -> bool {
        crate::intervals::is_subset(&self.ranges, &other.ranges)
    }

    /// One set per contiguous range.
    pub fn split(&self) -> Vec<IpSet> {
        self.ranges.iter().map(|&(a, b)| IpSet::range(a, b)).collect()
    }
}

impl fmt::Display for IpSet {
    /// `10.0.0.0-10.255.255.255` (ranges joined by `,`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}-{}", Ipv4Addr::from(a), Ipv4Addr::from(b))?;
        }
        Ok(())
    }
}

/// Split the whole IPv4 space into disjoint blocks such that each input block is a union of
/// output blocks. See the module docs for the exact construction.
pub fn disjoint_blocks(inputs: &[IpSet]) -> Vec<IpSet> {
    let mut pending: Vec<IpSet> = inputs.iter().filter(|b| !b.is_empty()).cloned().collect();
    pending.push(IpSet::all());
    pending.sort_by_key(IpSet::size);
    pending.dedup();
    let mut placed: Vec<IpSet> = Vec::new();
    for mut block in pending {
        let mut cut_off = Vec::new();
        for existing in placed.iter_mut() {
            let common = existing.intersect(&block);
            if common.is_empty() {
                continue;
            }
            block = block.subtract(&common);
            if *existing != common {
                *existing = existing.subtract(&common);
                cut_off.push(common);
            }
            if block.is_empty() {
                break;
            }
        }
        placed.extend(block.split());
        placed.extend(cut_off);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> IpSet {
        IpSet::from_cidr(s).unwrap()
    }

    fn names(blocks: &[IpSet]) -> Vec<String> {
        let mut v: Vec<String> = blocks.iter().map(ToString::to_string).collect();
        v.sort();
        v
    }

    #[test]
    fn parse_and_print() {
        assert_eq!(cidr("10.0.0.0/8").to_string(), "10.0.0.0-10.255.255.255");
        assert_eq!(cidr("0.0.0.0/0").to_string(), "0.0.0.0-255.255.255.255");
        assert_eq!(cidr("10.1.2.3/32").to_string(), "10.1.2.3-10.1.2.3");
        assert_eq!(cidr("10.1.2.3/8"), cidr("10.0.0.0/8"));
        assert_eq!(IpSet::from_cidr("fd00::/8"), Err(CidrError::Ipv6));
        assert!(matches!(IpSet::from_cidr("nonsense"), Err(CidrError::Invalid(_))));
    }

    #[test]
    fn split_with_except() {
        let block = cidr("10.0.0.0/8").subtract(&cidr("10.10.0.0/16"));
        let parts = disjoint_blocks(&[block]);
        assert_eq!(
            names(&parts),
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.9.255.255",
                "10.10.0.0-10.10.255.255",
                "10.11.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255"
            ]
        );
    }

    #[test]
    fn no_blocks_is_whole_space() {
        assert_eq!(names(&disjoint_blocks(&[])), ["0.0.0.0-255.255.255.255"]);
    }

    #[test]
    fn blocks_are_disjoint_and_cover_everything() {
        let inputs = [cidr("10.0.0.0/8"), cidr("10.0.0.0/16"), cidr("10.0.128.0/17"), cidr("192.168.0.0/16")];
        let parts = disjoint_blocks(&inputs);
        let mut union = IpSet::empty();
        for (i, a) in parts.iter().enumerate() {
            for b in &parts[i + 1..] {
                assert!(!a.overlaps(b), "{a} overlaps {b}");
            }
            union = union.union(a);
            for input in &inputs {
                assert!(a.is_subset_of(input) || !a.overlaps(input));
            }
        }
        assert!(union.is_all());
    }
}
