//! Property tests of IPv4 sets and CIDR parsing against a brute-force model.

use kubepci_netpol::ipblocks::{IpSet, disjoint_blocks};
use proptest::prelude::*;

/// A set in a small universe [0, 64) as a bitmask, built from ranges.
fn model(ranges: &[(u32, u32)]) -> u64 {
    ranges.iter().fold(0u64, |m, &(a, b)| (a..=b.min(63)).fold(m, |m, x| m | 1 << x))
}

fn set(ranges: &[(u32, u32)]) -> IpSet {
    ranges.iter().fold(IpSet::empty(), |s, &(a, b)| s.union(&IpSet::range(a, b)))
}

fn bits(s: &IpSet) -> u64 {
    model(s.ranges())
}

fn small_ranges() -> impl Strategy<Value = Vec<(u32, u32)>> {
    prop::collection::vec((0u32..64, 0u32..8).prop_map(|(a, len)| (a, (a + len).min(63))), 0..5)
}

proptest! {
    #[test]
    fn set_algebra_matches_the_model(a in small_ranges(), b in small_ranges()) {
        let (sa, sb) = (set(&a), set(&b));
        prop_assert_eq!(bits(&sa.union(&sb)), model(&a) | model(&b));
        prop_assert_eq!(bits(&sa.intersect(&sb)), model(&a) & model(&b));
        prop_assert_eq!(bits(&sa.subtract(&sb)), model(&a) & !model(&b));
        prop_assert_eq!(sa.overlaps(&sb), model(&a) & model(&b) != 0);
        prop_assert_eq!(sa.is_subset_of(&sb), model(&a) & !model(&b) == 0);
        // Canonical form: sorted, disjoint, not touching.
        for w in sa.ranges().windows(2) {
            prop_assert!(w[0].1 + 1 < w[1].0);
        }
    }

    #[test]
    fn cidr_membership_is_prefix_equality(ip: u32, prefix in 0u32..=32, probe: u32) {
        let addr = std::net::Ipv4Addr::from(ip);
        let s = IpSet::from_cidr(&format!("{addr}/{prefix}")).unwrap();
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        let inside = probe & mask == ip & mask;
        prop_assert_eq!(IpSet::range(probe, probe).is_subset_of(&s), inside);
        prop_assert_eq!(s.size(), 1u64 << (32 - prefix));
    }

    #[test]
    fn disjoint_blocks_partition_the_union(a in small_ranges(), b in small_ranges(), c in small_ranges()) {
        let inputs = [set(&a), set(&b), set(&c)];
        let blocks = disjoint_blocks(&inputs);
        let union = inputs.iter().fold(0u64, |m, s| m | bits(s));
        let mut seen = 0u64;
        for block in &blocks {
            let bb = bits(block);
            prop_assert_eq!(seen & bb, 0, "blocks overlap");
            seen |= bb;
            // Each input either contains the block or misses it entirely.
            for s in &inputs {
                prop_assert!(bb & bits(s) == 0 || bb & !bits(s) == 0);
            }
        }
        prop_assert_eq!(seen & union, union, "blocks cover every input address");
    }
}

#[test]
fn invalid_and_ipv6_cidrs() {
    assert!(IpSet::from_cidr("10.0.0.0/33").is_err());
    assert!(IpSet::from_cidr("not-a-cidr").is_err());
    assert!(IpSet::from_cidr("fd00::/8").is_err());
}
