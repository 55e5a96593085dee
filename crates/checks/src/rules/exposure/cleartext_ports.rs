use kubepci_findings::Evidence;

use crate::support::each::{Problem, Verdict, container_label, each_container, each_of_kind};
use crate::support::exposure::service_spec;
use crate::{Context, Emitter, declare_check};

/// TCP ports of cleartext or legacy remote-access protocols. Plain HTTP (80, 8080) is not
/// listed: inside the cluster it is commonly wrapped by mesh mTLS that manifests do not show,
/// and HTTP entering from outside is judged by EXP-004.
const INSECURE_TCP: &[(i32, &str)] = &[
    (21, "FTP"),
    (23, "Telnet"),
    (110, "POP3"),
    (143, "IMAP"),
    (512, "rexec"),
    (513, "rlogin"),
    (514, "rsh"),
    (5900, "VNC"),
];

/// UDP ports of cleartext protocols.
const INSECURE_UDP: &[(i32, &str)] = &[(69, "TFTP")];

declare_check! {
    /// In-scope workloads must not offer cleartext legacy protocols
    ///
    /// ## What it checks
    /// The ports of every Service in an in-scope namespace (`port` and numeric `targetPort`)
    /// and the `containerPort`s of every in-scope workload, against the ports of cleartext
    /// and legacy remote-access protocols: TCP 21 (FTP), 23 (Telnet), 110 (POP3), 143 (IMAP),
    /// 512-514 (rexec, rlogin, rsh), 5900 (VNC) and UDP 69 (TFTP). Plain HTTP is left to
    /// EXP-004 (Ingress TLS), since in-cluster HTTP is often wrapped by mesh mTLS.
    ///
    /// ## Why PCI DSS cares
    /// These protocols send credentials and data in clear text. Insecure protocols in use need
    /// defined security features that mitigate the risk (1.2.6), and an insecure service that
    /// remains needs a documented business justification (2.2.5). The check finds them; a
    /// justified one is recorded as an exception with its approver, which is the documentation
    /// the assessor examines.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: batch-upload, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: ftp
    ///     image: registry.example.com/pay/ftpd:3.0
    ///     ports: [{containerPort: 21}]
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: payments
    ///   labels: {pci.kubepci.io/scope: cde}
    /// ---
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: batch-upload, namespace: payments}
    /// spec:
    ///   containers:
    ///   - name: sftp
    ///     image: registry.example.com/pay/sftpd:3.0
    ///     ports: [{containerPort: 22}]
    /// ```
    ///
    /// ## Fix
    /// Replace the protocol with an encrypted one (SFTP/FTPS, SSH, IMAPS/POP3S, VNC over
    /// TLS or SSH); if it must stay, restrict it with NetworkPolicies and document the
    /// business need and compensating controls.
    pub CLEARTEXT_PORTS {
        id: "EXP-005",
        name: "cleartext-protocol-port",
        severity: Medium,
        applies: InScope,
        reads: [workloads, Namespace, Service],
        requirements: [
            ("1.2.6", "1.2.6.a", "the finding lists each insecure protocol in use, for which security features must be defined; an exception records them"),
            ("2.2.5", "2.2.5.a", "each insecure service present needs a documented business justification; an exception records it"),
        ],
        run: run,
    }
}

/// The cleartext protocol usually served on this port, if any.
fn insecure_protocol(port: i32, protocol: Option<&str>) -> Option<&'static str> {
    let table = if protocol.unwrap_or("TCP").eq_ignore_ascii_case("UDP") { INSECURE_UDP } else { INSECURE_TCP };
    table.iter().find(|(p, _)| *p == port).map(|(_, name)| *name)
}

fn run(_cx: &Context, e: &mut Emitter) {
    use kubepci_model::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    each_of_kind(e, "Service", |_, _, o| {
        let ports = service_spec(o).and_then(|s| s.ports.as_deref()).unwrap_or_default();
        Verdict::from_problems(ports.iter().enumerate().flat_map(|(i, p)| {
            let target = match &p.target_port {
                Some(IntOrString::Int(t)) => Some(("targetPort", *t)),
                _ => None,
            };
            std::iter::once(("port", p.port)).chain(target).filter_map(move |(field, n)| {
                insecure_protocol(n, p.protocol.as_deref()).map(|name| Problem::new(format!("Service {field} {n} ({name})"), Evidence::field(format!("spec.ports[{i}].{field}"), n.to_string())))
            })
        }))
    });
    each_container(e, |_, c| {
        c.container.ports.iter().flatten().enumerate().filter_map(|(i, p)| {
            let name = insecure_protocol(p.container_port, p.protocol.as_deref())?;
            let evidence = Evidence::field(format!("{}.ports[{i}].containerPort", c.path), p.container_port.to_string());
            Some(Problem::new(format!("{} listens on {} ({name})", container_label(c), p.container_port), evidence))
        }).collect::<Vec<_>>()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_are_per_transport() {
        assert_eq!(insecure_protocol(23, None), Some("Telnet"));
        assert_eq!(insecure_protocol(69, Some("UDP")), Some("TFTP"));
        assert_eq!(insecure_protocol(69, Some("TCP")), None);
        assert_eq!(insecure_protocol(514, Some("UDP")), None);
        assert_eq!(insecure_protocol(443, None), None);
    }
}
