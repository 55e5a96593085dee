//! Deterministic generator of log-like text with known card numbers and many decoys.
//!
//! ```text
//! cargo run --release -p kubepci-pan --example gen -- --size 200MB --out /tmp/pan.log \
//!     --truth /tmp/pan.truth.tsv [--seed 1] [--pan-every 100]
//! ```
//!
//! Writes FILE (log lines: key=value app logs, access logs, JSON logs, Kubernetes events,
//! and decoy lines) and a truth TSV with one row per true PAN: 1-based line, tab, digits
//! (the format `../shared/bench/pan_presidio.py --truth` reads). About one line in
//! `--pan-every` carries a PAN, in every brand and layout; a few are public test numbers.
//!
//! Decoys that must NOT be reported: epoch seconds/ms/µs/ns, ISO and compact timestamps,
//! phone numbers (E.164 with `+`, national formats), UUIDs (also all-digit ones), IPv4/IPv6,
//! order ids, IBANs, amounts, version strings, hex ids, random 13–19 digit numbers that
//! fail Luhn or have no brand, and valid PANs made invalid by their surroundings: glued to
//! letters, inside a longer digit run, after `+`, inside a decimal, followed by another
//! dash group, or inside a longer run of four-digit groups.
//!
//! The generator has its own Luhn and brand rules (independent of the crate), and it
//! rejects any random decoy number that would happen to be a valid PAN.

use std::fs::File;
use std::io::{BufWriter, Write};

use kubepci_bench::Rng;

/// Between `lo` and `hi` random digits.
fn digits_len(rng: &mut Rng, lo: u64, hi: u64) -> String {
    let n = rng.range(lo, hi) as usize;
    rng.digits(n)
}

// ---- independent card rules (the generator's oracle) ----

