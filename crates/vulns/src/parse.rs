//! Each scanner format into the model. A document is read once, into a struct that is the
//! union of every format's top-level fields; which fields are present says which format it is
//! (no second pass over large reports).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::date::parse_timestamp;
use crate::model::*;

/// What one document held.
#[derive(Debug, Default)]
pub struct Parsed {
    pub reports: Vec<ScanReport>,
    pub vex: Vec<VexStatement>,
}

/// The union of the formats' top-level fields.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AnyDoc {
    // Trivy JSON
    #[serde(rename = "SchemaVersion")]
    schema_version: Option<Value>,
    #[serde(rename = "CreatedAt")]
    created_at: Option<String>,
    #[serde(rename = "ArtifactName")]
    artifact_name: Option<String>,
    #[serde(rename = "Metadata")]
    trivy_metadata: Option<TrivyMetadata>,
    #[serde(rename = "Results")]
    results: Vec<TrivyResult>,
    // Grype
    matches: Option<Vec<GrypeMatch>>,
    source: Option<GrypeSource>,
    distro: Option<GrypeDistro>,
    descriptor: Option<GrypeDescriptor>,
    // CycloneDX
    #[serde(rename = "bomFormat")]
    bom_format: Option<String>,
    #[serde(rename = "specVersion")]
    spec_version: Option<String>,
    components: Option<Vec<CdxComponent>>,
    vulnerabilities: Vec<CdxVulnerability>,
    // Kubernetes (trivy-operator reports, or a List of them); CycloneDX shares `metadata`.
    kind: Option<String>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    metadata: SharedMetadata,
    report: Option<OperatorReport>,
    items: Option<Vec<Value>>,
    // OpenVEX
    #[serde(rename = "@context")]
    context: Option<String>,
    statements: Option<Vec<OpenVexStatement>>,
    timestamp: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SharedMetadata {
    // Kubernetes
    name: Option<String>,
    namespace: Option<String>,
    labels: BTreeMap<String, String>,
    #[serde(rename = "creationTimestamp")]
    creation_timestamp: Option<String>,
    // CycloneDX
    timestamp: Option<String>,
    component: Option<CdxComponent>,
    tools: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TrivyMetadata {
    #[serde(rename = "OS")]
    os: Option<TrivyOs>,
    #[serde(rename = "RepoTags")]
    repo_tags: Vec<String>,
    #[serde(rename = "RepoDigests")]
    repo_digests: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TrivyOs {
    #[serde(rename = "Family")]
    family: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "EOSL")]
    eosl: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TrivyResult {
    #[serde(rename = "Vulnerabilities")]
    vulnerabilities: Vec<TrivyVuln>,
}

/// One vulnerability as Trivy JSON (`VulnerabilityID`, `PkgName`, …) and trivy-operator
/// reports (`vulnerabilityID`, `resource`, …) write it: the same record under two spellings.
#[derive(Deserialize, Default)]
#[serde(default)]
struct TrivyVuln {
    #[serde(rename = "VulnerabilityID", alias = "vulnerabilityID")]
    id: String,
    #[serde(rename = "PkgName", alias = "resource")]
    package: String,
    #[serde(rename = "InstalledVersion", alias = "installedVersion")]
    installed: String,
    #[serde(rename = "FixedVersion", alias = "fixedVersion")]
    fixed: Option<String>,
    #[serde(rename = "Severity", alias = "severity")]
    severity: String,
    #[serde(rename = "PublishedDate", alias = "publishedDate")]
    published: Option<String>,
}

impl TrivyVuln {
    fn into_vulnerability(self) -> Vulnerability {
        Vulnerability {
            id: self.id,
            package: self.package,
            installed: self.installed,
            fixed: nonempty(self.fixed),
            severity: Severity::parse(&self.severity),
            published: ts(self.published.as_deref()),
            fix_date: None,
            suppressed: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OperatorReport {
    #[serde(rename = "updateTimestamp")]
    update_timestamp: Option<String>,
    scanner: Option<Scanner>,
    registry: Option<OperatorRegistry>,
    artifact: OperatorArtifact,
    os: Option<OperatorOs>,
    vulnerabilities: Vec<TrivyVuln>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Scanner {
    name: String,
    version: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OperatorRegistry {
    server: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OperatorArtifact {
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OperatorOs {
    family: String,
    name: String,
    eosl: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeMatch {
    vulnerability: GrypeVuln,
    artifact: GrypeArtifact,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeVuln {
    id: String,
    severity: String,
    fix: GrypeFix,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeFix {
    versions: Vec<String>,
    state: String,
    /// Newer Grype releases: each fixed version with the date it became available.
    available: Vec<GrypeAvailable>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeAvailable {
    version: String,
    date: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeArtifact {
    name: String,
    version: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeSource {
    #[serde(rename = "type")]
    kind: String,
    target: Option<GrypeTarget>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeTarget {
    #[serde(rename = "userInput")]
    user_input: String,
    #[serde(rename = "manifestDigest")]
    manifest_digest: Option<String>,
    #[serde(rename = "repoDigests")]
    repo_digests: Vec<String>,
    tags: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeDistro {
    name: String,
    version: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeDescriptor {
    name: String,
    version: String,
    timestamp: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CdxComponent {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    version: Option<String>,
    purl: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxVulnerability {
    id: String,
    ratings: Vec<CdxRating>,
    published: Option<String>,
    affects: Vec<CdxAffects>,
    analysis: Option<CdxAnalysis>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxRating {
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxAffects {
    #[serde(rename = "ref")]
    reference: String,
    versions: Vec<CdxVersion>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxVersion {
    version: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxAnalysis {
    state: Option<String>,
    justification: Option<String>,
    detail: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OpenVexStatement {
    /// `{"name": "CVE-…"}` (v0.2) or `"CVE-…"` (v0.0.x).
    vulnerability: Value,
    /// `[{"@id": "pkg:oci/…", "subcomponents": […]}]` (v0.2) or `["pkg:oci/…"]`.
    products: Vec<Value>,
    /// v0.0.x: at the statement.
    subcomponents: Vec<Value>,
    status: String,
    justification: Option<String>,
    impact_statement: Option<String>,
    status_notes: Option<String>,
}

/// Read one JSON document. `source` names it in the model (a file path).
pub fn parse_json(source: &str, text: &[u8]) -> Result<Parsed, ParseError> {
    let doc: AnyDoc = serde_json::from_slice(text).map_err(|e| ParseError { line: Some(e.line()), column: Some(e.column()), message: e.to_string() })?;
    from_doc(source, doc)
}

/// Read one YAML document (a trivy-operator report or a List of them, as `kubectl get -o yaml`
/// writes them).
pub fn parse_yaml(source: &str, text: &str) -> Result<Parsed, ParseError> {
    let value: Value = yaml_serde::from_str(text).map_err(|e| ParseError { line: None, column: None, message: e.to_string() })?;
    parse_value(source, value)
}

/// Read an already-parsed document.
pub fn parse_value(source: &str, value: Value) -> Result<Parsed, ParseError> {
    let doc: AnyDoc = serde_json::from_value(value).map_err(|e| ParseError { line: None, column: None, message: e.to_string() })?;
    from_doc(source, doc)
}

/// Why a document could not be read; `line` and `column` where the parser gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

fn err(message: impl Into<String>) -> ParseError {
    ParseError { line: None, column: None, message: message.into() }
}

fn from_doc(source: &str, doc: AnyDoc) -> Result<Parsed, ParseError> {
    let mut out = Parsed::default();
    if let Some(items) = doc.items {
        // A Kubernetes List: each item a trivy-operator report.
        for (i, item) in items.into_iter().enumerate() {
            let name = format!("{source}#items[{i}]");
            let parsed = parse_value(&name, item).map_err(|e| err(format!("items[{i}]: {}", e.message)))?;
            out.reports.extend(parsed.reports);
            out.vex.extend(parsed.vex);
        }
        return Ok(out);
    }
    if let Some(kind) = doc.kind.as_deref() {
        if matches!(kind, "VulnerabilityReport" | "ClusterVulnerabilityReport") {
            let report = doc.report.ok_or_else(|| err(format!("{kind} without a `report`")))?;
            out.reports.push(operator_report(source, kind, doc.metadata, report));
            return Ok(out);
        }
        if doc.api_version.is_some() {
            return Err(err(format!("a Kubernetes {kind}, not a vulnerability report (kubepci reads VulnerabilityReport and ClusterVulnerabilityReport)")));
        }
    }
    if doc.schema_version.is_some() && doc.artifact_name.is_some() {
        out.reports.push(trivy_report(source, doc));
        return Ok(out);
    }
    if let Some(matches) = doc.matches {
        out.reports.push(grype_report(source, matches, doc.source, doc.distro, doc.descriptor));
        return Ok(out);
    }
    if doc.bom_format.as_deref() == Some("CycloneDX") {
        let is_scan = doc.components.as_ref().is_some_and(|c| !c.is_empty()) || doc.metadata.component.as_ref().is_some_and(|c| c.kind == "container");
        if is_scan {
            out.reports.push(cyclonedx_report(source, doc.spec_version.as_deref(), doc.metadata, doc.components.unwrap_or_default(), doc.vulnerabilities));
        } else {
            out.vex = cyclonedx_vex(source, doc.vulnerabilities);
        }
        return Ok(out);
    }
    if let Some(statements) = doc.statements
        && doc.context.as_deref().is_some_and(|c| c.contains("openvex"))
    {
        out.vex = openvex(source, statements);
        let _ = doc.timestamp;
        return Ok(out);
    }
    Err(err("not a vulnerability report kubepci reads (trivy-operator VulnerabilityReport, Trivy JSON schema 2, Grype JSON, CycloneDX with vulnerabilities, OpenVEX)"))
}

fn ts(s: Option<&str>) -> Option<i64> {
    s.and_then(parse_timestamp)
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn operator_report(source: &str, kind: &str, meta: SharedMetadata, r: OperatorReport) -> ScanReport {
    let label = |k: &str| meta.labels.get(k).filter(|v| !v.is_empty()).cloned();
    let workload = label("trivy-operator.resource.kind").zip(label("trivy-operator.resource.name")).map(|(kind, name)| WorkloadLink {
        kind,
        name,
        namespace: label("trivy-operator.resource.namespace").or_else(|| meta.namespace.clone()),
        container: label("trivy-operator.container.name"),
    });
    let name = match &meta.namespace {
        Some(ns) => format!("{kind}/{ns}/{}", meta.name.as_deref().unwrap_or("")),
        None => format!("{kind}/{}", meta.name.as_deref().unwrap_or("")),
    };
    let source = if source.is_empty() { name } else { format!("{source} ({name})") };
    let server = r.registry.and_then(|g| g.server);
    ScanReport {
        source,
        format: Some(Format::TrivyOperator),
        scanner: r.scanner.map(|s| format!("{} {}", s.name, s.version).trim().to_string()),
        scanned_at: ts(r.update_timestamp.as_deref()).or_else(|| ts(meta.creation_timestamp.as_deref())),
        image: ImageRef::from_parts(server.as_deref(), &r.artifact.repository, r.artifact.tag.as_deref(), r.artifact.digest.as_deref()),
        other_digests: Vec::new(),
        os: r.os.filter(|o| !o.family.is_empty()).map(|o| OsInfo { family: o.family.to_ascii_lowercase(), name: o.name, eosl: o.eosl }),
        vulnerabilities: r
            .vulnerabilities
            .into_iter()
            .map(TrivyVuln::into_vulnerability)
            .collect(),
        workload,
    }
}

fn trivy_report(source: &str, doc: AnyDoc) -> ScanReport {
    let meta = doc.trivy_metadata.unwrap_or_default();
    let mut image = ImageRef::parse(doc.artifact_name.as_deref().unwrap_or(""));
    let digests: Vec<String> = meta.repo_digests.iter().filter_map(|d| ImageRef::parse(d).digest).collect();
    if image.digest.is_none() {
        image.digest = digests.first().cloned();
    }
    if image.tag.is_none() {
        image.tag = meta.repo_tags.iter().find_map(|t| ImageRef::parse(t).tag);
    }
    let other_digests = digests.into_iter().filter(|d| Some(d) != image.digest.as_ref()).collect();
    ScanReport {
        source: source.to_string(),
        format: Some(Format::Trivy),
        scanner: Some("Trivy".into()),
        scanned_at: ts(doc.created_at.as_deref()),
        image,
        other_digests,
        os: meta.os.filter(|o| !o.family.is_empty()).map(|o| OsInfo { family: o.family.to_ascii_lowercase(), name: o.name, eosl: o.eosl }),
        vulnerabilities: doc
            .results
            .into_iter()
            .flat_map(|r| r.vulnerabilities)
            .map(TrivyVuln::into_vulnerability)
            .collect(),
        workload: None,
    }
}

fn grype_report(source: &str, matches: Vec<GrypeMatch>, src: Option<GrypeSource>, distro: Option<GrypeDistro>, descriptor: Option<GrypeDescriptor>) -> ScanReport {
    let target = src.filter(|s| s.kind == "image" || s.target.is_some()).and_then(|s| s.target).unwrap_or_default();
    let mut image = ImageRef::parse(&target.user_input);
    if image.tag.is_none() {
        image.tag = target.tags.iter().find_map(|t| ImageRef::parse(t).tag);
    }
    let repo_digests: Vec<String> = target.repo_digests.iter().filter_map(|d| ImageRef::parse(d).digest).collect();
    if image.digest.is_none() {
        image.digest = repo_digests.first().cloned().or_else(|| target.manifest_digest.clone());
    }
    let other_digests = repo_digests.into_iter().chain(target.manifest_digest.clone()).filter(|d| Some(d) != image.digest.as_ref()).collect();
    let (scanner, scanned_at) = match descriptor {
        Some(d) => (Some(format!("{} {}", d.name, d.version).trim().to_string()), ts(d.timestamp.as_deref())),
        None => (Some("grype".into()), None),
    };
    ScanReport {
        source: source.to_string(),
        format: Some(Format::Grype),
        scanner,
        scanned_at,
        image,
        other_digests,
        os: distro.filter(|d| !d.name.is_empty()).map(|d| OsInfo { family: d.name.to_ascii_lowercase(), name: d.version, eosl: None }),
        vulnerabilities: matches
            .into_iter()
            .map(|m| {
                let fix = m.vulnerability.fix;
                let fixed = (fix.state == "fixed" || !fix.versions.is_empty()).then(|| fix.versions.join(", ")).filter(|s| !s.is_empty());
                // The earliest date any fixed version became available.
                let fix_date = fix.available.iter().filter(|a| !a.version.is_empty()).filter_map(|a| ts(a.date.as_deref())).min();
                Vulnerability {
                    id: m.vulnerability.id,
                    package: m.artifact.name,
                    installed: m.artifact.version,
                    fixed,
                    severity: Severity::parse(&m.vulnerability.severity),
                    published: None,
                    fix_date,
                    suppressed: None,
                }
            })
            .collect(),
        workload: None,
    }
}

/// The image a `pkg:oci/…` package URL names, or an image reference written plainly.
fn image_of_product(id: &str) -> Option<ImageRef> {
    if let Some(rest) = id.strip_prefix("pkg:oci/") {
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (name, version) = path.split_once('@').unwrap_or((path, ""));
        let param = |key: &str| query.split('&').find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('='))).map(percent_decode);
        let repository = param("repository_url").unwrap_or_else(|| name.to_string());
        let digest = Some(percent_decode(version)).filter(|d| d.starts_with("sha256:"));
        return Some(ImageRef::from_parts(None, &repository, param("tag").as_deref(), digest.as_deref()));
    }
    (!id.starts_with("pkg:") && !id.is_empty()).then(|| ImageRef::parse(id))
}

/// A package URL's namespace and name (`pkg:deb/debian/openssl@3.0.11?arch=amd64` →
/// `debian/openssl`, `pkg:golang/golang.org/x/crypto@v0.24.0` → `golang.org/x/crypto`), matched
/// against scanners' package names by [`crate::model::package_matches`].
fn package_of_purl(purl: &str) -> Option<String> {
    let rest = purl.strip_prefix("pkg:")?;
    let path = rest.split(['?', '#']).next()?;
    let path = path.split('@').next()?;
    let (_, name) = path.split_once('/')?;
    Some(percent_decode(name)).filter(|s| !s.is_empty())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = ((bytes[i + 1] as char).to_digit(16), (bytes[i + 2] as char).to_digit(16))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn cdx_severity(v: &CdxVulnerability) -> Severity {
    v.ratings.iter().filter_map(|r| r.severity.as_deref()).map(Severity::parse).max().unwrap_or_default()
}

fn cdx_suppression(source: &str, a: &Option<CdxAnalysis>) -> Option<Box<Suppression>> {
    let a = a.as_ref()?;
    let state = a.state.as_deref().filter(|s| is_suppressing(s))?;
    Some(Box::new(Suppression { state: state.to_string(), justification: a.justification.clone(), detail: a.detail.clone(), source: source.to_string() }))
}

fn cyclonedx_report(source: &str, spec: Option<&str>, meta: SharedMetadata, components: Vec<CdxComponent>, vulns: Vec<CdxVulnerability>) -> ScanReport {
    let subject = meta.component.clone().unwrap_or_default();
    let mut image = subject.purl.as_deref().and_then(image_of_product).unwrap_or_else(|| ImageRef::parse(&subject.name));
    if image.digest.is_none() {
        image.digest = subject.version.clone().filter(|v| v.starts_with("sha256:"));
    } else if image.tag.is_none() {
        image.tag = subject.version.clone().filter(|v| !v.starts_with("sha256:") && !v.is_empty());
    }
    let by_ref: BTreeMap<&str, &CdxComponent> = components.iter().filter_map(|c| c.bom_ref.as_deref().map(|r| (r, c))).collect();
    let tool = tool_name(meta.tools.as_ref());
    let mut out = Vec::with_capacity(vulns.len());
    for v in &vulns {
        let suppressed = cdx_suppression(source, &v.analysis);
        let targets: Vec<&CdxAffects> = v.affects.iter().collect();
        for a in targets {
            let component = by_ref.get(a.reference.as_str());
            let package = component.map(|c| c.name.clone()).or_else(|| package_of_purl(&a.reference).map(|p| p.rsplit('/').next().unwrap_or(&p).to_string())).unwrap_or_else(|| a.reference.clone());
            let installed = component.and_then(|c| c.version.clone()).or_else(|| a.versions.iter().find(|x| x.status.as_deref() == Some("affected")).and_then(|x| x.version.clone())).unwrap_or_default();
            let fixed = a.versions.iter().find(|x| x.status.as_deref() == Some("unaffected")).and_then(|x| x.version.clone());
            out.push(Vulnerability {
                id: v.id.clone(),
                package,
                installed,
                fixed: nonempty(fixed),
                severity: cdx_severity(v),
                published: ts(v.published.as_deref()),
                fix_date: None,
                suppressed: suppressed.clone(),
            });
        }
    }
    ScanReport {
        source: source.to_string(),
        format: Some(Format::CycloneDx),
        scanner: Some(match (tool, spec) {
            (Some(t), Some(s)) => format!("{t} (CycloneDX {s})"),
            (Some(t), None) => t,
            (None, Some(s)) => format!("CycloneDX {s}"),
            (None, None) => "CycloneDX".into(),
        }),
        scanned_at: ts(meta.timestamp.as_deref()),
        image,
        other_digests: Vec::new(),
        os: components.iter().find(|c| c.kind == "operating-system").map(|c| OsInfo { family: c.name.to_ascii_lowercase(), name: c.version.clone().unwrap_or_default(), eosl: None }),
        vulnerabilities: out,
        workload: None,
    }
}

/// `metadata.tools`: a list of tools (1.4) or `{components: [...]}` (1.5+).
fn tool_name(tools: Option<&Value>) -> Option<String> {
    let list = match tools? {
        Value::Array(a) => a,
        Value::Object(o) => o.get("components")?.as_array()?,
        _ => return None,
    };
    let t = list.first()?;
    let name = t.get("name")?.as_str()?;
    Some(match t.get("version").and_then(Value::as_str) {
        Some(v) => format!("{name} {v}"),
        None => name.to_string(),
    })
}

fn cyclonedx_vex(source: &str, vulns: Vec<CdxVulnerability>) -> Vec<VexStatement> {
    vulns
        .into_iter()
        .filter_map(|v| {
            let suppression = *cdx_suppression(source, &v.analysis)?;
            let mut products = Vec::new();
            let mut packages = Vec::new();
            for a in &v.affects {
                match image_of_product(&a.reference) {
                    Some(i) if a.reference.starts_with("pkg:oci/") || !a.reference.starts_with("urn:") => products.push(i),
                    _ => packages.extend(package_of_purl(&a.reference)),
                }
            }
            Some(VexStatement { vulnerability: v.id, products, packages, suppression })
        })
        .collect()
}

fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("@id").or_else(|| o.get("name")).and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn openvex(source: &str, statements: Vec<OpenVexStatement>) -> Vec<VexStatement> {
    statements
        .into_iter()
        .filter(|s| is_suppressing(&s.status))
        .filter_map(|s| {
            let vulnerability = match &s.vulnerability {
                Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
                other => id_of(other),
            }?;
            let mut products = Vec::new();
            let mut packages: Vec<String> = s.subcomponents.iter().filter_map(id_of).filter_map(|p| package_of_purl(&p)).collect();
            for p in &s.products {
                if let Some(id) = id_of(p) {
                    match image_of_product(&id) {
                        Some(i) => products.push(i),
                        None => packages.extend(package_of_purl(&id)),
                    }
                }
                if let Some(subs) = p.get("subcomponents").and_then(Value::as_array) {
                    packages.extend(subs.iter().filter_map(id_of).filter_map(|p| package_of_purl(&p)));
                }
            }
            let detail = s.impact_statement.or(s.status_notes);
            Some(VexStatement { vulnerability, products, packages, suppression: Suppression { state: s.status, justification: s.justification, detail, source: source.to_string() } })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_urls() {
        assert_eq!(package_of_purl("pkg:deb/debian/openssl@3.0.11?arch=amd64").as_deref(), Some("debian/openssl"));
        assert_eq!(package_of_purl("pkg:npm/%40acme/left-pad@1.0").as_deref(), Some("@acme/left-pad"));
        assert_eq!(package_of_purl("pkg:golang/golang.org/x/crypto@v0.24.0").as_deref(), Some("golang.org/x/crypto"));
        let i = image_of_product("pkg:oci/api@sha256%3Aabc?repository_url=ghcr.io/acme/api&tag=1.2").unwrap();
        assert_eq!((i.repository.as_str(), i.tag.as_deref(), i.digest.as_deref()), ("ghcr.io/acme/api", Some("1.2"), Some("sha256:abc")));
        assert_eq!(image_of_product("ghcr.io/acme/api:1.2").unwrap().tag.as_deref(), Some("1.2"));
        assert!(image_of_product("pkg:deb/debian/openssl@3").is_none());
        assert_eq!(percent_decode("a%2"), "a%2");
    }

    #[test]
    fn unknown_documents_and_other_kubernetes_kinds_are_errors() {
        let e = parse_json("x.json", b"{\"hello\": 1}").unwrap_err();
        assert!(e.message.starts_with("not a vulnerability report"), "{e:?}");
        let e = parse_json("x.json", b"{\"apiVersion\": \"v1\", \"kind\": \"Pod\"}").unwrap_err();
        assert!(e.message.contains("a Kubernetes Pod"), "{e:?}");
        let e = parse_json("x.json", b"{\n  \"matches\": [\n  {\"vulnerability\": 3}]}").unwrap_err();
        assert_eq!((e.line, e.column.is_some()), (Some(3), true), "{e:?}");
    }
}
