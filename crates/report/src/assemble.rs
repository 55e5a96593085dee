//! Building the report of one assessment, in one place: the input and scope summaries, the
//! checks with their help text, the findings (with the passes when asked for) with card
//! numbers redacted, the requirement roll-up and the boundary section.

use std::collections::BTreeMap;

use kubepci_checks::{Assessment, Context, InputKind, RunOptions, check_markdown};
use kubepci_findings::Finding;
use kubepci_model::SourceLoc;

use crate::model::{AccessGrant, CheckInfo, ConfigSource, EffectiveConfig, InputError, InputSummary, NamespaceScope, Provenance, RegistryInfo, Report, RunInfo, ScopeSummary, SnapshotInfo, WorkloadScope};

/// What the report says about the input beyond its objects (which it counts from the
/// inventory): plain values, filled by whatever read the input.
#[derive(Clone, Debug)]
pub struct InputFacts {
    pub kind: InputKind,
    /// What was read: paths, a snapshot file or the API server's address.
    pub sources: Vec<String>,
    pub files: usize,
    pub documents: usize,
    /// What could not be read or decoded.
    pub errors: Vec<InputError>,
    pub snapshot: Option<SnapshotInfo>,
}

impl InputError {
    /// An error at a place in the input.
    pub fn at(loc: &SourceLoc, message: impl Into<String>) -> InputError {
        InputError { file: loc.file.to_string(), line: loc.line, column: loc.column, message: message.into() }
    }
}

/// What only the caller decides about a report.
#[derive(Clone, Debug, Default)]
pub struct AssembleOptions {
    /// RFC 3339 time stamped on the report.
    pub generated_at: String,
    /// List passing results as findings too (large on big clusters).
    pub include_passed: bool,
    /// Where the configuration came from (its path and digest, for the provenance).
    pub config_source: ConfigSource,
    /// The options the checks ran with (`--only`, the date exceptions were judged against).
    pub run: RunOptions,
}

impl Report {
    /// The report of `assessment`, run on `cx`.
    pub fn assemble(cx: &Context, input: InputFacts, assessment: Assessment, opts: &AssembleOptions) -> Report {
        Report::from_parts(cx, ReportParts::gather(cx, input, opts), assessment, opts)
    }

    /// The report of `assessment` from the parts gathered before it ([`ReportParts::gather`]).
    pub fn from_parts(cx: &Context, parts: ReportParts, mut assessment: Assessment, opts: &AssembleOptions) -> Report {
        let ReportParts { input, scope, provenance, access, check_texts } = parts;
        let mut findings: Vec<Finding> = std::mem::take(&mut assessment.findings);
        if opts.include_passed {
            let passed = assessment.passed_findings(cx);
            if !passed.is_empty() {
                findings.extend(passed);
                findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            }
        }
        redact(&mut findings);
        let checks = assessment
            .summaries
            .iter()
            .filter_map(|s| {
                let (name, remediation, help) = check_texts.get(s.check.as_str())?.clone();
                Some(CheckInfo { summary: s.clone(), name, remediation, help })
            })
            .collect();
        Report { boundary: std::mem::take(&mut assessment.boundary), access, ..Report::new(opts.generated_at.clone(), provenance, input, scope, checks, findings) }
    }
}

/// The parts of a report that do not depend on the checks' results: the input and scope
/// summaries, the provenance, the access review and each check's help. Gathered apart so that
/// a caller can build them while the checks run (the CLI does, on the core the checks leave
/// idle at their end); [`Report::from_parts`] adds the results.
pub struct ReportParts {
    input: InputSummary,
    scope: ScopeSummary,
    provenance: Provenance,
    access: Vec<AccessGrant>,
    /// Per check id: its name, remediation and help, for the checks of the registry.
    check_texts: BTreeMap<&'static str, (String, String, String)>,
}

impl ReportParts {
    /// Everything of the report but the results, from the context (its RBAC model, computed
    /// here if no check has asked for it yet).
    pub fn gather(cx: &Context, input: InputFacts, opts: &AssembleOptions) -> ReportParts {
        let inv = cx.inventory();
        let registry = kubepci_checks::registry();
        let ((input, scope), (access, (check_texts, sha256))) = rayon::join(
            || (input_summary(input, &inv.objects), scope_summary(inv)),
            || {
                rayon::join(
                    || access_review(cx),
                    || {
                        let texts = registry.iter().map(|c| (c.meta.id, (c.meta.name.to_string(), c.meta.remediation(), check_markdown(c)))).collect();
                        (texts, kubepci_checks::registry_sha256(&registry))
                    },
                )
            },
        );
        let provenance = Provenance {
            registry: RegistryInfo { checks: registry.len(), sha256 },
            config: EffectiveConfig::new(&inv.config, opts.config_source.clone()),
            run: RunInfo { only: opts.run.only.clone(), date: opts.run.today.clone() },
        };
        ReportParts { input, scope, provenance, access, check_texts }
    }
}

