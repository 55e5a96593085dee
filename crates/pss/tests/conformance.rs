//! Conformance against the upstream Pod Security Admission fixtures
//! (`shared/corpora/pod-security-admission`): every fixture must get the verdict upstream
//! expects (allowed/denied at its level and version), and every denied fixture must be denied
//! by the control its name records (or by the restricted control that replaces it). Some
//! fixtures legitimately trip a second control too (a privileged container also fails
//! `allowPrivilegeEscalation`, hostProcess pods need `hostNetwork`), as upstream's do.
//!
//! Also scores the Kyverno pod-security test resources (`shared/corpora/kyverno-pod-security`);
//! see `crates/pss/README.md` for where Kyverno and upstream disagree.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use kubepci_model::Object;
use kubepci_pss::{Evaluation, Level, Version, control_by_id, evaluate};
use serde_json::Value;

fn corpus(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora").join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("note: {} not found; skipping", dir.display());
        None
    }
}

/// Load every manifest under `dir/sub`, keyed by path relative to `dir`.
fn load_dir(dir: &Path, sub: &str) -> HashMap<String, Vec<Object>> {
    let loaded = kubepci_source::load_paths(&[dir.join(sub)]);
    for e in &loaded.errors {
        println!("load error: {e}");
    }
    let prefix = format!("{}/", dir.display());
    let mut by_file: HashMap<String, Vec<Object>> = HashMap::new();
    for o in loaded.objects {
        let rel = o.loc.file.strip_prefix(prefix.as_str()).unwrap_or(&o.loc.file).to_string();
        by_file.entry(rel).or_default().push(o);
    }
    by_file
}

/// Does `eval` blame the control a fixture is named after (`hostpathvolumes`, ...)?
fn blames(eval: &Evaluation, fixture_check: &str) -> bool {
    eval.violations.iter().any(|v| {
        v.control.eq_ignore_ascii_case(fixture_check)
            || control_by_id(v.control).is_some_and(|c| c.overrides.iter().any(|o| o.eq_ignore_ascii_case(fixture_check)))
    })
}

#[test]
fn pod_security_admission_fixtures() {
    let Some(dir) = corpus("pod-security-admission") else { return };
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).expect("expected.json")).expect("json");
    let objects = load_dir(&dir, "test");
    let (mut passed, mut failed) = (0usize, Vec::new());
    for case in &expected {
        let field = |k: &str| case[k].as_str().unwrap_or_default();
        let (file, check) = (field("file"), field("check"));
        let level: Level = field("level").parse().expect("level");
        let version: Version = field("version").parse().expect("version");
        let want_allowed = field("expected") == "allowed";
        let Some(pod) = objects.get(file).and_then(|v| v.first()) else {
            failed.push(format!("{file}: not loaded"));
            continue;
        };
        let Some(template) = pod.pod_template() else {
            failed.push(format!("{file}: no pod spec"));
            continue;
        };
        let eval = evaluate(&template, level, version);
        let ids: Vec<&str> = eval.violations.iter().map(|v| v.control).collect();
        let (baseline, restricted) = kubepci_pss::evaluate_levels(&template, version);
        if (baseline, restricted) != (evaluate(&template, Level::Baseline, version), evaluate(&template, Level::Restricted, version)) {
            failed.push(format!("{file}: both levels at once differ from each level alone"));
        } else if eval.allowed != want_allowed {
            failed.push(format!("{file}: expected {}, got violations {ids:?}", field("expected")));
        } else if !want_allowed && !blames(&eval, check) {
            failed.push(format!("{file}: denied, but by {ids:?} instead of {check}"));
        } else {
            passed += 1;
        }
    }
    for f in &failed {
        println!("FAIL {f}");
    }
    println!("conformance: {passed} passed, {} failed", failed.len());
    assert!(failed.is_empty(), "{} of {} fixtures disagree with upstream", failed.len(), expected.len());
}

