use kubepci_findings::Evidence;
use kubepci_pan::{MaskMode, PanMatch, find_pans};

use crate::support::text_fields::visit_text_fields;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Objects must not hold sensitive authentication data (track data, card codes, PIN blocks)
    ///
    /// ## What it checks
    /// Every text field of every object (as DATA-001: labels, annotations, ConfigMap and Secret
    /// data, container env, args and commands, custom resources' strings) for sensitive
    /// authentication data next to a real (non-test) card number:
    /// - **full track data**: a PAN followed by the track 2 separator `=` and at least seven
    ///   digits (expiry and service code), or by the track 1 separator `^`, a cardholder name
    ///   of at most 26 characters, `^` and seven digits;
    /// - **card verification code**: a `cvv`, `cvc`, `cvv2`, `cvc2`, `cid` or `csc` label
    ///   followed by three or four digits within 40 characters of a PAN, or a field whose key
    ///   is such a label holding three or four digits in an object that also holds a PAN;
    /// - **PIN block**: a field whose key, or a `pinblock`/`pin_block` label inside the text,
    ///   holds 16 hexadecimal characters (an ISO 9564 PIN block).
    ///
    /// Values are never shown: the evidence names the field, the kind of data and the card
    /// number masked (first six, last four). A stored (redacted) snapshot no longer holds the
    /// values; run it on manifests or a live cluster.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 3.3.1 forbids keeping sensitive authentication data after authorization,
    /// even encrypted: the full contents of a track (3.3.1.1), the card verification code
    /// (3.3.1.2) and the PIN or PIN block (3.3.1.3). An object holding them keeps them in etcd,
    /// its backups and every copy of the manifest, which is storage the entity cannot purge.
    /// Where an issuer keeps such data before authorization, 3.3.2 requires it encrypted; in an
    /// object's text it is not.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: replay-fixture, namespace: payments}
    /// data:
    ///   swipe: ";4539148803436467=25121010000012300000?"
    ///   pan: "5105 1051 0510 5100"
    ///   cvv2: "123"
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: replay-fixture, namespace: payments}
    /// data:
    ///   token: "tok_7Hq2s9XvP0"
    ///   last4: "6467"
    ///   cvvRequired: "true"
    /// ```
    ///
    /// ## Fix
    /// Delete the data from the object and from wherever the manifest is kept (repository
    /// history, backups, etcd snapshots), find out how it got there, and follow the incident
    /// procedure for account data found outside its expected place (12.10.7). Applications
    /// must never persist track data, card codes or PIN blocks after authorization.
    pub SAD_IN_OBJECTS {
        id: "DATA-003",
        name: "sensitive-authentication-data-in-objects",
        severity: Critical,
        applies: All,
        reads: [any],
        on_partial_input: FailuresStand,
        locality: Object,
        requirements: [
            ("3.3.1", "3.3.1.b", "an object holding track data, a card code or a PIN block is sensitive authentication data stored after authorization, in etcd and every copy of the object"),
            ("3.3.1.1", "3.3.1.1", "track data (PAN, separator, expiry and service code) found in an object is full track contents kept in storage"),
            ("3.3.1.2", "3.3.1.2", "a card verification code next to a PAN in an object is the code kept in storage"),
            ("3.3.1.3", "3.3.1.3", "a PIN block in an object is a PIN block kept in storage"),
            ("3.3.2", "3.3.2", "sensitive authentication data in an object is stored in readable form; kept before authorization it would have to be encrypted with strong cryptography"),
        ],
        run: run,
    }
}

/// Labels of the card verification code (lower case, without separators).
const CODE_LABELS: &[&str] = &["cvv", "cvc", "cvv2", "cvc2", "cid", "csc", "securitycode", "cardverificationcode"];
/// How far from a PAN a labelled card code counts as next to it.
const NEAR: usize = 40;

/// One piece of sensitive authentication data found in a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sad {
    Track(u8, String),
    Code(Option<String>),
    PinBlock,
}

impl Sad {
    fn describe(&self) -> String {
        match self {
            Sad::Track(n, pan) => format!("track {n} data for {pan}"),
            Sad::Code(Some(pan)) => format!("card verification code next to {pan}"),
            Sad::Code(None) => "card verification code in an object holding a PAN".into(),
            Sad::PinBlock => "PIN block".into(),
        }
    }
}

