//! Throughput and accuracy of the PAN detector on a generated corpus (see `gen`).
//!
//! ```text
//! cargo run --release -p kubepci-pan --example pan_bench -- FILE [--truth FILE.tsv] [--second FILE2] [--runs 3]
//! ```
//!
//! Prints `key=value` lines:
//! * `detector`: `find_pans` over the file held in memory, one thread, best of `--runs`;
//! * `accuracy` (with `--truth`): true/false positives and negatives, precision, recall;
//!   a hit counts when its digits equal a truth PAN on the same line (as in
//!   `pan_presidio.py`); up to 10 misses of each kind are listed, masked;
//! * `stream-1t`: the file scanner (`scan_paths`, 1 MiB chunks, line/column tracking) on
//!   FILE with one thread;
//! * with `--second`: `stream-1t-2files` and `stream-2t-2files`, both files with one and
//!   with two threads.
//!
//! Timings include no file reading for `detector` (also reported as MB per CPU-second of
//! the thread, which a busy machine disturbs less); the stream numbers read from the page
//! cache (run once first to warm it). Wall times are the best of `--runs`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use kubepci_pan::find_pans;
use kubepci_pan::scan::{ScanOptions, scan_paths};

/// CPU time of the calling thread (Linux), less disturbed than wall time on a busy machine.
fn thread_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

fn mb_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs
}

fn mask(d: &str) -> String {
    let n = d.len();
    d.char_indices()
        .map(|(i, c)| if i < 6 || i + 4 >= n { c } else { '*' })
        .collect()
}

fn main() -> std::io::Result<()> {
    let mut file = None;
    let mut truth = None;
    let mut second = None;
    let mut runs = 3;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--truth" => truth = args.next(),
            "--second" => second = args.next(),
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(3),
            _ if file.is_none() => file = Some(a),
            _ => panic!("usage: bench FILE [--truth TSV] [--second FILE2] [--runs N]"),
        }
    }
    let file = file.expect("FILE");
    let data = std::fs::read(&file)?;
    let bytes = data.len() as u64;

    // Detector alone, in memory.
    let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
    let mut count = 0;
    for _ in 0..runs {
        let (t, c) = (Instant::now(), thread_cpu_secs());
        count = find_pans(&data).count();
        best = best.min(t.elapsed().as_secs_f64());
        if let (Some(c0), Some(c1)) = (c, thread_cpu_secs()) {
            best_cpu = best_cpu.min(c1 - c0);
        }
    }
    println!(
        "detector bytes={bytes} matches={count} seconds={best:.3} MB/s={:.0} cpu_MB/s={:.0}",
        mb_s(bytes, best),
        mb_s(bytes, best_cpu)
    );

    if let Some(truth) = truth {
        let mut expected: HashMap<(u64, String), i64> = HashMap::new();
        for row in std::fs::read_to_string(&truth)?.lines() {
            let mut parts = row.split('\t');
            if let (Some(l), Some(d)) = (parts.next(), parts.next()) {
                *expected
                    .entry((l.parse().unwrap_or(0), d.to_string()))
                    .or_default() += 1;
            }
        }
        let mut found: HashMap<(u64, String), i64> = HashMap::new();
        let (mut line, mut counted) = (1u64, 0usize);
        for m in find_pans(&data) {
            line += memchr::memchr_iter(b'\n', &data[counted..m.start]).count() as u64;
            counted = m.start;
            let digits: String = data[m.start..m.end]
                .iter()
                .filter(|b| b.is_ascii_digit())
                .map(|&b| char::from(b))
                .collect();
            *found.entry((line, digits)).or_default() += 1;
        }
        let (mut tp, mut fp, mut fn_) = (0i64, 0i64, 0i64);
        let mut fps = Vec::new();
        let mut fns = Vec::new();
        for (k, &n) in &found {
            let e = expected.get(k).copied().unwrap_or(0);
            tp += n.min(e);
            if n > e {
                fp += n - e;
                fps.push(k.clone());
            }
        }
        for (k, &e) in &expected {
            let n = found.get(k).copied().unwrap_or(0);
            if e > n {
                fn_ += e - n;
                fns.push(k.clone());
            }
        }
        let precision = if tp + fp > 0 {
            tp as f64 / (tp + fp) as f64
        } else {
            0.0
        };
        let recall = if tp + fn_ > 0 {
            tp as f64 / (tp + fn_) as f64
        } else {
            0.0
        };
        println!("accuracy tp={tp} fp={fp} fn={fn_} precision={precision:.5} recall={recall:.5}");
        fps.sort();
        fns.sort();
        for (l, d) in fps.iter().take(10) {
            println!("  FP line={l} digits={}", mask(d));
        }
        for (l, d) in fns.iter().take(10) {
            println!("  FN line={l} digits={}", mask(d));
        }
    }

    let stream = |paths: &[PathBuf], threads: usize| {
        let opts = ScanOptions {
            threads: Some(threads),
            ..ScanOptions::default()
        };
        let mut best = f64::MAX;
        let mut report = None;
        for _ in 0..runs {
            let t = Instant::now();
            let r = scan_paths(paths, &opts);
            best = best.min(t.elapsed().as_secs_f64());
            report = Some(r);
        }
        let r = report.unwrap_or_default();
        (r.summary.bytes_scanned, r.summary.findings, best)
    };
    let one = [PathBuf::from(&file)];
    let (b, n, s) = stream(&one, 1);
    println!(
        "stream-1t bytes={b} findings={n} seconds={s:.3} MB/s={:.0}",
        mb_s(b, s)
    );
    if let Some(second) = second {
        let two = [PathBuf::from(&file), PathBuf::from(second)];
        let (b, n, s1) = stream(&two, 1);
        println!(
            "stream-1t-2files bytes={b} findings={n} seconds={s1:.3} MB/s={:.0}",
            mb_s(b, s1)
        );
        let (b, n, s2) = stream(&two, 2);
        println!(
            "stream-2t-2files bytes={b} findings={n} seconds={s2:.3} MB/s={:.0} speedup={:.2}",
            mb_s(b, s2),
            s1 / s2
        );
    }
    Ok(())
}
