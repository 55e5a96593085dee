//! The PAN detector: finds card numbers in a byte slice without allocating.
//!
//! # How it works
//!
//! A *region* is a maximal stretch of digit *groups* joined by single separators (one space
//! or one dash with a digit on both sides). Every candidate lies inside one region and
//! spans at least 13 bytes. The scanner classifies the input 64 bytes at a time into a
//! digit bitmask and, with a few shift-ANDs, finds where 13 bytes could follow each other
//! without two non-digits in a row (a necessary condition). Only for such a block does it
//! compute the separator mask and the exact places where 13 region bytes follow each
//! other. There is no branch per byte, so text dense in short numbers (timestamps, IPs,
//! hex ids) costs about the same as prose. Only at such a place does it walk back to the
//! region's first digit, count the region's digits (fewer than 13: skipped) and parse it
//! group by group.
//!
//! Inside a region the candidates are:
//! * a single group of 13–19 digits (a contiguous PAN);
//! * a *layout*: consecutive groups joined by the same separator whose lengths are one of
//!   [`LAYOUTS`]. A dash-joined run of groups must be a layout as a whole (`4111-1111-1111-1111`
//!   yes, `4111-1111-1111-1111-1111` no). A space-joined run must be a layout as a whole,
//!   or, when the run as a whole has no layout's shape, its first or last groups may form
//!   one, because spaces also separate log fields: `10:00:00 4111 1111 1111 1111` and
//!   `4111 1111 1111 1111 12/27` still hold a card number. A run of the 4-4-4-4-3 shape is
//!   checked as 19 digits first and, when those are no card number, as a 16-digit card
//!   followed by its security code (`4111 1111 1111 1111 123`).
//!   Such a partial layout is not taken when the group next to it has four digits, since
//!   it is then a piece of a longer four-by-four number (an IBAN, an account number).
//!
//! At the region's two outer edges the neighbouring byte must not glue the digits into a
//! longer token: no ASCII letter, no `+` before (an international phone number), and no
//! `.` between digits (a decimal fraction or an IP address).
//!
//! A candidate becomes a match only if its digits pass Luhn and fit a brand's IIN prefix
//! and length ([`brand_of`]). Matches never overlap and come out in ascending `start` order.

use crate::brand::{Brand, brand_of};
use crate::luhn::luhn_valid;
use crate::mask::{MaskMode, mask_digits};
use crate::test_cards::is_test_pan;

/// Fewest digits in a PAN; also the fewest bytes a candidate occupies.
const MIN_DIGITS: usize = 13;
/// Most digits in a PAN.
const MAX_DIGITS: usize = 19;
/// Most groups in any layout.
const MAX_GROUPS: usize = 5;
/// Longest group in any layout; a longer group splits a space-joined run.
const MAX_LAYOUT_GROUP: usize = 6;
/// Groups remembered at each end of a run: a layout plus its neighbour.
const RUN_KEEP: usize = MAX_GROUPS + 1;

/// Group lengths of the grouped layouts recognised (all 13–19 digits in total):
/// Visa 13 (4-4-4-1), Diners 14 (4-6-4), Amex 15 (4-6-5), the common 16 (4-4-4-4)
/// and 19 (4-4-4-4-3).
pub const LAYOUTS: &[&[u8]] = &[
    &[4, 4, 4, 1],
    &[4, 6, 4],
    &[4, 6, 5],
    &[4, 4, 4, 4],
    &[4, 4, 4, 4, 3],
];

/// A card number found in a haystack.
///
/// The full digits are kept privately (for masking) and are never printed: `Debug`
/// shows only the default masked form, and there is no `Display`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PanMatch {
    /// Byte offset of the first digit.
    pub start: usize,
    /// Byte offset just past the last digit (separators between groups are inside).
    pub end: usize,
    pub brand: Brand,
    /// One of the well-known public test card numbers (lower severity).
    pub is_test: bool,
    digits: [u8; MAX_DIGITS],
    len: u8,
}

impl PanMatch {
    /// Number of digits in the PAN (13–19).
    pub fn digit_count(&self) -> usize {
        usize::from(self.len)
    }

