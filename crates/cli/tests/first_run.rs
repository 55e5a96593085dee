//! A new user's first run, end to end: an input that cannot be read or holds nothing is an
//! error with exit 2 and no report; `--allow-empty` lets an empty pipeline pass; `kubepci init`
//! writes a kubepci.yaml that `scan -c` accepts, from kubepci's labels or the teams' own, and
//! never overwrites one unasked; a namespaceSelector puts a namespace in the CDE.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Run `kubepci` in `dir` with `stdin` as its standard input (none when `None`), with no
/// kubepci.yaml or kubeconfig from the environment.
fn kubepci_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubepci"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env_remove("KUBEPCI_PROFILE")
        .env_remove("KUBECONFIG")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kubepci");
    if let Some(text) = stdin {
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("kubepci output")
}

fn kubepci(args: &[&str]) -> Output {
    kubepci_in(&repo(), args, None)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_missing_path_prints_only_the_error_without_a_made_up_position_for_every_command() {
    let commands: [&[&str]; 6] = [
        &["scan"],
        &["scan", "-f", "json"],
        &["netpol", "list"],
        &["rbac", "review"],
        &["pss", "--level", "baseline"],
        &["init", "-o", "-"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("/nonexistent/manifests");
        let out = kubepci(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?} printed a report: {}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains("nothing could be read"), "{args:?}: {err}");
        assert!(err.contains("/nonexistent/manifests: cannot read"), "{args:?}: {err}");
        assert!(!err.contains(":0"), "{args:?}: {err}");
    }
}

#[test]
fn a_missing_path_next_to_readable_ones_is_listed_without_a_position_in_text_and_json() {
    let demo = "examples/demo-cluster/00-namespaces.yaml";
    let text = kubepci(&["scan", "--color=never", demo, "/nonexistent/more.yaml"]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(stdout(&text).contains("  error /nonexistent/more.yaml: cannot read"), "{}", stdout(&text));
    assert!(!stdout(&text).contains(":0:0"));
    let json = kubepci(&["scan", "-f", "json", demo, "/nonexistent/more.yaml"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let e = &v["input"]["errors"][0];
    assert_eq!((e["file"].as_str(), e["line"].as_u64(), e["column"].as_u64()), (Some("/nonexistent/more.yaml"), Some(0), Some(0)), "0 means none");
    assert!(stderr(&json).starts_with("/nonexistent/more.yaml: cannot read"), "{}", stderr(&json));
}

#[test]
fn an_empty_input_fails_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    for stdin in ["", "\n", "---\n# helm template printed nothing\n"] {
        let out = kubepci_in(dir.path(), &["scan", "-"], Some(stdin));
        assert_eq!(out.status.code(), Some(2), "{stdin:?}");
        assert!(out.stdout.is_empty(), "{}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains("no Kubernetes object in the input"), "{err}");
        assert!(err.contains("--allow-empty"), "{err}");
    }
    let allowed = kubepci_in(dir.path(), &["scan", "--allow-empty", "-f", "json", "-"], Some("\n"));
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    let v: serde_json::Value = serde_json::from_slice(&allowed.stdout).expect("json");
    assert_eq!(v["input"]["objects"], 0);
    // The analysis commands read the same flag.
    let netpol = kubepci_in(dir.path(), &["netpol", "list", "--allow-empty", "-"], Some(""));
    assert_eq!(netpol.status.code(), Some(0), "{}", stderr(&netpol));
}

const TEAM_LABELS: &str = "examples/team-labels";

/// `kubepci init INPUT -o DIR/kubepci.yaml`, then `kubepci scan -c` that file on the same
/// input: the JSON report.
fn init_then_scan(input: &[&str]) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = dir.path().join("kubepci.yaml");
    let mut args = vec!["init", "-o", written.to_str().expect("utf-8 path")];
    args.extend_from_slice(input);
    let init = kubepci(&args);
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    assert!(init.stdout.is_empty(), "{}", stdout(&init));
    assert!(stderr(&init).contains("wrote "), "{}", stderr(&init));
    let text = std::fs::read_to_string(&written).expect("init wrote the file");
    let mut args = vec!["scan", "-f", "json", "-c", written.to_str().expect("utf-8 path")];
    args.extend_from_slice(input);
    let scan = kubepci(&args);
    assert!(matches!(scan.status.code(), Some(0 | 1)), "scan -c rejected what init wrote: {}", stderr(&scan));
    let report: serde_json::Value = serde_json::from_slice(&scan.stdout).expect("json");
    assert_eq!(report["provenance"]["config"]["path"].as_str(), written.to_str());
    (text, report)
}

fn namespace_scopes(report: &serde_json::Value) -> Vec<(String, String)> {
    report["scope"]["namespaces"].as_array().expect("namespaces").iter().map(|n| (n["name"].as_str().unwrap_or("").to_string(), n["scope"].as_str().unwrap_or("").to_string())).collect()
}

#[test]
fn init_on_the_demo_cluster_writes_a_file_that_scan_accepts() {
    let (text, report) = init_then_scan(&["examples/demo-cluster"]);
    assert!(text.contains("# Already cde by their pci.kubepci.io/scope label: card-vault, payments."), "{text}");
    assert!(text.contains("  - registry.pay.example/"), "{text}");
    assert!(text.contains("#  - from: checkout/checkout\n#    to: payments/payment-api\n#    ports: [TCP/8443]"), "{text}");
    let approved: Vec<&str> = report["provenance"]["config"]["approvedRegistries"].as_array().expect("registries").iter().filter_map(|r| r.as_str()).collect();
    assert_eq!(approved, ["docker.io/acme/", "registry.pay.example/"]);
    // The registry allowlist is assessed now, rather than waiting for approvedRegistries.
    let img = report["checks"].as_array().expect("checks").iter().find(|c| c["check"] == "IMG-003").expect("IMG-003");
    assert!(img["passed"].as_u64().unwrap_or(0) > 0, "{img}");
}

#[test]
fn init_reads_the_teams_own_labels_and_scan_puts_those_namespaces_in_the_cde() {
    let (text, report) = init_then_scan(&[TEAM_LABELS]);
    assert!(text.contains("    namespaceSelector:"), "{text}");
    assert!(!text.contains("4556737586899855") && !text.contains("4556 7375 8689 9855"), "a full card number was written");
    let scopes = namespace_scopes(&report);
    let expected = [("billing", "cde"), ("blog", "unclassified"), ("gateway", "connected"), ("ledger", "unclassified"), ("tokens", "cde"), ("vault", "cde")];
    assert_eq!(scopes, expected.map(|(n, s)| (n.to_string(), s.to_string())));
    let billing = &report["scope"]["namespaces"][0];
    assert_eq!(billing["reason"], "kubepci.yaml scope.cde.namespaceSelector (compliance=pci-dss)");
}

#[test]
fn a_namespace_selector_in_kubepci_yaml_puts_a_labelled_namespace_in_the_cde() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = repo().join(TEAM_LABELS).join("cluster.yaml");
    std::fs::write(
        dir.path().join("kubepci.yaml"),
        "scope:\n  cde:\n    namespaceSelector:\n      matchExpressions:\n        - {key: team, operator: In, values: [finance, treasury]}\n",
    )
    .expect("write config");
    // ./kubepci.yaml is read by default.
    let out = kubepci_in(dir.path(), &["scan", "-f", "json", cluster.to_str().expect("utf-8 path")], None);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let ledger = report["scope"]["namespaces"].as_array().expect("namespaces").iter().find(|n| n["name"] == "ledger").expect("ledger");
    assert_eq!((ledger["scope"].as_str(), ledger["reason"].as_str()), (Some("cde"), Some("kubepci.yaml scope.cde.namespaceSelector (team in (finance,treasury))")));
    // netpol list marks its workload as the CDE, from the same configuration.
    let netpol = kubepci_in(dir.path(), &["netpol", "list", cluster.to_str().expect("utf-8 path")], None);
    assert!(stdout(&netpol).contains("ledger/reconcile[Deployment] [CDE]"), "{}", stdout(&netpol));
}

#[test]
fn init_never_overwrites_a_file_unless_forced_and_writes_stdout_with_dash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = repo().join(TEAM_LABELS);
    let cluster = cluster.to_str().expect("utf-8 path");
    std::fs::write(dir.path().join("kubepci.yaml"), "# mine\n").expect("write");
    let refused = kubepci_in(dir.path(), &["init", cluster], None);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(stderr(&refused), "error: kubepci.yaml exists: give --force to overwrite it, or -o FILE to write another file\n");
    assert_eq!(std::fs::read_to_string(dir.path().join("kubepci.yaml")).expect("read"), "# mine\n", "the file is untouched");
    let forced = kubepci_in(dir.path(), &["init", "--force", cluster], None);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let written = std::fs::read_to_string(dir.path().join("kubepci.yaml")).expect("read");
    assert!(written.starts_with("# kubepci.yaml, proposed by `kubepci init`"), "{written}");
    let to_stdout = kubepci_in(dir.path(), &["init", "-o", "-", cluster], None);
    assert_eq!(to_stdout.status.code(), Some(0));
    assert_eq!(stdout(&to_stdout), written, "the same text, to stdout");
    assert!(to_stdout.stderr.is_empty(), "{}", stderr(&to_stdout));
}

/// The fenced blocks (language, lines) of the README's "First ten minutes" section.
fn readme_walkthrough_blocks() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let start = readme.find("## First ten minutes").expect("the section");
    let section = &readme[start..start + readme[start..].find("\n## Using it").expect("the next section")];
    let mut blocks = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in section.lines() {
        match (line.strip_prefix("```"), current.take()) {
            (Some(lang), None) => current = Some((lang.to_string(), Vec::new())),
            (Some(_), Some(block)) => blocks.push(block),
            (None, Some((lang, mut lines))) => {
                lines.push(line.to_string());
                current = Some((lang, lines));
            }
            (None, None) => {}
        }
    }
    blocks
}

