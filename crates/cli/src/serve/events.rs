//! Opt-in drift Events (`serve --drift-events`): when a requirement goes from `pass` or
//! `partial` to `fail`, one Kubernetes Event on each object whose new failures caused it,
//! naming the requirements and the check ids. Nothing else is ever written to the cluster.
//!
//! The API is `events.k8s.io/v1` (GA since Kubernetes 1.19, the API the Kubernetes
//! documentation points new reporters to): it carries the reporting controller and an action,
//! and `kubectl get events` / `kubectl describe` show these Events like core/v1 ones (one
//! storage). The RBAC rule is `create` on `events.k8s.io` `events`, in an opt-in role.
//!
//! Deduplicated (the same object, requirements and checks again within an hour: no new
//! Event) and rate-limited (at most [`MAX_PER_EVALUATION`] per evaluation; the rest are
//! counted in the log line).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use kubepci_findings::{Finding, Status};
use kubepci_model::ObjectRef;
use kubepci_report::compare::RunContent;
use serde_json::{Value, json};

pub const MAX_PER_EVALUATION: usize = 20;
pub const DEDUP_WINDOW: Duration = Duration::from_secs(3600);
pub const REASON: &str = "PCIRequirementFailed";
pub const REPORTING_CONTROLLER: &str = "kubepci.io/serve";

/// One Event to create: the object, the requirements that drifted because of it (with their
/// status before), and the checks newly failing on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriftEvent {
    pub regarding: ObjectRef,
    pub requirements: Vec<(String, String)>,
    pub checks: Vec<String>,
}

impl DriftEvent {
    fn key(&self) -> String {
        format!("{} {:?} {:?}", self.regarding, self.requirements, self.checks)
    }

    /// The Event's namespace: the object's, or `default` for cluster-scoped objects (where
    /// Kubernetes' own recorders put theirs).
    pub fn namespace(&self) -> &str {
        self.regarding.namespace.as_deref().unwrap_or("default")
    }

    /// The `events.k8s.io/v1` Event. `unique` (nanoseconds) makes the name unique, as
    /// client-go's recorder does; `event_time` is a MicroTime (`…T…:…:….ffffffZ`).
    pub fn to_event(&self, instance: &str, unique: u128, event_time: &str) -> Value {
        let requirements: Vec<String> = self.requirements.iter().map(|(id, was)| format!("{id} (was {was})")).collect();
        let mut note = format!("PCI DSS requirement {} now fails: new failure of {} on this object (kubepci serve; see /api/v1/report)", requirements.join(", "), self.checks.join(", "));
        // The API refuses notes over 1 kB.
        if note.len() > 1024 {
            let mut cut = 1021;
            while !note.is_char_boundary(cut) {
                cut -= 1;
            }
            note.truncate(cut);
            note.push_str("...");
        }
        let name: String = self.regarding.name.chars().take(200).collect();
        let mut regarding = json!({"apiVersion": self.regarding.api_version, "kind": self.regarding.kind, "name": self.regarding.name});
        if let Some(ns) = &self.regarding.namespace {
            regarding["namespace"] = json!(ns);
        }
        json!({
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": format!("{name}.{unique:x}"), "namespace": self.namespace()},
            "eventTime": event_time,
            "reportingController": REPORTING_CONTROLLER,
            "reportingInstance": instance.chars().take(128).collect::<String>(),
            "action": "Assess",
            "reason": REASON,
            "type": "Warning",
            "regarding": regarding,
            "note": note,
        })
    }
}

/// The objects whose new failures (failing now, not failing before) touch a drifted
/// requirement, one [`DriftEvent`] each. `drifted`: (requirement, was, now), as `drift` gives.
pub fn drift_events(previous: &RunContent, now: &[Finding], drifted: &[(String, String, String)]) -> Vec<DriftEvent> {
    let failing_before: BTreeSet<(&str, &str)> = previous.findings.iter().filter(|f| f.status == Status::Fail).filter_map(|f| Some((f.check.as_str(), f.object.as_deref()?))).collect();
    let new_failures = now.iter().filter(|f| f.status == Status::Fail).filter(|f| f.object.as_ref().is_some_and(|o| !failing_before.contains(&(f.check.as_str(), o.to_string().as_str()))));
    drift_events_of(new_failures, drifted)
}

