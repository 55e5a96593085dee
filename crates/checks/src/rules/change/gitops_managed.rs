use kubepci_findings::Evidence;
use kubepci_model::{Object, Resource};

use crate::support::each::{Verdict, each_workload};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// CDE workloads must be deployed by a GitOps controller
    ///
    /// ## What it checks
    /// On a snapshot or live cluster where a GitOps controller is present (Argo CD
    /// `Application`s, Flux `Kustomization`s or `HelmRelease`s in the input): every CDE
    /// workload must carry the marks its controller puts on what it applies, the
    /// `argocd.argoproj.io/tracking-id` annotation, an `argocd.argoproj.io/instance` label, an
    /// `app.kubernetes.io/instance` label naming an Argo CD Application, or a
    /// `kustomize.toolkit.fluxcd.io/name` or `helm.toolkit.fluxcd.io/name` label. A workload
    /// without them was applied by hand or by another tool and fails. Workloads owned by an
    /// operator's custom resource are not assessed (the resource's management decides), and so
    /// is the check on manifests (the marks are added when applied) or when no GitOps
    /// controller is in the input.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 6.5.1 asks that changes to system components follow change control; with
    /// GitOps every change to a workload is a reviewed commit that the assessor can trace from
    /// the running object back to its approval (6.5.1.b), and the controller reverts changes
    /// made around it. A CDE workload outside it changes without that trail.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: argoproj.io/v1alpha1
    /// kind: Application
    /// metadata: {name: payments, namespace: argocd}
    /// spec:
    ///   destination: {server: https://kubernetes.default.svc, namespace: payments}
    ///   source: {repoURL: https://git.example.com/pay/deploy.git, path: payments}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: hotfix, namespace: payments}
    /// spec:
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0.1}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: argoproj.io/v1alpha1
    /// kind: Application
    /// metadata: {name: payments, namespace: argocd}
    /// spec:
    ///   destination: {server: https://kubernetes.default.svc, namespace: payments}
    ///   source: {repoURL: https://git.example.com/pay/deploy.git, path: payments}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: api
    ///   namespace: payments
    ///   annotations: {argocd.argoproj.io/tracking-id: "payments:/Pod:payments/api"}
    /// spec:
    ///   containers:
    ///   - {name: api, image: registry.example.com/pay/api:1.0}
    /// ```
    ///
    /// ## Fix
    /// Put the workload's manifests in the repository an Argo CD Application or Flux
    /// Kustomization/HelmRelease deploys to the namespace, delete what was applied by hand, and
    /// enable self-heal (Argo CD `syncPolicy.automated.selfHeal`) so drift is reverted.
    pub GITOPS_MANAGED {
        id: "CHG-003",
        name: "cde-workload-not-gitops-managed",
        severity: Medium,
        applies: Cde,
        reads: [workloads, Namespace, Application, Kustomization, HelmRelease],
        requirements: [("6.5.1", "6.5.1.b", "a CDE workload carrying its GitOps controller's marks traces back to a reviewed commit; one without them changed outside change control")],
        run: run,
    }
}

/// (API group prefix, kind) of the GitOps objects that apply workloads.
pub(super) const CONTROLLERS: &[(&str, &str)] = &[("argoproj.io/", "Application"), ("kustomize.toolkit.fluxcd.io/", "Kustomization"), ("helm.toolkit.fluxcd.io/", "HelmRelease")];

pub(super) fn is_controller_object(o: &Object) -> bool {
    matches!(&o.resource, Resource::Generic(g) if CONTROLLERS.iter().any(|(group, kind)| g.kind == *kind && g.api_version.starts_with(group)))
}

/// The GitOps mark on an object, as evidence; `None` when it has none.
pub(super) fn mark(cx: &Context, o: &Object) -> Option<(String, String)> {
    let a = o.annotations();
    if let Some(v) = a.get("argocd.argoproj.io/tracking-id") {
        return Some(("metadata.annotations.argocd.argoproj.io/tracking-id".into(), v.to_string()));
    }
    let l = o.labels();
    for key in ["argocd.argoproj.io/instance", "kustomize.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/name"] {
        if let Some(v) = l.get(key) {
            return Some((format!("metadata.labels.{key}"), v.to_string()));
        }
    }
    // Argo CD's default label tracking uses the Helm-shared instance label: count it only
    // when an Application of that name exists.
    let instance = l.get("app.kubernetes.io/instance")?;
    cx.inv.of_kind("Application").any(|app| is_controller_object(app) && app.name() == instance).then(|| ("metadata.labels.app.kubernetes.io/instance".into(), instance.to_string()))
}

fn run(cx: &Context, e: &mut Emitter) {
    if !cx.input.is_cluster() {
        e.not_assessed(None, "manifests carry no GitOps marks (controllers add them when they apply); assess a snapshot or live cluster");
        return;
    }
    let present = CONTROLLERS.iter().any(|(_, kind)| cx.inv.of_kind(kind).any(is_controller_object));
    if !present {
        e.not_assessed(None, "no Argo CD Application, Flux Kustomization or HelmRelease in the input: changes may be controlled another way (a CI pipeline), which the cluster does not show");
        return;
    }
    each_workload(e, |cx, _, o, _| {
        if mark(cx, o).is_some() {
            return Verdict::Pass;
        }
        if let Some(owner) = o.metadata().owner_references.iter().flatten().next() {
            return Verdict::NotAssessed(format!("owned by {}/{} (an operator's resource), whose management decides", owner.kind, owner.name));
        }
        Verdict::Fail(
            format!("{} {} carries no GitOps controller's mark: it was applied outside the GitOps repository", o.kind(), o.name()),
            vec![Evidence::field("metadata", "no argocd.argoproj.io/tracking-id, argocd.argoproj.io/instance, kustomize.toolkit.fluxcd.io/name or helm.toolkit.fluxcd.io/name")],
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: payments, namespace: flux-system}\nspec: {targetNamespace: payments, path: ./payments, sourceRef: {kind: GitRepository, name: deploy}}\n";

    #[test]
    fn flux_marks_and_helm_instance_labels() {
        let flux = format!("{BASE}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: payments, labels: {{kustomize.toolkit.fluxcd.io/name: payments}}}}\nspec: {{selector: {{matchLabels: {{app: api}}}}, template: {{metadata: {{labels: {{app: api}}}}, spec: {{containers: [{{name: api, image: r.example/api:1}}]}}}}}}\n");
        assert_eq!(crate::testing::run(&GITOPS_MANAGED, &flux, "").passed, 1);
        // A Helm instance label without an Argo CD Application of that name is no GitOps mark.
        let helm = flux.replace("kustomize.toolkit.fluxcd.io/name", "app.kubernetes.io/instance");
        assert_eq!(crate::testing::run(&GITOPS_MANAGED, &helm, "").fails.len(), 1);
    }

    #[test]
    fn not_assessed_without_a_controller_or_on_manifests() {
        let pod = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: payments}\nspec: {containers: [{name: c, image: r.example/c:1}]}\n";
        let no_controller = format!("# input: snapshot\napiVersion: v1\nkind: Namespace\nmetadata: {{name: payments, labels: {{pci.kubepci.io/scope: cde}}}}\n{pod}");
        assert_eq!(crate::testing::run(&GITOPS_MANAGED, &no_controller, "").not_assessed.len(), 1);
        let manifests = format!("{BASE}{pod}").replace("# input: snapshot\n", "");
        let out = crate::testing::run(&GITOPS_MANAGED, &manifests, "");
        assert_eq!((out.fails.len(), out.not_assessed.len()), (0, 1));
    }
}
