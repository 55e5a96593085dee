//! Shared reading of the platform layer for the platform checks: control-plane static pods
//! (kube-apiserver, etcd, kube-controller-manager, kube-scheduler) and their command-line
//! flags; platform configuration files given as extra inputs (EncryptionConfiguration, audit
//! Policy, KubeletConfiguration); and why a check cannot be assessed when they are absent.

use kubepci_model::pod::Container;
use kubepci_model::{Object, Resource};

use kubepci_findings::Evidence;

use crate::{Context, Emitter, PLATFORM_KINDS};

/// A control-plane component that runs as a static pod on kubeadm-style clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    ApiServer,
    Etcd,
    ControllerManager,
    Scheduler,
}

impl Component {
    /// The binary name, which is also kubeadm's `component` label value.
    pub fn binary(self) -> &'static str {
        match self {
            Component::ApiServer => "kube-apiserver",
            Component::Etcd => "etcd",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
        }
    }
}

/// The command line of one control-plane pod's main container.
pub struct ComponentPod<'a> {
    /// Index of the Pod in the inventory.
    pub index: usize,
    pub object: &'a Object,
    /// The container running the component.
    pub container: &'a Container,
    /// `spec.containers[N]`, for evidence paths.
    pub container_path: String,
    /// `command` followed by `args`.
    pub argv: Vec<&'a str>,
}

impl<'a> ComponentPod<'a> {
    /// The value of `--name` as the component's flag parser reads it: `--name=value`,
    /// `--name value`, or a bare boolean `--name` (= "true"). The last occurrence wins.
    pub fn flag(&self, name: &str) -> Option<&'a str> {
        flag_value(&self.argv, name)
    }

    /// A comma-separated list flag, split and trimmed (empty when unset).
    pub fn list(&self, name: &str) -> Vec<&'a str> {
        self.flag(name).map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
    }

    /// True when a boolean flag is explicitly `true` (or bare), false when explicitly false,
    /// `default` when unset.
    pub fn bool_flag(&self, name: &str, default: bool) -> bool {
        match self.flag(name) {
            None => default,
            Some(v) => !v.eq_ignore_ascii_case("false") && v != "0",
        }
    }

    /// Evidence path of the container's command line.
    pub fn argv_path(&self) -> String {
        format!("{}.command", self.container_path)
    }

    /// The component's version from its image tag (`registry.k8s.io/kube-apiserver:v1.33.4`).
    pub fn image_version(&self) -> Option<&'a str> {
        let image = self.container.image.as_deref()?;
        let image = image.split('@').next()?;
        let (_, tag) = image.rsplit_once(':')?;
        (!tag.contains('/')).then_some(tag)
    }
}

/// `--name` in an argv, last occurrence winning. A value that begins with `-` is the next flag.
pub fn flag_value<'a>(argv: &[&'a str], name: &str) -> Option<&'a str> {
    let mut found = None;
    let mut i = 0;
    while i < argv.len() {
        let arg = argv[i].trim();
        if let Some(rest) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) {
            if let Some((k, v)) = rest.split_once('=') {
                if k == name {
                    found = Some(v);
                }
            } else if rest == name {
                match argv.get(i + 1) {
                    Some(next) if !next.starts_with('-') => {
                        found = Some(*next);
                        i += 1;
                    }
                    _ => found = Some("true"),
                }
            }
        }
        i += 1;
    }
    found
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Whether a container runs the component's binary (`command[0]`, or `args[0]` when the
/// image's entrypoint is used).
fn runs(c: &Container, component: Component) -> bool {
    let first = c.command.as_ref().and_then(|v| v.first()).or_else(|| c.args.as_ref().and_then(|v| v.first()));
    first.is_some_and(|f| basename(f.trim()) == component.binary())
}

/// Control-plane pods of a component: Pods in `kube-system` labelled `component=<binary>`
/// (as kubeadm labels them) or whose container runs the binary.
pub fn component_pods<'a>(cx: &Context<'a>, component: Component) -> Vec<ComponentPod<'a>> {
    let inv = cx.inv;
    let mut out = Vec::new();
    for &index in inv.indices_of_kind_in("Pod", "kube-system") {
        let object = &inv.objects[index];
        let Resource::Pod(pod) = &object.resource else { continue };
        let Some(spec) = &pod.spec else { continue };
        let labelled = object.labels().get("component").is_some_and(|v| v == component.binary());
        let by_command = spec.containers.iter().position(|c| runs(c, component));
        let position = match (by_command, labelled) {
            (Some(p), _) => p,
            (None, true) if !spec.containers.is_empty() => 0,
            _ => continue,
        };
        let c = &spec.containers[position];
        let argv = c.command.iter().flatten().chain(c.args.iter().flatten()).map(String::as_str).collect();
        out.push(ComponentPod { index, object, container: c, container_path: format!("spec.containers[{position}]"), argv });
    }
    out
}

