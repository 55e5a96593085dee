//! Card brands, recognised by issuer identification number (IIN) prefix and PAN length.

use serde::{Serialize, Serializer};

/// A payment card brand (scheme).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Brand {
    Visa,
    Mastercard,
    AmericanExpress,
    Discover,
    Jcb,
    DinersClub,
    UnionPay,
    Maestro,
}

impl Brand {
    /// Every brand, in a fixed order (used for summaries).
    pub const ALL: [Brand; 8] = [
        Brand::Visa,
        Brand::Mastercard,
        Brand::AmericanExpress,
        Brand::Discover,
        Brand::Jcb,
        Brand::DinersClub,
        Brand::UnionPay,
        Brand::Maestro,
    ];

    /// The brand's display name, as used in every output format.
    pub fn name(self) -> &'static str {
        match self {
            Brand::Visa => "Visa",
            Brand::Mastercard => "Mastercard",
            Brand::AmericanExpress => "American Express",
            Brand::Discover => "Discover",
            Brand::Jcb => "JCB",
            Brand::DinersClub => "Diners Club",
            Brand::UnionPay => "UnionPay",
            Brand::Maestro => "Maestro",
        }
    }
}

impl std::fmt::Display for Brand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Brand {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The first `n` digits of `d` as a number (`d` must hold at least `n` ASCII digits).
fn prefix(d: &[u8], n: usize) -> u32 {
    d[..n]
        .iter()
        .fold(0, |acc, &b| acc * 10 + u32::from(b - b'0'))
}

/// The brand whose IIN range and length both fit `digits` (13–19 ASCII digits).
///
/// The first brand whose prefix range matches decides; if that brand does not issue
/// numbers of this length the result is `None` (no fall-through to another brand).
/// The Luhn check is separate (`luhn_valid`).
pub fn brand_of(digits: &[u8]) -> Option<Brand> {
    let len = digits.len();
    if !(13..=19).contains(&len) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (p2, p3, p4, p6) = (
        prefix(digits, 2),
        prefix(digits, 3),
        prefix(digits, 4),
        prefix(digits, 6),
    );
    let (brand, lengths): (Brand, &[usize]) = if digits[0] == b'4' {
        (Brand::Visa, &[13, 16, 19])
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        (Brand::Mastercard, &[16])
    } else if p2 == 34 || p2 == 37 {
        (Brand::AmericanExpress, &[15])
    } else if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6)
    {
        (Brand::Discover, &[16, 17, 18, 19])
    } else if (3528..=3589).contains(&p4) {
        (Brand::Jcb, &[16, 17, 18, 19])
    } else if (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39 {
        (Brand::DinersClub, &[14, 15, 16, 17, 18, 19])
    } else if p2 == 62 {
        (Brand::UnionPay, &[16, 17, 18, 19])
    } else if p2 == 50 || (56..=69).contains(&p2) {
        (Brand::Maestro, &[13, 14, 15, 16, 17, 18, 19])
    } else {
        return None;
    };
    lengths.contains(&len).then_some(brand)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Option<Brand> {
        brand_of(s.as_bytes())
    }

    #[test]
    fn prefixes_and_lengths() {
        assert_eq!(b("4111111111111111"), Some(Brand::Visa));
        assert_eq!(b("4222222222222"), Some(Brand::Visa));
        assert_eq!(b("41111111111111"), None, "14-digit Visa does not exist");
        assert_eq!(b("5555555555554444"), Some(Brand::Mastercard));
        assert_eq!(b("2221000000000009"), Some(Brand::Mastercard));
        assert_eq!(b("2720990000000000"), Some(Brand::Mastercard));
        assert_eq!(b("2220990000000000"), None);
        assert_eq!(b("2721000000000000"), None);
        assert_eq!(b("378282246310005"), Some(Brand::AmericanExpress));
        assert_eq!(b("3782822463100050"), None, "Amex is 15 digits only");
        assert_eq!(b("6011111111111117"), Some(Brand::Discover));
        assert_eq!(b("6445644564456445"), Some(Brand::Discover));
        assert_eq!(b("6221260000000000"), Some(Brand::Discover));
        assert_eq!(b("6221250000000000"), Some(Brand::UnionPay));
        assert_eq!(b("6229260000000000"), Some(Brand::UnionPay));
        assert_eq!(b("3530111333300000"), Some(Brand::Jcb));
        assert_eq!(b("3527000000000000"), None);
        assert_eq!(b("30569309025904"), Some(Brand::DinersClub));
        assert_eq!(b("36227206271667"), Some(Brand::DinersClub));
        assert_eq!(b("3065930902590"), None, "13-digit Diners does not exist");
        assert_eq!(b("6759649826438453"), Some(Brand::Maestro));
        assert_eq!(b("5018000000000"), Some(Brand::Maestro));
        assert_eq!(b("1234567890123456"), None);
        assert_eq!(b("7000000000000000"), None);
        assert_eq!(b("411111111111"), None, "too short");
        assert_eq!(b("41111111111111111111"), None, "too long");
        assert_eq!(b("4111-1111-1111-1111"), None);
    }
}