fn masked(m: &PanMatch) -> String {
    format!("{} {}", m.brand.name(), m.masked(MaskMode::First6Last4))
}

fn digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// The track separator and what follows a PAN: track 2 (`=YYMMSSS`) or track 1 (`^NAME^YYMMSSS`).
fn track_after(rest: &[u8]) -> Option<u8> {
    match rest.first()? {
        b'=' if digits(&rest[1..]) >= 7 => Some(2),
        b'^' => {
            let name_len = rest[1..].iter().take(27).position(|&c| c == b'^')?;
            (name_len >= 2 && digits(&rest[name_len + 2..]) >= 7).then_some(1)
        }
        _ => None,
    }
}

/// Lower-cased ASCII letters and digits of `b` (separators dropped), for label matching.
fn squash(b: &[u8]) -> Vec<u8> {
    b.iter().filter(|c| c.is_ascii_alphanumeric()).map(u8::to_ascii_lowercase).collect()
}

/// Whether `window` holds one of `labels` (a whole word) followed, after separators, by what
/// `value` accepts (a card code, a PIN block). `labels` are lower case; the window is compared case-insensitively in place (every field
/// of every object is searched, so no lower-cased copy is made).
fn labelled(window: &[u8], labels: &[&str], value: fn(&[u8]) -> bool) -> bool {
    labels.iter().any(|label| {
        let l = label.as_bytes();
        window.windows(l.len()).enumerate().any(|(at, w)| {
            if w[0].to_ascii_lowercase() != l[0] || !w.eq_ignore_ascii_case(l) || (at > 0 && window[at - 1].is_ascii_alphanumeric()) {
                return false;
            }
            // Separators, digits and hex digits read the same in either case.
            let after = &window[at + l.len()..];
            let skip = after.iter().take_while(|c| matches!(c, b' ' | b':' | b'=' | b'"' | b'\'' | b'_' | b'-')).count();
            // A separator is required so that `cvv2` is not read as `cvv` followed by a digit.
            skip > 0 && value(&after[skip..])
        })
    })
}

fn card_code(b: &[u8]) -> bool {
    let n = digits(b);
    (3..=4).contains(&n) && !b.get(n).is_some_and(u8::is_ascii_alphanumeric)
}

fn pin_block(b: &[u8]) -> bool {
    let n = b.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    n == 16 && !b.get(n).is_some_and(u8::is_ascii_alphanumeric)
}

/// The key a path ends with (`data[cvv2]` → `cvv2`, `spec.card.cvc` → `cvc`).
fn key_of(path: &str) -> &str {
    let p = path.strip_suffix(']').unwrap_or(path);
    p.rsplit(['[', '.']).next().unwrap_or(p)
}

/// The sensitive authentication data in one object, with the path of each field (the
/// objects of a focused run; a whole run reads the shared walk, `Context::sensitive_auth_data`).
fn find(o: &kubepci_model::Object) -> Vec<(String, Sad)> {
    let mut finder = SadFinder::default();
    let mut pans = Vec::new();
    visit_text_fields(o, &mut |bytes, path| {
        pans.clear();
        pans.extend(find_pans(bytes));
        finder.field(bytes, path, &pans);
    });
    finder.finish()
}

/// Sensitive authentication data of one object, fed its text fields one at a time together
/// with the card numbers already found in each, so that the walk that finds the card numbers
/// (`Context::card_numbers`) finds this too, without searching every field a second time.
#[derive(Default)]
pub(crate) struct SadFinder {
    found: Vec<(String, Sad)>,
    has_pan: bool,
    /// Fields whose whole value looks like a card code, kept until we know the object has a PAN.
    bare_codes: Vec<String>,
}

