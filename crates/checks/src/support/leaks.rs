//! Named literal values where credentials leak (container env values, ConfigMap keys and the
//! `name=value` lines of config files stored in them), and the tests the secrets checks apply
//! to them. Findings name where a literal is, never its value.

use kubepci_model::pod::Container;

use crate::support::containers::ContainerPath;
use crate::support::credentials::{credential_format, is_default_password, is_placeholder, is_secret_name};

/// A named literal: `name` and `value` are what the tests read; `label()` says where it is (for
/// messages) and `path()` gives its field path, both formatted only for a finding: every env
/// value and config line of the cluster is a literal, and nearly all of them are fine.
#[derive(Debug, PartialEq)]
pub struct Literal<'a> {
    pub name: &'a str,
    pub value: &'a str,
    place: Place<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Place<'a> {
    /// `env[index].value` of the container at `container`.
    Env { container: ContainerPath<'a>, index: usize },
    /// A map entry (`field[key]`), or one line of its value (1-based).
    Entry { field: &'a str, key: &'a str, line: Option<usize> },
}

impl Literal<'_> {
    /// `env DB_PASSWORD`, `key app.properties`, `key app.properties line 2`.
    pub fn label(&self) -> String {
        match self.place {
            Place::Env { .. } => format!("env {}", self.name),
            Place::Entry { key, line: None, .. } => format!("key {key}"),
            Place::Entry { key, line: Some(n), .. } => format!("key {key} line {n}"),
        }
    }

    /// The literal's field path (a config line's is its entry's).
    pub fn path(&self) -> String {
        match self.place {
            Place::Env { container, index } => format!("{container}.env[{index}].value"),
            Place::Entry { field, key, .. } => format!("{field}[{key}]"),
        }
    }
}

/// Why a literal looks like a credential: a known credential format, or a non-placeholder
/// value under a credential-like name.
pub fn looks_like_credential(l: &Literal) -> Option<&'static str> {
    credential_format(l.value).or_else(|| (is_secret_name(l.name) && !is_placeholder(l.value)).then_some("credential-named key with a literal value"))
}

/// A credential-named literal that is a well-known default password.
pub fn is_default_credential(l: &Literal) -> bool {
    // The value test first: it is a few length compares, the name test a search of the name.
    is_default_password(l.value) && is_secret_name(l.name)
}

/// Every `env[].value` literal of a container at `path`.
pub fn env_literals<'a>(c: &'a Container, path: ContainerPath<'a>) -> impl Iterator<Item = Literal<'a>> + 'a {
    c.env.iter().flatten().enumerate().filter_map(move |(index, v)| {
        let value = v.value.as_deref()?;
        Some(Literal { name: &v.name, value, place: Place::Env { container: path, index } })
    })
}

/// The literals of one ConfigMap (or Secret `stringData`) entry: the key with its whole value,
/// then, for a multi-line value (an embedded config file), each `name=value` / `name: value`
/// line. `field` is the map's field path (`data`).
pub fn entry_literals<'a>(field: &'a str, key: &'a str, value: &'a str) -> impl Iterator<Item = Literal<'a>> + 'a {
    let whole = Literal { name: key, value, place: Place::Entry { field, key, line: None } };
    let lines = value.contains('\n').then(|| value.lines().enumerate()).into_iter().flatten();
    let lines = lines.filter_map(move |(n, line)| {
        let (name, v) = split_assignment(line)?;
        Some(Literal { name, value: v, place: Place::Entry { field, key, line: Some(n + 1) } })
    });
    std::iter::once(whole).chain(lines)
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
        let hits: Vec<_> = lits.filter(|l| looks_like_credential(l).is_some()).map(|l| (l.label(), l.path())).collect();
        assert_eq!(hits, [("key app.properties line 2".to_string(), "data[app.properties]".to_string())]);
        let defaults: Vec<_> = entry_literals("data", "ADMIN_PASSWORD", "admin").collect();
        assert!(is_default_credential(&defaults[0]));
        assert_eq!(defaults[0].label(), "key ADMIN_PASSWORD");
    }
}
