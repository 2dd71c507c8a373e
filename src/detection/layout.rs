//! Where text sits on the page: segments (runs of characters with no wide gap), rows, and
//! tables (a header row and the cells under each header).
//!
//! All geometry here is measured in "page" coordinates: image coordinates turned by the median
//! angle of the text lines, so that a photographed page that is slightly rotated still has
//! level rows.

use super::ocr::{Quad, TextLine};

/// A run of characters of one line with no wide gap in it: a table cell, a label, a value.
#[derive(Clone, Debug)]
pub struct Segment {
    pub line: usize,
    /// First and last character (inclusive) in the line's `chars`.
    pub first: usize,
    pub last: usize,
    pub text: String,
    /// Extent in page coordinates.
    pub x0: f32,
    pub x1: f32,
    pub y0: f32,
    pub y1: f32,
}

impl Segment {
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }
    pub fn yc(&self) -> f32 {
        (self.y0 + self.y1) / 2.0
    }
    pub fn xc(&self) -> f32 {
        (self.x0 + self.x1) / 2.0
    }
}

/// Segments of all horizontal lines, grouped into rows.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// The page's rotation (radians) that was taken out.
    pub angle: f32,
    pub segments: Vec<Segment>,
    /// Rows top to bottom; each row's segments left to right.
    pub rows: Vec<Vec<usize>>,
    /// For each segment, its row.
    pub row_of: Vec<usize>,
    /// Median segment height.
    pub line_height: f32,
}

/// A point of the page's coordinates (see [`Layout`]) back in image pixels.
pub fn to_image(p: [f32; 2], angle: f32) -> [f32; 2] {
    rotate(p, -angle)
}

/// The page-coordinate extent `[x0, x1, y0, y1]` of characters `first..=last` of `line`.
pub fn chars_extent(line: &TextLine, first: usize, last: usize, angle: f32) -> [f32; 4] {
    extent(line.chars[first..=last].iter().map(|c| c.quad), angle)
}

fn rotate(p: [f32; 2], angle: f32) -> [f32; 2] {
    let (s, c) = angle.sin_cos();
    [p[0] * c + p[1] * s, -p[0] * s + p[1] * c]
}

fn direction(q: &Quad) -> [f32; 2] {
    [q[1][0] - q[0][0], q[1][1] - q[0][1]]
}

fn is_horizontal(q: &Quad) -> bool {
    let d = direction(q);
    d[0] > 0.0 && d[1].abs() < d[0]
}

/// Whether `q` lies level, read left to right or (a line the reader took for upside down)
/// right to left.
fn is_level(q: &Quad) -> bool {
    let d = direction(q);
    d[1].abs() < d[0].abs()
}

/// How many labels `classify` knows are read whole inside `text` (taken left to right, the
/// longest first, not overlapping; two characters or more each).
fn labels_inside<K>(text: &str, classify: &impl Fn(&str) -> Option<K>) -> usize {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (mut at, mut found) = (0, 0);
    while at < chars.len() {
        let longest = (2..=8.min(chars.len() - at))
            .rev()
            .find(|&n| classify(&chars[at..at + n].iter().collect::<String>()).is_some());
        match longest {
            Some(n) => {
                found += 1;
                at += n;
            }
            None => at += 1,
        }
    }
    found
}

/// Splits the characters `chars` (indices) into consecutive words that `word(first, last)`
/// knows, if they can all be: a header row read as one run (社員番号氏名).
fn word_break<K: Copy>(
    chars: &[usize],
    word: impl Fn(usize, usize) -> Option<K>,
) -> Option<Vec<(usize, usize, K)>> {
    let n = chars.len();
    if n < 2 || n > 40 {
        return None;
    }
    // best[i]: a split of the first i characters into the fewest words.
    let mut best: Vec<Option<Vec<(usize, usize, K)>>> = vec![None; n + 1];
    best[0] = Some(Vec::new());
    for i in 0..n {
        let Some(before) = best[i].clone() else {
            continue;
        };
        for j in i + 1..=n.min(i + 12) {
            if let Some(kind) = word(chars[i], chars[j - 1]) {
                let mut words = before.clone();
                words.push((chars[i], chars[j - 1], kind));
                if best[j].as_ref().is_none_or(|b| b.len() > words.len()) {
                    best[j] = Some(words);
                }
            }
        }
    }
    best[n].take().filter(|w| w.len() >= 2)
}

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn extent(quads: impl IntoIterator<Item = Quad>, angle: f32) -> [f32; 4] {
    let mut e = [f32::MAX, f32::MIN, f32::MAX, f32::MIN];
    for q in quads {
        for p in q {
            let r = rotate(p, angle);
            e[0] = e[0].min(r[0]);
            e[1] = e[1].max(r[0]);
            e[2] = e[2].min(r[1]);
            e[3] = e[3].max(r[1]);
        }
    }
    e
}