    /// The PAN masked for display; see [`MaskMode`].
    pub fn masked(&self, mode: MaskMode) -> String {
        mask_digits(self.digits(), mode)
    }

    /// The last four digits (what `MaskMode::Last4` reveals).
    pub fn last4(&self) -> &str {
        let d = self.digits();
        // Digits are ASCII, so this cannot fail; an empty string is the harmless fallback.
        std::str::from_utf8(&d[d.len().saturating_sub(4)..]).unwrap_or_default()
    }

    /// The full digits; crate-private so that no caller can print them by accident.
    pub(crate) fn digits(&self) -> &[u8] {
        &self.digits[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for PanMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanMatch")
            .field("start", &self.start)
            .field("end", &self.end)
            .field("brand", &self.brand)
            .field("is_test", &self.is_test)
            .field("masked", &self.masked(MaskMode::First6Last4))
            .finish()
    }
}

/// All card numbers in `haystack`, in ascending order of `start`.
pub fn find_pans(haystack: &[u8]) -> PanIter<'_> {
    PanIter {
        out: Emitter {
            hay: haystack,
            queue: Queue::default(),
            last_end: 0,
        },
        pos: 0,
        region: None,
        #[cfg(test)]
        naive: false,
    }
}

/// True when `b` is an ASCII digit.
#[inline(always)]
fn is_digit(b: u8) -> bool {
    b.wrapping_sub(b'0') < 10
}

/// True when `b` may join two digit groups.
#[inline(always)]
fn is_sep(b: u8) -> bool {
    b == b' ' || b == b'-'
}

fn digit_at(h: &[u8], i: usize) -> bool {
    h.get(i).is_some_and(|&b| is_digit(b))
}

/// Whether the byte(s) before a region starting at `a` leave it free-standing.
fn left_edge_ok(h: &[u8], a: usize) -> bool {
    let Some(&before) = a.checked_sub(1).and_then(|i| h.get(i)) else {
        return true;
    };
    if before.is_ascii_alphanumeric() || before == b'+' {
        return false;
    }
    // `3.4111…` is a decimal fraction or part of a dotted number.
    !(before == b'.' && a >= 2 && digit_at(h, a - 2))
}

/// Whether the byte(s) after a region ending at `b` (exclusive) leave it free-standing.
fn right_edge_ok(h: &[u8], b: usize) -> bool {
    let Some(&after) = h.get(b) else { return true };
    if after.is_ascii_alphanumeric() {
        return false;
    }
    !(after == b'.' && digit_at(h, b + 1))
}

/// The first digit of the region holding position `p`, if `p` is inside a region.
fn region_start_at(h: &[u8], p: usize) -> Option<usize> {
    let mut i = p;
    if !is_digit(h[p]) {
        // A separator belongs to a region only between two digits.
        if !(p > 0 && digit_at(h, p - 1) && digit_at(h, p + 1)) {
            return None;
        }
        i = p - 1;
    }
    loop {
        while i > 0 && is_digit(h[i - 1]) {
            i -= 1;
        }
        if i >= 2 && is_sep(h[i - 1]) && is_digit(h[i - 2]) {
            i -= 2;
        } else {
            return Some(i);
        }
    }
}

/// One digit group: offset and length.
#[derive(Clone, Copy, Default)]
struct Group {
    start: usize,
    len: usize,
}

impl Group {
    fn end(self) -> usize {
        self.start + self.len
    }
}

/// A run of consecutive groups, remembering the first and the last `RUN_KEEP` of them
/// (a layout can only use groups at either end of a longer run).
#[derive(Clone, Copy, Default)]
struct Run {
    first: [Group; RUN_KEEP],
    last: [Group; RUN_KEEP], // ring buffer, indexed by count % RUN_KEEP
    count: usize,
}

impl Run {
    fn push(&mut self, g: Group) {
        if self.count < RUN_KEEP {
            self.first[self.count] = g;
        }
        self.last[self.count % RUN_KEEP] = g;
        self.count += 1;
    }

    /// The `k` last groups in order (`k <= RUN_KEEP`, `k <= count`).
    fn tail(&self, k: usize) -> [Group; RUN_KEEP] {
        let mut out = [Group::default(); RUN_KEEP];
        for (j, slot) in out.iter_mut().take(k).enumerate() {
            *slot = self.last[(self.count - k + j) % RUN_KEEP];
        }
        out
    }
}

