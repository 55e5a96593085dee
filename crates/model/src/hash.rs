//! A fast, deterministic hasher for the analyses' internal maps.
//!
//! Indexes keyed by kinds, namespaces, names, RBAC subjects, policy ids and flows are built and
//! probed hundreds of thousands of times on a large cluster; the standard library's SipHash
//! was about a tenth of the CPU after loading. Keys are short strings from the input or ids
//! the analyses assign, and a slower scan is the worst a crafted input could cause, so a
//! simple multiply-rotate hash is enough. No result may depend on the order these maps
//! iterate in (the same rule as for the standard library's randomly keyed maps).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing of 8-byte words.
#[derive(Clone, Copy, Default)]
pub struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x517c_c1b7_2722_0a95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "a\0" and "a" apart.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Spread the last word's bits into the low bits the table indexes by.
        let h = self.hash;
        h ^ (h >> 29)
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_find_what_they_hold() {
        let mut m: FastMap<String, usize> = FastMap::default();
        for i in 0..5000 {
            m.insert(format!("team-{i:04}/svc-{i}"), i);
        }
        assert_eq!(m.len(), 5000);
        assert!((0..5000).all(|i| m.get(&format!("team-{i:04}/svc-{i}")) == Some(&i)));
        assert!(!m.contains_key("team-0001/svc-2"));
        let mut s: FastSet<&str> = FastSet::default();
        assert!(s.insert("a") && s.insert("a\0") && s.insert("") && !s.insert("a"));
    }
}
