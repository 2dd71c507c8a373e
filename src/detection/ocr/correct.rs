//! What the recogniser's alphabet may say, and fixes for its known confusions in Japanese.
//!
//! PP-OCRv5's alphabet mixes Japanese, Simplified and Traditional Chinese. On small Japanese
//! text the model often prefers a Simplified form (网 for 岡, 东 for 東) or a look-alike from
//! another script (八 for ハ, T for 〒). Two remedies, both cheap:
//! - a prior: before the best symbol is chosen, the probability of a symbol that Japanese
//!   text cannot hold (not in Windows-31J, the character set of Japanese Windows, nor ASCII or
//!   Latin letters) is scaled by [`FOREIGN_WEIGHT`], and that of a rarer kanji (JIS level 2
//!   and vendor extensions, where most Simplified forms that Windows-31J has, such as 网, sit)
//!   by [`RARE_WEIGHT`];
//! - context rules on the decoded line ([`correct`]) for look-alikes whose script is given away
//!   by their neighbours.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::OcrChar;

/// Weight of a symbol that Japanese text does not use.
pub const FOREIGN_WEIGHT: f32 = 0.15;
/// Weight of a kanji outside JIS level 1.
pub const RARE_WEIGHT: f32 = 0.6;

/// Whether `symbol` can appear in Japanese or English text.
pub fn is_japanese_or_latin(symbol: &str) -> bool {
    prior(symbol) > FOREIGN_WEIGHT
}

/// The prior weight of one symbol.
pub fn prior(symbol: &str) -> f32 {
    if symbol
        .chars()
        .all(|c| c.is_ascii() || ('\u{00C0}'..='\u{017F}').contains(&c))
    {
        return 1.0;
    }
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(symbol);
    if unmappable {
        return FOREIGN_WEIGHT;
    }
    // Shift_JIS 0x989F and above: JIS level 2 kanji and the NEC/IBM extensions.
    let rare = symbol.chars().count() == 1
        && bytes.len() == 2
        && u16::from_be_bytes([bytes[0], bytes[1]]) >= 0x989F;
    if rare {
        RARE_WEIGHT
    } else {
        1.0
    }
}

/// The prior weight of each symbol of the recogniser's alphabet (index 0 is the blank).
pub fn symbol_weights(alphabet: &[String]) -> Vec<f32> {
    alphabet
        .iter()
        .enumerate()
        .map(|(i, s)| if i == 0 { 1.0 } else { prior(s) })
        .collect()
}

/// The symbols the recogniser is asked about: the blank (index 0) and every symbol of the
/// alphabet that Japanese or English text can hold (6,879 of PP-OCRv5's 18,385; the rest are
/// Chinese characters outside Windows-31J). Its output layer computes only the columns of
/// these (`network::keep_output_columns`), at 37% of the layer's cost: the dev set's screens
/// and JPEGs read as with the whole layer and those symbols weighted [`FOREIGN_WEIGHT`], its
/// photos 607 of 911 items against 610 (see README).
pub fn kept_symbols(alphabet: &[String]) -> Vec<usize> {
    (0..alphabet.len())
        .filter(|&i| i == 0 || is_japanese_or_latin(&alphabet[i]))
        .collect()
}

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c) || c == 'ー'
}

fn is_kana(c: char) -> bool {
    is_katakana(c) || ('\u{3041}'..='\u{3096}').contains(&c)
}

fn is_kanji(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c) || c == '々'
}

/// Kanji and katakana that look alike: (kanji, katakana).
const LOOKALIKES: [(char, char); 9] = [
    ('八', 'ハ'),
    ('口', 'ロ'),
    ('二', 'ニ'),
    ('工', 'エ'),
    ('力', 'カ'),
    ('夕', 'タ'),
    ('卜', 'ト'),
    ('一', 'ー'),
    ('三', 'ミ'),
];

/// Small kana ャュョ only follow an i-row kana (キャ) or テ/デ/フ/ヴ (テュ, フュ).
const BEFORE_SMALL_YA: &str = "キシチニヒミリギジヂビピテデフヴきしちにひみりぎじぢびぴてでふ";

