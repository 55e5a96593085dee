//! Vulnerability evidence matched to what runs: the scanner reports given with `--vulns` and
//! the trivy-operator reports in the input, matched to every container of every workload
//! (its Pods when the input has them, else its pod template) by image digest first, then by
//! repository and tag, then (trivy-operator only) by the report's workload labels. Computed
//! once per assessment; the VUL checks and `kubepci vulns` read it.

use std::collections::HashMap;
use std::sync::Arc;

use kubepci_model::{Object, Resource};
use kubepci_vulns::{Evidence, ImageRef, ScanReport};
use rayon::prelude::*;

use crate::Context;
use crate::support::containers::containers;

/// The trivy-operator kinds read from the input.
pub const REPORT_KINDS: &[&str] = &["VulnerabilityReport", "ClusterVulnerabilityReport"];

/// How a container was matched to its report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchBy {
    /// The running image's digest (Pod `imageID`, or `@sha256:` in the image) is the report's.
    Digest,
    /// Same repository and tag: the report may describe another build of the tag.
    RepositoryTag,
    /// trivy-operator's `trivy-operator.resource.*` / `container.name` labels name it.
    WorkloadLabels,
}

impl MatchBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchBy::Digest => "digest",
            MatchBy::RepositoryTag => "repository and tag",
            MatchBy::WorkloadLabels => "trivy-operator workload labels",
        }
    }
}

/// One container of one workload, as it runs (or as its template declares it).
#[derive(Clone, Debug)]
pub struct RunningContainer {
    /// Index into `inv.workloads()`.
    pub workload: usize,
    pub container: String,
    pub init: bool,
    /// The image as the spec writes it.
    pub image: String,
    /// Parsed image with the running digest, when a Pod status (or the spec) gives one.
    pub image_ref: ImageRef,
    /// Whether it was seen in a Pod (running) rather than only in a template.
    pub from_pod: bool,
    /// The newest matching report, and how it matched.
    pub report: Option<(usize, MatchBy)>,
}

/// The evidence and what it matched.
#[derive(Debug, Default)]
pub struct VulnView {
    /// The reports read from files (`--vulns`), shared with the context, not copied.
    files: Option<Arc<Evidence>>,
    /// The input's trivy-operator reports (the files' VEX statements applied), after the files'
    /// reports in [`Self::report`] numbering.
    cluster: Vec<ScanReport>,
    /// Per cluster report: the inventory index of the object it came from.
    pub cluster_objects: Vec<usize>,
    /// trivy-operator objects that could not be read, with why.
    pub unreadable: Vec<(usize, String)>,
    /// Every distinct container of every workload, in workload order.
    pub containers: Vec<RunningContainer>,
}

impl VulnView {
    fn file_reports(&self) -> &[ScanReport] {
        self.files.as_deref().map_or(&[], |f| &f.reports)
    }

    /// How many reports there are (files' and cluster's).
    pub fn report_count(&self) -> usize {
        self.file_reports().len() + self.cluster.len()
    }

    /// Report `i`: the files' first, then the cluster's.
    pub fn report(&self, i: usize) -> &ScanReport {
        let files = self.file_reports();
        if i < files.len() { &files[i] } else { &self.cluster[i - files.len()] }
    }

    /// Every report, in [`Self::report`] order.
    pub fn reports(&self) -> impl Iterator<Item = &ScanReport> {
        self.file_reports().iter().chain(&self.cluster)
    }

    /// Whether any vulnerability evidence was given at all.
    pub fn has_evidence(&self) -> bool {
        self.report_count() > 0
    }

    /// The containers of one workload (an index into `inv.workloads()`).
    pub fn containers_of(&self, workload: usize) -> impl Iterator<Item = &RunningContainer> {
        let start = self.containers.partition_point(|c| c.workload < workload);
        self.containers[start..].iter().take_while(move |c| c.workload == workload)
    }

    pub fn report_of(&self, c: &RunningContainer) -> Option<(&ScanReport, MatchBy)> {
        c.report.map(|(i, by)| (self.report(i), by))
    }
}

