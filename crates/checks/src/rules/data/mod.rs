//! Card data discovery in cluster objects (PCI DSS 3.2–3.5, 12.10.7, A3.2.5).

mod pan_in_objects;
mod test_pan_in_objects;

use crate::Check;

pub const CHECKS: &[&Check] = &[&pan_in_objects::PAN_IN_OBJECTS, &test_pan_in_objects::TEST_PAN_IN_OBJECTS];

use crate::Emitter;

/// One mechanism for both card checks: the card numbers the context found in every object's
/// text fields (searched once, see `Context::card_numbers`), reported when their test-card flag
/// equals `test_cards`, masked (first six, last four at most).
pub(crate) fn report_pans(e: &mut Emitter, test_cards: bool) {
    let cx = e.context();
    let found = cx.card_numbers();
    let mut next = found.iter().peekable();
    for index in 0..cx.inv.objects.len() {
        let here = next.next_if(|c| c.object == index);
        let evidence: Vec<_> = here.into_iter().flat_map(|c| &c.found).filter(|(is_test, _)| *is_test == test_cards).map(|(_, ev)| ev.clone()).collect();
        if evidence.is_empty() {
            e.pass(index);
        } else {
            let what = if test_cards { "public test card number" } else { "card number (PAN)" };
            let fields: Vec<&str> = evidence.iter().map(|ev| ev.path.as_str()).collect();
            e.fail(index, format!("{} {what}(s) in plain text at {}", evidence.len(), fields.join(", ")), evidence);
        }
    }
}
