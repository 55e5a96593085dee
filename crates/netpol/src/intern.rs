//! Small helpers for the matrix computation: interned connection sets (so that a matrix cell is
//! a `u32` and set operations on repeated pairs are memoised) and a fixed-size bit set.

use std::collections::HashMap;

use crate::ports::ConnSet;

pub(crate) type ConnId = u32;
pub(crate) const NONE: ConnId = 0;
pub(crate) const ALL: ConnId = 1;

#[derive(Clone)]
pub(crate) struct Interner {
    sets: Vec<ConnSet>,
    ids: HashMap<ConnSet, ConnId>,
    unions: HashMap<(ConnId, ConnId), ConnId>,
    intersections: HashMap<(ConnId, ConnId), ConnId>,
    differences: HashMap<(ConnId, ConnId), ConnId>,
}

impl Interner {
    pub fn new() -> Self {
        let mut i = Interner { sets: Vec::new(), ids: HashMap::new(), unions: HashMap::new(), intersections: HashMap::new(), differences: HashMap::new() };
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
        let key = (a.min(b), a.max(b));
        if let Some(&r) = self.unions.get(&key) {
            return r;
        }
        let r = self.intern(self.get(a).union(self.get(b)));
        self.unions.insert(key, r);
        r
    }

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
        self.unions = HashMap::new();
        self.intersections = HashMap::new();
        self.differences = HashMap::new();
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
        let mut b = BitSet::new(len);
        for i in 0..len {
            b.insert(i);
        }
        b
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

    /// Add every member of `other` (of the same length).
    pub fn union_with(&mut self, other: &BitSet) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w |= o;
        }
    }

    pub fn contains(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut bits = w;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let t = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some(wi * 64 + t)
            })
        })
    }
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
    }
}
