//! Personal data that is not text: faces, the holder's photo on identity cards, QR codes and
//! barcodes, seals. Each becomes a [`Finding`] like the text rules' findings, so review,
//! masking and video tracking treat them the same way.
//!
//! - Faces come from the face model ([`crate::detection::faces`]).
//! - The holder's photo on an ID card is found from the layout, not from the face in it (a
//!   scanned card's photo can be small, dark or a placeholder): when the page carries an ID
//!   card's printed title (個人番号カード, 運転免許証, 在留カード, 被保険者証, PASSPORT…), every
//!   portrait-shaped block without text that stands out from the card around it is the photo.
//! - QR codes and barcodes ([`crate::detection::codes`]) are `must`: what a code holds is not
//!   known before it is read, and a member or patient card's code identifies its holder.
//! - Red seal impressions ([`crate::detection::seals`]) are `may` (a surname in a stamp).

use crate::detection::cards::{find_cards, smallest_around};
use crate::detection::codes::{find_codes, point_in_quad, CodeKind};
use crate::detection::faces::Face;
use crate::detection::ocr::{OcrResult, Quad, TextLine};
use crate::detection::seals::find_seals;
use crate::geometry::{quad_box as bounds, quad_centre};
use crate::imaging::{Cells, Image};
use crate::pii::{Category, Finding, Policy, Tier};

/// Titles printed on identity documents that carry the holder's photo.
pub const ID_CARD_TITLES: &[&str] = &[
    "個人番号カード",
    "マイナンバーカード",
    "運転免許証",
    "在留カード",
    "特別永住者証明書",
    "住民基本台帳カード",
    "被保険者証",
    "保険証",
    "資格確認書",
    "身体障害者手帳",
    "学生証",
    "社員証",
    "身分証",
    "旅券",
    "日本国旅券",
    "PASSPORT",
    "DRIVERLICENSE",
    "DRIVER'SLICENSE",
    "RESIDENCECARD",
    "IDENTIFICATION",
    "IDCARD",
];

/// Kinds of identity documents, named by their printed titles and the numbers the text rules
/// find on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdDocument {
    /// 個人番号カード (front: title, address; back: 個人番号 and a valid My Number).
    MyNumberCard,
    DriversLicence,
    /// 健康保険証 / 資格確認書.
    InsuranceCard,
    ResidenceCard,
    Passport,
}

/// Which side of a card is shown. Only told for the My Number card, whose back carries the
/// 個人番号 (which only those the law allows may copy) and whose front does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Front,
    Back,
}

/// An identity document shown in the picture: its kind, the side when it can be told, and
/// the card's outline when one was found ([`find_cards`]); without an outline the document
/// was recognised from the page's text as a whole.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DocumentSeen {
    pub kind: IdDocument,
    pub side: Option<Side>,
    pub quad: Option<Quad>,
}

/// Words that name each kind of document (folded as [`fold`] does).
const DOCUMENT_WORDS: &[(&[&str], IdDocument)] = &[
    (
        &["個人番号カード", "マイナンバーカード", "通知カード"],
        IdDocument::MyNumberCard,
    ),
    (
        &["運転免許証", "DRIVERLICENSE", "DRIVER'SLICENSE"],
        IdDocument::DriversLicence,
    ),
    (
        &["被保険者証", "資格確認書", "保険証", "保険者番号"],
        IdDocument::InsuranceCard,
    ),
    (
        &["在留カード", "特別永住者証明書", "RESIDENCECARD"],
        IdDocument::ResidenceCard,
    ),
    (&["旅券", "PASSPORT"], IdDocument::Passport),
];

/// The identity documents in the picture, for the person reviewing (a page that shows an
/// insurance card can be masked with the 保険証のコピー preset; the back of a My Number card
/// shows the 個人番号). Cards are looked for by their outlines; each card's kind and side come
/// from the text inside it. Text outside every card names documents without an outline.
pub fn id_documents(image: &Image, ocr: &OcrResult) -> Vec<DocumentSeen> {
    let findings = crate::pii::scan(ocr, &Policy::default());
    let mut out: Vec<DocumentSeen> = Vec::new();
    let mut used_lines = vec![false; ocr.lines.len()];
    let mut used_findings = vec![false; findings.len()];
    // Each line and finding belongs to the smallest outline around it (a sheet of paper
    // holding two cards is an outline too).
    let cards = find_cards(&image.rgba, image.width, image.height);
    let line_card: Vec<Option<usize>> = ocr
        .lines
        .iter()
        .map(|l| smallest_around(&cards, quad_centre(&l.quad)))
        .collect();
    let finding_card: Vec<Option<usize>> = findings
        .iter()
        .map(|f| smallest_around(&cards, quad_centre(&f.quad)))
        .collect();
    for (k, card) in cards.iter().enumerate() {
        let lines: Vec<usize> = (0..ocr.lines.len())
            .filter(|&i| line_card[i] == Some(k))
            .collect();
        let found: Vec<usize> = (0..findings.len())
            .filter(|&i| finding_card[i] == Some(k))
            .collect();
        let texts: Vec<&str> = lines.iter().map(|&i| ocr.lines[i].text.as_str()).collect();
        let numbers: Vec<&Finding> = found.iter().map(|&i| &findings[i]).collect();
        if !holds_one_person(&texts, &numbers) {
            continue;
        }
        let kinds = documents_in(&texts, &numbers, true);
        if kinds.is_empty() {
            continue;
        }
        lines.iter().for_each(|&i| used_lines[i] = true);
        found.iter().for_each(|&i| used_findings[i] = true);
        for (kind, side) in kinds {
            out.push(DocumentSeen {
                kind,
                side,
                quad: Some(card.quad),
            });
        }
    }
    let texts: Vec<&str> = (0..ocr.lines.len())
        .filter(|&i| !used_lines[i])
        .map(|i| ocr.lines[i].text.as_str())
        .collect();
    let numbers: Vec<&Finding> = (0..findings.len())
        .filter(|&i| !used_findings[i])
        .map(|i| &findings[i])
        .collect();
    for (kind, side) in documents_in(&texts, &numbers, false) {
        // A kind already seen on a card is not named again without one, unless this is the
        // My Number card's other side.
        if !out
            .iter()
            .any(|d| d.kind == kind && (d.side == side || side.is_none()))
        {
            out.push(DocumentSeen {
                kind,
                side,
                quad: None,
            });
        }
    }
    // Kinds in a fixed order, the front before the back.
    out.sort_by_key(|d| (d.kind, d.side));
    out
}

