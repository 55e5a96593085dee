//! Differential tests: yaml_serde is the oracle. Whenever the fast reader accepts a document,
//! its result must equal yaml_serde's; some documents must also be accepted, so that the
//! fast path is really exercised.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use kubepci_model::k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kubepci_model::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::*;
use crate::{FastPathReport, check_fast_path};

/// The fast reader's value for a document, as `serde_json::Value`.
fn fast_value(doc: &str) -> Result<Value, Declined> {
    read(doc, |de| Value::deserialize(de).ok())
}

/// Run the whole-stream differential check and require it to find no difference.
fn check(doc: &str) -> FastPathReport {
    let report = check_fast_path("t.yaml", doc.as_bytes());
    assert!(report.mismatches.is_empty(), "{doc:?}: {:?}", report.mismatches);
    report
}

fn accepted(doc: &str) {
    let report = check(doc);
    assert!(report.documents > 0 && report.fast == report.documents, "{doc:?} was declined: {:?}", report.declined_example);
}

fn declined(doc: &str) {
    let report = check(doc);
    assert_eq!(report.fast, 0, "{doc:?} was accepted");
    assert!(fast_value(doc).is_err(), "{doc:?} was read as a value");
}

#[test]
fn kubernetes_shapes_are_read() {
    accepted(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\n  labels:\n    app: web\n    tier: \"1\"\n  annotations: {}\n\
         spec:\n  containers:\n  - name: c\n    image: nginx:1.25\n    args: [\"--port\", \"8080\"]\n    ports:\n    - containerPort: 8080\n      protocol: TCP\n\
         \x20   resources:\n      limits: {cpu: 500m, memory: 1Gi}\n      requests:\n        cpu: 0.5\n        memory: 128974848\n\
         \x20   securityContext:\n      capabilities:\n        drop:\n        - ALL\n      runAsUser: 1000\n      readOnlyRootFilesystem: true\n\
         \x20 volumes: []\nstatus:\n  phase: Running\n",
    );
    // Helm style: sequences indented under their key, `{}` on the next line, comments.
    accepted(
        "# Source: chart/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d # trailing comment\n  annotations:\n    {}\n\
         spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: d\n  template:\n    metadata:\n      labels:\n        app: d\n\
         \x20   spec:\n      containers:\n        - name: app\n          image: \"repo/app:1.0\"\n          env:\n            - name: A\n              value: \"x y\"\n\
         \x20           - name: B\n              valueFrom:\n                secretKeyRef: {name: s, key: k}\n          ports:\n            - containerPort: 80\n",
    );
    accepted("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  app.conf: |\n    listen 80;\n      indented\n\n    end\n  key: value\n");
    accepted("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\ndata:\n  password: c2VjcmV0\n  empty:\n");
    accepted("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n    targetPort: http\n  - port: 443\n    targetPort: 8443\n");
    // Generic kinds and lists go through the JSON value.
    accepted("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n  ratio: 1.5\n  on: true\n  nothing: ~\n  list: [1, two, 3.0]\n");
    accepted("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b, namespace: a}\n");
    accepted("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: old\nspec:\n  template:\n    spec:\n      containers: []\n");
}

