//! `kubepci-gen SIZE OUT_DIR`: write a deterministic corpus (S ≈ 500, M ≈ 10k, L ≈ 100k
//! objects, or a number; XL ≈ 1,000,000 objects in the shape of a cluster at Kubernetes'
//! tested limits, or `XL<number>` for that shape at another size) as
//! `OUT_DIR/yaml/<namespace>.yaml` files and `OUT_DIR/cluster.json` (one `kind: List`, as
//! `kubectl get -A -o json` writes it).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: kubepci-gen S|M|L|XL|<objects>|XL<objects> OUT_DIR");
        std::process::exit(2);
    }
    let size = args[1].as_str();
    let parse = |n: &str| {
        n.parse().unwrap_or_else(|_| {
            eprintln!("size must be S, M, L, XL, a number or XL followed by a number");
            std::process::exit(2)
        })
    };
    let out = Path::new(&args[2]);
    std::fs::create_dir_all(out.join("yaml")).expect("create output directory");
    match size {
        "S" => write_in_memory(500, out),
        "M" => write_in_memory(10_000, out),
        "L" => write_in_memory(100_000, out),
        "XL" => write_streaming(1_000_000, out),
        n => match n.strip_prefix("XL") {
            Some(n) => write_streaming(parse(n), out),
            None => write_in_memory(parse(n), out),
        },
    }
}

/// The S/M/L shape, built in memory and written in one go (the form their published numbers
/// were measured on; keep it byte-identical).
fn write_in_memory(objects: usize, out: &Path) {
    let yaml_dir = out.join("yaml");
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut items = Vec::new();
    let mut count = 0usize;
    kubepci_bench::generate(objects, 42, |ns, obj| {
        let doc = files.entry(ns.to_string()).or_default();
        doc.extend_from_slice(b"---\n");
        doc.extend_from_slice(yaml_serde::to_string(&obj).expect("yaml").as_bytes());
        items.push(obj);
        count += 1;
    });
    for (ns, bytes) in &files {
        std::fs::write(yaml_dir.join(format!("{ns}.yaml")), bytes).expect("write yaml");
    }
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items});
    let mut f = BufWriter::new(File::create(out.join("cluster.json")).expect("create json"));
    serde_json::to_writer_pretty(&mut f, &list).expect("write json");
    f.flush().expect("flush");
    let yaml_bytes: usize = files.values().map(Vec::len).sum();
    eprintln!("{count} objects: {} YAML files ({:.1} MB) and cluster.json in {}", files.len(), yaml_bytes as f64 / 1e6, out.display());
}

/// The XL shape, written object by object (a million objects do not fit in memory as JSON
/// values): one YAML file per namespace, opened when its first object comes (the generator
/// emits each namespace's objects together), and the JSON List's items one after another.
fn write_streaming(objects: usize, out: &Path) {
    let yaml_dir = out.join("yaml");
    let mut json = BufWriter::new(File::create(out.join("cluster.json")).expect("create json"));
    json.write_all(b"{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"metadata\": {\n    \"resourceVersion\": \"\"\n  },\n  \"items\": [\n").expect("write json");
    let mut yaml: Option<(String, BufWriter<File>)> = None;
    let (mut count, mut files, mut yaml_bytes) = (0usize, 0usize, 0usize);
    kubepci_bench::generate_xl(objects, 42, |key, obj| {
        if yaml.as_ref().is_none_or(|(open, _)| open != key) {
            if let Some((_, mut f)) = yaml.take() {
                f.flush().expect("flush yaml");
            }
            files += 1;
            yaml = Some((key.to_string(), BufWriter::new(File::create(yaml_dir.join(format!("{key}.yaml"))).expect("create yaml"))));
        }
        let text = yaml_serde::to_string(&obj).expect("yaml");
        yaml_bytes += text.len() + 4;
        let (_, f) = yaml.as_mut().expect("open yaml file");
        f.write_all(b"---\n").and_then(|()| f.write_all(text.as_bytes())).expect("write yaml");
        if count > 0 {
            json.write_all(b",\n").expect("write json");
        }
        serde_json::to_writer_pretty(&mut json, &obj).expect("write json");
        count += 1;
    });
    if let Some((_, mut f)) = yaml.take() {
        f.flush().expect("flush yaml");
    }
    json.write_all(b"\n  ]\n}\n").and_then(|()| json.flush()).expect("finish json");
    eprintln!("{count} objects: {files} YAML files ({:.1} MB) and cluster.json in {}", yaml_bytes as f64 / 1e6, out.display());
}