/// Most lines an ID card holds (a photographed table or form in card proportions holds more).
const CARD_LINES: usize = 40;

/// Can an outline holding these lines and findings be one person's card? Not with more lines
/// than a card holds or with two different My Numbers (a list of employees).
fn holds_one_person(texts: &[&str], findings: &[&Finding]) -> bool {
    let mut numbers: Vec<String> = findings
        .iter()
        .filter(|f| f.category == Category::MyNumber)
        .map(|f| f.text.chars().filter(char::is_ascii_digit).collect())
        .collect();
    numbers.sort();
    numbers.dedup();
    texts.len() <= CARD_LINES && numbers.len() <= 1
}

/// The documents (each kind once; the My Number card once per side shown) that a set of text
/// lines and the text rules' findings among them name. `on_card`: the text lies on one card's
/// outline, where a valid My Number means the card's back (elsewhere, a list of employees'
/// numbers is not a card: the card is then named only by its title).
fn documents_in(
    texts: &[&str],
    findings: &[&Finding],
    on_card: bool,
) -> Vec<(IdDocument, Option<Side>)> {
    let folded: Vec<String> = texts.iter().map(|t| fold(t)).collect();
    let mut kinds: Vec<IdDocument> = Vec::new();
    let mut add = |d: IdDocument| {
        if !kinds.contains(&d) {
            kinds.push(d);
        }
    };
    for line in &folded {
        for (words, d) in DOCUMENT_WORDS {
            if words.iter().any(|w| names(line, &fold(w))) {
                add(*d);
            }
        }
    }
    let my_number = findings
        .iter()
        .any(|f| f.category == Category::MyNumber && f.reason.contains("check digit"));
    for f in findings {
        match f.category {
            Category::MyNumber if on_card && f.reason.contains("check digit") => {
                add(IdDocument::MyNumberCard)
            }
            Category::DriversLicense => add(IdDocument::DriversLicence),
            Category::ResidenceCard => add(IdDocument::ResidenceCard),
            Category::Passport => add(IdDocument::Passport),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for kind in kinds {
        if kind != IdDocument::MyNumberCard {
            out.push((kind, None));
            continue;
        }
        // The front carries the card's title and the address; the back the 個人番号 (the
        // label alone, not the title) and the number itself.
        let title = folded
            .iter()
            .any(|l| names(l, &fold("個人番号カード")) || names(l, &fold("マイナンバーカード")));
        let address = folded.iter().any(|l| l.contains("住所"));
        let label = folded.iter().any(|l| {
            l.match_indices("個人番号")
                .any(|(i, w)| !l[i + w.len()..].starts_with(&fold("カード")))
        });
        let back = my_number || label;
        let front = title || (on_card && address);
        if front {
            out.push((kind, Some(Side::Front)));
        }
        if back {
            out.push((kind, Some(Side::Back)));
        }
        if !front && !back {
            out.push((kind, None));
        }
    }
    out
}

/// Face findings: one per face, the box as found (masking pads it and draws an ellipse).
pub fn face_findings(faces: &[Face]) -> Vec<Finding> {
    faces
        .iter()
        .map(|f| Finding {
            category: Category::Face,
            tier: Tier::Must,
            text: String::new(),
            quad: f.quad(),
            score: f.score,
            reason: format!("face (detector score {:.2})", f.score),
        })
        .collect()
}

/// The ID card title printed on the page, if any. Text is folded (NFKC, no spaces, upper
/// case, kanji the OCR confuses with katakana read as the katakana) and a Japanese title of
/// five or more characters is also taken with up to a third of them misread (a photographed
/// card's small print: 国人番号力一ド for 個人番号カード).
pub fn id_card_title(ocr: &OcrResult) -> Option<&'static str> {
    ocr.lines.iter().find_map(|l| {
        let folded = fold(&l.text);
        ID_CARD_TITLES
            .iter()
            .copied()
            .find(|t| names(&folded, &fold(t)))
    })
}

/// Does a folded line hold a folded title? Japanese titles of five or more characters are also
/// taken with up to a third of their characters misread (English ones are not: PASSWORD is
/// two letters from PASSPORT).
fn names(line: &str, title: &str) -> bool {
    let line: Vec<char> = line.chars().collect();
    let title: Vec<char> = title.chars().collect();
    let allowed = if title.len() >= 5 && !title.iter().all(char::is_ascii) {
        title.len() / 3
    } else {
        0
    };
    line.windows(title.len())
        .any(|w| w.iter().zip(&title).filter(|(a, b)| a != b).count() <= allowed)
}

/// The kind of identity document number the text rules find on the page, if any (My Number,
/// driving licence, residence card, passport), named as the documents print it.
fn id_number_shown(ocr: &OcrResult) -> Option<&'static str> {
    crate::pii::scan(ocr, &Policy::default())
        .iter()
        .find_map(|f| match f.category {
            Category::MyNumber => Some("個人番号"),
            Category::DriversLicense => Some("運転免許証"),
            Category::ResidenceCard => Some("在留カード"),
            Category::Passport => Some("PASSPORT"),
            _ => None,
        })
}

fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            '力' => 'カ',
            '一' => 'ー',
            '口' => 'ロ',
            '工' => 'エ',
            '夕' => 'タ',
            '卜' => 'ト',
            c => c,
        })
        .collect()
}

/// The holder's photo on ID cards: see the module documentation. Empty when no ID card title
/// was read.
pub fn card_photo_findings(image: &Image, ocr: &OcrResult) -> Vec<Finding> {
    let photo = |quad: Quad, score: f32, reason: String| Finding {
        category: Category::Face,
        tier: Tier::Must,
        text: String::new(),
        quad,
        score,
        reason,
    };
    // No title read (a blurred photo of a card): a document number read with its check digit
    // or label says the same.
    if let Some(title) = id_card_title(ocr).or_else(|| id_number_shown(ocr)) {
        return photo_blocks(image, &ocr.lines)
            .into_iter()
            .map(|(quad, score)| {
                photo(
                    quad,
                    score,
                    format!("the holder's photo (the page shows {title})"),
                )
            })
            .collect();
    }
    // Neither: a card-shaped outline whose text holds personal data (a name, an address, a
    // birth date) and a portrait block is taken as an ID card with its holder's photo.
    let mut out = Vec::new();
    let cards = find_cards(&image.rgba, image.width, image.height);
    for (k, card) in cards.iter().enumerate() {
        let lines: Vec<TextLine> = ocr
            .lines
            .iter()
            .filter(|l| smallest_around(&cards, quad_centre(&l.quad)) == Some(k))
            .cloned()
            .collect();
        let on_card = OcrResult {
            width: ocr.width,
            height: ocr.height,
            lines,
            timings: Default::default(),
        };
        let found = crate::pii::scan(&on_card, &Policy::default());
        let texts: Vec<&str> = on_card.lines.iter().map(|l| l.text.as_str()).collect();
        let personal = found.iter().any(|f| f.tier == Tier::Must);
        if !personal || !holds_one_person(&texts, &found.iter().collect::<Vec<_>>()) {
            continue;
        }
        out.extend(
            photo_blocks(image, &on_card.lines)
                .into_iter()
                .filter(|(q, _)| point_in_quad(quad_centre(q), &card.quad))
                .map(|(quad, score)| {
                    photo(
                        quad,
                        score * 0.8,
                        "the holder's photo (a card with personal data)".to_string(),
                    )
                }),
        );
    }
    out
}

/// Everything this module finds, under `policy`.
pub fn scan_pictures(
    image: &Image,
    ocr: &OcrResult,
    faces: &[Face],
    policy: &Policy,
) -> Vec<Finding> {
    let codes = code_findings(image);
    let mut out = face_findings(faces);
    // A QR code on a card is a square block without text too: it is not the holder's photo.
    out.extend(
        card_photo_findings(image, ocr)
            .into_iter()
            .filter(|p| !codes.iter().any(|c| overlap_share(&p.quad, &c.quad) > 0.5)),
    );
    out.extend(codes);
    out.extend(seal_findings(image));
    out.extend(signature_findings(image, ocr));
    out.retain(|f| policy.allows(f.category));
    out
}

/// QR codes and barcodes. A decoded QR code's content becomes the finding's text (shown to
/// the person reviewing, never sent anywhere).
pub fn code_findings(image: &Image) -> Vec<Finding> {
    find_codes(&image.rgba, image.width, image.height)
        .into_iter()
        .map(|c| {
            let reason = match (&c.kind, &c.text) {
                (CodeKind::Qr, Some(_)) => "QR code".to_string(),
                (CodeKind::Qr, None) => "QR code (could not be decoded)".to_string(),
                (CodeKind::Barcode, _) => "barcode".to_string(),
            };
            Finding {
                category: Category::Code,
                tier: Tier::Must,
                text: c.text.unwrap_or_default(),
                quad: c.quad,
                score: 0.9,
                reason,
            }
        })
        .collect()
}

