//! `kubepci init`: a starter `kubepci.yaml` proposed from what the input shows, for a person to
//! review. Pure: objects in, a [`Proposal`] and its commented YAML ([`render`]) out; the
//! command reads the input and writes the file.
//!
//! What decides what:
//! - **Scope classes come from namespace labels alone.** A namespace labelled
//!   `pci.kubepci.io/scope` is already classified and needs no rule. A label whose key or value
//!   speaks of PCI, the CDE or cardholder data (`pci.scope=cde`, `compliance: pci-dss`,
//!   `data-classification: cardholder`) becomes a `namespaceSelector` rule of the class it
//!   names; namespaces of that class labelled with another key are listed by name.
//! - **Card numbers are evidence, not a verdict.** Namespaces whose workloads read a Secret or
//!   ConfigMap holding card numbers (found as the card-data check finds them) are written as
//!   comments with that evidence, masked; nothing else is classified.
//! - `approvedRegistries`: the registries of the images the proposed CDE runs.
//! - `approvedFlows`: every flow the report's CDE boundary section computes for the proposed
//!   CDE, commented out, to confirm or delete.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use kubepci_checks::support::containers::containers;
use kubepci_checks::support::image;
use kubepci_checks::{Context, InputKind, UnlistedKind, cde_boundary};
use kubepci_findings::BoundaryFlow;
use kubepci_inventory::config::{ApprovedFlow, ScopeRule};
use kubepci_inventory::{Config, Inventory, NamespaceClassifier, SCOPE_LABEL, Scope};
use kubepci_model::pod::PodSpec;
use kubepci_model::k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use kubepci_model::Object;

/// What `kubepci init` proposes: the configuration it writes and the evidence behind it.
#[derive(Debug)]
pub struct Proposal {
    /// Every namespace of the input, by name, with the class the written file gives it.
    pub namespaces: Vec<NamespaceProposal>,
    /// The rules written as YAML: `defaultNamespace`, `scope` and `approvedRegistries`.
    pub config: Config,
    /// The images behind each approved registry, for the comments.
    pub registries: Vec<Registry>,
    /// CDE images that name no registry (Docker Hub short names): not approved, listed.
    pub unregistered_images: Vec<String>,
    /// The boundary flows of the proposed CDE, as `approvedFlows` entries to confirm.
    pub flows: Vec<FlowSuggestion>,
    /// False when the collection lacks a kind the boundary is computed from: `flows` is then
    /// empty for want of evidence, not because nothing crosses.
    pub flows_known: bool,
    /// Namespaces outside the proposed CDE whose workloads read card numbers.
    pub card_data: Vec<CardData>,
    /// How many objects the proposal was made from.
    pub objects: usize,
}

/// One namespace and the class the written configuration gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceProposal {
    pub name: String,
    /// As `kubepci scan` will classify it with the written file (`Unclassified`: a person decides).
    pub scope: Scope,
    pub basis: Basis,
}

/// Why a namespace gets its class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    /// Its `pci.kubepci.io/scope` label, which kubepci reads already.
    ScopeLabel(String),
    /// A `pci.kubepci.io/scope` label whose value is no class: it wins over any rule, so the
    /// namespace stays unclassified until the label is fixed.
    InvalidScopeLabel(String),
    /// A label of the team's own that names a class.
    TeamLabel { key: String, value: String },
    /// A label that speaks of PCI but names no class.
    Undecided { key: String, value: String },
    /// No label speaks of PCI.
    Nothing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registry {
    /// The `approvedRegistries` entry (`registry.example.com/`).
    pub prefix: String,
    pub images: Vec<String>,
}

/// A flow across the proposed CDE's boundary, as an `approvedFlows` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowSuggestion {
    pub approved: ApprovedFlow,
    /// The flow as the report's boundary section shows it.
    pub boundary: BoundaryFlow,
    /// Where the entry approves more than the flow (a range that is no CIDR block, ports too
    /// many to list).
    pub notes: Vec<String>,
}

/// Workloads outside the proposed CDE that read card numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardData {
    pub namespace: String,
    /// `Deployment/ns/name reads ConfigMap/ns/name: Visa 455673******9855 at data[k]`.
    pub evidence: Vec<String>,
}

/// Propose a configuration for `objects`. `default_namespace` is carried over from a
/// configuration given with `-c`; `input` and `unlisted` are what the boundary needs to know
/// about the input (as for a scan).
pub fn propose(objects: Vec<Object>, default_namespace: Option<String>, input: InputKind, unlisted: Vec<UnlistedKind>) -> Proposal {
    let base = Config { default_namespace, ..Config::default() };
    let mut seen = Inventory::build(objects, base.clone());
    let objects = seen.objects.len();
    let bases: Vec<(String, Scope, Basis)> = seen.namespaces().map(|n| namespace_basis(&n.name, &n.labels)).collect();
    let labels: BTreeMap<String, BTreeMap<String, String>> = seen.namespaces().map(|n| (n.name.clone(), n.labels.clone())).collect();

    let mut config = base;
    config.scope = scope_rules(&bases, &labels);
    let classifier = NamespaceClassifier::new(&config.scope);
    let namespaces: Vec<NamespaceProposal> = bases
        .into_iter()
        .map(|(name, _, basis)| {
            let scope = classifier.classify(&name, &labels[&name]).scope;
            NamespaceProposal { name, scope, basis }
        })
        .collect();
    let proposed_cde: BTreeSet<&str> = namespaces.iter().filter(|n| n.scope == Scope::Cde).map(|n| n.name.as_str()).collect();
    let card_data = card_data_outside(&Context::new(&seen, input), &proposed_cde);

    let scope = config.scope.clone();
    let assessed = Inventory::build(std::mem::take(&mut seen.objects), Config { scope, ..config.clone() });
    let (registries, unregistered_images) = cde_registries(&assessed);
    config.approved_registries = registries.iter().map(|r| r.prefix.clone()).collect();
    // The boundary section is empty where NET-013 cannot be assessed; say why rather than "none".
    let flows_known = !kubepci_checks::registry().iter().filter(|c| c.meta.id == BOUNDARY_CHECK).any(|c| unlisted.iter().any(|u| c.meta.reads_unlisted(u)));
    let cx = Context::new(&assessed, input).with_unlisted(unlisted);
    let flows = cde_boundary(&cx).into_iter().map(flow_suggestion).collect();
    Proposal { namespaces, config, registries, unregistered_images, flows, flows_known, card_data, objects }
}

