use kubepci_findings::Evidence;

use crate::support::each::{Problem, container_label, each_container};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE containers should read Secrets from files, not environment variables
    ///
    /// ## What it checks
    /// Every container and init container of every CDE workload for `env[].valueFrom.secretKeyRef`
    /// and `envFrom[].secretRef`.
    ///
    /// ## Why PCI DSS cares
    /// Environment variables are inherited by every child process, shown by `ps e` and
    /// `/proc/<pid>/environ`, and routinely dumped into crash reports and debug logs; a mounted
    /// Secret file is not, and is updated on rotation. How secrets reach the process is a
    /// security parameter of the workload (2.2.6). It does not make the credential readable in
    /// storage, so 8.3.2 is not at stake, and it says nothing about how often the credential
    /// changes (8.6.3).
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
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/pay/api:1.0
    ///     env:
    ///     - name: DB_PASSWORD
    ///       valueFrom: {secretKeyRef: {name: db, key: password}}
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
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: api
    ///     image: registry.example.com/pay/api:1.0
    ///     env:
    ///     - {name: DB_PASSWORD_FILE, value: /secrets/db/password}
    ///     volumeMounts: [{name: db, mountPath: /secrets/db, readOnly: true}]
    ///   volumes:
    ///   - name: db
    ///     secret: {secretName: db}
    /// ```
    ///
    /// ## Fix
    /// Mount the Secret as a read-only volume and have the application read the file (many
    /// images accept a `*_FILE` variable), or fetch it from a secrets manager at runtime.
    pub SECRET_ENV {
        id: "SEC-001",
        name: "secret-in-env",
        severity: Low,
        applies: Cde,
        reads: [workloads, Namespace],
        locality: Object,
        requirements: [("2.2.6", "2.2.6.b", "how a secret is handed to a container is a security parameter; environment variables expose it to child processes, crash dumps and debug output")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    each_container(e, |_, c| {
        let who = container_label(c);
        let from_keys = c.container.env.iter().flatten().enumerate().filter_map(|(i, v)| {
            let r = v.value_from.as_ref()?.secret_key_ref.as_ref()?;
            Some(Problem::new(format!("{who} reads Secret {}/{} into env {}", r.name, r.key, v.name), Evidence::path(format!("{}.env[{i}].valueFrom.secretKeyRef", c.path))))
        });
        let whole = c.container.env_from.iter().flatten().enumerate().filter_map(|(i, f)| {
            let r = f.secret_ref.as_ref()?;
            Some(Problem::new(format!("{who} loads every key of Secret {} into its environment", r.name), Evidence::path(format!("{}.envFrom[{i}].secretRef", c.path))))
        });
        from_keys.chain(whole).collect::<Vec<_>>()
    });
}