#[test]
fn structure_edge_cases_match_yaml_serde() {
    for doc in [
        "a: 1\n",
        "a: 1",
        "  a: 1\n  b: 2\n",
        "\n\n# c\n   # indented comment\na: 1\n\n\nb: 2\n",
        " \na: 1\n",
        "a:\n- 1\n- 2\nb: 3\n",
        "a:\n  - 1\n  -\n  - - x\n    - y\n  - k: v\n    k2: v2\n  - \"q\": 1\n",
        "a:\n-\n  b: 1\n- c\n",
        "- a\n- b: 1\n  c: [x]\n- - 1\n  - 2\n",
        "-   a: 1\n    b: 2\n-   c\n",
        "a:\n  b:\n    c:\n      d: 1\n  e: 2\nf: 3\n",
        "a:\n# between\n  b: 1\n",
        "a: # comment\n  b: 1\n",
        "a:\nb:\nc:\n",
        "a:\n  \nb: 1\n",
        "list:\n- \n- ~\n-\n",
        "a: x\n  # deeper comment\nb: y\n",
        "key with spaces: v\n\"quoted key\": 1\n'single': 2\n\"\": empty key\n",
        "k: a:b\nurl: http://x.y/z?a=b#frag\nh: a #comment\nhash: a#b\n",
        "k :  v  \n",
        "f:x: 1\n.: {}\n-dash: 2\n<<: merge-looking\n=: eq\n",
        "a: 'it''s'\nb: \"tab\\there \\u263A \\x41 \\/ \\\\\"\nc: ''\nd: \"\"\n",
        "a: \"unicode é ☃\"\nb: é\nc: — dash\n",
        "a: {}\nb: []\nc: { }\nd: [ ]\ne: {x: 1, y: [a, b]}\nf: [{a: 1}, {b: 2}]\ng: [\"a, b\", 'c]']\n",
        "a: [-1, -x, .5, ~]\n",
        "a: b\n...\n---\nc: d\n--- \n# c\ne: f\n",
        "a: 1\n#\n",
    ] {
        accepted(doc);
    }
}

#[test]
fn multi_line_plain_scalars_fold_like_libyaml() {
    for doc in [
        "a: one\n  two\n  three\nb: x\n",
        "a: one\n\n  two\n\n\n  three\n",
        "a: one\n     two\nb: x\n",
        "- one\n  two\n- three\n",
        "a:\n- one\n two\n",
        "a: one\n  two # comment\nb: x\n",
        "a: one\n  - two\n",
        "a: one  \n  two  \n",
        "- k: one\n    two\n  j: x\n",
        "a: 12\n  34\n",
    ] {
        accepted(doc);
    }
}

#[test]
fn multi_line_quoted_scalars_fold_like_libyaml() {
    for doc in [
        "a: \"multi\n  line\"\n",
        "a: \"multi\nline at column 0\"\n",
        "- - \"shallow\n  continuation\"\n",
        "a: 'multi\n  line'\nb: 1\n",
        "a: \"escaped \\\n  break\"\n",
        "a: \"one  \n\n   two\t\n  three\"\n",
        "a: 'it''s\n\n\n  here'\n",
        "- \"x\n  y\"\n- z\n",
        "a:\n  \"on the next\n   line\"\n",
        "a: \"long \\u00e9 text that go-yaml wrapped \\\n  \\ with an escaped space\"\n",
    ] {
        accepted(doc);
    }
}

#[test]
fn block_scalars_match_yaml_serde() {
    for doc in [
        "a: |\n  x\n  y\n",
        "a: |-\n  x\n\n",
        "a: |+\n  x\n\n\nb: 1\n",
        "a: |+\n  x\n\n",
        "a: >\n  one\n  two\n\n  three\n    more\n  back\n",
        "a: >-\n  one\n  two\n",
        "a: >+\n  one\n\n",
        "a: |2\n    x\n  y\n",
        "a: |1-\n  x\n",
        "a: |-2\n   x\n",
        "a: |\n\n  x\n",
        "a: |\n  # not a comment\n  x: y\n",
        "a: |\nb: 1\n",
        "a: |+\n\nb: 1\n",
        "a: |\n  x\n # less indented comment\nb: 1\n",
        "a: | # header comment\n  x\n",
        "a: |\n  trailing spaces   \n  \ttab after indent\n",
        "- |\n  item\n- >\n  folded\n  item\n",
        "- k: |\n    v\n  j: 1\n",
        "a: |\n  x\n  y",
        "a: >\n  a\n\n\n  b\n",
        "a: |\n  x\n\n# c\n\nb: 1\n",
    ] {
        accepted(doc);
    }
}

