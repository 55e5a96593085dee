use kubepci_findings::Evidence;
use kubepci_model::Resource;
use serde_json::Value;

use super::shippers::shippers;
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Log destinations in the cluster must keep logs for at least 12 months
    ///
    /// ## What it checks
    /// The retention configured at log destinations held in ConfigMaps:
    /// - **Loki** (a config with `limits_config`, `compactor`, `schema_config` or
    ///   `table_manager`, or a runtime config with per-tenant `overrides`): with
    ///   `compactor.retention_enabled: true`, the shortest of `limits_config.retention_period`,
    ///   the per-stream `retention_stream` periods (their selectors may match audit logs) and
    ///   the per-tenant overrides; without it (nor `table_manager.retention_deletes_enabled`)
    ///   Loki deletes nothing, which passes. A `retention_period` of `0s` disables deletion.
    /// - **Elasticsearch ILM** policy JSON (`policy.phases`): the `min_age` of the `delete`
    ///   phase (counted from index creation or rollover, so data may live a little longer).
    /// - **OpenSearch ISM** policy JSON (`policy.states`): the `min_index_age` of a transition
    ///   into a state with a `delete` action.
    /// - **logrotate** configuration: `rotate N` times the `daily`/`weekly`/`monthly`/`yearly`
    ///   period, or `maxage N` days, whichever is shorter.
    ///
    /// The same configurations are read where operators and charts keep them:
    /// - **Secrets**: any `data`/`stringData` entry holding one of the configurations above
    ///   (current Loki Helm charts can render Loki's `config.yaml` into a Secret). Nothing of
    ///   a Secret is ever shown: a finding names the Secret, the key and the setting's path in
    ///   the configuration, never its value or the retention it gives.
    /// - **ECK `StackConfigPolicy`** (`stackconfigpolicy.k8s.elastic.co`): every ILM policy in
    ///   `spec.elasticsearch.indexLifecyclePolicies`, read as above.
    /// - **OpenSearch operator `OpenSearchISMPolicy`** (`opensearch.opster.io`, or
    ///   `opensearch.org` in newer releases): `spec.states`, the CRD's camelCase spelling of an
    ///   ISM policy (`transitions[].stateName`, `conditions.minIndexAge`).
    ///
    /// Durations are read in each tool's syntax (Loki: `744h`, `90d`, `1y2w`; Elasticsearch and
    /// OpenSearch: `30d`, `12h`, without weeks or years). An object fails when any retention
    /// it sets is under 365 days, passes when all are at least 365 days, and is not assessed
    /// when a value cannot be read (Loki retention enabled without an explicit
    /// `retention_period` is not assessed too: its default differs between Loki versions).
    /// When nothing in the input sets a retention, the check is not assessed: the logs go to a
    /// destination outside the input, whose retention must be confirmed there (the log
    /// shippers' outputs found in ConfigMaps are named).
    ///
    /// ## Why PCI DSS cares
    /// 10.5.1 asks that audit log history is kept for at least 12 months, with at least the
    /// most recent three months immediately available for analysis. An investigation of a
    /// breach found months after it started needs the logs of the whole period; a destination
    /// that deletes them after 30 days (a common default) leaves nothing to investigate.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: loki, namespace: logging}
    /// data:
    ///   config.yaml: |
    ///     compactor:
    ///       retention_enabled: true
    ///     limits_config:
    ///       retention_period: 744h
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: loki, namespace: logging}
    /// data:
    ///   config.yaml: |
    ///     compactor:
    ///       retention_enabled: true
    ///     limits_config:
    ///       retention_period: 400d
    /// ```
    ///
    /// ## Fix
    /// Set the destination's retention to at least 12 months (Loki `retention_period: 8760h`
    /// or more, per-stream and per-tenant periods included; the ILM `delete` phase `min_age`
    /// or ISM `min_index_age` to `365d` or more; logrotate `rotate 365` with `daily`), or
    /// archive the logs to storage that keeps them that long and say so in the exception.
    /// Keep at least the last three months searchable.
    pub LOG_RETENTION {
        id: "LOG-003",
        name: "audit-log-retention",
        severity: Medium,
        applies: All,
        reads: [ConfigMap, DaemonSet, OpenSearchISMPolicy, Secret, StackConfigPolicy],
        requirements: [("10.5.1", "10.5.1.b", "the retention configured at the log destination is how long the audit log history is kept")],
        run: run,
    }
}

/// 12 months and 3 months, in seconds.
const YEAR: u64 = 365 * DAY;
const QUARTER: u64 = 90 * DAY;
const DAY: u64 = 86_400;

