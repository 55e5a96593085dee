//! The fast list split (`fast_list`) against the general path (`general_stream`, the reader
//! used for every JSON input before the split existed): same objects, errors and locations.

use proptest::prelude::*;

use super::*;

const NAME: &str = "t.json";

/// A `kubectl get -o json` list, with strings holding brackets, braces, escaped quotes and
/// backslashes, nested arrays, an item whose keys are not in kubectl's order, and the list's
/// `kind` after its items (as kubectl writes it).
const KUBECTL_LIST: &str = r#"{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "data": {
                "x": "[{\"y\": 1}] }",
                "z": "\\"
            },
            "kind": "ConfigMap",
            "metadata": {
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"}]\\\\\"}\"}\n"
                },
                "name": "cm",
                "namespace": "a"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "a", "labels": {"k": "v"}}
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "a"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "x"}}}]}]}
        },
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w{", "namespace": "a"},
            "spec": {"nested": [[1, 2], [[3]], {"a": [true, false, null, -1.5e3, "\u00e9\"]"]}]}
        },
        {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "a"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
"#;

/// A short list for the exhaustive edits below.
const SMALL_LIST: &str = "{\"apiVersion\": \"v1\", \"items\": [\n {\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a]\\\"\"}},\n {\"apiVersion\": \"x/v1\", \"kind\": \"W\", \"metadata\": {\"name\": \"b\"}, \"s\": [[1], {\"t\": \"{\"}]}\n], \"kind\": \"List\"}\n";

fn same(a: &[Parsed], b: &[Parsed]) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// The loader's answer (fast path when it applies) must be the general path's.
#[track_caller]
fn assert_agrees(bytes: &[u8]) {
    let file: Arc<str> = NAME.into();
    let (got, want) = (parse_stream(&file, bytes, &PodSpecInterner::new()), general_stream(&file, bytes, &PodSpecInterner::new()));
    assert!(same(&got, &want), "input {:?}\n fast: {got:?}\n general: {want:?}", String::from_utf8_lossy(bytes));
}

#[track_caller]
fn assert_fast(bytes: &[u8]) {
    assert_eq!(check_json_split(NAME, bytes), Ok(true), "{:?}", String::from_utf8_lossy(bytes));
}

fn load(text: &str) -> Vec<Parsed> {
    parse_stream(&NAME.into(), text.as_bytes(), &PodSpecInterner::new())
}

#[test]
fn kubectl_list_is_split_with_the_general_paths_objects_and_locations() {
    assert_fast(KUBECTL_LIST.as_bytes());
    let parsed = load(KUBECTL_LIST);
    let locs: Vec<String> = parsed.iter().map(|r| r.as_ref().unwrap().loc.to_string()).collect();
    assert_eq!(locs, ["t.json:4:9", "t.json:19:9", "t.json:24:9", "t.json:30:9", "t.json:36:9"]);
    let kinds: Vec<&str> = parsed.iter().map(|r| r.as_ref().unwrap().kind()).collect();
    assert_eq!(kinds, ["ConfigMap", "Namespace", "NetworkPolicy", "Widget", "Pod"]);
    // The same list minified (one line: columns count bytes) and with CRLF line ends.
    let minified = serde_json::to_string(&serde_json::from_str::<Value>(KUBECTL_LIST).unwrap()).unwrap();
    assert_fast(minified.as_bytes());
    assert_fast(KUBECTL_LIST.replace('\n', "\r\n").as_bytes());
}

#[test]
fn typed_lists_and_top_level_arrays() {
    let pods = "{\"apiVersion\": \"v1\", \"kind\": \"PodList\", \"items\": [\n  {\"metadata\": {\"name\": \"p1\", \"namespace\": \"a\"}},\n  {\"metadata\": {\"name\": \"p2\", \"namespace\": \"a\"}}\n]}";
    assert_fast(pods.as_bytes());
    let parsed = load(pods);
    assert_eq!(parsed[1].as_ref().unwrap().kind(), "Pod");
    assert_eq!(parsed[1].as_ref().unwrap().loc.to_string(), "t.json:3:3");
    let array = "[{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}},\n {\"kind\": \"Namespace\"}, [1]]";
    assert_fast(array.as_bytes());
    let parsed = load(array);
    assert_eq!(parsed.len(), 3);
    assert!(parsed[0].is_ok());
    assert_eq!(parsed[1].as_ref().unwrap_err().loc.to_string(), "t.json:2:2");
    assert!(parsed[2].is_err());
}

#[test]
fn valid_items_that_do_not_decode_stay_per_item_errors() {
    // Nesting beyond serde_json's recursion limit, a number out of f64 range, a lone surrogate,
    // a duplicate key: valid JSON text (the general path's probe reads it), rejected when read.
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    for item in [
        format!("{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"d\"}}, \"data\": {{\"x\": {deep}}}}}"),
        "{\"apiVersion\": \"x/v1\", \"kind\": \"W\", \"metadata\": {\"name\": \"n\"}, \"v\": 1e999}".into(),
        "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"\\ud800\"}}".into(),
        "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}".into(),
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": 3}}".into(),
    ] {
        let text = format!("{{\"kind\": \"List\", \"items\": [{{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {{\"name\": \"ok\"}}}}, {item}]}}");
        assert_fast(text.as_bytes());
        assert_agrees(text.as_bytes());
    }
}

#[test]
fn inputs_left_to_the_general_path() {
    for text in [
        // Not a list, or not only a list.
        "{\"kind\": \"Pod\", \"items\": [{}]}",
        "{\"kind\": \"List\", \"items\": [{}]}\n{\"kind\": \"List\", \"items\": [{}]}",
        "{\"kind\": \"List\", \"items\": [{}]} x",
        "{\"kind\": null, \"items\": [{}]}",
        "{\"kind\": 3, \"items\": [{}]}",
        "{\"kind\": \"List\", \"items\": null}",
        "{\"kind\": \"List\", \"items\": [{}], \"items\": [{}]}",
        "{\"kind\": \"List\", \"kind\": \"List\", \"items\": [{}]}",
        "{\"kind\": \"List\", \"it\\u0065ms\": [{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"a\"}}]}",
        // Items that are not objects or arrays.
        "{\"kind\": \"List\", \"items\": [1, {}]}",
        "{\"kind\": \"List\", \"items\": [\"{}\"]}",
        "[{}, null]",
        // Broken between items, in the envelope, inside an item, or cut short.
        "{\"kind\": \"List\", \"items\": [{}\n{}]}",
        "{\"kind\": \"List\", \"items\": [{},\n]}",
        "{\"kind\": \"List\", \"items\": [{}], \"metadata\": {\"a\": tru}}",
        "{\"kind\": \"List\",\n \"items\": [{\"a\": [1, 2}]}",
        "{\"kind\": \"List\",\n \"items\": [{\"a\": \"\t\"}]}",
        "{\"kind\": \"List\",\n \"items\": [{\"a\": \"\\x\"}]}",
        "{\"kind\": \"List\",\n \"items\": [{\"a\": 01}]}",
        "{\"kind\": \"List\",\n \"items\": [{\"a\": 1} ]",
        "{\"kind\": \"List\",\n \"items\": [{\"a\": 1}",
        "[{}, {\"a\": }]",
    ] {
        assert_eq!(check_json_split(NAME, text.as_bytes()), Ok(false), "{text}");
        assert_agrees(text.as_bytes());
    }
    // A syntax error inside an item is the file's one error, with its position in the file.
    let parsed = load("{\"kind\": \"List\",\n \"items\": [{}, {\"a\":\n [1, 2}]}");
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].as_ref().unwrap_err().to_string(), "t.json:3:7: expected `,` or `]`");
}

