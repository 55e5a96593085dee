//! The one model every scanner format is read into.

use std::fmt;

use serde::Serialize;

/// A vulnerability's severity as the scanner rated it, lowest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Unknown,
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Any scanner's spelling (`CRITICAL`, `Critical`, `critical`, `moderate`, `info`).
    pub fn parse(s: &str) -> Severity {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" => Severity::Low,
            "negligible" | "info" | "none" => Severity::Negligible,
            _ => Severity::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Negligible => "negligible",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which scanner output a report was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// trivy-operator `VulnerabilityReport` / `ClusterVulnerabilityReport`.
    TrivyOperator,
    /// `trivy image -f json` (schema 2).
    Trivy,
    /// `grype -o json`.
    Grype,
    /// CycloneDX 1.5/1.6 JSON with a `vulnerabilities` section.
    CycloneDx,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TrivyOperator => "trivy-operator",
            Format::Trivy => "trivy",
            Format::Grype => "grype",
            Format::CycloneDx => "cyclonedx",
        }
    }
}

/// An image reference, normalised so that `nginx:1.27`, `docker.io/library/nginx:1.27` and
/// `index.docker.io/library/nginx:1.27` are one repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ImageRef {
    /// `registry/path` with Docker Hub's implicit parts made explicit (`docker.io/library/nginx`).
    pub repository: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `sha256:…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parse `[registry/]path[:tag][@digest]`; the digest may also be given alone
    /// (`sha256:…`) as Kubernetes writes some `imageID`s. Runtime prefixes
    /// (`docker-pullable://`, `docker://`) are dropped.
    pub fn parse(reference: &str) -> ImageRef {
        let mut rest = reference.trim();
        for prefix in ["docker-pullable://", "docker://", "containerd://"] {
            if let Some(r) = rest.strip_prefix(prefix) {
                rest = r;
            }
        }
        if rest.starts_with("sha256:") {
            return ImageRef { repository: String::new(), tag: None, digest: Some(rest.to_string()) };
        }
        let (name, digest) = match rest.split_once('@') {
            Some((n, d)) => (n, Some(d.to_string())),
            None => (rest, None),
        };
        // A colon after the last slash starts the tag (a colon before it is a registry port).
        let slash = name.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match name[slash..].find(':') {
            Some(i) => (&name[..slash + i], Some(name[slash + i + 1..].to_string())),
            None => (name, None),
        };
        ImageRef { repository: normalize_repository(path), tag, digest }
    }

    /// From parts a scanner gives separately (`registry.server`, `artifact.repository`).
    pub fn from_parts(registry: Option<&str>, repository: &str, tag: Option<&str>, digest: Option<&str>) -> ImageRef {
        let full = match registry.filter(|r| !r.is_empty()) {
            Some(r) if !repository.starts_with(&format!("{r}/")) => format!("{r}/{repository}"),
            _ => repository.to_string(),
        };
        let nonempty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
        ImageRef { repository: normalize_repository(&full), tag: nonempty(tag), digest: nonempty(digest) }
    }

    /// `repository[:tag][@digest]`.
    pub fn display(&self) -> String {
        let mut s = self.repository.clone();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// `nginx` → `docker.io/library/nginx`; `index.docker.io/x/y` → `docker.io/x/y`; lower case.
pub fn normalize_repository(path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    let path = path.to_ascii_lowercase();
    let (first, rest) = match path.split_once('/') {
        Some((f, r)) => (f, Some(r)),
        None => (path.as_str(), None),
    };
    let is_registry = rest.is_some() && (first.contains('.') || first.contains(':') || first == "localhost");
    match (is_registry, rest) {
        (true, Some(rest)) => {
            let registry = if matches!(first, "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com") { "docker.io" } else { first };
            if registry == "docker.io" && !rest.contains('/') { format!("docker.io/library/{rest}") } else { format!("{registry}/{rest}") }
        }
        (false, Some(_)) => format!("docker.io/{path}"),
        (_, None) => format!("docker.io/library/{path}"),
    }
}

/// The operating system of an image, as the scanner detected it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OsInfo {
    /// `debian`, `alpine`, `ubuntu`, `redhat` … (lower case).
    pub family: String,
    /// The release (`12.5`, `3.19.1`, `22.04`).
    pub name: String,
    /// The scanner's own end-of-service-life flag, when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eosl: Option<bool>,
}

/// A trivy-operator report's link to the workload it scanned (its `trivy-operator.*` labels).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorkloadLink {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

/// Which date a fix's age is counted from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgeBasis {
    /// The date the fix became available, as the scanner reports it.
    FixDate,
    /// The advisory's publication date (the fix may be younger).
    Published,
}

impl AgeBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            AgeBasis::FixDate => "fix date",
            AgeBasis::Published => "published date",
        }
    }
}

/// A VEX statement's verdict that a finding does not apply, with its reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `not_affected` or `false_positive`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The file (or report) the statement came from.
    pub source: String,
}

/// One vulnerability in one package of one image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Vulnerability {
    /// `CVE-2024-1234`, `GHSA-…`, `DLA-…`.
    pub id: String,
    pub package: String,
    pub installed: String,
    /// The version that fixes it, when one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    pub severity: Severity,
    /// The advisory's publication (epoch seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<i64>,
    /// When the fix became available (epoch seconds), when the scanner says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_date: Option<i64>,
    /// Set when a VEX statement (or the report's own analysis) marks it not applicable (boxed:
    /// rare, and a million findings should not each carry its room).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Box<Suppression>>,
}

