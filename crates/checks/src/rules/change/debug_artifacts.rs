use kubepci_findings::Evidence;

use crate::support::containers::containers;
use crate::support::each::{Problem, Verdict, container_label, each_workload};
use crate::{Context, Emitter, declare_check};

/// Words that mark a name or image as a debug, test or sandbox artefact (matched as whole
/// words, so `latest` or `contest` do not match `test`).
const MARKERS: &[&str] = &["debug", "debugger", "test", "tests", "testing", "sandbox", "playground", "netshoot", "dnsutils"];

declare_check! {
    /// CDE must not run debug, test or sandbox artefacts
    ///
    /// ## What it checks
    /// Every CDE workload for ephemeral containers (`kubectl debug` sessions, in
    /// `spec.ephemeralContainers`), and for a workload name, container name or image
    /// reference containing a whole word `debug`, `test`, `testing`, `sandbox`, `playground`,
    /// or a known debugging image (`netshoot`, `dnsutils`). Words are split on any
    /// non-alphanumeric character.
    ///
    /// ## Why PCI DSS cares
    /// Test code, test accounts and debugging tools must be removed before a system goes
    /// live (6.5.6); debug shells attached to production pods are interactive use of the
    /// application's identity, which must be controlled and attributable (8.6.1).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api-7d9f, namespace: payments}
    /// spec:
    ///   containers:
    ///   - {name: api, image: "registry.example.com/pay/api:1.0"}
    ///   ephemeralContainers:
    ///   - {name: debugger-x7k2, image: "nicolaka/netshoot:v0.13"}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: api-7d9f, namespace: payments}
    /// spec:
    ///   containers:
    ///   - {name: api, image: "registry.example.com/pay/api:latest-stable"}
    /// ```
    ///
    /// ## Fix
    /// Delete debug pods and restart pods that had ephemeral containers attached; move test
    /// and sandbox workloads to a non-production cluster; restrict `pods/ephemeralcontainers`
    /// and `pods/exec` to break-glass roles.
    pub DEBUG_ARTIFACTS {
        id: "CHG-001",
        name: "debug-artifacts-in-cde",
        severity: Medium,
        applies: Cde,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [
            ("6.5.6", "6.5.6.c", "a debug or test workload, container or image in the CDE is a test artefact left in production"),
            ("8.6.1", "8.6.1", "an ephemeral debug container is interactive use of the application's identity; the assessor checks it was approved and attributable"),
        ],
        run: run,
    }
}

/// The first debug/test marker word in `text`, if any.
fn marker(text: &str) -> Option<&'static str> {
    text.split(|c: char| !c.is_ascii_alphanumeric()).find_map(|word| MARKERS.iter().find(|m| word.eq_ignore_ascii_case(m)).copied())
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, |_, _, o, t| {
        let mut problems = Vec::new();
        for (i, c) in t.spec.ephemeral_containers.iter().flatten().enumerate() {
            problems.push(Problem::new(format!("ephemeral (debug) container {:?} is attached", c.name), Evidence::field(format!("{}.ephemeralContainers[{i}].name", t.spec_path), c.name.clone())));
        }
        if let Some(m) = marker(o.name()) {
            problems.push(Problem::new(format!("workload name {:?} marks it as {m}", o.name()), Evidence::field("metadata.name", o.name())));
        }
        for c in containers(t) {
            let image = c.container.image.as_deref().unwrap_or_default();
            let (field, value) = match marker(&c.container.name) {
                Some(_) => ("name", c.container.name.as_str()),
                None => ("image", image),
            };
            if let Some(m) = marker(value) {
                problems.push(Problem::new(format!("{} {field} {value:?} marks it as {m}", container_label(&c)), Evidence::field(format!("{}.{field}", c.path), value)));
            }
        }
        Verdict::from_problems(problems)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_whole_words() {
        assert_eq!(marker("api-test"), Some("test"));
        assert_eq!(marker("registry.example.com/pay/api:latest"), None);
        assert_eq!(marker("contest-service"), None);
        assert_eq!(marker("Sandbox_API"), Some("sandbox"));
        assert_eq!(marker("nicolaka/netshoot:v0.13"), Some("netshoot"));
    }
}
