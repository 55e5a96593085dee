//! Card data discovery in cluster objects (PCI DSS 3.2–3.5, 12.10.7, A3.2.5).

mod pan_in_objects;
mod test_pan_in_objects;

use crate::Check;

pub const CHECKS: &[&Check] = &[&pan_in_objects::PAN_IN_OBJECTS, &test_pan_in_objects::TEST_PAN_IN_OBJECTS];

use kubepci_findings::Evidence;
use kubepci_pan::MaskMode;

use crate::Emitter;
use crate::support::text_fields::visit_text_fields;

/// One mechanism for both card checks: walk every object's text fields and report the card
/// numbers whose test-card flag equals `test_cards`, masked (first six, last four at most).
pub(crate) fn report_pans(e: &mut Emitter, test_cards: bool) {
    let inv = e.context().inv;
    for (index, o) in inv.objects.iter().enumerate() {
        let mut evidence = Vec::new();
        visit_text_fields(o, &mut |bytes, path| {
            for m in kubepci_pan::find_pans(bytes) {
                if m.is_test == test_cards {
                    evidence.push(Evidence::field(path(), format!("{} {}", m.brand.name(), m.masked(MaskMode::First6Last4))));
                }
            }
        });
        if evidence.is_empty() {
            e.pass(index);
        } else {
            let what = if test_cards { "public test card number" } else { "card number (PAN)" };
            let fields: Vec<&str> = evidence.iter().map(|ev| ev.path.as_str()).collect();
            e.fail(index, format!("{} {what}(s) in plain text at {}", evidence.len(), fields.join(", ")), evidence);
        }
    }
}