/// The check that fails unapproved boundary flows: it reads what the boundary is computed from.
const BOUNDARY_CHECK: &str = "NET-013";

/// What a namespace label says about PCI DSS scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelMeaning {
    /// Nothing (no PCI word in the key or value, or a key Kubernetes or kubepci owns).
    NotPci,
    /// It speaks of PCI and names this class.
    Class(Scope),
    /// It speaks of PCI and names no class (`pci.zone=dmz`).
    Undecided,
}

/// Read a namespace label the way a person would: does its key or value speak of PCI, the CDE
/// or cardholder data, and which class does its value name? A value naming PCI or cardholder
/// data itself (`compliance: pci-dss`), or saying yes to a PCI key (`pci: "true"`), names the
/// CDE; negations (`non-pci`, `pci: "false"`) name `out`.
pub fn label_meaning(key: &str, value: &str) -> LabelMeaning {
    if key == SCOPE_LABEL || is_reserved_key(key) {
        return LabelMeaning::NotPci;
    }
    let value_words = words(value);
    if !words(key).iter().chain(&value_words).any(|w| is_pci_word(w)) {
        return LabelMeaning::NotPci;
    }
    if let Some(scope) = Scope::parse(&value.to_ascii_lowercase()) {
        return LabelMeaning::Class(scope);
    }
    let says = |set: &[&str]| value_words.iter().any(|w| set.contains(&w.as_str()));
    if says(&["non", "not", "no", "none", "out", "false", "off", "oos", "excluded", "exempt"]) {
        LabelMeaning::Class(Scope::Out)
    } else if says(&["connected"]) {
        LabelMeaning::Class(Scope::Connected)
    } else if says(&["security"]) {
        LabelMeaning::Class(Scope::Security)
    } else if value_words.iter().any(|w| is_pci_word(w)) || says(&["true", "yes", "y", "on", "1", "in", "inscope", "enabled"]) {
        LabelMeaning::Class(Scope::Cde)
    } else {
        LabelMeaning::Undecided
    }
}

fn is_pci_word(w: &str) -> bool {
    w == "pci" || w == "cde" || w.starts_with("pcidss") || w.starts_with("cardholder")
}

/// Keys under a Kubernetes-owned prefix (`kubernetes.io/metadata.name` holds the namespace's
/// name, not a classification; `pod-security.kubernetes.io/…`).
fn is_reserved_key(key: &str) -> bool {
    key.split_once('/').is_some_and(|(prefix, _)| prefix.ends_with("kubernetes.io") || prefix.ends_with("k8s.io"))
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_ascii_lowercase).collect()
}

/// The class a namespace's labels propose, and why: its scope label, else the most
/// restrictive class its team labels name (the first such key on a tie).
fn namespace_basis(name: &str, labels: &BTreeMap<String, String>) -> (String, Scope, Basis) {
    if let Some(v) = labels.get(SCOPE_LABEL) {
        return match Scope::parse(v) {
            Some(scope) => (name.to_string(), scope, Basis::ScopeLabel(v.clone())),
            None => (name.to_string(), Scope::Unclassified, Basis::InvalidScopeLabel(v.clone())),
        };
    }
    let mut undecided = None;
    let mut best: Option<(Scope, &String, &String)> = None;
    for (k, v) in labels {
        match label_meaning(k, v) {
            LabelMeaning::Class(scope) if best.is_none_or(|(b, _, _)| scope < b) => best = Some((scope, k, v)),
            LabelMeaning::Undecided if undecided.is_none() => undecided = Some(Basis::Undecided { key: k.clone(), value: v.clone() }),
            _ => {}
        }
    }
    match best {
        Some((scope, key, value)) => (name.to_string(), scope, Basis::TeamLabel { key: key.clone(), value: value.clone() }),
        None => (name.to_string(), Scope::Unclassified, undecided.unwrap_or(Basis::Nothing)),
    }
}

/// Per class, one `namespaceSelector` on the label key that covers most of the namespaces its
/// team labels put there (every value of that key naming the class), and the rest of them by
/// name. A namespace whose labels name several classes gets the most restrictive: the
/// classifier reads lists before selectors, and selectors most restrictive class first.
fn scope_rules(bases: &[(String, Scope, Basis)], labels: &BTreeMap<String, BTreeMap<String, String>>) -> kubepci_inventory::config::ScopeConfig {
    let mut scope = kubepci_inventory::config::ScopeConfig::default();
    for class in [Scope::Cde, Scope::Connected, Scope::Security, Scope::Out] {
        let members: Vec<&str> = bases.iter().filter(|(_, s, b)| *s == class && matches!(b, Basis::TeamLabel { .. })).map(|(n, _, _)| n.as_str()).collect();
        if members.is_empty() {
            continue;
        }
        // key → values naming this class; key → members carrying one of them.
        let mut values: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut covered: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for &ns in &members {
            for (k, v) in &labels[ns] {
                if label_meaning(k, v) == LabelMeaning::Class(class) {
                    values.entry(k).or_default().insert(v);
                    covered.entry(k).or_default().insert(ns);
                }
            }
        }
        let Some((key, by_key)) = covered.iter().max_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| b.0.cmp(a.0))) else { continue };
        let rule = rule_mut(&mut scope, class);
        rule.namespace_selector = Some(selector(key, &values[key]));
        rule.namespaces = members.iter().filter(|ns| !by_key.contains(*ns)).map(|ns| ns.to_string()).collect();
    }
    // A namespace the selectors would put in another class than its labels propose (possible
    // only where a key's values name different classes) is listed by name: lists come first.
    let classifier_scope = scope.clone();
    let classifier = NamespaceClassifier::new(&classifier_scope);
    for (name, class, basis) in bases {
        if matches!(basis, Basis::TeamLabel { .. }) && classifier.classify(name, &labels[name]).scope != *class {
            rule_mut(&mut scope, *class).namespaces.push(name.clone());
        }
    }
    scope
}

