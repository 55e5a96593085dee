//! Why a connection is allowed or denied: the policies that select each side and the rules
//! (with their file and line) that match the other end.

use std::fmt;

use serde::Serialize;

use crate::engine::{Endpoint, Reachability};
use crate::ingress::{Forwarder, INGRESS_CONTROLLER, IngressObject};
use crate::policy::{Action, Direction, PolicyKind};
use crate::ports::{ConnSet, PortSet, Protocol};
use crate::sides::{EGRESS, INGRESS, PeerRef};

/// One rule that matches the peer of a side.
#[derive(Clone, Debug, Serialize)]
pub struct RuleDecision {
    /// `NetworkPolicy ns/name`, `AdminNetworkPolicy name (priority 10)`.
    pub policy: String,
    /// `file:line` of the policy object.
    pub location: String,
    /// `ingress rule #1` or the ANP rule name.
    pub rule: String,
    pub action: Action,
    /// Connections the rule covers towards the destination (named ports resolved).
    #[serde(serialize_with = "display")]
    pub conns: ConnSet,
}

/// The decision at one end: egress at the source, ingress at the destination.
#[derive(Clone, Debug, Serialize)]
pub struct SideExplanation {
    pub direction: Direction,
    pub subject: String,
    /// Why the side is open regardless of rules (external end, host network, no policy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Policies whose subject includes this end, `Kind name (file:line)`.
    pub selecting: Vec<String>,
    pub matching_rules: Vec<RuleDecision>,
    #[serde(serialize_with = "display")]
    pub allowed: ConnSet,
}

#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub src: String,
    pub dst: String,
    /// The connection asked about, if any (`TCP/8080`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// Allowed: the port (when given) or at least one connection.
    pub allowed: bool,
    #[serde(serialize_with = "display")]
    pub allowed_conns: ConnSet,
    pub egress: SideExplanation,
    pub ingress: SideExplanation,
    /// When the pods of the source or destination workload get different answers (pods with
    /// different labels under one owner): one entry per pair of pod groups, naming the pods.
    /// `egress`/`ingress` above are then those of the first pair that allows something.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<PodPairExplanation>,
}

/// The answer for some pods of the source towards some pods of the destination.
#[derive(Clone, Debug, Serialize)]
pub struct PodPairExplanation {
    /// The source pods of this group (empty: the source is not split, or is a range).
    pub src_pods: Vec<String>,
    /// The destination pods of this group (empty: the destination is not split).
    pub dst_pods: Vec<String>,
    pub allowed: bool,
    #[serde(serialize_with = "display")]
    pub allowed_conns: ConnSet,
    pub egress: SideExplanation,
    pub ingress: SideExplanation,
}

/// One end as the explanation sees it: a pod class or an external block.
#[derive(Clone, Copy, Debug)]
enum End {
    Class(u32),
    Block(u32),
}