#[test]
fn crlf_documents_are_read() {
    accepted("apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: c\r\ndata:\r\n  a: |\r\n    x\r\n    y\r\n  b: q\r\n");
    declined("a: 1\rb: 2\n");
}

#[test]
fn outside_the_subset_is_declined() {
    for doc in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "!tag\na: 1\n",
        "%YAML 1.2\na: 1\n",
        "a: |\n   \n  x\n",
        "a: >\n   lead\n  b\n",
        "? complex\n: key\n",
        "\"multi\n  line\": key\n",
        "a: \"multi\n  line\": b\n",
        "- [\"multi\n  line\"]\n",
        "a: [1,\n  2]\n",
        "a: {b: c\n  }\n",
        "a:\tb\n",
        "\ta: b\n",
        "a: b\tc\n",
        "a: 1\na: 2\n",
        "a: 1\n\"a\": 2\n",
        "a: {x: 1, x: 2}\n",
        "a: b: c\n",
        "a: - b\n",
        "a: [b: c]\n",
        "a: {b}\n",
        "a: [a, b, ]\n",
        "a: [a,,b]\n",
        "a: {b: }\n",
        "a: [http://x]\n",
        "a: [a #c]\n",
        "a: \"x\" y\n",
        "a: \"x\"#c\n",
        "a: [x] y\n",
        "a: |x\n  y\n",
        "a: |0\n  y\n",
        "a: |\n\ty\n",
        "a:\n  |\n  text\n",
        "a: @x\n",
        "a: `x`\n",
        "a: %x\n",
        "a:\n  b: 1\n c: 2\n",
        "a:\n  - 1\n  b: 2\n",
        "a: 1\n- 2\n",
        "a: 1\n  b: 2\n",
        "just a scalar\n",
        "[1, 2]\n",
        "{a: 1}\n",
        "# only a comment\n",
        "a: \"\\q\"\n",
        "a: \"\\ud800\"\n",
        "a: x\u{85}y\n",
        "a: x\u{2028}y\n",
        "a: x\u{feff}\n",
        "a: \x7f\n",
        "a: one\n  two: three\n",
    ] {
        declined(doc);
    }
}

#[test]
fn long_keys_stay_under_libyamls_limit() {
    let key = "k".repeat(1000);
    accepted(&format!("{key}: 1\n"));
    let key = "k".repeat(1100);
    declined(&format!("{key}: 1\n"));
}

#[test]
fn nesting_is_limited_like_yaml_serde() {
    // yaml_serde allows 128 nested collections; the fast reader declines beyond.
    let nested = |depth: usize| {
        let mut doc = String::new();
        for i in 0..depth {
            doc.push_str(&" ".repeat(i));
            doc.push_str("a:\n");
        }
        doc.push_str(&" ".repeat(depth));
        doc.push_str("b: 1\n");
        doc
    };
    accepted(&nested(100));
    declined(&nested(200));
    // Deep hostile input is an error for that document, not a crash.
    let loaded = crate::load_bytes("deep.yaml", nested(5000).as_bytes());
    assert_eq!(loaded.errors.len(), 1);
}

#[test]
fn large_mappings_and_sequences_are_linear() {
    let mut doc = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    for i in 0..20_000 {
        doc.push_str(&format!("  key-{i}: value {i}\n"));
    }
    doc.push_str("list:\n");
    for i in 0..20_000 {
        doc.push_str(&format!("- {i}\n"));
    }
    let value = fast_value(&doc).unwrap();
    assert_eq!(value["data"].as_object().unwrap().len(), 20_000);
    assert_eq!(value["list"].as_array().unwrap().len(), 20_000);
    let mut dup = doc.clone();
    dup.push_str("data: again\n");
    assert!(matches!(fast_value(&dup), Err(Declined::Unsupported("duplicate mapping key", _))));
}

