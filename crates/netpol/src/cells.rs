//! Storage of computed matrix cells.
//!
//! `Reachability::compute` keeps the dense class matrix (`netpol list` prints every pair).
//! `Reachability::compute_focused` keeps only the rows and columns of the focus workloads' profiles
//! (the CDE workloads the checks ask about), each as "this value except at these positions",
//! so both time and memory follow focus × profiles instead of classes²; any other pair is
//! answered from a full matrix built on first need. Both are indexed by profiles (see
//! `profiles.rs`), never by classes.

use std::sync::OnceLock;

use crate::intern::{ConnId, Interner};

/// One row or column: the most common value, and the positions holding another one.
#[derive(Clone, Debug)]
pub(crate) struct SparseLine {
    pub default: ConnId,
    /// (position, value), ascending by position.
    pub except: Vec<(u32, ConnId)>,
}

impl SparseLine {
    /// `counts` is a buffer the caller keeps between lines.
    pub fn from_dense(line: &[ConnId], counts: &mut Vec<u32>) -> SparseLine {
        // Interned ids are small and dense: count them in a vector.
        counts.clear();
        for &c in line {
            if counts.len() <= c as usize {
                counts.resize(c as usize + 1, 0);
            }
            counts[c as usize] += 1;
        }
        // Most common value; ties to the smaller id so the result is deterministic.
        let default = counts.iter().enumerate().max_by_key(|&(c, &n)| (n, std::cmp::Reverse(c))).map_or(crate::intern::NONE, |(c, _)| c as ConnId);
        let except = line.iter().enumerate().filter(|&(_, &c)| c != default).map(|(i, &c)| (i as u32, c)).collect();
        SparseLine { default, except }
    }

    /// The same line with every id replaced by `map[id]` (an injective mapping, so the
    /// exceptions stay exceptions).
    pub fn remap(self, map: &[ConnId]) -> SparseLine {
        let id = |c: ConnId| map.get(c as usize).copied().unwrap_or(c);
        SparseLine { default: id(self.default), except: self.except.into_iter().map(|(p, c)| (p, id(c))).collect() }
    }

    pub fn get(&self, position: usize) -> ConnId {
        match self.except.binary_search_by_key(&(position as u32), |&(p, _)| p) {
            Ok(i) => self.except[i].1,
            Err(_) => self.default,
        }
    }
}

/// The dense profile matrix and the profile/external-block rectangles.
pub(crate) struct FullCells {
    /// [source profile × destination profile].
    pub pair: Vec<ConnId>,
    /// [source profile × egress block].
    pub to_block: Vec<ConnId>,
    /// [ingress block × destination profile].
    pub from_block: Vec<ConnId>,
}

pub(crate) enum Cells {
    Full(FullCells),
    Focused(Box<Focused>),
}

pub(crate) struct Focused {
    /// Per source profile: its row (destination profiles, then egress blocks), if the profile
    /// of a focus workload.
    pub rows: Vec<Option<SparseLine>>,
    /// Per destination profile: its column (source profiles, then ingress blocks), if the
    /// profile of a focus workload.
    pub columns: Vec<Option<SparseLine>>,
    /// Every pair, built with a copy of the interner when a pair outside the focus is asked.
    pub rest: OnceLock<(Interner, FullCells)>,
}