/// How long a destination keeps logs, as one of its settings says.
#[derive(Debug, PartialEq)]
enum Kept {
    /// Nothing is deleted; the reason says why.
    Forever(String),
    /// Deleted after this many seconds.
    For(u64),
    /// The setting cannot be read; the reason says why.
    Unreadable(String),
}

/// One retention setting: the tool, where it is set (a path in the ConfigMap) and its value.
#[derive(Debug)]
struct Setting {
    tool: &'static str,
    at: String,
    value: String,
    kept: Kept,
}

/// Whether a setting's value may be shown: not when it comes from a Secret.
#[derive(Clone, Copy, PartialEq)]
enum Shown {
    Values,
    PathsOnly,
}

fn run(cx: &Context, e: &mut Emitter) {
    let inv = cx.inv;
    let mut any = false;
    let mut outputs = Vec::new();
    let mut judged = |e: &mut Emitter, i: usize, settings: Vec<Setting>, shown: Shown| {
        if settings.is_empty() || !e.sees(i) {
            return;
        }
        any = true;
        judge(e, i, &settings, shown);
    };
    for &i in inv.indices_of_kind("ConfigMap") {
        let Resource::ConfigMap(cm) = &inv.objects[i].resource else { continue };
        let data = cm.data.iter().flatten();
        let settings: Vec<Setting> = data.clone().flat_map(|(key, value)| settings_in(key, value)).collect();
        outputs.extend(data.flat_map(|(_, value)| shipper_outputs(value)));
        judged(e, i, settings, Shown::Values);
    }
    for &i in inv.indices_of_kind("Secret") {
        let Resource::Secret(secret) = &inv.objects[i].resource else { continue };
        let data = secret.data.iter().flatten().map(|(k, v)| (format!("data[{k}]"), v.0.as_slice()));
        let string_data = secret.string_data.iter().flatten().map(|(k, v)| (format!("stringData[{k}]"), v.as_bytes()));
        // Binary entries (keys, certificates) are not configurations.
        let settings: Vec<Setting> = data.chain(string_data).filter_map(|(field, bytes)| Some((field, std::str::from_utf8(bytes).ok()?))).flat_map(|(field, text)| settings_at(&field, text)).collect();
        judged(e, i, settings, Shown::PathsOnly);
    }
    for &i in inv.indices_of_kind("StackConfigPolicy") {
        let Resource::Generic(g) = &inv.objects[i].resource else { continue };
        if !g.api_version.starts_with("stackconfigpolicy.k8s.elastic.co/") {
            continue;
        }
        let policies = g.body.get("spec").and_then(|s| s.pointer("/elasticsearch/indexLifecyclePolicies")).and_then(Value::as_object);
        let settings: Vec<Setting> = policies.into_iter().flatten().flat_map(|(name, policy)| search_policy(policy, &|p| format!("spec.elasticsearch.indexLifecyclePolicies.{name}.{p}"))).collect();
        judged(e, i, settings, Shown::Values);
    }
    for &i in inv.indices_of_kind("OpenSearchISMPolicy") {
        let Resource::Generic(g) = &inv.objects[i].resource else { continue };
        if !(g.api_version.starts_with("opensearch.opster.io/") || g.api_version.starts_with("opensearch.org/")) {
            continue;
        }
        let Some(states) = g.body.get("spec").and_then(|s| s.get("states")).and_then(Value::as_array) else { continue };
        judged(e, i, ism(states, &|p| format!("spec.{p}")), Shown::Values);
    }
    if !any {
        outputs.sort();
        outputs.dedup();
        let shippers: Vec<String> = shippers(cx).into_iter().map(|s| format!("DaemonSet {}", s.name)).collect();
        let reason = match (outputs.is_empty(), shippers.is_empty()) {
            (false, _) => format!("no log destination retention in the input: confirm the retention of {} outside the cluster", outputs.join(", ")),
            (true, false) => format!("no log destination retention in the input: confirm the retention of the destination of {} outside the cluster", shippers.join(", ")),
            (true, true) => "no log destination (Loki, Elasticsearch/OpenSearch policy, logrotate; in ConfigMaps, Secrets, ECK StackConfigPolicy or OpenSearchISMPolicy) in the input: confirm the audit log retention where the logs are kept".to_string(),
        };
        e.not_assessed(None, reason);
    }
}

