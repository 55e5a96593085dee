//! Subjects as bindings name them, and the users they stand for.
//!
//! A ServiceAccount `ns/name` authenticates as the user `system:serviceaccount:ns:name` in the
//! groups `system:serviceaccounts`, `system:serviceaccounts:ns` and `system:authenticated`.
//! Every authenticated user is in `system:authenticated`; anonymous requests are the user
//! `system:anonymous` in `system:unauthenticated`. Members of `system:masters` bypass RBAC.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub const SA_USER_PREFIX: &str = "system:serviceaccount:";
pub const SA_GROUP: &str = "system:serviceaccounts";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
pub const ANONYMOUS: &str = "system:anonymous";
pub const MASTERS: &str = "system:masters";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

impl SubjectKind {
    pub fn parse(s: &str) -> Option<SubjectKind> {
        match s {
            "User" | "user" => Some(SubjectKind::User),
            "Group" | "group" => Some(SubjectKind::Group),
            "ServiceAccount" | "serviceaccount" | "sa" => Some(SubjectKind::ServiceAccount),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "User",
            SubjectKind::Group => "Group",
            SubjectKind::ServiceAccount => "ServiceAccount",
        }
    }
}

/// A subject: a binding's subject (ServiceAccount namespace defaulted to the binding's), or a
/// principal to evaluate. Users and Groups have no namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl Subject {
    pub fn user(name: &str) -> Subject {
        Subject { kind: SubjectKind::User, name: name.into(), namespace: None }
    }
    pub fn group(name: &str) -> Subject {
        Subject { kind: SubjectKind::Group, name: name.into(), namespace: None }
    }
    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject { kind: SubjectKind::ServiceAccount, name: name.into(), namespace: Some(namespace.into()) }
    }

    /// A User subject named `system:serviceaccount:ns:name` is that ServiceAccount.
    pub fn canonical(self) -> Subject {
        if self.kind == SubjectKind::User
            && let Some(rest) = self.name.strip_prefix(SA_USER_PREFIX)
            && let Some((ns, name)) = rest.split_once(':')
            && !ns.is_empty()
            && !name.is_empty()
            && !name.contains(':')
        {
            return Subject::service_account(ns, name);
        }
        self
    }

    /// The binding subjects (as normalised keys) that apply to this principal: itself, its
    /// user name and the groups it is known to be in. A User is only known to be in
    /// `system:authenticated` (other memberships come from the identity provider).
    pub fn matching_keys(&self) -> Vec<Subject> {
        match self.kind {
            SubjectKind::Group => vec![self.clone()],
            SubjectKind::User if self.name == ANONYMOUS => vec![self.clone(), Subject::group(UNAUTHENTICATED)],
            SubjectKind::User => vec![self.clone(), Subject::group(AUTHENTICATED)],
            SubjectKind::ServiceAccount => {
                let ns = self.namespace.as_deref().unwrap_or("");
                vec![self.clone(), Subject::group(SA_GROUP), Subject::group(&format!("{SA_GROUP}:{ns}")), Subject::group(AUTHENTICATED)]
            }
        }
    }

    /// Members of `system:masters` are allowed everything without consulting RBAC.
    pub fn is_superuser_group(&self) -> bool {
        self.kind == SubjectKind::Group && self.name == MASTERS
    }

    /// Broad groups that stand for "everyone" (or every workload).
    pub fn is_everyone_group(&self) -> bool {
        self.kind == SubjectKind::Group && matches!(self.name.as_str(), AUTHENTICATED | UNAUTHENTICATED | SA_GROUP)
            || self.kind == SubjectKind::User && self.name == ANONYMOUS
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}:{}:{}", self.kind.as_str(), self.name, ns),
            None => write!(f, "{}:{}", self.kind.as_str(), self.name),
        }
    }
}

/// `KIND:NAME[:NAMESPACE]` as the CLI takes it (`ServiceAccount:api:payments`, `User:alice`,
/// `Group:system:masters` — a Group or User name may itself contain colons; a ServiceAccount
/// takes the last segment as its namespace).
impl FromStr for Subject {
    type Err = String;
    fn from_str(s: &str) -> Result<Subject, String> {
        let (kind, rest) = s.split_once(':').ok_or_else(|| format!("expected KIND:NAME[:NAMESPACE], got {s:?}"))?;
        let kind = SubjectKind::parse(kind).ok_or_else(|| format!("unknown subject kind {kind:?} (User, Group or ServiceAccount)"))?;
        if rest.is_empty() {
            return Err(format!("missing name in {s:?}"));
        }
        match kind {
            SubjectKind::ServiceAccount => match rest.rsplit_once(':') {
                Some((name, ns)) if !name.is_empty() && !ns.is_empty() => Ok(Subject::service_account(ns, name)),
                _ => Err(format!("a ServiceAccount needs a namespace: ServiceAccount:NAME:NAMESPACE, got {s:?}")),
            },
            _ => Ok(Subject { kind, name: rest.into(), namespace: None }.canonical()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cli_subjects() {
        assert_eq!("ServiceAccount:api:payments".parse::<Subject>().unwrap(), Subject::service_account("payments", "api"));
        assert_eq!("Group:system:masters".parse::<Subject>().unwrap(), Subject::group("system:masters"));
        assert_eq!("User:system:serviceaccount:a:b".parse::<Subject>().unwrap(), Subject::service_account("a", "b"));
        assert!("ServiceAccount:api".parse::<Subject>().is_err());
        assert!("Robot:x".parse::<Subject>().is_err());
    }

    #[test]
    fn service_accounts_are_in_their_groups() {
        let keys = Subject::service_account("payments", "api").matching_keys();
        assert!(keys.contains(&Subject::group("system:serviceaccounts:payments")));
        assert!(keys.contains(&Subject::group("system:authenticated")));
        assert!(!Subject::user("system:anonymous").matching_keys().contains(&Subject::group(AUTHENTICATED)));
    }
}
