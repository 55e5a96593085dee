//! Detection rules as data: the rule file shipped in the crate (`rules/default.yaml`, embedded)
//! plus any user rule files, which add rules, replace rules of the same id, or disable rules.
//! The schema is documented in `docs/audit.md`.

use serde::{Deserialize, Serialize};

use crate::event::{Decision, Event};
use crate::predicates::Predicate;

/// The rules shipped with kubepci.
pub const DEFAULT_RULES: &str = include_str!("../rules/default.yaml");

/// The severity scale of scan findings, so `--fail-on` and reports mean the same for alerts.
pub use kubepci_findings::Severity;

/// A rule file: rules, and the ids of earlier rules to switch off.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleFile {
    pub rules: Vec<Rule>,
    pub disable: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// PCI DSS v4.0.1 requirement numbers the alert is evidence for.
    pub requirements: Vec<String>,
    pub severity: Severity,
    pub description: String,
    /// The equivalent Falco `k8s_audit` rule's name, exactly, or null.
    #[serde(default)]
    pub falco: Option<String>,
    /// The equivalent Panther detection's `rule_id`, or null.
    #[serde(default)]
    pub panther: Option<String>,
    /// Further Panther detections with the same per-event semantics (EKS-only variants).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_panther: Vec<String>,
    /// Data the rule needs that an audit log does not hold (IP reputation, an allow-list): what
    /// the equivalent upstream rule uses, and how this rule differs for lack of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<String>,
    /// False for rules that cannot be evaluated without that data: they are listed, never fire.
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(rename = "match")]
    pub when: Cond,
    /// Any of these conditions holding suppresses the alert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unless: Vec<Cond>,
    /// Alert once per burst instead of once per request: when `count` matching requests with
    /// the same key fall within `window` of the first (Panther's threshold and dedup period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
}

/// A threshold: `count` matching requests with the same `key` within `window` (`90s`, `15m`,
/// `1h`) of the first one make one alert, carrying the count and the first and last time.
/// The next matching request after the window opens a new one. With `distinct: object`, the
/// count is of distinct objects (namespace and name) the requests touched, not of requests.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub count: u32,
    pub window: String,
    pub key: ThresholdKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct: Option<Distinct>,
}

/// What a threshold counts when not every matching request.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
pub enum Distinct {
    /// Distinct objects: `namespace/name` of the request's objectRef. A request without a name
    /// (a list or watch of a collection) counts as one object, the collection in its
    /// namespace (or the whole cluster). Reading one Secret a hundred times is one object;
    /// reading fifty different Secrets is fifty.
    #[serde(rename = "object")]
    Object,
}

impl Distinct {
    pub fn as_str(self) -> &'static str {
        match self {
            Distinct::Object => "object",
        }
    }
}

/// What the requests of a threshold are grouped by.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
pub enum ThresholdKey {
    /// The identity the request acted as.
    #[serde(rename = "user")]
    User,
    /// The first source IP of the request.
    #[serde(rename = "sourceIP")]
    SourceIp,
}

impl ThresholdKey {
    pub fn as_str(self) -> &'static str {
        match self {
            ThresholdKey::User => "user",
            ThresholdKey::SourceIp => "sourceIP",
        }
    }

    /// The key's value for an event.
    pub fn of<'e>(self, e: &'e Event<'_>) -> &'e str {
        match self {
            ThresholdKey::User => e.effective_username(),
            ThresholdKey::SourceIp => e.source_ips().first().map(|ip| ip.as_ref()).unwrap_or(""),
        }
    }
}

impl Threshold {
    /// The window in microseconds, or `None` when it is not a positive duration in `s`, `m`
    /// and `h` (`90s`, `15m`, `1h30m`).
    pub fn window_micros(&self) -> Option<i64> {
        const UNITS: &[(&str, u64)] = &[("s", 1_000), ("m", 60_000), ("h", 3_600_000)];
        let millis = kubepci_base::time::unit_duration_millis(&self.window, UNITS).filter(|ms| *ms > 0)?;
        i64::try_from(millis).ok()?.checked_mul(1_000)
    }
}

fn yes() -> bool {
    true
}

