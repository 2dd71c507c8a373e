//! Names spelled from the recogniser's second choices.
//!
//! On photographed sheets (8–12 px of blurred print) the recogniser misreads one or two
//! characters of many names: 高橋 as 高楼, 藤原 as 基源, カトウ as カトク. The right character is
//! usually among the symbols the model found nearly as likely at that place. Where a run of
//! characters can be spelled, by changing only characters the model was unsure of to such
//! alternatives, as a surname followed by a given name (both in the name lists of
//! [`crate::pii::names`], in kanji or in katakana readings), and the text as read is no such
//! name, the run is spelled that way. English names are spelled the same way as "Last, First"
//! (the comma too: the model often reads it as a full stop) or as a surname after a title
//! (Dr. Brown), capitalised as written. Addresses are spelled the same way from the list of
//! prefectures and their municipalities ([`crate::pii::places`]): 富城県気仙沼市 as
//! 宮城県気仙沼市, 北海道札桃市 as 北海道札幌市. Text read with confidence is never changed, so
//! screens keep what they say.

use super::correct::read_as;
use crate::pii::names::{names, Part};
use crate::pii::places::places;
use crate::pii::text::{is_hiragana, is_kanji, is_katakana, to_katakana};

/// A character read with less probability than this may be changed to an alternative.
pub const UNSURE: f32 = 0.9;
/// An alternative needs at least this probability at the character's place.
pub const ALTERNATIVE_MIN: f32 = 0.005;
/// Alternatives kept per character.
pub const ALTERNATIVES: usize = 10;
/// At most this many characters of one name are changed.
const MAX_CHANGES: usize = 2;
/// Longest name part, in characters: Japanese, English.
const MAX_PART: usize = 4;
const MAX_ENGLISH_PART: usize = 12;
/// Longest municipality, in characters, with its 郡 (余市郡赤井川村 is 7).
const MAX_MUNICIPALITY: usize = 10;
/// Titles an English surname may follow on its own (Dr. Brown).
const TITLES: &[&str] = &["Dr.", "Mr.", "Mrs.", "Ms."];
/// The most a spelling may cost: the sum, over the characters changed, of ln(probability read /
/// probability of the alternative).
const MAX_COST: f32 = 4.0;

/// One character position: what was read first (symbol, probability), then its alternatives.
pub type Options = Vec<(usize, f32)>;

/// A character to change: its position, the new symbol and its probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Change {
    pub at: usize,
    pub symbol: usize,
    pub prob: f32,
}

/// A way to spell part of a name: where it ends, its cost and its changes.
#[derive(Clone, Debug)]
struct Spelling {
    end: usize,
    cost: f32,
    changes: Vec<Change>,
    /// The word as spelled.
    text: String,
}

/// What a run of characters is spelled as: a part of a name, or a part of an address.
#[derive(Clone, Copy, Debug)]
enum Word<'a> {
    Name(Part),
    Prefecture,
    /// A municipality of this prefecture.
    Municipality(&'a str),
}

impl Word<'_> {
    /// The longest such word, in characters.
    fn longest(self) -> usize {
        match self {
            Word::Name(Part::EnglishSurname | Part::EnglishGiven) => MAX_ENGLISH_PART,
            Word::Name(_) => MAX_PART,
            Word::Prefecture => 4,
            Word::Municipality(_) => MAX_MUNICIPALITY,
        }
    }

    /// `(a word of this kind begins with text, text is one)`.
    fn lookup(self, text: &str) -> (bool, bool) {
        let lists = names();
        match self {
            // English names are written capitalised (Smith); the lists hold SMITH.
            Word::Name(Part::EnglishSurname | Part::EnglishGiven) if !capitalised(text) => {
                (false, false)
            }
            Word::Name(part @ (Part::EnglishSurname | Part::EnglishGiven)) => {
                lists.lookup(part, &text.to_ascii_uppercase())
            }
            Word::Name(Part::Given) => {
                // A given name may be written in kana after a surname in kanji (山田 キヨ).
                let (b, i) = lists.lookup(Part::Given, text);
                let (kb, ki) = lists.lookup(Part::GivenReading, &to_katakana(text));
                (b || kb, i || ki)
            }
            Word::Name(part) => lists.lookup(part, text),
            Word::Prefecture => places().prefecture(text),
            Word::Municipality(prefecture) => places().municipality(prefecture, text),
        }
    }
}

