//! Controls on sharing the node: host namespaces, hostPath volumes, host ports, probe and
//! lifecycle hooks aimed at other hosts, and Windows HostProcess containers.

use std::collections::BTreeSet;

use kubepci_base::text::noun;

use super::Finding;
use crate::pod::{Pod, containers_phrase, join_quote};

/// `hostNamespaces` (baseline, v1.0+): `hostNetwork`, `hostPID` and `hostIPC` must be unset or
/// false.
pub(crate) fn host_namespaces(pod: &Pod<'_>) -> Option<Finding> {
    let spec = pod.spec;
    let mut set = Vec::new();
    let mut fields = Vec::new();
    for (name, value) in [("hostNetwork", spec.host_network), ("hostPID", spec.host_pid), ("hostIPC", spec.host_ipc)] {
        if value == Some(true) {
            set.push(format!("{name}=true"));
            fields.push(pod.spec_field(name));
        }
    }
    (!set.is_empty()).then(|| Finding { summary: "host namespaces".into(), detail: set.join(", "), fields })
}

/// `hostPathVolumes` (baseline, v1.0+): no `hostPath` volumes.
pub(crate) fn host_path_volumes(pod: &Pod<'_>) -> Option<Finding> {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for (i, v) in pod.spec.volumes.iter().flatten().enumerate() {
        if v.host_path.is_some() {
            names.push(v.name.as_str());
            fields.push(pod.spec_field(&format!("volumes[{i}].hostPath")));
        }
    }
    (!names.is_empty()).then(|| Finding {
        summary: "hostPath volumes".into(),
        detail: format!("{} {}", noun(names.len(), "volume", "volumes"), join_quote(&names)),
        fields,
    })
}

/// `hostPorts` (baseline, v1.0+): every container port's `hostPort` must be unset or 0.
pub(crate) fn host_ports(pod: &Pod<'_>) -> Option<Finding> {
    let mut containers = Vec::new();
    let mut ports = Vec::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        let mut bad = false;
        for (i, p) in c.ports.iter().enumerate() {
            if let Some(hp) = p.host_port.filter(|hp| *hp != 0) {
                bad = true;
                ports.push(hp.to_string());
                fields.push(c.field(&format!("ports[{i}].hostPort")));
            }
        }
        if bad {
            containers.push(c.name);
        }
    }
    (!containers.is_empty()).then(|| Finding {
        summary: "hostPort".into(),
        detail: format!(
            "{} {} {} {}",
            containers_phrase(&containers),
            noun(containers.len(), "uses", "use"),
            noun(ports.len(), "hostPort", "hostPorts"),
            ports.join(", ")
        ),
        fields,
    })
}

/// `hostProbesAndHostLifecycle` (baseline, v1.34+): probes (`httpGet`, `tcpSocket`) and
/// lifecycle handlers (`postStart`, `preStop`) must not set `host`, which would aim the
/// kubelet at an arbitrary address.
pub(crate) fn probe_and_lifecycle_hosts(pod: &Pod<'_>) -> Option<Finding> {
    let mut containers = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut fields = Vec::new();
    for c in pod.containers() {
        let probes = ["livenessProbe", "readinessProbe", "startupProbe"].into_iter().zip(c.probes);
        let mut handlers: Vec<(String, Option<&str>, Option<&str>)> = probes
            .filter_map(|(name, p)| p.map(|p| (name, p)))
            .map(|(name, p)| {
                let http = p.http_get.as_ref().and_then(|h| h.host.as_deref());
                let tcp = p.tcp_socket.as_ref().and_then(|t| t.host.as_deref());
                (name.to_string(), http, tcp)
            })
            .collect();
        if let Some(lc) = c.lifecycle {
            for (name, h) in [("lifecycle.postStart", lc.post_start.as_ref()), ("lifecycle.preStop", lc.pre_stop.as_ref())] {
                if let Some(h) = h {
                    let http = h.http_get.as_ref().and_then(|g| g.host.as_deref());
                    let tcp = h.tcp_socket.as_ref().and_then(|t| t.host.as_deref());
                    handlers.push((name.to_string(), http, tcp));
                }
            }
        }
        for (name, http, tcp) in handlers {
            for (kind, host) in [("httpGet", http), ("tcpSocket", tcp)] {
                if let Some(host) = host.filter(|h| !h.is_empty()) {
                    containers.insert(c.name);
                    hosts.insert(host);
                    fields.push(c.field(&format!("{name}.{kind}.host")));
                }
            }
        }
    }
    if containers.is_empty() {
        return None;
    }
    let containers: Vec<&str> = containers.into_iter().collect();
    let hosts: Vec<&str> = hosts.into_iter().collect();
    Some(Finding {
        summary: "probe or lifecycle host".into(),
        detail: format!(
            "{} {} {} {}",
            containers_phrase(&containers),
            noun(containers.len(), "uses", "use"),
            noun(hosts.len(), "probe or lifecycle host", "probe or lifecycle hosts"),
            join_quote(&hosts)
        ),
        fields,
    })
}

/// `windowsHostProcess` (baseline, v1.0+): neither the pod nor any container may set
/// `securityContext.windowsOptions.hostProcess=true`.
pub(crate) fn windows_host_process(pod: &Pod<'_>) -> Option<Finding> {
    let mut fields = Vec::new();
    let pod_level = pod
        .security_context()
        .and_then(|sc| sc.windows_options.as_ref())
        .and_then(|w| w.host_process)
        == Some(true);
    if pod_level {
        fields.push(pod.spec_field("securityContext.windowsOptions.hostProcess"));
    }
    let mut containers = Vec::new();
    for c in pod.containers() {
        if c.security_context.and_then(|sc| sc.windows_options.as_ref()).and_then(|w| w.host_process) == Some(true) {
            containers.push(c.name);
            fields.push(c.field("securityContext.windowsOptions.hostProcess"));
        }
    }
    let mut setters = Vec::new();
    if pod_level {
        setters.push("pod".to_string());
    }
    if !containers.is_empty() {
        setters.push(containers_phrase(&containers));
    }
    (!setters.is_empty()).then(|| Finding {
        summary: "hostProcess".into(),
        detail: format!("{} must not set securityContext.windowsOptions.hostProcess=true", setters.join(" and ")),
        fields,
    })
}
