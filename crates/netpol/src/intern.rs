//! Small helpers for the matrix computation: interned connection sets (so that a matrix cell is
//! a `u32` and set operations on repeated pairs are memoised) and a fixed-size bit set.

use crate::ports::ConnSet;

/// Tables probed once per matrix cell or class, keyed by ids the engine assigns (or by
/// connection sets, to intern them).
pub(crate) type IdMap<K, V> = kubepci_model::hash::FastMap<K, V>;

pub(crate) type ConnId = u32;
pub(crate) const NONE: ConnId = 0;
pub(crate) const ALL: ConnId = 1;

#[derive(Clone)]
pub(crate) struct Interner {
    sets: Vec<ConnSet>,
    ids: IdMap<ConnSet, ConnId>,
    unions: IdMap<(ConnId, ConnId), ConnId>,
    intersections: IdMap<(ConnId, ConnId), ConnId>,
    differences: IdMap<(ConnId, ConnId), ConnId>,
}

impl Interner {
    pub fn new() -> Self {
        let mut i = Interner { sets: Vec::new(), ids: IdMap::default(), unions: IdMap::default(), intersections: IdMap::default(), differences: IdMap::default() };
        i.intern(ConnSet::none());
        i.intern(ConnSet::all());
        i
    }

    pub fn intern(&mut self, c: ConnSet) -> ConnId {
        if let Some(&id) = self.ids.get(&c) {
            return id;
        }
        let id = self.sets.len() as ConnId;
        self.sets.push(c.clone());
        self.ids.insert(c, id);
        id
    }

    pub fn get(&self, id: ConnId) -> &ConnSet {
        &self.sets[id as usize]
    }

    /// Number of interned sets (ids are `0..len`).
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// Intern every set `other` added beyond its first `shared` ids (which both share) and
    /// return the id mapping from `other` to `self`.
    pub fn absorb(&mut self, other: &Interner, shared: usize) -> Vec<ConnId> {
        (0..other.len()).map(|id| if id < shared { id as ConnId } else { self.intern(other.sets[id].clone()) }).collect()
    }

    /// Trivial cases inline (most cells); the memo table only for the rest.
    #[inline]
    pub fn union(&mut self, a: ConnId, b: ConnId) -> ConnId {
        if a == b || b == NONE {
            return a;
        }
        if a == NONE {
            return b;
        }
        if a == ALL || b == ALL {
            return ALL;
        }
        self.union_memo(a, b)
    }

    #[inline(never)]
    fn union_memo(&mut self, a: ConnId, b: ConnId) -> ConnId {
        let key = (a.min(b), a.max(b));
        if let Some(&r) = self.unions.get(&key) {
            return r;
        }
        let r = self.intern(self.get(a).union(self.get(b)));
        self.unions.insert(key, r);
        r
    }

    #[inline]
    pub fn intersect(&mut self, a: ConnId, b: ConnId) -> ConnId {
        if a == b || b == ALL {
            return a;
        }
        if a == ALL {
            return b;
        }
        if a == NONE || b == NONE {
            return NONE;
        }
        self.intersect_memo(a, b)
    }

    #[inline(never)]
    fn intersect_memo(&mut self, a: ConnId, b: ConnId) -> ConnId {
        let key = (a.min(b), a.max(b));
        if let Some(&r) = self.intersections.get(&key) {
            return r;
        }
        let r = self.intern(self.get(a).intersect(self.get(b)));
        self.intersections.insert(key, r);
        r
    }

    pub fn subtract(&mut self, a: ConnId, b: ConnId) -> ConnId {
        if a == NONE || b == NONE {
            return a;
        }
        if a == b || b == ALL {
            return NONE;
        }
        if let Some(&r) = self.differences.get(&(a, b)) {
            return r;
        }
        let r = self.intern(self.get(a).subtract(self.get(b)));
        self.differences.insert((a, b), r);
        r
    }

    /// Drop the memo tables once the matrix is built.
    pub fn shrink(&mut self) {
        self.unions = IdMap::default();
        self.intersections = IdMap::default();
        self.differences = IdMap::default();
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    pub fn new(len: usize) -> Self {
        BitSet { words: vec![0; len.div_ceil(64)] }
    }

    pub fn full(len: usize) -> Self {
        let mut words = vec![u64::MAX; len.div_ceil(64)];
        if let Some(last) = words.last_mut()
            && !len.is_multiple_of(64)
        {
            *last = (1u64 << (len % 64)) - 1;
        }
        BitSet { words }
    }

    /// The set of `members` (each below `len`).
    pub fn of(len: usize, members: &[u32]) -> Self {
        let mut b = BitSet::new(len);
        members.iter().for_each(|&i| b.insert(i as usize));
        b
    }

    pub fn remove(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    pub fn insert(&mut self, i: usize) {
        if let Some(w) = self.words.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn contains(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub fn iter(&self) -> Bits<'_> {
        Bits { words: &self.words, end: self.words.len(), next: 0, base: 0, cur: 0, zeros_below: None }
    }

    /// The non-members below `len`.
    pub fn iter_zeros(&self, len: usize) -> Bits<'_> {
        Bits { words: &self.words, end: len.div_ceil(64), next: 0, base: 0, cur: 0, zeros_below: Some(len) }
    }
}

/// Members (or non-members below a bound) of a [`BitSet`], ascending.
pub(crate) struct Bits<'a> {
    words: &'a [u64],
    /// Words to visit: `next..end`.
    end: usize,
    next: usize,
    base: usize,
    cur: u64,
    /// `Some(len)`: yield the zero bits below `len` instead of the set bits.
    zeros_below: Option<usize>,
}

impl Iterator for Bits<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.cur == 0 {
            if self.next >= self.end {
                return None;
            }
            let w = self.words.get(self.next).copied().unwrap_or(0);
            self.cur = match self.zeros_below {
                None => w,
                Some(len) if self.next == len / 64 => !w & ((1u64 << (len % 64)) - 1),
                Some(_) => !w,
            };
            self.base = self.next * 64;
            self.next += 1;
        }
        let t = self.cur.trailing_zeros() as usize;
        self.cur &= self.cur - 1;
        Some(self.base + t)
    }
}

