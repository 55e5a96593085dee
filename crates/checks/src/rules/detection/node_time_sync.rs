use kubepci_findings::Evidence;
use kubepci_model::Resource;

use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Nodes must report their time synchronization running
    ///
    /// ## What it checks
    /// On a snapshot or live cluster, the `NTPProblem` condition that node-problem-detector's
    /// NTP monitor sets on Nodes (its `ntp` custom plugin checks that the node's NTP or chrony
    /// service runs). A Node whose condition is `True` fails; `False` passes. When no Node in
    /// the input carries the condition the check is not assessed: time synchronization is then
    /// configured on the node operating system (or by the cloud provider), which the Kubernetes
    /// API does not show; a Node without it, while others have it, is not assessed either.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 10.6.1 asks that system clocks are synchronized with time-synchronization
    /// technology; without it, audit log timestamps from different nodes cannot be put in
    /// order, and certificate and token validity is judged against the wrong time.
    ///
    /// ## Failing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status:
    ///   conditions:
    ///   - {type: Ready, status: "True"}
    ///   - {type: NTPProblem, status: "True", reason: NTPIsDown, message: ntp service is not running}
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// # input: snapshot
    /// apiVersion: v1
    /// kind: Node
    /// metadata: {name: worker-1}
    /// status:
    ///   conditions:
    ///   - {type: Ready, status: "True"}
    ///   - {type: NTPProblem, status: "False", reason: NTPIsUp, message: ntp service is up}
    /// ```
    ///
    /// ## Fix
    /// Start and enable chrony or ntpd (or systemd-timesyncd) on the node, pointed at the
    /// entity's designated time sources, and keep node-problem-detector's NTP monitor on to
    /// report it.
    pub NODE_TIME_SYNC {
        id: "KUB-003",
        name: "node-time-sync-down",
        severity: Medium,
        applies: All,
        reads: [Node],
        requirements: [("10.6.1", "10.6.1", "node-problem-detector's NTP monitor reports whether each node's time-synchronization service runs")],
        run: run,
    }
}

const CONDITION: &str = "NTPProblem";

/// A Node's `NTPProblem` condition: its status and reason.
type NtpCondition = Option<(String, Option<String>)>;

fn run(cx: &Context, e: &mut Emitter) {
    if !cx.input.is_cluster() {
        e.not_assessed(None, "manifests hold no Nodes; scan a live cluster or a snapshot (`kubepci collect`)");
        return;
    }
    let nodes: Vec<(usize, NtpCondition)> = cx
        .inv
        .indices_of_kind("Node")
        .iter()
        .filter_map(|&i| {
            let Resource::Node(node) = &cx.inv.objects[i].resource else { return None };
            let condition = node.status.as_ref().and_then(|s| s.conditions.as_ref()).and_then(|c| c.iter().find(|c| c.type_ == CONDITION)).map(|c| (c.status.clone(), c.reason.clone()));
            Some((i, condition))
        })
        .collect();
    if nodes.iter().all(|(_, c)| c.is_none()) {
        e.not_assessed(None, "no Node reports the NTPProblem condition (node-problem-detector's NTP monitor): time synchronization is set on the node operating system, outside the Kubernetes API");
        return;
    }
    for (index, condition) in nodes {
        if !e.sees(index) {
            continue;
        }
        match condition {
            Some((status, _)) if status == "False" => e.pass(index),
            Some((status, reason)) if status == "True" => {
                let reason = reason.unwrap_or_default();
                e.fail(index, format!("node reports its time synchronization down ({CONDITION}: {reason})"), vec![Evidence::field(format!("status.conditions[{CONDITION}]"), format!("True {reason}"))]);
            }
            Some((status, _)) => e.not_assessed(Some(index), format!("{CONDITION} is {status}")),
            None => e.not_assessed(Some(index), format!("the node reports no {CONDITION} condition (node-problem-detector's NTP monitor is not running there)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, condition: &str) -> String {
        format!("---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus: {{conditions: [{{type: Ready, status: \"True\"}}{condition}]}}\n")
    }

    #[test]
    fn condition_decides_and_absence_is_not_assessed() {
        let yaml = format!("# input: snapshot\n{}{}{}", node("a", ", {type: NTPProblem, status: \"True\", reason: NTPIsDown}"), node("b", ", {type: NTPProblem, status: \"False\"}"), node("c", ""));
        let out = crate::testing::run(&NODE_TIME_SYNC, &yaml, "");
        assert_eq!((out.fails.len(), out.passed, out.not_assessed.len()), (1, 1, 1), "{out:?}");
        let none = crate::testing::run(&NODE_TIME_SYNC, &format!("# input: snapshot\n{}", node("c", "")), "");
        assert_eq!((none.passed, none.not_assessed.len()), (0, 1), "{none:?}");
        let manifests = crate::testing::run(&NODE_TIME_SYNC, &node("a", ", {type: NTPProblem, status: \"False\"}"), "");
        assert_eq!((manifests.passed, manifests.not_assessed.len()), (0, 1), "{manifests:?}");
    }
}