fn luhn_sum_ok(d: &str) -> bool {
    let mut sum = 0;
    for (i, c) in d.bytes().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

fn with_check_digit(payload: &str) -> String {
    for c in b'0'..=b'9' {
        let s = format!("{payload}{}", char::from(c));
        if luhn_sum_ok(&s) {
            return s;
        }
    }
    unreachable!("one of ten check digits always works")
}

fn num(d: &str, n: usize) -> u32 {
    d[..n].parse().unwrap_or(0)
}

/// Would the crate's rules accept these digits as a PAN (Luhn + brand prefix and length)?
fn is_valid_pan(d: &str) -> bool {
    let len = d.len();
    if !(13..=19).contains(&len) || !d.bytes().all(|b| b.is_ascii_digit()) || !luhn_sum_ok(d) {
        return false;
    }
    let (p2, p3, p4, p6) = (num(d, 2), num(d, 3), num(d, 4), num(d, 6));
    if d.starts_with('4') {
        [13, 16, 19].contains(&len)
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        len == 16
    } else if p2 == 34 || p2 == 37 {
        len == 15
    } else if p4 == 6011
        || (644..=649).contains(&p3)
        || p2 == 65
        || (622126..=622925).contains(&p6)
        || (3528..=3589).contains(&p4)
    {
        len >= 16 // Discover, JCB
    } else if (300..=305).contains(&p3) || [36, 38, 39].contains(&p2) {
        len >= 14
    } else if p2 == 62 {
        len >= 16
    } else {
        p2 == 50 || (56..=69).contains(&p2)
    }
}

/// Public test numbers, one per brand and length family (a subset of the crate's list).
const TEST_PANS: &[&str] = &[
    "4111111111111111",
    "4242424242424242",
    "4012888888881881",
    "4222222222222",
    "5555555555554444",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "30569309025904",
    "3566002020360505",
    "6200000000000005",
    "6799990100000000019",
];

/// A random valid PAN: (digits, brand name).
fn random_pan(rng: &mut Rng) -> String {
    if rng.chance(5) {
        return rng.pick(TEST_PANS).to_string();
    }
    let (prefix, len): (String, usize) = match rng.below(100) {
        0..=39 => ("4".into(), *rng.pick(&[16, 16, 16, 16, 16, 16, 13, 19])),
        40..=59 => {
            if rng.chance(70) {
                (rng.range(51, 55).to_string(), 16)
            } else {
                (rng.range(2221, 2720).to_string(), 16)
            }
        }
        60..=69 => (rng.pick(&["34", "37"]).to_string(), 15),
        70..=76 => {
            let p = match rng.below(4) {
                0 => "6011".to_string(),
                1 => rng.range(644, 649).to_string(),
                2 => "65".to_string(),
                _ => rng.range(622126, 622925).to_string(),
            };
            (p, *rng.pick(&[16, 16, 16, 19]))
        }
        77..=82 => (rng.range(3528, 3589).to_string(), *rng.pick(&[16, 16, 19])),
        83..=88 => {
            let p = match rng.below(4) {
                0 => rng.range(300, 305).to_string(),
                1 => "36".into(),
                2 => "38".into(),
                _ => "39".into(),
            };
            (p, *rng.pick(&[14, 14, 16]))
        }
        89..=94 => {
            // UnionPay: 62 outside Discover's 622126–622925.
            let p = format!("62{}", rng.pick(&["0", "1", "3", "4", "5", "8"]));
            (p, *rng.pick(&[16, 16, 19]))
        }
        _ => (
            rng.pick(&["50", "56", "57", "58", "63", "67", "68"])
                .to_string(),
            *rng.pick(&[13, 16, 19]),
        ),
    };
    let payload = format!("{prefix}{}", rng.digits(len - prefix.len() - 1));
    let pan = with_check_digit(&payload);
    debug_assert!(is_valid_pan(&pan));
    pan
}

/// Group `d` by `sizes` with `sep`.
fn grouped(d: &str, sizes: &[usize], sep: char) -> String {
    let mut out = String::new();
    let mut i = 0;
    for (k, &n) in sizes.iter().enumerate() {
        if k > 0 {
            out.push(sep);
        }
        out.push_str(&d[i..i + n]);
        i += n;
    }
    out
}

/// The PAN written in one of the layouts its length allows.
fn render_pan(rng: &mut Rng, d: &str) -> String {
    let sizes: &[usize] = match d.len() {
        13 => &[4, 4, 4, 1],
        14 => &[4, 6, 4],
        15 => &[4, 6, 5],
        16 => &[4, 4, 4, 4],
        19 => &[4, 4, 4, 4, 3],
        _ => &[],
    };
    if sizes.is_empty() || rng.chance(50) {
        return d.to_string();
    }
    grouped(d, sizes, if rng.chance(50) { ' ' } else { '-' })
}

fn timestamp(rng: &mut Rng) -> String {
    format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        rng.range(1, 12),
        rng.range(1, 28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1000)
    )
}

fn ipv4(rng: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        rng.range(1, 254),
        rng.below(256),
        rng.below(256),
        rng.range(1, 254)
    )
}

fn uuid(rng: &mut Rng) -> String {
    format!(
        "{}-{}-4{}-a{}-{}",
        rng.hex(8),
        rng.hex(4),
        rng.hex(3),
        rng.hex(3),
        rng.hex(12)
    )
}

/// A hex id with at least one letter (an all-digit one could be a real PAN).
fn hex_id(rng: &mut Rng, n: usize) -> String {
    let mut h = rng.hex(n);
    if h.bytes().all(|b| b.is_ascii_digit()) {
        h.replace_range(0..1, "f");
    }
    h
}

/// Random digits of length `n` that are NOT a valid PAN.
fn non_pan_digits(rng: &mut Rng, n: usize) -> String {
    loop {
        let d = format!("{}{}", rng.range(1, 9), rng.digits(n - 1));
        if !is_valid_pan(&d) {
            return d;
        }
    }
}

