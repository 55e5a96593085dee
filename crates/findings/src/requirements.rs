//! The PCI DSS v4.0.1 requirement numbers kubepci reports on, with a one-line gist of each in
//! our own words and whether cluster data can settle it. Numbers no check covers are reported
//! as "manual" so an assessor sees the whole list, not only what the tool could decide.

/// Whether cluster data settles a requirement: [`Decidable::Yes`] with the reason, when the
/// checks mapped to it together decide its configuration testing procedure for everything the
/// requirement covers; [`Decidable::No`] otherwise. Process requirements (reviews, documents,
/// people) and requirements that cover every system component (nodes, applications and their
/// data stores included, which kubepci does not read) are never decidable: passing checks are
/// partial evidence and the roll-up says "partial", never "pass".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decidable {
    Yes(&'static str),
    No,
}

use Decidable::{No, Yes};

/// (number, gist, decidable). Ordered as in the standard.
pub const REQUIREMENTS: &[(&str, &str, Decidable)] = &[
    ("1.2.1", "Network security control rule sets follow defined, maintained standards", No),
    ("1.2.2", "Changes to network connections and controls go through change control", No),
    ("1.2.3", "A current diagram shows every connection into and out of the CDE", No),
    ("1.2.4", "A current diagram shows how account data flows", No),
    ("1.2.5", "Every allowed service, protocol and port is identified, approved and needed", No),
    ("1.2.6", "Insecure services, protocols and ports in use have compensating protections", No),
    ("1.2.7", "Network security control configurations are reviewed at least every six months", No),
    ("1.2.8", "Network security control configuration files are protected and consistent", No),
    ("1.3.1", "Inbound traffic to the CDE is limited to what is necessary; all else is denied", Yes("every allowed path into each CDE workload is computed from the network policies and compared with the approved flows, with a default deny, an enforcing network plugin and no host-network bypass required: that settles 1.3.1.b for the CDE workloads in the cluster (the standard of 1.3.1.a is a document)")),
    // Not decidable: outbound flows are not compared with approved destinations (up to a /8 of unapproved external space passes NET-005, in-cluster destinations are not judged).
    ("1.3.2", "Outbound traffic from the CDE is limited to what is necessary; all else is denied", No),
    // Not decidable: the controls between trusted and untrusted networks are mostly outside the cluster (perimeter firewalls, cloud networks).
    ("1.4.1", "Controls sit between trusted and untrusted networks", No),
    // Not decidable: which components are authorized to be public is not known for every entry point (Ingress routes are not judged).
    ("1.4.2", "Inbound traffic from untrusted networks reaches only components meant to be public", No),
    ("1.4.3", "Spoofed source addresses are detected and blocked", No),
    // Not decidable: externalIPs are judged for every Service rather than per CDE workload, and routing of pod addresses outside the cluster is not visible.
    ("1.4.4", "Components storing cardholder data are not directly reachable from untrusted networks", No),
    ("1.5.1", "Devices that connect to both untrusted networks and the CDE are controlled", No),
    // Not decidable: the configuration standards themselves, and node operating systems, are outside cluster data.
    ("2.2.1", "Configuration (hardening) standards cover all components and are applied", No),
    ("2.2.2", "Vendor default accounts are removed, disabled or re-credentialed", No),
    // Not decidable: sharing of nodes by workloads of different security levels is only partly judged.
    ("2.2.3", "Functions of different security levels on one system are isolated", No),
    ("2.2.4", "Only necessary services, protocols and functions are enabled", No),
    ("2.2.5", "Insecure services that remain are justified and secured", No),
    // Not decidable: security parameters of node operating systems, and the entity's own standard, are outside cluster data.
    ("2.2.6", "System security parameters are set to prevent misuse", No),
    // Not decidable: SSH to nodes and administrative web UIs are not judged.
    ("2.2.7", "Non-console administrative access is encrypted with strong cryptography", No),
    ("3.2.1", "Account data is kept only as long as justified", No),
    ("3.3.1", "Sensitive authentication data is not retained after authorization", No),
    ("3.3.1.1", "The full contents of a magnetic-stripe or chip track are not kept after authorization", No),
    ("3.3.1.2", "The card verification code is not kept after authorization", No),
    ("3.3.1.3", "The PIN and the PIN block are not kept after authorization", No),
    ("3.3.2", "Sensitive authentication data stored before authorization is encrypted", No),
    ("3.4.1", "PAN is masked when displayed", No),
    ("3.5.1", "PAN is rendered unreadable anywhere it is stored", No),
    ("3.5.1.2", "Disk-level encryption alone is used only for removable media or with other protection", No),
    ("3.6.1", "Keys protecting stored account data are protected", No),
    ("3.6.1.2", "Secret and private keys protecting stored account data are kept only in protected forms", No),
    ("3.6.1.3", "Cleartext key components are accessible to the fewest custodians necessary", No),
    ("3.7.4", "Keys are changed at the end of their cryptoperiod", No),
    // Not decidable: only Ingress TLS to CDE workloads is judged; other PAN transmissions and certificate trust are not.
    ("4.2.1", "Strong cryptography and trusted certificates protect PAN over open networks", No),
    ("4.2.1.1", "An inventory of trusted keys and certificates is kept", No),
    ("5.2.1", "Anti-malware is deployed on components at risk", No),
    ("5.2.2", "Anti-malware detects, removes or blocks known malware", No),
    ("5.3.1", "Anti-malware is kept current", No),
    ("5.3.2", "Anti-malware scans periodically or analyses continuously", No),
    ("5.3.4", "Anti-malware audit logs are enabled and retained", No),
    // Not decidable: no check looks at anti-malware.
    ("5.3.5", "Users cannot disable or alter anti-malware without authorization", No),
    ("6.3.1", "Security vulnerabilities are identified and risk-ranked", No),
    // Not decidable: an inventory of bespoke software and its components is not cluster data (image tags are not one).
    ("6.3.2", "An inventory of bespoke and third-party software components is kept", No),
    ("6.3.3", "Critical security patches are installed within one month of release", No),
    ("6.4.1", "Public-facing web applications are protected against known attacks", No),
    ("6.4.2", "An automated technical solution detects and prevents web attacks", No),
    ("6.5.1", "Changes to system components follow documented change control", No),
    ("6.5.2", "Applicable PCI DSS requirements are re-confirmed after significant change", No),
    // Not decidable: a pass only says no namespace looks like pre-production by name, label or annotation.
    ("6.5.3", "Pre-production environments are separated from production", No),
    ("6.5.4", "Roles and functions are separated between production and pre-production", No),
    ("6.5.5", "Live PANs are not used in pre-production environments", No),
    ("6.5.6", "Test data and test accounts are removed before a system goes live", No),
    ("7.2.1", "An access control model covers all system components", No),
    // Not decidable: job functions and the need behind each grant are known to the entity, not to the cluster.
    ("7.2.2", "Access is assigned by job function with least privilege", No),
    ("7.2.3", "Required privileges are approved by authorized personnel", No),
    ("7.2.4", "User accounts and access privileges are reviewed at least every six months", No),
    // Not decidable: what each application account needs is known to the entity, not to the cluster.
    ("7.2.5", "System and application accounts have least privilege", No),
    ("7.2.5.1", "Access by system and application accounts is reviewed periodically", No),
    ("7.2.6", "Access to query repositories of cardholder data is restricted", No),
    // Not decidable: covers all system components: node logins and applications have their own access control, and kubelet flags can override the configuration files read.
    ("7.3.1", "An access control system restricts access by need to know", No),
    // Not decidable: covers all system components: node logins and applications have their own access control, and kubelet flags can override the configuration files read.
    ("7.3.2", "The access control system enforces assigned privileges", No),
    // Not decidable: covers all system components: node logins and applications have their own access control, and kubelet flags can override the configuration files read.
    ("7.3.3", "The access control system is set to deny all by default", No),
    ("8.2.1", "Every user has a unique ID", No),
    ("8.2.2", "Shared, group or generic IDs are used only by documented exception", No),
    ("8.2.4", "Adding, changing and removing user IDs is authorized", No),
    ("8.2.5", "Access for terminated users is revoked immediately", No),
    ("8.2.6", "Inactive user accounts are removed or disabled within 90 days", No),
    ("8.2.8", "Idle sessions longer than 15 minutes require re-authentication", No),
    // Not decidable: access to applications, dashboards and nodes is not judged.
    ("8.3.1", "All user and administrator access is authenticated", No),
    // Not decidable: authentication factors kept by applications, identity providers and nodes are not judged.
    ("8.3.2", "Authentication factors are unreadable in transit and in storage", No),
    ("8.3.9", "Single-factor passwords are changed at least every 90 days or access is evaluated dynamically", No),
    ("8.4.1", "MFA is used for non-console administrative access to the CDE", No),
    ("8.4.2", "MFA is used for all access into the CDE", No),
    ("8.4.3", "MFA is used for remote network access", No),
    ("8.6.1", "Interactive login with system or application accounts is controlled", No),
    // Not decidable: scripts and source code in images and repositories are not cluster data.
    ("8.6.2", "Passwords of system and application accounts are not hard-coded", No),
    ("8.6.3", "Passwords of system and application accounts are protected and changed", No),
    // Not decidable: covers all system components: nodes, applications and databases keep their own audit logs.
    ("10.2.1", "Audit logs are enabled and active for all system components", No),
    // Not decidable: card data is read in applications and databases, whose logs are not cluster data; the API audit policy is checked on a sample of requests.
    ("10.2.1.1", "Audit logs capture all individual access to cardholder data", No),
    // Not decidable: the API audit policy is checked on a sample of administrative requests, and node logins are not seen.
    ("10.2.1.2", "Audit logs capture all actions by administrative accounts", No),
    // Not decidable: no check judges logging of access to audit logs.
    ("10.2.1.3", "Audit logs capture all access to audit logs", No),
    // Not decidable: no check judges logging of failed access attempts.
    ("10.2.1.4", "Audit logs capture invalid logical access attempts", No),
    // Not decidable: the API audit policy is checked on a sample of requests that change credentials.
    ("10.2.1.5", "Audit logs capture changes to identification and authentication credentials", No),
    // Not decidable: no check judges logging of audit log start and stop.
    ("10.2.1.6", "Audit logs capture initialization, stopping or pausing of audit logs", No),
    // Not decidable: the API audit policy is checked on a sample of object creations and deletions.
    ("10.2.1.7", "Audit logs capture creation and deletion of system-level objects", No),
    // Not decidable: no check judges the fields of audit events.
    ("10.2.2", "Audit log entries record who, what, when, where, origin and outcome", No),
    ("10.3.1", "Read access to audit logs is limited to a job-related need", No),
    ("10.3.2", "Audit log files are protected from modification", No),
    ("10.3.3", "Audit log files are promptly backed up to a central, hard-to-alter store", No),
    ("10.3.4", "File integrity monitoring or change detection protects audit logs", No),
    ("10.4.1", "Security events and critical component logs are reviewed at least daily", No),
    ("10.4.1.1", "Automated mechanisms perform audit log reviews", No),
    ("10.5.1", "Audit logs are kept 12 months, with three months immediately available", No),
    ("10.6.1", "System clocks are synchronized with time-synchronization technology", No),
    ("10.7.2", "Failures of critical security control systems are detected, alerted and addressed", No),
    ("11.3.1", "Internal vulnerability scans are performed at least quarterly", No),
    ("11.4.5", "Segmentation controls are tested at least annually and after changes", No),
    ("11.5.1", "Intrusion detection or prevention monitors traffic at the CDE perimeter and critical points", No),
    ("11.5.1.1", "Intrusion detection detects covert malware communication channels (service providers)", No),
    ("11.5.2", "A change-detection mechanism alerts on unauthorized changes to critical files", No),
    ("12.3.1", "Targeted risk analyses are documented and reviewed at least every 12 months", No),
    ("12.3.3", "Cryptographic cipher suites and protocols in use are documented and reviewed yearly", No),
    // Not decidable: a yearly review is a process, not cluster data.
    ("12.3.4", "Hardware and software technologies are reviewed for continued vendor support", No),
    ("12.5.1", "An inventory of in-scope system components is kept current", No),
    ("12.5.2", "PCI DSS scope is documented and confirmed at least yearly and after change", No),
    ("12.10.1", "An incident response plan exists and is ready to be activated", No),
    ("12.10.5", "The incident response plan covers alerts from security monitoring systems", No),
    ("12.10.7", "Incident response procedures cover PAN found where it is not expected", No),
    ("A3.2.5", "A data-discovery methodology confirms PAN locations and scope (DESV)", No),
];