impl SadFinder {
    /// One field: its bytes, its path (built only on a hit) and `pans`, every card number
    /// `find_pans` finds in `bytes`.
    pub(crate) fn field(&mut self, bytes: &[u8], path: &dyn Fn() -> String, pans: &[PanMatch]) {
        let trimmed = bytes.trim_ascii();
        // Track 1 starts `%B` right before the PAN, which the PAN finder takes for part of a
        // word: search a copy with the format code blanked (offsets are unchanged).
        let marked: Vec<PanMatch>;
        let pans = if bytes.windows(2).any(|w| w[0] == b'%' && w[1] == b'B') {
            let mut copy = bytes.to_vec();
            for i in 1..copy.len() {
                if copy[i - 1] == b'%' && copy[i] == b'B' {
                    copy[i] = b' ';
                }
            }
            marked = find_pans(&copy).collect();
            &marked[..]
        } else {
            pans
        };
        for m in pans.iter().filter(|m| !m.is_test) {
            self.has_pan = true;
            if let Some(n) = track_after(&bytes[m.end..]) {
                self.found.push((path(), Sad::Track(n, masked(m))));
                continue;
            }
            let around = &bytes[m.start.saturating_sub(NEAR)..(m.end + NEAR).min(bytes.len())];
            if labelled(around, CODE_LABELS, card_code) {
                self.found.push((path(), Sad::Code(Some(masked(m)))));
            }
        }
        if labelled(bytes, &["pinblock", "pin block", "pin_block", "pin-block"], pin_block) {
            self.found.push((path(), Sad::PinBlock));
        } else if pin_block(trimmed) || card_code(trimmed) && trimmed.len() <= 4 {
            let p = path();
            let key = squash(key_of(&p).as_bytes());
            if pin_block(trimmed) && key.ends_with(b"pinblock") {
                self.found.push((p, Sad::PinBlock));
            } else if card_code(trimmed) && CODE_LABELS.iter().any(|l| key == l.as_bytes()) {
                self.bare_codes.push(p);
            }
        }
    }

    /// What the object's fields hold, in field order (bare card codes last).
    pub(crate) fn finish(mut self) -> Vec<(String, Sad)> {
        if self.has_pan {
            self.found.extend(self.bare_codes.into_iter().map(|p| (p, Sad::Code(None))));
        }
        self.found
    }
}

fn run(cx: &Context, e: &mut Emitter) {
    if e.focus().is_some() {
        // A few objects: searched here, rather than every object through the shared walk.
        for index in crate::support::each::object_indices(e) {
            report(e, index, &find(&cx.inv.objects[index]));
        }
        return;
    }
    let found = cx.sensitive_auth_data();
    for index in crate::support::each::object_indices(e) {
        let here = found.binary_search_by_key(&index, |s| s.object).map_or(&[][..], |at| &found[at].found[..]);
        report(e, index, here);
    }
}