/// Every spelling of a `word` starting at `at`.
fn spellings(options: &[Options], alphabet: &[String], at: usize, word: Word) -> Vec<Spelling> {
    let mut out = Vec::new();
    // Depth first: (next position, text so far, cost, changes).
    let mut stack = vec![(at, String::new(), 0.0f32, Vec::<Change>::new())];
    while let Some((pos, text, cost, changes)) = stack.pop() {
        if pos >= options.len() || pos - at >= word.longest() {
            continue;
        }
        let (read, read_prob) = options[pos][0];
        for (k, &(symbol, prob)) in options[pos].iter().enumerate() {
            let mut cost = cost;
            let mut changes = changes.clone();
            if k > 0 {
                if read_prob >= UNSURE || prob < ALTERNATIVE_MIN || changes.len() >= MAX_CHANGES {
                    continue;
                }
                cost += (read_prob / prob).ln().max(0.0);
                if cost > MAX_COST {
                    continue;
                }
                changes.push(Change {
                    at: pos,
                    symbol,
                    prob,
                });
            }
            debug_assert!(k > 0 || symbol == read);
            let Some(s) = alphabet.get(symbol) else {
                continue;
            };
            // As the line's corrections will have it (网 is 岡).
            let mut one = s.chars();
            let s = match (one.next().and_then(read_as), one.next()) {
                (Some(c), None) => c.to_string(),
                _ => s.clone(),
            };
            let spelled = format!("{text}{s}");
            let (begins, is) = word.lookup(&spelled);
            if is {
                out.push(Spelling {
                    end: pos + 1,
                    cost,
                    changes: changes.clone(),
                    text: spelled.clone(),
                });
            }
            if begins {
                stack.push((pos + 1, spelled, cost, changes));
            }
        }
    }
    out
}

/// Whether `word` is an ASCII capital followed by lower-case letters only.
fn capitalised(word: &str) -> bool {
    let mut c = word.chars();
    c.next().is_some_and(|f| f.is_ascii_uppercase()) && c.all(|x| x.is_ascii_lowercase())
}

/// The character read at `at`, if any.
fn read_char(options: &[Options], alphabet: &[String], at: usize) -> Option<char> {
    let (symbol, _) = *options.get(at)?.first()?;
    alphabet.get(symbol)?.chars().next()
}

/// The cheapest spelling of a whole name (surname, an optional space read, given name) of the
/// script `kana` or not, starting at `at` (without changes when what was read is one).
fn name_at(options: &[Options], alphabet: &[String], at: usize, kana: bool) -> Option<Spelling> {
    let (surname, given) = if kana {
        (Part::SurnameReading, Part::GivenReading)
    } else {
        (Part::Surname, Part::Given)
    };
    // A name's characters: kanji (and the kana of given names) or katakana.
    let inside = |c: char| {
        if kana {
            is_katakana(c)
        } else {
            is_kanji(c)
        }
    };
    if at > 0 && read_char(options, alphabet, at - 1).is_some_and(inside) {
        return None;
    }
    // A part of one character is too easily spelled (most kanji are a surname or a given
    // name of their own): it is changed only next to a part of two or more read as it is.
    let mut best: Option<Spelling> = None;
    let surnames = spellings(options, alphabet, at, Word::Name(surname));
    for first in &surnames {
        let spaced = read_char(options, alphabet, first.end) == Some(' ');
        let from = first.end + spaced as usize;
        let given_names = spellings(options, alphabet, from, Word::Name(given));
        for second in &given_names {
            let single_changed = |a: &Spelling, a_from: usize, b: &Spelling, b_from: usize| {
                a.end - a_from == 1
                    && !a.changes.is_empty()
                    && (b.end - b_from == 1 || !b.changes.is_empty())
            };
            if single_changed(first, at, second, from) || single_changed(second, from, first, at) {
                continue;
            }
            let ends_word = read_char(options, alphabet, second.end)
                .is_none_or(|c| !inside(c) && !(kana && is_hiragana(c)));
            let length = second.end - at - spaced as usize;
            if !ends_word || length < 3 && !spaced {
                continue;
            }
            let cost = first.cost + second.cost;
            let changes = first.changes.len() + second.changes.len();
            // At most half the name is changed.
            if changes > MAX_CHANGES.min((length / 2).max(1)) || cost > MAX_COST {
                continue;
            }
            keep_cheaper(&mut best, first, second);
        }
    }
    best
}