fn rule_mut(scope: &mut kubepci_inventory::config::ScopeConfig, class: Scope) -> &mut ScopeRule {
    match class {
        Scope::Cde => &mut scope.cde,
        Scope::Connected => &mut scope.connected,
        Scope::Security => &mut scope.security,
        Scope::Out | Scope::Unclassified => &mut scope.out,
    }
}

/// `matchLabels {key: value}` for one value, `key In (values)` for several.
fn selector(key: &str, values: &BTreeSet<&str>) -> LabelSelector {
    if let [only] = values.iter().collect::<Vec<_>>()[..] {
        return LabelSelector { match_labels: Some([(key.to_string(), only.to_string())].into()), match_expressions: None };
    }
    LabelSelector {
        match_labels: None,
        match_expressions: Some(vec![LabelSelectorRequirement { key: key.to_string(), operator: "In".into(), values: Some(values.iter().map(|v| v.to_string()).collect()) }]),
    }
}

/// Namespaces outside `cde` whose workloads read a Secret or ConfigMap holding card numbers
/// (public test numbers aside), with that evidence, masked.
fn card_data_outside(cx: &Context, cde: &BTreeSet<&str>) -> Vec<CardData> {
    let inv = cx.inventory();
    let mut by_namespace: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for found in cx.card_numbers() {
        let o = &inv.objects[found.object];
        let (Some(ns), true) = (o.namespace(), matches!(o.kind(), "Secret" | "ConfigMap")) else { continue };
        let cards: Vec<String> = found.found.iter().filter(|(test, _)| !test).map(|(_, ev)| format!("{} at {}", ev.value.as_deref().unwrap_or(""), ev.path)).collect();
        if cards.is_empty() || cde.contains(ns) {
            continue;
        }
        let what = match cards.len() {
            1 => cards[0].clone(),
            n => format!("{} and {} more", cards[0], n - 1),
        };
        for w in inv.workloads_in(ns) {
            let reader = &inv.objects[w.object];
            if reader.pod_template().is_some_and(|t| reads(t.spec).contains(&(o.kind(), o.name()))) {
                let line = format!("{} reads {}: {what}", reader.object_ref(), o.object_ref());
                by_namespace.entry(ns).or_default().push(kubepci_pan::redact(&line));
            }
        }
    }
    by_namespace.into_iter().map(|(ns, evidence)| CardData { namespace: ns.to_string(), evidence }).collect()
}

/// The Secrets and ConfigMaps a pod reads: volumes (projected too), env values and envFrom.
fn reads(spec: &PodSpec) -> BTreeSet<(&'static str, &str)> {
    let mut out = BTreeSet::new();
    for v in spec.volumes.iter().flatten() {
        if let Some(name) = v.secret.as_ref().and_then(|s| s.secret_name.as_deref()) {
            out.insert(("Secret", name));
        }
        if let Some(c) = &v.config_map {
            out.insert(("ConfigMap", c.name.as_str()));
        }
        for p in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
            if let Some(s) = &p.secret {
                out.insert(("Secret", s.name.as_str()));
            }
            if let Some(c) = &p.config_map {
                out.insert(("ConfigMap", c.name.as_str()));
            }
        }
    }
    for c in spec.init_containers.iter().flatten().chain(&spec.containers) {
        for from in c.env.iter().flatten().filter_map(|e| e.value_from.as_ref()) {
            if let Some(s) = &from.secret_key_ref {
                out.insert(("Secret", s.name.as_str()));
            }
            if let Some(m) = &from.config_map_key_ref {
                out.insert(("ConfigMap", m.name.as_str()));
            }
        }
        for from in c.env_from.iter().flatten() {
            if let Some(s) = &from.secret_ref {
                out.insert(("Secret", s.name.as_str()));
            }
            if let Some(m) = &from.config_map_ref {
                out.insert(("ConfigMap", m.name.as_str()));
            }
        }
    }
    out
}

/// Registries that serve anyone's images: approving the host would approve every image on it,
/// so the proposal approves the account or organisation (`docker.io/acme/`).
const SHARED_REGISTRIES: &[&str] = &["docker.io", "ghcr.io", "quay.io", "gcr.io", "public.ecr.aws", "registry.gitlab.com", "mcr.microsoft.com"];

/// The `approvedRegistries` prefix of an image that names its registry: `host/`, or
/// `host/account/` on a shared registry; `None` for a Docker Hub short name (`postgres:16`).
fn registry_prefix(img: &str) -> Option<String> {
    let host = image::parse(img).registry;
    let path = img.strip_prefix(host)?.strip_prefix('/')?;
    match path.split_once('/') {
        Some((account, _)) if SHARED_REGISTRIES.contains(&host) => Some(format!("{host}/{account}/")),
        _ => Some(format!("{host}/")),
    }
}