/// The PSS controls one Kyverno policy folder implements, at the level it is scored at.
/// `None` for folders that delegate to the whole level (the `subrule` folders).
fn kyverno_controls(policy: &str) -> Option<(Level, &'static [&'static str])> {
    let b = Level::Baseline;
    let r = Level::Restricted;
    Some(match policy {
        "disallow-capabilities" => (b, &["capabilities_baseline"]),
        "disallow-host-namespaces" => (b, &["hostNamespaces"]),
        "disallow-host-path" => (b, &["hostPathVolumes"]),
        "disallow-host-ports" => (b, &["hostPorts"]),
        "disallow-host-process" => (b, &["windowsHostProcess"]),
        "disallow-privileged-containers" => (b, &["privileged"]),
        "disallow-proc-mount" => (b, &["procMount"]),
        "disallow-selinux" => (b, &["seLinuxOptions"]),
        "restrict-apparmor-profiles" => (b, &["appArmorProfile"]),
        "restrict-seccomp" => (b, &["seccompProfile_baseline"]),
        "restrict-sysctls" => (b, &["sysctls"]),
        "disallow-capabilities-strict" => (r, &["capabilities_baseline", "capabilities_restricted"]),
        "disallow-privilege-escalation" => (r, &["allowPrivilegeEscalation"]),
        "require-run-as-non-root-user" => (r, &["runAsUser"]),
        "require-run-as-nonroot" => (r, &["runAsNonRoot"]),
        "restrict-seccomp-strict" => (r, &["seccompProfile_baseline", "seccompProfile_restricted"]),
        "restrict-volume-types" => (r, &["restrictedVolumes", "hostPathVolumes"]),
        _ => return None,
    })
}

/// Control ids behind a Kyverno `podSecurity.exclude[].controlName`.
fn kyverno_control_name(name: &str) -> &'static [&'static str] {
    match name {
        "Capabilities" => &["capabilities_baseline", "capabilities_restricted"],
        "Seccomp" => &["seccompProfile_baseline", "seccompProfile_restricted"],
        "Privilege Escalation" => &["allowPrivilegeEscalation"],
        "Running as Non-root" => &["runAsNonRoot"],
        "Running as Non-root user" => &["runAsUser"],
        "Volume Types" => &["restrictedVolumes"],
        "HostPath Volumes" => &["hostPathVolumes"],
        "Host Namespaces" => &["hostNamespaces"],
        "Privileged Containers" => &["privileged"],
        "Host Ports" => &["hostPorts"],
        "AppArmor" => &["appArmorProfile"],
        "SELinux" => &["seLinuxOptions"],
        "/proc Mount Type" => &["procMount", "procMount_restricted"],
        "Sysctls" => &["sysctls"],
        "HostProcess" => &["windowsHostProcess"],
        _ => &[],
    }
}

/// Glob with `*` only, as Kyverno image patterns use.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else { return false };
            (0..=tail.len()).filter(|i| tail.is_char_boundary(*i)).any(|i| glob(rest, &tail[i..]))
        }
    }
}

/// Each container's path in the object (`spec.template.spec.containers[0]`) and image.
fn container_images(o: &Object) -> Vec<(String, String)> {
    let Some(t) = o.pod_template() else { return Vec::new() };
    let s = t.spec;
    let mut out = Vec::new();
    let mut add = |kind: &str, i: usize, image: &Option<String>| {
        out.push((format!("{}.{kind}[{i}].", t.spec_path), image.clone().unwrap_or_default()));
    };
    for (i, c) in s.init_containers.iter().flatten().enumerate() {
        add("initContainers", i, &c.image);
    }
    for (i, c) in s.containers.iter().enumerate() {
        add("containers", i, &c.image);
    }
    for (i, c) in s.ephemeral_containers.iter().flatten().enumerate() {
        add("ephemeralContainers", i, &c.image);
    }
    out
}

