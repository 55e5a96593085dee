//! A deterministic Kubernetes API audit log (JSON Lines, `audit.k8s.io/v1`) with the mix a real
//! cluster writes; `kubepci-gen-audit` writes it to a file, and kubepci-audit's tests use it to
//! hold the fast event decoder to serde's result on every kind of line it produces.

use crate::Rng;

/// How many batches of each kind were written: system noise, people, workload secret reads,
/// 403 bursts, people's secret reads, exec, pod creations, privileged pod creations.
pub type Counts = [u64; 8];

/// Hand `emit` lines (without their newline) until about `size` bytes (newlines counted) were
/// produced; returns (lines, bytes, counts).
pub fn generate(size: u64, seed: u64, mut emit: impl FnMut(&str)) -> (u64, u64, Counts) {
    let mut g = Gen { rng: Rng::new(seed), id: 0, clock: 0 };
    let (mut written, mut lines, mut counts) = (0u64, 0u64, [0u64; 8]);
    let mut buf = Vec::new();
    while written < size {
        buf.clear();
        g.batch(&mut buf, &mut counts);
        for line in &buf {
            emit(line);
            written += line.len() as u64 + 1;
            lines += 1;
        }
    }
    (lines, written, counts)
}

struct Gen {
    rng: Rng,
    id: u64,
    /// Microseconds since 2026-11-01T00:00:00Z.
    clock: u64,
}

const NAMESPACES: &[&str] = &["payments", "checkout", "shop", "monitoring", "default", "kube-system", "logging", "cart"];
const CONTROLLERS: &[&str] = &[
    "system:serviceaccount:kube-system:replicaset-controller",
    "system:serviceaccount:kube-system:deployment-controller",
    "system:serviceaccount:kube-system:endpointslice-controller",
    "system:serviceaccount:kube-system:namespace-controller",
    "system:kube-scheduler",
    "system:kube-controller-manager",
    "system:serviceaccount:kube-system:coredns",
];
const RESOURCES: &[(&str, &str)] = &[("", "pods"), ("", "endpoints"), ("discovery.k8s.io", "endpointslices"), ("apps", "replicasets"), ("apps", "deployments"), ("", "configmaps"), ("", "services"), ("", "nodes")];
const PEOPLE: &[&str] = &["alice@pay.example", "bob@pay.example", "carol@pay.example", "ci-deployer", "dave@pay.example"];

impl Gen {
    fn time(&self, offset_us: u64) -> String {
        let t = self.clock + offset_us;
        let secs = t / 1_000_000;
        let (d, rem) = (secs / 86_400, secs % 86_400);
        format!("2026-11-{:02}T{:02}:{:02}:{:02}.{:06}Z", 1 + d % 30, rem / 3600, rem % 3600 / 60, rem % 60, t % 1_000_000)
    }