/// Red seal impressions (印影).
pub fn seal_findings(image: &Image) -> Vec<Finding> {
    find_seals(&image.rgba, image.width, image.height)
        .into_iter()
        .map(|s| Finding {
            category: Category::Seal,
            tier: Tier::May,
            text: String::new(),
            quad: s.quad,
            score: s.score,
            reason: "red seal impression (印影)".to_string(),
        })
        .collect()
}

/// Labels after which a signature is written.
const SIGNATURE_LABELS: &[&str] = &["署名", "自署", "サイン", "SIGNATURE", "SIGNED"];

/// Where a signature or a seal goes, next to its label: the space after 署名 / Signature on
/// the same row (up to the next text, at most 12 line heights), and the square around a
/// lone 印 / ㊞ (where a seal is pressed). Whatever is written or stamped there (a handwritten
/// name, a seal the colour detector misses) is masked with it. `may`: the label can also
/// stand on a blank form.
pub fn signature_findings(image: &Image, ocr: &OcrResult) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, line) in ocr.lines.iter().enumerate() {
        let folded = fold(&line.text);
        let label = folded.trim_end_matches([':', '：', '欄', ')', '）']);
        let [_, y0, x1, y1] = bounds(&line.quad);
        let h = (y1 - y0).max(4.0);
        if let Some(name) = SIGNATURE_LABELS.iter().find(|l| label.ends_with(*l)) {
            // The next text to the right on the same row bounds the space.
            let next = ocr
                .lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, l)| bounds(&l.quad))
                .filter(|b| b[0] > x1 && b[1] < y1 && b[3] > y0)
                .map(|b| b[0])
                .fold(f32::MAX, f32::min);
            let end = next.min(x1 + 12.0 * h).min(image.width as f32);
            if end - x1 >= 2.0 * h {
                let (top, bottom) = (
                    (y0 - 0.5 * h).max(0.0),
                    (y1 + 0.5 * h).min(image.height as f32),
                );
                out.push(Finding {
                    category: Category::Seal,
                    tier: Tier::May,
                    text: String::new(),
                    quad: [[x1, top], [end, top], [end, bottom], [x1, bottom]],
                    score: 0.5,
                    reason: format!("signature space after {name}"),
                });
            }
        }
        // A lone 印 (or ㊞) marks where a seal is pressed: its last character.
        if let Some(c) = line
            .chars
            .last()
            .filter(|c| matches!(c.text.as_str(), "印" | "㊞"))
        {
            let single = line.chars.len() == 1
                || line.chars[line.chars.len() - 2].text.trim().is_empty()
                || folded.ends_with("(印)")
                || label.len() < folded.len();
            if single || folded == "印" {
                let [cx0, cy0, cx1, cy1] = bounds(&c.quad);
                let (cx, cy) = ((cx0 + cx1) / 2.0, (cy0 + cy1) / 2.0);
                let r = 1.4 * h;
                out.push(Finding {
                    category: Category::Seal,
                    tier: Tier::May,
                    text: String::new(),
                    quad: [
                        [(cx - r).max(0.0), (cy - r).max(0.0)],
                        [(cx + r).min(image.width as f32), (cy - r).max(0.0)],
                        [
                            (cx + r).min(image.width as f32),
                            (cy + r).min(image.height as f32),
                        ],
                        [(cx - r).max(0.0), (cy + r).min(image.height as f32)],
                    ],
                    score: 0.5,
                    reason: "where a seal is pressed (印)".to_string(),
                });
            }
        }
    }
    out
}

/// How much of `a`'s bounding box lies in `b`'s.
fn overlap_share(a: &Quad, b: &Quad) -> f32 {
    let (a, b) = (bounds(a), bounds(b));
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    w * h / ((a[2] - a[0]) * (a[3] - a[1])).max(1.0)
}

