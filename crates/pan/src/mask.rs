//! Masking of card numbers for display (PCI DSS 3.4.1).

/// How much of a PAN may be shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MaskMode {
    /// At most the first six and the last four digits; every other digit becomes `*`.
    #[default]
    First6Last4,
    /// Only the last four digits.
    Last4,
}

/// Masks an ASCII digit string: the digits only, separators dropped, one `*` per hidden
/// digit (so the length stays visible). Numbers shorter than 11 digits never reach here
/// (PANs have 13–19), but would still get at least one hidden digit in the middle.
pub(crate) fn mask_digits(digits: &[u8], mode: MaskMode) -> String {
    let n = digits.len();
    // At least one digit stays hidden however short the input.
    let tail = 4.min(n.saturating_sub(1));
    let head = match mode {
        MaskMode::First6Last4 => 6.min(n.saturating_sub(tail + 1)),
        MaskMode::Last4 => 0,
    };
    let tail_from = n - tail;
    digits
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (i < head || i >= tail_from) && b.is_ascii_digit() {
                char::from(b)
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(
            mask_digits(b"4111111111111111", MaskMode::First6Last4),
            "411111******1111"
        );
        assert_eq!(
            mask_digits(b"4111111111111111", MaskMode::Last4),
            "************1111"
        );
        assert_eq!(
            mask_digits(b"378282246310005", MaskMode::First6Last4),
            "378282*****0005"
        );
        assert_eq!(
            mask_digits(b"4222222222222", MaskMode::First6Last4),
            "422222***2222"
        );
        assert_eq!(mask_digits(b"12345", MaskMode::First6Last4), "*2345");
        assert_eq!(mask_digits(b"1", MaskMode::First6Last4), "*");
        assert_eq!(mask_digits(b"1234", MaskMode::Last4), "*234");
    }

    proptest! {
        #[test]
        fn never_reveals_more_than_six_plus_four(d in "[0-9]{1,19}", last4 in any::<bool>()) {
            let mode = if last4 { MaskMode::Last4 } else { MaskMode::First6Last4 };
            let m = mask_digits(d.as_bytes(), mode);
            let shown: Vec<usize> = m.char_indices().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
            let limit_head = if last4 { 0 } else { 6 };
            prop_assert_eq!(m.len(), d.len());
            prop_assert!(shown.len() <= limit_head + 4);
            prop_assert!(shown.len() < d.len(), "at least one digit hidden");
            for i in shown {
                prop_assert!(i < limit_head || i + 4 >= d.len());
                prop_assert_eq!(m.as_bytes()[i], d.as_bytes()[i]);
            }
        }
    }
}
