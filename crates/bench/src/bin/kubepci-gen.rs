//! `kubepci-gen SIZE OUT_DIR`: write a deterministic corpus (S ≈ 500, M ≈ 10k, L ≈ 100k
//! objects, or a number) as `OUT_DIR/yaml/<namespace>.yaml` files and `OUT_DIR/cluster.json`
//! (one `kind: List`, as `kubectl get -A -o json` writes it).

use std::collections::BTreeMap;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: kubepci-gen S|M|L|<objects> OUT_DIR");
        std::process::exit(2);
    }
    let objects = match args[1].as_str() {
        "S" => 500,
        "M" => 10_000,
        "L" => 100_000,
        n => n.parse().unwrap_or_else(|_| {
            eprintln!("size must be S, M, L or a number");
            std::process::exit(2)
        }),
    };
    let out = std::path::Path::new(&args[2]);
    let yaml_dir = out.join("yaml");
    std::fs::create_dir_all(&yaml_dir).expect("create output directory");
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
    let mut f = std::io::BufWriter::new(std::fs::File::create(out.join("cluster.json")).expect("create json"));
    serde_json::to_writer_pretty(&mut f, &list).expect("write json");
    f.flush().expect("flush");
    let yaml_bytes: usize = files.values().map(Vec::len).sum();
    eprintln!("{count} objects: {} YAML files ({:.1} MB) and cluster.json in {}", files.len(), yaml_bytes as f64 / 1e6, out.display());
}
