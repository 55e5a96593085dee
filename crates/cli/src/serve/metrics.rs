//! `/metrics`: the Prometheus text exposition of the current assessment, the evaluations, the
//! watches and the history.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use kubepci_findings::Status;
use kubepci_history::Recorded;
use kubepci_report::compare::RequirementStatus;

use super::KindHealth;
use super::live::Evaluated;

/// What the last evaluation found, and counters since start.
#[derive(Default)]
pub struct Metrics {
    /// The last evaluation's requirement statuses (`None` before the first).
    pub requirements: Option<Vec<RequirementStatus>>,
    /// Findings per (scope class, status name).
    per_scope: BTreeMap<(String, &'static str), usize>,
    /// `(check, severity)` → failures.
    failures: BTreeMap<(String, String), usize>,
    objects: usize,
    last_epoch: i64,
    last_duration: Duration,
    evaluations: u64,
    history_runs: u64,
    history_heartbeats: u64,
    history_errors: u64,
    history_up: bool,
    last_run: i64,
}

fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    /// Take a new evaluation; returns the previous requirement statuses (for drift).
    pub fn replace_evaluation(&mut self, evaluated: &Evaluated, epoch: i64, duration: Duration) -> Option<Vec<RequirementStatus>> {
        self.failures = evaluated.failures.iter().map(|(check, severity, n)| ((check.clone(), severity.clone()), *n)).collect();
        self.per_scope = evaluated.per_scope.iter().map(|((scope, status), n)| ((scope.clone(), status_name(*status)), *n)).collect();
        self.objects = evaluated.objects;
        self.last_epoch = epoch;
        self.last_duration = duration;
        self.evaluations += 1;
        self.requirements.replace(evaluated.requirements.clone())
    }

    pub fn history_ok(&mut self, recorded: Recorded) {
        self.history_up = true;
        self.last_run = recorded.id();
        match recorded {
            Recorded::Run(_) => self.history_runs += 1,
            Recorded::Heartbeat(_) => self.history_heartbeats += 1,
        }
    }

    pub fn history_failed(&mut self) {
        self.history_up = false;
        self.history_errors += 1;
    }

    /// The exposition text.
    pub fn render(&self, watches: &[KindHealth]) -> String {
        let mut out = String::new();
        let family = |name: &str, kind: &str, help: &str, out: &mut String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        if let Some(requirements) = &self.requirements {
            family("kubepci_requirement_status", "gauge", "PCI DSS requirement roll-up status (1 for the current status).", &mut out);
            for r in requirements {
                let _ = writeln!(out, "kubepci_requirement_status{{requirement=\"{}\",status=\"{}\"}} 1", label(&r.id), label(&r.status));
            }
            family("kubepci_check_failures", "gauge", "Open failures per check and severity.", &mut out);
            for ((check, severity), n) in &self.failures {
                let _ = writeln!(out, "kubepci_check_failures{{check=\"{}\",severity=\"{severity}\"}} {n}", label(check));
            }
            family("kubepci_findings", "gauge", "Findings per namespace scope class and status.", &mut out);
            for ((scope, status), n) in &self.per_scope {
                let _ = writeln!(out, "kubepci_findings{{scope=\"{}\",status=\"{status}\"}} {n}", label(scope));
            }
        }
        family("kubepci_objects", "gauge", "Objects in the last evaluation.", &mut out);
        let _ = writeln!(out, "kubepci_objects {}", self.objects);
        family("kubepci_evaluations_total", "counter", "Evaluations since start.", &mut out);
        let _ = writeln!(out, "kubepci_evaluations_total {}", self.evaluations);
        family("kubepci_last_evaluation_timestamp_seconds", "gauge", "When the last evaluation ran (Unix time).", &mut out);
        let _ = writeln!(out, "kubepci_last_evaluation_timestamp_seconds {}", self.last_epoch);
        family("kubepci_last_evaluation_duration_seconds", "gauge", "How long the last evaluation took (wall clock).", &mut out);
        let _ = writeln!(out, "kubepci_last_evaluation_duration_seconds {:.6}", self.last_duration.as_secs_f64());
        family("kubepci_watch_up", "gauge", "1 when the kind's watch last delivered an event, 0 after an error (it retries with backoff).", &mut out);
        for w in watches {
            let _ = writeln!(out, "kubepci_watch_up{{kind=\"{}\"}} {}", label(&w.kind), u8::from(w.up));
        }
        family("kubepci_watch_events_total", "counter", "Changes applied from the kind's watch.", &mut out);
        for w in watches {
            let _ = writeln!(out, "kubepci_watch_events_total{{kind=\"{}\"}} {}", label(&w.kind), w.events);
        }
        family("kubepci_watch_relists_total", "counter", "Full relists of the kind (start, 410 Gone, dropped watch).", &mut out);
        for w in watches {
            let _ = writeln!(out, "kubepci_watch_relists_total{{kind=\"{}\"}} {}", label(&w.kind), w.relists);
        }
        family("kubepci_watch_errors_total", "counter", "Watch errors of the kind (each followed by backoff and retry).", &mut out);
        for w in watches {
            let _ = writeln!(out, "kubepci_watch_errors_total{{kind=\"{}\"}} {}", label(&w.kind), w.errors);
        }
        family("kubepci_history_up", "gauge", "1 when the last history write succeeded.", &mut out);
        let _ = writeln!(out, "kubepci_history_up {}", u8::from(self.history_up));
        family("kubepci_history_writes_total", "counter", "History writes by outcome: a new run, a heartbeat (nothing changed), an error.", &mut out);
        let _ = writeln!(out, "kubepci_history_writes_total{{outcome=\"run\"}} {}", self.history_runs);
        let _ = writeln!(out, "kubepci_history_writes_total{{outcome=\"heartbeat\"}} {}", self.history_heartbeats);
        let _ = writeln!(out, "kubepci_history_writes_total{{outcome=\"error\"}} {}", self.history_errors);
        family("kubepci_history_last_run", "gauge", "Id of the run the last evaluation recorded or confirmed.", &mut out);
        let _ = writeln!(out, "kubepci_history_last_run {}", self.last_run);
        out
    }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Fail => "fail",
        Status::Excepted => "excepted",
        Status::NotAssessed => "not_assessed",
        Status::Pass => "pass",
    }
}
