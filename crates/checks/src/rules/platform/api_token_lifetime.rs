use kubepci_findings::Evidence;

use super::control_plane::{Component, Verdict, each_pod, flag_evidence};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Service account tokens must have a bounded lifetime
    ///
    /// ## What it checks
    /// The kube-apiserver static pod: `--service-account-max-token-expiration` must be set to
    /// at most 24 hours, and `--service-account-extend-token-expiration` must be `false` (it
    /// defaults to `true`, which lets the tokens kubelets request for pods live a year,
    /// whatever the maximum says).
    ///
    /// ## Why PCI DSS cares
    /// A service account token is the password of an application account. Without a maximum,
    /// a client may request tokens valid for years, and with the extension on every projected
    /// token is valid for a year: a token copied out of a pod keeps working long after the pod
    /// is gone. Requirement 8.6.3 asks that application account credentials are changed
    /// periodically; a bounded token lifetime makes the API server change them.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, --service-account-issuer=https://kubernetes.default.svc]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver-cp-1, namespace: kube-system, labels: {component: kube-apiserver}}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.35.1
    ///     command: [kube-apiserver, --service-account-max-token-expiration=24h, --service-account-extend-token-expiration=false]
    /// ```
    ///
    /// ## Fix
    /// Add `--service-account-max-token-expiration=24h` (or less) and
    /// `--service-account-extend-token-expiration=false` to the kube-apiserver manifest, after
    /// checking that clients reload their projected tokens (client libraries from 2021 on do).
    pub API_TOKEN_LIFETIME {
        id: "IAM-002",
        name: "service-account-token-lifetime",
        severity: Medium,
        applies: Cluster,
        reads: [EncryptionConfiguration, KubeletConfiguration, Pod, Policy],
        requirements: [("8.6.3", "8.6.3.c", "the token lifetime the API server enforces is how often application account credentials are changed")],
        run: run,
    }
}

/// The longest token lifetime accepted, in seconds.
const MAX_SECONDS: u64 = 24 * 3600;

/// A Go duration (`24h`, `1h30m`, `86400s`, `90m0s`) in seconds; `None` when malformed.
pub fn go_duration_seconds(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let (mut total, mut number) = (0f64, String::new());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next()?);
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        total += value
            * match unit.as_str() {
                "h" => 3600.0,
                "m" => 60.0,
                "s" => 1.0,
                "ms" => 0.001,
                _ => return None,
            };
    }
    if !number.is_empty() {
        return None;
    }
    Some(total as u64)
}

fn run(cx: &Context, e: &mut Emitter) {
    each_pod(cx, e, Component::ApiServer, |pod| {
        let mut problems = Vec::new();
        let mut evidence = Vec::new();
        match pod.flag("service-account-max-token-expiration") {
            None => problems.push("--service-account-max-token-expiration is not set (no maximum)".to_string()),
            Some(v) => match go_duration_seconds(v) {
                Some(secs) if secs <= MAX_SECONDS => {}
                Some(_) => problems.push(format!("--service-account-max-token-expiration={v} is longer than 24h")),
                None => problems.push(format!("--service-account-max-token-expiration={v} is not a duration")),
            },
        }
        if !problems.is_empty() {
            evidence.extend(flag_evidence(pod, "service-account-max-token-expiration"));
        }
        if pod.bool_flag("service-account-extend-token-expiration", true) {
            problems.push("--service-account-extend-token-expiration is not false (projected tokens live a year)".into());
            evidence.push(Evidence::field(pod.argv_path(), format!("--service-account-extend-token-expiration={}", pod.flag("service-account-extend-token-expiration").unwrap_or("true (default)"))));
        }
        if problems.is_empty() { Verdict::Pass } else { Verdict::Fail(problems.join("; "), evidence) }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration_seconds("24h"), Some(86_400));
        assert_eq!(go_duration_seconds("1h30m"), Some(5_400));
        assert_eq!(go_duration_seconds("90m0s"), Some(5_400));
        assert_eq!(go_duration_seconds("8760h0m0s"), Some(31_536_000));
        assert_eq!(go_duration_seconds("1.5h"), Some(5_400));
        assert_eq!(go_duration_seconds("100ms"), Some(0));
        for bad in ["", "24", "1d", "h", "1x", "\u{e9}"] {
            assert_eq!(go_duration_seconds(bad), None, "{bad}");
        }
    }
}