/// The grants of `kubepci rbac review` that give a sensitive capability (read Secrets, exec,
/// run workloads, escalate…): the rows an access review must look at.
fn access_review(cx: &Context) -> Vec<AccessGrant> {
    let review = kubepci_rbac::review::build(cx.rbac_model(), cx.inventory(), "", "");
    review
        .entries
        .into_iter()
        .filter(|e| !e.capabilities.is_empty())
        .map(|e| AccessGrant { subject: e.subject.to_string(), scope: e.scope, binding: e.binding, role: e.role, capabilities: e.capabilities, approved: e.approved_in_config })
        .collect()
}

fn scope_summary(inv: &kubepci_inventory::Inventory) -> ScopeSummary {
    use kubepci_inventory::Scope;
    let mut workloads: BTreeMap<String, usize> = BTreeMap::new();
    let mut workload_scopes = Vec::new();
    for w in inv.workloads() {
        *workloads.entry(w.scope.scope.to_string()).or_default() += 1;
        let o = &inv.objects[w.object];
        let namespace = o.namespace().unwrap_or_default();
        let inherited = inv.namespace(namespace).is_some_and(|n| n.scope.scope == w.scope.scope);
        if matches!(w.scope.scope, Scope::Cde | Scope::Connected) || !inherited {
            workload_scopes.push(WorkloadScope { kind: o.kind().to_string(), namespace: namespace.to_string(), name: o.name().to_string(), scope: w.scope.scope.to_string(), reason: w.scope.reason.clone() });
        }
    }
    workload_scopes.sort_by(|a, b| (&a.namespace, &a.name, &a.kind).cmp(&(&b.namespace, &b.name, &b.kind)));
    ScopeSummary {
        namespaces: inv.namespaces().map(|n| NamespaceScope { name: n.name.clone(), scope: n.scope.scope.to_string(), reason: n.scope.reason.clone() }).collect(),
        workloads,
        workload_scopes,
    }
}

fn input_summary(input: InputFacts, objects: &[kubepci_model::Object]) -> InputSummary {
    use rayon::prelude::*;
    // Counted per kind without a string per object, runs of objects side by side.
    let counted = objects
        .par_iter()
        .fold(kubepci_model::hash::FastMap::<&str, usize>::default, |mut counts, o| {
            *counts.entry(o.kind()).or_default() += 1;
            counts
        })
        .reduce(kubepci_model::hash::FastMap::default, |mut left, right| {
            for (kind, n) in right {
                *left.entry(kind).or_default() += n;
            }
            left
        });
    let kinds: BTreeMap<String, usize> = counted.into_iter().map(|(kind, n)| (kind.to_string(), n)).collect();
    InputSummary {
        kind: input.kind.as_str().to_string(),
        sources: input.sources,
        files: input.files,
        documents: input.documents,
        objects: objects.len(),
        kinds,
        errors: input.errors,
        snapshot: input.snapshot,
    }
}

/// Last line of defence: whatever a check wrote, no card number leaves in a finding.
fn redact(findings: &mut [Finding]) {
    use rayon::prelude::*;
    findings.par_iter_mut().for_each(redact_finding);
}

/// Card numbers masked in a finding's message and evidence values, as every report does; for
/// answers that leave without a report (the admission webhook's).
pub fn redact_finding(f: &mut Finding) {
    kubepci_pan::redact_in_place(&mut f.message);
    f.evidence.iter_mut().filter_map(|e| e.value.as_mut()).for_each(kubepci_pan::redact_in_place);
}

#[cfg(test)]
mod tests {
    use kubepci_checks::testing::load;
    use kubepci_checks::{RunOptions, assess};
    use kubepci_findings::{Evidence, Status};

    use super::*;