/// The groups joined by one separator kind, parsed so far.
#[derive(Clone, Copy, Default)]
struct Seq {
    /// `b' '`, `b'-'`, or 0 while the sequence has one group.
    sep: u8,
    /// Dash sequences: all groups. Space sequences: the current run of groups of at most
    /// `MAX_LAYOUT_GROUP` digits (a longer group ends a run).
    run: Run,
    /// Dash sequences: whether any group is longer than `MAX_LAYOUT_GROUP`.
    has_long: bool,
}

/// Parser state inside one region.
#[derive(Clone, Copy)]
struct Region {
    /// Offset of the region's first digit.
    start: usize,
    /// Offset of the next group to read.
    next: usize,
    left_ok: bool,
    /// Set when the last group has been read: (region end, right edge ok).
    end: Option<(usize, bool)>,
    seq: Seq,
}

/// A small FIFO of matches: one parsing step emits at most three.
#[derive(Default)]
struct Queue {
    items: [Option<PanMatch>; 4],
    head: usize,
    len: usize,
}

impl Queue {
    fn push(&mut self, m: PanMatch) {
        // Capacity exceeds the per-step maximum; dropping is impossible in practice but
        // must not panic.
        if self.len < self.items.len() {
            let i = (self.head + self.len) % self.items.len();
            self.items[i] = Some(m);
            self.len += 1;
        }
    }

    fn pop(&mut self) -> Option<PanMatch> {
        if self.len == 0 {
            return None;
        }
        let m = self.items[self.head].take();
        self.head = (self.head + 1) % self.items.len();
        self.len -= 1;
        m
    }
}

/// Iterator over the matches in a haystack; see [`find_pans`].
pub struct PanIter<'a> {
    out: Emitter<'a>,
    /// Where the search for the next region resumes (0, or just past a region).
    pos: usize,
    /// The region being parsed, if any.
    region: Option<Region>,
    /// Tests only: find regions byte by byte instead of by blocks.
    #[cfg(test)]
    naive: bool,
}

/// Validates candidates and queues the matches.
struct Emitter<'a> {
    hay: &'a [u8],
    queue: Queue,
    /// End of the last match emitted; later candidates starting before it are dropped.
    last_end: usize,
}

impl Iterator for PanIter<'_> {
    type Item = PanMatch;

    fn next(&mut self) -> Option<PanMatch> {
        loop {
            if let Some(m) = self.out.queue.pop() {
                return Some(m);
            }
            match &mut self.region {
                Some(r) => {
                    if let Some(end) = r.step(&mut self.out) {
                        self.region = None;
                        self.pos = end;
                    }
                }
                None => {
                    let h = self.out.hay;
                    let a = self.next_region_start()?;
                    let (digits, end) = measure_region(h, a);
                    if digits < MIN_DIGITS {
                        // Too few digits for any candidate: skip the region unparsed.
                        self.pos = end;
                    } else {
                        self.region = Some(Region::new(a, left_edge_ok(h, a)));
                    }
                }
            }
        }
    }
}

