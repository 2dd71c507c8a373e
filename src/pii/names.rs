//! Personal names: Japanese surnames and given names with their readings, and English first
//! names and surnames, from the lists `build.sh` puts in `data/names.tsv` (IPADIC from
//! Debian's mecab-ipadic; the US Census name lists). A dictionary match alone is weak (林, 森
//! and 中 are words too), so a name needs a shape: surname + given name, a name before an
//! honorific (様, さん, 先生), or "Last, First".

use std::collections::HashSet;
use std::sync::OnceLock;

use super::category::Category;
use super::patterns::Hit;
use super::text::{is_hiragana, is_kanji, is_katakana, to_katakana};

const DATA: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/names.tsv"));

/// The loaded name lists.
pub struct Names {
    surnames: HashSet<&'static str>,
    given: HashSet<&'static str>,
    surname_readings: HashSet<&'static str>,
    given_readings: HashSet<&'static str>,
    en_surnames: HashSet<&'static str>,
    en_given: HashSet<&'static str>,
    /// Japanese surnames and given names in romaji (Hepburn, upper case; long vowels both
    /// written out and dropped: SATOU and SATO), made from the readings.
    romaji_surnames: HashSet<String>,
    romaji_given: HashSet<String>,
    /// The lists sorted, for looking up what a word may begin with (see [`Part`]).
    sorted: [Vec<&'static str>; 6],
}

/// A part of a name, as the lists hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Surname,
    Given,
    /// A surname's reading, katakana.
    SurnameReading,
    /// A given name's reading, katakana.
    GivenReading,
    /// An English surname, upper case as the lists hold it (SMITH).
    EnglishSurname,
    /// An English first name, upper case (MARY).
    EnglishGiven,
}

/// Hepburn romaji of a katakana reading, upper case: `(as spelled, long vowels dropped)`
/// (サトウ → SATOU, SATO; ジュンイチ → JUNICHI; ハットリ → HATTORI). `None` for anything else.
pub fn romaji(kana: &str) -> Option<(String, String)> {
    const DIGRAPHS: &[(&str, &str)] = &[
        ("キャ", "KYA"),
        ("キュ", "KYU"),
        ("キョ", "KYO"),
        ("シャ", "SHA"),
        ("シュ", "SHU"),
        ("ショ", "SHO"),
        ("チャ", "CHA"),
        ("チュ", "CHU"),
        ("チョ", "CHO"),
        ("ニャ", "NYA"),
        ("ニュ", "NYU"),
        ("ニョ", "NYO"),
        ("ヒャ", "HYA"),
        ("ヒュ", "HYU"),
        ("ヒョ", "HYO"),
        ("ミャ", "MYA"),
        ("ミュ", "MYU"),
        ("ミョ", "MYO"),
        ("リャ", "RYA"),
        ("リュ", "RYU"),
        ("リョ", "RYO"),
        ("ギャ", "GYA"),
        ("ギュ", "GYU"),
        ("ギョ", "GYO"),
        ("ジャ", "JA"),
        ("ジュ", "JU"),
        ("ジョ", "JO"),
        ("ビャ", "BYA"),
        ("ビュ", "BYU"),
        ("ビョ", "BYO"),
        ("ピャ", "PYA"),
        ("ピュ", "PYU"),
        ("ピョ", "PYO"),
    ];
    const SINGLE: &str = "アA イI ウU エE オO カKA キKI クKU ケKE コKO サSA シSHI スSU セSE ソSO タTA チCHI ツTSU テTE トTO \
        ナNA ニNI ヌNU ネNE ノNO ハHA ヒHI フFU ヘHE ホHO マMA ミMI ムMU メME モMO ヤYA ユYU ヨYO ラRA リRI ルRU レRE ロRO \
        ワWA ヲO ンN ガGA ギGI グGU ゲGE ゴGO ザZA ジJI ズZU ゼZE ゾZO ダDA ヂJI ヅZU デDE ドDO バBA ビBI ブBU ベBE ボBO \
        パPA ピPI プPU ペPE ポPO ヴVU";
    let chars: Vec<char> = kana.chars().collect();
    let mut out = String::new();
    let mut double = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == 'ッ' {
            double = true;
            i += 1;
            continue;
        }
        if c == 'ー' {
            if let Some(v) = out.chars().last().filter(|v| "AIUEO".contains(*v)) {
                out.push(v);
            }
            i += 1;
            continue;
        }
        let pair: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let syllable = DIGRAPHS
            .iter()
            .find(|(k, _)| *k == pair)
            .map(|(_, r)| (*r, 2))
            .or_else(|| {
                SINGLE
                    .split_whitespace()
                    .find(|e| e.starts_with(c))
                    .map(|e| (&e[c.len_utf8()..], 1))
            });
        let (roman, used) = syllable?;
        if double {
            // ッチ → TCHI, ッカ → KKA
            out.push(if roman.starts_with("CH") {
                'T'
            } else {
                roman.chars().next()?
            });
            double = false;
        }
        out.push_str(roman);
        i += used;
    }
    let short = out.replace("OU", "O").replace("UU", "U").replace("OO", "O");
    Some((out, short))
}

