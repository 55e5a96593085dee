use std::collections::BTreeSet;

use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::support::containers::containers;
use crate::support::each::{Problem, Verdict};
use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Ingress controllers must offer only TLS 1.2 or later with strong ciphers
    ///
    /// ## What it checks
    /// The ingress-nginx configuration: every ConfigMap an ingress-nginx controller names with
    /// `--configmap`, and every ConfigMap labelled `app.kubernetes.io/name: ingress-nginx`, must
    /// not list SSLv2, SSLv3, TLSv1 or TLSv1.1 in `ssl-protocols`, and `ssl-ciphers` must not
    /// enable weak suites (RC4, DES/3DES, MD5, NULL, EXPORT, anonymous, LOW or ALL); every
    /// Ingress's `nginx.ingress.kubernetes.io/ssl-ciphers` annotation is held to the same list.
    /// Unset keys keep ingress-nginx's defaults (TLS 1.2 and 1.3, strong suites), which pass. A
    /// controller whose `--configmap` is not in the input is not assessed.
    ///
    /// ## Why PCI DSS cares
    /// The ingress controller terminates the TLS that protects cardholder data on its way from
    /// open networks into the cluster. Requirement 4.2.1 asks for strong cryptography and only
    /// secure versions of protocols: SSL and TLS 1.0/1.1 are not, and suites with RC4, 3DES or
    /// NULL encryption can be broken or offer none. Credentials sent through such a controller
    /// are not protected in transit either (8.3.2).
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: ingress-nginx-controller
    ///   namespace: ingress-nginx
    ///   labels: {app.kubernetes.io/name: ingress-nginx}
    /// data:
    ///   ssl-protocols: "TLSv1 TLSv1.1 TLSv1.2"
    ///   ssl-ciphers: "ECDHE-RSA-AES128-GCM-SHA256:DES-CBC3-SHA"
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: ingress-nginx-controller
    ///   namespace: ingress-nginx
    ///   labels: {app.kubernetes.io/name: ingress-nginx}
    /// data:
    ///   ssl-protocols: "TLSv1.2 TLSv1.3"
    ///   ssl-ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:!aNULL:!3DES"
    /// ```
    ///
    /// ## Fix
    /// Set `ssl-protocols: "TLSv1.2 TLSv1.3"` in the controller's ConfigMap (or remove the key to
    /// use the default), and limit `ssl-ciphers` to AEAD suites with forward secrecy (ECDHE with
    /// AES-GCM or ChaCha20-Poly1305), in the ConfigMap and in any `ssl-ciphers` annotation.
    pub INGRESS_TLS_PROTOCOLS {
        id: "TLS-004",
        name: "ingress-controller-weak-tls",
        severity: High,
        applies: All,
        reads: [workloads, ConfigMap, Ingress],
        requirements: [
            ("4.2.1", "4.2.1.b", "the TLS versions and cipher suites configured on the controller that terminates traffic from open networks are examined"),
            ("8.3.2", "8.3.2.a", "credentials crossing a controller that accepts broken protocols or suites are not protected by strong cryptography in transit"),
        ],
        run: run,
    }
}

const CIPHERS_ANNOTATION: &str = "nginx.ingress.kubernetes.io/ssl-ciphers";
const WEAK_PROTOCOLS: &[&str] = &["SSLv2", "SSLv3", "TLSv1", "TLSv1.1"];
/// OpenSSL cipher-string words that enable broken or no encryption or authentication.
const WEAK_CIPHER_WORDS: &[&str] = &["RC4", "DES", "3DES", "MD5", "NULL", "ENULL", "ANULL", "EXP", "EXPORT", "ADH", "AECDH", "LOW", "ALL"];

/// Weak protocols enabled by an `ssl-protocols` value (space-separated).
pub fn weak_protocols(value: &str) -> Vec<&str> {
    value.split_whitespace().filter(|p| WEAK_PROTOCOLS.iter().any(|w| w.eq_ignore_ascii_case(p))).collect()
}

/// Entries of an OpenSSL cipher string (`:`, `,` or space separated) that enable weak suites;
/// excluded entries (`!RC4`, `-DES`) are fine.
pub fn weak_ciphers(value: &str) -> Vec<&str> {
    value
        .split([':', ',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.starts_with(['!', '-']))
        .filter(|e| {
            let e = e.trim_start_matches('+');
            e.split(['-', '+']).any(|word| WEAK_CIPHER_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)))
        })
        .collect()
}

fn judge_settings(protocols: Option<&str>, ciphers: Option<&str>, protocols_path: &str, ciphers_path: &str) -> Verdict {
    let mut problems = Vec::new();
    if let Some(p) = protocols {
        let weak = weak_protocols(p);
        if !weak.is_empty() {
            problems.push(Problem::new(format!("ssl-protocols enables {}", weak.join(", ")), Evidence::field(protocols_path, p)));
        }
    }
    if let Some(c) = ciphers {
        let weak = weak_ciphers(c);
        if !weak.is_empty() {
            problems.push(Problem::new(format!("ssl-ciphers enables weak suites {}", weak.join(", ")), Evidence::field(ciphers_path, c)));
        }
    }
    Verdict::from_problems(problems)
}