/// The registries of the images CDE workloads run (prefixes, as `approvedRegistries` compares
/// them with the image as written), and the images that name no registry.
fn cde_registries(inv: &Inventory) -> (Vec<Registry>, Vec<String>) {
    let mut registries: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unregistered = BTreeSet::new();
    for w in inv.workloads().iter().filter(|w| w.scope.scope == Scope::Cde) {
        let Some(t) = inv.pod_template(w) else { continue };
        for c in containers(&t) {
            let Some(img) = c.container.image.as_deref().filter(|i| !i.is_empty()) else { continue };
            match registry_prefix(img) {
                Some(prefix) => _ = registries.entry(prefix).or_default().insert(img.to_string()),
                None => _ = unregistered.insert(img.to_string()),
            }
        }
    }
    (registries.into_iter().map(|(prefix, images)| Registry { prefix, images: images.into_iter().collect() }).collect(), unregistered.into_iter().collect())
}

/// A boundary flow as the `approvedFlows` entry that approves it.
fn flow_suggestion(flow: BoundaryFlow) -> FlowSuggestion {
    let mut notes = Vec::new();
    let from = flow_end(&flow.from, &mut notes);
    let to = flow_end(&flow.to, &mut notes);
    let ports = approved_ports(&flow.connections, &mut notes);
    FlowSuggestion { approved: ApprovedFlow { from, to, ports, reason: String::new() }, boundary: flow, notes }
}

/// The `approvedFlows` pattern of one end of a boundary flow: `ns/name` for a workload
/// (`ns/name[Kind]`), `ns/*` or `*/*` for a group (`ns/* (3 CDE workloads)`), the smallest CIDR
/// block holding an address range (`10.0.0.0-10.0.255.255[External]`).
fn flow_end(label: &str, notes: &mut Vec<String>) -> String {
    if let Some(ranges) = label.strip_suffix("[External]") {
        let bounds: Vec<(u32, u32)> = ranges.split(',').filter_map(|r| r.split_once('-')).filter_map(|(a, b)| Some((ipv4(a)?, ipv4(b)?))).collect();
        let (Some(lo), Some(hi)) = (bounds.iter().map(|b| b.0).min(), bounds.iter().map(|b| b.1).max()) else { return ranges.to_string() };
        let (block, exact) = enclosing_cidr(lo, hi);
        if !exact || bounds.len() > 1 {
            notes.push(format!("{block} holds more than the allowed {ranges}"));
        }
        return block;
    }
    if let Some((group, _)) = label.split_once(" (") {
        return group.to_string();
    }
    match label.rfind('[') {
        Some(kind) if label.ends_with(']') => label[..kind].to_string(),
        _ => label.to_string(),
    }
}