fn judge(e: &mut Emitter, index: usize, settings: &[Setting], shown: Shown) {
    let short: Vec<(&Setting, u64)> = settings.iter().filter_map(|s| if let Kept::For(secs) = s.kept { (secs < YEAR).then_some((s, secs)) } else { None }).collect();
    if !short.is_empty() {
        let parts: Vec<String> = match shown {
            Shown::Values => short.iter().map(|(s, secs)| format!("{} keeps logs {} ({}: {})", s.tool, days(*secs), s.at, s.value)).collect(),
            // A Secret's content stays unsaid, even the retention it gives: where, not what.
            Shown::PathsOnly => short.iter().map(|(s, _)| format!("{} retention set at {} (in the Secret; value not shown)", s.tool, s.at)).collect(),
        };
        let mut evidence: Vec<Evidence> = match shown {
            Shown::Values => short.iter().map(|(s, _)| Evidence::field(&s.at, &s.value)).collect(),
            Shown::PathsOnly => short.iter().map(|(s, _)| Evidence::path(&s.at)).collect(),
        };
        if short.iter().any(|(_, secs)| *secs < QUARTER) && shown == Shown::Values {
            evidence.push(Evidence::field("immediately available", "under the 3 months 10.5.1 asks to keep searchable"));
        }
        e.fail(index, format!("{}: under the 12 months 10.5.1 asks", parts.join("; ")), evidence);
        return;
    }
    if let Some(s) = settings.iter().find(|s| matches!(s.kept, Kept::Unreadable(_))) {
        let Kept::Unreadable(why) = &s.kept else { return };
        match shown {
            Shown::Values => e.not_assessed(Some(index), format!("{} retention at {} ({}): {why}", s.tool, s.at, s.value)),
            Shown::PathsOnly => e.not_assessed(Some(index), format!("{} retention at {} (in the Secret; value not shown): {why}", s.tool, s.at)),
        }
        return;
    }
    e.pass(index);
}

fn days(secs: u64) -> String {
    let d = secs / DAY;
    if d == 1 { "1 day".into() } else if secs < DAY { format!("{} hours", secs / 3600) } else { format!("{d} days") }
}

/// The retention settings in one ConfigMap entry, of whichever tool it configures.
fn settings_in(key: &str, value: &str) -> Vec<Setting> {
    settings_at(&format!("data[{key}]"), value)
}

/// The retention settings in the configuration text at `field` (`data[config.yaml]`).
fn settings_at(field: &str, value: &str) -> Vec<Setting> {
    let at = |path: &str| format!("{field}.{path}");
    let trimmed = value.trim_start();
    if trimmed.starts_with('{') {
        // Only policies are parsed: ConfigMaps often hold large JSON (dashboards).
        if !(value.contains("\"phases\"") || value.contains("\"states\"")) {
            return Vec::new();
        }
        return serde_json::from_str::<Value>(value).map(|v| search_policy(&v, &at)).unwrap_or_default();
    }
    if let Some(s) = logrotate(value, &at) {
        return vec![s];
    }
    if !(value.contains("retention") || value.contains("compactor") || value.contains("limits_config")) {
        return Vec::new();
    }
    match yaml_serde::from_str::<Value>(value) {
        Ok(v) => loki(&v, &at),
        Err(_) => Vec::new(),
    }
}

// ---- Loki ----

/// Loki's durations (Prometheus `model.Duration`): unit-suffixed integers, largest unit first.
const LOKI_UNITS: &[(&str, u64)] = &[("y", YEAR * 1000), ("w", 7 * DAY * 1000), ("d", DAY * 1000), ("h", 3_600_000), ("ms", 1), ("m", 60_000), ("s", 1000)];
/// Elasticsearch and OpenSearch time units (no weeks or years).
const ES_UNITS: &[(&str, u64)] = &[("d", DAY * 1000), ("h", 3_600_000), ("ms", 1), ("m", 60_000), ("s", 1000), ("micros", 0), ("nanos", 0)];