/// Deserialize `v: <scalar>` as `BTreeMap<String, T>` both ways: the fast reader must give
/// the same value, and must fail exactly when yaml_serde fails.
fn same_as_yaml_serde<T: DeserializeOwned + PartialEq + Debug>(scalar: &str) {
    let doc = format!("v: {scalar}\n");
    let slow = yaml_serde::from_str::<BTreeMap<String, T>>(&doc).ok();
    let fast = read(&doc, |de| BTreeMap::<String, T>::deserialize(de).ok());
    match (fast, slow) {
        (Ok(f), Some(s)) => assert!(f == s || format!("{f:?}") == format!("{s:?}"), "{doc:?} as {}: {f:?} vs {s:?}", std::any::type_name::<T>()),
        (Ok(f), None) => panic!("{doc:?} as {}: fast read {f:?}, yaml_serde failed", std::any::type_name::<T>()),
        (Err(Declined::Rejected), None) => {}
        (Err(Declined::Rejected), Some(s)) => panic!("{doc:?} as {}: fast rejected, yaml_serde read {s:?}", std::any::type_name::<T>()),
        (Err(Declined::Unsupported(..)), None) => {}
        (Err(Declined::Unsupported(..)), Some(s)) => panic!("{doc:?} as {}: declined, yaml_serde read {s:?}", std::any::type_name::<T>()),
    }
}

#[derive(Debug, Deserialize, PartialEq)]
enum Color {
    Red,
    #[serde(rename = "1")]
    One,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Wrapper(String);

#[derive(Debug, Deserialize, PartialEq)]
struct Point {
    x: i32,
    y: Option<f64>,
}

const SCALARS: &[&str] = &[
    "", "~", "null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRue", "false", "FALSE", "yes", "no", "on", "off", "y", "0", "-0", "+0",
    "00", "007", "-007", "+007", "0o17", "0o", "0o-1", "0x1F", "0X1F", "0x", "0xg", "-0x1F", "+0x1F", "0x-1", "0x+1", "+-0x1", "0b101", "-0b101",
    "1_000", "123", "-123", "+123", "++1", "+-1", "-+1", "--1", "2147483647", "2147483648", "-2147483649", "4294967296", "18446744073709551615",
    "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "340282366920938463463374607431768211455",
    "340282366920938463463374607431768211456", "-170141183460469231731687303715884105729", "1.5", "-1.5", "+1.5", ".5", "-.5", "5.", "1e3",
    "1E3", "1e-3", "+1e+3", "1e400", "-1e400", ".inf", "-.inf", "+.inf", ".Inf", ".INF", "-.Inf", ".nan", ".NaN", ".NAN", "-.nan", "+.nan", "inf",
    "nan", "NaN", "Infinity", "-Infinity", "0.0", "-0.0", "0123.5", "00.5", "1.2.3", ".", "-", "+", "e5", "1e", "100m", "128Mi", "1Gi", "1.5Gi",
    "a b", "Red", "1", "'q'", "\"d\"", "'it''s'", "\"\\u00e9\\t\"", "\"123\"", "'true'", "'~'", "\"null\"", "\"\"", "''", "\"Red\"",
    "2026-11-01T10:00:00Z", "\"2026-11-01T10:00:00Z\"", "2026-11-01", "12:30", "|\n  block\n", "|\n  42\n", ">\n  folded\n  text\n", "|-\n  12\n",
    "|-\n  true\n", "[]", "{}", "[a, 1, true]", "{x: 1}", "{x: 1, y: 2.5}", "{x: '1'}", "[\"a\"]",
];

#[test]
fn scalars_resolve_like_yaml_serde_for_every_target_type() {
    for s in SCALARS {
        same_as_yaml_serde::<Value>(s);
        same_as_yaml_serde::<String>(s);
        same_as_yaml_serde::<i64>(s);
        same_as_yaml_serde::<i32>(s);
        same_as_yaml_serde::<u8>(s);
        same_as_yaml_serde::<u64>(s);
        same_as_yaml_serde::<i128>(s);
        same_as_yaml_serde::<u128>(s);
        same_as_yaml_serde::<f64>(s);
        same_as_yaml_serde::<f32>(s);
        same_as_yaml_serde::<bool>(s);
        same_as_yaml_serde::<char>(s);
        same_as_yaml_serde::<()>(s);
        same_as_yaml_serde::<Option<String>>(s);
        same_as_yaml_serde::<Option<i64>>(s);
        same_as_yaml_serde::<Option<Vec<String>>>(s);
        same_as_yaml_serde::<Vec<String>>(s);
        same_as_yaml_serde::<Vec<Value>>(s);
        same_as_yaml_serde::<BTreeMap<String, String>>(s);
        same_as_yaml_serde::<Quantity>(s);
        same_as_yaml_serde::<IntOrString>(s);
        same_as_yaml_serde::<Color>(s);
        same_as_yaml_serde::<Wrapper>(s);
        same_as_yaml_serde::<Point>(s);
        same_as_yaml_serde::<yaml_serde::Value>(s);
    }
}

/// Every YAML file of the shared corpora, when present: no difference, and nearly all of
/// their documents take the fast path.
#[test]
fn shared_corpora_match_yaml_serde() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora");
    if !root.is_dir() {
        eprintln!("skipped: {} is absent", root.display());
        return;
    }
    let mut files = Vec::new();
    collect_yaml(&root, &mut files);
    let mut total = FastPathReport::default();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        if !crate::json::looks_like_json(&bytes) {
            total.add(check_fast_path(&file.display().to_string(), &bytes));
        }
    }
    assert!(total.mismatches.is_empty(), "{:#?}", total.mismatches);
    assert!(total.fast * 100 >= total.documents * 95, "only {} of {} documents read fast: {:?}", total.fast, total.documents, total.declined);
}

