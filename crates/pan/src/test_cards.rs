//! Well-known public test card numbers.
//!
//! Payment providers (Stripe, Braintree, Adyen, PayPal, Worldpay and others) document these
//! numbers for integration testing; they are Luhn-valid and carry real brand prefixes but
//! are not issued to anyone. A hit on one is reported with `is_test = true`, a lower
//! severity class: it still shows that card data may flow through the place where it was
//! found, but it is not a cardholder's number.

/// Sorted ascending, so membership is a binary search. A PAN has no leading zero, so its
/// numeric value identifies it together with its length.
const TEST_PANS: &[u64] = &[
    4222222222222,
    30000000000004,
    30569309025904,
    36148900647913,
    36227206271667,
    36700102000000,
    38520000023237,
    340000000000009,
    341111111111111,
    343434343434343,
    370000000000002,
    371449635398431,
    378282246310005,
    378734493671000,
    2222400070000005,
    2222410740360010,
    2223000048400011,
    2223003122003222,
    3056930009020004,
    3528000000000007,
    3530111333300000,
    3566002020360505,
    3566111111111113,
    3569990010095841,
    4000000000000002,
    4000000000000010,
    4000000000000028,
    4000000000000036,
    4000000000000044,
    4000000000000069,
    4000000000000077,
    4000000000000093,
    4000000000000101,
    4000000000000119,
    4000000000000127,
    4000000000000259,
    4000000000000341,
    4000000000001976,
    4000000000003063,
    4000000000003220,
    4000000000005126,
    4000000000009979,
    4000000000009987,
    4000000000009995,
    4000000760000002,
    4000001240000000,
    4000002500003155,
    4000002760003184,
    4000056655665556,
    4000620000000007,
    4005519200000004,
    4009348888881881,
    4012000033330026,
    4012000077777777,
    4012888888881881,
    4100000000000019,
    4111111111111111,
    4111111145551142,
    4166676667666746,
    4217651111111119,
    4242424242424242,
    4462030000000000,
    4484070000000000,
    4500600000000061,
    4646464646464644,
    4917300800000000,
    4917610000000000,
    4988438843884305,
    5101180000000007,
    5105105105105100,
    5200000000000007,
    5200828282828210,
    5425233430109903,
    5431111111111111,
    5454545454545454,
    5500000000000004,
    5555341244441115,
    5555444433331111,
    5555555555554444,
    5577000055770004,
    6011000000000004,
    6011000400000000,
    6011000990139424,
    6011111111111117,
    6011601160116611,
    6011981111111113,
    6200000000000005,
    6212345678901232,
    6212345678901265,
    6243030000000001,
    6250941006528599,
    6331101999990016,
    6445644564456445,
    6759649826438453,
    4000000000000000006,
    6205500000000000004,
    6799990100000000019,
];

/// True when the ASCII digit string is one of the documented public test numbers.
pub fn is_test_pan(digits: &[u8]) -> bool {
    if digits.is_empty() || digits.len() > 19 || digits[0] == b'0' {
        return false;
    }
    let mut value: u64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return false;
        }
        // 19 digits fit in u64 (max 9_999_999_999_999_999_999 < 2^64).
        value = value * 10 + u64::from(d);
    }
    TEST_PANS.binary_search(&value).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{brand_of, luhn_valid};

    #[test]
    fn list_is_sorted_and_every_entry_is_a_valid_pan() {
        assert!(TEST_PANS.windows(2).all(|w| w[0] < w[1]));
        for n in TEST_PANS {
            let s = n.to_string();
            assert!(luhn_valid(s.as_bytes()), "entry {} fails Luhn", s.len());
            assert!(
                brand_of(s.as_bytes()).is_some(),
                "entry of length {} has no brand",
                s.len()
            );
        }
    }

    #[test]
    fn lookup() {
        assert!(is_test_pan(b"4111111111111111"));
        assert!(is_test_pan(b"378282246310005"));
        assert!(is_test_pan(b"4222222222222"));
        assert!(!is_test_pan(b"4111111111111129"));
        assert!(!is_test_pan(b"04111111111111111"));
        assert!(!is_test_pan(b""));
        assert!(!is_test_pan(b"41111x1111111111"));
    }
}
