use crate::{Context, Emitter, declare_check};

declare_check! {
    /// No card numbers may be stored in plain text in cluster objects
    ///
    /// ## What it checks
    /// Every text field where data leaks in practice: labels and annotations of every object,
    /// ConfigMap `data` and `binaryData`, Secret `data` (after base64 decoding) and
    /// `stringData`, container environment values, commands and arguments, and every string
    /// in a custom resource. A card number is 13–19 digits (optionally grouped by spaces or
    /// dashes) that passes the Luhn check and matches a real issuer prefix and length. Public
    /// test card numbers are reported separately by DATA-002. Evidence shows at most the first
    /// six and last four digits.
    ///
    /// ## Why PCI DSS cares
    /// PAN must be unreadable wherever it is stored (3.5.1) and kept only where justified
    /// (3.2.1). Objects are stored unencrypted in etcd unless encryption at rest covers them,
    /// copied into Git, backups and `kubectl get` output. A PAN found here must also start the
    /// incident procedure of 12.10.7, and the scan is one input to the data discovery of
    /// A3.2.5; whether those procedures exist and run is the assessor's to examine, so the
    /// check is not mapped to them.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: replay, namespace: payments}
    /// data:
    ///   fixture.json: '{"card": "4556 7375 8689 9855"}'
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: replay, namespace: payments}
    /// data:
    ///   fixture.json: '{"card_token": "tok_9f8e7d6c", "last4": "9855"}'
    /// ```
    ///
    /// ## Fix
    /// Remove the card number from the object (and from Git history and backups), use a token
    /// or the last four digits instead, and follow the incident response procedure for PAN
    /// found outside the CDE's approved stores.
    pub PAN_IN_OBJECTS {
        id: "DATA-001",
        name: "pan-in-objects",
        severity: Critical,
        applies: All,
        reads: [any],
        on_partial_input: FailuresStand,
        locality: Object,
        requirements: [
            ("3.5.1", "3.5.1.b", "a PAN in an object is stored in readable form in a data repository (etcd, and every copy of the object)"),
            ("3.2.1", "3.2.1.b", "account data sits in a store that no retention policy covers"),
        ],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    super::report_pans(e, false);
}