/// Splits each horizontal line into segments and groups them into rows.
pub fn layout(lines: &[TextLine]) -> Layout {
    let angle = median(
        lines
            .iter()
            .filter(|l| is_horizontal(&l.quad))
            .map(|l| {
                let d = direction(&l.quad);
                d[1].atan2(d[0])
            })
            .collect(),
    );
    let mut segments = Vec::new();
    // Lines read upside down are segments too: on a photographed sheet the reader takes some
    // short cells for upside down (さくら read as `9）`), and a cell is a cell whatever it says.
    for (li, line) in lines.iter().enumerate() {
        if !is_level(&line.quad) || line.chars.is_empty() {
            continue;
        }
        let e = extent([line.quad], angle);
        let height = e[3] - e[2];
        let centers: Vec<f32> = line
            .chars
            .iter()
            .map(|c| {
                rotate(
                    [
                        (c.quad[0][0] + c.quad[2][0]) / 2.0,
                        (c.quad[0][1] + c.quad[2][1]) / 2.0,
                    ],
                    angle,
                )[0]
            })
            .collect();
        let solid: Vec<usize> = (0..line.chars.len())
            .filter(|&i| !line.chars[i].text.trim().is_empty())
            .collect();
        // The typical advance between neighbouring characters, for judging gaps.
        let advance = median(
            solid
                .windows(2)
                .filter(|w| w[1] == w[0] + 1)
                .map(|w| centers[w[1]] - centers[w[0]])
                .collect(),
        );
        let advance = if advance > 0.0 {
            advance.min(height)
        } else {
            height * 0.8
        };
        let mut start: Option<usize> = None;
        let mut prev: Option<usize> = None;
        let push = |first: usize, last: usize, segments: &mut Vec<Segment>| {
            let e = extent(line.chars[first..=last].iter().map(|c| c.quad), angle);
            let text: String = line.chars[first..=last]
                .iter()
                .map(|c| c.text.as_str())
                .collect();
            segments.push(Segment {
                line: li,
                first,
                last,
                text,
                x0: e[0],
                x1: e[1],
                y0: e[2],
                y1: e[3],
            });
        };
        for &i in &solid {
            if let (Some(s), Some(p)) = (start, prev) {
                if centers[i] - centers[p] > 2.6 * advance {
                    push(s, p, &mut segments);
                    start = Some(i);
                }
            } else {
                start = Some(i);
            }
            prev = Some(i);
        }
        if let (Some(s), Some(p)) = (start, prev) {
            push(s, p, &mut segments);
        }
    }
    let line_height = median(segments.iter().map(Segment::height).collect());
    // Rows: each segment joins its nearest neighbour to the right at about the same height.
    // Linking neighbours (rather than cutting at fixed heights) follows a row that drifts
    // down across a photographed page.
    let n = segments.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut by_x: Vec<usize> = (0..n).collect();
    by_x.sort_by(|&a, &b| segments[a].x0.total_cmp(&segments[b].x0));
    for &a in &by_x {
        let sa = &segments[a];
        let h = sa.height().min(line_height.max(1.0) * 1.5);
        let next = by_x
            .iter()
            .copied()
            .filter(|&b| {
                b != a
                    && segments[b].x0 >= sa.x1 - 0.3 * h
                    && (segments[b].yc() - sa.yc()).abs()
                        < 0.45 * h.max(segments[b].height().min(h))
            })
            .min_by(|&b, &c| (segments[b].x0 - sa.x1).total_cmp(&(segments[c].x0 - sa.x1)));
        if let Some(b) = next {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            parent[ra] = rb;
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> =
        std::collections::BTreeMap::new();
    for i in 0..n {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut rows: Vec<Vec<usize>> = groups.into_values().collect();
    let mean_y =
        |row: &Vec<usize>| row.iter().map(|&i| segments[i].yc()).sum::<f32>() / row.len() as f32;
    rows.sort_by(|a, b| mean_y(a).total_cmp(&mean_y(b)));
    let mut row_of = vec![0; segments.len()];
    for (r, row) in rows.iter_mut().enumerate() {
        row.sort_by(|&a, &b| segments[a].x0.total_cmp(&segments[b].x0));
        for &i in row.iter() {
            row_of[i] = r;
        }
    }
    Layout {
        angle,
        segments,
        rows,
        row_of,
        line_height,
    }
}

/// Rows of text under a lone label that make it a column's header (see `Layout::lone_label`).
pub const LONE_LABEL_ROWS: usize = 3;

/// A table: a header row and, under it, the rows whose segments fall under its headers.
#[derive(Clone, Debug)]
pub struct Table<K> {
    pub header_row: usize,
    pub columns: Vec<Column<K>>,
    /// The cells: pieces of segments under a column.
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug)]
pub struct Column<K> {
    /// The header segment (several columns share it when labels were read as one line).
    pub header: usize,
    pub label: String,
    /// What the header says; `None` for a header that could not be read as a known label.
    pub kind: Option<K>,
    pub x0: f32,
    pub x1: f32,
}

/// Characters `first..=last` of segment `segment`'s line, in `column` of body row `row`.
#[derive(Clone, Debug)]
pub struct Cell {
    pub row: usize,
    pub column: usize,
    pub segment: usize,
    pub first: usize,
    pub last: usize,
}

impl Layout {
    /// Tables found by `classify`, which names the header labels (and says nothing of other
    /// text), and `near`, which names a label read with a slip (used only in a row that
    /// already has two exact labels). A header row has at least two exact labels, and labels
    /// make most of it; its other segments are columns with no kind.
    pub fn tables<K: Copy>(
        &self,
        lines: &[TextLine],
        classify: impl Fn(&str) -> Option<K>,
        near: impl Fn(&str) -> Option<K>,
    ) -> Vec<Table<K>> {
        let headers: Vec<Option<Vec<Column<K>>>> = self
            .rows
            .iter()
            .map(|row| self.header(row, lines, &classify, &near))
            .collect();
        let mut taken = vec![false; self.rows.len()];
        let mut tables = self.follow(lines, &headers, &classify, &mut taken);
        // Then the columns under a lone label, among the rows no table took.
        let lone: Vec<Option<Vec<Column<K>>>> = (0..self.rows.len())
            .map(|r| {
                (!taken[r])
                    .then(|| self.lone_label(r, &classify, &near))
                    .flatten()
            })
            .collect();
        tables.extend(self.follow(lines, &lone, &classify, &mut taken));
        tables.sort_by_key(|t| t.header_row);
        tables
    }

    /// The tables under `headers` (per row, the columns of a header found there), each
    /// followed down until the next header, a row that `taken` marks (another table's), or a
    /// wide gap; the rows each one takes are marked in `taken`.
    fn follow<K: Copy>(
        &self,
        lines: &[TextLine],
        headers: &[Option<Vec<Column<K>>>],
        classify: &impl Fn(&str) -> Option<K>,
        taken: &mut [bool],
    ) -> Vec<Table<K>> {
        let mut tables = Vec::new();
        let mut r = 0;
        while r < self.rows.len() {
            let Some(columns) = headers[r].clone() else {
                r += 1;
                continue;
            };
            let h = self.line_height.max(1.0);
            let mut cells = Vec::new();
            let mut last_y = self.rows[r]
                .iter()
                .map(|&s| self.segments[s].yc())
                .sum::<f32>()
                / self.rows[r].len() as f32;
            let mut pitches: Vec<f32> = Vec::new();
            let mut next = r + 1;
            while next < self.rows.len() && headers[next].is_none() && !taken[next] {
                let row = &self.rows[next];
                let y = row.iter().map(|&s| self.segments[s].yc()).sum::<f32>() / row.len() as f32;
                let pitch = if pitches.is_empty() {
                    2.5 * h
                } else {
                    median(pitches.clone())
                };
                if y - last_y > 3.5 * pitch.max(h) {
                    break;
                }
                // A row that starts with a label is a form's label and value, not a cell.
                if row
                    .first()
                    .is_some_and(|&s| classify(&self.segments[s].text).is_some())
                {
                    break;
                }
                let before = cells.len();
                // Under a lone label, only what lies under it (its neighbours' cells are
                // another column, whose header was not read).
                let reach = if columns.len() == 1 { 0.0 } else { 3.0 };
                for &s in row {
                    self.assign(s, lines, &columns, next, reach, &mut cells);
                }
                // In a row that is plainly part of the table (three cells or more), what lies
                // beyond the last header read (a column whose header was lost) goes under the
                // nearest one.
                if columns.len() > 1 && cells.len() - before >= 3 {
                    let placed: Vec<usize> = cells[before..].iter().map(|c| c.segment).collect();
                    for &s in row.iter().filter(|s| !placed.contains(s)) {
                        self.assign(s, lines, &columns, next, f32::INFINITY, &mut cells);
                    }
                }
                // A row with nothing under the headers (a side menu's item) is passed over.
                if cells.len() > before {
                    pitches.push(y - last_y);
                    last_y = y;
                }
                next += 1;
            }
            if !cells.is_empty() {
                taken[r..next].fill(true);
                tables.push(Table {
                    header_row: r,
                    columns,
                    cells,
                });
            }
            r = next.max(r + 1);
        }
        tables
    }

    /// A header of one column: a label, read whole or with a slip, in row `r`, which is not a
    /// header row (the other labels of the row were lost: a photographed grade sheet whose
    /// score columns the detector took for vertical text), with text under it in at least
    /// [`LONE_LABEL_ROWS`] of the next rows, each a line and a half or less below the last.
    fn lone_label<K: Copy>(
        &self,
        r: usize,
        classify: &impl Fn(&str) -> Option<K>,
        near: &impl Fn(&str) -> Option<K>,
    ) -> Option<Vec<Column<K>>> {
        let h = self.line_height.max(1.0);
        let tol = 0.3 * h;
        self.rows[r].iter().find_map(|&s| {
            let seg = &self.segments[s];
            let kind = classify(&seg.text).or_else(|| near(&seg.text))?;
            let aligned = |t: &Segment| t.x1.min(seg.x1 + tol) > t.x0.max(seg.x0 - tol);
            // A header heads its column: a cell in the middle of one read like a label (出点
            // for 得点, under another cell no wider than the column's cells) is not; a title
            // above the table is wider.
            let narrow = 2.5 * (seg.x1 - seg.x0).max(2.0 * h);
            let above = self.rows[..r].iter().flatten().map(|&t| &self.segments[t]);
            if above
                .filter(|t| aligned(t) && t.x1 - t.x0 <= narrow)
                .any(|t| t.y1 <= seg.y0 + 0.3 * h && seg.y0 - t.y1 < 1.5 * h)
            {
                return None;
            }
            let mut last = seg.y1;
            let mut under = 0;
            for row in &self.rows[r + 1..] {
                let Some(t) = row.iter().map(|&t| &self.segments[t]).find(|t| aligned(t)) else {
                    continue;
                };
                // Labels under it (a card's back: 個人番号, then 氏名…, 生年月日…) make a form.
                let starts_with_label = (1..=6).any(|n| {
                    let prefix: String = t.text.chars().take(n).collect();
                    prefix.chars().count() == n && classify(&prefix).is_some()
                });
                if t.y0 - last > 1.5 * h || starts_with_label {
                    break;
                }
                under += 1;
                last = t.y1;
            }
            (under >= LONE_LABEL_ROWS).then(|| {
                vec![Column {
                    header: s,
                    label: seg.text.clone(),
                    kind: Some(kind),
                    x0: seg.x0,
                    x1: seg.x1,
                }]
            })
        })
    }

    fn header<K: Copy>(
        &self,
        row: &[usize],
        lines: &[TextLine],
        classify: &impl Fn(&str) -> Option<K>,
        near: &impl Fn(&str) -> Option<K>,
    ) -> Option<Vec<Column<K>>> {
        let mut columns: Vec<Column<K>> = Vec::new();
        let mut unknown: Vec<usize> = Vec::new();
        let text_of = |line: &TextLine, a: usize, b: usize| -> String {
            line.chars[a..=b].iter().map(|c| c.text.as_str()).collect()
        };
        // A column headed by the whole of segment `s`.
        let whole = |s: usize, kind: Option<K>| {
            let seg = &self.segments[s];
            Column {
                header: s,
                label: seg.text.clone(),
                kind,
                x0: seg.x0,
                x1: seg.x1,
            }
        };
        let column = |s: usize, line: &TextLine, a: usize, b: usize, kind: Option<K>| {
            let e = extent(line.chars[a..=b].iter().map(|c| c.quad), self.angle);
            Column {
                header: s,
                label: text_of(line, a, b),
                kind,
                x0: e[0],
                x1: e[1],
            }
        };
        for &s in row {
            let seg = &self.segments[s];
            if let Some(kind) = classify(&seg.text) {
                columns.push(whole(s, Some(kind)));
                continue;
            }
            // A header row read as one line: its labels split by spaces, or run together.
            let line = &lines[seg.line];
            let solid: Vec<usize> = (seg.first..=seg.last)
                .filter(|&i| !line.chars[i].text.trim().is_empty())
                .collect();
            let mut parts = Vec::new();
            let mut start = None;
            for i in seg.first..=seg.last + 1 {
                let blank = i > seg.last || line.chars[i].text.trim().is_empty();
                match (blank, start) {
                    (false, None) => start = Some(i),
                    (true, Some(a)) => {
                        parts.push((a, i - 1));
                        start = None;
                    }
                    _ => {}
                }
            }
            let kinds: Vec<Option<K>> = parts
                .iter()
                .map(|&(a, b)| classify(&text_of(line, a, b)))
                .collect();
            if parts.len() >= 2 && kinds.iter().all(Option::is_some) {
                for (&(a, b), kind) in parts.iter().zip(kinds) {
                    columns.push(column(s, line, a, b, kind));
                }
            } else if let Some(words) = word_break(&solid, |a, b| classify(&text_of(line, a, b))) {
                for (a, b, kind) in words {
                    columns.push(column(s, line, a, b, Some(kind)));
                }
            } else if labels_inside(&seg.text, classify) >= 2 {
                // Labels run together with slips between them (院路教学英語環料社会欠課時数 for
                // 国語数学英語理科社会欠課時数): two or more read whole inside make it part of a
                // header, a column whose kind is not known.
                columns.push(whole(s, None));
            } else {
                unknown.push(s);
            }
        }
        let exact = columns.len();
        // Headers read with a slip join the known ones; the rest count as columns between
        // known ones, or beside them within one and a half times the usual gap between known
        // columns (a side menu's item in the same row is further off).
        let guesses: Vec<(usize, Option<K>)> = unknown
            .iter()
            .map(|&s| (s, near(&self.segments[s].text)))
            .collect();
        let near_count = guesses.iter().filter(|(_, k)| k.is_some()).count();
        // Two exact labels make a header row; in a photographed sheet, where every header may
        // come out with a slip (氏者, 批会), two labels read with a slip in a row of four
        // segments or more do too.
        if exact < 2 && !(exact + near_count >= 2 && row.len() >= 4) {
            return None;
        }
        for &(s, kind) in guesses.iter().filter(|(_, k)| k.is_some()) {
            columns.push(whole(s, kind));
        }
        columns.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        let gaps: Vec<f32> = columns
            .windows(2)
            .map(|w| (w[1].x0 - w[0].x1).max(0.0))
            .collect();
        let gap = 1.5 * median(gaps).max(self.line_height);
        let (left, right) = (
            columns[0].x0,
            columns.iter().map(|c| c.x1).fold(f32::MIN, f32::max),
        );
        for &(s, _) in guesses.iter().filter(|(_, k)| k.is_none()) {
            let seg = &self.segments[s];
            if seg.x1 >= left - gap && seg.x0 <= right + gap {
                columns.push(whole(s, None));
            }
        }
        let counted = exact + unknown.len();
        ((exact + near_count) * 10 >= counted * 4).then(|| {
            columns.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            columns
        })
    }

    /// Puts segment `s` (or its pieces) under the columns it falls under.
    /// `reach`: how far (in line heights) from every header a segment may lie and still be
    /// put under the nearest one.
    fn assign<K>(
        &self,
        s: usize,
        lines: &[TextLine],
        columns: &[Column<K>],
        row: usize,
        reach: f32,
        cells: &mut Vec<Cell>,
    ) {
        let seg = &self.segments[s];
        let h = self.line_height.max(1.0);
        let tol = 0.3 * h;
        let overlap =
            |c: &Column<K>, x0: f32, x1: f32| (x1.min(c.x1 + tol) - x0.max(c.x0 - tol)).max(0.0);
        let line = &lines[seg.line];
        // Columns the segment covers half of, or that hold the middle of one of its characters
        // (消化器内科林: a department run into the short name beside it).
        let centres: Vec<f32> = (seg.first..=seg.last)
            .filter(|&i| !line.chars[i].text.trim().is_empty())
            .map(|i| {
                let e = extent([line.chars[i].quad], self.angle);
                (e[0] + e[1]) / 2.0
            })
            .collect();
        let spanned = columns
            .iter()
            .filter(|c| {
                overlap(c, seg.x0, seg.x1) >= 0.5 * (c.x1 - c.x0)
                    || centres.iter().any(|&x| c.x0 <= x && x <= c.x1)
            })
            .count();
        let nearest = |x0: f32, x1: f32| -> Option<usize> {
            let mut best: Option<(usize, f32, f32)> = None; // (column, overlap, distance)
            for (i, c) in columns.iter().enumerate() {
                let o = overlap(c, x0, x1);
                let d = if o > 0.0 {
                    0.0
                } else {
                    (c.x0 - x1).max(x0 - c.x1)
                };
                let better = match best {
                    None => true,
                    Some((_, bo, bd)) => o > bo || (o == bo && d < bd),
                };
                if better {
                    best = Some((i, o, d));
                }
            }
            // Far from every header: not part of this table (a side menu, a caption).
            best.filter(|&(_, o, d)| o > 0.0 || d < reach * h)
                .map(|(i, _, _)| i)
        };
        if spanned <= 1 {
            if let Some(column) = nearest(seg.x0, seg.x1) {
                cells.push(Cell {
                    row,
                    column,
                    segment: s,
                    first: seg.first,
                    last: seg.last,
                });
            }
            return;
        }
        // Cells run together into one segment: share its characters out.
        let mut current: Option<(usize, usize, usize)> = None; // (column, first, last)
        for i in seg.first..=seg.last {
            if line.chars[i].text.trim().is_empty() {
                continue;
            }
            let e = extent([line.chars[i].quad], self.angle);
            let Some(column) = nearest(e[0], e[1]) else {
                continue;
            };
            match current {
                Some((c, a, _)) if c == column => current = Some((c, a, i)),
                _ => {
                    if let Some((c, a, b)) = current {
                        cells.push(Cell {
                            row,
                            column: c,
                            segment: s,
                            first: a,
                            last: b,
                        });
                    }
                    current = Some((column, i, i));
                }
            }
        }
        if let Some((c, a, b)) = current {
            cells.push(Cell {
                row,
                column: c,
                segment: s,
                first: a,
                last: b,
            });
        }
    }

    /// The segments right of `s` in its row, nearest first.
    pub fn right_of(&self, s: usize) -> Vec<usize> {
        let row = &self.rows[self.row_of[s]];
        let x = self.segments[s].x1;
        let mut v: Vec<usize> = row
            .iter()
            .copied()
            .filter(|&t| t != s && self.segments[t].x0 >= x - 0.2 * self.line_height)
            .collect();
        v.sort_by(|&a, &b| self.segments[a].x0.total_cmp(&self.segments[b].x0));
        v
    }

    /// The nearest segment under `s` that starts near its left edge or overlaps it, within a
    /// line and a half.
    pub fn below(&self, s: usize) -> Option<usize> {
        let seg = &self.segments[s];
        let h = seg.height().max(1.0);
        self.segments
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                let gap = t.y0 - seg.y1;
                // Clearly lower: centre 0.6 h down, or (tight line spacing, where the reader's
                // boxes overlap) centre 0.35 h down and bottom a quarter of h lower.
                (t.yc() > seg.yc() + 0.6 * h
                    || (t.yc() > seg.yc() + 0.35 * h && t.y1 > seg.y1 + 0.25 * h))
                    && gap < 1.5 * h
                    && ((t.x0 - seg.x0).abs() < 1.5 * h
                        || (t.x1.min(seg.x1) - t.x0.max(seg.x0)) > 0.0)
            })
            .min_by(|a, b| a.1.y0.total_cmp(&b.1.y0))
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::ocr::OcrChar;

    /// A line of `text` from `x` on at row `y`, 12 px per character, 14 px high.
    fn cell(text: &str, x: f32, y: f32) -> TextLine {
        let chars: Vec<OcrChar> = text
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let a = x + 12.0 * i as f32;
                OcrChar {
                    text: c.to_string(),
                    quad: [[a, y], [a + 12.0, y], [a + 12.0, y + 14.0], [a, y + 14.0]],
                    confidence: 0.9,
                }
            })
            .collect();
        let x1 = x + 12.0 * chars.len() as f32;
        TextLine {
            text: text.to_string(),
            confidence: 0.9,
            quad: [[x, y], [x1, y], [x1, y + 14.0], [x, y + 14.0]],
            chars,
            detected: None,
        }
    }

    /// A table: the header row given, then three rows of a number, a name and two scores.
    fn table(header: [&str; 4]) -> Vec<TextLine> {
        let xs = [10.0, 100.0, 250.0, 350.0];
        let mut lines: Vec<TextLine> = header
            .iter()
            .zip(xs)
            .map(|(h, x)| cell(h, x, 10.0))
            .collect();
        for (r, row) in [
            ["1", "山田太郎", "80", "75"],
            ["2", "佐藤花子", "91", "66"],
            ["3", "鈴木一郎", "70", "88"],
        ]
        .iter()
        .enumerate()
        {
            let y = 40.0 + 30.0 * r as f32;
            lines.extend(row.iter().zip(xs).map(|(t, x)| cell(t, x, y)));
        }
        lines
    }

    fn label(text: &str) -> Option<&'static str> {
        ["番号", "氏名", "国語", "数学", "診療科", "主治医"]
            .into_iter()
            .find(|l| *l == text)
    }

    fn near(text: &str) -> Option<&'static str> {
        // One character right of two.
        ["番号", "氏名", "国語", "数学"].into_iter().find(|l| {
            l.chars().count() == text.chars().count()
                && l.chars().zip(text.chars()).filter(|(a, b)| a != b).count() <= 1
        })
    }

    #[test]
    fn a_header_row_read_with_slips_still_heads_its_table() {
        for header in [
            ["番号", "氏名", "国語", "数学"],
            // Every label misread by one character, as on a blurred photo.
            ["番者", "氏者", "国話", "数字"],
        ] {
            let lines = table(header);
            let tables = layout(&lines).tables(&lines, label, near);
            assert_eq!(tables.len(), 1, "{header:?}");
            let names = tables[0]
                .cells
                .iter()
                .filter(|c| tables[0].columns[c.column].kind == Some("氏名"))
                .count();
            assert_eq!(names, 3, "{header:?}");
        }
        // One label read with a slip and nothing else known is no header row: the label heads
        // its own column only (see the next test).
        let lines = table(["1234", "氏者", "xyz", "abc"]);
        let tables = layout(&lines).tables(&lines, label, near);
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].columns.len(), 1);
        assert_eq!(tables[0].cells.len(), 3);
    }

    /// The text of each cell of `table`.
    fn cell_texts(lines: &[TextLine], table: &Table<&str>) -> Vec<String> {
        let l = layout(lines);
        table
            .cells
            .iter()
            .map(|c| {
                let line = &lines[l.segments[c.segment].line];
                line.chars[c.first..=c.last]
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_cell_run_into_the_next_one_is_shared_out() {
        // An inpatient list: the department 消化器内科 read together with the doctor 林 beside
        // it; 林 covers less than half of the 主治医 header's width but lies under it.
        let lines = vec![
            cell("番号", 10.0, 10.0),
            cell("診療科", 60.0, 10.0),
            cell("主治医", 120.0, 10.0),
            cell("1", 10.0, 40.0),
            cell("消化器内科林", 60.0, 40.0),
        ];
        let tables = layout(&lines).tables(&lines, label, near);
        assert_eq!(tables.len(), 1);
        let doctor: Vec<String> = cell_texts(&lines, &tables[0])
            .into_iter()
            .zip(&tables[0].cells)
            .filter(|(_, c)| tables[0].columns[c.column].kind == Some("主治医"))
            .map(|(t, _)| t)
            .collect();
        assert_eq!(doctor.len(), 1);
        assert!(doctor[0].ends_with('林'), "{doctor:?}");
    }

    #[test]
    fn a_label_alone_over_a_column_heads_that_column() {
        // A photographed grade sheet: the detector took the score columns for vertical text,
        // so the header row holds 氏名 and a misread 番号 only. The names under 氏名 are its
        // cells, the numbers and scores beside them are not.
        let mut lines = vec![
            cell("令和8年度 成績一覧表", 10.0, -20.0),
            cell("各堡", 10.0, 10.0),
            cell("氏名", 110.0, 10.0),
        ];
        for (r, row) in [
            ["1", "山田太郎", "80"],
            ["2", "佐藤花子", "91"],
            ["3", "鈴木一郎", "70"],
            ["4", "高橋", "66"],
        ]
        .iter()
        .enumerate()
        {
            let y = 32.0 + 22.0 * r as f32;
            lines.extend(
                row.iter()
                    .zip([10.0, 100.0, 250.0])
                    .map(|(t, x)| cell(t, x, y)),
            );
        }
        let tables = layout(&lines).tables(&lines, label, near);
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].columns.len(), 1);
        assert_eq!(
            cell_texts(&lines, &tables[0]),
            ["山田太郎", "佐藤花子", "鈴木一郎", "高橋"]
        );
        // With two rows under it, it is a label and its value, not a column.
        lines.retain(|l| l.quad[0][1] < 60.0);
        assert!(layout(&lines).tables(&lines, label, near).is_empty());
    }

    #[test]
    fn a_label_over_labelled_values_or_inside_a_column_heads_nothing() {
        // A card's back: 番号, the number, then rows that start with labels.
        let lines = vec![
            cell("番号", 10.0, 10.0),
            cell("607652228757", 10.0, 32.0),
            cell("氏名山田太郎", 10.0, 54.0),
            cell("氏名山田花子", 10.0, 76.0),
            cell("数学1951年", 10.0, 98.0),
        ];
        assert!(layout(&lines).tables(&lines, label, near).is_empty());
        // A name read like a label (氏者) in the middle of a column of names.
        let lines: Vec<TextLine> = ["山田太郎", "氏者", "佐藤花子", "鈴木一郎", "高橋一郎"]
            .iter()
            .enumerate()
            .map(|(r, t)| cell(t, 10.0, 10.0 + 22.0 * r as f32))
            .collect();
        assert!(layout(&lines).tables(&lines, label, near).is_empty());
    }

    #[test]
    fn labels_run_together_with_slips_still_make_a_header() {
        // 番号 lost and the score labels read as one run with slips between them: 氏名 and
        // the run (国語 and 数学 read whole inside it) head the table.
        let mut lines = table(["各堡", "氏名", "院国語数学", "x"]);
        lines.retain(|l| l.text != "x");
        let tables = layout(&lines).tables(&lines, label, near);
        assert_eq!(tables.len(), 1);
        let names = tables[0]
            .cells
            .iter()
            .filter(|c| tables[0].columns[c.column].kind == Some("氏名"))
            .count();
        assert_eq!(names, 3);
        assert_eq!(labels_inside("院路国語英語x数学", &label), 2);
        assert_eq!(labels_inside("山田太郎", &label), 0);
    }

    #[test]
    fn a_cell_read_upside_down_is_a_cell_of_its_column() {
        let mut lines = table(["番号", "氏名", "国語", "数学"]);
        // The second row's name read as if upside down: its quad and characters run right to
        // left.
        let name = lines
            .iter_mut()
            .find(|l| l.text == "佐藤花子")
            .expect("the name");
        name.text = "9）".into();
        name.chars.truncate(2);
        for c in &mut name.chars {
            c.quad = [c.quad[2], c.quad[3], c.quad[0], c.quad[1]];
        }
        name.quad = [name.quad[2], name.quad[3], name.quad[0], name.quad[1]];
        let tables = layout(&lines).tables(&lines, label, near);
        assert_eq!(tables.len(), 1);
        let names: Vec<&str> = tables[0]
            .cells
            .iter()
            .filter(|c| tables[0].columns[c.column].kind == Some("氏名"))
            .map(|c| lines[layout(&lines).segments[c.segment].line].text.as_str())
            .collect();
        assert_eq!(names, ["山田太郎", "9）", "鈴木一郎"]);
    }
}