fn display<T: fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl Reachability {
    /// Explain the connection from `src` to `dst`, optionally for one protocol/port.
    pub fn explain(&self, src: Endpoint, dst: Endpoint, port: Option<(Protocol, u16)>) -> Explanation {
        let focus = |c: ConnSet| match port {
            Some((p, n)) => c.intersect(&ConnSet::of(p, PortSet::single(n))),
            None => c,
        };
        let verdict = |c: &ConnSet| match port {
            Some((p, n)) => c.contains(p, n),
            None => !c.is_empty(),
        };
        let allowed_conns = self.allowed(src, dst).clone();
        let (src_name, dst_name) = (self.endpoint_name(src), self.endpoint_name(dst));
        let (src_ends, dst_ends) = (self.ends(src), self.ends(dst));
        let mut pairs = Vec::with_capacity(src_ends.len() * dst_ends.len());
        for &s in &src_ends {
            for &d in &dst_ends {
                let mut egress = self.explain_side(EGRESS, &src_name, s, d);
                let mut ingress = self.explain_side(INGRESS, &dst_name, d, s);
                let conns = focus(egress.allowed.intersect(&ingress.allowed));
                for side in [&mut egress, &mut ingress] {
                    side.allowed = focus(side.allowed.clone());
                    side.matching_rules.retain_mut(|r| {
                        r.conns = focus(r.conns.clone());
                        !r.conns.is_empty()
                    });
                }
                let names = |e: Endpoint, end: End, split: bool| match (e, end) {
                    (Endpoint::Workload(w), End::Class(c)) if split => self.analysis.workloads[w as usize].pods_of(c).into_iter().map(String::from).collect(),
                    _ => Vec::new(),
                };
                let (src_pods, dst_pods) = (names(src, s, src_ends.len() > 1), names(dst, d, dst_ends.len() > 1));
                pairs.push(PodPairExplanation { src_pods, dst_pods, allowed: verdict(&conns), allowed_conns: conns, egress, ingress });
            }
        }
        // The sides shown on their own: the first pair that allows something, else the first.
        let shown = pairs.iter().position(|p| !p.allowed_conns.is_empty()).unwrap_or(0);
        let first = pairs.get(shown).cloned().expect("every endpoint has at least one class or block");
        let differ = pairs.iter().any(|p| p.allowed_conns != first.allowed_conns);
        Explanation {
            src: src_name,
            dst: dst_name,
            port: port.map(|(p, n)| format!("{p}/{n}")),
            allowed: verdict(&allowed_conns),
            allowed_conns: focus(allowed_conns),
            egress: first.egress,
            ingress: first.ingress,
            pods: if differ { pairs } else { Vec::new() },
        }
    }

    /// The classes of a workload, or the block of an external endpoint.
    fn ends(&self, e: Endpoint) -> Vec<End> {
        match e {
            Endpoint::Workload(w) => self.analysis.workloads[w as usize].classes.iter().map(|&c| End::Class(c)).collect(),
            Endpoint::ExternalSource(b) | Endpoint::ExternalDestination(b) => vec![End::Block(b)],
        }
    }

    fn explain_side(&self, dir: usize, subject_name: &str, subject: End, other: End) -> SideExplanation {
        let direction = if dir == INGRESS { Direction::Ingress } else { Direction::Egress };
        let mut side = SideExplanation { direction, subject: subject_name.to_string(), note: None, selecting: Vec::new(), matching_rules: Vec::new(), allowed: ConnSet::all() };
        let End::Class(class) = subject else {
            side.note = Some("external endpoint: not subject to policies".into());
            return side;
        };
        let (peer_class, peer) = match other {
            End::Class(o) => (Some(o), self.analysis.peer_profile(dir, o)),
            End::Block(b) => (None, PeerRef::Block(b)),
        };
        // Named ports resolve on the destination: the subject for ingress, the peer for egress.
        let destination = if dir == INGRESS { Some(class) } else { peer_class };
        if self.analysis.classes[class as usize].host_network {
            side.note = Some("hostNetwork pod: not subject to policies".into());
            return side;
        }
        let np_policies = &self.analysis.np_selecting[dir][class as usize];
        let admin = &self.analysis.admin_selecting[dir][class as usize];
        side.selecting = admin.iter().chain(np_policies).map(|&pi| self.policy_label(pi)).collect();
        let np_allowed = (!np_policies.is_empty()).then(|| {
            let mut acc = ConnSet::none();
            for &pi in np_policies {
                for d in self.rule_decisions(dir, pi, destination, peer) {
                    acc = acc.union(&d.conns);
                    side.matching_rules.push(d);
                }
            }
            acc
        });
        if admin.is_empty() {
            match np_allowed {
                Some(a) => side.allowed = a,
                None => side.note = Some(format!("no NetworkPolicy selects it for {direction}: all allowed")),
            }
            return side;
        }
        // Admin tiers, as in the engine, recording each deciding rule.
        let mut remaining = ConnSet::all();
        let mut allowed = ConnSet::none();
        let mut passed = ConnSet::none();
        let mut baseline_rules = Vec::new();
        let mut admin_rules = Vec::new();
        for &pi in admin {
            let decisions = self.rule_decisions(dir, pi, destination, peer);
            if self.analysis.policies[pi as usize].kind == PolicyKind::BaselineAdminNetworkPolicy {
                baseline_rules.extend(decisions);
                continue;
            }
            for mut d in decisions {
                let eff = d.conns.intersect(&remaining);
                if eff.is_empty() {
                    continue;
                }
                match d.action {
                    Action::Allow => allowed = allowed.union(&eff),
                    Action::Deny => {}
                    Action::Pass => passed = passed.union(&eff),
                }
                remaining = remaining.subtract(&eff);
                d.conns = eff;
                admin_rules.push(d);
            }
        }
        let mut rest = remaining.union(&passed);
        let mut decided = admin_rules;
        if let Some(np) = np_allowed {
            allowed = allowed.union(&np.intersect(&rest));
            decided.append(&mut side.matching_rules);
        } else {
            for mut d in baseline_rules {
                let eff = d.conns.intersect(&rest);
                if eff.is_empty() {
                    continue;
                }
                if d.action == Action::Allow {
                    allowed = allowed.union(&eff);
                }
                rest = rest.subtract(&eff);
                d.conns = eff;
                decided.push(d);
            }
            allowed = allowed.union(&rest);
        }
        side.matching_rules = decided;
        side.allowed = allowed;
        side
    }

    fn policy_label(&self, pi: u32) -> String {
        let p = &self.analysis.policies[pi as usize];
        match p.kind {
            PolicyKind::AdminNetworkPolicy => format!("{} {} (priority {}) ({})", p.kind.as_str(), p.display_name(), p.priority, p.loc),
            _ => format!("{} {} ({})", p.kind.as_str(), p.display_name(), p.loc),
        }
    }

    fn rule_decisions(&self, dir: usize, pi: u32, destination: Option<u32>, peer: PeerRef) -> Vec<RuleDecision> {
        let p = &self.analysis.policies[pi as usize];
        let direction = if dir == INGRESS { Direction::Ingress } else { Direction::Egress };
        let rules = p.rules(direction).unwrap_or(&[]);
        rules
            .iter()
            .enumerate()
            .filter(|(ri, _)| self.analysis.rule_matches[pi as usize][dir][*ri].contains(peer))
            .map(|(_, r)| RuleDecision {
                policy: format!("{} {}", p.kind.as_str(), p.display_name()),
                location: p.loc.to_string(),
                rule: match &r.name {
                    Some(n) => format!("{direction} rule #{} {n:?}", r.index + 1),
                    None => format!("{direction} rule #{}", r.index + 1),
                },
                action: r.action,
                conns: r.ports.resolve(destination.map(|c| self.analysis.classes[c as usize].named_ports.as_slice())),
            })
            .collect()
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.port.as_deref().unwrap_or("any connection");
        let verdict = if self.allowed { "ALLOWED" } else { "DENIED" };
        writeln!(f, "{} => {} ({what}): {verdict}", self.src, self.dst)?;
        writeln!(f, "  allowed connections: {}", self.allowed_conns)?;
        if self.pods.is_empty() {
            for side in [&self.egress, &self.ingress] {
                write_side(f, side, &self.src, &self.dst, "  ")?;
            }
            return Ok(());
        }
        writeln!(f, "  the pods differ:")?;
        let pods = |names: &[String]| if names.is_empty() { "every pod".to_string() } else { format!("pods {}", names.join(", ")) };
        for pair in &self.pods {
            let verdict = if pair.allowed { "ALLOWED" } else { "DENIED" };
            writeln!(f, "  from {} to {}: {verdict}, {}", pods(&pair.src_pods), pods(&pair.dst_pods), pair.allowed_conns)?;
            for side in [&pair.egress, &pair.ingress] {
                write_side(f, side, &self.src, &self.dst, "    ")?;
            }
        }
        Ok(())
    }
}

