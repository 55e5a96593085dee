use crate::{Context, Emitter, declare_check};

declare_check! {
    /// Public test card numbers should not ship in production objects
    ///
    /// ## What it checks
    /// The same fields as DATA-001, for the well-known test card numbers that payment
    /// providers publish (for example Visa `4111 1111 1111 1111`). They are not cardholder
    /// data, so this is low severity, but they show test fixtures or test accounts in the
    /// environment.
    ///
    /// ## Why PCI DSS cares
    /// Requirement 6.5.6 asks that test data and test accounts are removed before a system
    /// goes live; test cards in production config are a sign that they were not.
    ///
    /// ## Failing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: smoke, namespace: payments}
    /// data:
    ///   card: "4111111111111111"
    /// ```
    ///
    /// ## Passing example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: smoke, namespace: payments}
    /// data:
    ///   card: "use the sandbox token tok_visa"
    /// ```
    ///
    /// ## Fix
    /// Move smoke tests that need test cards to a pre-production environment, or use the
    /// payment provider's test tokens instead of card numbers.
    pub TEST_PAN_IN_OBJECTS {
        id: "DATA-002",
        name: "test-pan-in-objects",
        severity: Low,
        applies: All,
        reads: [any],
        on_partial_input: FailuresStand,
        locality: Object,
        requirements: [("6.5.6", "6.5.6.c", "test card numbers in production objects are test data left behind")],
        run: run,
    }
}

fn run(_cx: &Context, e: &mut Emitter) {
    super::report_pans(e, true);
}