/// Kyverno rules that score only part of a control: the violation fields that count.
fn rule_field_filter(rule: &str) -> Option<&'static str> {
    match rule {
        "adding-capabilities-strict" => Some(".capabilities.add"),
        "require-drop-all" => Some(".capabilities.drop"),
        _ => None,
    }
}

/// What a folder scores: the level, the controls that count, and excluded controls.
struct Scoring {
    level: Level,
    version: Version,
    /// Empty = every control of the level counts.
    controls: Vec<&'static str>,
    /// (control ids, image patterns): ignored when no patterns, or when every image matches.
    excludes: Vec<(&'static [&'static str], Vec<String>)>,
}

impl Scoring {
    /// Kyverno's verdict as we predict it: does the object violate the scored controls?
    /// An exclusion with image patterns drops a violation only when every container it
    /// blames runs a matching image (pod-level fields are never excluded by image).
    fn violates(&self, o: &Object, rule: Option<&str>) -> Option<(bool, Vec<&'static str>)> {
        let t = o.pod_template()?;
        let eval = evaluate(&t, self.level, self.version);
        let images = container_images(o);
        let image_of = |field: &str| images.iter().find(|(path, _)| field.starts_with(path.as_str())).map(|(_, i)| i.as_str());
        let field_filter = rule.and_then(rule_field_filter);
        let counted: Vec<&'static str> = eval
            .violations
            .iter()
            .filter(|v| self.controls.is_empty() || self.controls.contains(&v.control))
            .filter(|v| field_filter.is_none_or(|f| v.fields.iter().any(|x| x.contains(f))))
            .filter(|v| {
                !self.excludes.iter().any(|(ids, pats)| {
                    ids.contains(&v.control)
                        && (pats.is_empty()
                            || v.fields.iter().all(|f| image_of(f).is_some_and(|i| pats.iter().any(|p| glob(p, i)))))
                })
            })
            .map(|v| v.control)
            .collect();
        Some((!counted.is_empty(), counted))
    }
}

fn scoring_for(entry: &Value) -> Option<Scoring> {
    let policy = entry["policy_name"].as_str().unwrap_or_default();
    if let Some((level, controls)) = kyverno_controls(policy) {
        return Some(Scoring { level, version: Version::latest(), controls: controls.to_vec(), excludes: Vec::new() });
    }
    let settings = entry["builtin_podSecurity_settings"].as_array()?.first()?.get("podSecurity")?;
    let level: Level = settings["level"].as_str()?.parse().ok()?;
    let version: Version = settings["version"].as_str().unwrap_or("latest").parse().ok()?;
    let excludes = settings["exclude"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let ids = kyverno_control_name(e["controlName"].as_str().unwrap_or_default());
            let pats = e["images"].as_array().into_iter().flatten().filter_map(|p| p.as_str().map(String::from)).collect();
            (ids, pats)
        })
        .collect();
    Some(Scoring { level, version, controls: Vec::new(), excludes })
}

/// (file, resource kind and name or `None` for every document, Kyverno rule, expects a violation).
type KyvernoCase = (String, Option<(String, String)>, Option<String>, bool);

