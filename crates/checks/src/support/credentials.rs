//! Recognising credentials in names and values, for the secrets-hygiene checks. The rules are
//! deliberately conservative: a key *name* that says "password" with a non-empty literal value,
//! or a value whose shape is a well-known credential format.

/// Words that make a key name look like it holds a credential.
const SECRET_WORDS: &[&str] = &[
    "password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key", "access_key",
    "accesskey", "private_key", "privatekey", "credential", "auth", "client_secret",
];

/// Key names that contain a secret word but name something that is not a secret.
const BENIGN_SUFFIXES: &[&str] = &["_file", "-file", "file", "_path", "-path", "path", "_url", "url", "_ref", "endpoint", "_header", "type", "mode", "enabled", "_ttl", "timeout", "length"];

/// Does a key name (env var, ConfigMap key) suggest a credential?
pub fn is_secret_name(name: &str) -> bool {
    // Without lowercasing a copy: every env var and config key of the cluster comes through here.
    let name = name.as_bytes();
    let ends_with = |s: &str| name.len() >= s.len() && name[name.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes());
    // SECRET_WORDS are lower case: the first byte rules out most windows cheaply.
    let contains = |w: &str| name.windows(w.len()).any(|win| win[0].to_ascii_lowercase() == w.as_bytes()[0] && win.eq_ignore_ascii_case(w.as_bytes()));
    SECRET_WORDS.iter().any(|w| contains(w)) && !BENIGN_SUFFIXES.iter().any(|s| ends_with(s))
}

/// Values that are placeholders or references, not credentials.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || v.len() < 4
        || v.starts_with("$(")
        || v.starts_with("${")
        || v.starts_with("{{")
        || v.starts_with('<')
        || ["changeme-in-vault", "null", "none", "true", "false", "redacted", "xxxx", "****"].iter().any(|p| v.eq_ignore_ascii_case(p))
}

/// Values whose format is a credential whatever the key is called. Returns what it is.
pub fn credential_format(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY-----") {
        return Some("PEM private key");
    }
    if (v.starts_with("AKIA") || v.starts_with("ASIA")) && v.len() == 20 && v.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return Some("AWS access key id");
    }
    if v.starts_with("ghp_") || v.starts_with("github_pat_") || v.starts_with("glpat-") || v.starts_with("xoxb-") || v.starts_with("xoxp-") {
        return Some("access token");
    }
    if let Some(rest) = v.split_once("://").map(|(_, r)| r)
        && let Some((userinfo, _)) = rest.split_once('@')
        && let Some((_, pass)) = userinfo.split_once(':')
        && !pass.is_empty()
        && !is_placeholder(pass)
    {
        return Some("URL with embedded password");
    }
    None
}

/// Well-known default credentials shipped by charts and images.
pub fn is_default_password(value: &str) -> bool {
    let v = value.trim();
    ["admin", "password", "changeme", "root", "secret", "123456", "default", "pass", "guest"].iter().any(|d| v.eq_ignore_ascii_case(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_secret_name("DB_PASSWORD"));
        assert!(is_secret_name("stripeApiKey"));
        assert!(!is_secret_name("DB_PASSWORD_FILE"));
        assert!(!is_secret_name("LOG_LEVEL"));
        assert!(is_secret_name("Client_Secret") && is_secret_name("x-Api-Key") && !is_secret_name("TOKEN_URL"));
        assert!(!is_secret_name("") && !is_secret_name("pw"));
        assert!(SECRET_WORDS.iter().all(|w| !w.is_empty() && *w == w.to_ascii_lowercase()), "the name search compares first bytes in lower case");
        assert!(is_default_password(" ChangeMe ") && !is_default_password("changeme1"));
        assert!(is_placeholder("NULL") && is_placeholder("${DB_PASSWORD}") && !is_placeholder("hunter22"));
    }

    #[test]
    fn formats() {
        assert_eq!(credential_format("postgres://app:s3cr3t@db:5432/x"), Some("URL with embedded password"));
        assert_eq!(credential_format("postgres://app:${PW}@db"), None);
        assert_eq!(credential_format("AKIAIOSFODNN7EXAMPLE"), Some("AWS access key id"));
        assert_eq!(credential_format("hello"), None);
    }
}