/// A set of classes: a sorted list while small (most pod matches select a handful of classes
/// of one namespace), a bit set once that is smaller. Analyses of large clusters hold one per
/// distinct pod match, and fresh memory is what they cost most.
#[derive(Clone, Debug)]
pub(crate) enum ClassSet {
    Few(Vec<u32>),
    Many(BitSet),
}

impl ClassSet {
    /// From ascending, distinct classes below `n`.
    pub fn from_sorted(members: Vec<u32>, n: usize) -> ClassSet {
        // A list entry costs 32 bits, a bit set one bit per class.
        if members.len() * 32 > n {
            ClassSet::Many(BitSet::of(n, &members))
        } else {
            ClassSet::Few(members)
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ClassSet::Few(l) => l.len(),
            ClassSet::Many(b) => b.len(),
        }
    }

    pub fn iter(&self) -> ClassIter<'_> {
        match self {
            ClassSet::Few(l) => ClassIter::Few(l.iter()),
            ClassSet::Many(b) => ClassIter::Many(b.iter()),
        }
    }

    /// As a bit set over `n` classes (a copy only for a list).
    pub fn bits(&self, n: usize) -> std::borrow::Cow<'_, BitSet> {
        match self {
            ClassSet::Many(b) => std::borrow::Cow::Borrowed(b),
            ClassSet::Few(l) => std::borrow::Cow::Owned(BitSet::of(n, l)),
        }
    }
}

pub(crate) enum ClassIter<'a> {
    Few(std::slice::Iter<'a, u32>),
    Many(Bits<'a>),
}

impl Iterator for ClassIter<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            ClassIter::Few(it) => it.next().map(|&c| c as usize),
            ClassIter::Many(it) => it.next(),
        }
    }
}

/// Positions of the set bits of word `wi`.
pub(crate) fn bits_of(wi: usize, w: u64) -> impl Iterator<Item = usize> {
    let mut bits = w;
    std::iter::from_fn(move || {
        if bits == 0 {
            return None;
        }
        let t = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        Some(wi * 64 + t)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{PortSet, Protocol};

    #[test]
    fn interned_algebra() {
        let mut i = Interner::new();
        let a = i.intern(ConnSet::of(Protocol::Tcp, PortSet::single(80)));
        let b = i.intern(ConnSet::of(Protocol::Tcp, PortSet::range(80, 90)));
        assert_eq!(i.union(a, b), b);
        assert_eq!(i.intersect(a, b), a);
        let d = i.subtract(b, a);
        assert_eq!(i.get(d).to_string(), "TCP 81-90");
        assert_eq!(i.intersect(ALL, a), a);
        assert_eq!(i.union(NONE, a), a);
        assert_eq!(i.subtract(a, ALL), NONE);
    }

    #[test]
    fn bitset() {
        let mut b = BitSet::new(130);
        b.insert(0);
        b.insert(64);
        b.insert(129);
        b.insert(500);
        assert_eq!(b.iter().collect::<Vec<_>>(), [0, 64, 129]);
        assert!(b.contains(64) && !b.contains(1) && !b.contains(999));
        assert_eq!(BitSet::full(70).iter().count(), 70);
        assert_eq!(BitSet::full(128).iter().count(), 128);
        assert_eq!(BitSet::full(0).iter().count(), 0);
        assert_eq!(b.iter_zeros(131).count(), 128);
        assert_eq!(b.iter_zeros(66).collect::<Vec<_>>(), (1..64).chain([65]).collect::<Vec<_>>());
        assert_eq!(BitSet::full(64).iter_zeros(64).count(), 0);
        b.remove(64);
        assert_eq!(b.iter().collect::<Vec<_>>(), [0, 129]);
        assert_eq!(BitSet::new(0).iter_zeros(0).count(), 0);
        assert_eq!(BitSet::new(3).iter_zeros(3).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn class_sets() {
        let few = ClassSet::from_sorted(vec![1, 70, 99], 1000);
        assert!(matches!(few, ClassSet::Few(_)));
        let many = ClassSet::from_sorted((0..100).collect(), 1000);
        assert!(matches!(many, ClassSet::Many(_)));
        assert_eq!(few.iter().collect::<Vec<_>>(), [1, 70, 99]);
        assert_eq!(few.bits(1000).iter().collect::<Vec<_>>(), [1, 70, 99]);
        assert_eq!((many.len(), many.iter().count(), many.bits(1000).iter_zeros(1000).count()), (100, 100, 900));
    }
}
