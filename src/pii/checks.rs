//! Check digits of identification numbers. Each takes the digits as ASCII bytes (b'0'..=b'9')
//! and says whether the number is well formed. Sources: the statutes and notices cited in
//! `../shared/research/jp-personal-data.md` (My Number: 平成26年総務省令第85号 第5条; 法人番号:
//! 平成26年財務省令第70号 第2条; 保険者番号: 厚労省「保険者番号等の設定要領」), ISO/IEC 7812 (Luhn)
//! and ICAO 9303.

fn values(digits: &[u8]) -> Option<Vec<u32>> {
    digits
        .iter()
        .map(|&d| d.is_ascii_digit().then(|| (d - b'0') as u32))
        .collect()
}

/// マイナンバー (個人番号): 12 digits, the last a check digit over weights 6 5 4 3 2 7 6 5 4 3 2.
pub fn my_number(digits: &[u8]) -> bool {
    let Some(v) = values(digits).filter(|v| v.len() == 12) else {
        return false;
    };
    const WEIGHTS: [u32; 11] = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = v[..11].iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    v[11] == check
}

/// 法人番号: 13 digits, the first the check digit over the other twelve.
pub fn corporate_number(digits: &[u8]) -> bool {
    let Some(v) = values(digits).filter(|v| v.len() == 13) else {
        return false;
    };
    // Weights 1, 2, 1, 2, … counted from the right of the 12-digit base.
    let sum: u32 = v[1..]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 2 })
        .sum();
    v[0] == 9 - sum % 9
}

/// Luhn (credit cards).
pub fn luhn(digits: &[u8]) -> bool {
    let Some(v) = values(digits).filter(|v| v.len() >= 2) else {
        return false;
    };
    let sum: u32 = v
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// A card number: Luhn, a length from 13 to 19, and an issuer prefix that exists.
pub fn payment_card(digits: &[u8]) -> bool {
    let n = digits.len();
    if !(13..=19).contains(&n) || !luhn(digits) {
        return false;
    }
    let prefix = |k: usize| {
        std::str::from_utf8(&digits[..k])
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
    };
    match digits[0] {
        b'4' => matches!(n, 13 | 16 | 19),
        b'5' => (51..=55).contains(&prefix(2)) && n == 16,
        b'2' => (2221..=2720).contains(&prefix(4)) && n == 16,
        b'3' => {
            matches!(prefix(2), 34 | 37) && n == 15
                || (3528..=3589).contains(&prefix(4)) && n >= 16
                || ((300..=305).contains(&prefix(3))
                    || prefix(4) == 3095
                    || matches!(prefix(2), 36 | 38 | 39))
                    && n >= 14
        }
        b'6' => {
            prefix(4) == 6011
                || (644..=649).contains(&prefix(3))
                || prefix(2) == 65
                || prefix(2) == 62
        }
        _ => false,
    }
}

/// 保険者番号 (8 digits) and 国民健康保険 insurer numbers (6 digits): from the last digit of the
/// body, weights 2, 1, 2, …, the digits of each product summed; check = (10 − sum mod 10) mod 10.
pub fn insurer_number(digits: &[u8]) -> bool {
    let Some(v) = values(digits).filter(|v| v.len() == 8 || v.len() == 6) else {
        return false;
    };
    let (body, check) = v.split_at(v.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let x = if i % 2 == 0 { d * 2 } else { *d };
            x / 10 + x % 10
        })
        .sum();
    check[0] == (10 - sum % 10) % 10
}

/// 運転免許証番号: 12 digits; a known 公安委員会 code and the check digit reported by several
/// sources (not official: use it to raise confidence, never to reject a labelled number).
pub fn drivers_license(digits: &[u8]) -> bool {
    let Some(v) = values(digits).filter(|v| v.len() == 12) else {
        return false;
    };
    let code = v[0] * 10 + v[1];
    let known = matches!(code, 10..=14 | 20..=25 | 30 | 40..=49 | 50..=55 | 60..=65 | 70..=74 | 80..=83 | 90..=97);
    const WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = v[..10].iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    known && v[10] == (11 - sum % 11) % 10
}

/// ICAO 9303 check digit of a machine-readable-zone field (digits, A–Z, `<`).
pub fn icao(field: &str) -> Option<u32> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum = 0;
    for (i, c) in field.chars().enumerate() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            '<' => 0,
            _ => return None,
        };
        sum += v * WEIGHTS[i % 3];
    }
    Some(sum % 10)
}

/// A US social security number's groups are possible (area not 000, 666 or 9xx; group and
/// serial not zero).
pub fn ssn(area: &str, group: &str, serial: &str) -> bool {
    area != "000" && area != "666" && !area.starts_with('9') && group != "00" && serial != "0000"
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from shared/research/jp-personal-data.md (verified there).
    #[test]
    fn my_number_vectors() {
        for ok in [
            "123456789018",
            "621498320257",
            "983205673214",
            "111111111118",
        ] {
            assert!(my_number(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "123456789019",
            "983205673210",
            "12345678901",
            "12345678901a",
        ] {
            assert!(!my_number(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn corporate_number_vectors() {
        for ok in [
            "7000012050002",
            "4011001098993",
            "2120901007402",
            "7123456789012",
        ] {
            assert!(corporate_number(ok.as_bytes()), "{ok}");
        }
        assert!(!corporate_number(b"8123456789012"));
    }

    #[test]
    fn card_vectors() {
        for ok in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "3530111333300000",
            "6011111111111117",
            "30569309025904",
        ] {
            assert!(payment_card(ok.as_bytes()), "{ok}");
        }
        assert!(!payment_card(b"4111111111111112"));
        assert!(!payment_card(b"1234567812345670")); // Luhn-valid, no such issuer
    }

    #[test]
    fn insurer_and_licence_vectors() {
        for ok in ["33120015", "01130012", "39131156"] {
            assert!(insurer_number(ok.as_bytes()), "{ok}");
        }
        assert!(!insurer_number(b"33120016"));
        assert!(drivers_license(b"459803358720"));
        assert!(!drivers_license(b"459803358730"));
        assert!(!drivers_license(b"009803358720"));
    }

    #[test]
    fn icao_vectors() {
        assert_eq!(icao("L898902C3"), Some(6));
        assert_eq!(icao("740812"), Some(2));
        assert_eq!(icao("120415"), Some(9));
        assert!(ssn("123", "45", "6789"));
        assert!(!ssn("666", "45", "6789"));
    }
}
