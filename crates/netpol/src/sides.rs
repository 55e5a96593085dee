//! The two sides of a connection as the engine indexes them, and a peer seen from one side.
//! The lowest layer of the engine: every other engine module may use it.

use crate::policy::Direction;

pub(crate) const INGRESS: usize = 0;
pub(crate) const EGRESS: usize = 1;

pub(crate) fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => INGRESS,
        Direction::Egress => EGRESS,
    }
}

pub(crate) fn direction(dir: usize) -> Direction {
    if dir == INGRESS { Direction::Ingress } else { Direction::Egress }
}

/// A peer seen from a subject in direction `dir`: a profile of space `dir` (sources for
/// ingress, destinations for egress) or an external block of the direction's split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PeerRef {
    Profile(u32),
    Block(u32),
}
