//! Storage of computed matrix cells.
//!
//! `Reachability::compute` keeps the dense class matrix (`netpol list` prints every pair).
//! `Reachability::compute_focused` keeps only the rows and columns of the focus classes (the
//! CDE workloads the checks ask about), each as "this value except at these positions", so
//! both time and memory follow focus × classes instead of classes²; any other pair is
//! answered from a full matrix built on first need.

use std::sync::OnceLock;

use crate::calc::FullCells;
use crate::intern::{ConnId, Interner};

/// One row or column: the most common value, and the positions holding another one.
#[derive(Clone, Debug)]
pub(crate) struct SparseLine {
    pub default: ConnId,
    /// (position, value), ascending by position.
    pub except: Vec<(u32, ConnId)>,
}

impl SparseLine {
    pub fn from_dense(line: &[ConnId]) -> SparseLine {
        // Interned ids are small and dense: count them in a vector.
        let mut counts: Vec<u32> = Vec::new();
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

    pub fn get(&self, position: usize) -> ConnId {
        match self.except.binary_search_by_key(&(position as u32), |&(p, _)| p) {
            Ok(i) => self.except[i].1,
            Err(_) => self.default,
        }
    }
}

pub(crate) enum Cells {
    Full(FullCells),
    Focused(Box<Focused>),
}

pub(crate) struct Focused {
    /// Per class: its row (destinations: classes, then egress blocks), if a focus class.
    pub rows: Vec<Option<SparseLine>>,
    /// Per class: its column (sources: classes, then ingress blocks), if a focus class.
    pub columns: Vec<Option<SparseLine>>,
    /// Every pair, built with a copy of the interner when a pair outside the focus is asked.
    pub rest: OnceLock<(Interner, FullCells)>,
}