/// `first` followed by `second` as one spelling, put in `best` when it is cheaper than what is
/// there (then with fewer changes, then longer).
fn keep_cheaper(best: &mut Option<Spelling>, first: &Spelling, second: &Spelling) {
    let cost = first.cost + second.cost;
    let changes = first.changes.len() + second.changes.len();
    let better = best.as_ref().is_none_or(|b| {
        (cost, changes, std::cmp::Reverse(second.end))
            < (b.cost, b.changes.len(), std::cmp::Reverse(b.end))
    });
    if better {
        let mut all = first.changes.clone();
        all.extend(&second.changes);
        *best = Some(Spelling {
            end: second.end,
            cost,
            changes: all,
            text: format!("{}{}", first.text, second.text),
        });
    }
}

/// `symbol` at `at`, as read (no cost) or as an unsure character's alternative.
fn read_or_spelled(
    options: &[Options],
    alphabet: &[String],
    at: usize,
    symbol: &str,
) -> Option<(f32, Option<Change>)> {
    let o = options.get(at)?;
    let (read, read_prob) = o[0];
    if alphabet.get(read).is_some_and(|s| s == symbol) {
        return Some((0.0, None));
    }
    if read_prob >= UNSURE {
        return None;
    }
    o[1..]
        .iter()
        .find(|&&(k, p)| p >= ALTERNATIVE_MIN && alphabet.get(k).is_some_and(|s| s == symbol))
        .map(|&(k, p)| {
            let change = Change {
                at,
                symbol: k,
                prob: p,
            };
            ((read_prob / p).ln().max(0.0), Some(change))
        })
}

/// Whether the text read just before `at` (a space between allowed) is a title (Dr.).
fn title_before(options: &[Options], alphabet: &[String], at: usize) -> bool {
    let end = if at > 0 && read_char(options, alphabet, at - 1) == Some(' ') {
        at - 1
    } else {
        at
    };
    TITLES.iter().any(|t| {
        let n = t.chars().count();
        end >= n
            && (end - n..end)
                .filter_map(|k| read_char(options, alphabet, k))
                .eq(t.chars())
    })
}