/// One side's lines: its verdict, why it is open or which policies select it, and the rules
/// that match the other end.
fn write_side(f: &mut fmt::Formatter<'_>, side: &SideExplanation, src: &str, dst: &str, indent: &str) -> fmt::Result {
    writeln!(f, "{indent}{} at {}: {}", side.direction, side.subject, side.allowed)?;
    if let Some(note) = &side.note {
        writeln!(f, "{indent}  {note}")?;
    }
    for s in &side.selecting {
        writeln!(f, "{indent}  selected by {s}")?;
    }
    if side.note.is_none() && side.matching_rules.is_empty() {
        let peer = if side.direction == Direction::Egress { dst } else { src };
        writeln!(f, "{indent}  no rule allows this connection with {peer}: denied")?;
    }
    for r in &side.matching_rules {
        writeln!(f, "{indent}  {:?} {} by {} {} ({})", r.action, r.conns, r.policy, r.rule, r.location)?;
    }
    Ok(())
}

/// Why traffic from outside may or may not reach a workload through the ingress controllers
/// (`netpol explain --from '{ingress-controller}'`): each object that routes to it, the
/// controller forwarding it, and the policy rules at both ends of that hop.
#[derive(Clone, Debug, Serialize)]
pub struct IngressExplanation {
    /// [`INGRESS_CONTROLLER`](crate::INGRESS_CONTROLLER).
    pub src: String,
    pub dst: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    pub allowed: bool,
    #[serde(serialize_with = "display")]
    pub allowed_conns: ConnSet,
    /// One entry per object, controller pod group and destination pod group; empty when no
    /// Ingress, Route or Gateway API route sends traffic to the workload.
    pub paths: Vec<IngressPathExplanation>,
}