impl PanIter<'_> {
    /// The start of the next region, from `self.pos` on, that holds 13 consecutive region
    /// bytes (every candidate does; shorter regions are never looked at).
    ///
    /// Works on 64-byte blocks: bitmasks of digits and separators, a region-byte mask
    /// (a digit, or a separator with digits on both sides), then four shift-ANDs find the
    /// bytes that start 13 consecutive region bytes. The next block's masks are included
    /// so runs crossing a block boundary are seen. Branch-free except for the rare hit.
    #[inline]
    fn next_region_start(&mut self) -> Option<usize> {
        let h = self.out.hay;
        #[cfg(test)]
        if self.naive {
            // `pos` is 0 or just past a region, so the next digit starts a region.
            let found = (self.pos..h.len()).find(|&i| is_digit(h[i]));
            self.pos = found.unwrap_or(h.len());
            return found;
        }
        let mut p = self.pos;
        let mut cur_d = block_masks::<false>(h, p).0;
        while p < h.len() {
            let next_d = block_masks::<false>(h, p + 64).0;
            let d = u128::from(cur_d) | (u128::from(next_d) << 64);
            // Cheap pre-filter from digits alone: 13 region bytes starting at i begin with a
            // digit and never hold two non-digits in a row (bit j of `e`: byte j or j+1 is a
            // digit), so e must hold for j = i..=i+11.
            let e = d | (d >> 1);
            let e2 = e & (e >> 1);
            let e4 = e2 & (e2 >> 2);
            let e8 = e4 & (e4 >> 4);
            let e12 = e8 & (e8 >> 4);
            if (e12 & d) as u64 != 0
                && let Some(a) = self.exact_hit(p, d)
            {
                return Some(a);
            }
            p += 64;
            cur_d = next_d;
        }
        self.pos = h.len();
        None
    }

    /// The exact test for the block at `p` (digit masks `d` of it and the next block):
    /// the start of the region holding the first 13 consecutive region bytes that begin
    /// in this block, if any.
    #[cold]
    fn exact_hit(&mut self, p: usize, d: u128) -> Option<usize> {
        let h = self.out.hay;
        let s = u128::from(block_masks::<true>(h, p).1)
            | (u128::from(block_masks::<true>(h, p + 64).1) << 64);
        // Bit i of `d << 1` is digit i-1; of `d >> 1`, digit i+1.
        let r = d | (s & (d << 1) & (d >> 1));
        let r2 = r & (r >> 1); // bytes i..=i+1 are region bytes
        let r4 = r2 & (r2 >> 2); // i..=i+3
        let r8 = r4 & (r4 >> 4); // i..=i+7
        let r13 = r8 & (r8 >> 5); // i..=i+12
        // Only starts inside this block: their 13 bytes lie within the 128 bits.
        let hits = r13 as u64;
        if hits == 0 {
            return None;
        }
        // A digit or a separator between digits: always inside a region.
        region_start_at(h, p + hits.trailing_zeros() as usize)
    }
}

/// Bitmasks (bit i = byte `p + i`) of the digits and, if `SEPS`, of the separators
/// among the 64 bytes from `p` (else 0); bytes past the end count as neither.
#[inline(always)]
fn block_masks<const SEPS: bool>(h: &[u8], p: usize) -> (u64, u64) {
    let (mut d, mut s) = (0u64, 0u64);
    match h
        .get(p..p.saturating_add(64))
        .and_then(|b| <&[u8; 64]>::try_from(b).ok())
    {
        Some(block) => {
            // Fixed bounds: the loop unrolls and each word is one load.
            for k in 0..8 {
                let mut word = [0u8; 8];
                word.copy_from_slice(&block[8 * k..8 * k + 8]);
                let w = u64::from_le_bytes(word);
                d |= swar::digits(w) << (8 * k);
                if SEPS {
                    s |= swar::seps(w) << (8 * k);
                }
            }
        }
        None => {
            for (i, &b) in h.get(p..).unwrap_or_default().iter().enumerate() {
                d |= u64::from(is_digit(b)) << i;
                s |= u64::from(SEPS && is_sep(b)) << i;
            }
        }
    }
    (d, s)
}

/// Byte-parallel tests on 8 bytes in a `u64` ("SIMD within a register"), exact per byte
/// (no carries cross byte lanes).
mod swar {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    const LOW7: u64 = ONES * 0x7F;

    /// High bit of each byte lane set where the byte equals `c`.
    #[inline(always)]
    fn eq(w: u64, c: u8) -> u64 {
        let y = w ^ (ONES * u64::from(c));
        // (y & 0x7F) + 0x7F sets the high bit iff the low 7 bits are nonzero.
        !(((y & LOW7) + LOW7) | y) & HIGH
    }

    /// High bit of each byte lane set where the byte is an ASCII digit.
    #[inline(always)]
    fn digit(w: u64) -> u64 {
        let x = w ^ (ONES * 0x30); // '0'..='9' become 0..=9
        // (x & 0x7F) + 0x76 sets the high bit iff the low 7 bits are >= 10.
        !(((x & LOW7) + ONES * 0x76) | x) & HIGH
    }

