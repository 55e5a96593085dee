//! Parsing container image references (`registry/repo:tag@sha256:digest`).

/// The parts of an image reference that checks look at.
#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Registry host, `docker.io` when none is written.
    pub registry: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

pub fn parse(image: &str) -> ImageRef<'_> {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    // A tag is after the last ':' that comes after the last '/' (a ':' before it is a port).
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    let registry = match name.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => first,
        _ => "docker.io",
    };
    ImageRef { registry, tag, digest }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        assert_eq!(parse("nginx"), ImageRef { registry: "docker.io", tag: None, digest: None });
        assert_eq!(parse("nginx:1.25").tag, Some("1.25"));
        assert_eq!(parse("registry.local:5000/pay/api").tag, None);
        assert_eq!(parse("registry.local:5000/pay/api").registry, "registry.local:5000");
        let d = parse("ghcr.io/acme/api:1.0@sha256:abc");
        assert_eq!((d.registry, d.tag, d.digest), ("ghcr.io", Some("1.0"), Some("sha256:abc")));
    }
}