/// Seconds of a duration written as unit-suffixed integers (`1y2w`, `744h`, `30d`), or `0`.
fn parse_duration(text: &str, units: &[(&str, u64)]) -> Option<u64> {
    kubepci_base::time::unit_duration_millis(text, units).map(|millis| millis / 1000)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_true(v: Option<&Value>) -> bool {
    v.and_then(scalar).is_some_and(|s| s.eq_ignore_ascii_case("true"))
}

fn loki_period(value: &str) -> Kept {
    match parse_duration(value, LOKI_UNITS) {
        Some(0) => Kept::Forever("a period of 0 disables deletion".into()),
        Some(secs) => Kept::For(secs),
        None => Kept::Unreadable("not a Loki duration".into()),
    }
}

/// The periods of one `limits_config` or per-tenant override block.
fn loki_limits(limits: &Value, path: &str, out: &mut Vec<Setting>) {
    if let Some(v) = limits.get("retention_period") {
        let value = scalar(v).unwrap_or_else(|| v.to_string());
        out.push(Setting { tool: "Loki", at: format!("{path}.retention_period"), kept: loki_period(&value), value });
    }
    for (n, stream) in limits.get("retention_stream").and_then(Value::as_array).into_iter().flatten().enumerate() {
        if let Some(v) = stream.get("period") {
            let value = scalar(v).unwrap_or_else(|| v.to_string());
            let selector = stream.get("selector").and_then(scalar).unwrap_or_default();
            out.push(Setting { tool: "Loki", at: format!("{path}.retention_stream[{n}].period (selector {selector})"), kept: loki_period(&value), value });
        }
    }
}

fn loki(config: &Value, at: &dyn Fn(&str) -> String) -> Vec<Setting> {
    let mut out = Vec::new();
    // A runtime configuration file: per-tenant overrides, applied when retention is enabled.
    if let Some(tenants) = config.get("overrides").and_then(Value::as_object) {
        for (tenant, limits) in tenants {
            loki_limits(limits, &at(&format!("overrides.{tenant}")), &mut out);
        }
    }
    let is_main = ["limits_config", "compactor", "schema_config", "table_manager"].iter().any(|k| config.get(k).is_some());
    if !is_main {
        return out;
    }
    let compactor = is_true(config.pointer("/compactor/retention_enabled"));
    let table_manager = is_true(config.pointer("/table_manager/retention_deletes_enabled"));
    if compactor {
        let before = out.len();
        if let Some(limits) = config.get("limits_config") {
            loki_limits(limits, &at("limits_config"), &mut out);
        }
        if !out[before..].iter().any(|s| s.at.ends_with("limits_config.retention_period")) {
            out.push(Setting {
                tool: "Loki",
                at: at("limits_config.retention_period"),
                value: "(not set)".into(),
                kept: Kept::Unreadable("compactor.retention_enabled is true and the default period differs between Loki versions".into()),
            });
        }
    } else if table_manager {
        let value = config.pointer("/table_manager/retention_period").and_then(scalar).unwrap_or_else(|| "(not set)".into());
        out.push(Setting { tool: "Loki", at: at("table_manager.retention_period"), kept: loki_period(&value), value });
    } else {
        // Without either switch Loki deletes nothing, whatever periods are set.
        out.retain(|_| false);
        out.push(Setting { tool: "Loki", at: at("compactor.retention_enabled"), value: "not true".into(), kept: Kept::Forever("Loki deletes nothing".into()) });
    }
    out
}

// ---- Elasticsearch ILM and OpenSearch ISM ----

fn es_age(value: &str) -> Kept {
    match parse_duration(value, ES_UNITS) {
        Some(secs) => Kept::For(secs),
        None => Kept::Unreadable("not an Elasticsearch/OpenSearch time value".into()),
    }
}

/// A policy document, bare or wrapped in `policy` (as the APIs take and return it).
fn search_policy(doc: &Value, at: &dyn Fn(&str) -> String) -> Vec<Setting> {
    let (policy, prefix) = match doc.get("policy") {
        Some(p) => (p, "policy."),
        None => (doc, ""),
    };
    if let Some(delete) = policy.pointer("/phases/delete") {
        let value = delete.get("min_age").and_then(scalar).unwrap_or_else(|| "0ms".into());
        return vec![Setting { tool: "Elasticsearch ILM", at: at(&format!("{prefix}phases.delete.min_age")), kept: es_age(&value), value }];
    }
    if policy.get("phases").is_some() {
        return vec![Setting { tool: "Elasticsearch ILM", at: at(&format!("{prefix}phases")), value: "no delete phase".into(), kept: Kept::Forever("no delete phase".into()) }];
    }
    let Some(states) = policy.get("states").and_then(Value::as_array) else { return Vec::new() };
    ism(states, &|p| at(&format!("{prefix}{p}")))
}

/// ISM: the age at which a transition moves an index into a state that deletes it.
fn ism(states: &[Value], at: &dyn Fn(&str) -> String) -> Vec<Setting> {
    let deleting: Vec<&str> = states
        .iter()
        .filter(|s| s.get("actions").and_then(Value::as_array).is_some_and(|a| a.iter().any(|a| a.get("delete").is_some())))
        .filter_map(|s| s.get("name").and_then(Value::as_str))
        .collect();
    if deleting.is_empty() {
        return vec![Setting { tool: "OpenSearch ISM", at: at("states"), value: "no delete action".into(), kept: Kept::Forever("no state deletes".into()) }];
    }
    let mut out = Vec::new();
    for (n, state) in states.iter().enumerate() {
        for (t, tr) in state.get("transitions").and_then(Value::as_array).into_iter().flatten().enumerate() {
            // The policy's JSON spells `state_name`/`min_index_age`; the OpenSearch operator's
            // OpenSearchISMPolicy CRD `stateName`/`minIndexAge`.
            let camel = tr.get("state_name").is_none() && tr.get("stateName").is_some();
            let (state_name, min_age) = if camel { ("stateName", "minIndexAge") } else { ("state_name", "min_index_age") };
            if !tr.get(state_name).and_then(Value::as_str).is_some_and(|s| deleting.contains(&s)) {
                continue;
            }
            let path = at(&format!("states[{n}].transitions[{t}].conditions.{min_age}"));
            match tr.get("conditions").and_then(|c| c.get(min_age)).and_then(scalar) {
                Some(value) => out.push(Setting { tool: "OpenSearch ISM", at: path, kept: es_age(&value), value }),
                None => out.push(Setting { tool: "OpenSearch ISM", at: path, value: "(not set)".into(), kept: Kept::Unreadable("the transition into deletion is not by index age".into()) }),
            }
        }
    }
    out
}

// ---- logrotate ----

/// The shortest retention of a logrotate configuration: per block (a block inherits the
/// global directives), `rotate N` times the rotation period, or `maxage N` days.
fn logrotate(text: &str, at: &dyn Fn(&str) -> String) -> Option<Setting> {
    #[derive(Clone, Default)]
    struct Block {
        period: Option<u64>,
        rotate: Option<String>,
        maxage: Option<String>,
    }
    let mut global = Block::default();
    let mut blocks: Vec<(String, Block)> = Vec::new();
    let mut current: Option<(String, Block)> = None;
    for line in text.lines().map(str::trim) {
        if line.ends_with('{') {
            current = Some((line.trim_end_matches('{').trim().to_string(), global.clone()));
            continue;
        }
        if line == "}" {
            blocks.extend(current.take());
            continue;
        }
        let b = current.as_mut().map_or(&mut global, |(_, b)| b);
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("daily"), None) => b.period = Some(DAY),
            (Some("weekly"), _) => b.period = Some(7 * DAY),
            (Some("monthly"), None) => b.period = Some(30 * DAY),
            (Some("yearly"), None) => b.period = Some(YEAR),
            (Some("rotate"), Some(n)) => b.rotate = Some(n.to_string()),
            (Some("maxage"), Some(n)) => b.maxage = Some(n.to_string()),
            _ => {}
        }
    }
    if blocks.is_empty() {
        blocks.push(("(global)".into(), global));
    }
    let mut found = None::<Setting>;
    for (files, b) in &blocks {
        let mut candidates = Vec::new();
        if let Some(n) = &b.rotate {
            let kept = match (n.parse::<i64>(), b.period) {
                (Ok(n), _) if n < 0 => Kept::Forever("rotate -1 keeps every file".into()),
                (Ok(n), Some(p)) => Kept::For((n as u64).saturating_mul(p)),
                (Ok(_), None) => Kept::Unreadable("no daily/weekly/monthly/yearly period: rotation is by size or by run".into()),
                (Err(_), _) => Kept::Unreadable("not a number".into()),
            };
            candidates.push(Setting { tool: "logrotate", at: at(&format!("{files}: rotate")), value: n.clone(), kept });
        }
        if let Some(n) = &b.maxage {
            let kept = n.parse::<u64>().map_or_else(|_| Kept::Unreadable("not a number".into()), |d| Kept::For(d.saturating_mul(DAY)));
            candidates.push(Setting { tool: "logrotate", at: at(&format!("{files}: maxage")), value: n.clone(), kept });
        }
        for c in candidates {
            let shorter = match (&found, &c.kept) {
                (None, _) => true,
                (Some(f), Kept::For(s)) => !matches!(f.kept, Kept::For(fs) if fs <= *s),
                (Some(f), Kept::Unreadable(_)) => matches!(f.kept, Kept::Forever(_)),
                (Some(_), Kept::Forever(_)) => false,
            };
            if shorter {
                found = Some(c);
            }
        }
    }
    found
}