fn report(e: &mut Emitter, index: usize, found: &[(String, Sad)]) {
    if found.is_empty() {
        e.pass(index);
        return;
    }
    let what = match found.len() {
        1 => "1 piece of sensitive authentication data at ".to_string(),
        n => format!("{n} pieces of sensitive authentication data at "),
    };
    e.fail_listing(index, &what, found, |(p, sad)| format!("{p} ({})", sad.describe()), |(p, sad)| Evidence::field(p.clone(), sad.describe()), "`kubepci pan scan` on the source file lists the card numbers");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm(data: &str) -> String {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm, namespace: shop}}\ndata:\n{data}")
    }

    fn sad(data: &str) -> Vec<String> {
        let out = crate::testing::run(&SAD_IN_OBJECTS, &cm(data), "");
        out.findings.iter().flat_map(|f| f.evidence.iter().map(|ev| format!("{} {:?} {}", ev.path, ev.value, f.message))).collect()
    }

    #[test]
    fn tracks_codes_and_pin_blocks_are_found_and_never_shown() {
        let track1 = sad("  t1: \"%B4539148803436467^DOE/JANE^2512101000000000?\"\n");
        assert_eq!(track1.len(), 1, "{track1:?}");
        assert!(track1[0].contains("track 1") && !track1[0].contains("4539148803436467"), "{track1:?}");
        let track2 = sad("  t2: \";4539148803436467=25121010000012300000?\"\n");
        assert!(track2[0].contains("track 2"), "{track2:?}");
        let inline = sad("  auth: \"pan=4539148803436467 exp=12/25 cvv2: 987\"\n");
        assert!(inline[0].contains("verification code") && !inline[0].contains("987"), "{inline:?}");
        let pin = sad("  msg: \"pinBlock=0412AC89ABCDEF67\"\n");
        assert!(pin[0].contains("PIN block") && !pin[0].contains("0412AC"), "{pin:?}");
        assert_eq!(sad("  note: \"cid=1234 for order 4539148803436467\"\n").len(), 1);
        let keyed = sad("  pin_block: \"0412AC89ABCDEF67\"\n");
        assert_eq!(keyed.len(), 1, "{keyed:?}");
    }

    #[test]
    fn the_shared_walk_finds_what_each_object_searched_alone_holds() {
        let data = concat!(
            "  t1: \"%B4539148803436467^DOE/JANE^2512101000000000?\"\n",
            "  t2: \";4539148803436467=25121010000012300000?\"\n",
            "  auth: \"pan=4539148803436467 exp=12/25 cvv2: 987 test 4111111111111111\"\n",
            "  cvc: \"123\"\n",
            "  pin_block: \"0412AC89ABCDEF67\"\n",
        );
        let yaml = format!("{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: pin, namespace: shop}}\ndata: {{m: 'pinBlock=0412AC89ABCDEF67'}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: clean, namespace: shop}}\ndata: {{m: 'nothing here'}}\n", cm(data));
        let inv = crate::testing::load("t.yaml", &yaml, "");
        let cx = Context::new(&inv, crate::InputKind::Manifests);
        let alone: Vec<(usize, Vec<(String, Sad)>)> = inv.objects.iter().enumerate().map(|(i, o)| (i, find(o))).filter(|(_, f)| !f.is_empty()).collect();
        let shared: Vec<(usize, Vec<(String, Sad)>)> = cx.sensitive_auth_data().iter().map(|s| (s.object, s.found.clone())).collect();
        assert_eq!(shared, alone);
        assert_eq!(alone.iter().map(|(i, f)| (*i, f.len())).collect::<Vec<_>>(), [(0, 5), (1, 1)], "{alone:?}");
        // The same walk's card numbers are those the card checks search each object for alone.
        let json = |v: &Vec<(bool, Evidence)>| serde_json::to_value(v).unwrap();
        let numbers: Vec<_> = cx.card_numbers().iter().map(|c| (c.object, json(&c.found))).collect();
        let expected: Vec<_> = inv.objects.iter().map(crate::analyses::card_numbers_of).enumerate().filter(|(_, f)| !f.is_empty()).map(|(i, f)| (i, json(&f))).collect();
        assert_eq!(numbers, expected);
        assert_eq!(numbers.len(), 1, "only the first object holds card numbers");
    }

    #[test]
    fn a_bare_code_counts_only_next_to_a_pan() {
        assert!(sad("  cvv: \"123\"\n").is_empty());
        let with_pan = sad("  cvv: \"123\"\n  pan: \"4539148803436467\"\n");
        assert_eq!(with_pan.len(), 1, "{with_pan:?}");
        assert!(!with_pan[0].contains("123"), "{with_pan:?}");
    }

    #[test]
    fn labels_are_found_in_any_case_and_only_as_whole_words() {
        assert!(labelled(b"pan 4539148803436467 CVV2: 987", CODE_LABELS, card_code));
        assert!(labelled(b"x PIN-BLOCK=0412ac89abcdef67", &["pin-block"], pin_block));
        assert!(labelled(b"Cvc=123", CODE_LABELS, card_code));
        assert!(!labelled(b"xcvc=123", CODE_LABELS, card_code), "part of a longer word");
        assert!(!labelled(b"cvc123", CODE_LABELS, card_code), "no separator");
        assert!(!labelled(b"cv", CODE_LABELS, card_code), "shorter than every label");
    }

    #[test]
    fn look_alikes_pass() {
        // A PAN alone is DATA-001's; test cards, a long number after `=`, flags and hashes are not SAD.
        assert!(sad("  pan: \"4539148803436467\"\n").is_empty());
        assert!(sad("  t: \";4111111111111111=25121010000012300000?\"\n").is_empty());
        assert!(sad("  cvvRequired: \"true\"\n  cvc: \"12345\"\n  pan: \"4539148803436467\"\n").is_empty());
        assert!(sad("  sha: \"0412ac89abcdef670412ac89abcdef67\"\n").is_empty());
        assert!(sad("  q: \"4539148803436467=12\"\n").is_empty());
    }
}