/// Portrait blocks without text that differ from the background around the text: each cell is
/// compared with the background colour of the nearest text line (the median colour of its
/// box: text strokes are thin), cells under text are left out, and connected groups of
/// differing cells are kept when their box is photo-shaped (height ≥ 2.5 text lines, width
/// 0.55–1.15 of the height), mostly filled, and not a large part of the whole image.
fn photo_blocks(image: &Image, lines: &[TextLine]) -> Vec<(Quad, f32)> {
    if lines.is_empty() || image.width < 16 || image.height < 16 {
        return Vec::new();
    }
    let cells = Cells::of(&image.rgba, image.width, image.height, 400);
    let (w, h) = (cells.width, cells.height);
    // Background colour and size of every text line.
    let mut heights: Vec<f32> = Vec::new();
    let mut backgrounds: Vec<([f32; 2], [f32; 3])> = Vec::new();
    let mut text = vec![false; w * h];
    for line in lines {
        let [x0, y0, x1, y1] = bounds(&line.quad);
        heights.push(y1 - y0);
        let (cx0, cy0) = ((x0 / cells.size) as usize, (y0 / cells.size) as usize);
        let (cx1, cy1) = (
            ((x1 / cells.size).ceil() as usize).min(w),
            ((y1 / cells.size).ceil() as usize).min(h),
        );
        let mut colours: Vec<[f32; 3]> = Vec::new();
        for y in cy0.min(h)..cy1 {
            for x in cx0.min(w)..cx1 {
                text[y * w + x] = true;
            }
        }
        // The background: the cells just above and below the line's box (inside it, ink and
        // paper mix in every cell).
        for y in [cy0.checked_sub(1), (cy1 < h).then_some(cy1)]
            .into_iter()
            .flatten()
        {
            for x in cx0.min(w)..cx1 {
                colours.push(cells.rgb[y * w + x]);
            }
        }
        if colours.is_empty() {
            continue;
        }
        let mut median = [0f32; 3];
        for (c, m) in median.iter_mut().enumerate() {
            let mut v: Vec<f32> = colours.iter().map(|p| p[c]).collect();
            v.sort_by(f32::total_cmp);
            *m = v[v.len() / 2];
        }
        backgrounds.push(([(x0 + x1) / 2.0, (y0 + y1) / 2.0], median));
    }
    if backgrounds.is_empty() {
        return Vec::new();
    }
    heights.sort_by(f32::total_cmp);
    let line_height = heights[heights.len() / 2].max(4.0);
    // Cells that differ from the nearest line's background.
    let mut differs = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            if text[y * w + x] {
                continue;
            }
            let centre = [(x as f32 + 0.5) * cells.size, (y as f32 + 0.5) * cells.size];
            let (_, bg) = backgrounds
                .iter()
                .min_by(|a, b| {
                    let d = |p: &[f32; 2]| (p[0] - centre[0]).powi(2) + (p[1] - centre[1]).powi(2);
                    d(&a.0).total_cmp(&d(&b.0))
                })
                .unwrap();
            let p = cells.rgb[y * w + x];
            let distance: f32 = (0..3).map(|c| (p[c] - bg[c]).abs()).sum();
            differs[y * w + x] = distance > 60.0;
        }
    }
    // Connected groups of differing cells (4-neighbours), as boxes with their cell counts.
    let mut groups: Vec<Group> = crate::geometry::blobs(&differs, w, h, false)
        .into_iter()
        .map(|b| Group {
            x0: b.x0,
            y0: b.y0,
            x1: b.x1 + 1,
            y1: b.y1 + 1,
            cells: b.cells,
        })
        .collect();
    // The page around the cards (touching the image's edge) is not a photo; the parts of one
    // photo (background, face, clothes) may be apart where a part is close to the card's
    // colour: groups whose boxes touch (within 2 cells) are taken together.
    let image_area = (w * h) as f32;
    // Outlines (a card's edge and shadow) are rings, mostly empty: they are never a photo
    // and never join one.
    groups.retain(|g| {
        let edge = g.x0 == 0 || g.y0 == 0 || g.x1 == w || g.y1 == h;
        !edge && (g.width() * g.height()) as f32 / image_area < 0.25 && g.fill() >= 0.4
    });
    loop {
        let mut merged = false;
        'outer: for a in 0..groups.len() {
            for b in a + 1..groups.len() {
                let mut both = groups[a];
                both.absorb(&groups[b]);
                if groups[a].near(&groups[b], 2) && both.fill() >= 0.5 {
                    let g = groups.swap_remove(b);
                    groups[a].absorb(&g);
                    merged = true;
                    break 'outer;
                }
            }
        }
        if !merged {
            break;
        }
    }
    let mut out = Vec::new();
    for g in groups {
        let (bw, bh) = (
            g.width() as f32 * cells.size,
            g.height() as f32 * cells.size,
        );
        let fill = g.fill();
        let aspect = bw / bh.max(1.0);
        let share = (g.width() * g.height()) as f32 / image_area;
        if bh >= 2.5 * line_height && (0.55..=1.15).contains(&aspect) && fill >= 0.6 && share < 0.25
        {
            let (px0, py0) = (g.x0 as f32 * cells.size, g.y0 as f32 * cells.size);
            let (px1, py1) = (
                (g.x1 as f32 * cells.size).min(image.width as f32),
                (g.y1 as f32 * cells.size).min(image.height as f32),
            );
            out.push((
                [[px0, py0], [px1, py0], [px1, py1], [px0, py1]],
                (0.5 + fill / 2.0).min(1.0),
            ));
        }
    }
    out
}

/// A box of cells and how many differing cells it holds.
#[derive(Clone, Copy, Debug)]
struct Group {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    cells: usize,
}

impl Group {
    fn width(&self) -> usize {
        self.x1 - self.x0
    }

    fn height(&self) -> usize {
        self.y1 - self.y0
    }

    /// The share of the box's cells that differ.
    fn fill(&self) -> f32 {
        self.cells as f32 / (self.width() * self.height()).max(1) as f32
    }

    /// Whether the boxes overlap or lie within `gap` cells of each other.
    fn near(&self, other: &Group, gap: usize) -> bool {
        self.x0 <= other.x1 + gap
            && other.x0 <= self.x1 + gap
            && self.y0 <= other.y1 + gap
            && other.y0 <= self.y1 + gap
    }

