//! Named literal values where credentials leak (container env values, ConfigMap keys and the
//! `name=value` lines of config files stored in them), and the tests the secrets checks apply
//! to them. Findings name where a literal is, never its value.

use kubepci_model::k8s_openapi::api::core::v1::Container;

use crate::support::credentials::{credential_format, is_default_password, is_placeholder, is_secret_name};

/// A named literal: `label` says where it is (for messages), `path` is its field path.
#[derive(Debug, PartialEq)]
pub struct Literal<'a> {
    pub label: String,
    pub path: String,
    pub name: &'a str,
    pub value: &'a str,
}

/// Why a literal looks like a credential: a known credential format, or a non-placeholder
/// value under a credential-like name.
pub fn looks_like_credential(l: &Literal) -> Option<&'static str> {
    credential_format(l.value).or_else(|| (is_secret_name(l.name) && !is_placeholder(l.value)).then_some("credential-named key with a literal value"))
}

/// A credential-named literal that is a well-known default password.
pub fn is_default_credential(l: &Literal) -> bool {
    is_secret_name(l.name) && is_default_password(l.value)
}

/// Every `env[].value` literal of a container (`base` is the container's field path).
pub fn env_literals<'a>(c: &'a Container, base: &str) -> Vec<Literal<'a>> {
    c.env
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| {
            let value = v.value.as_deref()?;
            Some(Literal { label: format!("env {}", v.name), path: format!("{base}.env[{i}].value"), name: &v.name, value })
        })
        .collect()
}

/// The literals of one ConfigMap (or Secret `stringData`) entry: the key with its whole value,
/// then, for a multi-line value (an embedded config file), each `name=value` / `name: value`
/// line. `field` is the map's field path (`data`).
pub fn entry_literals<'a>(field: &str, key: &'a str, value: &'a str) -> Vec<Literal<'a>> {
    let path = format!("{field}[{key}]");
    let mut out = vec![Literal { label: format!("key {key}"), path: path.clone(), name: key, value }];
    if value.contains('\n') {
        for (n, line) in value.lines().enumerate() {
            if let Some((name, v)) = split_assignment(line) {
                out.push(Literal { label: format!("key {key} line {}", n + 1), path: path.clone(), name, value: v });
            }
        }
    }
    out
}

/// `name = value`, `name: value` or `export NAME="value"` in a config line; `None` for comments
/// and lines that are not assignments.
fn split_assignment(line: &str) -> Option<(&str, &str)> {
    let line = line.trim().trim_start_matches("export ");
    if line.is_empty() || line.starts_with('#') || line.starts_with(';') || line.starts_with("//") {
        return None;
    }
    let at = line.find(['=', ':'])?;
    let name = line[..at].trim().trim_start_matches("- ").trim_matches(['"', '\'']);
    let value = line[at + 1..].trim().trim_end_matches(',').trim_matches(['"', '\'']);
    let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    (name_ok && !value.is_empty()).then_some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments() {
        assert_eq!(split_assignment("spring.datasource.password=hunter22"), Some(("spring.datasource.password", "hunter22")));
        assert_eq!(split_assignment("  password: \"hunter22\""), Some(("password", "hunter22")));
        assert_eq!(split_assignment("export DB_PASS='x1y2z3'"), Some(("DB_PASS", "x1y2z3")));
        assert_eq!(split_assignment("# password=old"), None);
        assert_eq!(split_assignment("plain text line"), None);
        assert_eq!(split_assignment("auth:"), None);
    }

    #[test]
    fn config_file_lines_are_literals() {
        let lits = entry_literals("data", "app.properties", "url=jdbc:x\ndb.password=s3cr3tpw\n");
        let hits: Vec<_> = lits.iter().filter(|l| looks_like_credential(l).is_some()).map(|l| l.label.as_str()).collect();
        assert_eq!(hits, ["key app.properties line 2"]);
        let defaults = entry_literals("data", "ADMIN_PASSWORD", "admin");
        assert!(is_default_credential(&defaults[0]));
    }
}
