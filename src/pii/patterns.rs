//! Recognisers that need no context: the shape of the text (and a check digit) is enough.
//! They run on folded text (see [`super::text`]) and return byte ranges into it.

use std::sync::OnceLock;

use regex::Regex;

use super::category::Category;
use super::checks;

/// Something found in a piece of text.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub category: Category,
    pub score: f32,
    pub reason: &'static str,
}

struct Rules {
    email: Regex,
    mobile: Regex,
    landline: Regex,
    landline_paren: Regex,
    international: Regex,
    us_phone: Regex,
    postal: Regex,
    twelve: Regex,
    card: Regex,
    residence: Regex,
    licence: Regex,
    passport: Regex,
    ssn: Regex,
    age: Regex,
    dates: Vec<Regex>,
    era: Regex,
    born: Regex,
    prefecture: Regex,
    city: Regex,
}

const PREFECTURES: &str = "北海道|東京都|京都府|大阪府|(?:青森|岩手|宮城|秋田|山形|福島|茨城|栃木|群馬|埼玉|千葉|神奈川|新潟|富山|石川|福井|山梨|長野|岐阜|静岡|愛知|三重|滋賀|兵庫|奈良|和歌山|鳥取|島根|岡山|広島|山口|徳島|香川|愛媛|高知|福岡|佐賀|長崎|熊本|大分|宮崎|鹿児島|沖縄)県";

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let r = |p: &str| Regex::new(p).expect("a valid pattern");
        Rules {
            email: r(r"[A-Za-z0-9._%+-]+ ?@ ?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
            mobile: r(r"0[5-9]0-?[0-9]{4}-?[0-9]{4}"),
            landline: r(r"(0[1-9][0-9]{0,3})-([0-9]{1,4})-[0-9]{4}"),
            landline_paren: r(r"\((0[1-9][0-9]{0,3})\) ?([0-9]{1,4})-?[0-9]{4}"),
            international: r(r"\+81[- ]?(?:\(0\))?[- ]?[1-9][0-9]{0,3}[- ]?[0-9]{1,4}[- ]?[0-9]{4}"),
            us_phone: r(r"\([2-9][0-9]{2}\) ?[0-9]{3}[-. ][0-9]{4}|[2-9][0-9]{2}[-.][0-9]{3}[-.][0-9]{4}"),
            postal: r(r"〒 ?[0-9]{3}-?[0-9]{4}"),
            twelve: r(r"[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}"),
            card: r(r"[0-9](?:[ -]?[0-9]){12,18}"),
            residence: r(r"[A-Z]{2}[0-9]{8}[A-Z]{2}"),
            licence: r(r"第 ?([0-9]{12}) ?号"),
            passport: r(r"[A-Z]{2}[0-9]{7}"),
            ssn: r(r"([0-9]{3})-([0-9]{2})-([0-9]{4})"),
            age: r(r"(?:満 ?)?[0-9]{1,3} ?[歳才]"),
            dates: vec![
                r(r"(?:19|20)[0-9]{2} ?[年/.-] ?[0-9]{1,2} ?[月/.-] ?[0-9]{1,2} ?日?"),
                r(r"(?:明治|大正|昭和|平成|令和|[MTSHR]) ?(?:元|[0-9]{1,2}) ?[年./-] ?[0-9]{1,2} ?[月./-] ?[0-9]{1,2} ?日?"),
                // 月 lost by the reader (昭和47年713日生 for 昭和47年7月13日生): 年 and 日 with
                // two to four digits between them still make a date.
                r(r"(?:(?:19|20)[0-9]{2}|(?:明治|大正|昭和|平成|令和) ?(?:元|[0-9]{1,2})) ?年 ?[0-9]{2,4} ?日"),
                r(r"[0-9]{1,2}/[0-9]{1,2}/(?:19|20)[0-9]{2}"),
                r(r"[0-9]{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? (?:19|20)[0-9]{2}"),
                r(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? [0-9]{1,2}, ?(?:19|20)[0-9]{2}"),
            ],
            era: r(r"^(?:明治|大正|昭和|[MTS]) ?(?:元|[0-9]{1,2})"),
            born: r(r"^ ?(?:生まれ|生|出生)"),
            prefecture: r(PREFECTURES),
            city: r(r"[一-龥ヶケ]{1,5}[市区郡][一-龥ぁ-んァ-ヶー]{0,12}(?:[0-9]+|[一二三四五六七八九十]+)(?:丁目|番地?|号|-)"),
        }
    })
}

fn digit_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric())
}

