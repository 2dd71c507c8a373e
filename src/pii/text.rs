//! OCR text made comparable: each character NFKC-folded on its own, so that every folded
//! character still points at the OCR character (and its quad) it came from.

use unicode_normalization::UnicodeNormalization;

/// Folded text of a run of OCR characters, with the way back to them.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    /// The folded text (what the rules match).
    pub text: String,
    /// The folded characters, and the byte offset in `text` where each starts.
    chars: Vec<char>,
    starts: Vec<usize>,
    /// For each folded character, the index of the OCR character it came from.
    pub source: Vec<usize>,
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// Dashes, long vowel marks and box lines that OCR returns between digits ("090ー1234").
fn is_dash_like(c: char) -> bool {
    matches!(
        c,
        '-' | 'ー'
            | '―'
            | '‐'
            | '−'
            | '‑'
            | '‒'
            | '–'
            | '—'
            | '─'
            | '一'
            | 'ｰ'
            | '~'
            | '〜'
            | '～'
    )
}

impl Folded {
    /// Folds `pieces` (one string per OCR character, `first` being the index of the first).
    pub fn new<'a>(pieces: impl IntoIterator<Item = &'a str>, first: usize) -> Folded {
        let mut chars = Vec::new();
        let mut source = Vec::new();
        for (i, piece) in pieces.into_iter().enumerate() {
            for c in piece.nfkc() {
                // NFKC leaves the ideographic space alone; a space is a space.
                let c = if c.is_whitespace() { ' ' } else { c };
                chars.push(c);
                source.push(first + i);
            }
        }
        // Between digits, a dash-like mark is a hyphen and a round letter a zero.
        for i in 1..chars.len().saturating_sub(1) {
            if is_digit(chars[i - 1]) && is_digit(chars[i + 1]) {
                if is_dash_like(chars[i]) {
                    chars[i] = '-';
                } else if matches!(chars[i], 'O' | 'o') {
                    chars[i] = '0';
                }
            }
        }
        let mut text = String::with_capacity(chars.len() * 3);
        let mut starts = Vec::with_capacity(chars.len());
        for &c in &chars {
            starts.push(text.len());
            text.push(c);
        }
        Folded {
            text,
            chars,
            starts,
            source,
        }
    }

    /// The number of folded characters.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The folded-character index of a byte offset into `text` (a character boundary).
    pub fn char_at(&self, byte: usize) -> usize {
        match self.starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i,
        }
    }

    /// The OCR characters `[first, last]` covered by the bytes `start..end` of `text`, with
    /// spaces at either end left out. `None` for an empty or all-space range.
    pub fn source_span(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let (mut a, mut b) = (self.char_at(start), self.char_at(end));
        let chars = &self.chars;
        while a < b && chars[a] == ' ' {
            a += 1;
        }
        while b > a && chars[b - 1] == ' ' {
            b -= 1;
        }
        (a < b).then(|| (self.source[a], self.source[b - 1]))
    }
}

/// `text` without spaces, ASCII letters lower-cased: how labels are compared.
pub fn key(text: &str) -> String {
    text.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々' | '〆' | 'ヶ')
}

pub fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・')
}

pub fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}')
}

/// Hiragana turned into katakana (readings are stored in katakana).
pub fn to_katakana(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_hiragana(c) {
                char::from_u32(c as u32 + 0x60).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(text: &str) -> Folded {
        let pieces: Vec<String> = text.chars().map(String::from).collect();
        Folded::new(pieces.iter().map(String::as_str), 0)
    }

    #[test]
    fn full_width_and_dashes_between_digits_fold() {
        assert_eq!(fold("０９０ー１２３４ー５６７８").text, "090-1234-5678");
        assert_eq!(fold("サトー 1O2").text, "サトー 102");
        assert_eq!(fold("ｍ－ｉｔｏ＠ｅｘ．ｊｐ").text, "m-ito@ex.jp");
        // The long vowel mark inside a word stays.
        assert_eq!(fold("コーポ").text, "コーポ");
    }

    #[test]
    fn folded_characters_point_back_at_their_sources() {
        // ㍻ folds to two characters, both from source 0.
        let f = fold("㍻3年");
        assert_eq!(f.text, "平成3年");
        assert_eq!(f.source, vec![0, 0, 1, 2]);
        let start = f.text.find('3').unwrap();
        assert_eq!(f.source_span(start, f.text.len()), Some((1, 2)));
        assert_eq!(fold(" ab ").source_span(0, 4), Some((1, 2)));
        assert_eq!(fold("  ").source_span(0, 2), None);
    }

    #[test]
    fn keys_ignore_spaces_width_and_case() {
        assert_eq!(key("氏　名"), "氏名");
        assert_eq!(key("ＴＥＬ"), "tel");
        assert_eq!(to_katakana("ゆうこ"), "ユウコ");
    }
}
