//! `kubepci-gen-audit SIZE OUT [SEED]`: a deterministic Kubernetes API audit log (JSON Lines,
//! `audit.k8s.io/v1`) of about SIZE bytes (`200MB`, `1GB`, or a number), with the mix a real
//! cluster writes: controllers' and kubelets' list/watch/get/update noise and lease renewals
//! (most of the volume, two stages each), people and CI working with deployments and pods,
//! workloads reading their Secrets, bursts of 403s from a public address, people reading
//! Secrets, exec sessions into CDE pods, and pod creations (some privileged) with their request
//! objects. Prints what it wrote by category, so a benchmark knows what to expect.

use std::io::{BufWriter, Write};

use kubepci_bench::audit_log::generate;

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_uppercase();
    let (num, mult) = if let Some(n) = s.strip_suffix("GB") {
        (n, 1_000_000_000)
    } else if let Some(n) = s.strip_suffix("MB") {
        (n, 1_000_000)
    } else if let Some(n) = s.strip_suffix("KB") {
        (n, 1_000)
    } else {
        (s.as_str(), 1)
    };
    num.parse::<f64>().ok().map(|n| (n * mult as f64) as u64)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(size), Some(out)) = (args.get(1).and_then(|s| parse_size(s)), args.get(2)) else {
        eprintln!("usage: kubepci-gen-audit SIZE (200MB, 1GB, bytes) OUT [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(7);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out).expect("create output"));
    let (lines, written, counts) = generate(size, seed, |line| {
        w.write_all(line.as_bytes()).expect("write");
        w.write_all(b"\n").expect("write");
    });
    w.flush().expect("flush");
    eprintln!(
        "{lines} events, {:.1} MB in {out}: batches of system noise {}, people {}, workload secret reads {}, 403 bursts {}, people's secret reads {}, exec {}, pod creations {} ({} privileged)",
        written as f64 / 1e6, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7]
    );
}