/// A condition on one event: every field given must hold. Lists hold when any entry matches;
/// entries may use `*` as a wildcard, and the `@` names described in `docs/audit.md`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Cond {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verbs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// `""` stands for "no subresource".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subresources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    /// Namespaces; `@cde` (the configuration's CDE namespaces), `@system` (kube-system,
    /// kube-public, kube-node-lease and cloud system namespaces), `@none` (cluster-scoped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// The authenticated user: names, or `@system`, `@anonymous`, `@admin`, `@breakGlass`,
    /// `@serviceAccount`, `@node`, `@human`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// `success` (1xx/2xx), `failure` (4xx/5xx), `notFailure` (no code yet, or < 400),
    /// `denied` (401/403).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<i64>,
    /// `allow` or `forbid` (the authorization annotation, else inferred from the code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// `public`: a source IP outside private, loopback, link-local and shared ranges.
    /// `private`: every source IP inside them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<IpClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uri_prefixes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uri_contains: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_agent_prefixes: Vec<String>,
    /// True: the request impersonated another identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated: Option<bool>,
    /// Every predicate must hold on the request object.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub object: Vec<Predicate>,
    /// At least one predicate must hold.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub object_any: Vec<Predicate>,
}

impl Response {
    /// Whether a response code (none yet: a request not completed) is of this kind.
    pub fn holds(self, code: Option<i64>) -> bool {
        match self {
            Response::Success => code.is_some_and(|c| (100..300).contains(&c)),
            Response::Failure => code.is_some_and(|c| c >= 400),
            Response::NotFailure => code.is_none_or(|c| c < 400),
            Response::Denied => matches!(code, Some(401 | 403)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Response {
    Success,
    Failure,
    NotFailure,
    Denied,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum IpClass {
    Public,
    Private,
}

/// Who is who, for the `@` names of conditions.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// CDE namespaces (`*` wildcards allowed).
    pub cde_namespaces: Vec<String>,
    /// Users and groups holding cluster-admin (from the RBAC model), beyond `system:masters`.
    pub admin_users: Vec<String>,
    pub admin_groups: Vec<String>,
    /// Break-glass users from `kubepci.yaml` (`breakGlassUsers`).
    pub break_glass_users: Vec<String>,
}

/// Namespaces of the cluster's own components.
pub const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease", "gke-system", "gke-managed-system", "amazon-cloudwatch", "calico-system", "tigera-operator"];

impl Context {
    pub fn is_cde(&self, ns: &str) -> bool {
        !ns.is_empty() && self.cde_namespaces.iter().any(|p| glob(p, ns))
    }
    pub fn is_admin(&self, user: &str, groups: &[std::borrow::Cow<'_, str>]) -> bool {
        groups.iter().any(|g| g == "system:masters" || self.admin_groups.iter().any(|a| a == g))
            || self.admin_users.iter().any(|a| a == user)
            || self.is_break_glass(user)
    }
    pub fn is_break_glass(&self, user: &str) -> bool {
        self.break_glass_users.iter().any(|b| glob(b, user))
    }
}

/// The cluster's own components: control plane, nodes, and service accounts of system
/// namespaces; cloud providers' managed identities (`eks:`, `aks:`). Their routine traffic
/// never alerts.
pub fn is_system_user(user: &str) -> bool {
    if let Some(sa) = user.strip_prefix("system:serviceaccount:") {
        let ns = sa.split(':').next().unwrap_or("");
        return SYSTEM_NAMESPACES.contains(&ns);
    }
    (user.starts_with("system:") && user != "system:anonymous" && user != "system:unauthenticated")
        || user.starts_with("eks:")
        || user.starts_with("aks:")
        || matches!(user, "kubelet" | "kube-proxy" | "kube-apiserver-healthcheck" | "kube-apiserver")
}

pub fn is_anonymous(user: &str, groups: &[std::borrow::Cow<'_, str>]) -> bool {
    user == "system:anonymous" || groups.iter().any(|g| g == "system:unauthenticated")
}

/// `*` matches any run of characters.
pub use kubepci_base::text::glob;

fn any_glob(list: &[String], value: &str) -> bool {
    list.iter().any(|p| glob(p, value))
}

/// Whether an address is outside the private, loopback, link-local and shared (CGNAT) ranges.
/// Unparseable text is not public.
pub fn is_public_ip(ip: &str) -> bool {
    // The private ranges most cluster traffic comes from, answered without parsing: an address
    // there is not public, and text that only starts like one is not an address (not public
    // either). Parsing was most of this function's cost, once per system request.
    if ip.starts_with("10.") || ip.starts_with("192.168.") || ip.starts_with("127.") {
        return false;
    }
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let o = v4.octets();
            !(v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast() || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let seg = v6.segments()[0];
            !(v6.is_loopback() || v6.is_unspecified() || (seg & 0xfe00) == 0xfc00 || (seg & 0xffc0) == 0xfe80)
        }
        Err(_) => false,
    }
}

/// The parts of an event a condition reads, computed once per event.
pub struct Facts<'e, 'a> {
    pub event: &'e Event<'a>,
    pub user: &'e str,
    pub system: bool,
    pub anonymous: bool,
    pub admin: bool,
    pub break_glass: bool,
    pub decision: Decision,
}

impl<'e, 'a> Facts<'e, 'a> {
    pub fn new(event: &'e Event<'a>, ctx: &Context) -> Self {
        let user = event.username();
        let groups = event.groups();
        Facts {
            event,
            user,
            system: is_system_user(user),
            anonymous: is_anonymous(user, groups),
            admin: ctx.is_admin(user, groups),
            break_glass: ctx.is_break_glass(user),
            decision: event.decision(),
        }
    }
}

impl Cond {
    /// Every field except the object predicates (cheap; checked first).
    pub fn matches_fields(&self, f: &Facts<'_, '_>, ctx: &Context) -> bool {
        self.matches_fields_indexed(f, ctx, false, false)
    }

    /// Whether the event fails one of this condition's checks on the response code or on
    /// impersonation: the cheapest to answer, and most events fail the rules that have them
    /// (403s, denials, impersonation), so the engine asks this before the whole
    /// [`Cond::matches_fields`]. True only where `matches_fields` is false.
    pub fn fails_quickly(&self, e: &Event<'_>) -> bool {
        (!self.codes.is_empty() && !e.code().is_some_and(|c| self.codes.contains(&c)))
            || self.response.is_some_and(|r| !r.holds(e.code()))
            || self.impersonated.is_some_and(|want| want != e.impersonated_user.as_ref().is_some_and(|u| u.username.is_some()))
    }

    /// [`Cond::matches_fields`], where the caller has already matched the event's verb
    /// (`verb_known`) or resource (`resource_known`) against this condition's exact list.
    pub fn matches_fields_indexed(&self, f: &Facts<'_, '_>, ctx: &Context, verb_known: bool, resource_known: bool) -> bool {
        let e = f.event;
        if !verb_known && !self.verbs.is_empty() && !any_glob(&self.verbs, e.verb()) {
            return false;
        }
        if !resource_known && !self.resources.is_empty() && !any_glob(&self.resources, e.resource()) {
            return false;
        }
        if !self.subresources.is_empty() && !self.subresources.iter().any(|p| if p.is_empty() { e.subresource().is_empty() } else { glob(p, e.subresource()) }) {
            return false;
        }
        // An event without a stage is taken as complete (exports and fixtures often omit it).
        if !self.stages.is_empty() && !e.stage().is_empty() && !self.stages.iter().any(|s| s == e.stage()) {
            return false;
        }
        if !self.api_groups.is_empty() && !any_glob(&self.api_groups, e.api_group()) {
            return false;
        }
        if !self.namespaces.is_empty() && !self.namespaces.iter().any(|p| namespace_matches(p, e.namespace(), ctx)) {
            return false;
        }
        if !self.names.is_empty() && !any_glob(&self.names, e.name()) {
            return false;
        }
        if !self.users.is_empty() && !self.users.iter().any(|p| user_matches(p, f)) {
            return false;
        }
        if !self.groups.is_empty() && !e.groups().iter().any(|g| any_glob(&self.groups, g)) {
            return false;
        }
        if let Some(r) = self.response
            && !r.holds(e.code())
        {
            return false;
        }
        if !self.codes.is_empty() && !e.code().is_some_and(|c| self.codes.contains(&c)) {
            return false;
        }
        if let Some(d) = &self.decision
            && d != f.decision.as_str()
        {
            return false;
        }
        if let Some(class) = self.source_ip {
            let ips = e.source_ips();
            let ok = match class {
                IpClass::Public => ips.iter().any(|ip| is_public_ip(ip)),
                IpClass::Private => !ips.is_empty() && ips.iter().all(|ip| !is_public_ip(ip)),
            };
            if !ok {
                return false;
            }
        }
        if !self.source_ips.is_empty() && !e.source_ips().iter().any(|ip| any_glob(&self.source_ips, ip)) {
            return false;
        }
        if !self.uri_prefixes.is_empty() && !self.uri_prefixes.iter().any(|p| e.uri().starts_with(p.as_str())) {
            return false;
        }
        if !self.uri_contains.is_empty() && !self.uri_contains.iter().any(|p| e.uri().contains(p.as_str())) {
            return false;
        }
        if !self.user_agent_prefixes.is_empty() && !self.user_agent_prefixes.iter().any(|p| crate::event::s(&e.user_agent).starts_with(p.as_str())) {
            return false;
        }
        if let Some(want) = self.impersonated
            && want != e.impersonated_user.as_ref().is_some_and(|u| u.username.is_some())
        {
            return false;
        }
        true
    }

    pub fn has_object_predicates(&self) -> bool {
        !self.object.is_empty() || !self.object_any.is_empty()
    }

    pub fn matches_object(&self, subject: &crate::predicates::Subject<'_>) -> bool {
        self.object.iter().all(|p| p.holds(subject)) && (self.object_any.is_empty() || self.object_any.iter().any(|p| p.holds(subject)))
    }
}

fn namespace_matches(pattern: &str, ns: &str, ctx: &Context) -> bool {
    match pattern {
        "@cde" => ctx.is_cde(ns),
        "@system" => SYSTEM_NAMESPACES.contains(&ns),
        "@none" => ns.is_empty(),
        p => !ns.is_empty() && glob(p, ns),
    }
}

fn user_matches(pattern: &str, f: &Facts<'_, '_>) -> bool {
    match pattern {
        "@system" => f.system,
        "@anonymous" => f.anonymous,
        "@admin" => f.admin,
        "@breakGlass" => f.break_glass,
        "@serviceAccount" => f.user.starts_with("system:serviceaccount:"),
        "@node" => f.user.starts_with("system:node:"),
        "@human" => !f.system && !f.anonymous && !f.user.starts_with("system:"),
        p => glob(p, f.user),
    }
}

#[derive(Debug)]
pub struct RuleError(pub String);

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for RuleError {}

/// The rules in force: the shipped ones, then each user file in order (same id replaces,
/// `disable` removes).
#[derive(Clone, Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    pub fn builtin() -> RuleSet {
        RuleSet::load(&[]).expect("the shipped rule file is valid (tested)")
    }

    /// The shipped rules with user rule files `(name, text)` applied in order.
    pub fn load(user_files: &[(String, String)]) -> Result<RuleSet, RuleError> {
        let mut rules = parse_file("kubepci built-in audit rules", DEFAULT_RULES)?.rules;
        for (name, text) in user_files {
            let file = parse_file(name, text)?;
            for id in &file.disable {
                if !rules.iter().any(|r| &r.id == id) {
                    return Err(RuleError(format!("{name}: disable: no rule {id:?}")));
                }
                rules.retain(|r| &r.id != id);
            }
            for rule in file.rules {
                match rules.iter_mut().find(|r| r.id == rule.id) {
                    Some(existing) => *existing = rule,
                    None => rules.push(rule),
                }
            }
        }
        Ok(RuleSet { rules })
    }
}

fn parse_file(name: &str, text: &str) -> Result<RuleFile, RuleError> {
    let file: RuleFile = yaml_serde::from_str(text).map_err(|e| {
        let at = e.location().map(|l| format!(":{}:{}", l.line(), l.column() + 1)).unwrap_or_default();
        RuleError(format!("{name}{at}: {e}"))
    })?;
    let mut seen = std::collections::HashSet::new();
    for r in &file.rules {
        if !seen.insert(r.id.as_str()) {
            return Err(RuleError(format!("{name}: rule {} is defined twice", r.id)));
        }
        if r.requirements.is_empty() {
            return Err(RuleError(format!("{name}: rule {} names no PCI DSS requirement", r.id)));
        }
        if let Some(t) = &r.threshold {
            if t.count == 0 {
                return Err(RuleError(format!("{name}: rule {}: threshold count must be at least 1", r.id)));
            }
            if t.window_micros().is_none() {
                return Err(RuleError(format!("{name}: rule {}: threshold window {:?} is not a duration such as 90s, 15m or 1h", r.id, t.window)));
            }
        }
        if !r.enabled && r.needs.is_none() {
            return Err(RuleError(format!("{name}: rule {} is disabled without saying what it needs (`needs`)", r.id)));
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_load_and_have_unique_ids_and_equivalents_once() {
        let set = RuleSet::builtin();
        assert!(set.rules.len() >= 40, "{}", set.rules.len());
        let mut falco: Vec<&str> = set.rules.iter().filter_map(|r| r.falco.as_deref()).collect();
        let n = falco.len();
        falco.sort();
        falco.dedup();
        assert_eq!(falco.len(), n, "a Falco rule is named by two kubepci rules");
    }

    #[test]
    fn user_files_add_replace_and_disable() {
        let user = r#"
disable: [AUD-ANONYMOUS]
rules:
  - {id: MY-001, title: t, requirements: ["10.2.1"], severity: low, description: d, match: {verbs: [get]}}
"#;
        let set = RuleSet::load(&[("mine.yaml".into(), user.into())]).unwrap();
        assert!(set.rules.iter().any(|r| r.id == "MY-001"));
        assert!(!set.rules.iter().any(|r| r.id == "AUD-ANONYMOUS"));
        let bad = RuleSet::load(&[("bad.yaml".into(), "rules: [{id: X, title: t, requirements: [], severity: low, description: d, match: {}}]".into())]);
        assert!(bad.unwrap_err().0.contains("names no PCI DSS requirement"));
        let typo = RuleSet::load(&[("typo.yaml".into(), "rules: [{id: X, title: t, requirements: [a], severity: low, description: d, match: {object: [privilegd]}}]".into())]);
        assert!(typo.unwrap_err().0.starts_with("typo.yaml:"));
    }

    #[test]
    fn verbs_and_resources_the_index_matched_are_not_matched_again() {
        let cond = Cond { verbs: vec!["get".into()], resources: vec!["secrets".into()], ..Cond::default() };
        let event: Event<'_> = serde_json::from_str(r#"{"verb":"list","objectRef":{"resource":"pods"}}"#).unwrap();
        let facts = Facts::new(&event, &Context::default());
        assert!(!cond.matches_fields(&facts, &Context::default()));
        assert!(!cond.matches_fields_indexed(&facts, &Context::default(), true, false));
        assert!(!cond.matches_fields_indexed(&facts, &Context::default(), false, true));
        // The caller vouches for both: the rest of the condition (nothing here) decides.
        assert!(cond.matches_fields_indexed(&facts, &Context::default(), true, true));
    }

    #[test]
    fn a_quick_failure_is_always_a_failure_of_the_whole_condition() {
        let conds = [
            Cond { codes: vec![403], ..Cond::default() },
            Cond { response: Some(Response::Denied), ..Cond::default() },
            Cond { response: Some(Response::NotFailure), ..Cond::default() },
            Cond { impersonated: Some(true), ..Cond::default() },
            Cond { impersonated: Some(false), codes: vec![200, 201], ..Cond::default() },
        ];
        let events = [
            r#"{"verb":"get"}"#,
            r#"{"verb":"get","responseStatus":{"code":403}}"#,
            r#"{"verb":"get","responseStatus":{"code":200},"impersonatedUser":{"username":"bob"}}"#,
            r#"{"verb":"get","responseStatus":{"code":201},"impersonatedUser":{}}"#,
        ];
        let ctx = Context::default();
        let mut quick = 0;
        for line in events {
            let e: Event<'_> = serde_json::from_str(line).unwrap();
            let facts = Facts::new(&e, &ctx);
            for c in &conds {
                if c.fails_quickly(&e) {
                    quick += 1;
                    assert!(!c.matches_fields(&facts, &ctx), "{c:?} on {line}");
                }
            }
        }
        assert!(quick >= 8, "the quick checks answered {quick} times");
    }

    #[test]
    fn system_users_public_ips_and_globs() {
        assert!(is_system_user("system:kube-controller-manager"));
        assert!(is_system_user("system:serviceaccount:kube-system:coredns"));
        assert!(!is_system_user("system:serviceaccount:payments:api"));
        assert!(!is_system_user("system:anonymous"));
        assert!(is_system_user("eks:addon-manager"));
        assert!(is_public_ip("8.8.8.8") && !is_public_ip("10.1.2.3") && !is_public_ip("100.64.0.1") && !is_public_ip("::1") && !is_public_ip("junk"));
        // The prefixes answered without parsing: private addresses, and text that is no address.
        for text in ["10.0.0.1", "10.300.1.1", "10.", "192.168.1.1", "192.168.x", "127.0.0.1", "127.1"] {
            assert!(!is_public_ip(text), "{text}");
        }
        assert!(is_public_ip("100.1.2.3") && is_public_ip("192.169.1.1") && is_public_ip("11.0.0.1") && is_public_ip("2001:db8::1"));
        assert!(glob("pay*", "payments") && glob("*", "") && !glob("a*c", "ab"));
    }
}
