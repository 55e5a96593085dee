//! Set algebra over sorted, disjoint, non-touching inclusive intervals: the one mechanism
//! behind address sets ([`crate::ipblocks::IpSet`]) and port sets ([`crate::ports::PortSet`]).

/// An interval bound: an unsigned integer that widens to `u64` (so `end + 1` never overflows).
pub(crate) trait Bound: Copy + Ord + Into<u64> + TryFrom<u64> {}
impl Bound for u16 {}
impl Bound for u32 {}

/// Narrow a value that lies between two bounds of type `T` back to `T`.
fn narrow<T: Bound>(v: u64) -> T {
    T::try_from(v).unwrap_or_else(|_| unreachable!("interval arithmetic stays within its operands"))
}

pub(crate) fn union<T: Bound>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let mut all: Vec<(T, T)> = a.iter().chain(b).copied().collect();
    all.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(all.len());
    for (lo, hi) in all {
        match out.last_mut() {
            Some(last) if lo.into() <= last.1.into() + 1 => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

pub(crate) fn intersect<T: Bound>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let (a1, b1) = a[i];
        let (a2, b2) = b[j];
        let (lo, hi) = (a1.max(a2), b1.min(b2));
        if lo <= hi {
            out.push((lo, hi));
        }
        if b1 < b2 { i += 1 } else { j += 1 }
    }
    out
}

/// Whether every point of `a` is in `b` (both sorted and disjoint), without building the
/// difference: policies test every external block against every ipBlock.
pub(crate) fn is_subset<T: Bound>(a: &[(T, T)], b: &[(T, T)]) -> bool {
    let mut j = 0;
    for &(lo, hi) in a {
        let (lo, hi): (u64, u64) = (lo.into(), hi.into());
        // `next`: the first point of [lo, hi] not yet covered by `b`.
        let mut next = lo;
        while j < b.len() && b[j].1.into() < next {
            j += 1;
        }
        let mut k = j;
        while next <= hi && k < b.len() && b[k].0.into() <= next {
            next = next.max(b[k].1.into() + 1);
            k += 1;
        }
        if next <= hi {
            return false;
        }
    }
    true
}

pub(crate) fn subtract<T: Bound>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let mut out = Vec::new();
    for &(lo, hi) in a {
        let mut start: u64 = lo.into();
        let end: u64 = hi.into();
        for &(olo, ohi) in b {
            let (olo, ohi): (u64, u64) = (olo.into(), ohi.into());
            if ohi < start || olo > end {
                continue;
            }
            if olo > start {
                out.push((narrow(start), narrow(olo - 1)));
            }
            start = ohi + 1;
            if start > end {
                break;
            }
        }
        if start <= end {
            out.push((narrow(start), narrow(end)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The set of points of `mask` (bits 0..8) as intervals; `split` cuts every range after
    /// its first point, giving touching ranges that `is_subset` must still handle.
    fn ranges(mask: u16, split: bool) -> Vec<(u16, u16)> {
        let mut out: Vec<(u16, u16)> = Vec::new();
        for p in (0..8).filter(|p| mask & (1 << p) != 0) {
            match out.last_mut() {
                Some(last) if last.1 + 1 == p && !(split && last.0 == last.1) => last.1 = p,
                _ => out.push((p, p)),
            }
        }
        out
    }

    #[test]
    fn subset_agrees_with_the_difference_on_every_small_set() {
        for a in 0..256u16 {
            for b in 0..256u16 {
                let want = a & !b == 0;
                for split in [false, true] {
                    let (ra, rb) = (ranges(a, false), ranges(b, split));
                    assert_eq!(is_subset(&ra, &rb), want, "{ra:?} ⊆ {rb:?}");
                    assert_eq!(subtract(&ra, &ranges(b, false)).is_empty(), want);
                }
            }
        }
        assert!(is_subset::<u32>(&[(0, u32::MAX)], &[(0, 9), (10, u32::MAX)]));
        assert!(!is_subset::<u32>(&[(0, u32::MAX)], &[(0, u32::MAX - 1)]));
        assert!(is_subset::<u32>(&[], &[]));
    }
}