impl Vulnerability {
    /// Whether a fixed version exists.
    pub fn has_fix(&self) -> bool {
        self.fixed.as_deref().is_some_and(|f| !f.trim().is_empty())
    }

    /// The date a fix's age counts from: the fix date when known, else the publication date.
    pub fn fix_available_since(&self) -> Option<(i64, AgeBasis)> {
        self.fix_date.map(|d| (d, AgeBasis::FixDate)).or(self.published.map(|d| (d, AgeBasis::Published)))
    }
}

/// One scan of one image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// Where it was read: a file path or `VulnerabilityReport/ns/name`.
    pub source: String,
    pub format: Option<Format>,
    /// `Trivy 0.58.1`, `grype 0.86.0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanner: Option<String>,
    /// When the scan ran (epoch seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<i64>,
    pub image: ImageRef,
    /// Other digests of the same image (`RepoDigests`), for matching.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_digests: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    pub vulnerabilities: Vec<Vulnerability>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadLink>,
}

impl ScanReport {
    /// Every digest the report names.
    pub fn digests(&self) -> impl Iterator<Item = &str> {
        self.image.digest.iter().map(String::as_str).chain(self.other_digests.iter().map(String::as_str))
    }
}

/// A VEX status that removes a finding: `not_affected` (CycloneDX and OpenVEX) or
/// `false_positive` (CycloneDX).
pub fn is_suppressing(state: &str) -> bool {
    matches!(state.trim().to_ascii_lowercase().replace('-', "_").as_str(), "not_affected" | "false_positive")
}

/// A VEX statement read from a CycloneDX VEX or OpenVEX document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VexStatement {
    pub vulnerability: String,
    /// Images it speaks for (empty: every image).
    pub products: Vec<ImageRef>,
    /// Packages it speaks for, by name (empty: every package).
    pub packages: Vec<String>,
    pub suppression: Suppression,
}

impl VexStatement {
    /// Whether it speaks for `vuln` in the image `image`.
    pub fn applies(&self, image: &ImageRef, other_digests: &[String], vuln: &Vulnerability) -> bool {
        if !self.vulnerability.eq_ignore_ascii_case(&vuln.id) {
            return false;
        }
        let product_ok = self.products.is_empty()
            || self.products.iter().any(|p| match &p.digest {
                Some(d) => image.digest.as_ref() == Some(d) || other_digests.contains(d),
                None => p.repository == image.repository && (p.tag.is_none() || p.tag == image.tag),
            });
        product_ok && (self.packages.is_empty() || self.packages.iter().any(|p| package_matches(p, &vuln.package)))
    }
}

/// Whether a VEX statement's package (a package URL's `namespace/name`, or a name) is a
/// scanner's package name: equal, or one is the other with a namespace before it
/// (`debian/openssl` and `openssl`).
pub fn package_matches(statement: &str, scanner: &str) -> bool {
    let (a, b) = (statement.to_ascii_lowercase(), scanner.to_ascii_lowercase());
    a == b || a.ends_with(&format!("/{b}")) || b.ends_with(&format!("/{a}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_normalise_docker_hub_and_keep_ports() {
        let i = ImageRef::parse("nginx:1.27");
        assert_eq!((i.repository.as_str(), i.tag.as_deref()), ("docker.io/library/nginx", Some("1.27")));
        assert_eq!(ImageRef::parse("index.docker.io/library/nginx").repository, "docker.io/library/nginx");
        assert_eq!(ImageRef::parse("bitnami/redis:7").repository, "docker.io/bitnami/redis");
        let p = ImageRef::parse("registry.local:5000/pay/api:2.1@sha256:abc");
        assert_eq!((p.repository.as_str(), p.tag.as_deref(), p.digest.as_deref()), ("registry.local:5000/pay/api", Some("2.1"), Some("sha256:abc")));
        let id = ImageRef::parse("docker-pullable://ghcr.io/acme/vault@sha256:def");
        assert_eq!((id.repository.as_str(), id.digest.as_deref()), ("ghcr.io/acme/vault", Some("sha256:def")));
        assert_eq!(ImageRef::parse("sha256:0123").digest.as_deref(), Some("sha256:0123"));
        let parts = ImageRef::from_parts(Some("index.docker.io"), "library/nginx", Some("1.27"), Some(""));
        assert_eq!(parts.display(), "docker.io/library/nginx:1.27");
    }

    #[test]
    fn severities_and_vex_states_read_any_spelling() {
        assert_eq!(Severity::parse("CRITICAL"), Severity::Critical);
        assert_eq!(Severity::parse("Moderate"), Severity::Medium);
        assert_eq!(Severity::parse("whatever"), Severity::Unknown);
        assert!(is_suppressing("not_affected") && is_suppressing("false_positive") && is_suppressing("not-affected"));
        assert!(!is_suppressing("exploitable") && !is_suppressing("affected"));
        assert!(package_matches("debian/openssl", "openssl") && package_matches("golang.org/x/crypto", "golang.org/x/crypto"));
        assert!(!package_matches("debian/openssl", "libssl3") && !package_matches("ssl", "openssl"));
    }
}
