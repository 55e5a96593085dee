//! `kubepci-vulns-gen REPORTS VULNERABILITIES OUT_DIR`: a deterministic vulnerability corpus
//! for the `--vulns` benchmark: `OUT_DIR/cluster.json` (namespaces, two of them CDE, and one
//! running Pod per scanned image; half the Pods report the image digest in their status, the
//! rest are matched by repository and tag) and `OUT_DIR/reports/` with REPORTS scanner reports
//! (three Trivy JSON for every Grype JSON) holding VULNERABILITIES entries in all.

use std::fmt::Write as _;
use std::io::Write;

use kubepci_bench::Rng;

const SEVERITIES: &[&str] = &["CRITICAL", "HIGH", "HIGH", "MEDIUM", "MEDIUM", "MEDIUM", "LOW", "LOW", "UNKNOWN"];
const PACKAGES: &[&str] = &["openssl", "libssl3", "zlib1g", "libxml2", "libcurl4", "glibc", "busybox", "libexpat1", "perl-base", "golang.org/x/net", "jackson-databind", "log4j-core"];

fn digest(rng: &mut Rng) -> String {
    let mut s = String::from("sha256:");
    for _ in 0..4 {
        let _ = write!(s, "{:016x}", rng.next_u64());
    }
    s
}

fn date(rng: &mut Rng) -> String {
    format!("2026-{:02}-{:02}T{:02}:00:00Z", rng.range(1, 11), rng.range(1, 28), rng.range(0, 23))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: kubepci-vulns-gen REPORTS VULNERABILITIES OUT_DIR");
        std::process::exit(2);
    }
    let (Ok(reports), Ok(total)) = (args[1].parse::<usize>(), args[2].parse::<usize>()) else {
        eprintln!("REPORTS and VULNERABILITIES must be numbers");
        std::process::exit(2);
    };
    let out = std::path::Path::new(&args[3]);
    let dir = out.join("reports");
    std::fs::create_dir_all(&dir).expect("create output directory");
    let mut rng = Rng::new(16);
    let namespaces = 20;
    let mut items = Vec::new();
    for n in 0..namespaces {
        let scope = if n < 2 { "cde" } else if n < 5 { "connected" } else { "out" };
        items.push(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("ns-{n}"), "labels": {"pci.kubepci.io/scope": scope}}}));
    }
    let mut written = 0usize;
    let mut bytes = 0usize;
    for r in 0..reports {
        let repo = format!("registry.bench.example/team-{}/svc-{r}", r % 50);
        let tag = format!("{}.{}.{}", rng.range(1, 9), rng.range(0, 30), rng.range(0, 99));
        let image_digest = digest(&mut rng);
        let ns = format!("ns-{}", r % namespaces);
        let mut status = serde_json::json!({"phase": "Running"});
        if r % 2 == 0 {
            status["containerStatuses"] = serde_json::json!([{"name": "app", "image": format!("{repo}:{tag}"), "imageID": format!("{repo}@{image_digest}"), "ready": true, "restartCount": 0}]);
        }
        items.push(serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("svc-{r}-0"), "namespace": ns}, "spec": {"containers": [{"name": "app", "image": format!("{repo}:{tag}")}]}, "status": status}));
        // Spread the entries evenly, the remainder over the first reports.
        let count = total / reports + usize::from(r < total % reports);
        let mut doc = String::with_capacity(count * 320 + 1024);
        if r % 4 == 3 {
            doc.push_str("{\"matches\":[");
            for v in 0..count {
                let fixed = rng.chance(60);
                let fix = if fixed { format!("{{\"versions\":[\"{}.{}\"],\"state\":\"fixed\",\"available\":[{{\"version\":\"{}.{}\",\"date\":\"{}\"}}]}}", v % 9, v % 7, v % 9, v % 7, &date(&mut rng)[..10]) } else { "{\"versions\":[],\"state\":\"not-fixed\"}".to_string() };
                let _ = write!(doc, "{}{{\"vulnerability\":{{\"id\":\"CVE-2026-{:05}\",\"severity\":\"{}\",\"fix\":{fix}}},\"artifact\":{{\"name\":\"{}\",\"version\":\"1.{v}.0\",\"type\":\"deb\"}}}}", if v > 0 { "," } else { "" }, rng.below(99_999), rng.pick(SEVERITIES), rng.pick(PACKAGES));
            }
            let _ = write!(doc, "],\"source\":{{\"type\":\"image\",\"target\":{{\"userInput\":\"{repo}:{tag}\",\"repoDigests\":[\"{repo}@{image_digest}\"],\"tags\":[\"{repo}:{tag}\"]}}}},\"distro\":{{\"name\":\"debian\",\"version\":\"12\"}},\"descriptor\":{{\"name\":\"grype\",\"version\":\"0.86.1\",\"timestamp\":\"{}\"}}}}", date(&mut rng));
        } else {
            let _ = write!(doc, "{{\"SchemaVersion\":2,\"CreatedAt\":\"{}\",\"ArtifactName\":\"{repo}:{tag}\",\"Metadata\":{{\"OS\":{{\"Family\":\"debian\",\"Name\":\"12.{}\"}},\"RepoDigests\":[\"{repo}@{image_digest}\"]}},\"Results\":[{{\"Target\":\"os\",\"Class\":\"os-pkgs\",\"Vulnerabilities\":[", date(&mut rng), rng.range(0, 9));
            for v in 0..count {
                let fixed = if rng.chance(60) { format!("\"FixedVersion\":\"{}.{}\",", v % 9, v % 7) } else { String::new() };
                let _ = write!(doc, "{}{{\"VulnerabilityID\":\"CVE-2026-{:05}\",\"PkgName\":\"{}\",\"InstalledVersion\":\"1.{v}.0\",{fixed}\"Status\":\"fixed\",\"Severity\":\"{}\",\"PublishedDate\":\"{}\",\"Title\":\"a vulnerability in a package used for benchmarks\"}}", if v > 0 { "," } else { "" }, rng.below(99_999), rng.pick(PACKAGES), rng.pick(SEVERITIES), date(&mut rng));
            }
            doc.push_str("]}]}");
        }
        written += count;
        bytes += doc.len();
        std::fs::write(dir.join(format!("{r:05}.json")), doc).expect("write report");
    }
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let mut f = std::io::BufWriter::new(std::fs::File::create(out.join("cluster.json")).expect("create cluster.json"));
    serde_json::to_writer(&mut f, &list).expect("write json");
    f.flush().expect("flush");
    eprintln!("{reports} reports with {written} vulnerabilities ({:.0} MB) and {} cluster objects in {}", bytes as f64 / 1e6, items.len(), out.display());
}
