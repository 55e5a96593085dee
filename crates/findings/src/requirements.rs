//! The PCI DSS v4.0.1 requirement numbers kubepci reports on, with a one-line gist of each in
//! our own words. Numbers no check covers are reported as "manual" so an assessor sees the
//! whole list, not only what the tool could decide.

/// (number, gist). Ordered as in the standard.
pub const REQUIREMENTS: &[(&str, &str)] = &[
    ("1.2.1", "Network security control rule sets follow defined, maintained standards"),
    ("1.2.2", "Changes to network connections and controls go through change control"),
    ("1.2.3", "A current diagram shows every connection into and out of the CDE"),
    ("1.2.4", "A current diagram shows how account data flows"),
    ("1.2.5", "Every allowed service, protocol and port is identified, approved and needed"),
    ("1.2.6", "Insecure services, protocols and ports in use have compensating protections"),
    ("1.2.7", "Network security control configurations are reviewed at least every six months"),
    ("1.2.8", "Network security control configuration files are protected and consistent"),
    ("1.3.1", "Inbound traffic to the CDE is limited to what is necessary; all else is denied"),
    ("1.3.2", "Outbound traffic from the CDE is limited to what is necessary; all else is denied"),
    ("1.4.1", "Controls sit between trusted and untrusted networks"),
    ("1.4.2", "Inbound traffic from untrusted networks reaches only components meant to be public"),
    ("1.4.3", "Spoofed source addresses are detected and blocked"),
    ("1.4.4", "Components storing cardholder data are not directly reachable from untrusted networks"),
    ("1.5.1", "Devices that connect to both untrusted networks and the CDE are controlled"),
    ("2.2.1", "Configuration (hardening) standards cover all components and are applied"),
    ("2.2.2", "Vendor default accounts are removed, disabled or re-credentialed"),
    ("2.2.3", "Functions of different security levels on one system are isolated"),
    ("2.2.4", "Only necessary services, protocols and functions are enabled"),
    ("2.2.5", "Insecure services that remain are justified and secured"),
    ("2.2.6", "System security parameters are set to prevent misuse"),
    ("2.2.7", "Non-console administrative access is encrypted with strong cryptography"),
    ("3.2.1", "Account data is kept only as long as justified"),
    ("3.3.1", "Sensitive authentication data is not retained after authorization"),
    ("3.3.2", "Sensitive authentication data stored before authorization is encrypted"),
    ("3.4.1", "PAN is masked when displayed"),
    ("3.5.1", "PAN is rendered unreadable anywhere it is stored"),
    ("3.5.1.2", "Disk-level encryption alone is used only for removable media or with other protection"),
    ("3.6.1", "Keys protecting stored account data are protected"),
    ("3.6.1.2", "Secret and private keys are stored in the fewest locations and forms"),
    ("3.7.4", "Keys are changed at the end of their cryptoperiod"),
    ("4.2.1", "Strong cryptography and trusted certificates protect PAN over open networks"),
    ("4.2.1.1", "An inventory of trusted keys and certificates is kept"),
    ("5.2.1", "Anti-malware is deployed on components at risk"),
    ("5.2.2", "Anti-malware detects, removes or blocks known malware"),
    ("5.3.1", "Anti-malware is kept current"),
    ("5.3.2", "Anti-malware scans periodically or analyses continuously"),
    ("5.3.4", "Anti-malware audit logs are enabled and retained"),
    ("5.3.5", "Users cannot disable or alter anti-malware without authorization"),
    ("6.3.1", "Security vulnerabilities are identified and risk-ranked"),
    ("6.3.2", "An inventory of bespoke and third-party software components is kept"),
    ("6.3.3", "Critical security patches are installed within one month of release"),
    ("6.4.1", "Public-facing web applications are protected against known attacks"),
    ("6.4.2", "An automated technical solution detects and prevents web attacks"),
    ("6.5.1", "Changes to system components follow documented change control"),
    ("6.5.2", "Applicable PCI DSS requirements are re-confirmed after significant change"),
    ("6.5.3", "Pre-production environments are separated from production"),
    ("6.5.4", "Roles and functions are separated between production and pre-production"),
    ("6.5.5", "Live PANs are not used in pre-production environments"),
    ("6.5.6", "Test data and test accounts are removed before a system goes live"),
    ("7.2.1", "An access control model covers all system components"),
    ("7.2.2", "Access is assigned by job function with least privilege"),
    ("7.2.3", "Required privileges are approved by authorized personnel"),
    ("7.2.4", "User accounts and access privileges are reviewed at least every six months"),
    ("7.2.5", "System and application accounts have least privilege"),
    ("7.2.5.1", "Access by system and application accounts is reviewed periodically"),
    ("7.2.6", "Access to query repositories of cardholder data is restricted"),
    ("7.3.1", "An access control system restricts access by need to know"),
    ("7.3.2", "The access control system enforces assigned privileges"),
    ("7.3.3", "The access control system is set to deny all by default"),
    ("8.2.1", "Every user has a unique ID"),
    ("8.2.2", "Shared, group or generic IDs are used only by documented exception"),
    ("8.2.4", "Adding, changing and removing user IDs is authorized"),
    ("8.2.5", "Access for terminated users is revoked immediately"),
    ("8.2.6", "Inactive user accounts are removed or disabled within 90 days"),
    ("8.2.8", "Idle sessions longer than 15 minutes require re-authentication"),
    ("8.3.1", "All user and administrator access is authenticated"),
    ("8.3.2", "Authentication factors are unreadable in transit and in storage"),
    ("8.3.9", "Single-factor passwords are changed at least every 90 days or access is evaluated dynamically"),
    ("8.4.1", "MFA is used for non-console administrative access to the CDE"),
    ("8.4.2", "MFA is used for all access into the CDE"),
    ("8.4.3", "MFA is used for remote network access"),
    ("8.6.1", "Interactive login with system or application accounts is controlled"),
    ("8.6.2", "Passwords of system and application accounts are not hard-coded"),
    ("8.6.3", "Passwords of system and application accounts are protected and changed"),
    ("10.2.1", "Audit logs are enabled and active for all system components"),
    ("10.2.1.1", "Audit logs capture all individual access to cardholder data"),
    ("10.2.1.2", "Audit logs capture all actions by administrative accounts"),
    ("10.2.1.3", "Audit logs capture all access to audit logs"),
    ("10.2.1.4", "Audit logs capture invalid logical access attempts"),
    ("10.2.1.5", "Audit logs capture changes to identification and authentication credentials"),
    ("10.2.1.6", "Audit logs capture initialization, stopping or pausing of audit logs"),
    ("10.2.1.7", "Audit logs capture creation and deletion of system-level objects"),
    ("10.2.2", "Audit log entries record who, what, when, where, origin and outcome"),
    ("10.3.1", "Read access to audit logs is limited to a job-related need"),
    ("10.3.2", "Audit log files are protected from modification"),
    ("10.3.3", "Audit log files are promptly backed up to a central, hard-to-alter store"),
    ("10.3.4", "File integrity monitoring or change detection protects audit logs"),
    ("10.4.1", "Security events and critical component logs are reviewed at least daily"),
    ("10.4.1.1", "Automated mechanisms perform audit log reviews"),
    ("10.5.1", "Audit logs are kept 12 months, with three months immediately available"),
    ("10.6.1", "System clocks are synchronized with time-synchronization technology"),
    ("10.7.2", "Failures of critical security control systems are detected, alerted and addressed"),
    ("11.3.1", "Internal vulnerability scans are performed at least quarterly"),
    ("11.4.5", "Segmentation controls are tested at least annually and after changes"),
    ("11.5.1", "Intrusion detection or prevention monitors traffic at the CDE perimeter and critical points"),
    ("11.5.1.1", "Intrusion detection detects covert malware communication channels (service providers)"),
    ("11.5.2", "A change-detection mechanism alerts on unauthorized changes to critical files"),
    ("12.3.3", "Cryptographic cipher suites and protocols in use are documented and reviewed yearly"),
    ("12.3.4", "Hardware and software technologies are reviewed for continued vendor support"),
    ("12.5.1", "An inventory of in-scope system components is kept current"),
    ("12.5.2", "PCI DSS scope is documented and confirmed at least yearly and after change"),
    ("12.10.5", "The incident response plan covers alerts from security monitoring systems"),
    ("12.10.7", "Incident response procedures cover PAN found where it is not expected"),
    ("A3.2.5", "A data-discovery methodology confirms PAN locations and scope (DESV)"),
];

/// The gist of a requirement number, when kubepci knows it.
pub fn gist(number: &str) -> Option<&'static str> {
    REQUIREMENTS.iter().find(|(n, _)| *n == number).map(|(_, g)| *g)
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
        let keys: Vec<_> = REQUIREMENTS.iter().map(|(n, _)| sort_key(n)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted);
    }
}
