//! Conditions on an event's `requestObject` (and, for exec, on the command it runs), by name.
//! Rule files combine them; the list is closed so that a misspelt name is an error, not a rule
//! that silently never fires.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Predicate {
    /// A container (init, regular or ephemeral) with `securityContext.privileged: true`.
    Privileged,
    /// A container or the pod declares `runAsNonRoot: false` or `runAsUser: 0`.
    RunsAsRoot,
    HostNetwork,
    HostPid,
    HostIpc,
    /// Any `hostPath` volume.
    HostPath,
    /// A `hostPath` volume on a path that gives the host away (`/`, `/etc`, `/proc`, the
    /// container runtime's socket, the kubelet's directory, …).
    SensitiveHostPath,
    /// `capabilities.add` with SYS_ADMIN, NET_ADMIN, BPF, SYS_PTRACE, SYS_MODULE, … or ALL.
    DangerousCapabilities,
    /// A Role/ClusterRole rule with `*` in resources or verbs.
    RoleWildcard,
    /// A Role/ClusterRole rule granting create, update, patch, delete or deletecollection.
    RoleWrite,
    /// A Role/ClusterRole rule on `pods/exec` (or `pods/*`).
    RolePodExec,
    /// A Role/ClusterRole rule on `nodes/proxy`, `nodes/*` or `*`.
    RoleNodeProxy,
    /// A binding whose roleRef is `cluster-admin`.
    BindsClusterAdmin,
    /// A binding whose roleRef is a privileged role (cluster-admin, admin, system:masters,
    /// the control-plane components' roles).
    BindsPrivilegedRole,
    NodePortService,
    /// An Ingress without `spec.tls`.
    IngressWithoutTls,
    /// A ConfigMap whose data holds AWS keys, passwords or passphrases.
    ConfigMapPrivateCredentials,
    /// A CertificateSigningRequest for client authentication to the API server (not a
    /// kubelet's bootstrap certificate).
    ClientAuthCsr,
    /// An exec whose command touches a mounted ServiceAccount token.
    ExecReadsServiceAccountToken,
    /// An exec running `tar` writing to stdout: what `kubectl cp` from a pod does.
    ExecCopiesOut,
}

const DANGEROUS_CAPABILITIES: &[&str] =
    &["ALL", "SYS_ADMIN", "NET_ADMIN", "BPF", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH", "SYS_BOOT", "PERFMON", "NET_RAW"];

const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/",
    "/proc",
    "/etc",
    "/root",
    "/home/admin",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/crio/crio.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/var/lib/kubelet",
    "/var/lib/kubelet/pki",
    "/etc/kubernetes",
    "/etc/kubernetes/manifests",
];

const PRIVILEGED_ROLES: &[&str] = &[
    "cluster-admin",
    "admin",
    "system:masters",
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:node",
    "system:aggregate-to-admin",
    "system:aggregate-to-edit",
];

const TOKEN_PATHS: &[&str] = &["/var/run/secrets/kubernetes.io/serviceaccount", "/var/run/secrets/eks.amazonaws.com/serviceaccount", "/var/run/secrets/azure/tokens", "/run/secrets/kubernetes.io/serviceaccount"];

const PRIVATE_CREDENTIAL_MARKERS: &[&str] = &["aws_access_key_id", "aws-access-key-id", "aws_s3_access_key_id", "aws-s3-access-key-id", "password", "passphrase"];

/// What a predicate looks at: the parsed request object (if any) and the exec command (from
/// the request object or the request URI's `command=` parameters).
pub struct Subject<'v> {
    pub object: Option<&'v Value>,
    pub command: &'v [String],
}

impl Predicate {
    pub fn holds(self, s: &Subject<'_>) -> bool {
        match self {
            Predicate::ExecReadsServiceAccountToken => s.command.iter().any(|a| TOKEN_PATHS.iter().any(|p| a.contains(p))),
            Predicate::ExecCopiesOut => exec_copies_out(s.command),
            _ => s.object.is_some_and(|o| self.holds_on(o)),
        }
    }