pub fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut n = Names {
            surnames: HashSet::new(),
            given: HashSet::new(),
            surname_readings: HashSet::new(),
            given_readings: HashSet::new(),
            en_surnames: HashSet::new(),
            en_given: HashSet::new(),
            romaji_surnames: HashSet::new(),
            romaji_given: HashSet::new(),
            sorted: Default::default(),
        };
        for line in DATA.lines().filter(|l| !l.starts_with('#')) {
            let mut f = line.split('\t');
            let (Some(kind), Some(written)) = (f.next(), f.next()) else {
                continue;
            };
            let reading = f.next();
            match kind {
                "S" => {
                    n.surnames.insert(written);
                    reading.map(|r| n.surname_readings.insert(r));
                }
                "G" => {
                    n.given.insert(written);
                    reading.map(|r| n.given_readings.insert(r));
                }
                "s" => {
                    n.en_surnames.insert(written);
                }
                "g" => {
                    n.en_given.insert(written);
                }
                _ => {}
            }
        }
        let spellings = |readings: &HashSet<&str>| -> HashSet<String> {
            readings
                .iter()
                .filter_map(|r| romaji(r))
                .flat_map(|(a, b)| [a, b])
                .filter(|r| r.len() >= 2)
                .collect()
        };
        n.romaji_surnames = spellings(&n.surname_readings);
        n.romaji_given = spellings(&n.given_readings);
        let sorted = |set: &HashSet<&'static str>| {
            let mut v: Vec<&'static str> = set.iter().copied().collect();
            v.sort_unstable();
            v
        };
        n.sorted = [
            sorted(&n.surnames),
            sorted(&n.given),
            sorted(&n.surname_readings),
            sorted(&n.given_readings),
            sorted(&n.en_surnames),
            sorted(&n.en_given),
        ];
        n
    })
}

const HONORIFICS: &[&str] = &["様", "さん", "殿", "先生", "くん", "君", "ちゃん"];
const TITLES: &[&str] = &[
    "Dr.", "Dr", "Mr.", "Mr", "Mrs.", "Mrs", "Ms.", "Ms", "Miss", "Prof.",
];

fn name_char(c: char) -> bool {
    is_kanji(c) || is_hiragana(c) || is_katakana(c)
}

impl Names {
    /// Whether `prefix` begins some name of the list of `part`, and whether it is one.
    pub fn lookup(&self, part: Part, prefix: &str) -> (bool, bool) {
        let list = &self.sorted[part as usize];
        let at = list.partition_point(|w| *w < prefix);
        match list.get(at) {
            Some(w) => (w.starts_with(prefix), *w == prefix),
            None => (false, false),
        }
    }

    pub fn is_surname(&self, s: &str) -> bool {
        self.surnames.contains(s)
    }

    fn is_given(&self, s: &str) -> bool {
        self.given.contains(s) || self.given_readings.contains(to_katakana(s).as_str())
    }

    /// The longest known surname at the start of `chars` (up to four characters).
    fn surname_at(&self, chars: &[char]) -> Option<usize> {
        (1..=chars.len().min(4)).rev().find(|&n| {
            self.surnames
                .contains(chars[..n].iter().collect::<String>().as_str())
        })
    }

    /// The longest known given name at the start of `chars`.
    fn given_at(&self, chars: &[char]) -> Option<usize> {
        (1..=chars.len().min(4))
            .rev()
            .find(|&n| self.is_given(&chars[..n].iter().collect::<String>()))
    }