/// One object's path to the destination, through one group of controller pods.
#[derive(Clone, Debug, Serialize)]
pub struct IngressPathExplanation {
    pub object: IngressObject,
    /// `ns/name[Kind]` of the controller pods, or the assumed controller outside the input.
    pub controller: String,
    /// The destination pods of this path (empty: the destination is not split).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dst_pods: Vec<String>,
    /// What the object routes to these pods (TCP ports on the pods).
    #[serde(serialize_with = "display")]
    pub routed: ConnSet,
    pub allowed: bool,
    /// `routed` as far as the controller's egress and the destination's ingress allow it.
    #[serde(serialize_with = "display")]
    pub allowed_conns: ConnSet,
    pub egress: SideExplanation,
    pub ingress: SideExplanation,
}

/// How an explanation names the controller no pods of the input stand for.
const ASSUMED_CONTROLLER: &str = "{ingress-controller} (assumed: a pod without labels in namespace ingress-controller-ns)";

impl Reachability {
    /// Explain the traffic from outside, through the ingress controllers, to workload `dst`
    /// (an index into [`Reachability::workloads`]), optionally for one protocol/port.
    pub fn explain_ingress(&self, dst: u32, port: Option<(Protocol, u16)>) -> IngressExplanation {
        let focus = |c: &ConnSet| match port {
            Some((p, n)) => c.intersect(&ConnSet::of(p, PortSet::single(n))),
            None => c.clone(),
        };
        let a = &self.analysis;
        let target = &a.workloads[dst as usize];
        let dst_name = target.display();
        let split = target.classes.len() > 1;
        let mut paths = Vec::new();
        let mut allowed_conns = ConnSet::none();
        for b in a.ingress.backends.iter().filter(|b| target.classes.contains(&b.class)) {
            for k in a.forwarder_classes(b.forwarder) {
                let controller = match &a.ingress.forwarders[b.forwarder as usize] {
                    Forwarder::Assumed => ASSUMED_CONTROLLER.to_string(),
                    Forwarder::Pods(_) => {
                        let names: Vec<String> = a.workloads.iter().filter(|w| w.classes.contains(&k)).map(|w| w.display()).collect();
                        names.join(", ")
                    }
                };
                let mut egress = self.explain_side(EGRESS, &controller, End::Class(k), End::Class(b.class));
                let mut ingress = self.explain_side(INGRESS, &dst_name, End::Class(b.class), End::Class(k));
                let routed = focus(&b.conns);
                let conns = routed.intersect(&egress.allowed).intersect(&ingress.allowed);
                for side in [&mut egress, &mut ingress] {
                    side.allowed = focus(&side.allowed);
                    side.matching_rules.retain_mut(|r| {
                        r.conns = focus(&r.conns);
                        !r.conns.is_empty()
                    });
                }
                allowed_conns = allowed_conns.union(&conns);
                let dst_pods = if split { target.pods_of(b.class).into_iter().map(String::from).collect() } else { Vec::new() };
                let object = a.ingress.objects[b.object as usize].clone();
                paths.push(IngressPathExplanation { object, controller, dst_pods, routed, allowed: !conns.is_empty(), allowed_conns: conns, egress, ingress });
            }
        }
        IngressExplanation {
            src: INGRESS_CONTROLLER.to_string(),
            dst: dst_name,
            port: port.map(|(p, n)| format!("{p}/{n}")),
            allowed: !allowed_conns.is_empty(),
            allowed_conns,
            paths,
        }
    }
}

impl fmt::Display for IngressExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.port.as_deref().unwrap_or("any connection");
        let verdict = |allowed: bool| if allowed { "ALLOWED" } else { "DENIED" };
        writeln!(f, "{} => {} ({what}): {}", self.src, self.dst, verdict(self.allowed))?;
        writeln!(f, "  allowed connections: {}", self.allowed_conns)?;
        if self.paths.is_empty() {
            writeln!(f, "  no Ingress, Route or Gateway API route in the input sends traffic to it")?;
        }
        for p in &self.paths {
            let through = if p.object.through.is_empty() { String::new() } else { format!(" through {}", p.object.through.join(", ")) };
            writeln!(f, "  via {} ({}){through}: routes {}; {}, {}", p.object.display(), p.object.location, p.routed, verdict(p.allowed), p.allowed_conns)?;
            writeln!(f, "    forwarded by {}", p.controller)?;
            if !p.dst_pods.is_empty() {
                writeln!(f, "    to pods {}", p.dst_pods.join(", "))?;
            }
            for side in [&p.egress, &p.ingress] {
                write_side(f, side, &p.controller, &self.dst, "    ")?;
            }
        }
        Ok(())
    }
}