fn single(chars: &[OcrChar], i: usize) -> Option<char> {
    let mut it = chars.get(i)?.text.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// Fixes look-alikes from their neighbours, in place (the character quads stay), and puts
/// back the 目 of an address's 丁目 where the recogniser dropped it (see [`restore_chome`]).
pub fn correct(chars: &mut Vec<OcrChar>) {
    correct_lookalikes(chars);
    restore_chome(chars);
    capitalise_era_letters(chars);
}

/// A short era date (S58.10.7, H5/2/4) whose era letter the recogniser read in lower case
/// (s58.10.7, seen on photographed sheets) gets its capital back: a lone m, t, s, h or r
/// before 1–2 digits, a separator, 1–2 digits, a separator and 1–2 digits. A Shōwa date
/// whose S was read as 5 (535.4.17 for S35.4.17 on a photographed HR table) gets its S back
/// where the rest is a Shōwa date (year 1–64, month 1–12, day 1–31) and the separators are
/// dots or slashes: no calendar writes a year 500–564 that way.
fn capitalise_era_letters(chars: &mut [OcrChar]) {
    let text: Vec<Option<char>> = (0..chars.len()).map(|i| single(chars, i)).collect();
    // The number of 1–2 digits at `i`, and where it ends.
    let number_at = |mut i: usize| {
        let (start, mut value) = (i, 0u32);
        while i < text.len() && i - start < 2 {
            let Some(d) = text[i].and_then(|c| c.to_digit(10)) else {
                break;
            };
            value = value * 10 + d;
            i += 1;
        }
        (i > start).then_some((value, i))
    };
    let separator_at = |i: usize, separators: &str| {
        text.get(i)
            .copied()
            .flatten()
            .is_some_and(|c| separators.contains(c))
    };
    // (year, month, day) of a date at `i` written with these separators, ending there.
    let date_at = |i: usize, separators: &str| {
        let (year, j) = number_at(i)?;
        let (month, j) = number_at(j + 1).filter(|_| separator_at(j, separators))?;
        let (day, j) = number_at(j + 1).filter(|_| separator_at(j, separators))?;
        let ends = !text
            .get(j)
            .copied()
            .flatten()
            .is_some_and(|c| c.is_ascii_digit());
        ends.then_some((year, month, day))
    };
    for i in 0..chars.len() {
        let Some(c) = text[i].filter(|c| "mtshr5".contains(*c)) else {
            continue;
        };
        if i > 0 && text[i - 1].is_some_and(|p| p.is_alphanumeric()) {
            continue;
        }
        let era = if c == '5' {
            date_at(i + 1, "./")
                .filter(|&(y, m, d)| {
                    (1..=64).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d)
                })
                .map(|_| 'S')
        } else {
            date_at(i + 1, "./-").map(|_| c.to_ascii_uppercase())
        };
        if let Some(era) = era {
            chars[i].text = era.to_string();
        }
    }
}