fn digit_after(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Standing alone: no letter or digit right before or after, nor a hyphen joining it to one.
fn isolated(text: &str, start: usize, end: usize) -> bool {
    let before = &text[..start];
    let after = &text[end..];
    let joined_before = before
        .strip_suffix('-')
        .is_some_and(|b| b.chars().next_back().is_some_and(|c| c.is_ascii_digit()));
    let joined_after = after
        .strip_prefix('-')
        .is_some_and(|a| a.chars().next().is_some_and(|c| c.is_ascii_digit()));
    !digit_before(text, start) && !digit_after(text, end) && !joined_before && !joined_after
}

fn digits(text: &str) -> Vec<u8> {
    text.bytes().filter(u8::is_ascii_digit).collect()
}

/// Every date in `text` (Western, era and English forms).
pub fn dates(text: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for re in &rules().dates {
        for m in re.find_iter(text) {
            if isolated(text, m.start(), m.end())
                && !out.iter().any(|&(a, b)| a < m.end() && m.start() < b)
            {
                out.push((m.start(), m.end()));
            }
        }
    }
    out.sort();
    out
}

/// The context-free findings in `text`.
pub fn find(text: &str) -> Vec<Hit> {
    let r = rules();
    let mut hits = Vec::new();
    fn push(
        hits: &mut Vec<Hit>,
        start: usize,
        end: usize,
        category: Category,
        score: f32,
        reason: &'static str,
    ) {
        hits.push(Hit {
            start,
            end,
            category,
            score,
            reason,
        });
    }
    for m in r.email.find_iter(text) {
        push(
            &mut hits,
            m.start(),
            m.end(),
            Category::Email,
            0.95,
            "e-mail address",
        );
    }
    for m in r.mobile.find_iter(text) {
        if isolated(text, m.start(), m.end()) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::Phone,
                0.9,
                "mobile or IP phone number",
            );
        }
    }
    for c in r.landline.captures_iter(text) {
        let m = c.get(0).unwrap();
        // Area code (with its 0) and exchange make six digits: 03-1234-…, 0422-12-…
        if c[1].len() + c[2].len() == 6 && isolated(text, m.start(), m.end()) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::Phone,
                0.85,
                "landline number",
            );
        }
    }
    for c in r.landline_paren.captures_iter(text) {
        let m = c.get(0).unwrap();
        if c[1].len() + c[2].len() == 6 && !digit_after(text, m.end()) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::Phone,
                0.85,
                "landline number",
            );
        }
    }
    for m in r.international.find_iter(text) {
        if !digit_after(text, m.end()) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::Phone,
                0.9,
                "+81 phone number",
            );
        }
    }
    for m in r.us_phone.find_iter(text) {
        if isolated(text, m.start(), m.end()) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::Phone,
                0.8,
                "North American phone number",
            );
        }
    }
    for m in r.postal.find_iter(text) {
        if !digit_after(text, m.end()) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::PostalCode,
                0.95,
                "postal code after 〒",
            );
        }
    }
    for m in r.twelve.find_iter(text) {
        if isolated(text, m.start(), m.end()) && checks::my_number(&digits(m.as_str())) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::MyNumber,
                0.6,
                "12 digits with a valid My Number check digit",
            );
        }
    }
    for m in r.card.find_iter(text) {
        if isolated(text, m.start(), m.end()) && checks::payment_card(&digits(m.as_str())) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::CreditCard,
                0.9,
                "card number (issuer prefix, Luhn check)",
            );
        }
    }
    // A driving licence prints its number as 第 123456789012 号.
    for c in r.licence.captures_iter(text) {
        let m = c.get(0).unwrap();
        let valid = checks::drivers_license(c[1].as_bytes());
        push(
            &mut hits,
            m.start(),
            m.end(),
            Category::DriversLicense,
            if valid { 0.9 } else { 0.7 },
            if valid {
                "第…号 licence number with a valid check digit"
            } else {
                "第…号 with 12 digits (licence number)"
            },
        );
    }
    for m in r.residence.find_iter(text) {
        if isolated(text, m.start(), m.end()) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::ResidenceCard,
                0.85,
                "residence card number shape",
            );
        }
    }
    for m in r.passport.find_iter(text) {
        if isolated(text, m.start(), m.end()) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::Passport,
                0.5,
                "passport number shape",
            );
        }
    }
    for c in r.ssn.captures_iter(text) {
        let m = c.get(0).unwrap();
        if isolated(text, m.start(), m.end()) && checks::ssn(&c[1], &c[2], &c[3]) {
            push(
                &mut hits,
                m.start(),
                m.end(),
                Category::Ssn,
                0.6,
                "US social security number shape",
            );
        }
    }
    for m in r.age.find_iter(text) {
        if !digit_before(text, m.start()) {
            push(&mut hits, m.start(), m.end(), Category::Age, 0.8, "age");
        }
    }
    for (a, b) in dates(text) {
        if r.born.is_match(&text[b..]) {
            let end = b + r.born.find(&text[b..]).map(|m| m.end()).unwrap_or(0);
            push(
                &mut hits,
                a,
                end,
                Category::BirthDate,
                0.9,
                "date followed by 生まれ",
            );
        } else if r.era.is_match(&text[a..b]) {
            // Dates of the 明治, 大正 and 昭和 eras (before 1989) are birth dates far more
            // often than anything else on a screen.
            push(
                &mut hits,
                a,
                b,
                Category::BirthDate,
                0.6,
                "date in the Shōwa era or before",
            );
        }
    }
    for m in r.prefecture.find_iter(text) {
        let body = &text[m.end()..];
        let has_number = body.chars().any(|c| {
            c.is_ascii_digit() || "一二三四五六七八九十".contains(c) && body.contains("丁目")
        });
        let has_place = body.chars().skip(1).any(|c| "市区町村郡".contains(c));
        if has_number || has_place {
            push(
                &mut hits,
                m.start(),
                text.len(),
                Category::Address,
                0.9,
                "prefecture followed by a town and block number",
            );
        }
    }
    if let Some(m) = r.city.find(text) {
        if !hits.iter().any(|h| h.category == Category::Address) {
            push(
                &mut hits,
                m.start(),
                text.len(),
                Category::Address,
                0.75,
                "city or ward followed by a block number",
            );
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Category, &str)> {
        find(text)
            .into_iter()
            .map(|h| (h.category, &text[h.start..h.end]))
            .collect()
    }

    #[test]
    fn phones_with_their_shapes() {
        assert_eq!(
            found("携帯 090-1234-5678"),
            vec![(Category::Phone, "090-1234-5678")]
        );
        assert_eq!(
            found("03-1234-5678"),
            vec![(Category::Phone, "03-1234-5678")]
        );
        assert_eq!(
            found("0422-12-3456"),
            vec![(Category::Phone, "0422-12-3456")]
        );
        assert_eq!(
            found("(926) 620-0197"),
            vec![(Category::Phone, "(926) 620-0197")]
        );
        // A date with dashes and a toll-free number are no landline.
        assert!(found("07-07-2026").is_empty());
        assert!(found("0120-399-368").is_empty());
    }

    #[test]
    fn numbers_need_their_check_digits() {
        assert_eq!(
            found("個人番号 1234 5678 9018"),
            vec![(Category::MyNumber, "1234 5678 9018")]
        );
        assert!(found("1234 5678 9019").is_empty());
        assert_eq!(
            found("4111-1111-1111-1111"),
            vec![(Category::CreditCard, "4111-1111-1111-1111")]
        );
        assert!(
            found("第 459803358720 号").contains(&(Category::DriversLicense, "第 459803358720 号"))
        );
        // Part of a longer number is not a My Number.
        assert!(found("11234567890185")
            .iter()
            .all(|(c, _)| *c != Category::MyNumber));
    }

    #[test]
    fn contact_and_dates() {
        assert_eq!(
            found("m-ito36@mail.example.jp"),
            vec![(Category::Email, "m-ito36@mail.example.jp")]
        );
        assert_eq!(
            found("〒135-6207"),
            vec![(Category::PostalCode, "〒135-6207")]
        );
        assert_eq!(found("S60.4.1"), vec![(Category::BirthDate, "S60.4.1")]);
        assert_eq!(
            found("1985年4月1日生まれ"),
            vec![(Category::BirthDate, "1985年4月1日生まれ")]
        );
        // 月 lost by the reader on a card photographed (dev_0010).
        assert_eq!(
            found("昭和47年713日生性別女")[0],
            (Category::BirthDate, "昭和47年713日生")
        );
        assert_eq!(
            found("昭和47年713日"),
            vec![(Category::BirthDate, "昭和47年713日")]
        );
        // A date alone says nothing.
        assert!(found("2026年11月20日").is_empty());
        assert!(found("2026年1120日").is_empty());
        assert_eq!(found("48歳"), vec![(Category::Age, "48歳")]);
    }

    #[test]
    fn addresses_from_the_prefecture_on() {
        let text = "住所 東京都新宿区歌舞伎町3丁目16番15号 ハイツ青山218号室";
        let hits = found(text);
        assert_eq!(
            hits,
            vec![(
                Category::Address,
                "東京都新宿区歌舞伎町3丁目16番15号 ハイツ青山218号室"
            )]
        );
        assert!(found("北海道の気候").is_empty());
        assert_eq!(found("横浜市中区山下町1-2").len(), 1);
    }
}
