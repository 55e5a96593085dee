use kubepci_findings::Evidence;

use crate::support::containers::containers;
use crate::support::each::{Problem, Verdict, container_label, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// The Kubernetes Dashboard must end idle sessions within 15 minutes and require login
    ///
    /// ## What it checks
    /// Every workload running the Kubernetes Dashboard (an image `kubernetesui/dashboard`,
    /// `kubernetesui/dashboard-web` or `kubernetesui/dashboard-auth`): its `--token-ttl` must
    /// be between 1 and 900 seconds (the default, 900, passes; `0` disables expiry), and it
    /// must not run with `--enable-skip-login` or `--enable-insecure-login`. Workloads without
    /// the Dashboard are not reported.
    ///
    /// ## Why PCI DSS cares
    /// The Dashboard is an administrative console for the cluster. Requirement 8.2.8 asks
    /// that a session idle for more than 15 minutes requires the user to authenticate again;
    /// `--token-ttl` is that idle timeout. Skipping login serves the console with the
    /// Dashboard's own service account to whoever reaches it, without authentication (8.3.1).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
    /// spec:
    ///   selector: {matchLabels: {app: dashboard}}
    ///   template:
    ///     metadata: {labels: {app: dashboard}}
    ///     spec:
    ///       containers:
    ///       - name: dashboard
    ///         image: docker.io/kubernetesui/dashboard:v2.7.0
    ///         args: [--auto-generate-certificates, --token-ttl=43200, --enable-skip-login]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: kubernetes-dashboard, namespace: kubernetes-dashboard}
    /// spec:
    ///   selector: {matchLabels: {app: dashboard}}
    ///   template:
    ///     metadata: {labels: {app: dashboard}}
    ///     spec:
    ///       containers:
    ///       - name: dashboard
    ///         image: docker.io/kubernetesui/dashboard:v2.7.0
    ///         args: [--auto-generate-certificates, --token-ttl=900]
    /// ```
    ///
    /// ## Fix
    /// Set `--token-ttl` to 900 seconds or less (or remove it: 900 is the default) and remove
    /// `--enable-skip-login` and `--enable-insecure-login`; put the Dashboard behind your
    /// identity provider's login with the same idle timeout.
    pub DASHBOARD_SESSION {
        id: "IAM-005",
        name: "dashboard-session-timeout",
        severity: Medium,
        applies: All,
        reads: [workloads],
        locality: Object,
        requirements: [
            ("8.2.8", "8.2.8", "--token-ttl is the Dashboard's idle session timeout, which must be 15 minutes or less"),
            ("8.3.1", "8.3.1.b", "with login skipped, the administrative console is served without authentication"),
        ],
        run: run,
    }
}

const IMAGES: &[&str] = &["kubernetesui/dashboard:", "kubernetesui/dashboard@", "kubernetesui/dashboard-web", "kubernetesui/dashboard-auth"];
const MAX_TTL: u64 = 900;

fn run(_cx: &Context, e: &mut Emitter) {
    each_workload(e, |_, _, _, t| {
        let mut seen = false;
        let mut problems = Vec::new();
        for c in containers(t) {
            let image = c.container.image.as_deref().unwrap_or("");
            if !IMAGES.iter().any(|i| image.contains(i)) {
                continue;
            }
            seen = true;
            let argv: Vec<&str> = c.container.command.iter().flatten().chain(c.container.args.iter().flatten()).map(String::as_str).collect();
            let path = format!("{}.args", c.path);
            let ttl = argv.iter().rev().find_map(|a| a.strip_prefix("--token-ttl="));
            match ttl.map(|v| v.parse::<u64>()) {
                None => {}
                Some(Ok(n)) if (1..=MAX_TTL).contains(&n) => {}
                Some(Ok(0)) => problems.push(Problem::new(format!("{}: --token-ttl=0 never ends idle sessions", container_label(&c)), Evidence::field(path.clone(), "--token-ttl=0"))),
                Some(Ok(n)) => problems.push(Problem::new(format!("{}: idle sessions last {n} seconds (--token-ttl), over 900", container_label(&c)), Evidence::field(path.clone(), format!("--token-ttl={n}")))),
                Some(Err(_)) => problems.push(Problem::new(format!("{}: --token-ttl={} is not a number of seconds", container_label(&c), ttl.unwrap_or_default()), Evidence::field(path.clone(), format!("--token-ttl={}", ttl.unwrap_or_default())))),
            }
            for flag in ["--enable-skip-login", "--enable-insecure-login"] {
                if argv.iter().any(|a| *a == flag || a.strip_prefix(flag).is_some_and(|rest| rest.eq_ignore_ascii_case("=true"))) {
                    problems.push(Problem::new(format!("{}: {flag} lets users in without authenticating", container_label(&c)), Evidence::field(path.clone(), flag)));
                }
            }
        }
        if seen { Verdict::from_problems(problems) } else { Verdict::Skip }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dashboard(args: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: d, namespace: kubernetes-dashboard}}\nspec: {{containers: [{{name: web, image: kubernetesui/dashboard-web:1.6.0, args: [{args}]}}]}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: other, namespace: web}}\nspec: {{containers: [{{name: nginx, image: nginx:1.27, args: [--token-ttl=0]}}]}}\n")
    }

    #[test]
    fn ttl_values() {
        let out = crate::testing::run(&DASHBOARD_SESSION, &dashboard("--token-ttl=0"), "");
        assert_eq!((out.fails.len(), out.passed), (1, 0), "only the Dashboard is judged");
        assert!(out.fails[0].message.contains("never ends idle sessions"));
        assert_eq!(crate::testing::run(&DASHBOARD_SESSION, &dashboard("--port=8000"), "").passed, 1, "the default 900 s passes");
        assert_eq!(crate::testing::run(&DASHBOARD_SESSION, &dashboard("--token-ttl=15m"), "").fails.len(), 1);
        assert_eq!(crate::testing::run(&DASHBOARD_SESSION, &dashboard("--enable-insecure-login=true"), "").fails.len(), 1);
    }
}