fn collect_yaml(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_yaml(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
}

/// A random YAML tree, rendered in the styles Kubernetes tools use.
#[derive(Clone, Debug)]
enum Tree {
    Scalar(String),
    Seq(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

fn scalar_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(SCALARS.iter().filter(|s| !s.contains('\n')).map(|s| s.to_string()).collect::<Vec<_>>()),
        "[a-z][a-z0-9.:/ -]{0,12}",
        "-?[0-9]{1,4}(\\.[0-9]{1,3})?",
        "\"[ -~]{0,8}\"".prop_filter("no stray escapes", |s| !s[1..s.len() - 1].contains(['"', '\\'])),
        "'[a-z '#:]{0,8}'".prop_map(|s| format!("'{}'", s[1..s.len() - 1].replace('\'', "''"))),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = scalar_text().prop_map(Tree::Scalar);
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Tree::Seq),
            prop::collection::vec(("[a-z][a-z0-9./-]{0,8}", inner), 0..5).prop_map(|entries| {
                // Unique keys: duplicates are declined, which is tested elsewhere.
                let mut seen = std::collections::HashSet::new();
                Tree::Map(entries.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect())
            }),
        ]
    })
}

/// Rendering choices, drawn per document.
#[derive(Clone, Debug)]
struct Style {
    indent: usize,
    indentless: bool,
    comments: bool,
    flow_leaves: bool,
}

fn render(tree: &Tree, style: &Style, depth: usize, out: &mut String) {
    let pad = " ".repeat(depth * style.indent);
    match tree {
        Tree::Map(entries) => {
            for (key, value) in entries {
                out.push_str(&pad);
                out.push_str(key);
                out.push(':');
                render_value(value, style, depth, true, out);
            }
        }
        Tree::Seq(items) => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                render_value(item, style, depth, false, out);
            }
        }
        Tree::Scalar(s) => {
            out.push_str(&pad);
            out.push_str(s);
            out.push('\n');
        }
    }
}