    fn holds_on(self, o: &Value) -> bool {
        match self {
            Predicate::Privileged => containers(o).any(|c| at(c, &["securityContext", "privileged"]) == Some(&Value::Bool(true))),
            Predicate::RunsAsRoot => {
                let root = |sc: Option<&Value>| {
                    sc.is_some_and(|sc| sc.get("runAsNonRoot") == Some(&Value::Bool(false)) || sc.get("runAsUser").and_then(Value::as_i64) == Some(0))
                };
                pod_specs(o).any(|p| root(p.get("securityContext"))) || containers(o).any(|c| root(c.get("securityContext")))
            }
            Predicate::HostNetwork => pod_specs(o).any(|p| p.get("hostNetwork") == Some(&Value::Bool(true))),
            Predicate::HostPid => pod_specs(o).any(|p| p.get("hostPID") == Some(&Value::Bool(true))),
            Predicate::HostIpc => pod_specs(o).any(|p| p.get("hostIPC") == Some(&Value::Bool(true))),
            Predicate::HostPath => host_paths(o).next().is_some(),
            Predicate::SensitiveHostPath => host_paths(o).any(|p| {
                let p = if p.len() > 1 { p.trim_end_matches('/') } else { p };
                SENSITIVE_HOST_PATHS.contains(&p)
            }),
            Predicate::DangerousCapabilities => containers(o).any(|c| {
                strings(at(c, &["securityContext", "capabilities", "add"])).any(|cap| {
                    let cap = cap.strip_prefix("CAP_").unwrap_or(cap);
                    DANGEROUS_CAPABILITIES.iter().any(|d| d.eq_ignore_ascii_case(cap))
                })
            }),
            Predicate::RoleWildcard => role_rules(o).any(|r| strings(r.get("resources")).chain(strings(r.get("verbs"))).any(|v| v == "*")),
            Predicate::RoleWrite => role_rules(o)
                .any(|r| strings(r.get("verbs")).any(|v| matches!(v, "create" | "update" | "patch" | "delete" | "deletecollection"))),
            Predicate::RolePodExec => role_rules(o).any(|r| strings(r.get("resources")).any(|v| v == "pods/exec" || v == "pods/*")),
            Predicate::RoleNodeProxy => role_rules(o).any(|r| strings(r.get("resources")).any(|v| matches!(v, "nodes/proxy" | "nodes/*" | "*"))),
            Predicate::BindsClusterAdmin => role_ref(o) == Some("cluster-admin"),
            Predicate::BindsPrivilegedRole => role_ref(o).is_some_and(|r| PRIVILEGED_ROLES.contains(&r)),
            Predicate::NodePortService => at(o, &["spec", "type"]).and_then(Value::as_str) == Some("NodePort"),
            Predicate::IngressWithoutTls => at(o, &["spec", "tls"]).and_then(Value::as_array).is_none_or(|t| t.is_empty()),
            Predicate::ConfigMapPrivateCredentials => o.get("data").and_then(Value::as_object).is_some_and(|data| {
                data.iter().any(|(k, v)| {
                    let v = v.as_str().unwrap_or("");
                    PRIVATE_CREDENTIAL_MARKERS.iter().any(|m| k.contains(m) || v.contains(m))
                })
            }),
            Predicate::ClientAuthCsr => {
                let signer = at(o, &["spec", "signerName"]).and_then(Value::as_str).unwrap_or("");
                strings(at(o, &["spec", "usages"])).any(|u| u == "client auth") && signer != "kubernetes.io/kube-apiserver-client-kubelet"
            }
            Predicate::ExecReadsServiceAccountToken | Predicate::ExecCopiesOut => false,
        }
    }
}

/// The value at a path of object keys: what `Value::pointer` finds, without the copy of each
/// token it makes (pointer syntax escapes `~` and `/`), which was most of a pod rule's cost.
fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, key| v.get(*key))
}

fn strings(v: Option<&Value>) -> impl Iterator<Item = &str> {
    v.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
}

/// The pod specs in an object: a Pod's `spec`, a workload's template, a CronJob's job template.
fn pod_specs(o: &Value) -> impl Iterator<Item = &Value> {
    [&["spec", "template", "spec"][..], &["spec", "jobTemplate", "spec", "template", "spec"]]
        .into_iter()
        .filter_map(move |p| at(o, p))
        .chain(o.get("spec").filter(|s| s.get("containers").is_some()))
}

fn containers(o: &Value) -> impl Iterator<Item = &Value> {
    pod_specs(o).flat_map(|p| {
        ["initContainers", "containers", "ephemeralContainers"].into_iter().flat_map(move |k| p.get(k).and_then(Value::as_array).into_iter().flatten())
    })
}

fn host_paths(o: &Value) -> impl Iterator<Item = &str> {
    pod_specs(o)
        .flat_map(|p| p.get("volumes").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|v| at(v, &["hostPath", "path"]).and_then(Value::as_str))
}