/// The outcome of a rule on one component pod or configuration object.
pub enum Verdict {
    Pass,
    Fail(String, Vec<Evidence>),
    NotAssessed(String),
}

/// Evaluate `rule` on every pod of `component`; when there is none, report why.
pub fn each_pod(cx: &Context, e: &mut Emitter, component: Component, rule: impl Fn(&ComponentPod) -> Verdict) {
    let pods = component_pods(cx, component);
    if pods.is_empty() {
        not_visible(cx, e, &format!("{} static pod or manifest", component.binary()));
        return;
    }
    for pod in &pods {
        emit(e, pod.index, rule(pod));
    }
}

/// Report a verdict for the object at `index`.
pub fn emit(e: &mut Emitter, index: usize, verdict: Verdict) {
    match verdict {
        Verdict::Pass => e.pass(index),
        Verdict::Fail(message, evidence) => e.fail(index, message, evidence),
        Verdict::NotAssessed(reason) => e.not_assessed(Some(index), reason),
    }
}

/// Evidence naming one flag of a pod's command line.
pub fn flag_evidence(pod: &ComponentPod, name: &str) -> Vec<Evidence> {
    match pod.flag(name) {
        Some(v) => vec![Evidence::field(pod.argv_path(), format!("--{name}={v}"))],
        None => vec![Evidence::field(pod.argv_path(), format!("--{name} not set"))],
    }
}

/// Generic objects of a platform configuration kind: (index, the object's body).
pub fn config_objects<'a>(cx: &Context<'a>, group: &str, kind: &str) -> Vec<(usize, &'a serde_json::Map<String, serde_json::Value>)> {
    let inv = cx.inv;
    inv.indices_of_kind(kind)
        .iter()
        .filter_map(|&i| match &inv.objects[i].resource {
            Resource::Generic(g) if g.api_version.split('/').next() == Some(group) => Some((i, &g.body)),
            _ => None,
        })
        .collect()
}

fn any_platform_input(cx: &Context) -> bool {
    let any_pod = [Component::ApiServer, Component::Etcd, Component::ControllerManager, Component::Scheduler].into_iter().any(|c| !component_pods(cx, c).is_empty());
    any_pod || PLATFORM_KINDS.iter().any(|(g, k)| !config_objects(cx, g, k).is_empty())
}

/// Why a platform check has nothing to read: the control plane is not visible (managed
/// cluster), the input has no platform layer at all, or just not `what`.
pub fn absent_reason(cx: &Context, what: &str) -> String {
    let control_plane_visible = !component_pods(cx, Component::ApiServer).is_empty() || !component_pods(cx, Component::Etcd).is_empty();
    if cx.input.is_cluster() && !control_plane_visible && !any_platform_input(cx) {
        "provider-managed: control plane not visible".to_string()
    } else if !any_platform_input(cx) {
        kubepci_findings::reasons::NO_PLATFORM_CONFIGURATION.to_string()
    } else {
        format!("no {what} in the input")
    }
}

/// Report `not_assessed` for the whole input with [`absent_reason`].
pub fn not_visible(cx: &Context, e: &mut Emitter, what: &str) {
    e.not_assessed(None, absent_reason(cx, what));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_forms() {
        let argv = ["kube-apiserver", "--anonymous-auth=false", "--profiling", "--authorization-mode", "Node,RBAC", "--v=2", "--anonymous-auth=true"];
        assert_eq!(flag_value(&argv, "anonymous-auth"), Some("true"), "last wins");
        assert_eq!(flag_value(&argv, "profiling"), Some("true"));
        assert_eq!(flag_value(&argv, "authorization-mode"), Some("Node,RBAC"));
        assert_eq!(flag_value(&argv, "token-auth-file"), None);
        assert_eq!(flag_value(&["x", "--profiling", "--v=2"], "profiling"), Some("true"));
    }
}