fn render_value(value: &Tree, style: &Style, depth: usize, under_key: bool, out: &mut String) {
    match value {
        Tree::Scalar(s) => {
            out.push(' ');
            out.push_str(s);
            if style.comments {
                out.push_str(" # note");
            }
            out.push('\n');
        }
        Tree::Seq(items) if items.is_empty() => out.push_str(" []\n"),
        Tree::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
        Tree::Seq(items) if style.flow_leaves && items.iter().all(|i| matches!(i, Tree::Scalar(s) if !s.is_empty() && !s.contains([':', '#', '[', '{', ',', ']', '}'])))
            => {
            let texts: Vec<&str> = items.iter().map(|i| if let Tree::Scalar(s) = i { s.as_str() } else { "" }).collect();
            out.push_str(&format!(" [{}]\n", texts.join(", ")));
        }
        Tree::Seq(_) if under_key && style.indentless => {
            out.push('\n');
            render(value, style, depth, out);
        }
        _ => {
            out.push('\n');
            if style.comments {
                out.push_str("# between\n");
            }
            render(value, style, depth + 1, out);
        }
    }
}

fn style() -> impl Strategy<Value = Style> {
    (2usize..5, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(indent, indentless, comments, flow_leaves)| Style { indent, indentless, comments, flow_leaves })
}

/// Characters that matter to YAML, for mutations.
const MUTATIONS: &[&str] = &[" ", "  ", "\n", "-", "- ", ":", ": ", "#", " #", "'", "\"", "|", ">", "[", "]", "{", "}", ",", "&a ", "*a", "!t ", "?", "\t", "\r\n", "\\", "é", "0x", "~", "\n  "];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn generated_documents_match_yaml_serde(entries in prop::collection::vec(("[a-z]{1,6}", tree()), 1..6), style in style()) {
        let mut doc = String::new();
        let mut seen = std::collections::HashSet::new();
        let root = Tree::Map(entries.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect());
        render(&root, &style, 0, &mut doc);
        let report = check_fast_path("gen.yaml", doc.as_bytes());
        prop_assert!(report.mismatches.is_empty(), "{:?}\n{}", report.mismatches, doc);
    }

    #[test]
    fn mutated_documents_match_yaml_serde(
        base in prop::sample::select(vec![
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {a: b}\nspec:\n  containers:\n  - name: c\n    image: x:1\n    ports: [{containerPort: 80}]\n",
            "a:\n- b: 1\n  c: 'x'\n- \"d\"\ne: |\n  text\n  more\nf: g # c\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: >-\n    folded\n    text\n  j: \"esc\\t\"\n",
        ]),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(MUTATIONS), 0usize..3), 1..4),
    ) {
        let mut doc = base.to_string();
        for (at, text, cut) in edits {
            let mut i = at.index(doc.len() + 1);
            while !doc.is_char_boundary(i) {
                i -= 1;
            }
            let mut end = (i + cut).min(doc.len());
            while !doc.is_char_boundary(end) {
                end += 1;
            }
            doc.replace_range(i..end, text);
        }
        let report = check_fast_path("mut.yaml", doc.as_bytes());
        prop_assert!(report.mismatches.is_empty(), "{:?}\n{:?}", report.mismatches, doc);
    }
}

#[test]
fn generated_documents_are_mostly_accepted() {
    // A fixed sample of the generator's output, to show the differential test above really
    // exercises the fast path.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (prop::collection::vec(("[a-z]{1,6}", tree()), 1..6), style());
    let (mut documents, mut fast) = (0, 0);
    for _ in 0..200 {
        let (entries, style) = strategy.new_tree(&mut runner).unwrap().current();
        let mut seen = std::collections::HashSet::new();
        let root = Tree::Map(entries.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect());
        let mut doc = String::new();
        render(&root, &style, 0, &mut doc);
        let report = check(&doc);
        documents += report.documents;
        fast += report.fast;
    }
    assert!(fast * 10 >= documents * 8, "{fast} of {documents}");
}