/// The gist of a requirement number, when kubepci knows it.
pub fn gist(number: &str) -> Option<&'static str> {
    REQUIREMENTS.iter().find(|(n, _, _)| *n == number).map(|(_, g, _)| *g)
}

/// Whether cluster data can decide the requirement on its own (see [`Decidable`]).
pub fn decidable(number: &str) -> bool {
    decidable_reason(number).is_some()
}

/// Why cluster data decides the requirement, for the decidable ones.
pub fn decidable_reason(number: &str) -> Option<&'static str> {
    REQUIREMENTS.iter().find(|(n, _, _)| *n == number).and_then(|(_, _, d)| match d {
        Yes(reason) => Some(*reason),
        No => None,
    })
}

/// Order requirement numbers as the standard does (1.2.10 after 1.2.9; appendices last).
pub fn sort_key(number: &str) -> (u8, Vec<u32>) {
    let (appendix, rest) = match number.strip_prefix('A') {
        Some(r) => (1, r),
        None => (0, number),
    };
    (appendix, rest.split('.').map(|p| p.parse().unwrap_or(u32::MAX)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requirements whose testing procedures examine documents, reviews or people: cluster data
    /// never settles them.
    const PROCESS: &[&str] = &["1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.2.7", "6.3.1", "6.5.1", "6.5.2", "6.5.4", "7.2.1", "7.2.3", "7.2.4", "7.2.5.1", "8.2.4", "10.4.1", "10.4.1.1", "11.3.1", "11.4.5"];

    #[test]
    fn process_requirements_are_never_decidable() {
        for (n, _, _) in REQUIREMENTS.iter().filter(|(n, _, _)| n.starts_with("12.") || n.starts_with('A') || PROCESS.contains(n)) {
            assert!(!decidable(n), "{n} is a process requirement");
        }
        for n in PROCESS {
            assert!(gist(n).is_some(), "{n} is not in the catalogue");
        }
    }

    #[test]
    fn decidable_requirements_say_why() {
        for (n, _, d) in REQUIREMENTS {
            if let Yes(reason) = d {
                assert!(reason.len() > 20, "{n}: {reason:?}");
                assert_eq!(decidable_reason(n), Some(*reason));
            }
        }
        assert!(decidable("1.3.1"));
        assert!(!decidable("8.2.5"));
        assert_eq!(decidable_reason("9.9.9"), None);
    }

    #[test]
    fn catalogue_is_sorted_and_unique() {
        let keys: Vec<_> = REQUIREMENTS.iter().map(|(n, _, _)| sort_key(n)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted);
    }
}