#[test]
fn kyverno_pod_security_resources() {
    let Some(dir) = corpus("kyverno-pod-security") else { return };
    let index: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).expect("index.json")).expect("json");
    let objects = load_dir(&dir, "pod-security");
    let (mut passed, mut mismatches) = (0usize, Vec::new());
    let mut per_policy: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for entry in &index {
        let policy_dir = entry["policy_dir"].as_str().unwrap_or_default();
        let Some(scoring) = scoring_for(entry) else {
            println!("note: no scoring for {policy_dir}");
            continue;
        };
        // (file, resource kind + name or None for every document, expected violation).
        let mut cases: Vec<KyvernoCase> = Vec::new();
        let test_file = dir.join(policy_dir).join(".kyverno-test/kyverno-test.yaml");
        if let Ok(text) = std::fs::read_to_string(&test_file) {
            let test: Value = yaml_serde::from_str(&text).unwrap_or(Value::Null);
            for result in test["results"].as_array().into_iter().flatten() {
                let kind = result["kind"].as_str().unwrap_or_default().to_string();
                let fail = result["result"].as_str() == Some("fail");
                let rule = result["rule"].as_str().map(String::from);
                for name in result["resources"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    let file = format!("{policy_dir}/.kyverno-test/resource.yaml");
                    cases.push((file, Some((kind.clone(), name.to_string())), rule.clone(), fail));
                }
            }
        }
        for (file, bad) in [("pod-good", false), ("pod-bad", true), ("podcontroller-good", false), ("podcontroller-bad", true)] {
            cases.push((format!("{policy_dir}/.chainsaw-test/{file}.yaml"), None, None, bad));
        }
        for (file, which, rule, want_violation) in cases {
            let objs = objects.get(&file).map(Vec::as_slice).unwrap_or_default();
            let selected: Vec<&Object> = objs
                .iter()
                .filter(|o| which.as_ref().is_none_or(|(k, n)| o.kind() == k && o.name() == n))
                .filter(|o| o.pod_template().is_some())
                .collect();
            if selected.is_empty() && which.is_some() {
                mismatches.push(format!("{file} {which:?}: resource not found"));
                per_policy.entry(policy_dir.to_string()).or_default().1 += 1;
                continue;
            }
            for o in selected {
                let Some((got, ids)) = scoring.violates(o, rule.as_deref()) else { continue };
                let tally = per_policy.entry(policy_dir.to_string()).or_default();
                if got == want_violation {
                    passed += 1;
                    tally.0 += 1;
                } else {
                    tally.1 += 1;
                    mismatches.push(format!(
                        "{file} {}/{}: kyverno expects {}, we find {ids:?}",
                        o.kind(),
                        o.name(),
                        if want_violation { "a violation" } else { "no violation" }
                    ));
                }
            }
        }
    }
    for (policy, (p, f)) in &per_policy {
        println!("  {policy}: {p} agree, {f} differ");
    }
    for m in &mismatches {
        println!("MISMATCH {m}");
    }
    println!("conformance: {passed} passed, {} failed", mismatches.len());
    // Measured when this test was written, per policy folder: (agree, differ). The differences
    // are upstream-vs-Kyverno disagreements documented in crates/pss/README.md; upstream wins,
    // so they are not forced to pass. Fail only if a measured folder regresses.
    const MEASURED: &[(&str, usize, usize)] = &[
        ("pod-security/baseline/disallow-host-path", 34, 0),
        ("pod-security/baseline/disallow-host-process", 77, 0),
        ("pod-security/baseline/disallow-privileged-containers", 78, 0),
        ("pod-security/baseline/disallow-selinux", 305, 5),
        ("pod-security/baseline/restrict-sysctls", 65, 0),
        ("pod-security/restricted/disallow-capabilities-strict", 210, 0),
        ("pod-security/restricted/require-run-as-nonroot", 152, 0),
        ("pod-security/restricted/restrict-seccomp-strict", 102, 0),
        ("pod-security/restricted/restrict-volume-types", 151, 0),
        ("pod-security/subrule/podsecurity-subrule-baseline", 2, 0),
        ("pod-security/subrule/restricted/restricted-exclude-capabilities", 87, 0),
        ("pod-security/subrule/restricted/restricted-exclude-seccomp", 83, 0),
        ("pod-security/subrule/restricted/restricted-latest", 83, 0),
    ];
    for (policy, agree, differ) in MEASURED {
        if let Some((a, d)) = per_policy.get(*policy) {
            assert!(a >= agree && d <= differ, "{policy}: agreement regressed to {a} agree / {d} differ (measured {agree}/{differ})");
        }
    }
}