/// The position of `w` in `workloads` (a reference handed out by the same slice), found by
/// address: checks loop over workloads and need it for [`VulnView::containers_of`] without a
/// search per workload.
pub fn workload_index(workloads: &[kubepci_inventory::Workload], w: &kubepci_inventory::Workload) -> Option<usize> {
    let size = std::mem::size_of::<kubepci_inventory::Workload>();
    let offset = (w as *const kubepci_inventory::Workload as usize).checked_sub(workloads.as_ptr() as usize)?;
    (offset % size == 0 && offset / size < workloads.len()).then_some(offset / size)
}

/// An object as the JSON document trivy-operator wrote (for the report parser).
fn as_document(o: &Object) -> Option<serde_json::Value> {
    let Resource::Generic(g) = &o.resource else { return None };
    let mut map = g.body.clone();
    map.insert("apiVersion".into(), g.api_version.clone().into());
    map.insert("kind".into(), g.kind.clone().into());
    map.insert("metadata".into(), serde_json::to_value(&g.metadata).ok()?);
    Some(serde_json::Value::Object(map))
}

/// Build the view: reports from `files` (already read, VEX applied) and the input's
/// trivy-operator objects (the files' VEX statements applied to them too).
pub fn build(cx: &Context, files: Option<Arc<Evidence>>) -> VulnView {
    let inv = cx.inventory();
    let mut view = VulnView { files, ..VulnView::default() };
    for kind in REPORT_KINDS {
        for &i in inv.indices_of_kind(kind) {
            let Some(doc) = as_document(&inv.objects[i]) else { continue };
            match kubepci_vulns::parse_value("", doc) {
                Ok(parsed) => {
                    view.cluster_objects.extend(parsed.reports.iter().map(|_| i));
                    view.cluster.extend(parsed.reports);
                }
                Err(e) => view.unreadable.push((i, e.message)),
            }
        }
    }
    if let Some(f) = &view.files {
        kubepci_vulns::apply_vex(&f.vex, &mut view.cluster);
    }
    let mut containers = running_containers(cx);
    match_reports(cx, &view, &mut containers);
    view.containers = containers;
    view
}

/// Every distinct (container, image, digest) of every workload, in workload order.
fn running_containers(cx: &Context) -> Vec<RunningContainer> {
    let workloads = cx.inventory().workloads();
    workloads.par_iter().enumerate().flat_map_iter(|(wi, w)| workload_containers(cx, wi, w)).collect()
}

/// The distinct (container, image, digest) of one workload (`wi`, in `inv.workloads()`): those
/// of its Pods in the input, else those of its pod template.
fn workload_containers(cx: &Context, wi: usize, w: &kubepci_inventory::Workload) -> Vec<RunningContainer> {
    let inv = cx.inventory();
    let templates = cx.templates();
    let mut out: Vec<RunningContainer> = Vec::new();
    let mut push = |c: RunningContainer| {
        if !out.iter().any(|o| o.container == c.container && o.image == c.image && o.image_ref.digest == c.image_ref.digest) {
            out.push(c);
        }
    };
    let pods: Vec<&Object> = std::iter::once(w.object).chain(w.members.iter().copied()).map(|m| &inv.objects[m]).filter(|o| o.kind() == "Pod").collect();
    for pod in &pods {
        let Resource::Pod(p) = &pod.resource else { continue };
        let Some(spec) = &p.spec else { continue };
        let statuses = p.status.as_ref();
        let status_of = |name: &str, init: bool| {
            let list = statuses.and_then(|s| if init { s.init_container_statuses.as_ref() } else { s.container_statuses.as_ref() });
            list.and_then(|l| l.iter().find(|s| s.name == name))
        };
        let all = spec.init_containers.iter().flatten().map(|c| (c, true)).chain(spec.containers.iter().map(|c| (c, false)));
        for (c, init) in all {
            let image = c.image.clone().unwrap_or_default();
            let mut image_ref = ImageRef::parse(&image);
            if let Some(digest) = status_of(&c.name, init).and_then(|s| ImageRef::parse(&s.image_id).digest) {
                image_ref.digest = Some(digest);
            }
            push(RunningContainer { workload: wi, container: c.name.clone(), init, image, image_ref, from_pod: true, report: None });
        }
    }
    if pods.is_empty()
        && let Some(t) = &templates[wi]
    {
        for c in containers(t) {
            let image = c.container.image.clone().unwrap_or_default();
            push(RunningContainer { workload: wi, container: c.container.name.clone(), init: c.init, image_ref: ImageRef::parse(&image), image, from_pod: false, report: None });
        }
    }
    out
}