#[test]
fn invalid_utf8_anywhere_is_the_general_paths_error() {
    let text = SMALL_LIST.as_bytes();
    for at in [1, 20, text.len() / 2, text.len() - 3] {
        let mut bytes = text.to_vec();
        bytes.insert(at, 0xff);
        assert_agrees(&bytes);
        let parsed = parse_stream(&NAME.into(), &bytes, &PodSpecInterner::new());
        assert_eq!(parsed.len(), 1);
        assert!(parsed[0].as_ref().unwrap_err().message.contains("invalid UTF-8"));
    }
}

#[test]
fn every_truncation_and_single_byte_edit_agrees() {
    assert_fast(SMALL_LIST.as_bytes());
    for text in [SMALL_LIST, KUBECTL_LIST] {
        let bytes = text.as_bytes();
        for end in 0..bytes.len() {
            assert_agrees(&bytes[..end]);
        }
    }
    let bytes = SMALL_LIST.as_bytes();
    for at in 0..bytes.len() {
        let mut deleted = bytes.to_vec();
        deleted.remove(at);
        assert_agrees(&deleted);
        for b in *b"{}[]\",:\\ x1\n" {
            let mut replaced = bytes.to_vec();
            replaced[at] = b;
            assert_agrees(&replaced);
        }
    }
}