// ---- shipper outputs, to name the destination outside the cluster ----

/// The outputs a log shipper configuration sends to: Fluent Bit `[OUTPUT]` sections (`Name`,
/// `Host`) and Fluentd `<match>` blocks (`@type`, `host`).
fn shipper_outputs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut section = "";
    let mut current: Option<(String, String)> = None;
    let flush = |current: &mut Option<(String, String)>, out: &mut Vec<String>| {
        if let Some((kind, host)) = current.take().filter(|(k, _)| !k.is_empty() && k != "stdout" && k != "null") {
            out.push(if host.is_empty() { format!("the `{kind}` output") } else { format!("the `{kind}` output to {host}") });
        }
    };
    for line in text.lines().map(str::trim) {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with('[') || lower.starts_with("<match") || lower == "</match>" {
            flush(&mut current, &mut out);
            section = if lower == "[output]" || lower.starts_with("<match") { "output" } else { "" };
            if section == "output" {
                current = Some(Default::default());
            }
            continue;
        }
        let Some((k, v)) = line.split_once(|c: char| c.is_whitespace() || c == ':' || c == '=').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string())) else { continue };
        if let Some((kind, host)) = current.as_mut().filter(|_| section == "output") {
            match k.as_str() {
                "name" | "@type" => *kind = v,
                "host" | "endpoint" | "hosts" => *host = v,
                _ => {}
            }
        }
    }
    flush(&mut current, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;

    fn cm(key: &str, body: &str) -> String {
        let indented: String = body.lines().map(|l| format!("    {l}\n")).collect();
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: dest, namespace: logging}}\ndata:\n  {key}: |\n{indented}")
    }

    /// (fails, passes, not assessed) of the check on one ConfigMap entry.
    fn outcome(key: &str, body: &str) -> (usize, usize, usize) {
        let out = run(&LOG_RETENTION, &cm(key, body), "");
        (out.fails.len(), out.passed, out.not_assessed.len())
    }

    #[test]
    fn durations_in_each_syntax() {
        assert_eq!(parse_duration("744h", LOKI_UNITS), Some(31 * DAY));
        assert_eq!(parse_duration("1y2w", LOKI_UNITS), Some(YEAR + 14 * DAY));
        assert_eq!(parse_duration("90d", LOKI_UNITS), Some(90 * DAY));
        assert_eq!(parse_duration("1h30m", LOKI_UNITS), Some(5400));
        assert_eq!(parse_duration("0", LOKI_UNITS), Some(0));
        assert_eq!(parse_duration("30d", ES_UNITS), Some(30 * DAY));
        assert_eq!(parse_duration("1y", ES_UNITS), None);
        for odd in ["", "d", "12", "1.5h", "-3d", "99999999999999999999d", "3 days", "1x"] {
            assert_eq!(parse_duration(odd, LOKI_UNITS), None, "{odd}");
        }
    }

    #[test]
    fn loki_retention() {
        let loki = |enabled: &str, limits: &str| format!("compactor:\n  retention_enabled: {enabled}\nlimits_config:\n{limits}");
        assert_eq!(outcome("config.yaml", &loki("true", "  retention_period: 30d\n")), (1, 0, 0));
        assert_eq!(outcome("config.yaml", &loki("true", "  retention_period: 1y\n")), (0, 1, 0));
        assert_eq!(outcome("config.yaml", &loki("true", "  retention_period: 0s\n")), (0, 1, 0));
        // Not enabled: nothing is deleted, whatever the period.
        assert_eq!(outcome("config.yaml", &loki("false", "  retention_period: 30d\n")), (0, 1, 0));
        // A stream rule shorter than a year may apply to the audit logs.
        let streams = "  retention_period: 400d\n  retention_stream:\n  - selector: '{namespace=\"dev\"}'\n    period: 24h\n";
        assert_eq!(outcome("config.yaml", &loki("true", streams)), (1, 0, 0));
        assert_eq!(outcome("config.yaml", &loki("true", "  retention_period: forever\n")), (0, 0, 1));
        assert_eq!(outcome("config.yaml", &loki("true", "  max_query_length: 721h\n")), (0, 0, 1));
        let tm = "table_manager:\n  retention_deletes_enabled: true\n  retention_period: 168h\n";
        assert_eq!(outcome("loki.yaml", tm), (1, 0, 0));
    }

    #[test]
    fn loki_per_tenant_overrides() {
        let runtime = "overrides:\n  tenant-a:\n    retention_period: 2160h\n  tenant-b:\n    retention_period: 9000h\n";
        let out = run(&LOG_RETENTION, &cm("runtime.yaml", runtime), "");
        assert_eq!(out.fails.len(), 1);
        assert!(out.fails[0].message.contains("overrides.tenant-a.retention_period: 2160h"), "{}", out.fails[0].message);
        assert!(out.fails[0].message.contains("90 days"), "{}", out.fails[0].message);
    }

    #[test]
    fn the_message_names_the_value_and_where_it_is_set() {
        let out = run(&LOG_RETENTION, &cm("config.yaml", "compactor:\n  retention_enabled: true\nlimits_config:\n  retention_period: 744h\n"), "");
        assert_eq!(out.fails[0].message, "Loki keeps logs 31 days (data[config.yaml].limits_config.retention_period: 744h): under the 12 months 10.5.1 asks");
        assert!(out.fails[0].evidence.iter().any(|e| e.path == "immediately available"));
    }

    #[test]
    fn ilm_and_ism_policies() {
        let ilm = |age: &str| format!(r#"{{"policy": {{"phases": {{"hot": {{"actions": {{"rollover": {{"max_age": "1d"}}}}}}, "delete": {{"min_age": "{age}", "actions": {{"delete": {{}}}}}}}}}}}}"#);
        assert_eq!(outcome("audit-ilm.json", &ilm("30d")), (1, 0, 0));
        assert_eq!(outcome("audit-ilm.json", &ilm("400d")), (0, 1, 0));
        assert_eq!(outcome("audit-ilm.json", &ilm("1y")), (0, 0, 1));
        assert_eq!(outcome("audit-ilm.json", r#"{"phases": {"hot": {"actions": {}}}}"#), (0, 1, 0));
        let ism = |age: &str| format!(r#"{{"policy": {{"default_state": "hot", "states": [{{"name": "hot", "actions": [], "transitions": [{{"state_name": "delete", "conditions": {{"min_index_age": "{age}"}}}}]}}, {{"name": "delete", "actions": [{{"delete": {{}}}}], "transitions": []}}]}}}}"#);
        assert_eq!(outcome("ism.json", &ism("60d")), (1, 0, 0));
        assert_eq!(outcome("ism.json", &ism("366d")), (0, 1, 0));
        assert_eq!(outcome("ism.json", "{not json"), (0, 0, 1));
    }

    /// A Secret holding `body` under `key`, in `data` (base64) or `stringData`.
    fn secret(key: &str, body: &str, base64: bool) -> String {
        use base64::Engine;
        let entry = if base64 {
            format!("data:\n  {key}: {}\n", base64::engine::general_purpose::STANDARD.encode(body))
        } else {
            let indented: String = body.lines().map(|l| format!("    {l}\n")).collect();
            format!("stringData:\n  {key}: |\n{indented}")
        };
        format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: loki, namespace: logging}}\n{entry}")
    }

    #[test]
    fn loki_config_in_a_secret_is_judged_without_showing_it() {
        let config = |period: &str| format!("auth_enabled: false\ncompactor:\n  retention_enabled: true\nlimits_config:\n  retention_period: {period}\n");
        for base64 in [true, false] {
            let out = run(&LOG_RETENTION, &secret("config.yaml", &config("744h"), base64), "");
            assert_eq!((out.fails.len(), out.passed), (1, 0), "base64 {base64}");
            let fail = &out.fails[0];
            let field = if base64 { "data[config.yaml]" } else { "stringData[config.yaml]" };
            assert!(fail.message.contains(&format!("{field}.limits_config.retention_period")), "{}", fail.message);
            // Neither the value nor what it gives is printed, in the message or the evidence.
            let shown = format!("{} {:?}", fail.message, fail.evidence);
            assert!(!shown.contains("744") && !shown.contains("31 days"), "{shown}");
            assert!(fail.evidence.iter().all(|e| e.value.is_none()), "{:?}", fail.evidence);
            let out = run(&LOG_RETENTION, &secret("config.yaml", &config("400d"), base64), "");
            assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 1, 0));
        }
        let out = run(&LOG_RETENTION, &secret("config.yaml", &config("forever"), false), "");
        assert_eq!(out.not_assessed.len(), 1);
        assert!(!out.not_assessed[0].message.contains("forever"), "{}", out.not_assessed[0].message);
        // Credentials and binary entries are not configurations: nothing set, nothing said.
        let out = run(&LOG_RETENTION, &secret("password", "hunter2-retention", false), "");
        assert_eq!((out.fails.len(), out.passed), (0, 0));
        assert!(!out.not_assessed[0].message.contains("hunter2"));
        let binary = "apiVersion: v1\nkind: Secret\nmetadata: {name: key, namespace: logging}\ndata: {key.der: /w==}\n";
        assert_eq!(run(&LOG_RETENTION, binary, "").fails.len(), 0);
    }

    #[test]
    fn eck_stack_config_policy() {
        let policy = |age: &str| {
            format!(
                "apiVersion: stackconfigpolicy.k8s.elastic.co/v1alpha1\nkind: StackConfigPolicy\nmetadata: {{name: logs, namespace: elastic}}\nspec:\n  resourceSelector: {{matchLabels: {{env: prod}}}}\n  elasticsearch:\n    indexLifecyclePolicies:\n      audit-logs:\n        phases:\n          hot: {{actions: {{rollover: {{max_age: 1d}}}}}}\n          delete: {{min_age: {age}, actions: {{delete: {{}}}}}}\n"
            )
        };
        let out = run(&LOG_RETENTION, &policy("30d"), "");
        assert_eq!(out.fails.len(), 1);
        assert!(out.fails[0].message.contains("spec.elasticsearch.indexLifecyclePolicies.audit-logs.phases.delete.min_age: 30d"), "{}", out.fails[0].message);
        let out = run(&LOG_RETENTION, &policy("400d"), "");
        assert_eq!((out.fails.len(), out.passed), (0, 1));
        // Another group's kind of the same name is not ECK's.
        let other = policy("30d").replace("stackconfigpolicy.k8s.elastic.co/v1alpha1", "example.com/v1");
        assert_eq!(run(&LOG_RETENTION, &other, "").fails.len(), 0);
    }

    #[test]
    fn opensearch_operator_ism_policy() {
        let policy = |group: &str, age: &str| {
            format!(
                "apiVersion: {group}/v1\nkind: OpenSearchISMPolicy\nmetadata: {{name: audit, namespace: logging}}\nspec:\n  opensearchCluster: {{name: logs}}\n  policyId: audit\n  defaultState: hot\n  states:\n    - name: hot\n      actions: [{{rollover: {{minIndexAge: 1d}}}}]\n      transitions: [{{stateName: delete, conditions: {{minIndexAge: {age}}}}}]\n    - name: delete\n      actions: [{{delete: {{}}}}]\n"
            )
        };
        for group in ["opensearch.opster.io", "opensearch.org"] {
            let out = run(&LOG_RETENTION, &policy(group, "60d"), "");
            assert_eq!(out.fails.len(), 1, "{group}");
            assert!(out.fails[0].message.contains("spec.states[0].transitions[0].conditions.minIndexAge: 60d"), "{}", out.fails[0].message);
            assert_eq!(run(&LOG_RETENTION, &policy(group, "366d"), "").passed, 1, "{group}");
        }
    }

    #[test]
    fn logrotate_rotations() {
        assert_eq!(outcome("logrotate.conf", "/var/log/audit/*.log {\n  daily\n  rotate 30\n}\n"), (1, 0, 0));
        assert_eq!(outcome("logrotate.conf", "weekly\n/var/log/audit/*.log {\n  rotate 53\n}\n"), (0, 1, 0));
        assert_eq!(outcome("logrotate.conf", "/var/log/audit/*.log {\n  daily\n  rotate 400\n  maxage 100\n}\n"), (1, 0, 0));
        assert_eq!(outcome("logrotate.conf", "/var/log/audit/*.log {\n  size 100M\n  rotate 5\n}\n"), (0, 0, 1));
    }

    #[test]
    fn without_a_destination_the_outputs_are_named() {
        let fluent_bit = "[SERVICE]\n    Flush 1\n[OUTPUT]\n    Name  es\n    Match *\n    Host  logs.example.com\n";
        let out = run(&LOG_RETENTION, &cm("fluent-bit.conf", fluent_bit), "");
        assert_eq!((out.fails.len(), out.passed), (0, 0));
        assert_eq!(out.not_assessed.len(), 1);
        assert!(out.not_assessed[0].message.contains("confirm the retention of the `es` output to logs.example.com outside the cluster"), "{}", out.not_assessed[0].message);
        let fluentd = "<match **>\n  @type splunk_hec\n  host splunk.example.com\n</match>\n";
        assert_eq!(shipper_outputs(fluentd), vec!["the `splunk_hec` output to splunk.example.com".to_string()]);
        let out = run(&LOG_RETENTION, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: app}\ndata: {a: b}\n", "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (0, 0, 1));
        let shipper = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: fluent-bit, namespace: logging}\nspec:\n  selector: {matchLabels: {app: fb}}\n  template:\n    metadata: {labels: {app: fb}}\n    spec:\n      containers: [{name: fb, image: \"cr.fluentbit.io/fluent/fluent-bit:3.1.9\"}]\n";
        let out = run(&LOG_RETENTION, shipper, "");
        assert!(out.not_assessed[0].message.contains("the destination of DaemonSet logging/fluent-bit outside the cluster"), "{}", out.not_assessed[0].message);
    }
}