/// The cheapest spelling of an English name starting at `at`: "Last, First" (the comma may
/// be spelled too, as the model reads it as a full stop) or a surname after a title.
fn english_at(options: &[Options], alphabet: &[String], at: usize) -> Option<Spelling> {
    let letter =
        |k: usize| read_char(options, alphabet, k).is_some_and(|c| c.is_ascii_alphabetic());
    if at > 0 && letter(at - 1) {
        return None;
    }
    let mut candidates: Vec<Spelling> = Vec::new();
    let surnames = spellings(options, alphabet, at, Word::Name(Part::EnglishSurname));
    if title_before(options, alphabet, at) {
        candidates.extend(surnames.iter().filter(|s| !letter(s.end)).cloned());
    }
    for first in &surnames {
        let Some((comma_cost, comma)) = read_or_spelled(options, alphabet, first.end, ",") else {
            continue;
        };
        let spaced = read_char(options, alphabet, first.end + 1) == Some(' ');
        let from = first.end + 1 + spaced as usize;
        for second in spellings(options, alphabet, from, Word::Name(Part::EnglishGiven)) {
            if letter(second.end) {
                continue;
            }
            let mut changes = first.changes.clone();
            changes.extend(comma);
            changes.extend(&second.changes);
            candidates.push(Spelling {
                end: second.end,
                cost: first.cost + comma_cost + second.cost,
                changes,
                text: format!("{}, {}", first.text, second.text),
            });
        }
    }
    candidates
        .into_iter()
        .filter(|c| c.changes.len() <= MAX_CHANGES && c.cost <= MAX_COST)
        .min_by(|a, b| {
            (a.cost, a.changes.len(), std::cmp::Reverse(a.end))
                .partial_cmp(&(b.cost, b.changes.len(), std::cmp::Reverse(b.end)))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
}

/// The cheapest spelling of a prefecture followed by one of its municipalities starting at
/// `at` (without changes when what was read is one): each part has at most half of its
/// characters changed, the two no more than [`MAX_CHANGES`] + 1 and [`MAX_COST`] together.
fn address_at(options: &[Options], alphabet: &[String], at: usize) -> Option<Spelling> {
    let half = |s: &Spelling, from: usize| s.changes.len() <= ((s.end - from) / 2).max(1);
    let mut best: Option<Spelling> = None;
    for pref in spellings(options, alphabet, at, Word::Prefecture) {
        if !half(&pref, at) {
            continue;
        }
        for city in spellings(options, alphabet, pref.end, Word::Municipality(&pref.text)) {
            let changes = pref.changes.len() + city.changes.len();
            let cost = pref.cost + city.cost;
            if !half(&city, pref.end) || changes > MAX_CHANGES + 1 || cost > MAX_COST {
                continue;
            }
            keep_cheaper(&mut best, &pref, &city);
        }
    }
    best
}

/// Labels of e-mail domains, spelled like names: the endings (jp, co.jp, com…), the
/// mail services most used in Japan, and `example`, the reserved name of demo screens.
const DOMAIN_LABELS: &[&str] = &[
    "jp", "co", "ne", "or", "ac", "go", "ed", "com", "net", "org", "info", "mail", "gmail",
    "yahoo", "hotmail", "outlook", "icloud", "me", "docomo", "ezweb", "softbank", "example",
];
/// The last label of a domain: a country or generic top-level domain.
const TOP_LEVEL: &[&str] = &["jp", "com", "net", "org", "info"];

/// The changes that spell e-mail addresses in a line read as `options`: in a run of
/// characters that e-mail addresses are written with, an unsure character whose alternative is
/// `@` becomes it where the run holds none and what follows ends in a top-level domain
/// (`yumi628eexample.co.jp`), and a domain label that is none of [`DOMAIN_LABELS`] is spelled
/// as one by one change of an unsure character (`@mall.` → `@mail.`, `.co.lp` → `.co.jp`).
fn emails_in(options: &[Options], alphabet: &[String]) -> Vec<Change> {
    let read: Vec<char> = (0..options.len())
        .map(|k| read_char(options, alphabet, k).unwrap_or('\u{FFFD}'))
        .collect();
    let in_address = |c: char| c.is_ascii_alphanumeric() || "._%+-@".contains(c);
    let mut changes = Vec::new();
    let mut start = 0;
    while start < read.len() {
        if !in_address(read[start]) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < read.len() && in_address(read[end]) {
            end += 1;
        }
        changes.extend(email_run(options, alphabet, &read, start, end));
        start = end;
    }
    changes
}

/// [`emails_in`] over the run `start..end` of `read`.
fn email_run(
    options: &[Options],
    alphabet: &[String],
    read: &[char],
    start: usize,
    end: usize,
) -> Vec<Change> {
    let text = |a: usize, b: usize| read[a..b].iter().collect::<String>();
    let ends_in_top_level = |from: usize| {
        let domain = text(from, end);
        domain.contains('.') && TOP_LEVEL.iter().any(|t| domain.ends_with(&format!(".{t}")))
    };
    let mut changes = Vec::new();
    let at = match (start..end).find(|&k| read[k] == '@') {
        Some(k) => k,
        None => {
            // The cheapest unsure character with `@` among its alternatives, with a local part
            // before it and a domain after it.
            let best = (start + 1..end.saturating_sub(3))
                .filter(|&k| ends_in_top_level(k + 1) && read[k - 1] != '.')
                .filter_map(|k| {
                    let (_, read_prob) = options[k][0];
                    let &(symbol, prob) = options[k][1..]
                        .iter()
                        .find(|o| alphabet.get(o.0).is_some_and(|s| s == "@"))?;
                    (read_prob < UNSURE && prob >= ALTERNATIVE_MIN)
                        .then(|| (k, symbol, prob, (read_prob / prob).ln().max(0.0)))
                })
                .min_by(|a, b| a.3.total_cmp(&b.3));
            let Some((k, symbol, prob, _)) = best.filter(|b| b.3 <= MAX_COST) else {
                return changes;
            };
            changes.push(Change {
                at: k,
                symbol,
                prob,
            });
            k
        }
    };
    // Each label of the domain.
    let mut from = at + 1;
    while from < end {
        let to = (from..end).find(|&k| read[k] == '.').unwrap_or(end);
        let label = text(from, to);
        if !label.is_empty() && !DOMAIN_LABELS.contains(&label.as_str()) {
            let spelled = (from..to)
                .filter(|&k| options[k][0].1 < UNSURE)
                .flat_map(|k| {
                    options[k][1..]
                        .iter()
                        .map(move |&(symbol, prob)| (k, symbol, prob))
                })
                .filter(|&(_, _, prob)| prob >= ALTERNATIVE_MIN)
                .filter(|&(k, symbol, _)| {
                    alphabet.get(symbol).is_some_and(|s| {
                        let mut word: Vec<String> =
                            read[from..to].iter().map(|c| c.to_string()).collect();
                        word[k - from] = s.clone();
                        DOMAIN_LABELS.contains(&word.concat().as_str())
                    })
                })
                .map(|(k, symbol, prob)| (k, symbol, prob, (options[k][0].1 / prob).ln().max(0.0)))
                .filter(|c| c.3 <= MAX_COST)
                .min_by(|a, b| a.3.total_cmp(&b.3));
            if let Some((k, symbol, prob, _)) = spelled {
                changes.push(Change {
                    at: k,
                    symbol,
                    prob,
                });
            }
        }
        from = to + 1;
    }
    changes
}

/// The changes that spell names and addresses in a line read as `options` (see the module
/// comment).
pub fn names_in(options: &[Options], alphabet: &[String]) -> Vec<Change> {
    // Only lines with an unsure character are searched.
    if options.iter().all(|o| o[0].1 >= UNSURE) {
        return Vec::new();
    }
    let mut changes = emails_in(options, alphabet);
    let in_email: Vec<usize> = changes.iter().map(|c| c.at).collect();
    let mut at = 0;
    while at < options.len() {
        if in_email.contains(&at) {
            at += 1;
            continue;
        }
        let found = address_at(options, alphabet, at)
            .or_else(|| name_at(options, alphabet, at, false))
            .or_else(|| name_at(options, alphabet, at, true))
            .or_else(|| english_at(options, alphabet, at));
        match found {
            Some(s) => {
                changes.extend(s.changes);
                at = s.end;
            }
            None => at += 1,
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An alphabet of the symbols used, index 0 the blank; options from (text, prob) lists.
    fn line(read: &[&[(&str, f32)]]) -> (Vec<String>, Vec<Options>) {
        let mut alphabet = vec!["".to_string()];
        let mut options = Vec::new();
        for choices in read {
            let mut o = Options::new();
            for &(text, prob) in *choices {
                let i = alphabet.iter().position(|a| a == text).unwrap_or_else(|| {
                    alphabet.push(text.to_string());
                    alphabet.len() - 1
                });
                o.push((i, prob));
            }
            options.push(o);
        }
        (alphabet, options)
    }

    fn spelled(alphabet: &[String], options: &[Options]) -> String {
        let changes = names_in(options, alphabet);
        (0..options.len())
            .map(|k| {
                let symbol = changes
                    .iter()
                    .find(|c| c.at == k)
                    .map_or(options[k][0].0, |c| c.symbol);
                alphabet[symbol].clone()
            })
            .collect()
    }

    #[test]
    fn an_unsure_character_becomes_the_alternative_that_spells_a_name() {
        // 高楼 由美子: 楼 was unsure and 橋 its second choice.
        let (a, o) = line(&[
            &[("高", 0.99)],
            &[("楼", 0.6), ("橋", 0.2), ("桜", 0.1)],
            &[(" ", 0.9)],
            &[("由", 0.98)],
            &[("美", 0.97)],
            &[("子", 0.99)],
        ]);
        assert_eq!(spelled(&a, &o), "高橋 由美子");
    }

    #[test]
    fn kana_readings_are_spelled_too() {
        let (a, o) = line(&[
            &[("カ", 0.99)],
            &[("ト", 0.98)],
            &[("ク", 0.5), ("ウ", 0.3)],
            &[("ア", 0.99)],
            &[("オ", 0.99)],
            &[("イ", 0.99)],
        ]);
        assert_eq!(spelled(&a, &o), "カトウアオイ");
    }

    #[test]
    fn sure_characters_and_names_read_right_are_left_alone() {
        // 楼 is sure: nothing changes, though 橋 would spell a name.
        let (a, o) = line(&[
            &[("高", 0.99)],
            &[("楼", 0.95), ("橋", 0.04)],
            &[("由", 0.5)],
            &[("美", 0.97)],
            &[("子", 0.99)],
        ]);
        assert_eq!(spelled(&a, &o), "高楼由美子");
        // 山田 花子 read right, with an unsure 花 whose alternative also spells a name.
        let (a, o) = line(&[
            &[("山", 0.99)],
            &[("田", 0.99)],
            &[(" ", 0.9)],
            &[("花", 0.6), ("英", 0.3)],
            &[("子", 0.99)],
        ]);
        assert_eq!(spelled(&a, &o), "山田 花子");
    }

    #[test]
    fn a_word_inside_a_longer_run_of_kanji_is_not_a_name() {
        // 本田 is a surname, but 本日中止 is one run of kanji: no name ends inside it.
        let (a, o) = line(&[
            &[("本", 0.99)],
            &[("日", 0.6), ("田", 0.3)],
            &[("中", 0.99)],
            &[("止", 0.99)],
            &[("年", 0.99)],
        ]);
        assert_eq!(spelled(&a, &o), "本日中止年");
    }

    #[test]
    fn a_given_name_in_katakana_after_a_surname_in_kanji_is_a_name_as_read() {
        // 山田 キヨ read right (ヨ unsure): キコ would spell a name too, but キヨ is one.
        let (a, o) = line(&[
            &[("山", 1.0)],
            &[("田", 0.98)],
            &[("キ", 0.92)],
            &[("ヨ", 0.37), ("コ", 0.3)],
        ]);
        assert_eq!(spelled(&a, &o), "山田キヨ");
    }

    #[test]
    fn at_most_half_of_a_name_is_changed() {
        // Three characters read unsure, two of them changed would spell 五条 + 出: too much.
        let (a, o) = line(&[
            &[("近", 0.24), ("五", 0.1)],
            &[("解", 0.06), ("条", 0.03)],
            &[("出", 0.18)],
        ]);
        assert_eq!(spelled(&a, &o), "近解出");
    }

    /// One option per character of `text`, each read with `prob`.
    fn sure(text: &str, prob: f32) -> Vec<(String, f32)> {
        text.chars().map(|c| (c.to_string(), prob)).collect()
    }

    /// `line` for owned options.
    fn owned_line(read: &[Vec<(String, f32)>]) -> (Vec<String>, Vec<Options>) {
        let borrowed: Vec<Vec<(&str, f32)>> = read
            .iter()
            .map(|o| o.iter().map(|(t, p)| (t.as_str(), *p)).collect())
            .collect();
        let refs: Vec<&[(&str, f32)]> = borrowed.iter().map(|o| o.as_slice()).collect();
        line(&refs)
    }

    #[test]
    fn english_names_are_spelled_with_their_capital_and_comma() {
        // "johnson.Barbara": j unsure with J second, the comma read as a full stop.
        let mut read = vec![vec![("j".to_string(), 0.6), ("J".to_string(), 0.3)]];
        read.extend(sure("ohnson", 0.99).into_iter().map(|o| vec![o]));
        read.push(vec![(".".to_string(), 0.5), (",".to_string(), 0.4)]);
        read.extend(sure("Barbara", 0.99).into_iter().map(|o| vec![o]));
        let (a, o) = owned_line(&read);
        assert_eq!(spelled(&a, &o), "Johnson,Barbara");

        // A surname after a title: Dr.Brewn, e unsure with o second.
        let mut read: Vec<Vec<(String, f32)>> =
            sure("Dr.Br", 0.99).into_iter().map(|o| vec![o]).collect();
        read.push(vec![("e".to_string(), 0.5), ("o".to_string(), 0.3)]);
        read.extend(sure("wn", 0.99).into_iter().map(|o| vec![o]));
        let (a, o) = owned_line(&read);
        assert_eq!(spelled(&a, &o), "Dr.Brown");

        // Without the title, a lone word is not spelled: "Brewn" may be any word.
        let (a, o) = owned_line(&read[3..]);
        assert_eq!(spelled(&a, &o), "Brewn");
    }

    #[test]
    fn a_prefecture_and_its_municipality_are_spelled_together() {
        // 神杂川限横浜市: 杂 and 限 unsure, 奈 and 県 among their alternatives.
        let (a, o) = line(&[
            &[("神", 0.99)],
            &[("杂", 0.5), ("奈", 0.3)],
            &[("川", 0.99)],
            &[("限", 0.4), ("県", 0.35)],
            &[("楼", 0.6), ("横", 0.3)],
            &[("浜", 0.98)],
            &[("市", 0.99)],
            &[("港", 0.99)],
        ]);
        assert_eq!(spelled(&a, &o), "神奈川県横浜市港");
        // A prefecture alone is not enough: 神杂川限 stays without a municipality after it.
        let (a, o) = line(&[
            &[("神", 0.99)],
            &[("杂", 0.5), ("奈", 0.3)],
            &[("川", 0.99)],
            &[("限", 0.4), ("県", 0.35)],
            &[("の", 0.99)],
        ]);
        assert_eq!(spelled(&a, &o), "神杂川限の");
        // A municipality of another prefecture is none: 東京都 + 横浜市 is not spelled.
        let (a, o) = line(&[
            &[("東", 0.99)],
            &[("京", 0.99)],
            &[("都", 0.99)],
            &[("楼", 0.6), ("横", 0.3)],
            &[("浜", 0.98)],
            &[("市", 0.99)],
        ]);
        assert_eq!(spelled(&a, &o), "東京都楼浜市");
    }

    /// A line read as `text`, every character sure but those given with their alternatives.
    fn unsure_at(text: &str, unsure: &[(usize, &[(&str, f32)])]) -> (Vec<String>, Vec<Options>) {
        let mut read: Vec<Vec<(String, f32)>> =
            sure(text, 0.99).into_iter().map(|o| vec![o]).collect();
        for &(k, choices) in unsure {
            read[k] = choices.iter().map(|&(t, p)| (t.to_string(), p)).collect();
        }
        owned_line(&read)
    }

    #[test]
    fn e_mail_addresses_get_their_at_sign_and_domain_labels_back() {
        // yumi628eexample.co.jp: the first e was unsure, with @ second.
        let (a, o) = unsure_at("yumi628eexample.co.jp", &[(7, &[("e", 0.6), ("@", 0.2)])]);
        assert_eq!(spelled(&a, &o), "yumi628@example.co.jp");
        // tak378@mall.example.jp: the second l was unsure, with i second.
        let (a, o) = unsure_at("tak378@mall.example.jp", &[(9, &[("l", 0.7), ("i", 0.25)])]);
        assert_eq!(spelled(&a, &o), "tak378@mail.example.jp");
        // k.sato546@example.co.lp: l unsure with j second.
        let (a, o) = unsure_at(
            "k.sato546@example.co.lp",
            &[(21, &[("l", 0.5), ("j", 0.4)])],
        );
        assert_eq!(spelled(&a, &o), "k.sato546@example.co.jp");
        // A sure character stays, and so does a word with no domain after it.
        let (a, o) = unsure_at(
            "tak378@mall.example.jp",
            &[(9, &[("l", 0.95), ("i", 0.04)])],
        );
        assert_eq!(spelled(&a, &o), "tak378@mall.example.jp");
        let (a, o) = unsure_at("version2release", &[(9, &[("e", 0.6), ("@", 0.2)])]);
        assert_eq!(spelled(&a, &o), "version2release");
    }

    #[test]
    fn an_unlikely_alternative_is_not_taken() {
        let (a, o) = line(&[
            &[("高", 0.99)],
            &[("楼", 0.8), ("橋", 0.001)],
            &[("由", 0.98)],
            &[("美", 0.97)],
            &[("子", 0.99)],
        ]);
        assert_eq!(spelled(&a, &o), "高楼由美子");
    }
}
