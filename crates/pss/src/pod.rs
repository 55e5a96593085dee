//! A read-only view of the pod being evaluated: its spec, its metadata, and the JSON paths of
//! both inside the enclosing object, so every violation can name the fields it is about.

use k8s_openapi::api::core::v1::{ContainerPort, Lifecycle, PodSecurityContext, Probe, SecurityContext};
use kubepci_base::text::noun;
use kubepci_model::pod::PodSpec;
use kubepci_model::{Meta, PodTemplate, k8s_openapi};

/// The pod under evaluation plus where its parts live in the enclosing object.
pub(crate) struct Pod<'a> {
    pub meta: &'a Meta,
    pub spec: &'a PodSpec,
    /// Path of the pod spec: `spec` for a Pod, `spec.template.spec` for a Deployment, ...
    pub spec_path: &'a str,
    /// Path of the pod metadata: `metadata`, `spec.template.metadata`, ...
    pub meta_path: String,
}

impl<'a> Pod<'a> {
    pub fn new(template: &PodTemplate<'a>) -> Self {
        Pod {
            meta: template.metadata,
            spec: template.spec,
            spec_path: template.spec_path,
            meta_path: metadata_path(template.spec_path),
        }
    }

    /// `<spec path>.<rest>`, e.g. `spec.template.spec.hostNetwork`.
    pub fn spec_field(&self, rest: &str) -> String {
        format!("{}.{rest}", self.spec_path)
    }

    /// Path of an annotation: `metadata.annotations[key]`.
    pub fn annotation_field(&self, key: &str) -> String {
        format!("{}.annotations[{key}]", self.meta_path)
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.meta.annotations.as_ref()?.get(key)
    }

    pub fn annotations(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.meta.annotations.iter().flatten()
    }

    pub fn security_context(&self) -> Option<&'a PodSecurityContext> {
        self.spec.security_context.as_deref()
    }

    /// `spec.os.name == "windows"`: restricted controls that cannot apply to Windows skip it.
    pub fn is_windows(&self) -> bool {
        self.spec.os.as_ref().is_some_and(|os| os.name == "windows")
    }

    /// `spec.hostUsers == false`: the pod runs in its own user namespace.
    pub fn in_user_namespace(&self) -> bool {
        self.spec.host_users == Some(false)
    }

    /// Every container in admission order: init containers, containers, ephemeral containers.
    pub fn containers(&self) -> Vec<ContainerView<'a>> {
        let spec = self.spec;
        let mut out = Vec::new();
        for (i, c) in spec.init_containers.iter().flatten().enumerate() {
            out.push(ContainerView {
                name: &c.name,
                path: format!("{}.initContainers[{i}]", self.spec_path),
                security_context: c.security_context.as_deref(),
                ports: c.ports.as_deref().unwrap_or_default(),
                probes: [c.liveness_probe.as_deref(), c.readiness_probe.as_deref(), c.startup_probe.as_deref()],
                lifecycle: c.lifecycle.as_deref(),
            });
        }
        for (i, c) in spec.containers.iter().enumerate() {
            out.push(ContainerView {
                name: &c.name,
                path: format!("{}.containers[{i}]", self.spec_path),
                security_context: c.security_context.as_deref(),
                ports: c.ports.as_deref().unwrap_or_default(),
                probes: [c.liveness_probe.as_deref(), c.readiness_probe.as_deref(), c.startup_probe.as_deref()],
                lifecycle: c.lifecycle.as_deref(),
            });
        }
        for (i, c) in spec.ephemeral_containers.iter().flatten().enumerate() {
            out.push(ContainerView {
                name: &c.name,
                path: format!("{}.ephemeralContainers[{i}]", self.spec_path),
                security_context: c.security_context.as_ref(),
                ports: c.ports.as_deref().unwrap_or_default(),
                probes: [c.liveness_probe.as_ref(), c.readiness_probe.as_ref(), c.startup_probe.as_ref()],
                lifecycle: c.lifecycle.as_ref(),
            });
        }
        out
    }
}

/// The parts of a container (init, regular or ephemeral) the controls read.
pub(crate) struct ContainerView<'a> {
    pub name: &'a str,
    /// `spec.containers[0]`, `spec.template.spec.initContainers[1]`, ...
    pub path: String,
    pub security_context: Option<&'a SecurityContext>,
    pub ports: &'a [ContainerPort],
    /// Liveness, readiness and startup probes, in that order.
    pub probes: [Option<&'a Probe>; 3],
    pub lifecycle: Option<&'a Lifecycle>,
}

impl ContainerView<'_> {
    /// `<container path>.<rest>`.
    pub fn field(&self, rest: &str) -> String {
        format!("{}.{rest}", self.path)
    }
}

/// The metadata path that goes with a pod spec path: `spec.template.spec` ->
/// `spec.template.metadata`, `spec` -> `metadata`.
fn metadata_path(spec_path: &str) -> String {
    match spec_path.strip_suffix("spec") {
        Some(parent) => format!("{parent}metadata"),
        None => "metadata".to_string(),
    }
}

/// `"a", "b"`: names quoted and comma-separated, as admission messages write them.
pub(crate) fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    items.iter().map(|s| format!("{:?}", s.as_ref())).collect::<Vec<_>>().join(", ")
}

/// `container "a"` / `containers "a", "b"`.
pub(crate) fn containers_phrase<S: AsRef<str>>(names: &[S]) -> String {
    format!("{} {}", noun(names.len(), "container", "containers"), join_quote(names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_paths_follow_spec_paths() {
        assert_eq!(metadata_path("spec"), "metadata");
        assert_eq!(metadata_path("spec.template.spec"), "spec.template.metadata");
        assert_eq!(metadata_path("spec.jobTemplate.spec.template.spec"), "spec.jobTemplate.spec.template.metadata");
    }

    #[test]
    fn quoting() {
        assert_eq!(join_quote(&["a", "b"]), r#""a", "b""#);
        assert_eq!(containers_phrase(&["x"]), r#"container "x""#);
        assert_eq!(containers_phrase(&["x", "y"]), r#"containers "x", "y""#);
    }
}
