//! The Luhn (mod 10) check digit used by every payment card brand.

/// `DOUBLED[d]` is the digit sum of `2 * d`, the value Luhn adds for every second digit.
const DOUBLED: [u8; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];

/// True when `digits` (ASCII `0`–`9` only, at least one) passes the Luhn check.
///
/// Any non-digit byte, or an empty slice, gives `false`.
pub fn luhn_valid(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum: u32 = 0;
    for (i, &b) in digits.iter().rev().enumerate() {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return false;
        }
        sum += u32::from(if i % 2 == 1 {
            DOUBLED[usize::from(d)]
        } else {
            d
        });
    }
    sum.is_multiple_of(10)
}

/// The check digit (ASCII) that makes `payload` followed by it Luhn-valid.
///
/// Returns `None` when `payload` holds a non-digit byte.
pub fn luhn_check_digit(payload: &[u8]) -> Option<u8> {
    let mut sum: u32 = 0;
    // The check digit will sit at position 0 from the right, so the last payload digit
    // is at position 1 and gets doubled.
    for (i, &b) in payload.iter().rev().enumerate() {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        sum += u32::from(if i % 2 == 0 {
            DOUBLED[usize::from(d)]
        } else {
            d
        });
    }
    // `sum % 10 < 10`, so the cast cannot truncate.
    Some(b'0' + ((10 - sum % 10) % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert!(luhn_valid(b"79927398713"));
        assert!(!luhn_valid(b"79927398710"));
        assert!(luhn_valid(b"4111111111111111"));
        assert!(luhn_valid(b"0"));
        assert!(!luhn_valid(b""));
        assert!(!luhn_valid(b"4111 1111"));
        assert_eq!(luhn_check_digit(b"7992739871"), Some(b'3'));
        assert_eq!(luhn_check_digit(b"12a"), None);
    }

    proptest! {
        #[test]
        fn appended_check_digit_is_valid(payload in "[0-9]{1,30}") {
            let mut n = payload.into_bytes();
            let c = luhn_check_digit(&n).unwrap();
            n.push(c);
            prop_assert!(luhn_valid(&n));
        }

        #[test]
        fn changing_one_digit_invalidates(payload in "[0-9]{1,30}", pos in any::<prop::sample::Index>(), delta in 1u8..10) {
            let mut n = payload.into_bytes();
            let c = luhn_check_digit(&n).unwrap();
            n.push(c);
            let i = pos.index(n.len());
            n[i] = b'0' + (n[i] - b'0' + delta) % 10;
            prop_assert!(!luhn_valid(&n));
        }
    }
}
