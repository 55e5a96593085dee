//! Behaviour tests for the evaluator: one or more per control and version boundary, plus
//! properties over every policy version.

use kubepci_model::{Object, SourceLoc, decode_value};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::{Level, MAX_POLICY_MINOR, Version, evaluate};

fn object(v: Value) -> Object {
    decode_value(v, SourceLoc::new("t.yaml", 1, 1)).expect("test object decodes")
}

fn pod(spec: Value) -> Object {
    object(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}))
}

fn pod_with_annotations(annotations: Value, spec: Value) -> Object {
    object(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": annotations}, "spec": spec}))
}

/// Ids of the violated controls.
fn violated(o: &Object, level: Level, version: Version) -> Vec<&'static str> {
    let t = o.pod_template().expect("object has a pod template");
    evaluate(&t, level, version).violations.iter().map(|v| v.control).collect()
}

/// A container that satisfies every restricted control.
fn hardened(name: &str) -> Value {
    json!({"name": name, "image": "x", "securityContext": {
        "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}})
}

/// Pod-level fields that satisfy the restricted controls.
fn restricted_pod(containers: Value) -> Value {
    json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
           "containers": containers})
}

const LATEST: Version = Version::latest();

#[test]
fn minimal_pod_is_baseline_but_not_restricted() {
    let p = pod(json!({"containers": [{"name": "app", "image": "x"}]}));
    assert!(violated(&p, Level::Baseline, LATEST).is_empty());
    assert_eq!(
        violated(&p, Level::Restricted, LATEST),
        ["allowPrivilegeEscalation", "capabilities_restricted", "runAsNonRoot", "seccompProfile_restricted"]
    );
    assert!(violated(&p, Level::Privileged, LATEST).is_empty());
}

#[test]
fn privileged_message_and_fields_follow_the_template_path() {
    let d = object(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"selector": {}, "template": {"spec": {"containers": [
            {"name": "ok", "image": "x"},
            {"name": "app", "image": "x", "securityContext": {"privileged": true}}]}}}}));
    let t = d.pod_template().unwrap();
    let e = evaluate(&t, Level::Baseline, LATEST);
    assert!(!e.allowed);
    assert_eq!(e.violations.len(), 1);
    let v = &e.violations[0];
    assert_eq!(v.control, "privileged");
    assert_eq!(v.level, Level::Baseline);
    assert_eq!(v.reason, r#"privileged (container "app" must not set securityContext.privileged=true)"#);
    assert_eq!(v.fields, ["spec.template.spec.containers[1].securityContext.privileged"]);
}