    /// The 8 lane high bits gathered into the low 8 bits (lane k -> bit k).
    #[inline(always)]
    fn gather(m: u64) -> u64 {
        // Every lane bit lands on a distinct bit of the product, so no carries; lane k's
        // bit ends up at bit 56 + k.
        (m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
    }

    /// Digit mask of the 8 bytes, lane k -> bit k.
    #[inline(always)]
    pub(super) fn digits(w: u64) -> u64 {
        gather(digit(w))
    }

    /// Separator (space, dash) mask of the 8 bytes, lane k -> bit k.
    #[inline(always)]
    pub(super) fn seps(w: u64) -> u64 {
        gather(eq(w, b' ') | eq(w, b'-'))
    }
}

/// The number of digits in the region starting at `a`, and its end (exclusive).
#[inline]
fn measure_region(h: &[u8], a: usize) -> (usize, usize) {
    let (mut i, mut digits) = (a, 0);
    loop {
        let group_start = i;
        while i < h.len() && is_digit(h[i]) {
            i += 1;
        }
        digits += i - group_start;
        if i + 1 < h.len() && is_sep(h[i]) && is_digit(h[i + 1]) {
            i += 1;
        } else {
            return (digits, i);
        }
    }
}

impl Region {
    fn new(start: usize, left_ok: bool) -> Self {
        Region {
            start,
            next: start,
            left_ok,
            end: None,
            seq: Seq::default(),
        }
    }

    /// Reads one group and emits what it completes; returns the region's end after its
    /// last group.
    fn step(&mut self, out: &mut Emitter<'_>) -> Option<usize> {
        let h = out.hay;
        let g_start = self.next;
        let mut i = g_start;
        while i < h.len() && is_digit(h[i]) {
            i += 1;
        }
        let g = Group {
            start: g_start,
            len: i - g_start,
        };
        let next_sep = match (h.get(i), h.get(i + 1)) {
            (Some(&s), Some(&d)) if is_sep(s) && is_digit(d) => Some(s),
            _ => None,
        };
        if next_sep.is_none() {
            self.end = Some((g.end(), right_edge_ok(h, g.end())));
        }
        if self.seq.run.count == 0 && self.seq.sep == 0 {
            self.seq.sep = next_sep.unwrap_or(0);
        }

        // 1. Add the group to its sequence (a long group closes a space run first).
        self.add_group(g, out);
        // 2. A long group on its own.
        if (MIN_DIGITS..=MAX_DIGITS).contains(&g.len) && self.left_ok(g) && self.right_ok(g) {
            out.try_emit(&[g]);
        }
        // 3. A separator change or the region's end closes the sequence; a new sequence
        //    starts with this same group.
        if next_sep != Some(self.seq.sep) {
            self.close_seq(out);
            if let Some(s) = next_sep {
                self.seq = Seq {
                    sep: s,
                    ..Seq::default()
                };
                self.add_group(g, out);
            }
        }
        match next_sep {
            Some(_) => {
                self.next = i + 1;
                None
            }
            None => Some(i),
        }
    }

    fn add_group(&mut self, g: Group, out: &mut Emitter<'_>) {
        if self.seq.sep == b' ' && g.len > MAX_LAYOUT_GROUP {
            self.close_space_run(out);
            self.seq.run = Run::default();
        } else {
            self.seq.has_long |= g.len > MAX_LAYOUT_GROUP;
            self.seq.run.push(g);
        }
    }

    fn close_seq(&self, out: &mut Emitter<'_>) {
        match self.seq.sep {
            b' ' => self.close_space_run(out),
            b'-' => {
                let run = &self.seq.run;
                let n = run.count;
                if !self.seq.has_long
                    && (2..=MAX_GROUPS).contains(&n)
                    && is_layout(&run.first[..n])
                    && self.left_ok(run.first[0])
                    && self.right_ok(run.first[n - 1])
                {
                    out.try_emit(&run.first[..n]);
                }
            }
            _ => {}
        }
    }