const LEVELS: &[&str] = &["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
const PATHS: &[&str] = &[
    "/api/v1/orders",
    "/api/v1/carts",
    "/healthz",
    "/api/v2/payments",
    "/static/app.js",
    "/metrics",
];
const MSGS: &[&str] = &[
    "request completed",
    "cache miss",
    "retrying upstream call",
    "order placed",
    "session refreshed",
    "payment authorised",
];

fn app_line(rng: &mut Rng) -> String {
    format!(
        "{} {:5} [http-nio-8080-exec-{}] c.e.payments.{} - {} method=GET path={}/{} status={} duration_ms={} bytes={} client={} trace_id={} span_id={} user_id={}",
        timestamp(rng),
        rng.pick(LEVELS),
        rng.range(1, 200),
        rng.pick(&[
            "OrderController",
            "CheckoutService",
            "CardVault",
            "HttpClient"
        ]),
        rng.pick(MSGS),
        rng.pick(PATHS),
        rng.range(1, 99_999_999),
        rng.pick(&[200, 200, 201, 204, 400, 404, 500]),
        rng.below(5000),
        rng.below(2_000_000),
        ipv4(rng),
        hex_id(rng, 32),
        hex_id(rng, 16),
        rng.range(1, 9_999_999),
    )
}

fn access_line(rng: &mut Rng) -> String {
    format!(
        "{} - - [{:02}/Nov/2025:{:02}:{:02}:{:02} +0000] \"GET {}?page={} HTTP/1.1\" {} {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.{}.{} Safari/537.36\" {}.{:03} {}.{:03}",
        ipv4(rng),
        rng.range(1, 28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.pick(PATHS),
        rng.below(100),
        rng.pick(&[200, 200, 304, 404]),
        rng.below(100_000),
        rng.below(9999),
        rng.below(999),
        rng.below(3),
        rng.below(1000),
        rng.below(3),
        rng.below(1000),
    )
}

fn json_line(rng: &mut Rng) -> String {
    let ms = rng.range(1_600_000_000_000, 1_799_999_999_999);
    format!(
        "{{\"ts\":\"{}\",\"ts_ms\":{},\"level\":\"{}\",\"logger\":\"checkout\",\"msg\":\"{}\",\"order_id\":\"ORD-2025-{:09}\",\"amount\":\"{}.{:02}\",\"currency\":\"EUR\",\"customer_id\":{},\"request_id\":\"{}\",\"latency\":0.{}}}",
        timestamp(rng),
        ms,
        rng.pick(&["info", "debug", "warn"]),
        rng.pick(MSGS),
        rng.below(1_000_000_000),
        rng.below(10_000),
        rng.below(100),
        rng.below(10_000_000),
        uuid(rng),
        digits_len(rng, 3, 17),
    )
}

fn k8s_line(rng: &mut Rng) -> String {
    format!(
        "I1128 {:02}:{:02}:{:02}.{:06} {} event.go:{}] \"Event occurred\" object=\"payments/checkout-{}-{}\" kind=\"Pod\" uid=\"{}\" resourceVersion=\"{}\" node=\"ip-{}\" reason=\"Pulled\" message=\"image pulled in {}.{}s (sha256:{})\"",
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1_000_000),
        rng.range(1, 99_999),
        rng.range(100, 400),
        hex_id(rng, 10),
        hex_id(rng, 5),
        uuid(rng),
        rng.range(1_000_000, 999_999_999),
        ipv4(rng).replace('.', "-"),
        rng.below(60),
        rng.below(1000),
        hex_id(rng, 64),
    )
}

/// One decoy: text that looks numeric but holds no reportable PAN.
fn decoy(rng: &mut Rng) -> String {
    let pan = random_pan(rng);
    match rng.below(24) {
        0 => format!("ts_ms={}", rng.range(1_600_000_000_000, 1_799_999_999_999)),
        1 => format!(
            "ts_us={} ts_ns={}",
            rng.range(1_600_000_000_000_000, 1_799_999_999_999_999),
            rng.range(1_600_000_000_000_000_000, 1_799_999_999_999_999_999)
        ),
        2 => format!(
            "compact={}{:02}{:02}{:02}{:02}{:02}{:03}",
            rng.range(2019, 2029),
            rng.range(1, 12),
            rng.range(1, 28),
            rng.below(24),
            rng.below(60),
            rng.below(60),
            rng.below(1000)
        ),
        3 => format!("phone=+{}{}", rng.range(1, 99), digits_len(rng, 9, 13)),
        4 => format!(
            "tel +{} {} {} {}",
            rng.range(1, 49),
            rng.digits(3),
            rng.digits(3),
            rng.digits(4)
        ),
        5 => format!(
            "call ({}) {}-{}",
            rng.digits(3),
            rng.digits(3),
            rng.digits(4)
        ),
        6 => format!(
            "id={}-{}-{}-{}-{}",
            rng.digits(8),
            rng.digits(4),
            rng.digits(4),
            rng.digits(4),
            rng.digits(12)
        ),
        7 => format!(
            "peer=[2001:db8::{}:{}]:{} src={}:{}",
            rng.hex(4),
            rng.hex(4),
            rng.range(1, 65535),
            ipv4(rng),
            rng.range(1, 65535)
        ),
        8 => format!("order_id={}", {
            let n = rng.range(13, 19) as usize;
            non_pan_digits(rng, n)
        }),
        9 => {
            // Luhn failure: a PAN with a wrong check digit, in any layout.
            let mut d = pan.clone();
            let last = d.pop().map_or(0, |c| c as u8 - b'0');
            d.push(char::from(b'0' + (last + 1 + rng.below(9) as u8) % 10));
            format!("ref={}", render_pan(rng, &d))
        }
        10 => {
            // Brand failure: no brand prefix, or the wrong length for one.
            let d = match rng.below(3) {
                0 => with_check_digit(&format!(
                    "{}{}",
                    rng.pick(&["1", "7", "8", "9"]),
                    digits_len(rng, 12, 18)
                )),
                1 => with_check_digit(&format!("4{}", rng.digits(13))), // 15-digit Visa
                _ => with_check_digit(&format!("37{}", rng.digits(13))), // 16-digit Amex
            };
            format!("acct={}", render_pan(rng, &d))
        }
        11 => format!("txn=tx{pan}"),
        12 => format!("sig={pan}{}", rng.pick(&["a", "ab", "deadbeef", "Z"])),
        13 => format!("long={pan}{}", {
            let n = 20usize.saturating_sub(pan.len()).max(1) + rng.below(3) as usize;
            rng.digits(n)
        }),
        14 => format!("ratio=0.{pan} value={pan}.{}", rng.digits(2)),
        15 => format!("dial +{pan}"),
        16 => {
            let d = if pan.len() == 16 {
                pan.clone()
            } else {
                with_check_digit(&format!("4{}", rng.digits(14)))
            };
            format!("ref {}-{}", grouped(&d, &[4, 4, 4, 4], '-'), rng.digits(4))
        }
        17 => {
            let d = if pan.len() == 16 {
                pan.clone()
            } else {
                with_check_digit(&format!(
                    "5{}",
                    rng.range(1, 5).to_string() + &rng.digits(13)
                ))
            };
            format!(
                "seq {} {} {}",
                rng.digits(4),
                grouped(&d, &[4, 4, 4, 4], ' '),
                rng.digits(4)
            )
        }
        18 => format!(
            "iban FR76 {} {} {} {} {} {}",
            rng.digits(4),
            rng.digits(4),
            rng.digits(4),
            rng.digits(4),
            rng.digits(4),
            rng.digits(3)
        ),
        19 => format!(
            "iban DE{} {} {} {} {} {}",
            rng.digits(2),
            rng.digits(4),
            rng.digits(4),
            rng.digits(4),
            rng.digits(4),
            rng.digits(2)
        ),
        20 => format!(
            "amount={}.{:02} version=v{}.{}.{} build {}",
            rng.below(1_000_000),
            rng.below(100),
            rng.below(10),
            rng.below(30),
            rng.below(100),
            rng.digits(12)
        ),
        21 => format!("masked={}******{}", &pan[..6], &pan[pan.len() - 4..]),
        22 => format!("rand={}", {
            let n = rng.range(13, 19) as usize;
            non_pan_digits(rng, n)
        }),
        _ => format!("card_last4={} bin={}", &pan[pan.len() - 4..], &pan[..6]),
    }
}

fn decoy_line(rng: &mut Rng) -> String {
    format!(
        "{} DEBUG decoys - {} {} {}",
        timestamp(rng),
        decoy(rng),
        decoy(rng),
        decoy(rng)
    )
}

/// A line carrying one or two true PANs; returns (line, digits of each).
fn pan_line(rng: &mut Rng) -> (String, Vec<String>) {
    let mut pans = Vec::new();
    let mut ctx = |rng: &mut Rng| {
        let d = random_pan(rng);
        let p = render_pan(rng, &d);
        pans.push(d);
        match rng.below(14) {
            0 => format!("card={p}"),
            1 => format!("\"pan\":\"{p}\""),
            2 => format!(
                "cc_number: {p} exp {:02}/{}",
                rng.range(1, 12),
                rng.range(25, 32)
            ),
            3 => format!(
                "charge card {p} amount={}.{:02} EUR",
                rng.below(1000),
                rng.below(100)
            ),
            4 => format!(
                "{p},John Smith,{:02}/{},cvv={}",
                rng.range(1, 12),
                rng.range(25, 32),
                rng.digits(3)
            ),
            5 => format!(
                "at {:02}:{:02}:{:02} {p} declined",
                rng.below(24),
                rng.below(60),
                rng.below(60)
            ),
            6 => format!("GET /api/v1/cards/{p}/verify"),
            7 => format!("payment failed for card {p}."),
            8 => format!("(card {p})"),
            9 => format!("pan='{p}'"),
            10 => format!("\t{p}\t"),
            11 => format!("qty {} {p} total", rng.range(1, 9)),
            12 => format!("card:{p};"),
            _ => format!("number {p}"),
        }
    };
    let first = ctx(rng);
    let line = match rng.below(4) {
        0 => format!("{} WARN payment-svc - {first}", timestamp(rng)),
        1 => format!(
            "{{\"ts\":\"{}\",\"level\":\"warn\",\"msg\":\"{}\"}}",
            timestamp(rng),
            first.replace('"', "'")
        ),
        2 => {
            let second = ctx(rng);
            format!(
                "{} ERROR card-vault - {first} then {second}",
                timestamp(rng)
            )
        }
        _ => format!("{first} {}", decoy(rng)),
    };
    (line, pans)
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_uppercase();
    let s = s.strip_suffix('B').unwrap_or(&s);
    let (num, mult) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 1_000),
        'M' => (&s[..s.len() - 1], 1_000_000),
        'G' => (&s[..s.len() - 1], 1_000_000_000),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

fn main() -> std::io::Result<()> {
    let mut size = 10_000_000u64;
    let mut out = None;
    let mut truth = None;
    let mut seed = 1u64;
    let mut pan_every = 100u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--size" => size = parse_size(&val()).expect("--size like 200MB"),
            "--out" => out = Some(val()),
            "--truth" => truth = Some(val()),
            "--seed" => seed = val().parse().expect("--seed N"),
            "--pan-every" => pan_every = val().parse().expect("--pan-every N"),
            _ => panic!(
                "usage: gen --size 200MB --out FILE --truth FILE.tsv [--seed N] [--pan-every N]"
            ),
        }
    }
    let out = out.expect("--out FILE");
    let truth = truth.unwrap_or_else(|| format!("{out}.truth.tsv"));
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&out)?);
    let mut t = BufWriter::new(File::create(&truth)?);
    let mut rng = Rng::new(seed);
    let (mut written, mut line_no, mut n_pans) = (0u64, 0u64, 0u64);
    while written < size {
        line_no += 1;
        let line = if rng.below(pan_every) == 0 {
            let (l, pans) = pan_line(&mut rng);
            for d in pans {
                writeln!(t, "{line_no}\t{d}")?;
                n_pans += 1;
            }
            l
        } else {
            match rng.below(100) {
                0..=34 => app_line(&mut rng),
                35..=59 => access_line(&mut rng),
                60..=79 => json_line(&mut rng),
                80..=89 => k8s_line(&mut rng),
                _ => decoy_line(&mut rng),
            }
        };
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")?;
        written += line.len() as u64 + 1;
    }
    w.flush()?;
    t.flush()?;
    eprintln!(
        "wrote {written} bytes, {line_no} lines, {n_pans} true PANs to {out} (truth: {truth})"
    );
    Ok(())
}