/// JSON text with random white space, strings holding the bytes the splitter looks at.
fn json_text() -> impl Strategy<Value = String> {
    let ws = prop::sample::select(vec!["", " ", "\n", "\r\n  ", "\t"]);
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("-1.5e3".to_string()),
        Just("0".to_string()),
        "[a-z{}\\[\\]\"\\\\\n é]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
    ];
    leaf.prop_recursive(4, 32, 4, move |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..4), ws.clone()).prop_map(|(v, w)| format!("[{w}{}{w}]", v.join(&format!(",{w}")))),
            (prop::collection::vec(("[a-z{}\"\\\\]{0,4}", inner), 0..4), ws.clone()).prop_map(|(kv, w)| {
                let members: Vec<String> = kv.iter().map(|(k, v)| format!("{}:{w}{v}", serde_json::to_string(k).unwrap_or_default())).collect();
                format!("{{{w}{}{w}}}", members.join(&format!(",{w}")))
            }),
        ]
    })
}

/// A list item: an object, mostly a Kubernetes one, with extra members.
fn item() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(vec!["Namespace", "ConfigMap", "Widget", "Pod", ""]);
    let api_version = prop::sample::select(vec!["v1", "example.com/v1", ""]);
    (kind, api_version, "[a-z\\]\"]{1,5}", prop::collection::vec(("[a-z]{1,5}", json_text()), 0..3), any::<bool>()).prop_map(|(kind, api_version, name, extra, typed)| {
        let mut members = Vec::new();
        if !api_version.is_empty() {
            members.push(format!("\"apiVersion\": \"{api_version}\""));
        }
        if !kind.is_empty() && typed {
            members.push(format!("\"kind\": \"{kind}\""));
        }
        members.push(format!("\"metadata\": {{\"name\": {}, \"namespace\": \"a\"}}", serde_json::to_string(&name).unwrap_or_default()));
        members.extend(extra.iter().map(|(k, v)| format!("\"{k}\": {v}")));
        format!("{{\n  {}\n}}", members.join(",\n  "))
    })
}

/// A list (and whether its kind ends in `List`), its envelope's members in any order, and
/// maybe one edit: (cut there or replace a byte, position, byte).
fn list() -> impl Strategy<Value = (String, bool, Option<(bool, usize, u8)>)> {
    let kind = prop::sample::select(vec!["List", "PodList", "ConfigMapList", "Pod"]);
    let edit = prop::option::of((any::<bool>(), any::<usize>(), prop::sample::select(b"{}[]\",:\\ x\n\xff".to_vec())));
    (kind, prop::collection::vec(item(), 0..5), json_text(), 0..4usize, edit).prop_map(|(kind, items, metadata, rotate, edit)| {
        let mut members = [
            "\"apiVersion\": \"v1\"".to_string(),
            format!("\"items\": [\n{}\n]", items.join(",\n")),
            format!("\"kind\": \"{kind}\""),
            format!("\"metadata\": {metadata}"),
        ];
        members.rotate_left(rotate);
        (format!("{{\n{}\n}}\n", members.join(",\n")), kind.ends_with("List"), edit)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_lists_agree_with_the_general_path((text, is_list, edit) in list()) {
        // Every unedited list of objects is split by the fast path.
        prop_assert_eq!(check_json_split(NAME, text.as_bytes()), Ok(is_list), "{}", text);
        let mut bytes = text.into_bytes();
        if let Some((cut, at, byte)) = edit {
            let at = at % bytes.len();
            if cut { bytes.truncate(at) } else { bytes[at] = byte }
        }
        let file: Arc<str> = NAME.into();
        let (got, want) = (parse_stream(&file, &bytes, &PodSpecInterner::new()), general_stream(&file, &bytes, &PodSpecInterner::new()));
        prop_assert!(same(&got, &want), "input {:?}\n fast: {:?}\n general: {:?}", String::from_utf8_lossy(&bytes), got, want);
    }
}

/// `KUBEPCI_JSON_CHECK=FILE… cargo test --release -p kubepci-source -- --ignored json_files_agree`:
/// the differential check on real files (the benchmark corpora, kubectl dumps). A `.list` file
/// names more files, one a line.
#[test]
#[ignore]
fn json_files_agree() {
    let mut paths = Vec::new();
    for arg in std::env::var("KUBEPCI_JSON_CHECK").unwrap_or_default().split_whitespace() {
        match arg.strip_suffix(".list") {
            Some(_) => paths.extend(std::fs::read_to_string(arg).unwrap().lines().map(str::to_string)),
            None => paths.push(arg.to_string()),
        }
    }
    let mut fast = 0;
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let started = std::time::Instant::now();
        let checked = check_json_split(path, &bytes);
        eprintln!("{path}: {checked:?} in {:.2?}", started.elapsed());
        assert!(checked.is_ok(), "{path}: {checked:?}");
        fast += usize::from(checked == Ok(true));
    }
    eprintln!("{} files, {fast} read by the fast path", paths.len());
}