    /// One request: its stages' lines (RequestReceived then ResponseComplete, or a single stage).
    #[allow(clippy::too_many_arguments)]
    fn request(&mut self, out: &mut Vec<String>, user: &str, groups: &str, ip: &str, verb: &str, group: &str, resource: &str, sub: &str, ns: &str, name: &str, code: u16, two_stages: bool, request_object: Option<&str>) {
        self.id += 1;
        self.clock += self.rng.range(50, 4000);
        let audit_id = format!("{:08x}-{}-4{}-{}-{}", self.id, self.rng.hex(4), self.rng.hex(3), self.rng.hex(4), self.rng.hex(12));
        let api = if group.is_empty() { "/api/v1".to_string() } else { format!("/apis/{group}/v1") };
        let mut uri = api.clone();
        if !ns.is_empty() {
            uri.push_str(&format!("/namespaces/{ns}"));
        }
        uri.push_str(&format!("/{resource}"));
        if !name.is_empty() {
            uri.push_str(&format!("/{name}"));
        }
        if !sub.is_empty() {
            uri.push_str(&format!("/{sub}"));
        }
        if verb == "watch" {
            uri.push_str("?allowWatchBookmarks=true&resourceVersion=12345&timeout=7m41s&watch=true");
        } else if verb == "list" {
            uri.push_str("?limit=500&resourceVersion=0");
        }
        let object_ref = format!(
            r#"{{"resource":"{resource}"{}{}{},"apiGroup":"{group}","apiVersion":"v1"}}"#,
            if ns.is_empty() { String::new() } else { format!(r#","namespace":"{ns}""#) },
            if name.is_empty() { String::new() } else { format!(r#","name":"{name}""#) },
            if sub.is_empty() { String::new() } else { format!(r#","subresource":"{sub}""#) },
        );
        let decision = if code == 403 { "forbid" } else { "allow" };
        let reason = if code == 403 { String::new() } else { format!(r#"RBAC: allowed by ClusterRoleBinding \"system:{}\" of ClusterRole \"system:{}\" to User \"{}\""#, resource, resource, user) };
        let agent = if user.starts_with("system:") { "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:generic-garbage-collector" } else { "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46" };
        let level = if request_object.is_some() { "Request" } else { "Metadata" };
        let received = self.time(0);
        let base = |stage: &str, ts: &str, status: &str, body: &str| {
            format!(
                r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{level}","auditID":"{audit_id}","stage":"{stage}","requestURI":"{uri}","verb":"{verb}","user":{{"username":"{user}","uid":"{uid}","groups":[{groups}]}},"sourceIPs":["{ip}"],"userAgent":"{agent}","objectRef":{object_ref}{status}{body},"requestReceivedTimestamp":"{received}","stageTimestamp":"{ts}","annotations":{{"authorization.k8s.io/decision":"{decision}","authorization.k8s.io/reason":"{reason}"}}}}"#,
                uid = "4f1c2e0a-7d3b-4c5e-9a1f-0b2c3d4e5f60",
            )
        };
        let body = request_object.map(|o| format!(r#","requestObject":{o}"#)).unwrap_or_default();
        if two_stages {
            out.push(base("RequestReceived", &received, "", &body));
        }
        let latency = self.rng.range(300, 20_000);
        let done = self.time(latency);
        let status = if code >= 400 {
            format!(r#","responseStatus":{{"metadata":{{}},"status":"Failure","message":"{resource} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\"","reason":"Forbidden","code":{code}}}"#)
        } else {
            format!(r#","responseStatus":{{"metadata":{{}},"code":{code}}}"#)
        };
        out.push(base("ResponseComplete", &done, &status, &body));
    }

    fn pod_object(&mut self, privileged: bool) -> String {
        format!(
            r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"generateName":"api-7d9f8c-","labels":{{"app":"api"}}}},"spec":{{"containers":[{{"name":"api","image":"registry.pay.example/api:1.{}","resources":{{"limits":{{"cpu":"500m","memory":"256Mi"}}}},"securityContext":{{"privileged":{privileged},"runAsNonRoot":true}}}}],"serviceAccountName":"api"}}}}"#,
            self.rng.below(30)
        )
    }

    /// A batch of events in the proportions described at the top.
    fn batch(&mut self, out: &mut Vec<String>, counts: &mut Counts) {
        let kind = self.rng.below(1000);
        let sys_groups = r#""system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated""#;
        let people_groups = r#""developers","system:authenticated""#;
        if kind < 780 {
            // Controllers, scheduler, kubelets: list/watch/get/update/patch, leases.
            counts[0] += 1;
            let (user, groups) = if self.rng.chance(30) {
                (format!("system:node:node-{}", self.rng.below(40)), r#""system:nodes","system:authenticated""#.to_string())
            } else {
                (self.rng.pick(CONTROLLERS).to_string(), sys_groups.to_string())
            };
            let ip = format!("10.0.{}.{}", self.rng.below(4), self.rng.range(2, 250));
            if self.rng.chance(25) {
                let lease = format!("node-{}", self.rng.below(40));
                self.request(out, &user, &groups, &ip, "update", "coordination.k8s.io", "leases", "", "kube-node-lease", &lease, 200, true, None);
            } else {
                let (group, resource) = *self.rng.pick(RESOURCES);
                let verb = *self.rng.pick(&["list", "watch", "get", "get", "update", "patch"]);
                let ns = if resource == "nodes" { "" } else { *self.rng.pick(NAMESPACES) };
                let name = if matches!(verb, "get" | "update" | "patch") { format!("{resource}-{}", self.rng.hex(5)) } else { String::new() };
                let sub = if verb == "patch" && resource == "pods" { "status" } else { "" };
                self.request(out, &user, &groups, &ip, verb, group, resource, sub, ns, &name, 200, true, None);
            }
        } else if kind < 890 {
            // People and CI at work.
            counts[1] += 1;
            let user = *self.rng.pick(PEOPLE);
            let (group, resource) = *self.rng.pick(&RESOURCES[..7]);
            let verb = *self.rng.pick(&["get", "list", "get", "patch", "create", "delete"]);
            let ns = *self.rng.pick(NAMESPACES);
            let name = if verb == "list" { String::new() } else { format!("{resource}-{}", self.rng.hex(4)) };
            let ip = format!("192.168.{}.{}", self.rng.below(3), self.rng.range(2, 250));
            self.request(out, user, people_groups, &ip, verb, group, resource, "", ns, &name, 200, true, None);
        } else if kind < 905 {
            // Workloads reading their own Secrets.
            counts[2] += 1;
            let ns = *self.rng.pick(&["payments", "checkout", "cart"]);
            let user = format!("system:serviceaccount:{ns}:api");
            let ip = format!("10.1.{}.{}", self.rng.below(4), self.rng.range(2, 250));
            self.request(out, &user, r#""system:serviceaccounts","system:authenticated""#, &ip, "get", "", "secrets", "", ns, "db-credentials", 200, true, None);
        } else if kind < 915 {
            // A burst of 403s from a public address (someone probing with a stolen token).
            counts[3] += 1;
            let ip = format!("203.0.113.{}", self.rng.range(2, 250));
            for _ in 0..self.rng.range(5, 20) {
                let (group, resource) = *self.rng.pick(&[("", "secrets"), ("", "pods"), ("rbac.authorization.k8s.io", "clusterroles"), ("", "nodes")]);
                let ns = if resource == "secrets" || resource == "pods" { *self.rng.pick(NAMESPACES) } else { "" };
                self.request(out, "mallory", r#""system:authenticated""#, &ip, "list", group, resource, "", ns, "", 403, false, None);
            }
        } else if kind < 945 {
            // People reading Secrets.
            counts[4] += 1;
            let user = *self.rng.pick(PEOPLE);
            let ns = *self.rng.pick(NAMESPACES);
            let name = format!("secret-{}", self.rng.hex(4));
            self.request(out, user, people_groups, "192.168.1.20", "get", "", "secrets", "", ns, &name, 200, true, None);
        } else if kind < 965 {
            // Exec into a CDE pod: stages ResponseStarted and ResponseComplete.
            counts[5] += 1;
            let user = *self.rng.pick(PEOPLE);
            let name = format!("api-7d9f8c-{}", self.rng.hex(5));
            self.request(out, user, people_groups, "192.168.1.21", "create", "", "pods", "exec", "payments", &name, 101, true, None);
            if let Some(last) = out.pop() {
                out.push(last.replace("\"stage\":\"ResponseComplete\"", "\"stage\":\"ResponseStarted\""));
                out.push(last);
            }
        } else {
            // Pods created by the replicaset controller, with their spec (1 in 20 privileged).
            counts[6] += 1;
            let privileged = self.rng.chance(5);
            counts[7] += u64::from(privileged);
            let pod = self.pod_object(privileged);
            let ns = *self.rng.pick(NAMESPACES);
            let ip = "10.0.0.10";
            self.request(out, CONTROLLERS[0], sys_groups, ip, "create", "", "pods", "", ns, "", 201, false, Some(&pod));
        }
    }
}