/// The `--configmap=namespace/name` of an ingress-nginx controller container, when it is one.
fn controller_configmap(c: &kubepci_model::pod::Container) -> Option<Option<String>> {
    let argv: Vec<&str> = c.command.iter().flatten().chain(c.args.iter().flatten()).map(String::as_str).collect();
    let image = c.image.as_deref().unwrap_or("");
    let is_controller = image.contains("ingress-nginx/controller") || argv.iter().any(|a| a.ends_with("nginx-ingress-controller"));
    if !is_controller {
        return None;
    }
    let mut found = None;
    for (i, a) in argv.iter().enumerate() {
        if let Some(v) = a.strip_prefix("--configmap=") {
            found = Some(v.to_string());
        } else if *a == "--configmap" {
            found = argv.get(i + 1).map(|v| v.to_string());
        }
    }
    Some(found)
}

fn run(cx: &Context, e: &mut Emitter) {
    // ConfigMaps to judge: named by a controller, or labelled as ingress-nginx's.
    let mut judged: BTreeSet<usize> = BTreeSet::new();
    for (w, _, t) in cx.workloads() {
        if !e.sees(w.object) {
            continue;
        }
        for c in containers(&t) {
            let Some(Some(reference)) = controller_configmap(c.container) else { continue };
            let (ns, name) = reference.split_once('/').unwrap_or((cx.inv.objects[w.object].namespace().unwrap_or(""), reference.as_str()));
            match cx.inv.indices_of_kind_in("ConfigMap", ns).iter().find(|&&i| cx.inv.objects[i].name() == name) {
                Some(&i) => {
                    judged.insert(i);
                }
                None => e.not_assessed(Some(w.object), format!("the controller's ConfigMap {ns}/{name} (--configmap) is not in the input")),
            }
        }
    }
    for &i in cx.inv.indices_of_kind("ConfigMap") {
        if cx.inv.objects[i].labels().get("app.kubernetes.io/name").is_some_and(|v| v == "ingress-nginx") {
            judged.insert(i);
        }
    }
    for i in judged {
        if !e.sees(i) {
            continue;
        }
        let Resource::ConfigMap(cm) = &cx.inv.objects[i].resource else { continue };
        let data = cm.data.as_ref();
        let get = |k: &str| data.and_then(|d| d.get(k)).map(String::as_str);
        match judge_settings(get("ssl-protocols"), get("ssl-ciphers"), "data.ssl-protocols", "data.ssl-ciphers") {
            Verdict::Fail(m, ev) => e.fail(i, m, ev),
            _ => e.pass(i),
        }
    }
    for &i in cx.inv.indices_of_kind("Ingress") {
        let Some(ciphers) = cx.inv.objects[i].annotations().get(CIPHERS_ANNOTATION) else { continue };
        if !e.sees(i) {
            continue;
        }
        match judge_settings(None, Some(ciphers), "", &format!("metadata.annotations.{CIPHERS_ANNOTATION}")) {
            Verdict::Fail(m, ev) => e.fail(i, m, ev),
            _ => e.pass(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_and_cipher_lists() {
        assert_eq!(weak_protocols("TLSv1 TLSv1.1 TLSv1.2"), vec!["TLSv1", "TLSv1.1"]);
        assert!(weak_protocols("TLSv1.2 TLSv1.3").is_empty());
        assert_eq!(weak_ciphers("ECDHE-RSA-AES128-GCM-SHA256:DES-CBC3-SHA:!RC4:-MD5:EXP-RC4-MD5"), vec!["DES-CBC3-SHA", "EXP-RC4-MD5"]);
        assert_eq!(weak_ciphers("HIGH:!aNULL:!MD5"), Vec::<&str>::new());
        assert_eq!(weak_ciphers("ALL"), vec!["ALL"]);
    }

    #[test]
    fn controllers_lead_to_their_configmap() {
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\nspec:\n  selector: {matchLabels: {app: c}}\n  template:\n    metadata: {labels: {app: c}}\n    spec:\n      containers:\n      - name: controller\n        image: registry.k8s.io/ingress-nginx/controller:v1.12.0\n        args: [/nginx-ingress-controller, --configmap=$(POD_NAMESPACE)/custom]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: custom, namespace: ingress-nginx}\ndata: {ssl-protocols: TLSv1.2 TLSv1.3}\n";
        // `$(POD_NAMESPACE)` is not resolved: not assessed, never a pass on a guess.
        let out = crate::testing::run(&INGRESS_TLS_PROTOCOLS, yaml, "");
        assert_eq!((out.not_assessed.len(), out.passed), (1, 0));
        let out = crate::testing::run(&INGRESS_TLS_PROTOCOLS, &yaml.replace("$(POD_NAMESPACE)", "ingress-nginx").replace("TLSv1.2 TLSv1.3", "SSLv3 TLSv1.2"), "");
        assert_eq!(out.fails.len(), 1);
        assert!(out.fails[0].message.contains("SSLv3"));
    }
}
