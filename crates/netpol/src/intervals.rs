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