/// 「3丁17番」: between digits, 丁 is always the block number's 丁目, and the recogniser
/// sometimes drops the 目 of clear, large print (seen on 29-px text in
/// `../shared/eval/dev`, read correctly at half the size). The 丁 gives the left half of its
/// quad to itself and the right half to the 目. A 目 read as 日 there (「4丁日12番」, small or
/// blurred print) is put right too.
fn restore_chome(chars: &mut Vec<OcrChar>) {
    let digit = |c: Option<char>| {
        c.is_some_and(|c| {
            c.is_ascii_digit() || ('０'..='９').contains(&c) || "一二三四五六七八九十".contains(c)
        })
    };
    let mut i = 1;
    while i + 1 < chars.len() {
        if single(chars, i) != Some('丁') || !digit(single(chars, i - 1)) {
            i += 1;
            continue;
        }
        if single(chars, i + 1) == Some('日') && digit(single(chars, i + 2)) {
            chars[i + 1].text = "目".to_string();
            i += 2;
        } else if digit(single(chars, i + 1)) {
            let q = chars[i].quad;
            let mid = |a: [f32; 2], b: [f32; 2]| [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
            let (top, bottom) = (mid(q[0], q[1]), mid(q[3], q[2]));
            chars[i].quad = [q[0], top, bottom, q[3]];
            let me = OcrChar {
                text: "目".to_string(),
                quad: [top, q[1], q[2], bottom],
                confidence: chars[i].confidence,
            };
            chars.insert(i + 1, me);
            i += 1;
        }
        i += 1;
    }
}

/// Look-alikes from other scripts, told apart by their neighbours.
fn correct_lookalikes(chars: &mut [OcrChar]) {
    let n = chars.len();
    for i in 0..n {
        let Some(c) = single(chars, i) else { continue };
        let prev = if i > 0 { single(chars, i - 1) } else { None };
        let next = single(chars, i + 1);
        let digit = |o: Option<char>| o.is_some_and(|c| c.is_ascii_digit());
        let fixed = if let Some(&(kanji, kana)) =
            LOOKALIKES.iter().find(|(k, v)| *k == c || *v == c)
        {
            let kana_side = prev.is_some_and(is_katakana) || next.is_some_and(is_katakana);
            let kanji_both = prev.is_some_and(is_kanji) && next.is_some_and(is_kanji);
            if c == '一' || c == 'ー' {
                if digit(prev) && digit(next) {
                    Some('-')
                } else if c == '一' && prev.is_some_and(is_katakana) {
                    Some('ー')
                } else {
                    None
                }
            } else if c == kanji && kana_side && !kanji_both {
                Some(kana)
            } else if c == kana && kanji_both {
                Some(kanji)
            } else {
                None
            }
        } else if matches!(c, '-' | '—' | '―' | '‐' | '−' | '–' | 'ｰ' | '－')
            && prev.is_some_and(is_katakana)
            && next.is_some_and(is_kana)
        {
            Some('ー')
        } else if matches!(c, '—' | '―' | '‐' | '−' | '–' | 'ｰ') && digit(prev) && digit(next)
        {
            Some('-')
        } else if "ャュョゃゅょ".contains(c) && !prev.is_some_and(|p| BEFORE_SMALL_YA.contains(p))
        {
            // ャ→ヤ, ュ→ユ, ョ→ヨ (and hiragana): the full-size kana is the next code point.
            char::from_u32(c as u32 + 1)
        } else if (matches!(
            c,
            'T' | '干' | '亍' | '〶' | '丁' | '平' | '千' | '于' | '下'
        ) || ("F=τテ".contains(c) && single(chars, i + 9).is_some_and(is_kanji)))
            && postal_code_follows(chars, i + 1)
        {
            // The 〒 before a postal code, misread (平/千/于/下 in blurred photographed print,
            // =/τ/テ on screens of ../shared/eval/dev); the less sure look-alikes only when an
            // address (a kanji) follows the code.
            Some('〒')
        } else if let Some(f) = read_as(c) {
            Some(f)
        } else {
            None
        };
        if let Some(f) = fixed {
            chars[i].text = f.to_string();
        }
    }
}

/// Simplified Chinese characters that Japanese does not write, with their Japanese forms
/// (边 → 辺, 阳 → 陽), from `data/variants.tsv` (OpenCC's tables; `build.sh` makes it).
const VARIANTS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/variants.tsv"));

fn variants() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        VARIANTS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut c = l.chars();
                let (s, tab, j) = (c.next()?, c.next()?, c.next()?);
                (tab == '\t' && c.next().is_none()).then_some((s, j))
            })
            .collect()
    })
}

/// What a symbol Japanese does not write stands for wherever it is read: a Simplified form
/// read with confidence on Japanese print is its Japanese form (渡边 is 渡辺, 清水阳菜 is
/// 清水陽菜), and the Simplified 网 (net), which Shift_JIS does have, is a misread 岡 in names
/// and places (福网県).
pub fn read_as(c: char) -> Option<char> {
    if c == '网' {
        return Some('岡');
    }
    variants().get(&c).copied()
}

/// Whether `ddd-dddd` (ASCII or full-width, any dash) starts at `i`, after optional spaces.
fn postal_code_follows(chars: &[OcrChar], i: usize) -> bool {
    let mut text = chars[i.min(chars.len())..].iter().map(|c| {
        let mut it = c.text.chars();
        match (it.next(), it.next()) {
            (Some(c), None) => c,
            _ => '\u{FFFD}',
        }
    });
    starts_with_postal_code(&mut text)
}