#[test]
fn the_readme_walkthrough_shows_real_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cluster = dir.path().join("examples/team-labels");
    std::fs::create_dir_all(&cluster).expect("mkdir");
    std::fs::copy(repo().join(TEAM_LABELS).join("cluster.yaml"), cluster.join("cluster.yaml")).expect("copy");
    let run = |args: &[&str]| {
        let out = kubepci_in(dir.path(), args, None);
        stdout(&out) + &stderr(&out)
    };
    let mut seen = run(&["scan", "--color=never", "examples/team-labels"]);
    seen += &run(&["init", "-o", "-", "examples/team-labels"]);
    seen += &run(&["init", "examples/team-labels"]);
    seen += &run(&["scan", "--color=never", "examples/team-labels"]);
    let blocks = readme_walkthrough_blocks();
    let exception = blocks.iter().find(|(lang, lines)| lang == "yaml" && lines[0] == "exceptions:").expect("the exception block");
    let config = dir.path().join("kubepci.yaml");
    let written = std::fs::read_to_string(&config).expect("written");
    let before_example = &written[..written.find("exceptions:").expect("the example")];
    std::fs::write(&config, format!("{before_example}{}\n", exception.1.join("\n"))).expect("write");
    seen += &run(&["scan", "--color=never", "examples/team-labels"]);
    for (lang, lines) in &blocks {
        if lang == "sh" || std::ptr::eq(lines, &exception.1) {
            continue;
        }
        for line in lines.iter().filter(|l| !l.starts_with("$ ") && l.as_str() != "…") {
            assert!(seen.lines().any(|s| s == line), "README line not in the real output: {line:?}");
        }
    }
}