/// The view after the workloads `changed` (indices into `inv.workloads()`, which did not move)
/// changed their members or their top owner in place: without evidence to match (no report, no unreadable one), only
/// their containers are found again; otherwise the view is built anew (a report's link to a
/// workload goes through its members' names).
pub(crate) fn refresh(mut view: VulnView, cx: &Context, changed: &[usize]) -> VulnView {
    if view.has_evidence() || !view.unreadable.is_empty() {
        return build(cx, view.files.take());
    }
    let workloads = cx.inventory().workloads();
    view.containers.retain(|c| !changed.contains(&c.workload));
    for &wi in changed {
        if let Some(w) = workloads.get(wi) {
            view.containers.extend(workload_containers(cx, wi, w));
        }
    }
    // Stable: each workload's containers stay in the order found.
    view.containers.sort_by_key(|c| c.workload);
    view
}

fn newer(view: &VulnView, a: usize, b: usize) -> usize {
    if view.report(b).scanned_at > view.report(a).scanned_at { b } else { a }
}

fn match_reports(cx: &Context, reports: &VulnView, containers: &mut [RunningContainer]) {
    let inv = cx.inventory();
    let mut by_digest: HashMap<&str, usize> = HashMap::new();
    let mut by_tag: HashMap<(&str, &str), usize> = HashMap::new();
    // (workload index, container name) → report, from trivy-operator's labels.
    let mut by_label: HashMap<(usize, &str), usize> = HashMap::new();
    // (kind, namespace, name) of every workload's owner and members → workload index.
    let mut workload_by_name: HashMap<(&str, &str, &str), usize> = HashMap::new();
    if reports.reports().any(|r| r.workload.is_some()) {
        for (wi, w) in inv.workloads().iter().enumerate() {
            for m in std::iter::once(w.object).chain(w.members.iter().copied()) {
                let o = &inv.objects[m];
                workload_by_name.insert((o.kind(), o.namespace().unwrap_or(""), o.name()), wi);
            }
        }
    }
    for (i, r) in reports.reports().enumerate() {
        for d in r.digests() {
            by_digest.entry(d).and_modify(|e| *e = newer(reports, *e, i)).or_insert(i);
        }
        if let Some(tag) = r.image.tag.as_deref() {
            by_tag.entry((r.image.repository.as_str(), tag)).and_modify(|e| *e = newer(reports, *e, i)).or_insert(i);
        }
        if let Some(link) = &r.workload
            && let Some(index) = linked_workload(&workload_by_name, link)
        {
            by_label.entry((index, link.container.as_deref().unwrap_or(""))).and_modify(|e| *e = newer(reports, *e, i)).or_insert(i);
        }
    }
    containers.par_iter_mut().for_each(|c| {
        let image = &c.image_ref;
        c.report = image
            .digest
            .as_deref()
            .and_then(|d| by_digest.get(d))
            .map(|&i| (i, MatchBy::Digest))
            .or_else(|| image.tag.as_deref().and_then(|t| by_tag.get(&(image.repository.as_str(), t))).map(|&i| (i, MatchBy::RepositoryTag)))
            .or_else(|| by_label.get(&(c.workload, c.container.as_str())).map(|&i| (i, MatchBy::WorkloadLabels)));
    });
}