    /// A space-joined run of short groups: the whole run if it is a layout, else the
    /// longest layout at its start and the longest at its end whose neighbouring group
    /// in the run does not have four digits.
    fn close_space_run(&self, out: &mut Emitter<'_>) {
        let run = &self.seq.run;
        let n = run.count;
        if n < 2 {
            return;
        }
        if n <= MAX_GROUPS && is_layout(&run.first[..n]) {
            // The run has a card's shape: it is that card or nothing (no other pieces of it),
            // except that 4-4-4-4-3 whose 19 digits are no card number may be a 16-digit one
            // followed by its three-digit security code.
            if self.left_ok(run.first[0]) && self.right_ok(run.first[n - 1]) && !out.try_emit(&run.first[..n]) && is_card_then_code(&run.first[..n]) {
                out.try_emit(&run.first[..n - 1]);
            }
            return;
        }
        let mut used = 0;
        if self.left_ok(run.first[0]) {
            for k in (2..=(n - 1).min(MAX_GROUPS)).rev() {
                let neighbour = run.first[k];
                if neighbour.len != 4 && is_layout(&run.first[..k]) && out.try_emit(&run.first[..k])
                {
                    used = k;
                    break;
                }
            }
        }
        if self.right_ok(run.tail(1)[0]) {
            for k in (2..=(n - 1).min(MAX_GROUPS).min(n - used)).rev() {
                // The layout's k groups plus the neighbour before them.
                let tail = run.tail(k + 1);
                let (neighbour, layout) = (tail[0], &tail[1..=k]);
                if neighbour.len != 4 && is_layout(layout) && out.try_emit(layout) {
                    break;
                }
            }
        }
    }

    fn left_ok(&self, g: Group) -> bool {
        g.start != self.start || self.left_ok
    }

    fn right_ok(&self, g: Group) -> bool {
        match self.end {
            Some((end, ok)) if end == g.end() => ok,
            _ => true,
        }
    }
}

impl Emitter<'_> {
    /// Validates the digits of `groups`; queues a match and returns true if they are a PAN.
    fn try_emit(&mut self, groups: &[Group]) -> bool {
        let (Some(first), Some(last)) = (groups.first(), groups.last()) else {
            return false;
        };
        if first.start < self.last_end {
            return false;
        }
        let mut digits = [0u8; MAX_DIGITS];
        let mut len = 0;
        for g in groups {
            let Some(src) = self.hay.get(g.start..g.end()) else {
                return false;
            };
            let Some(dst) = digits.get_mut(len..len + src.len()) else {
                return false;
            };
            dst.copy_from_slice(src);
            len += src.len();
        }
        let d = &digits[..len];
        if len < MIN_DIGITS || !luhn_valid(d) {
            return false;
        }
        let Some(brand) = brand_of(d) else {
            return false;
        };
        let is_test = is_test_pan(d);
        // `len <= MAX_DIGITS`, so it fits in a u8.
        let m = PanMatch {
            start: first.start,
            end: last.end(),
            brand,
            is_test,
            digits,
            len: len as u8,
        };
        self.last_end = m.end;
        self.queue.push(m);
        true
    }
}

/// 4-4-4-4-3: a 16-digit card number and a three-digit security code, or a 19-digit one.
fn is_card_then_code(groups: &[Group]) -> bool {
    groups.len() == 5 && groups[..4].iter().all(|g| g.len == 4) && groups[4].len == 3
}