    fn absorb(&mut self, other: &Group) {
        self.x0 = self.x0.min(other.x0);
        self.y0 = self.y0.min(other.y0);
        self.x1 = self.x1.max(other.x1);
        self.y1 = self.y1.max(other.y1);
        self.cells += other.cells;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::ocr::OcrChar;

    fn line(text: &str, x0: f32, y0: f32, x1: f32, y1: f32) -> TextLine {
        let quad = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
        TextLine {
            text: text.into(),
            confidence: 0.99,
            quad,
            chars: vec![OcrChar {
                text: text.into(),
                quad,
                confidence: 0.99,
            }],
            detected: None,
        }
    }

    /// A light card on a grey page: text lines drawn as dark strokes, a portrait block of
    /// another colour at the right, and a wide coloured banner (not photo-shaped).
    fn card() -> (Image, Vec<TextLine>) {
        let (w, h) = (800u32, 500u32);
        let mut rgba = vec![0u8; (w * h * 4) as usize];
        let mut paint = |x0: u32, y0: u32, x1: u32, y1: u32, c: [u8; 3]| {
            for y in y0..y1 {
                for x in x0..x1 {
                    let i = ((y * w + x) * 4) as usize;
                    rgba[i..i + 4].copy_from_slice(&[c[0], c[1], c[2], 255]);
                }
            }
        };
        paint(0, 0, w, h, [200, 202, 208]);
        paint(40, 40, 760, 460, [244, 246, 250]);
        // Photo: blue-grey background with a skin-coloured oval-ish block.
        paint(560, 110, 700, 290, [195, 205, 215]);
        paint(600, 140, 660, 210, [225, 185, 150]);
        // Banner: wide and short.
        paint(60, 400, 740, 440, [60, 90, 160]);
        let mut lines = Vec::new();
        for (i, t) in ["個人番号カード", "氏名 中村 凛", "住所 宮城県気仙沼市"]
            .iter()
            .enumerate()
        {
            let y = 60 + i as u32 * 40;
            // Thin strokes: the box stays mostly card-coloured.
            for k in 0..8 {
                paint(70 + k * 30, y + 4, 72 + k * 30, y + 20, [30, 30, 30]);
            }
            lines.push(line(t, 66.0, y as f32, 330.0, y as f32 + 24.0));
        }
        (
            Image {
                width: w,
                height: h,
                rgba,
            },
            lines,
        )
    }

    #[test]
    fn the_holders_photo_is_found_on_a_card() {
        let (image, lines) = card();
        let ocr = ocr_of(image.width, image.height, lines);
        let found = card_photo_findings(&image, &ocr);
        assert_eq!(found.len(), 1, "{found:?}");
        let [x0, y0, x1, y1] = bounds(&found[0].quad);
        // Within a cell (2 px) of the painted photo.
        assert!(
            (x0 - 560.0).abs() <= 4.0 && (x1 - 700.0).abs() <= 4.0,
            "{x0} {x1}"
        );
        assert!(
            (y0 - 110.0).abs() <= 4.0 && (y1 - 290.0).abs() <= 4.0,
            "{y0} {y1}"
        );
        assert_eq!(found[0].category, Category::Face);
        assert!(found[0].reason.contains("個人番号カード"));
    }

    #[test]
    fn a_my_number_in_the_text_stands_for_an_unread_title() {
        let (image, mut lines) = card();
        lines[0] = spread("個人番号 1383 1190 4169", 66.0, 60.0, 330.0, 84.0);
        let ocr = ocr_of(image.width, image.height, lines);
        let found = card_photo_findings(&image, &ocr);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].reason.contains("個人番号"));
    }

    #[test]
    fn without_a_card_title_no_photo_is_claimed_unless_the_card_holds_personal_data() {
        let (image, lines) = card();
        let page = |texts: [&str; 3]| OcrResult {
            width: image.width,
            height: image.height,
            lines: lines
                .iter()
                .zip(texts)
                .map(|(l, t)| line(t, l.quad[0][0], l.quad[0][1], l.quad[2][0], l.quad[2][1]))
                .collect(),
            timings: Default::default(),
        };
        // A member's leaflet: no title, no number, nothing personal on the card.
        let leaflet = page(["会員のご案内", "ポイントのお知らせ", "毎月20日は5倍"]);
        assert!(card_photo_findings(&image, &leaflet).is_empty());
        // The title unread, but a name and an address on the card's outline: its photo counts.
        let unread = page([
            "会員のご案内",
            "氏名 中村 凛",
            "住所 宮城県気仙沼市田中前2丁目5番18号",
        ]);
        let photos = card_photo_findings(&image, &unread);
        assert_eq!(photos.len(), 1, "{photos:?}");
        assert!(photos[0].reason.contains("a card with personal data"));
        let [x0, y0, x1, y1] = bounds(&photos[0].quad);
        assert!(
            x0 >= 550.0 && y0 >= 100.0 && x1 <= 710.0 && y1 <= 300.0,
            "{photos:?}"
        );
    }

    #[test]
    fn signature_spaces_and_seal_places_are_found_next_to_their_labels() {
        let image = Image {
            width: 1000,
            height: 400,
            rgba: vec![255; 1000 * 400 * 4],
        };
        let mut seal_line = line("氏名 山田太郎 印", 50.0, 200.0, 400.0, 230.0);
        // Characters: the last is 印 at 370–400.
        seal_line.chars = vec![
            OcrChar {
                text: "山".into(),
                quad: [
                    [200.0, 200.0],
                    [230.0, 200.0],
                    [230.0, 230.0],
                    [200.0, 230.0],
                ],
                confidence: 0.9,
            },
            OcrChar {
                text: " ".into(),
                quad: [
                    [230.0, 200.0],
                    [370.0, 200.0],
                    [370.0, 230.0],
                    [230.0, 230.0],
                ],
                confidence: 0.9,
            },
            OcrChar {
                text: "印".into(),
                quad: [
                    [370.0, 200.0],
                    [400.0, 200.0],
                    [400.0, 230.0],
                    [370.0, 230.0],
                ],
                confidence: 0.9,
            },
        ];
        let ocr = OcrResult {
            width: 1000,
            height: 400,
            lines: vec![
                line("署名：", 50.0, 50.0, 130.0, 80.0),
                line("日付", 400.0, 50.0, 460.0, 80.0),
                seal_line,
                line("印刷日 2026年", 50.0, 300.0, 300.0, 330.0),
            ],
            timings: Default::default(),
        };
        let found = signature_findings(&image, &ocr);
        assert_eq!(found.len(), 2, "{found:?}");
        // The space after 署名 ends where 日付 starts.
        let [x0, _, x1, _] = bounds(&found[0].quad);
        assert_eq!((x0, x1), (130.0, 400.0));
        assert!(found[0].reason.contains("署名"));
        // The square around 印 covers the character with room for a seal.
        let [x0, y0, x1, y1] = bounds(&found[1].quad);
        assert!(x0 < 370.0 && x1 > 400.0 && y0 < 200.0 && y1 > 230.0);
        assert!(found
            .iter()
            .all(|f| f.category == Category::Seal && f.tier == Tier::May));
    }

    #[test]
    fn identity_documents_are_named_from_titles_and_numbers() {
        let ocr = |texts: &[&str]| OcrResult {
            width: 100,
            height: 100,
            lines: texts
                .iter()
                .enumerate()
                .map(|(i, t)| line(t, 0.0, i as f32 * 10.0, 90.0, i as f32 * 10.0 + 8.0))
                .collect(),
            timings: Default::default(),
        };
        let blank = Image {
            width: 100,
            height: 100,
            rgba: vec![255; 100 * 100 * 4],
        };
        let kinds = |texts: &[&str]| -> Vec<(IdDocument, Option<Side>)> {
            id_documents(&blank, &ocr(texts))
                .into_iter()
                .map(|d| {
                    assert_eq!(d.quad, None, "no card outline on a blank page");
                    (d.kind, d.side)
                })
                .collect()
        };
        assert_eq!(
            kinds(&["健康保険被保険者証", "保険者番号 01130012"]),
            vec![(IdDocument::InsuranceCard, None)]
        );
        assert_eq!(
            kinds(&["Ｐａｓｓｐｏｒｔ", "運転免許証"]),
            vec![
                (IdDocument::DriversLicence, None),
                (IdDocument::Passport, None)
            ]
        );
        assert!(kinds(&["会議資料", "2026年11月"]).is_empty());
        // My Number card: the title and address are the front, the number the back.
        assert_eq!(
            kinds(&["個人番号カード", "住所 東京都世田谷区成城2丁目20番4号"]),
            vec![(IdDocument::MyNumberCard, Some(Side::Front))]
        );
        assert_eq!(
            kinds(&["個人番号カード", "個人番号", "1383 1190 4169"]),
            vec![
                (IdDocument::MyNumberCard, Some(Side::Front)),
                (IdDocument::MyNumberCard, Some(Side::Back))
            ]
        );
        // Without a card's outline or title, a list of valid My Numbers (an employee table)
        // is not a card.
        assert!(kinds(&["個人番号", "1383 1190 4169", "氏名 中村 凛"]).is_empty());
    }

    #[test]
    fn each_card_on_a_photo_is_named_with_its_side() {
        use crate::detection::test_images::iou;
        // The front and the back of a My Number card side by side on a dark table.
        let front: Quad = [[60.0, 80.0], [700.0, 80.0], [700.0, 484.0], [60.0, 484.0]];
        let back: Quad = [
            [820.0, 90.0],
            [1460.0, 90.0],
            [1460.0, 494.0],
            [820.0, 494.0],
        ];
        let (image, ocr) = cards_page(
            &[front, back],
            &[
                ("個人番号カード", 90.0, 110.0),
                ("氏名 中村 凛", 90.0, 160.0),
                ("住所 宮城県気仙沼市田中前2丁目5番18号", 90.0, 210.0),
                ("個人番号", 850.0, 120.0),
                ("1383 1190 4169", 850.0, 170.0),
                ("生年月日 1949年7月20日", 850.0, 230.0),
            ],
        );
        let docs = id_documents(&image, &ocr);
        assert_eq!(docs.len(), 2, "{docs:?}");
        for (side, truth) in [(Side::Front, front), (Side::Back, back)] {
            let d = docs
                .iter()
                .find(|d| d.side == Some(side))
                .expect("both sides");
            assert_eq!(d.kind, IdDocument::MyNumberCard);
            let quad = d.quad.expect("the card's outline");
            assert!(iou(&quad, &truth) > 0.9, "{side:?}: {quad:?}");
        }
        // A card-shaped panel listing two people's My Numbers is a list, not a card's back.
        let (image, ocr) = cards_page(
            &[back],
            &[
                ("個人番号", 850.0, 120.0),
                ("1383 1190 4169", 850.0, 170.0),
                ("7295 5781 1818", 850.0, 230.0),
            ],
        );
        assert!(id_documents(&image, &ocr).is_empty());
    }

    /// Light cards on a dark table with the given lines drawn as dark bars (and read as
    /// written).
    fn cards_page(cards: &[Quad], texts: &[(&str, f32, f32)]) -> (Image, OcrResult) {
        let mut c = crate::detection::test_images::Canvas::new(1600, 700, [70, 64, 58]);
        for card in cards {
            c.fill_quad(card, [236, 238, 240]);
        }
        let mut lines = Vec::new();
        for &(text, x, y) in texts {
            let w = text.chars().count() as f32 * 18.0;
            c.fill_rect(x as i32, y as i32 + 4, w as i32, 16, [40, 40, 40]);
            lines.push(spread(text, x, y, x + w, y + 24.0));
        }
        let image = Image {
            width: 1600,
            height: 700,
            rgba: c.rgba,
        };
        let ocr = ocr_of(1600, 700, lines);
        (image, ocr)
    }

    /// The OCR result of a page of `width × height` holding `lines`.
    fn ocr_of(width: u32, height: u32, lines: Vec<TextLine>) -> OcrResult {
        OcrResult {
            width,
            height,
            lines,
            timings: Default::default(),
        }
    }

    /// A line with one quad per character, spread evenly.
    fn spread(text: &str, x0: f32, y0: f32, x1: f32, y1: f32) -> TextLine {
        let n = text.chars().count() as f32;
        let w = (x1 - x0) / n;
        let mut l = line(text, x0, y0, x1, y1);
        l.chars = text
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let a = x0 + i as f32 * w;
                OcrChar {
                    text: c.to_string(),
                    quad: [[a, y0], [a + w, y0], [a + w, y1], [a, y1]],
                    confidence: 0.99,
                }
            })
            .collect();
        l
    }

    #[test]
    fn on_an_insurance_card_the_bare_label_bangou_takes_its_number() {
        let page = |title: &str| OcrResult {
            width: 1000,
            height: 400,
            lines: vec![
                spread(title, 50.0, 20.0, 400.0, 50.0),
                spread("記号 12345678", 50.0, 100.0, 300.0, 128.0),
                spread("番号 901", 420.0, 100.0, 540.0, 128.0),
                spread("保険者番号 01130012", 50.0, 200.0, 400.0, 228.0),
            ],
            timings: Default::default(),
        };
        let numbers = |title: &str| -> Vec<String> {
            crate::pii::scan(&page(title), &Policy::parse("insurance_copy").unwrap())
                .into_iter()
                .map(|f| f.text.replace(' ', ""))
                .collect()
        };
        let on_card = numbers("健康保険被保険者証");
        assert!(on_card.contains(&"901".to_string()), "{on_card:?}");
        assert!(
            on_card.iter().any(|t| t.contains("12345678")),
            "{on_card:?}"
        );
        assert!(on_card.contains(&"01130012".to_string()), "{on_card:?}");
        // Elsewhere 番号 is just a word.
        let elsewhere = numbers("会員登録のご案内");
        assert!(!elsewhere.contains(&"901".to_string()), "{elsewhere:?}");
    }

    #[test]
    fn titles_are_matched_folded() {
        let ocr = ocr_of(
            10,
            10,
            vec![line("Ｐａｓｓｐｏｒｔ  Japan", 0.0, 0.0, 5.0, 5.0)],
        );
        assert_eq!(id_card_title(&ocr), Some("PASSPORT"));
        let misread = |text: &str| ocr_of(10, 10, vec![line(text, 0.0, 0.0, 5.0, 5.0)]);
        // As read from photographed cards in ../shared/eval/dev.
        assert_eq!(
            id_card_title(&misread("国人番号力一ド")),
            Some("個人番号カード")
        );
        assert_eq!(
            id_card_title(&misread("制人番号力一下")),
            Some("個人番号カード")
        );
        // Too far off, or too short to guess at.
        assert_eq!(id_card_title(&misread("個人情報の取扱い")), None);
        assert_eq!(id_card_title(&misread("学生")), None);
        // English titles are taken as written: a login form's Password is no passport.
        assert_eq!(id_card_title(&misread("Password")), None);
        assert_eq!(id_card_title(&misread("PASSWORD:")), None);
    }
}
