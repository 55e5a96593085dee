//! A new user's first run, end to end: an input that cannot be read or holds nothing is an
//! error with exit 2 and no report; `--allow-empty` lets an empty pipeline pass.

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
    let commands: [&[&str]; 5] = [
        &["scan"],
        &["scan", "-f", "json"],
        &["netpol", "list"],
        &["rbac", "review"],
        &["pss", "--level", "baseline"],
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