fn is_layout(groups: &[Group]) -> bool {
    LAYOUTS.iter().any(|l| {
        l.len() == groups.len() && l.iter().zip(groups).all(|(&n, g)| usize::from(n) == g.len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (matched text, brand, is_test) for every match.
    fn found(s: &str) -> Vec<(&str, Brand, bool)> {
        find_pans(s.as_bytes())
            .map(|m| (&s[m.start..m.end], m.brand, m.is_test))
            .collect()
    }

    fn texts(s: &str) -> Vec<&str> {
        found(s).into_iter().map(|(t, _, _)| t).collect()
    }

    #[test]
    fn contiguous_and_grouped_layouts() {
        assert_eq!(
            found("4111111111111111"),
            vec![("4111111111111111", Brand::Visa, true)]
        );
        assert_eq!(
            texts("card 4111 1111 1111 1111 ok"),
            vec!["4111 1111 1111 1111"]
        );
        assert_eq!(
            texts("card 4111-1111-1111-1111."),
            vec!["4111-1111-1111-1111"]
        );
        assert_eq!(
            found("amex 3782 822463 10005"),
            vec![("3782 822463 10005", Brand::AmericanExpress, true)]
        );
        assert_eq!(
            found("diners 3056-930902-5904"),
            vec![("3056-930902-5904", Brand::DinersClub, true)]
        );
        assert_eq!(
            found("v13=4222 2222 2222 2"),
            vec![("4222 2222 2222 2", Brand::Visa, true)]
        );
        assert_eq!(
            found("m19 6799 9901 0000 0000 019"),
            vec![("6799 9901 0000 0000 019", Brand::Maestro, true)]
        );
        assert_eq!(
            found("up19:6205500000000000004;"),
            vec![("6205500000000000004", Brand::UnionPay, true)]
        );
    }

    #[test]
    fn non_test_card_is_not_flagged_as_test() {
        // 4111111111111129 is Luhn-valid but not on the public test list.
        assert!(luhn_valid(b"4111111111111129"));
        assert_eq!(
            found("x=4111111111111129"),
            vec![("4111111111111129", Brand::Visa, false)]
        );
    }

    #[test]
    fn several_in_one_line_and_region() {
        assert_eq!(
            texts("4111111111111111,5555555555554444 4242424242424242-378282246310005"),
            vec![
                "4111111111111111",
                "5555555555554444",
                "4242424242424242",
                "378282246310005"
            ]
        );
        assert_eq!(
            texts("a 4111 1111 1111 1111 b 4242-4242-4242-4242"),
            vec!["4111 1111 1111 1111", "4242-4242-4242-4242"]
        );
    }

    #[test]
    fn space_runs_next_to_other_numbers() {
        assert_eq!(
            texts("2024-01-15 10:00:00 4111 1111 1111 1111 paid"),
            vec!["4111 1111 1111 1111"]
        );
        assert_eq!(
            texts("2024-01-15 4111 1111 1111 1111"),
            vec!["4111 1111 1111 1111"]
        );
        assert_eq!(
            texts("4111 1111 1111 1111 12/27 cvv"),
            vec!["4111 1111 1111 1111"]
        );
        assert_eq!(
            texts("qty 2 4111111111111111 total"),
            vec!["4111111111111111"]
        );
        assert_eq!(
            texts("pan 5555 5555 5555 4444 12"),
            vec!["5555 5555 5555 4444"]
        );
        // The 4-4-4-4-3 shape: 19 digits first; when they are no card number, a 16-digit
        // card followed by its security code.
        assert_eq!(texts("pan 5555 5555 5555 4444 123"), vec!["5555 5555 5555 4444"]);
        assert_eq!(texts("card 4111 1111 1111 1111 123 exp 12/27"), vec!["4111 1111 1111 1111"]);
        assert_eq!(texts("pan 6799 9901 0000 0000 019"), vec!["6799 9901 0000 0000 019"]);
        // Neither the 19 digits nor the first 16 pass Luhn.
        assert_eq!(texts("ref 5555 5555 5555 4445 123"), Vec::<&str>::new());
        // Inside a longer four-by-four run: an IBAN, or a card followed by a year.
        assert_eq!(
            texts("FR76 3000 6000 0112 3456 7890 189"),
            Vec::<&str>::new()
        );
        assert_eq!(
            texts("FR76 6799 9901 0000 0000 019"),
            vec!["6799 9901 0000 0000 019"]
        );
        assert_eq!(texts("4111 1111 1111 1111 2025"), Vec::<&str>::new());
        assert_eq!(
            texts("1 2 3 4111 1111 1111 1111"),
            vec!["4111 1111 1111 1111"]
        );
        // A long run's last group decides the right edge (glued to a letter here).
        assert_eq!(texts("1 2 3 4 5 4111 1111 1111 1111x"), Vec::<&str>::new());
        assert_eq!(
            texts("1 2 3 4 5 4111 1111 1111 1111."),
            vec!["4111 1111 1111 1111"]
        );
        // Only the ends of a space-joined run are tried, not its middle.
        assert_eq!(texts("1 2 3 4111 1111 1111 1111 4 5"), Vec::<&str>::new());
    }

    #[test]
    fn edges_glue_digits_into_longer_tokens() {
        for s in [
            "x4111111111111111",
            "4111111111111111x",
            "tok_ab4111111111111111",
            "41111111111111110",
            "041111111111111111",
            "0.4111111111111111",
            "4111111111111111.5",
            "+4111111111111",
            "4111-1111-1111-1111-1111",
            "4111-1111-1111-1111-11",
            "1-4111-1111-1111-1111",
            "sha=4111111111111111deadbeef",
        ] {
            assert_eq!(texts(s), Vec::<&str>::new(), "{s}");
        }
        // Punctuation that is not glue.
        for s in [
            "(4111111111111111)",
            "\"4111111111111111\"",
            "=4111111111111111;",
            "/cards/4111111111111111/",
            "4111111111111111.",
        ] {
            assert_eq!(texts(s), vec!["4111111111111111"], "{s}");
        }
    }

    #[test]
    fn decoys() {
        for s in [
            "ts=1732789530123 ns=1732789530123456789 us=1732789530123456",
            "2025-11-28T10:15:30.123456789Z",
            "call +1 415 555 2671 or +4915112345678 or (415) 555-2671",
            "id=550e8400-e29b-41d4-a716-446655440000 12345678-1234-1234-1234-123456789012",
            "from 192.168.100.200:8080 to 2001:db8::1",
            "order ORD-2025-000123456 order_id=100000123456789",
            "4111111111111112 5555555555554445", // Luhn failures
            "1234567890123452 7000000000000009", // IIN failures (Luhn-valid)
            "3782822463100050",                  // Amex prefix, wrong length
            "1234 5678 9012 3456",
        ] {
            assert_eq!(texts(s), Vec::<&str>::new(), "{s}");
        }
    }

    #[test]
    fn short_and_odd_inputs_do_not_panic() {
        for s in [
            "",
            "4",
            "-",
            " ",
            "4-",
            "-4",
            "4 4",
            "4111111111111111 ",
            " 4111111111111111",
            "1-2-3-4-5-6-7-8-9-0-1-2-3-4",
        ] {
            let _ = texts(s);
        }
        assert_eq!(texts(" 4111111111111111"), vec!["4111111111111111"]);
    }

    proptest::proptest! {
        /// The block scanner finds exactly what visiting every region finds.
        #[test]
        fn block_scan_equals_naive_scan(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just("4111111111111111".to_string()),
                proptest::strategy::Just("4111 1111 1111 1111".to_string()),
                proptest::strategy::Just("3782-822463-10005".to_string()),
                proptest::strategy::Just("4222222222222".to_string()),
                proptest::strategy::Just("6799 9901 0000 0000 019".to_string()),
                "[0-9]{1,20}",
                "[0-9 -]{1,40}",
                "[ a.+x-]{1,5}",
                "[ ]{10,70}",
            ], 0..40)
        ) {
            let data = pieces.concat().into_bytes();
            let fast: Vec<(usize, usize)> = find_pans(&data).map(|m| (m.start, m.end)).collect();
            let mut it = find_pans(&data);
            it.naive = true;
            let slow: Vec<(usize, usize)> = it.map(|m| (m.start, m.end)).collect();
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn block_masks_match_a_byte_by_byte_classification() {
        let bytes: Vec<u8> = (0..=255u8)
            .chain(b"0123456789 -/:;".iter().copied())
            .cycle()
            .take(700)
            .collect();
        for p in 0..bytes.len() + 2 {
            let (d, s) = block_masks::<true>(&bytes, p);
            for i in 0..64 {
                let b = bytes.get(p + i).copied();
                assert_eq!(
                    d >> i & 1 == 1,
                    b.is_some_and(is_digit),
                    "digit p={p} i={i}"
                );
                assert_eq!(s >> i & 1 == 1, b.is_some_and(is_sep), "sep p={p} i={i}");
            }
        }
    }

    #[test]
    fn debug_prints_only_masked_digits() {
        let m = find_pans(b"4012888888881881").next().unwrap();
        let dbg = format!("{m:?}");
        assert!(!dbg.contains("4012888888881881"), "{dbg}");
        assert!(dbg.contains("401288******1881"), "{dbg}");
        assert_eq!(m.last4(), "1881");
        assert_eq!(m.digit_count(), 16);
    }
}
