//! The evidence bundle captured before a quarantine changes anything: the pods as the
//! apiserver returns them (spec and status), their owner chain, events, container logs, image
//! digests, the workload's RBAC and reachability, and the plan itself, with a SHA-256 manifest.
//!
//! * Card numbers in every captured text are masked (`kubepci-pan`) unless the responder keeps
//!   them (`keep_card_data`); the bundle then says it holds cardholder data.
//! * Secrets are never read, so no Secret value can be in a bundle.
//! * Files are created owner-only (0600, directories 0700); a bundle never overwrites anything.
//!
//! Layout (inside a directory, or under `kubepci-evidence-<incident>/` in a `.tar.gz`):
//! `manifest.json`, `SHA256SUMS` (for `sha256sum -c`), `plan.json`, `pods/<pod>.json`,
//! `owners/<Kind>-<name>.json`, `events.json`, `images.json`, `logs/<pod>/<container>.log`,
//! `rbac.json`, `reachability.txt`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use kubepci_inventory::Inventory;
use kubepci_netpol::{Options, Reachability};
use kubepci_rbac::{Model, NamespaceFilter, Request, Subject};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cluster::Reader;
use crate::plan::QuarantinePlan;
use crate::target::TargetKind;

/// Log bytes read per container (the apiserver's `limitBytes`): enough for an incident
/// window, bounded so one chatty container cannot fill the disk.
pub const LOG_LIMIT_BYTES: u64 = 50 * 1024 * 1024;

/// The bundle being built: file path → content, before anything is written.
#[derive(Debug, Default)]
pub struct Bundle {
    files: BTreeMap<String, Vec<u8>>,
    /// What could not be captured, and why.
    pub notes: Vec<String>,
    pub keep_card_data: bool,
    /// Card numbers masked (or, with `keep_card_data`, kept) across all files.
    pub card_numbers: usize,
}

/// Who, what and when, for the manifest.
#[derive(Clone, Debug, Default)]
pub struct BundleMeta {
    pub incident: String,
    pub target: String,
    pub reason: Option<String>,
    /// RFC 3339 time of the capture.
    pub captured_at: String,
    pub epoch: i64,
    /// The apiserver URL, or the input the plan was made from.
    pub source: String,
}

impl Bundle {
    pub fn new(keep_card_data: bool) -> Bundle {
        Bundle { keep_card_data, ..Bundle::default() }
    }

    /// Add a JSON document; card numbers in its strings are masked unless kept.
    pub fn add_json(&mut self, path: &str, mut value: Value) {
        self.card_numbers += mask_json(&mut value, self.keep_card_data);
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        self.files.insert(path.to_string(), text.into_bytes());
    }

