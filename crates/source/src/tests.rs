use super::*;

fn load(name: &str, text: &str) -> Loaded {
    load_bytes(name, text.as_bytes())
}

#[test]
fn multi_document_yaml_with_lines() {
    let l = load("m.yaml", "# header\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: a\n");
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.documents, 2);
    assert_eq!(l.objects[0].loc.to_string(), "m.yaml:2:1");
    assert_eq!(l.objects[1].loc.line, 7);
    assert_eq!(l.objects[1].kind(), "ConfigMap");
}

#[test]
fn broken_document_is_reported_and_others_still_load() {
    let l = load("b.yaml", "kind: Namespace\napiVersion: v1\nmetadata: {name: a}\n---\nkind: Pod\n  bad: [\n---\nkind: Namespace\napiVersion: v1\nmetadata: {name: z}\n");
    assert_eq!(l.objects.len(), 2);
    assert_eq!(l.errors.len(), 1);
    let e = &l.errors[0];
    assert_eq!(&*e.loc.file, "b.yaml");
    assert_eq!(e.loc.line, 6, "{e}");
    assert!(e.loc.column > 0);
    assert_eq!(l.documents, 3);
}

#[test]
fn decode_errors_name_the_field() {
    let l = load("d.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    ports: [{containerPort: eighty}]\n");
    assert_eq!(l.errors.len(), 1);
    assert!(l.errors[0].message.starts_with("spec.containers[0].ports[0].containerPort"), "{}", l.errors[0]);
    assert_eq!(l.errors[0].loc.line, 1);
}

#[test]
fn typed_and_generic_lists_in_yaml_and_json() {
    let l = load("l.yaml", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}\n");
    assert_eq!(l.objects.len(), 2);
    assert_eq!(l.objects[1].kind(), "Widget");

    let json = "{\n \"apiVersion\": \"v1\",\n \"kind\": \"PodList\",\n \"items\": [\n  {\"metadata\": {\"name\": \"p1\", \"namespace\": \"a\"}},\n  {\"metadata\": {\"name\": \"p2\", \"namespace\": \"a\"}}\n ]\n}\n";
    let l = load("pods.json", json);
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.objects.len(), 2);
    assert_eq!(l.objects[0].kind(), "Pod");
    assert_eq!(l.objects[1].loc.to_string(), "pods.json:6:3");
}

#[test]
fn json_array_and_concatenated_values() {
    let l = load("a.json", "[{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}]\n{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"b\"}}");
    assert_eq!(l.objects.len(), 2, "{:?}", l.errors);
    assert_eq!(l.objects[1].loc.line, 2);
}

#[test]
fn json_syntax_error_has_position() {
    let l = load("e.json", "{\"apiVersion\": \"v1\",\n \"kind\": }");
    assert_eq!(l.errors.len(), 1);
    assert_eq!(l.errors[0].loc.line, 2, "{}", l.errors[0]);
}

#[test]
fn hostile_inputs_are_errors_not_crashes() {
    // Billion laughs.
    let mut bomb = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for i in 1..10 {
        let prev = (b'a' + i - 1) as char;
        let cur = (b'a' + i) as char;
        bomb.push_str(&format!("{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    let l = load("bomb.yaml", &bomb);
    assert_eq!(l.objects.len(), 0);
    assert_eq!(l.errors.len(), 1);

    // Deep nesting.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let l = load("deep.yaml", &format!("a: {deep}\n"));
    assert_eq!(l.errors.len(), 1);
    let l = load("deep.json", &format!("{{\"a\": {deep}}}"));
    assert_eq!(l.errors.len(), 1);

    // Non-UTF-8 in the second document only.
    let mut bytes = b"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nx: \"".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\"\n");
    let l = load_bytes("bin.yaml", &bytes);
    assert_eq!(l.objects.len(), 1);
    assert_eq!(l.errors[0].loc.to_string(), "bin.yaml:5:5");

    // Scalars that are not objects.
    let l = load("s.yaml", "just a string\n---\n- 1\n- 2\n");
    assert_eq!(l.errors.len(), 2);
}

#[test]
fn gzip_input() {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n").unwrap();
    let l = load_bytes("snap.yaml.gz", &enc.finish().unwrap());
    assert_eq!(l.objects.len(), 1);
}

#[test]
fn directories_are_walked_in_sorted_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/b.yml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n").unwrap();
    std::fs::write(dir.path().join("a.json"), "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a manifest").unwrap();
    let l = load_paths(&[dir.path().to_path_buf(), dir.path().join("missing.yaml")]);
    let names: Vec<_> = l.objects.iter().map(|o| o.name().to_string()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(l.files, 2);
    assert_eq!(l.errors.len(), 1);
    assert!(l.errors[0].to_string().contains("missing.yaml"));
}

/// Controllers with equal pod template specs hold one copy, in YAML and in a JSON List, and
/// every object reads back exactly as k8s-openapi decodes it on its own (status and
/// managedFields aside, which typed decoding never keeps).
#[test]
fn equal_pod_template_specs_are_shared_and_read_back_whole() {
    use kubepci_model::Resource;
    use kubepci_model::k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
    let spec = r#"{"containers":[{"name":"web","image":"shop/web:1.2","securityContext":{"runAsNonRoot":true}}],"serviceAccountName":"web"}"#;
    let other = r#"{"containers":[{"name":"web","image":"shop/web:1.3"}],"serviceAccountName":"web"}"#;
    let deployment = format!(r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"web","namespace":"shop"}},"spec":{{"selector":{{"matchLabels":{{"app":"web"}}}},"template":{{"metadata":{{"labels":{{"app":"web"}}}},"spec":{spec}}}}}}}"#);
    let rs = |name: &str, spec: &str| format!(r#"{{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{{"name":"{name}","namespace":"shop","managedFields":[{{"manager":"m"}}]}},"spec":{{"replicas":0,"selector":{{"matchLabels":{{"app":"web","pod-template-hash":"{name}"}}}},"template":{{"metadata":{{"labels":{{"app":"web","pod-template-hash":"{name}"}}}},"spec":{spec}}}}},"status":{{"replicas":0}}}}"#);
    let items = [deployment, rs("web-a", spec), rs("web-b", other), rs("web-c", spec)];
    let json_list = format!(r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#, items.join(","));
    let yaml = format!("# flow-style YAML documents\n{}", items.join("\n---\n"));
    for (name, text) in [("l.json", json_list.as_str()), ("d.yaml", yaml.as_str())] {
        let l = load(name, text);
        assert!(l.errors.is_empty(), "{name}: {:?}", l.errors);
        let specs: Vec<_> = l.objects.iter().map(|o| o.pod_template().unwrap().spec as *const _).collect();
        assert!(specs[0] == specs[1] && specs[1] == specs[3], "{name}: equal specs shared");
        assert!(specs[2] != specs[0], "{name}: a different spec is its own");
        for (o, raw) in l.objects.iter().zip(&items) {
            let mut value: serde_json::Value = serde_json::from_str(raw).unwrap();
            value.as_object_mut().unwrap().remove("status");
            value["metadata"].as_object_mut().unwrap().remove("managedFields");
            match &o.resource {
                Resource::Deployment(d) => assert_eq!(Deployment::from(d.as_ref().clone()), serde_json::from_value::<Deployment>(value).unwrap()),
                Resource::ReplicaSet(r) => assert_eq!(ReplicaSet::from(r.as_ref().clone()), serde_json::from_value::<ReplicaSet>(value).unwrap()),
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
    }
}