/// [`drift_events`] given the new failures (failing now on an object where the check did not
/// fail before), as the kept evaluation tells them from its changes.
pub fn drift_events_of<'a>(new_failures: impl IntoIterator<Item = &'a Finding>, drifted: &[(String, String, String)]) -> Vec<DriftEvent> {
    let was: BTreeMap<&str, &str> = drifted.iter().map(|(id, was, _)| (id.as_str(), was.as_str())).collect();
    // Object label → (object, drifted requirements with their status before, checks).
    type Causes = (ObjectRef, BTreeSet<(String, String)>, BTreeSet<String>);
    let mut by_object: BTreeMap<String, Causes> = BTreeMap::new();
    for finding in new_failures.into_iter().filter(|f| f.status == Status::Fail) {
        let Some(object) = &finding.object else { continue };
        let label = object.to_string();
        let requirements: Vec<(String, String)> = finding.requirements.iter().filter_map(|r| was.get(r.as_str()).map(|w| (r.clone(), w.to_string()))).collect();
        if requirements.is_empty() {
            continue;
        }
        let entry = by_object.entry(label).or_insert_with(|| (object.clone(), BTreeSet::new(), BTreeSet::new()));
        entry.1.extend(requirements);
        entry.2.insert(finding.check.to_string());
    }
    by_object.into_values().map(|(regarding, requirements, checks)| DriftEvent { regarding, requirements: requirements.into_iter().collect(), checks: checks.into_iter().collect() }).collect()
}

/// What was sent recently, so a flapping object does not flood its Events.
#[derive(Default)]
pub struct Limiter {
    sent: HashMap<String, Instant>,
}

impl Limiter {
    /// The events to send now, and how many were held back by the per-evaluation limit.
    pub fn admit(&mut self, events: Vec<DriftEvent>, now: Instant) -> (Vec<DriftEvent>, usize) {
        self.sent.retain(|_, at| now.duration_since(*at) < DEDUP_WINDOW);
        let fresh: Vec<DriftEvent> = events.into_iter().filter(|e| !self.sent.contains_key(&e.key())).collect();
        let held = fresh.len().saturating_sub(MAX_PER_EVALUATION);
        let admitted: Vec<DriftEvent> = fresh.into_iter().take(MAX_PER_EVALUATION).collect();
        for e in &admitted {
            self.sent.insert(e.key(), now);
        }
        (admitted, held)
    }
}

/// `2026-12-07T15:04:05.123456Z`, the MicroTime `eventTime` needs.
pub fn micro_time(since_epoch: Duration) -> String {
    let seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    let rfc = kubepci_base::time::rfc3339(seconds);
    let micros = since_epoch.subsec_micros();
    match rfc.strip_suffix('Z') {
        Some(base) => format!("{base}.{micros:06}Z"),
        None => rfc,
    }
}