fn role_rules(o: &Value) -> impl Iterator<Item = &Value> {
    o.get("rules").and_then(Value::as_array).into_iter().flatten()
}

fn role_ref(o: &Value) -> Option<&str> {
    at(o, &["roleRef", "name"]).and_then(Value::as_str)
}

fn exec_copies_out(command: &[String]) -> bool {
    let Some(program) = command.first() else { return false };
    let is_tar = program.rsplit('/').next() == Some("tar");
    // `tar cf -`, `tar czf -`, `tar -cf -`: create mode, writing the archive to stdout.
    let creates = command.iter().skip(1).any(|a| {
        let flags = a.trim_start_matches('-');
        !flags.is_empty() && flags.chars().all(|c| c.is_ascii_alphabetic()) && flags.contains('c') && flags.contains('f')
    });
    is_tar && creates && command.iter().any(|a| a == "-")
}

/// The command of an exec request: `requestObject.command`, else the request URI's
/// `command=` query parameters (how kubectl sends it).
pub fn exec_command(object: Option<&Value>, uri: &str) -> Vec<String> {
    if let Some(cmd) = object.and_then(|o| o.get("command")).and_then(Value::as_array) {
        return cmd.iter().filter_map(Value::as_str).map(str::to_string).collect();
    }
    let Some((_, query)) = uri.split_once('?') else { return Vec::new() };
    query.split('&').filter_map(|kv| kv.strip_prefix("command=")).map(percent_decode).collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(p: Predicate, o: Value) -> bool {
        p.holds(&Subject { object: Some(&o), command: &[] })
    }

    #[test]
    fn pod_predicates_look_at_every_container_and_template() {
        let pod = json!({"spec": {"containers": [{"name": "a"}, {"name": "b", "securityContext": {"privileged": true}}]}});
        assert!(holds(Predicate::Privileged, pod));
        let deploy = json!({"spec": {"template": {"spec": {"hostNetwork": true, "containers": []}}}});
        assert!(holds(Predicate::HostNetwork, deploy));
        assert!(!holds(Predicate::HostNetwork, json!({"spec": {"containers": [], "hostNetwork": false}})));
        let vol = |p: &str| json!({"spec": {"containers": [], "volumes": [{"hostPath": {"path": p}}]}});
        assert!(holds(Predicate::SensitiveHostPath, vol("/etc/")));
        assert!(!holds(Predicate::SensitiveHostPath, vol("/data/logs")));
        assert!(holds(Predicate::HostPath, vol("/data/logs")));
        let caps = json!({"spec": {"containers": [{"securityContext": {"capabilities": {"add": ["CAP_SYS_ADMIN"]}}}]}});
        assert!(holds(Predicate::DangerousCapabilities, caps));
        assert!(holds(Predicate::RunsAsRoot, json!({"spec": {"containers": [{"securityContext": {"runAsNonRoot": false}}]}})));
    }

    #[test]
    fn role_and_binding_predicates() {
        let role = json!({"rules": [{"apiGroups": ["*"], "resources": ["deployments"], "verbs": ["get"]}]});
        assert!(!holds(Predicate::RoleWildcard, role.clone()));
        assert!(!holds(Predicate::RoleWrite, role));
        assert!(holds(Predicate::RoleNodeProxy, json!({"rules": [{"resources": ["nodes", "*"], "verbs": ["get"]}]})));
        assert!(holds(Predicate::BindsPrivilegedRole, json!({"roleRef": {"name": "system:masters"}})));
        assert!(!holds(Predicate::BindsClusterAdmin, json!({"roleRef": {"name": "view"}})));
    }

    #[test]
    fn exec_commands_from_the_object_or_the_uri() {
        let cmd = exec_command(None, "/api/v1/namespaces/a/pods/p/exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&stdout=true");
        assert_eq!(cmd, ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"]);
        assert!(Predicate::ExecReadsServiceAccountToken.holds(&Subject { object: None, command: &cmd }));
        let tar: Vec<String> = ["tar", "cf", "-", "/root/.ssh/id_rsa"].map(String::from).to_vec();
        assert!(Predicate::ExecCopiesOut.holds(&Subject { object: None, command: &tar }));
        let ls: Vec<String> = ["ls", "-la"].map(String::from).to_vec();
        assert!(!Predicate::ExecCopiesOut.holds(&Subject { object: None, command: &ls }));
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
