//! The PCI DSS v4.0.1 requirement numbers kubepci reports on, with a one-line gist of each in
//! our own words. Numbers no check covers are reported as "manual" so an assessor sees the
//! whole list, not only what the tool could decide.

/// (number, gist, decidable). Ordered as in the standard. `decidable` is true where cluster
/// data can settle the requirement on its own; elsewhere passing checks are partial evidence
/// and the roll-up says "partial", never "pass".
pub const REQUIREMENTS: &[(&str, &str, bool)] = &[
    ("1.2.1", "Network security control rule sets follow defined, maintained standards", false),
    ("1.2.2", "Changes to network connections and controls go through change control", false),
    ("1.2.3", "A current diagram shows every connection into and out of the CDE", false),
    ("1.2.4", "A current diagram shows how account data flows", false),
    ("1.2.5", "Every allowed service, protocol and port is identified, approved and needed", false),
    ("1.2.6", "Insecure services, protocols and ports in use have compensating protections", false),
    ("1.2.7", "Network security control configurations are reviewed at least every six months", false),
    ("1.2.8", "Network security control configuration files are protected and consistent", false),
    ("1.3.1", "Inbound traffic to the CDE is limited to what is necessary; all else is denied", true),
    ("1.3.2", "Outbound traffic from the CDE is limited to what is necessary; all else is denied", true),
    ("1.4.1", "Controls sit between trusted and untrusted networks", true),
    ("1.4.2", "Inbound traffic from untrusted networks reaches only components meant to be public", true),
    ("1.4.3", "Spoofed source addresses are detected and blocked", false),
    ("1.4.4", "Components storing cardholder data are not directly reachable from untrusted networks", true),
    ("1.5.1", "Devices that connect to both untrusted networks and the CDE are controlled", false),
    ("2.2.1", "Configuration (hardening) standards cover all components and are applied", true),
    ("2.2.2", "Vendor default accounts are removed, disabled or re-credentialed", false),
    ("2.2.3", "Functions of different security levels on one system are isolated", true),
    ("2.2.4", "Only necessary services, protocols and functions are enabled", false),
    ("2.2.5", "Insecure services that remain are justified and secured", false),
    ("2.2.6", "System security parameters are set to prevent misuse", true),
    ("2.2.7", "Non-console administrative access is encrypted with strong cryptography", true),
    ("3.2.1", "Account data is kept only as long as justified", false),
    ("3.3.1", "Sensitive authentication data is not retained after authorization", false),
    ("3.3.2", "Sensitive authentication data stored before authorization is encrypted", false),
    ("3.4.1", "PAN is masked when displayed", false),
    ("3.5.1", "PAN is rendered unreadable anywhere it is stored", false),
    ("3.5.1.2", "Disk-level encryption alone is used only for removable media or with other protection", false),
    ("3.6.1", "Keys protecting stored account data are protected", false),
    ("3.6.1.2", "Secret and private keys protecting stored account data are kept only in protected forms", false),
    ("3.6.1.3", "Cleartext key components are accessible to the fewest custodians necessary", false),
    ("3.7.4", "Keys are changed at the end of their cryptoperiod", false),
    ("4.2.1", "Strong cryptography and trusted certificates protect PAN over open networks", true),
    ("4.2.1.1", "An inventory of trusted keys and certificates is kept", false),
    ("5.2.1", "Anti-malware is deployed on components at risk", false),
    ("5.2.2", "Anti-malware detects, removes or blocks known malware", false),
    ("5.3.1", "Anti-malware is kept current", false),
    ("5.3.2", "Anti-malware scans periodically or analyses continuously", false),
    ("5.3.4", "Anti-malware audit logs are enabled and retained", false),
    ("5.3.5", "Users cannot disable or alter anti-malware without authorization", true),
    ("6.3.1", "Security vulnerabilities are identified and risk-ranked", false),
    ("6.3.2", "An inventory of bespoke and third-party software components is kept", true),
    ("6.3.3", "Critical security patches are installed within one month of release", false),
    ("6.4.1", "Public-facing web applications are protected against known attacks", false),
    ("6.4.2", "An automated technical solution detects and prevents web attacks", false),
    ("6.5.1", "Changes to system components follow documented change control", false),
    ("6.5.2", "Applicable PCI DSS requirements are re-confirmed after significant change", false),
    ("6.5.3", "Pre-production environments are separated from production", true),
    ("6.5.4", "Roles and functions are separated between production and pre-production", false),
    ("6.5.5", "Live PANs are not used in pre-production environments", false),
    ("6.5.6", "Test data and test accounts are removed before a system goes live", false),
    ("7.2.1", "An access control model covers all system components", false),
    ("7.2.2", "Access is assigned by job function with least privilege", true),
    ("7.2.3", "Required privileges are approved by authorized personnel", false),
    ("7.2.4", "User accounts and access privileges are reviewed at least every six months", false),
    ("7.2.5", "System and application accounts have least privilege", true),
    ("7.2.5.1", "Access by system and application accounts is reviewed periodically", false),
    ("7.2.6", "Access to query repositories of cardholder data is restricted", false),
    ("7.3.1", "An access control system restricts access by need to know", true),
    ("7.3.2", "The access control system enforces assigned privileges", true),
    ("7.3.3", "The access control system is set to deny all by default", true),
    ("8.2.1", "Every user has a unique ID", false),
    ("8.2.2", "Shared, group or generic IDs are used only by documented exception", false),
    ("8.2.4", "Adding, changing and removing user IDs is authorized", false),
    ("8.2.5", "Access for terminated users is revoked immediately", false),
    ("8.2.6", "Inactive user accounts are removed or disabled within 90 days", false),
    ("8.2.8", "Idle sessions longer than 15 minutes require re-authentication", false),
    ("8.3.1", "All user and administrator access is authenticated", true),
    ("8.3.2", "Authentication factors are unreadable in transit and in storage", true),
    ("8.3.9", "Single-factor passwords are changed at least every 90 days or access is evaluated dynamically", false),
    ("8.4.1", "MFA is used for non-console administrative access to the CDE", false),
    ("8.4.2", "MFA is used for all access into the CDE", false),
    ("8.4.3", "MFA is used for remote network access", false),
    ("8.6.1", "Interactive login with system or application accounts is controlled", false),
    ("8.6.2", "Passwords of system and application accounts are not hard-coded", true),
    ("8.6.3", "Passwords of system and application accounts are protected and changed", false),
    ("10.2.1", "Audit logs are enabled and active for all system components", true),
    ("10.2.1.1", "Audit logs capture all individual access to cardholder data", true),
    ("10.2.1.2", "Audit logs capture all actions by administrative accounts", true),
    ("10.2.1.3", "Audit logs capture all access to audit logs", true),
    ("10.2.1.4", "Audit logs capture invalid logical access attempts", true),
    ("10.2.1.5", "Audit logs capture changes to identification and authentication credentials", true),
    ("10.2.1.6", "Audit logs capture initialization, stopping or pausing of audit logs", true),
    ("10.2.1.7", "Audit logs capture creation and deletion of system-level objects", true),
    ("10.2.2", "Audit log entries record who, what, when, where, origin and outcome", true),
    ("10.3.1", "Read access to audit logs is limited to a job-related need", false),
    ("10.3.2", "Audit log files are protected from modification", false),
    ("10.3.3", "Audit log files are promptly backed up to a central, hard-to-alter store", false),
    ("10.3.4", "File integrity monitoring or change detection protects audit logs", false),
    ("10.4.1", "Security events and critical component logs are reviewed at least daily", false),
    ("10.4.1.1", "Automated mechanisms perform audit log reviews", false),
    ("10.5.1", "Audit logs are kept 12 months, with three months immediately available", false),
    ("10.6.1", "System clocks are synchronized with time-synchronization technology", false),
    ("10.7.2", "Failures of critical security control systems are detected, alerted and addressed", false),
    ("11.3.1", "Internal vulnerability scans are performed at least quarterly", false),
    ("11.4.5", "Segmentation controls are tested at least annually and after changes", false),
    ("11.5.1", "Intrusion detection or prevention monitors traffic at the CDE perimeter and critical points", false),
    ("11.5.1.1", "Intrusion detection detects covert malware communication channels (service providers)", false),
    ("11.5.2", "A change-detection mechanism alerts on unauthorized changes to critical files", false),
    ("12.3.3", "Cryptographic cipher suites and protocols in use are documented and reviewed yearly", false),
    ("12.3.4", "Hardware and software technologies are reviewed for continued vendor support", true),
    ("12.5.1", "An inventory of in-scope system components is kept current", false),
    ("12.5.2", "PCI DSS scope is documented and confirmed at least yearly and after change", false),
    ("12.10.5", "The incident response plan covers alerts from security monitoring systems", false),
    ("12.10.7", "Incident response procedures cover PAN found where it is not expected", false),
    ("A3.2.5", "A data-discovery methodology confirms PAN locations and scope (DESV)", false),
];

/// The gist of a requirement number, when kubepci knows it.
pub fn gist(number: &str) -> Option<&'static str> {
    REQUIREMENTS.iter().find(|(n, _, _)| *n == number).map(|(_, g, _)| *g)
}

/// Whether cluster data can decide the requirement on its own (see [`REQUIREMENTS`]).
pub fn decidable(number: &str) -> bool {
    REQUIREMENTS.iter().any(|(n, _, d)| *n == number && *d)
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

    #[test]
    fn catalogue_is_sorted_and_unique() {
        let keys: Vec<_> = REQUIREMENTS.iter().map(|(n, _, _)| sort_key(n)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted);
    }
}