/// Whether `text` starts with a postal code `ddd-dddd` (ASCII or full-width digits, any
/// dash), after optional spaces.
pub fn starts_with_postal_code(text: &mut dyn Iterator<Item = char>) -> bool {
    let mut text = text.skip_while(|c| c.is_whitespace());
    let digit =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
    (0..3).all(|_| digit(text.next()))
        && text.next().is_some_and(|c| "-－ー一—―‐−–".contains(c))
        && (0..4).all(|_| digit(text.next()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Vec<OcrChar> {
        text.chars()
            .map(|c| OcrChar {
                text: c.to_string(),
                quad: [[0.0; 2]; 4],
                confidence: 1.0,
            })
            .collect()
    }

    fn fixed(text: &str) -> String {
        let mut chars = line(text);
        correct(&mut chars);
        chars.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn look_alikes_follow_their_neighbours() {
        assert_eq!(fixed("八イツ青山"), "ハイツ青山");
        assert_eq!(fixed("コ一ポ桜"), "コーポ桜");
        assert_eq!(fixed("コ-ポ桜"), "コーポ桜");
        assert_eq!(fixed("入ロ"), "入ロ", "one kanji neighbour is not enough");
        assert_eq!(fixed("北ロ東"), "北口東");
        assert_eq!(fixed("八月"), "八月");
        assert_eq!(fixed("090一1234ー5678"), "090-1234-5678");
        assert_eq!(fixed("T338-8284東京"), "〒338-8284東京");
        assert_eq!(fixed("T 338ー8284"), "〒 338-8284");
        assert_eq!(fixed("平359-2995北海道"), "〒359-2995北海道");
        assert_eq!(fixed("F349-1220北海道"), "〒349-1220北海道");
        assert_eq!(fixed("F349-1220"), "F349-1220", "a code, not an address");
        assert_eq!(fixed("平成3年"), "平成3年");
        assert_eq!(fixed("τ777-4759福岡県"), "〒777-4759福岡県");
        assert_eq!(fixed("テ769-8556愛知県"), "〒769-8556愛知県");
        assert_eq!(fixed("=790-9755"), "=790-9755", "no address after it");
        assert_eq!(fixed("福网県福网市"), "福岡県福岡市");
        assert_eq!(fixed("渡边花子"), "渡辺花子");
        assert_eq!(fixed("s58.10.7"), "S58.10.7");
        assert_eq!(fixed("生年月日 h5/2/4"), "生年月日 H5/2/4");
        assert_eq!(fixed("ms58.10.7"), "ms58.10.7", "inside a word");
        assert_eq!(fixed("s58.10"), "s58.10", "not a whole date");
        assert_eq!(fixed("535.4.17"), "S35.4.17");
        assert_eq!(fixed("生年月日 546/4/21"), "生年月日 S46/4/21");
        assert_eq!(fixed("565.4.17"), "565.4.17", "no Shōwa year 65");
        assert_eq!(fixed("535.13.17"), "535.13.17", "no month 13");
        assert_eq!(
            fixed("535-4-17"),
            "535-4-17",
            "dashes: a number, not a date"
        );
        assert_eq!(fixed("1535.4.17"), "1535.4.17", "inside a number");
        assert_eq!(fixed("535.4.170"), "535.4.170", "not a whole date");
        assert_eq!(fixed("清水阳菜 爱知"), "清水陽菜 愛知");
        assert_eq!(fixed("東京都"), "東京都", "Japanese forms stay");
        assert_eq!(fixed("成城5丁日8番16号"), "成城5丁目8番16号");
        assert_eq!(fixed("日曜日"), "日曜日");
        assert_eq!(fixed("3丁日"), "3丁日", "no block number after it");
        assert_eq!(fixed("Tokyo"), "Tokyo");
        assert_eq!(fixed("ハラダュウコ"), "ハラダユウコ");
        assert_eq!(fixed("キャンセル シュウ"), "キャンセル シュウ");
        assert_eq!(fixed("中洲3丁17番15号"), "中洲3丁目17番15号");
        assert_eq!(fixed("中洲3丁目17番15号"), "中洲3丁目17番15号");
        assert_eq!(fixed("豆腐2丁"), "豆腐2丁");
        assert_eq!(fixed("丁寧に1丁2"), "丁寧に1丁目2");
    }

    #[test]
    fn a_restored_chome_takes_half_of_its_quad() {
        let mut chars: Vec<OcrChar> = "3丁1"
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let x = i as f32 * 10.0;
                OcrChar {
                    text: c.to_string(),
                    quad: [[x, 0.0], [x + 10.0, 0.0], [x + 10.0, 12.0], [x, 12.0]],
                    confidence: 0.9,
                }
            })
            .collect();
        correct(&mut chars);
        let text: String = chars.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(text, "3丁目1");
        assert_eq!(
            chars[1].quad,
            [[10.0, 0.0], [15.0, 0.0], [15.0, 12.0], [10.0, 12.0]]
        );
        assert_eq!(
            chars[2].quad,
            [[15.0, 0.0], [20.0, 0.0], [20.0, 12.0], [15.0, 12.0]]
        );
    }

    #[test]
    fn the_prior_knows_japanese_from_simplified_chinese() {
        for ok in ["岡", "東", "桜", "髙", "ハ", "〒", "A", "é", "①"] {
            assert!(is_japanese_or_latin(ok), "{ok}");
        }
        for foreign in ["东", "规", "员", "轩", "樱"] {
            assert!(!is_japanese_or_latin(foreign), "{foreign}");
        }
        assert_eq!(prior("岡"), 1.0);
        assert_eq!(prior("网"), RARE_WEIGHT);
        assert_eq!(prior("翔"), RARE_WEIGHT);
    }
}