    /// A CDE namespace with one unprotected pod, and a shop namespace outside the CDE.
    const INPUT: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments, labels: {pci.kubepci.io/scope: cde}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {pci.kubepci.io/scope: out}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: payments, labels: {app: api}}\nspec:\n  containers: [{name: api, image: api:1}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: web, image: web:1}]\n";

    fn facts() -> InputFacts {
        let loc = SourceLoc::whole("broken.yaml");
        InputFacts { kind: InputKind::Manifests, sources: vec!["in/".into()], files: 2, documents: 5, errors: vec![InputError::at(&loc, "not YAML")], snapshot: None }
    }

    #[test]
    fn every_part_of_the_report_comes_from_the_assessment_and_the_inventory() {
        let inv = load("t.yaml", INPUT, "");
        let cx = Context::new(&inv, InputKind::Manifests);
        let opts = AssembleOptions { generated_at: "2026-01-01T00:00:00Z".into(), ..AssembleOptions::default() };
        let report = Report::assemble(&cx, facts(), assess(&cx, &RunOptions::default()), &opts);
        assert_eq!((report.input.kind.as_str(), report.input.objects, report.input.files, report.input.documents), ("manifests", 4, 2, 5));
        assert_eq!(report.input.kinds, BTreeMap::from([("Namespace".to_string(), 2), ("Pod".to_string(), 2)]));
        assert_eq!(report.input.errors[0].file, "broken.yaml");
        let scopes: Vec<(&str, &str)> = report.scope.namespaces.iter().map(|n| (n.name.as_str(), n.scope.as_str())).collect();
        assert_eq!(scopes, [("payments", "cde"), ("shop", "out")]);
        assert_eq!(report.scope.workloads, BTreeMap::from([("cde".to_string(), 1), ("out".to_string(), 1)]));
        assert_eq!(report.checks.len(), kubepci_checks::registry().len());
        assert!(report.checks.iter().all(|c| c.help.starts_with(&format!("# {}: ", c.summary.check)) && !c.remediation.is_empty()));
        assert!(report.findings.iter().all(|f| f.status != Status::Pass));
        assert!(!report.boundary.is_empty(), "the unprotected CDE pod is reachable from shop");
        assert!(!report.requirements.is_empty() && report.summary.failed > 0);

        let assessment = assess(&cx, &RunOptions::default());
        let object_passes = assessment.passes.len();
        let with_passes = Report::assemble(&cx, facts(), assessment, &AssembleOptions { include_passed: true, ..opts });
        let listed: Vec<&Finding> = with_passes.findings.iter().filter(|f| f.status == Status::Pass).collect();
        assert!(!listed.is_empty() && listed.iter().all(|f| f.object.is_some()));
        assert_eq!(listed.len(), object_passes);
    }

    #[test]
    fn the_access_review_lists_sensitive_grants_on_the_cde_approved_or_not() {
        let rbac = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: debug, namespace: payments}\nrules: [{apiGroups: [''], resources: [secrets, pods/exec], verbs: [get, create]}, {apiGroups: [''], resources: [configmaps], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: debug, namespace: payments}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: debug}\nsubjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}, {kind: Group, name: sre, apiGroup: rbac.authorization.k8s.io}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: view, namespace: payments}\nrules: [{apiGroups: [''], resources: [configmaps], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: view, namespace: payments}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: view}\nsubjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}]\n";
        let inv = load("t.yaml", &format!("{INPUT}{rbac}"), "approvedSubjects: [{kind: Group, name: sre}]\n");
        let cx = Context::new(&inv, InputKind::Manifests);
        let report = Report::assemble(&cx, facts(), assess(&cx, &RunOptions::default()), &AssembleOptions::default());
        let rows: Vec<(&str, &str, bool)> = report.access.iter().map(|g| (g.subject.as_str(), g.scope.as_str(), g.approved)).collect();
        assert_eq!(rows, [("User:alice", "payments", false), ("Group:sre", "payments", true)], "bob only reads ConfigMaps");
        let caps = &report.access[0].capabilities;
        assert!(caps.iter().any(|c| c == "get-secrets") && caps.iter().any(|c| c == "exec-pods"), "{caps:?}");
    }

    #[test]
    fn no_card_number_leaves_in_a_finding() {
        let inv = load("t.yaml", INPUT, "");
        let cx = Context::new(&inv, InputKind::Manifests);
        // A check's pass as a finding, made to carry a card number as no check would.
        let mut assessment = assess(&cx, &RunOptions { only: vec!["POD-001".into()], ..RunOptions::default() });
        let mut finding = assessment.passed_findings(&cx).remove(0);
        finding.message = "card 4111 1111 1111 1111 in a label".into();
        finding.evidence = vec![Evidence::field("metadata.labels[card]", "4111111111111111")];
        assessment.findings = vec![finding];
        let report = Report::assemble(&cx, facts(), assessment, &AssembleOptions::default());
        let f = &report.findings[0];
        assert!(!f.message.contains("4111 1111 1111 1111") && !f.message.contains("1111 1111"), "{}", f.message);
        assert!(f.evidence[0].value.as_deref().is_some_and(|v| !v.contains("4111111111111111")), "{:?}", f.evidence);
    }
}