    /// Add a text (a log); card numbers are masked unless kept.
    pub fn add_text(&mut self, path: &str, text: &str) {
        let found = kubepci_pan::scan_text_field(text).len();
        self.card_numbers += found;
        let text = if found > 0 && !self.keep_card_data { kubepci_pan::redact(text) } else { text.to_string() };
        self.files.insert(path.to_string(), text.into_bytes());
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Every file of the bundle, the manifest, the marker and `SHA256SUMS` included, in path order.
    pub fn finish(mut self, meta: &BundleMeta) -> Vec<(String, Vec<u8>)> {
        let holds_card_data = self.keep_card_data && self.card_numbers > 0;
        if holds_card_data {
            self.files.insert(
                "HOLDS-CARDHOLDER-DATA.txt".to_string(),
                format!("This bundle holds {} unmasked card {} (captured with --keep-card-data). Store and transmit it as cardholder data (PCI DSS 3.x): encrypted, access-controlled, retained no longer than needed.\n", self.card_numbers, if self.card_numbers == 1 { "number" } else { "numbers" }).into_bytes(),
            );
        }
        let files: Vec<Value> = self.files.iter().map(|(p, c)| json!({"path": p, "sha256": hex_sha256(c), "bytes": c.len()})).collect();
        let manifest = json!({
            "kind": "KubepciEvidence",
            "tool": concat!("kubepci ", env!("CARGO_PKG_VERSION")),
            "incident": meta.incident,
            "target": meta.target,
            "reason": meta.reason,
            "capturedAt": meta.captured_at,
            "source": meta.source,
            "cardNumbers": {
                "found": self.card_numbers,
                "masked": !self.keep_card_data,
            },
            "holdsCardholderData": holds_card_data,
            "secretValues": "never read",
            "files": files,
            "notes": self.notes,
        });
        let mut text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        text.push('\n');
        self.files.insert("manifest.json".to_string(), text.into_bytes());
        let sums: String = self.files.iter().map(|(p, c)| format!("{}  {p}\n", hex_sha256(c))).collect();
        self.files.insert("SHA256SUMS".to_string(), sums.into_bytes());
        self.files.into_iter().collect()
    }
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Mask card numbers in every string of `v`; the number found.
fn mask_json(v: &mut Value, keep: bool) -> usize {
    match v {
        Value::String(s) => {
            let found = kubepci_pan::scan_text_field(s).len();
            if found > 0 && !keep {
                *s = kubepci_pan::redact(s);
            }
            found
        }
        // A number cannot hold a masked form: one that is a card number becomes a string.
        Value::Number(n) => {
            let text = n.to_string();
            let found = kubepci_pan::scan_text_field(&text).len();
            if found > 0 && !keep {
                *v = Value::String(kubepci_pan::redact(&text));
            }
            found
        }
        Value::Array(items) => items.iter_mut().map(|i| mask_json(i, keep)).sum(),
        Value::Object(map) => map.values_mut().map(|i| mask_json(i, keep)).sum(),
        _ => 0,
    }
}

/// The analyses of the input: the plan, the RBAC around the workload and its reachability.
pub fn add_analyses(bundle: &mut Bundle, plan: &QuarantinePlan, inv: &Inventory, rbac: &Model) {
    bundle.add_json("plan.json", serde_json::to_value(plan).unwrap_or(Value::Null));
    bundle.add_json("rbac.json", rbac_evidence(plan, rbac));
    bundle.add_text("reachability.txt", &reachability_evidence(plan, inv));
}

/// Who can act on the pods and the workload, and what the pods' accounts can do.
fn rbac_evidence(plan: &QuarantinePlan, rbac: &Model) -> Value {
    let ns = &plan.target.namespace;
    let (group, resource) = match plan.target.kind {
        TargetKind::Pod => ("", "pods"),
        TargetKind::Deployment => ("apps", "deployments"),
        TargetKind::StatefulSet => ("apps", "statefulsets"),
        TargetKind::DaemonSet => ("apps", "daemonsets"),
        TargetKind::ReplicaSet => ("apps", "replicasets"),
        TargetKind::Job => ("batch", "jobs"),
        TargetKind::CronJob => ("batch", "cronjobs"),
    };
    let mut asks: Vec<(String, Request)> = vec![
        ("create pods/exec".into(), Request::resource("create", "", "pods", "exec", "")),
        ("create pods/attach".into(), Request::resource("create", "", "pods", "attach", "")),
        ("create pods/portforward".into(), Request::resource("create", "", "pods", "portforward", "")),
        ("patch pods/ephemeralcontainers".into(), Request::resource("patch", "", "pods", "ephemeralcontainers", "")),
        ("get pods/log".into(), Request::resource("get", "", "pods", "log", "")),
        ("delete pods".into(), Request::resource("delete", "", "pods", "", "")),
        ("patch pods".into(), Request::resource("patch", "", "pods", "", "")),
        ("get secrets".into(), Request::resource("get", "", "secrets", "", "")),
    ];
    if plan.target.kind != TargetKind::Pod {
        let qualified = if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") };
        asks.push((format!("patch {qualified} {}", plan.target.name), Request::resource("patch", group, resource, "", &plan.target.name)));
        asks.push((format!("update {qualified} {}", plan.target.name), Request::resource("update", group, resource, "", &plan.target.name)));
    }
    let filter = NamespaceFilter::Namespace(ns.clone());
    let who_can: Vec<Value> = asks.iter().map(|(ask, req)| json!({"request": ask, "namespace": ns, "subjects": rbac.who_can_entries(req, &filter)})).collect();
    let accounts: BTreeSet<&str> = plan.pods.iter().map(|p| p.service_account.as_str()).collect();
    let accounts: Vec<Value> = accounts.into_iter().map(|sa| json!({"serviceAccount": format!("{ns}/{sa}"), "effectiveRules": rbac.effective_rules(&Subject::service_account(ns, sa))})).collect();
    json!({"whoCan": who_can, "serviceAccounts": accounts})
}

/// The allowed connections into and out of the workload, as `kubepci netpol list` prints them.
fn reachability_evidence(plan: &QuarantinePlan, inv: &Inventory) -> String {
    let r = Reachability::compute_with(inv, Options { host_network_exempt: true });
    let ns = &plan.target.namespace;
    let pods: BTreeSet<&str> = plan.pods.iter().map(|p| p.name.as_str()).collect();
    let top = plan.pods.iter().find_map(|p| p.owners.last()).cloned().unwrap_or_else(|| format!("{}/{}", plan.target.kind.as_str(), plan.target.name));
    let names: BTreeSet<String> = r
        .workloads()
        .iter()
        .filter(|w| &w.namespace == ns && (w.pods.iter().any(|m| pods.contains(m.name.as_str())) || format!("{}/{}", w.kind, w.name) == top))
        .map(|w| w.display())
        .collect();
    let marks = vec![false; r.workloads().len()];
    let all = kubepci_netpol::format::render_marked(&r, kubepci_netpol::format::Format::Txt, &marks);
    let mut out = format!("# allowed connections of {} before the quarantine (NetworkPolicy analysis of the input)\n", names.iter().cloned().collect::<Vec<_>>().join(", "));
    for line in all.lines() {
        let (src, rest) = line.split_once(" => ").unwrap_or((line, ""));
        let dst = rest.split(" : ").next().unwrap_or("");
        if names.contains(src) || names.contains(dst) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Read from the cluster what the input does not hold: the pods as they are now (with status:
/// image digests, restarts), the owner chain, events and container logs. GET only.
pub fn capture_live(bundle: &mut Bundle, reader: &Reader, plan: &QuarantinePlan) {
    let ns = &plan.target.namespace;
    let mut images = Vec::new();
    let mut involved: Vec<String> = Vec::new();
    for p in &plan.pods {
        // Names become file names: a name that could leave the bundle's directory (possible
        // only in doctored input; the apiserver validates names) is not captured.
        if !is_safe_component(&p.name) || p.containers.iter().any(|c| !is_safe_component(c)) {
            bundle.notes.push(format!("pod {:?}: a pod or container name unusable as a file name; not captured", p.name));
            continue;
        }
        involved.push(p.name.clone());
        let pod = match reader.get_json(&format!("/api/v1/namespaces/{ns}/pods/{}", p.name)) {
            Ok(v) => v,
            Err(e) => {
                bundle.notes.push(format!("pod {}: not captured: {e}", p.name));
                continue;
            }
        };
        let statuses = ["initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"];
        for key in statuses {
            for s in pod.pointer(&format!("/status/{key}")).and_then(Value::as_array).into_iter().flatten() {
                images.push(json!({"pod": p.name, "container": s.get("name"), "image": s.get("image"), "imageID": s.get("imageID"), "restartCount": s.get("restartCount")}));
            }
        }
        let restarted: BTreeSet<String> = statuses
            .iter()
            .flat_map(|k| pod.pointer(&format!("/status/{k}")).and_then(Value::as_array).cloned().unwrap_or_default())
            .filter(|s| s.get("restartCount").and_then(Value::as_u64).unwrap_or(0) > 0)
            .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        bundle.add_json(&format!("pods/{}.json", p.name), pod);
        for c in &p.containers {
            let base = format!("/api/v1/namespaces/{ns}/pods/{}/log?container={c}&timestamps=true&limitBytes={LOG_LIMIT_BYTES}", p.name);
            match reader.get_text(&base) {
                Ok(text) => bundle.add_text(&format!("logs/{}/{c}.log", p.name), &text),
                Err(e) => bundle.notes.push(format!("logs of {}/{c}: not captured: {e}", p.name)),
            }
            if restarted.contains(c) {
                match reader.get_text(&format!("{base}&previous=true")) {
                    Ok(text) => bundle.add_text(&format!("logs/{}/{c}.previous.log", p.name), &text),
                    Err(e) => bundle.notes.push(format!("previous logs of {}/{c}: not captured: {e}", p.name)),
                }
            }
        }
    }
    let owners: BTreeSet<&String> = plan.pods.iter().flat_map(|p| &p.owners).collect();
    let mut owners: Vec<String> = owners.into_iter().cloned().collect();
    let target_owner = format!("{}/{}", plan.target.kind.as_str(), plan.target.name);
    if plan.target.kind != TargetKind::Pod && !owners.contains(&target_owner) {
        owners.push(target_owner);
    }
    for owner in &owners {
        let Some((kind, name)) = owner.split_once('/') else { continue };
        involved.push(name.to_string());
        let Ok(kind) = format!("{ns}/{kind}/{name}").parse::<crate::Target>().map(|t| t.kind) else {
            bundle.notes.push(format!("owner {owner}: a kind kubepci does not read; not captured"));
            continue;
        };
        match reader.get_json(&format!("{}/{name}", kind.collection_path(ns))) {
            Ok(v) => bundle.add_json(&format!("owners/{}-{name}.json", kind.as_str()), v),
            Err(e) => bundle.notes.push(format!("owner {owner}: not captured: {e}")),
        }
    }
    let mut events = Vec::new();
    involved.sort();
    involved.dedup();
    for name in &involved {
        match reader.list(&format!("/api/v1/namespaces/{ns}/events"), &format!("fieldSelector=involvedObject.name%3D{name}")) {
            Ok(items) => events.extend(items),
            Err(e) => bundle.notes.push(format!("events of {name}: not captured: {e}")),
        }
    }
    bundle.add_json("events.json", Value::Array(events));
    bundle.add_json("images.json", Value::Array(images));
}

/// A name usable as one path component: no separator, not `.` or `..`, not empty.
fn is_safe_component(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// Where a bundle goes.
pub enum Destination<'a> {
    Directory(&'a Path),
    TarGz(&'a Path),
}

impl<'a> Destination<'a> {
    /// A path ending in `.tar.gz` or `.tgz` is an archive; anything else a directory.
    pub fn of(path: &'a Path) -> Destination<'a> {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if name.ends_with(".tar.gz") || name.ends_with(".tgz") { Destination::TarGz(path) } else { Destination::Directory(path) }
    }
}

/// Write the finished bundle. Nothing existing is overwritten: a directory must be new or
/// empty, an archive new.
pub fn write(files: &[(String, Vec<u8>)], dest: &Destination, top: &str, epoch: i64) -> io::Result<()> {
    match dest {
        Destination::Directory(dir) => write_dir(files, dir),
        Destination::TarGz(path) => {
            let file = kubepci_base::fs::create_private(path, false)?;
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
            write_tar(&mut gz, files, top, epoch)?;
            gz.finish()?.sync_all()
        }
    }
}

fn write_dir(files: &[(String, Vec<u8>)], dir: &Path) -> io::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} exists and is not empty", dir.display())));
    }
    create_private_dir(dir)?;
    for (path, content) in files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            create_private_dir(parent)?;
        }
        let mut f = kubepci_base::fs::create_private(&full, false)?;
        f.write_all(content)?;
        f.sync_all()?;
    }
    Ok(())
}

/// Create `dir` and missing parents inside it owner-only (0700).
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// A POSIX ustar archive of regular files under `top/`, mode 0600, all with time `epoch`.
fn write_tar(out: &mut impl Write, files: &[(String, Vec<u8>)], top: &str, epoch: i64) -> io::Result<()> {
    for (path, content) in files {
        let full = format!("{top}/{path}");
        out.write_all(&ustar_header(&full, content.len() as u64, epoch)?)?;
        out.write_all(content)?;
        let pad = (512 - content.len() % 512) % 512;
        out.write_all(&vec![0u8; pad])?;
    }
    out.write_all(&[0u8; 1024])
}

fn ustar_header(path: &str, size: u64, epoch: i64) -> io::Result<[u8; 512]> {
    let too_long = || io::Error::new(io::ErrorKind::InvalidInput, format!("path too long for a tar archive: {path}"));
    // Names over 100 bytes go in the 155-byte prefix field, split at a '/'.
    let (prefix, name) = if path.len() <= 100 {
        ("", path)
    } else {
        let split = path.char_indices().filter(|&(i, c)| c == '/' && i <= 155 && path.len() - i - 1 <= 100).map(|(i, _)| i).next().ok_or_else(too_long)?;
        (&path[..split], &path[split + 1..])
    };
    let mut h = [0u8; 512];
    let put = |h: &mut [u8; 512], at: usize, bytes: &[u8]| h[at..at + bytes.len()].copy_from_slice(bytes);
    put(&mut h, 0, name.as_bytes());
    put(&mut h, 100, b"0000600\0");
    put(&mut h, 108, b"0000000\0");
    put(&mut h, 116, b"0000000\0");
    put(&mut h, 124, format!("{size:011o}\0").as_bytes());
    put(&mut h, 136, format!("{:011o}\0", epoch.max(0)).as_bytes());
    put(&mut h, 148, b"        ");
    h[156] = b'0';
    put(&mut h, 257, b"ustar\0");
    put(&mut h, 263, b"00");
    put(&mut h, 345, prefix.as_bytes());
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    put(&mut h, 148, format!("{sum:06o}\0 ").as_bytes());
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> BundleMeta {
        BundleMeta { incident: "ir-1".into(), target: "payments/Pod/a".into(), captured_at: "2026-12-07T12:00:00Z".into(), epoch: 1_796_644_800, source: "https://h".into(), reason: None }
    }

    #[test]
    fn card_numbers_are_masked_in_texts_and_json_strings_unless_kept() {
        let mut b = Bundle::new(false);
        b.add_text("logs/a/app.log", "charge 4111 1111 1111 1111 ok\n");
        b.add_json("pods/a.json", json!({"env": [{"value": "5555555555554444"}], "n": 4111111111111111u64}));
        assert_eq!(b.card_numbers, 3);
        let files: BTreeMap<String, Vec<u8>> = b.finish(&meta()).into_iter().collect();
        let log = String::from_utf8(files["logs/a/app.log"].clone()).unwrap();
        assert_eq!(log, "charge 411111******1111 ok\n");
        let pod = String::from_utf8(files["pods/a.json"].clone()).unwrap();
        assert!(pod.contains("555555******4444") && !pod.contains("5555555555554444"), "{pod}");
        assert!(pod.contains("\"411111******1111\"") && !pod.contains("4111111111111111"), "{pod}");
        assert!(!files.contains_key("HOLDS-CARDHOLDER-DATA.txt"));
        let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(manifest["holdsCardholderData"], false);
        assert_eq!(manifest["cardNumbers"], json!({"found": 3, "masked": true}));

        let mut kept = Bundle::new(true);
        kept.add_text("logs/a/app.log", "charge 4111111111111111\n");
        let files: BTreeMap<String, Vec<u8>> = kept.finish(&meta()).into_iter().collect();
        assert_eq!(files["logs/a/app.log"], b"charge 4111111111111111\n");
        assert!(files.contains_key("HOLDS-CARDHOLDER-DATA.txt"));
        let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(manifest["holdsCardholderData"], true);
    }

    #[test]
    fn the_manifest_and_sums_cover_every_file_with_its_digest() {
        let mut b = Bundle::new(false);
        b.add_text("reachability.txt", "x\n");
        b.add_json("plan.json", json!({"a": 1}));
        let files = b.finish(&meta());
        let map: BTreeMap<&str, &[u8]> = files.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
        let manifest: Value = serde_json::from_slice(map["manifest.json"]).unwrap();
        let listed: Vec<&str> = manifest["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert_eq!(listed, ["plan.json", "reachability.txt"]);
        for f in manifest["files"].as_array().unwrap() {
            assert_eq!(f["sha256"].as_str().unwrap(), hex_sha256(map[f["path"].as_str().unwrap()]));
        }
        let sums = std::str::from_utf8(map["SHA256SUMS"]).unwrap();
        assert_eq!(sums.lines().count(), 3, "{sums}");
        assert!(sums.contains(&format!("{}  manifest.json", hex_sha256(map["manifest.json"]))));
    }

    #[test]
    fn archives_and_directories_are_private_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![("a/b.txt".to_string(), b"hello".to_vec()), ("c.json".to_string(), b"{}".to_vec())];
        let out = dir.path().join("ev");
        write(&files, &Destination::of(&out), "top", 0).unwrap();
        assert_eq!(std::fs::read(out.join("a/b.txt")).unwrap(), b"hello");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(out.join("a/b.txt")).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(out.join("a")).unwrap().permissions().mode() & 0o777, 0o700);
        }
        assert!(write(&files, &Destination::of(&out), "top", 0).is_err(), "a non-empty directory is not overwritten");

        let tgz = dir.path().join("ev.tar.gz");
        write(&files, &Destination::of(&tgz), "top", 1_700_000_000).unwrap();
        assert!(write(&files, &Destination::of(&tgz), "top", 0).is_err(), "an archive is not overwritten");
        let mut raw = Vec::new();
        io::Read::read_to_end(&mut flate2::read::GzDecoder::new(std::fs::File::open(&tgz).unwrap()), &mut raw).unwrap();
        assert_eq!(raw.len() % 512, 0);
        assert_eq!(&raw[0..9], b"top/a/b.t");
        assert_eq!(&raw[257..263], b"ustar\0");
        assert_eq!(&raw[512..517], b"hello");
        // The checksum field matches the header's bytes.
        let stored = u32::from_str_radix(std::str::from_utf8(&raw[148..154]).unwrap(), 8).unwrap();
        let mut header = raw[..512].to_vec();
        header[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, header.iter().map(|&b| u32::from(b)).sum::<u32>());
    }

    #[test]
    fn names_that_could_leave_the_bundle_are_refused() {
        assert!(is_safe_component("api-7d9c5b6f4-0"));
        for bad in ["", ".", "..", "a/b", "..\\x", "a\0"] {
            assert!(!is_safe_component(bad), "{bad:?}");
        }
    }

    #[test]
    fn long_paths_use_the_prefix_field() {
        let long = format!("top/logs/{}/{}.log", "p".repeat(90), "c".repeat(40));
        let h = ustar_header(&long, 1, 0).unwrap();
        let name = std::str::from_utf8(&h[..100]).unwrap().trim_end_matches('\0');
        let prefix = std::str::from_utf8(&h[345..500]).unwrap().trim_end_matches('\0');
        assert_eq!(format!("{prefix}/{name}"), long);
        assert!(ustar_header(&"x".repeat(300), 1, 0).is_err());
    }
}