#[test]
fn host_namespaces_ports_and_paths() {
    let p = pod(json!({"hostNetwork": true, "hostPID": true, "hostIPC": false,
        "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
        "containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 81, "hostPort": 0}]}]}));
    let t = p.pod_template().unwrap();
    let e = evaluate(&t, Level::Baseline, LATEST);
    let ids: Vec<_> = e.violations.iter().map(|v| v.control).collect();
    assert_eq!(ids, ["hostNamespaces", "hostPathVolumes", "hostPorts"]);
    assert_eq!(e.violations[0].reason, "host namespaces (hostNetwork=true, hostPID=true)");
    assert_eq!(e.violations[2].reason, r#"hostPort (container "a" uses hostPort 8080)"#);
    assert_eq!(e.violations[2].fields, ["spec.containers[0].ports[0].hostPort"]);
    // At restricted, hostPath is reported by restrictedVolumes instead.
    let r = violated(&p, Level::Restricted, LATEST);
    assert!(r.contains(&"restrictedVolumes") && !r.contains(&"hostPathVolumes"));
}

#[test]
fn capabilities_baseline_and_restricted() {
    let add = |caps: Value| pod(json!({"containers": [{"name": "a", "image": "x",
        "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"add": caps, "drop": ["ALL"]}}}],
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}}));
    assert!(violated(&add(json!(["CHOWN"])), Level::Baseline, LATEST).is_empty());
    assert_eq!(violated(&add(json!(["NET_RAW"])), Level::Baseline, LATEST), ["capabilities_baseline"]);
    assert_eq!(violated(&add(json!(["CHOWN"])), Level::Restricted, LATEST), ["capabilities_restricted"]);
    assert!(violated(&add(json!(["NET_BIND_SERVICE"])), Level::Restricted, LATEST).is_empty());
    // Before v1.22 restricted only had the baseline capabilities rule.
    assert!(violated(&add(json!(["CHOWN"])), Level::Restricted, Version::v1(21)).is_empty());
    assert_eq!(violated(&add(json!(["NET_RAW"])), Level::Restricted, Version::v1(21)), ["capabilities_baseline"]);
}

#[test]
fn windows_pods_skip_linux_only_restricted_controls_from_1_25() {
    let p = pod(json!({"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "a", "image": "x"}]}));
    assert!(violated(&p, Level::Restricted, Version::v1(25)).is_empty());
    assert_eq!(
        violated(&p, Level::Restricted, Version::v1(24)),
        ["allowPrivilegeEscalation", "capabilities_restricted", "seccompProfile_restricted"]
    );
}

#[test]
fn seccomp_annotations_before_1_19_fields_after() {
    let annotated = pod_with_annotations(
        json!({"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}),
        json!({"containers": [{"name": "a", "image": "x"}]}),
    );
    assert_eq!(violated(&annotated, Level::Baseline, Version::v1(18)), ["seccompProfile_baseline"]);
    assert!(violated(&annotated, Level::Baseline, Version::v1(19)).is_empty());
    let field = pod(json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}},
        "containers": [{"name": "a", "image": "x"}]}));
    assert!(violated(&field, Level::Baseline, Version::v1(18)).is_empty());
    assert_eq!(violated(&field, Level::Baseline, Version::v1(19)), ["seccompProfile_baseline"]);
    // A container-level profile covers a pod without one.
    let per_container = pod(json!({"securityContext": {"runAsNonRoot": true}, "containers": [
        {"name": "a", "image": "x", "securityContext": {"allowPrivilegeEscalation": false,
         "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "Localhost", "localhostProfile": "p"}}}]}));
    assert!(violated(&per_container, Level::Restricted, LATEST).is_empty());
}

#[test]
fn apparmor_annotations_and_fields() {
    let ann = pod_with_annotations(
        json!({"container.apparmor.security.beta.kubernetes.io/a": "unconfined"}),
        json!({"containers": [{"name": "a", "image": "x"}]}),
    );
    let t = ann.pod_template().unwrap();
    let e = evaluate(&t, Level::Baseline, Version::v1(0));
    assert_eq!(e.violations[0].control, "appArmorProfile");
    assert_eq!(e.violations[0].fields, ["metadata.annotations[container.apparmor.security.beta.kubernetes.io/a]"]);
    let ok = pod_with_annotations(
        json!({"container.apparmor.security.beta.kubernetes.io/a": "localhost/prof"}),
        json!({"containers": [{"name": "a", "image": "x", "securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}}]}),
    );
    assert!(violated(&ok, Level::Baseline, LATEST).is_empty());
    let field = pod(json!({"containers": [{"name": "a", "image": "x", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]}));
    assert_eq!(violated(&field, Level::Baseline, LATEST), ["appArmorProfile"]);
}

#[test]
fn selinux_types_by_version() {
    let p = |ty: &str| pod(json!({"securityContext": {"seLinuxOptions": {"type": ty}}, "containers": [{"name": "a", "image": "x"}]}));
    assert!(violated(&p("container_t"), Level::Baseline, Version::v1(0)).is_empty());
    assert_eq!(violated(&p("container_engine_t"), Level::Baseline, Version::v1(30)), ["seLinuxOptions"]);
    assert!(violated(&p("container_engine_t"), Level::Baseline, Version::v1(31)).is_empty());
    assert_eq!(violated(&p("spc_t"), Level::Baseline, LATEST), ["seLinuxOptions"]);
    let user = pod(json!({"containers": [{"name": "a", "image": "x", "securityContext": {"seLinuxOptions": {"user": "u", "level": "s0"}}}]}));
    let t = user.pod_template().unwrap();
    let e = evaluate(&t, Level::Baseline, LATEST);
    assert_eq!(e.violations[0].reason, r#"seLinuxOptions (container "a" set forbidden securityContext.seLinuxOptions: user may not be set)"#);
}

#[test]
fn sysctls_grow_by_version() {
    let p = |name: &str| pod(json!({"securityContext": {"sysctls": [{"name": name, "value": "1"}]}, "containers": [{"name": "a", "image": "x"}]}));
    assert!(violated(&p("net.ipv4.tcp_syncookies"), Level::Baseline, Version::v1(0)).is_empty());
    for (name, since) in [
        ("net.ipv4.ip_local_reserved_ports", 27),
        ("net.ipv4.tcp_keepalive_time", 29),
        ("net.ipv4.tcp_rmem", 32),
        ("net.ipv4.tcp_notsent_lowat", 37),
    ] {
        assert_eq!(violated(&p(name), Level::Baseline, Version::v1(since - 1)), ["sysctls"], "{name}");
        assert!(violated(&p(name), Level::Baseline, Version::v1(since)).is_empty(), "{name}");
    }
    assert_eq!(violated(&p("kernel.msgmax"), Level::Baseline, LATEST), ["sysctls"]);
}

#[test]
fn proc_mount_and_user_namespaces() {
    let p = |host_users: bool| pod(json!({"hostUsers": host_users, "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "a", "image": "x", "securityContext": {"procMount": "Unmasked", "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}));
    assert_eq!(violated(&p(false), Level::Baseline, Version::v1(34)), ["procMount"]);
    assert!(violated(&p(false), Level::Baseline, Version::v1(35)).is_empty());
    assert_eq!(violated(&p(true), Level::Baseline, Version::v1(35)), ["procMount"]);
    assert_eq!(violated(&p(false), Level::Restricted, Version::v1(34)), ["procMount"]);
    assert_eq!(violated(&p(false), Level::Restricted, Version::v1(35)), ["procMount_restricted"]);
}

#[test]
fn run_as_root_rules() {
    let base = |sc: Value, csc: Value| {
        let mut c = hardened("a");
        if let (Some(obj), Value::Object(extra)) = (c["securityContext"].as_object_mut(), csc) {
            obj.extend(extra);
        }
        let mut spec = restricted_pod(json!([c]));
        if let (Some(obj), Value::Object(extra)) = (spec["securityContext"].as_object_mut(), sc) {
            obj.extend(extra);
        }
        pod(spec)
    };
    assert!(violated(&base(json!({}), json!({})), Level::Restricted, LATEST).is_empty());
    assert_eq!(violated(&base(json!({"runAsUser": 0}), json!({})), Level::Restricted, LATEST), ["runAsUser"]);
    assert!(violated(&base(json!({"runAsUser": 0}), json!({})), Level::Restricted, Version::v1(22)).is_empty());
    assert_eq!(violated(&base(json!({}), json!({"runAsNonRoot": false})), Level::Restricted, LATEST), ["runAsNonRoot"]);
    let userns = pod(json!({"hostUsers": false, "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}, "containers": [hardened("a")]}));
    assert!(violated(&userns, Level::Restricted, Version::v1(35)).is_empty());
    assert_eq!(violated(&userns, Level::Restricted, Version::v1(34)), ["runAsNonRoot", "runAsUser"]);
}

#[test]
fn restricted_volumes_allow_only_safe_types() {
    let vols = |v: Value| pod(json!({"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [hardened("a")], "volumes": v}));
    let ok = vols(json!([{"name": "n"}, {"name": "e", "emptyDir": {}}, {"name": "i", "image": {"reference": "r"}},
        {"name": "p", "projected": {"sources": []}}, {"name": "c", "csi": {"driver": "d"}}]));
    assert!(violated(&ok, Level::Restricted, LATEST).is_empty());
    let bad = vols(json!([{"name": "n", "nfs": {"server": "s", "path": "/"}}]));
    let t = bad.pod_template().unwrap();
    let e = evaluate(&t, Level::Restricted, LATEST);
    assert_eq!(e.violations[0].reason, r#"restricted volume types (volume "n" uses restricted volume type "nfs")"#);
    assert_eq!(e.violations[0].fields, ["spec.volumes[0].nfs"]);
}

#[test]
fn probe_hosts_from_1_34() {
    let p = pod(json!({"containers": [{"name": "a", "image": "x",
        "livenessProbe": {"httpGet": {"port": 80, "host": "10.0.0.1"}},
        "lifecycle": {"preStop": {"tcpSocket": {"port": 80, "host": "metadata"}}}}]}));
    assert!(violated(&p, Level::Baseline, Version::v1(33)).is_empty());
    let t = p.pod_template().unwrap();
    let e = evaluate(&t, Level::Baseline, Version::v1(34));
    assert_eq!(e.violations[0].control, "hostProbesAndHostLifecycle");
    assert_eq!(e.violations[0].reason, r#"probe or lifecycle host (container "a" uses probe or lifecycle hosts "10.0.0.1", "metadata")"#);
    assert_eq!(e.violations[0].fields.len(), 2);
}

#[test]
fn windows_host_process_and_ephemeral_containers() {
    let p = pod(json!({"securityContext": {"windowsOptions": {"hostProcess": true}}, "containers": [{"name": "a", "image": "x"}],
        "ephemeralContainers": [{"name": "dbg", "image": "x", "securityContext": {"privileged": true}}]}));
    let t = p.pod_template().unwrap();
    let e = evaluate(&t, Level::Baseline, LATEST);
    let ids: Vec<_> = e.violations.iter().map(|v| v.control).collect();
    assert_eq!(ids, ["privileged", "windowsHostProcess"]);
    assert_eq!(e.violations[0].fields, ["spec.ephemeralContainers[0].securityContext.privileged"]);
}

#[test]
fn cronjob_template_paths() {
    let cj = object(json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {
            "metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/a": "unconfined"}},
            "spec": {"containers": [{"name": "a", "image": "x"}]}}}}}}));
    let t = cj.pod_template().unwrap();
    let e = evaluate(&t, Level::Baseline, LATEST);
    assert_eq!(
        e.violations[0].fields,
        ["spec.jobTemplate.spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/a]"]
    );
}

fn any_version() -> impl Strategy<Value = Version> {
    prop_oneof![Just(Version::latest()), (0u32..=MAX_POLICY_MINOR + 3).prop_map(Version::v1)]
}

proptest! {
    /// A pod with nothing set is baseline-allowed and restricted-denied at every version.
    #[test]
    fn bare_pod_everywhere(version in any_version(), n in 1usize..4) {
        let containers: Vec<Value> = (0..n).map(|i| json!({"name": format!("c{i}"), "image": "x"})).collect();
        let p = pod(json!({"containers": containers}));
        prop_assert!(violated(&p, Level::Baseline, version).is_empty());
        prop_assert!(!violated(&p, Level::Restricted, version).is_empty());
    }

    /// Adding the restricted-compliant fields makes it allowed at every version.
    #[test]
    fn hardened_pod_everywhere(version in any_version(), n in 1usize..4, init in 0usize..3) {
        let containers: Vec<Value> = (0..n).map(|i| hardened(&format!("c{i}"))).collect();
        let mut spec = restricted_pod(json!(containers));
        spec["initContainers"] = json!((0..init).map(|i| hardened(&format!("i{i}"))).collect::<Vec<_>>());
        let p = pod(spec);
        prop_assert!(violated(&p, Level::Restricted, version).is_empty());
        prop_assert!(violated(&p, Level::Baseline, version).is_empty());
    }

    /// Restricted denies whatever baseline denies (at the same version).
    #[test]
    fn restricted_is_at_least_as_strict(version in any_version(), privileged in any::<bool>(), host_net in any::<bool>(), cap in prop::sample::select(vec!["CHOWN", "NET_RAW", "SYS_ADMIN"])) {
        let p = pod(json!({"hostNetwork": host_net, "containers": [{"name": "a", "image": "x",
            "securityContext": {"privileged": privileged, "capabilities": {"add": [cap]}}}]}));
        if !violated(&p, Level::Baseline, version).is_empty() {
            prop_assert!(!violated(&p, Level::Restricted, version).is_empty());
        }
    }

    /// Both levels at once give exactly the two separate evaluations, violations and order.
    #[test]
    fn both_levels_at_once_equal_each_level(version in any_version(), privileged in any::<bool>(), host_net in any::<bool>(),
        cap in prop::sample::select(vec!["CHOWN", "NET_RAW", "SYS_ADMIN", "NET_BIND_SERVICE"]), drop_all in any::<bool>(),
        seccomp in prop::sample::select(vec!["", "RuntimeDefault", "Unconfined", "Localhost"]), non_root in any::<bool>(), escalation in any::<bool>()) {
        let mut security = json!({"privileged": privileged, "allowPrivilegeEscalation": escalation, "capabilities": {"add": [cap]}});
        if drop_all { security["capabilities"]["drop"] = json!(["ALL"]); }
        if !seccomp.is_empty() { security["seccompProfile"] = json!({"type": seccomp, "localhostProfile": "p.json"}); }
        let p = pod(json!({"hostNetwork": host_net, "securityContext": {"runAsNonRoot": non_root},
            "containers": [{"name": "a", "image": "x", "securityContext": security}]}));
        let t = p.pod_template().expect("pod template");
        let (baseline, restricted) = crate::evaluate_levels(&t, version);
        prop_assert_eq!(baseline, evaluate(&t, Level::Baseline, version));
        prop_assert_eq!(restricted, evaluate(&t, Level::Restricted, version));
    }
}

#[test]
fn evaluate_objects_keeps_input_order_and_skips_objects_without_pods() {
    let objects = [
        pod(json!({"hostPID": true, "containers": [{"name": "c", "image": "x"}]})),
        object(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}})),
        object(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
            "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}})),
    ];
    let results = crate::evaluate_objects(&objects, Level::Baseline, Version::latest());
    let names: Vec<String> = results.iter().map(|r| r.object.to_string()).collect();
    assert_eq!(names, ["Pod/p", "Deployment/n/d"]);
    assert!(!results[0].evaluation.allowed);
    assert_eq!(results[0].evaluation.violations[0].control, "hostNamespaces");
    assert!(results[1].evaluation.allowed);
    assert_eq!((&*results[1].source.file, results[1].source.line), ("t.yaml", 1));
}