    /// Names in `text` (folded OCR text); byte ranges.
    pub fn find(&self, text: &str) -> Vec<Hit> {
        let chars: Vec<char> = text.chars().collect();
        let offsets: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        let mut hits = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let starts_word = i == 0 || !is_kanji(chars[i - 1]) && !is_hiragana(chars[i - 1]);
            if !starts_word || !is_kanji(chars[i]) {
                i += 1;
                continue;
            }
            let Some(s) = self.surname_at(&chars[i..]) else {
                i += 1;
                continue;
            };
            let mut j = i + s;
            let spaced = chars.get(j) == Some(&' ');
            if spaced {
                j += 1;
            }
            // The given name: a known one, or (after a space) a short run of kanji or kana
            // that ends the word (an honorific after it is not part of it).
            let mut run = chars[j..]
                .iter()
                .take_while(|&&c| is_kanji(c) || is_hiragana(c) || is_katakana(c) && c != '・')
                .count();
            let word: String = chars[j..j + run].iter().collect();
            if let Some(h) = HONORIFICS
                .iter()
                .find(|h| word.len() > h.len() && word.ends_with(*h))
            {
                run -= h.chars().count();
            }
            let given = self.given_at(&chars[j..j + run]);
            // Without a space, the name must end the word and be three characters or more
            // (新 + 規 in 新規登録 is not a person).
            let ends_word = |g: usize| chars.get(j + g).is_none_or(|&c| !is_kanji(c));
            let end = match given {
                Some(g) if spaced && run <= 4 => Some(j + run.max(g)),
                Some(g) if !spaced && (s + g < 3 || !ends_word(g)) => None,
                Some(g) => Some(j + g),
                None if spaced && (1..=3).contains(&run) && s >= 2 => Some(j + run),
                None => None,
            };
            if let Some(end) = end.filter(|&e| e > j) {
                let reason = if given.is_some() {
                    "surname and given name in the name lists"
                } else {
                    "surname in the name lists, then a given name"
                };
                hits.push(Hit {
                    start: offsets[i],
                    end: offsets[end],
                    category: Category::Name,
                    score: 0.7,
                    reason,
                });
                i = end;
                continue;
            }
            i += 1;
        }
        self.honorifics(text, &chars, &offsets, &mut hits);
        self.kana(text, &mut hits);
        self.english(text, &mut hits);
        hits
    }

    fn honorifics(&self, text: &str, chars: &[char], offsets: &[usize], hits: &mut Vec<Hit>) {
        for h in HONORIFICS {
            for (at, _) in text.match_indices(h) {
                let end = offsets.partition_point(|&o| o < at);
                let mut start = end;
                while start > 0
                    && end - start < 8
                    && (name_char(chars[start - 1])
                        || chars[start - 1] == ' ' && start >= 2 && name_char(chars[start - 2]))
                {
                    start -= 1;
                }
                // It must begin with a known surname (お客様 and 皆様 do not) or be a katakana name.
                let begin = (start..end).find(|&k| {
                    self.surname_at(&chars[k..end]).is_some()
                        && (k == start || !is_kanji(chars[k - 1]))
                });
                let begin = begin.or_else(|| {
                    chars[start..end]
                        .iter()
                        .all(|&c| is_katakana(c) || c == ' ')
                        .then_some(start)
                        .filter(|_| end - start >= 2)
                });
                if let Some(b) = begin {
                    if hits
                        .iter()
                        .any(|x| x.start <= offsets[b] && offsets[end] <= x.end)
                    {
                        continue;
                    }
                    hits.push(Hit {
                        start: offsets[b],
                        end: offsets[end],
                        category: Category::Name,
                        score: 0.75,
                        reason: "name before an honorific",
                    });
                }
            }
        }
    }

    /// Katakana names: a surname reading and a given-name reading, apart by a space.
    fn kana(&self, text: &str, hits: &mut Vec<Hit>) {
        let words: Vec<(usize, &str)> = text
            .split(' ')
            .scan(0, |at, w| {
                let s = *at;
                *at += w.len() + 1;
                Some((s, w))
            })
            .collect();
        for pair in words.windows(2) {
            let ((a, first), (b, second)) = (pair[0], pair[1]);
            let kana =
                |w: &str| !w.is_empty() && w.chars().all(|c| is_katakana(c) || is_hiragana(c));
            if kana(first)
                && kana(second)
                && self.surname_readings.contains(to_katakana(first).as_str())
                && self.given_readings.contains(to_katakana(second).as_str())
            {
                hits.push(Hit {
                    start: a,
                    end: b + second.len(),
                    category: Category::NameKana,
                    score: 0.75,
                    reason: "surname and given-name readings in the name lists",
                });
            }
        }
    }

    /// English names: "Last, First", "First Last" (both in the lists), or a title and a name.
    fn english(&self, text: &str, hits: &mut Vec<Hit>) {
        let mut words: Vec<(usize, usize)> = Vec::new();
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (c.is_ascii_alphabetic() || c == '\'' || c == '.', start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    words.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        let capitalised = |w: &str| {
            let mut c = w.chars();
            c.next().is_some_and(|f| f.is_ascii_uppercase())
                && c.all(|x| x.is_ascii_lowercase() || x == '\'')
                && w.len() >= 2
        };
        // Passports and cards write names in capitals: YAMADA TARO.
        let capitals = |w: &str| w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase());
        let upper = |w: &str| w.to_ascii_uppercase();
        for k in 0..words.len() {
            let w = &text[words[k].0..words[k].1];
            if TITLES.contains(&w) {
                if let Some(&(_, e)) = words.get(k + 1).filter(|&&(s, e)| capitalised(&text[s..e]))
                {
                    hits.push(Hit {
                        start: words[k].0,
                        end: e,
                        category: Category::Name,
                        score: 0.8,
                        reason: "name after a title (Dr., Mr., Ms.)",
                    });
                }
                continue;
            }
            let Some(&(s2, e2)) = words.get(k + 1) else {
                continue;
            };
            let between = &text[words[k].1..s2];
            let w2 = &text[s2..e2];
            // Japanese names in romaji, either order: Taro Yamada, YAMADA Taro, Yamada, Taro.
            let japanese = |a: &str, b: &str| {
                self.romaji_surnames.contains(&upper(a)) && self.romaji_given.contains(&upper(b))
            };
            let shaped = (capitalised(w) || capitals(w)) && (capitalised(w2) || capitals(w2));
            if shaped && matches!(between.trim(), "" | ",") && (japanese(w, w2) || japanese(w2, w))
            {
                hits.push(Hit {
                    start: words[k].0,
                    end: e2,
                    category: Category::Name,
                    score: 0.65,
                    reason: "Japanese name in romaji (name lists)",
                });
                continue;
            }
            if !capitalised(w) || !capitalised(w2) {
                continue;
            }
            let last_first = between.trim() == ","
                && self.en_surnames.contains(upper(w).as_str())
                && self.en_given.contains(upper(w2).as_str());
            let first_last = between == " "
                && self.en_given.contains(upper(w).as_str())
                && self.en_surnames.contains(upper(w2).as_str());
            if last_first || first_last {
                hits.push(Hit {
                    start: words[k].0,
                    end: e2,
                    category: Category::Name,
                    score: 0.65,
                    reason: "first name and surname in the name lists",
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Category, &str)> {
        names()
            .find(text)
            .into_iter()
            .map(|h| (h.category, &text[h.start..h.end]))
            .collect()
    }

    #[test]
    fn japanese_names_by_shape() {
        assert_eq!(found("担当 佐藤 花子"), vec![(Category::Name, "佐藤 花子")]);
        // A given name that is not in the 2007 lists still counts after a space.
        assert_eq!(found("三浦 颯太"), vec![(Category::Name, "三浦 颯太")]);
        assert_eq!(found("山田太郎様"), vec![(Category::Name, "山田太郎")]);
        assert_eq!(found("お客様各位"), vec![]);
        assert_eq!(found("CSV出力 新規登録"), vec![]);
        assert_eq!(
            found("ヤマダ タロウ"),
            vec![(Category::NameKana, "ヤマダ タロウ")]
        );
    }

    #[test]
    fn english_names_by_shape() {
        assert_eq!(
            found("Taylor, Linda"),
            vec![(Category::Name, "Taylor, Linda")]
        );
        assert_eq!(found("John Miller"), vec![(Category::Name, "John Miller")]);
        assert_eq!(found("Dr. Wilson"), vec![(Category::Name, "Dr. Wilson")]);
        assert_eq!(found("Type 2 diabetes"), vec![]);
        assert_eq!(found("Taro Yamada"), vec![(Category::Name, "Taro Yamada")]);
        assert_eq!(
            found("SATO JUNICHI"),
            vec![(Category::Name, "SATO JUNICHI")]
        );
        assert_eq!(
            found("Satou, Hanako"),
            vec![(Category::Name, "Satou, Hanako")]
        );
    }

    #[test]
    fn readings_become_hepburn_romaji() {
        assert_eq!(romaji("サトウ"), Some(("SATOU".into(), "SATO".into())));
        assert_eq!(romaji("ジュンイチ").unwrap().0, "JUNICHI");
        assert_eq!(romaji("ハットリ").unwrap().0, "HATTORI");
        assert_eq!(romaji("マッチャ").unwrap().0, "MATCHA");
        assert_eq!(romaji("山田"), None);
    }
}
