//! Card data discovery in cluster objects (PCI DSS 3.2–3.5, 12.10.7, A3.2.5).

mod pan_in_objects;
mod pan_in_preproduction;
pub(crate) mod sad_in_objects;
mod test_pan_in_objects;

use crate::Check;

pub const CHECKS: &[&Check] = &[&pan_in_objects::PAN_IN_OBJECTS, &test_pan_in_objects::TEST_PAN_IN_OBJECTS, &sad_in_objects::SAD_IN_OBJECTS, &pan_in_preproduction::PAN_IN_PREPRODUCTION];

use crate::Emitter;

/// One mechanism for both card checks: the card numbers the context found in every object's
/// text fields (searched once, see `Context::card_numbers`), reported when their test-card flag
/// equals `test_cards`, masked (first six, last four at most).
pub(crate) fn report_pans(e: &mut Emitter, test_cards: bool) {
    let cx = e.context();
    if let Some(focus) = e.focus() {
        // A few objects: searched here, rather than every object through the shared analysis.
        for index in focus.indices().filter(|&i| i < cx.inv.objects.len()) {
            let found = crate::analyses::card_numbers_of(&cx.inv.objects[index]);
            report_object_pans(e, index, found.iter(), test_cards);
        }
        return;
    }
    let found = cx.card_numbers();
    let mut next = found.iter().peekable();
    for index in 0..cx.inv.objects.len() {
        let here = next.next_if(|c| c.object == index);
        report_object_pans(e, index, here.into_iter().flat_map(|c| &c.found), test_cards);
    }
}

/// One object's result: its card numbers of the kind asked for (`test_cards`), or a pass.
fn report_object_pans<'a>(e: &mut Emitter, index: usize, found: impl Iterator<Item = &'a (bool, kubepci_findings::Evidence)>, test_cards: bool) {
    let evidence: Vec<_> = found.filter(|(is_test, _)| *is_test == test_cards).map(|(_, ev)| ev.clone()).collect();
    if evidence.is_empty() {
        e.pass(index);
    } else {
        let what = match (test_cards, evidence.len()) {
            (true, 1) => "1 public test card number".to_string(),
            (true, n) => format!("{n} public test card numbers"),
            (false, 1) => "1 card number (PAN)".to_string(),
            (false, n) => format!("{n} card numbers (PANs)"),
        };
        let where_all = "`kubepci pan scan` on the source file lists every one";
        e.fail_listing(index, &format!("{what} in plain text at "), &evidence, |ev| ev.path.clone(), Clone::clone, where_all);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::run;

    /// The failure messages of DATA-001 on a ConfigMap whose data holds `values`.
    fn messages(values: &[&str]) -> Vec<(String, usize)> {
        let data: String = values.iter().enumerate().map(|(i, v)| format!("  k{i:02}: \"{v}\"\n")).collect();
        let yaml = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm, namespace: shop}}\ndata:\n{data}");
        let out = run(&super::pan_in_objects::PAN_IN_OBJECTS, &yaml, "");
        out.findings.iter().map(|f| (f.message.clone(), f.evidence.len())).collect()
    }

    #[test]
    #[allow(clippy::inconsistent_digit_grouping, reason = "the first six digits, the issuer number, stand apart")]
    fn one_card_is_singular_and_many_are_listed_briefly() {
        let one = messages(&[&format!("card {} on file", luhn_complete(484719_000001_362))]);
        assert_eq!(one, [("1 card number (PAN) in plain text at data[k00]".to_string(), 1)]);
        // 30 different valid card numbers: the message names five, the evidence twenty plus a count.
        let cards: Vec<String> = (0..30u64).map(|i| luhn_complete(484719_000000_000 + i * 10)).collect();
        let refs: Vec<&str> = cards.iter().map(String::as_str).collect();
        let many = messages(&refs);
        assert_eq!(many.len(), 1);
        let (message, evidence) = &many[0];
        assert!(message.starts_with("30 card numbers (PANs) in plain text at data[k00], data[k01]"), "{message}");
        assert!(message.ends_with("data[k04] and 25 more"), "{message}");
        assert_eq!(*evidence, 21);
        assert!(!message.contains("4847190000"), "{message}");
    }

    /// `prefix` (15 digits) with its Luhn check digit appended.
    fn luhn_complete(prefix: u64) -> String {
        let prefix = prefix.to_string();
        let check = kubepci_pan::luhn_check_digit(prefix.as_bytes()).expect("digits");
        format!("{prefix}{}", char::from(check))
    }
}