/// The workload a trivy-operator report's labels name: the object itself, or, when the input
/// lacks the ReplicaSet or Job it names (manifests), the Deployment or CronJob whose name it
/// extends with a generated suffix.
fn linked_workload(by_name: &HashMap<(&str, &str, &str), usize>, link: &kubepci_vulns::WorkloadLink) -> Option<usize> {
    let ns = link.namespace.as_deref().unwrap_or("");
    by_name.get(&(link.kind.as_str(), ns, link.name.as_str())).copied().or_else(|| {
        let owner_kind = match link.kind.as_str() {
            "ReplicaSet" => "Deployment",
            "Job" => "CronJob",
            _ => return None,
        };
        let (owner, _) = link.name.rsplit_once('-')?;
        by_name.get(&(owner_kind, ns, owner)).copied()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: pay, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: pay}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: \"mirror.example/api:1\"}]}\n---\napiVersion: aquasecurity.github.io/v1alpha1\nkind: VulnerabilityReport\nmetadata:\n  name: replicaset-api-5d8f7c9b6-api\n  namespace: pay\n  labels: {trivy-operator.resource.kind: ReplicaSet, trivy-operator.resource.name: api-5d8f7c9b6, trivy-operator.resource.namespace: pay, trivy-operator.container.name: api}\nreport:\n  updateTimestamp: \"2026-12-01T00:00:00Z\"\n  artifact: {repository: other/api, tag: \"1\"}\n  vulnerabilities: []\n";

    #[test]
    fn trivy_operator_labels_link_a_replicaset_report_to_its_deployment_template() {
        let inv = crate::testing::load("t.yaml", INPUT, "");
        let cx = Context::new(&inv, crate::InputKind::Manifests);
        let view = cx.vulns();
        assert_eq!((view.report_count(), view.containers.len()), (1, 1));
        let c = &view.containers[0];
        assert!(!c.from_pod, "no Pods in the input: the template is used");
        let (report, by) = view.report_of(c).expect("matched");
        assert_eq!(by, MatchBy::WorkloadLabels);
        assert_eq!(view.cluster_objects, [2]);
        assert!(report.source.starts_with("VulnerabilityReport/pay/"), "{}", report.source);
    }

    const MEMBERS: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: pay}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: \"mirror.example/api:1\"}]}\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: api-5d, namespace: pay, labels: {app: api}, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: u1, controller: true}]}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: \"mirror.example/api:1\"}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api-5d-a, namespace: pay, labels: {app: api}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-5d, uid: u2, controller: true}]}\nspec: {containers: [{name: api, image: \"mirror.example/api:1\"}]}\nstatus: {containerStatuses: [{name: api, image: \"mirror.example/api:1\", imageID: \"mirror.example/api@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\", ready: true}]}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: pay}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec: {containers: [{name: agent, image: \"mirror.example/agent:3\"}]}\n";

    fn containers_text(view: &VulnView) -> String {
        format!("{:?}", view.containers)
    }

    #[test]
    fn a_member_change_refreshes_its_workloads_containers_as_a_build_finds_them() {
        let mut inv = crate::testing::load("t.yaml", MEMBERS, "");
        let kept = build(&Context::new(&inv, crate::InputKind::Snapshot), None);
        // A second Pod of the ReplicaSet, on another image, added last (a member).
        let pod = MEMBERS.split("---\n").nth(2).expect("the pod").replace("api-5d-a", "api-5d-b").replace("api:1", "api:2");
        let (mut objects, _) = crate::testing::load("p.yaml", &pod, "").into_parts();
        let at = inv.push_object(objects.remove(0)).expect("a member is pushed");
        let workload = inv.workload_of(at).and_then(|w| workload_index(inv.workloads(), w)).expect("its workload");
        assert_ne!(inv.workloads()[workload].object, at, "a member");
        let kept = {
            let cx = Context::new(&inv, crate::InputKind::Snapshot);
            let refreshed = refresh(kept, &cx, &[workload]);
            assert_eq!(containers_text(&refreshed), containers_text(&build(&cx, None)));
            assert!(refreshed.containers.iter().any(|c| c.image.ends_with("api:2")), "{:?}", refreshed.containers);
            refreshed
        };
        // And taken away again.
        assert!(inv.pop_object().is_some());
        let cx = Context::new(&inv, crate::InputKind::Snapshot);
        let refreshed = refresh(kept, &cx, &[workload]);
        assert_eq!(containers_text(&refreshed), containers_text(&build(&cx, None)));
        assert!(!refreshed.containers.iter().any(|c| c.image.ends_with("api:2")));
        assert_eq!(refreshed.containers.len(), 2, "the Pod's container and the DaemonSet's template's");
    }

    #[test]
    fn an_unreadable_report_object_is_listed_not_fatal() {
        let broken = INPUT.replace("report:\n  updateTimestamp", "status:\n  updateTimestamp");
        let inv = crate::testing::load("t.yaml", &broken, "");
        let cx = Context::new(&inv, crate::InputKind::Manifests);
        assert!(!cx.vulns().has_evidence());
        assert!(cx.vulns().unreadable[0].1.contains("without a `report`"), "{:?}", cx.vulns().unreadable);
    }
}