/// Create the Events, one request each; a failure is logged, never retried (the next drift
/// makes a new Event).
pub async fn post(client: &kube::Client, events: Vec<DriftEvent>, instance: &str) {
    for event in events {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let body = event.to_event(instance, now.as_nanos(), &micro_time(now));
        let path = format!("/apis/events.k8s.io/v1/namespaces/{}/events", event.namespace());
        let request = match hyper::Request::post(&path).header(hyper::header::CONTENT_TYPE, "application/json").body(body.to_string().into_bytes()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("kubepci serve: drift event on {}: {e}", event.regarding);
                continue;
            }
        };
        match client.request_text(request).await {
            Ok(_) => eprintln!("kubepci serve: drift event on {}: {} ({})", event.regarding, REASON, event.checks.join(", ")),
            Err(e) => eprintln!("kubepci serve: drift event on {} not created: {e}", event.regarding),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_findings::Severity;
    use kubepci_report::compare::FindingRecord;

    fn object(kind: &str, ns: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef { api_version: "v1".into(), kind: kind.into(), namespace: ns.map(str::to_string), name: name.into() }
    }

    fn finding(check: &str, requirements: &[&str], object: ObjectRef) -> Finding {
        Finding {
            check: check.into(),
            title: Default::default(),
            status: Status::Fail,
            severity: Severity::High,
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            object: Some(object),
            scope: None,
            location: None,
            message: String::new(),
            evidence: Vec::new(),
            remediation: Default::default(),
            exception: None,
        }
    }

    #[test]
    fn only_new_failures_on_drifted_requirements_make_events() {
        let pod = object("Pod", Some("payments"), "intruder");
        let old = object("Pod", Some("payments"), "old");
        let previous = RunContent {
            findings: vec![FindingRecord { check: "POD-001".into(), status: Status::Fail, severity: Severity::Critical, requirements: vec!["2.2.6".into()], object: Some(old.to_string()), scope: None, message: String::new() }],
            ..RunContent::default()
        };
        let now = vec![
            finding("POD-001", &["2.2.6", "2.2.3"], pod.clone()),
            finding("POD-002", &["2.2.6"], pod.clone()),
            finding("POD-001", &["2.2.6"], old),                           // failing before: not the cause
            finding("IMG-002", &["6.3.2"], object("Pod", Some("web"), "x")), // a requirement that did not drift
        ];
        let drifted = vec![("2.2.6".to_string(), "partial".to_string(), "fail".to_string())];
        let events = drift_events(&previous, &now, &drifted);
        assert_eq!(events, vec![DriftEvent { regarding: pod, requirements: vec![("2.2.6".into(), "partial".into())], checks: vec!["POD-001".into(), "POD-002".into()] }]);

        let event = events[0].to_event("serve-0", 0x1234, "2026-12-07T15:00:00.000001Z");
        assert_eq!(event["metadata"], json!({"name": "intruder.1234", "namespace": "payments"}));
        assert_eq!(event["regarding"], json!({"apiVersion": "v1", "kind": "Pod", "namespace": "payments", "name": "intruder"}));
        assert_eq!(event["reason"], REASON);
        assert_eq!(event["note"], "PCI DSS requirement 2.2.6 (was partial) now fails: new failure of POD-001, POD-002 on this object (kubepci serve; see /api/v1/report)");
        // A cluster-scoped object's Event goes to `default`.
        let role = DriftEvent { regarding: object("ClusterRole", None, "wide"), requirements: vec![("7.2.2".into(), "pass".into())], checks: vec!["RBAC-001".into()] };
        assert_eq!(role.to_event("i", 1, "t")["metadata"]["namespace"], "default");
    }

    #[test]
    fn deduplicated_within_the_window_and_limited_per_evaluation() {
        let event = |n: usize| DriftEvent { regarding: object("Pod", Some("p"), &format!("p{n}")), requirements: vec![("2.2.6".into(), "pass".into())], checks: vec!["POD-001".into()] };
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        assert_eq!(limiter.admit(vec![event(0)], t0).0.len(), 1);
        assert_eq!(limiter.admit(vec![event(0)], t0 + Duration::from_secs(60)).0.len(), 0, "the same again within the hour");
        assert_eq!(limiter.admit(vec![event(0)], t0 + DEDUP_WINDOW + Duration::from_secs(1)).0.len(), 1, "after the window");
        let (sent, held) = limiter.admit((1..=25).map(event).collect(), t0);
        assert_eq!((sent.len(), held), (MAX_PER_EVALUATION, 5));
    }

    #[test]
    fn micro_time_format() {
        assert_eq!(micro_time(Duration::new(1_700_000_000, 1_500)), "2023-11-14T22:13:20.000001Z");
    }
}