fn ipv4(s: &str) -> Option<u32> {
    s.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

/// The smallest CIDR block holding `lo..=hi`, and whether it holds nothing else.
fn enclosing_cidr(lo: u32, hi: u32) -> (String, bool) {
    let prefix = (lo ^ hi).leading_zeros();
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    let network = lo & mask;
    (format!("{}/{prefix}", std::net::Ipv4Addr::from(network)), network == lo && (network | !mask) == hi)
}

/// At most this many ports are listed one by one; a wider flow is approved on any port.
const MAX_LISTED_PORTS: u32 = 16;

/// `approvedFlows` ports for a boundary flow's connections (`TCP 443,8443,UDP 53`, `All
/// Connections`): every port, or none (any port) when they are too many to list.
fn approved_ports(connections: &str, notes: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut protocol = "";
    for part in connections.split(',') {
        let range = match part.split_once(' ') {
            Some((p, r)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_alphabetic()) => {
                protocol = p;
                r
            }
            _ => part,
        };
        let bounds = match range.split_once('-') {
            Some((a, b)) => a.parse::<u16>().ok().zip(b.parse::<u16>().ok()),
            None => range.parse::<u16>().ok().map(|p| (p, p)),
        };
        match bounds {
            Some((a, b)) if protocol != "All" && a <= b && out.len() as u32 + u32::from(b - a) < MAX_LISTED_PORTS => out.extend((a..=b).map(|p| format!("{protocol}/{p}"))),
            _ => {
                if connections != "All Connections" {
                    notes.push(format!("any port: the policies allow {connections}, too many ports to list"));
                }
                return Vec::new();
            }
        }
    }
    out
}

/// The proposal as a commented `kubepci.yaml`; `sources` names the input in the header.
pub fn render(p: &Proposal, sources: &str, notes: &[String]) -> String {
    let mut w = String::new();
    let _ = writeln!(w, "# kubepci.yaml, proposed by `kubepci init` from {sources} ({} objects, {} namespaces).", p.objects, p.namespaces.len());
    let _ = writeln!(w, "# A starting point to review, not a verdict: the classes come from namespace labels, the");
    let _ = writeln!(w, "# registries from the images the proposed CDE runs, the flows from its NetworkPolicies.");
    let _ = writeln!(w, "# Every key: docs/config.md. Check it with `kubepci scan -c kubepci.yaml …`.");
    for note in notes {
        let _ = writeln!(w, "# Note: {note}");
    }
    namespace_table(&mut w, p);
    if let Some(ns) = &p.config.default_namespace {
        let _ = writeln!(w, "\ndefaultNamespace: {}", yaml_str(ns));
    }
    scope_section(&mut w, p);
    registries_section(&mut w, p);
    flows_section(&mut w, p);
    let _ = writeln!(w, "\n# Subjects allowed privileged access (cluster-admin, reading CDE Secrets, exec), e.g.");
    let _ = writeln!(w, "# - {{kind: Group, name: platform-admins}}");
    let _ = writeln!(w, "approvedSubjects: []");
    let _ = write!(
        w,
        "
# Accepted risks: a failure matching an exception is reported \"excepted\", never \"pass\", until
# it expires. An example to adapt (the check's id from `kubepci checks list`):
exceptions:
#  - check: POD-004
#    object: DaemonSet/monitoring/log-shipper    # Kind/namespace/name; * matches any run of characters
#    reason: reads node logs for 10.3.3; read-only mount
#    approvedBy: security-officer@example.com
#    ticket: RISK-77
#    expires: \"2027-06-30\"                        # YYYY-MM-DD; the finding fails again after it
#    compensatingControl: CCW-3 node isolation     # optional: the compensating control relied on
"
    );
    w
}

fn namespace_table(w: &mut String, p: &Proposal) {
    if p.namespaces.is_empty() {
        return;
    }
    let _ = writeln!(w, "#\n# Namespaces, and the class this file gives them:");
    let width = p.namespaces.iter().map(|n| n.name.len()).max().unwrap_or(0);
    for n in &p.namespaces {
        let why = match &n.basis {
            Basis::ScopeLabel(v) => format!("label {SCOPE_LABEL}={v} (read as it is; no rule needed)"),
            Basis::InvalidScopeLabel(v) => format!("label {SCOPE_LABEL}={v} names no class (cde, connected, security, out); fix the label, it wins over any rule"),
            Basis::TeamLabel { key, value } if n.scope != Scope::Unclassified => format!("label {key}={value}"),
            Basis::TeamLabel { key, value } => format!("label {key}={value}, but the rules below do not classify it"),
            Basis::Undecided { key, value } => format!("label {key}={value} speaks of PCI but names no class: decide"),
            Basis::Nothing if p.card_data.iter().any(|c| c.namespace == n.name) => "its workloads read card numbers: see scope.cde below, decide".to_string(),
            Basis::Nothing => "no label speaks of PCI: decide, then label it or list it below".to_string(),
        };
        let _ = writeln!(w, "#   {:<width$}  {:<12}  {why}", n.name, n.scope.as_str());
    }
}

fn scope_section(w: &mut String, p: &Proposal) {
    let _ = writeln!(w, "\nscope:");
    let rules = p.config.scope.rules();
    for (class, rule) in rules {
        let has_rules = rule.namespace_selector.is_some() || !rule.namespaces.is_empty();
        let suggestions = if class == Scope::Cde { p.card_data.as_slice() } else { &[] };
        if !has_rules && class != Scope::Cde {
            continue;
        }
        let _ = writeln!(w, "  {class}:");
        if let Some(sel) = &rule.namespace_selector {
            let _ = writeln!(w, "    namespaceSelector:                # namespaces labelled so by your teams");
            if let Some(labels) = &sel.match_labels {
                let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{}: {}", yaml_str(k), yaml_str(v))).collect();
                let _ = writeln!(w, "      matchLabels: {{{}}}", pairs.join(", "));
            }
            if let Some(expressions) = sel.match_expressions.as_ref().filter(|e| !e.is_empty()) {
                let _ = writeln!(w, "      matchExpressions:");
                for e in expressions {
                    let values: Vec<String> = e.values.iter().flatten().map(|v| yaml_str(v)).collect();
                    let _ = writeln!(w, "        - {{key: {}, operator: {}, values: [{}]}}", yaml_str(&e.key), yaml_str(&e.operator), values.join(", "));
                }
            }
        }
        let labelled: Vec<&str> = p.namespaces.iter().filter(|n| n.scope == class && matches!(n.basis, Basis::ScopeLabel(_))).map(|n| n.name.as_str()).collect();
        if !labelled.is_empty() {
            let _ = writeln!(w, "    # Already {class} by their {SCOPE_LABEL} label: {}.", labelled.join(", "));
        } else if class == Scope::Cde && !has_rules {
            let _ = writeln!(w, "    # No namespace label speaks of the CDE: label its namespaces {SCOPE_LABEL}=cde, or list them here.");
        }
        if !suggestions.is_empty() {
            let _ = writeln!(w, "    # Workloads of these namespaces read Secrets or ConfigMaps holding card numbers; if they");
            let _ = writeln!(w, "    # store, process or transmit account data, add the namespace to the list below:");
            for c in suggestions {
                for e in &c.evidence {
                    let _ = writeln!(w, "    #   {}: {e}", c.namespace);
                }
            }
        }
        if rule.namespaces.is_empty() {
            let _ = writeln!(w, "    namespaces: []");
        } else {
            let _ = writeln!(w, "    namespaces:");
            for ns in &rule.namespaces {
                let why = p.namespaces.iter().find(|n| &n.name == ns).and_then(|n| match &n.basis {
                    Basis::TeamLabel { key, value } => Some(format!("  # label {key}={value}")),
                    _ => None,
                });
                let _ = writeln!(w, "      - {}{}", yaml_str(ns), why.unwrap_or_default());
            }
        }
    }
}

fn registries_section(w: &mut String, p: &Proposal) {
    let _ = writeln!(w, "\n# Registries CDE images may come from (IMG-003 fails CDE images from any other): those the");
    let _ = writeln!(w, "# proposed CDE pulls from today. Keep only the ones your change control publishes to.");
    for image in &p.unregistered_images {
        let _ = writeln!(w, "# Not approved: {image} names no registry (Docker Hub); pull it from an approved registry.");
    }
    if p.registries.is_empty() {
        let _ = writeln!(w, "approvedRegistries: []");
        return;
    }
    let _ = writeln!(w, "approvedRegistries:");
    for r in &p.registries {
        let shown: Vec<&str> = r.images.iter().take(3).map(String::as_str).collect();
        let more = if r.images.len() > 3 { format!(" and {} more", r.images.len() - 3) } else { String::new() };
        let _ = writeln!(w, "  - {}  # {}{more}", yaml_str(&r.prefix), shown.join(", "));
    }
}

fn flows_section(w: &mut String, p: &Proposal) {
    let _ = writeln!(w, "\n# Flows across the CDE boundary with a documented business need (NET-013 fails every other).");
    if !p.flows_known {
        let _ = writeln!(w, "# The input lacks objects the boundary is computed from (see the scan's not-assessed NET-013):");
        let _ = writeln!(w, "# no flows are proposed. Run `kubepci init` on a complete snapshot to list them.");
        let _ = writeln!(w, "approvedFlows: []");
        return;
    }
    if p.flows.is_empty() {
        let _ = writeln!(w, "# The NetworkPolicies allow none across the proposed CDE's boundary today.");
        let _ = writeln!(w, "approvedFlows: []");
        return;
    }
    let _ = writeln!(w, "# The NetworkPolicies allow these today: uncomment those that are needed and give the reason");
    let _ = writeln!(w, "# (the change that approved them); tighten the policies for the rest.");
    let _ = writeln!(w, "approvedFlows:");
    for f in &p.flows {
        let b = &f.boundary;
        let into = if b.direction == "into-cde" { "into the CDE" } else { "out of the CDE" };
        let via = if b.via.is_empty() { String::new() } else { format!(" (via {})", b.via.join(", ")) };
        let _ = writeln!(w, "#  # {into}: {} => {} : {}{via}", b.from, b.to, b.connections);
        for note in &f.notes {
            let _ = writeln!(w, "#  # approves more: {note}");
        }
        let a = &f.approved;
        let ports: Vec<String> = a.ports.iter().map(|p| yaml_str(p)).collect();
        let _ = writeln!(w, "#  - from: {}", yaml_str(&a.from));
        let _ = writeln!(w, "#    to: {}", yaml_str(&a.to));
        let _ = writeln!(w, "#    ports: [{}]{}", ports.join(", "), if ports.is_empty() { "    # any port" } else { "" });
        let _ = writeln!(w, "#    reason: \"\"");
    }
}

/// A YAML scalar for `s`: plain when it cannot be read as anything but that string, else
/// double-quoted (a JSON string is a valid YAML one).
fn yaml_str(s: &str) -> String {
    let plain_chars = s.chars().all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    let starts_plainly = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let special = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"].contains(&s.to_ascii_lowercase().as_str());
    if plain_chars && starts_plainly && !special { s.to_string() } else { serde_json::Value::from(s).to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM_LABELS: &str = include_str!("../../../examples/team-labels/cluster.yaml");

    fn objects(yaml: &str) -> Vec<Object> {
        let loaded = kubepci_source::load_bytes("cluster.yaml", yaml.as_bytes());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        loaded.objects
    }

    fn proposal(yaml: &str) -> Proposal {
        propose(objects(yaml), None, InputKind::Manifests, Vec::new())
    }

    fn namespace(name: &str, labels: &str) -> String {
        format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {{{labels}}}}}\n---\n")
    }

    /// The written text with the commented `approvedFlows` entries and example exception
    /// uncommented, as a person confirming all of them would.
    fn uncommented(text: &str) -> String {
        text.lines().map(|l| if l.starts_with("#  - ") || l.starts_with("#    ") { &l[3..] } else { l }).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn labels_that_speak_of_pci_name_a_class() {
        use LabelMeaning::*;
        let cases = [
            ("pci.scope", "cde", Class(Scope::Cde)),
            ("compliance", "pci-dss", Class(Scope::Cde)),
            ("data-classification", "cardholder", Class(Scope::Cde)),
            ("pci", "true", Class(Scope::Cde)),
            ("acme.com/pci-zone", "in-scope", Class(Scope::Cde)),
            ("pci-scope", "connected", Class(Scope::Connected)),
            ("tier", "pci-connected", Class(Scope::Connected)),
            ("pci.scope", "security-impacting", Class(Scope::Security)),
            ("pci", "false", Class(Scope::Out)),
            ("compliance", "non-pci", Class(Scope::Out)),
            ("pci.scope", "out-of-scope", Class(Scope::Out)),
            ("pci.zone", "dmz", Undecided),
            ("team", "payments", NotPci),
            ("app", "specific", NotPci),
            // Kubernetes' own keys hold names and policies, not classifications.
            ("kubernetes.io/metadata.name", "pci-gateway", NotPci),
            ("pod-security.kubernetes.io/enforce", "restricted", NotPci),
            (SCOPE_LABEL, "cde", NotPci),
        ];
        for (key, value, meaning) in cases {
            assert_eq!(label_meaning(key, value), meaning, "{key}={value}");
        }
    }

    #[test]
    fn team_labels_become_selectors_and_the_written_file_classifies_as_proposed() {
        let p = proposal(TEAM_LABELS);
        let scopes: Vec<(&str, Scope)> = p.namespaces.iter().map(|n| (n.name.as_str(), n.scope)).collect();
        assert_eq!(
            scopes,
            [("billing", Scope::Cde), ("blog", Scope::Unclassified), ("gateway", Scope::Connected), ("ledger", Scope::Unclassified), ("tokens", Scope::Cde), ("vault", Scope::Cde)]
        );
        // Two keys name the CDE once each: the first becomes the selector, the other namespace is listed.
        let cde = &p.config.scope.cde;
        assert_eq!(cde.namespace_selector.as_ref().and_then(|s| s.match_labels.clone()), Some([("compliance".to_string(), "pci-dss".to_string())].into()));
        assert_eq!(cde.namespaces, ["tokens", "vault"]);
        assert_eq!(p.config.approved_registries, ["ghcr.io/acme/", "registry.acme.example/"]);
        assert_eq!(p.unregistered_images, ["busybox:1.36"]);

        // What `kubepci scan -c` reads from the written file gives every namespace its proposed class.
        let text = render(&p, "cluster.yaml", &[]);
        let config = Config::from_yaml("kubepci.yaml", &text).expect("the written file is a valid kubepci.yaml");
        assert_eq!(config.scope, p.config.scope);
        assert_eq!(config.approved_registries, p.config.approved_registries);
        assert!(config.approved_flows.is_empty(), "flows stay commented until a person confirms them");
        let inv = Inventory::build(objects(TEAM_LABELS), config);
        for n in &p.namespaces {
            assert_eq!(inv.namespace_scope(&n.name), n.scope, "{}", n.name);
        }
    }

    #[test]
    fn card_numbers_read_outside_the_cde_are_masked_suggestions_only() {
        let p = proposal(TEAM_LABELS);
        assert_eq!(p.card_data, [CardData { namespace: "ledger".into(), evidence: vec!["Deployment/ledger/reconcile reads ConfigMap/ledger/replay: Visa 455673******9855 at data[fixture.json]".into()] }]);
        let text = render(&p, "cluster.yaml", &[]);
        assert!(text.contains("    #   ledger: Deployment/ledger/reconcile reads ConfigMap/ledger/replay"), "{text}");
        assert!(!text.contains("4556737586899855") && !text.contains("4556 7375 8689 9855"), "a full card number was written");
        assert!(!Config::from_yaml("k", &text).expect("valid").scope.cde.namespaces.contains(&"ledger".to_string()));
        // Inside the CDE the card numbers are the CDE's business: no suggestion.
        let labelled = TEAM_LABELS.replace("labels: {team: finance}", "labels: {compliance: pci-dss}");
        assert!(proposal(&labelled).card_data.is_empty());
    }

    #[test]
    fn uncommented_flows_approve_every_boundary_flow_and_the_example_exception_parses() {
        // A CDE workload published through an Ingress and an HTTPRoute: `{ingress-controller}`.
        let published = namespace("payments", "pci.kubepci.io/scope: cde")
            + "apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: payments, labels: {app: api}}\nspec:\n  containers: [{name: c, image: registry.example.com/api:1}]\n---\n"
            + "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: payments}\nspec:\n  selector: {app: api}\n  ports: [{port: 443}]\n---\n"
            + "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: api, namespace: payments}\nspec:\n  defaultBackend: {service: {name: api, port: {number: 443}}}\n---\n"
            + "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: api, namespace: payments}\nspec:\n  parentRefs: [{name: public}]\n  rules: [{backendRefs: [{name: api, port: 443}]}]\n";
        let p = proposal(&published);
        let text = render(&p, "x", &[]);
        assert!(text.contains("#  # into the CDE: {ingress-controller} => payments/api[Pod] : TCP 443 (via Ingress payments/api, HTTPRoute payments/api)\n#  - from: \"{ingress-controller}\"\n#    to: payments/api\n"), "{text}");
        for yaml in [published, TEAM_LABELS.to_string(), include_str!("../../../examples/demo-cluster/40-network-policies.yaml").to_string() + "\n---\n" + include_str!("../../../examples/demo-cluster/00-namespaces.yaml") + "\n---\n" + include_str!("../../../examples/demo-cluster/20-card-vault.yaml") + "\n---\n" + include_str!("../../../examples/demo-cluster/30-checkout.yaml")] {
            let p = proposal(&yaml);
            assert!(!p.flows.is_empty());
            let confirmed = Config::from_yaml("kubepci.yaml", &uncommented(&render(&p, "x", &[]))).expect("uncommented file is valid");
            assert_eq!(confirmed.approved_flows, p.flows.iter().map(|f| f.approved.clone()).collect::<Vec<_>>());
            assert_eq!(confirmed.exceptions.len(), 1);
            let inv = Inventory::build(objects(&yaml), confirmed);
            let flows = cde_boundary(&Context::new(&inv, InputKind::Manifests));
            assert!(!flows.is_empty() && flows.iter().all(|f| f.approved), "{flows:#?}");
        }
    }

    #[test]
    fn several_classes_on_one_namespace_give_the_most_restrictive_and_selectors_agree() {
        let yaml = namespace("a", "pci.scope: connected, compliance: pci-dss")
            + &namespace("b", "pci.scope: connected")
            + &namespace("c", "pci.scope: cde")
            + &namespace("d", "pci.scope: cde, zone: web")
            + &namespace("e", "pci.zone: dmz")
            + &namespace("f", "pci.kubepci.io/scope: maybe, compliance: pci-dss");
        let p = proposal(&yaml);
        let got: Vec<(&str, Scope)> = p.namespaces.iter().map(|n| (n.name.as_str(), n.scope)).collect();
        assert_eq!(got, [("a", Scope::Cde), ("b", Scope::Connected), ("c", Scope::Cde), ("d", Scope::Cde), ("e", Scope::Unclassified), ("f", Scope::Unclassified)]);
        assert_eq!(p.namespaces[4].basis, Basis::Undecided { key: "pci.zone".into(), value: "dmz".into() });
        assert_eq!(p.namespaces[5].basis, Basis::InvalidScopeLabel("maybe".into()));
        // pci.scope=cde covers c and d, compliance=pci-dss only a: a is listed.
        let cde = &p.config.scope.cde;
        assert_eq!(cde.namespace_selector.as_ref().and_then(|s| s.match_labels.clone()), Some([("pci.scope".to_string(), "cde".to_string())].into()));
        assert_eq!(cde.namespaces, ["a"]);
        let text = render(&p, "x", &[]);
        assert!(text.contains("label pci.kubepci.io/scope=maybe names no class"), "{text}");
        let inv = Inventory::build(objects(&yaml), Config::from_yaml("k", &text).expect("valid"));
        for n in &p.namespaces {
            assert_eq!(inv.namespace_scope(&n.name), n.scope, "{}", n.name);
        }
    }

    #[test]
    fn several_values_of_one_key_become_one_in_expression() {
        let yaml = namespace("a", "data-classification: cardholder") + &namespace("b", "data-classification: pci");
        let p = proposal(&yaml);
        let text = render(&p, "x", &[]);
        assert!(text.contains("        - {key: data-classification, operator: In, values: [cardholder, pci]}"), "{text}");
        assert!(p.config.scope.cde.namespaces.is_empty());
        let inv = Inventory::build(objects(&yaml), Config::from_yaml("k", &text).expect("valid"));
        assert_eq!((inv.namespace_scope("a"), inv.namespace_scope("b")), (Scope::Cde, Scope::Cde));
    }

    #[test]
    fn an_input_without_namespace_labels_proposes_nothing_and_says_how_to_declare_the_cde() {
        let p = proposal("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: c, image: 'nginx:1'}]}\n");
        assert_eq!(p.namespaces.iter().map(|n| n.scope).collect::<Vec<_>>(), [Scope::Unclassified]);
        let text = render(&p, "x", &["a note".into()]);
        assert!(text.contains("# Note: a note\n"));
        assert!(text.contains("No namespace label speaks of the CDE"), "{text}");
        assert!(text.contains("approvedRegistries: []\n") && text.contains("approvedFlows: []\n"), "{text}");
        assert_eq!(Config::from_yaml("k", &text).expect("valid").scope, kubepci_inventory::config::ScopeConfig::default());
    }

    #[test]
    fn flows_are_not_claimed_absent_when_the_collection_lacks_network_policies() {
        let missing = UnlistedKind { kind: "NetworkPolicy".into(), group: Some("networking.k8s.io".into()), reason: "forbidden".into() };
        let p = propose(objects(TEAM_LABELS), None, InputKind::Snapshot, vec![missing]);
        assert!(!p.flows_known && p.flows.is_empty());
        let text = render(&p, "x", &[]);
        assert!(text.contains("no flows are proposed") && !text.contains("allow none"), "{text}");
        assert!(proposal(TEAM_LABELS).flows_known);
    }

    #[test]
    fn boundary_ends_and_connections_become_approved_flow_patterns() {
        let mut notes = Vec::new();
        assert_eq!(flow_end("payments/api[Deployment]", &mut notes), "payments/api");
        assert_eq!(flow_end("payments/* (3 CDE workloads)", &mut notes), "payments/*");
        assert_eq!(flow_end("*/* (all 6 workloads outside the CDE)", &mut notes), "*/*");
        assert_eq!(flow_end("10.20.0.0-10.20.255.255[External]", &mut notes), "10.20.0.0/16");
        assert_eq!(flow_end("0.0.0.0-255.255.255.255[External]", &mut notes), "0.0.0.0/0");
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(flow_end("10.0.0.0-10.0.0.5[External]", &mut notes), "10.0.0.0/29");
        assert_eq!(flow_end("0.0.0.0-9.255.255.255,11.0.0.0-255.255.255.255[External]", &mut notes), "0.0.0.0/0");
        assert_eq!(notes.len(), 2, "{notes:?}");

        let mut notes = Vec::new();
        assert_eq!(approved_ports("TCP 443,8443,UDP 53", &mut notes), ["TCP/443", "TCP/8443", "UDP/53"]);
        assert_eq!(approved_ports("TCP 8000-8002", &mut notes), ["TCP/8000", "TCP/8001", "TCP/8002"]);
        assert!(approved_ports("All Connections", &mut notes).is_empty());
        assert!(notes.is_empty(), "{notes:?}");
        assert!(approved_ports("TCP 1-79,81-65535", &mut notes).is_empty());
        assert_eq!(notes, ["any port: the policies allow TCP 1-79,81-65535, too many ports to list"]);
    }

    #[test]
    fn registries_are_the_prefixes_images_are_compared_with() {
        assert_eq!(registry_prefix("registry.pay.example/payments/api:2@sha256:ab").as_deref(), Some("registry.pay.example/"));
        assert_eq!(registry_prefix("registry.local:5000/api").as_deref(), Some("registry.local:5000/"));
        assert_eq!(registry_prefix("docker.io/acme/pg-backup:1.2").as_deref(), Some("docker.io/acme/"));
        assert_eq!(registry_prefix("ghcr.io/acme/api").as_deref(), Some("ghcr.io/acme/"));
        assert_eq!(registry_prefix("postgres:16.4"), None);
        assert_eq!(registry_prefix("acme/api:1"), None);
        for (image, prefix) in [("registry.pay.example/payments/api:2", "registry.pay.example/"), ("docker.io/acme/pg-backup:1.2", "docker.io/acme/")] {
            let config = Config { approved_registries: vec![prefix.into()], ..Config::default() };
            assert!(config.registry_approved(image));
        }
    }

    #[test]
    fn scalars_are_quoted_only_when_yaml_would_read_them_otherwise() {
        assert_eq!(yaml_str("pci.scope"), "pci.scope");
        assert_eq!(yaml_str("acme.com/zone"), "acme.com/zone");
        for s in ["true", "yes", "Off", "1", "*/*", "10.0.0.0/8", "a b", "", "null"] {
            assert_eq!(yaml_str(s), serde_json::Value::from(s).to_string(), "{s}");
        }
    }
}
