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
    let angle = median(lines.iter().filter(|l| is_horizontal(&l.quad)).map(|l| { let d = direction(&l.quad); d[1].atan2(d[0]) }).collect());
    let mut segments = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        if !is_horizontal(&line.quad) || line.chars.is_empty() {
            continue;
        }
        let e = extent([line.quad], angle);
        let height = e[3] - e[2];
        let centers: Vec<f32> = line.chars.iter().map(|c| rotate([(c.quad[0][0] + c.quad[2][0]) / 2.0, (c.quad[0][1] + c.quad[2][1]) / 2.0], angle)[0]).collect();
        let solid: Vec<usize> = (0..line.chars.len()).filter(|&i| !line.chars[i].text.trim().is_empty()).collect();
        // The typical advance between neighbouring characters, for judging gaps.
        let advance = median(solid.windows(2).filter(|w| w[1] == w[0] + 1).map(|w| centers[w[1]] - centers[w[0]]).collect());
        let advance = if advance > 0.0 { advance.min(height) } else { height * 0.8 };
        let mut start: Option<usize> = None;
        let mut prev: Option<usize> = None;
        let push = |first: usize, last: usize, segments: &mut Vec<Segment>| {
            let e = extent(line.chars[first..=last].iter().map(|c| c.quad), angle);
            let text: String = line.chars[first..=last].iter().map(|c| c.text.as_str()).collect();
            segments.push(Segment { line: li, first, last, text, x0: e[0], x1: e[1], y0: e[2], y1: e[3] });
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
    // Rows: segments whose vertical centres are close.
    let mut order: Vec<usize> = (0..segments.len()).collect();
    order.sort_by(|&a, &b| segments[a].yc().total_cmp(&segments[b].yc()));
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut row_center = 0.0;
    for i in order {
        let yc = segments[i].yc();
        match rows.last_mut() {
            Some(row) if (yc - row_center).abs() < 0.45 * line_height.max(segments[i].height() * 0.8) => {
                row.push(i);
                row_center = row.iter().map(|&j| segments[j].yc()).sum::<f32>() / row.len() as f32;
            }
            _ => {
                rows.push(vec![i]);
                row_center = yc;
            }
        }
    }
    let mut row_of = vec![0; segments.len()];
    for (r, row) in rows.iter_mut().enumerate() {
        row.sort_by(|&a, &b| segments[a].x0.total_cmp(&segments[b].x0));
        for &i in row.iter() {
            row_of[i] = r;
        }
    }
    Layout { angle, segments, rows, row_of, line_height }
}

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
    /// The header segment (or, for a header split at spaces, its first segment).
    pub header: usize,
    pub label: String,
    pub kind: K,
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
    /// text). A header row has at least two labels, and labels make most of it.
    pub fn tables<K: Copy>(&self, lines: &[TextLine], classify: impl Fn(&str) -> Option<K>) -> Vec<Table<K>> {
        let mut tables = Vec::new();
        let mut headers: Vec<Option<Vec<Column<K>>>> = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            headers.push(self.header(row, lines, &classify));
        }
        let mut r = 0;
        while r < self.rows.len() {
            let Some(columns) = headers[r].clone() else {
                r += 1;
                continue;
            };
            let h = self.line_height.max(1.0);
            let mut cells = Vec::new();
            let mut last_y = self.rows[r].iter().map(|&s| self.segments[s].yc()).sum::<f32>() / self.rows[r].len() as f32;
            let mut pitches: Vec<f32> = Vec::new();
            let mut next = r + 1;
            while next < self.rows.len() && headers[next].is_none() {
                let row = &self.rows[next];
                let y = row.iter().map(|&s| self.segments[s].yc()).sum::<f32>() / row.len() as f32;
                let pitch = if pitches.is_empty() { 2.5 * h } else { median(pitches.clone()) };
                if y - last_y > 2.2 * pitch.max(h) {
                    break;
                }
                let before = cells.len();
                for &s in row {
                    self.assign(s, lines, &columns, next, &mut cells);
                }
                // A row with nothing under the headers (a side menu's item) is passed over.
                if cells.len() > before {
                    pitches.push(y - last_y);
                    last_y = y;
                }
                next += 1;
            }
            if !cells.is_empty() {
                tables.push(Table { header_row: r, columns, cells });
            }
            r = next.max(r + 1);
        }
        tables
    }

    fn header<K: Copy>(&self, row: &[usize], lines: &[TextLine], classify: &impl Fn(&str) -> Option<K>) -> Option<Vec<Column<K>>> {
        let mut columns = Vec::new();
        let mut others = 0;
        for &s in row {
            let seg = &self.segments[s];
            if let Some(kind) = classify(&seg.text) {
                columns.push(Column { header: s, label: seg.text.clone(), kind, x0: seg.x0, x1: seg.x1 });
                continue;
            }
            // A header row read as one line: its labels are split by spaces.
            let line = &lines[seg.line];
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
            let kinds: Vec<Option<K>> = parts.iter().map(|&(a, b)| classify(&line.chars[a..=b].iter().map(|c| c.text.as_str()).collect::<String>())).collect();
            if parts.len() >= 2 && kinds.iter().all(Option::is_some) {
                for (&(a, b), kind) in parts.iter().zip(kinds) {
                    let e = extent(line.chars[a..=b].iter().map(|c| c.quad), self.angle);
                    let label = line.chars[a..=b].iter().map(|c| c.text.as_str()).collect();
                    columns.push(Column { header: s, label, kind: kind.unwrap(), x0: e[0], x1: e[1] });
                }
            } else {
                others += 1;
            }
        }
        (columns.len() >= 2 && columns.len() * 10 >= (columns.len() + others) * 7).then(|| {
            columns.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            columns
        })
    }

    /// Puts segment `s` (or its pieces) under the columns it falls under.
    fn assign<K>(&self, s: usize, lines: &[TextLine], columns: &[Column<K>], row: usize, cells: &mut Vec<Cell>) {
        let seg = &self.segments[s];
        let h = self.line_height.max(1.0);
        let tol = 0.3 * h;
        let overlap = |c: &Column<K>, x0: f32, x1: f32| (x1.min(c.x1 + tol) - x0.max(c.x0 - tol)).max(0.0);
        let spanned = columns.iter().filter(|c| overlap(c, seg.x0, seg.x1) >= 0.5 * (c.x1 - c.x0)).count();
        let nearest = |x0: f32, x1: f32| -> Option<usize> {
            let mut best: Option<(usize, f32, f32)> = None; // (column, overlap, distance)
            for (i, c) in columns.iter().enumerate() {
                let o = overlap(c, x0, x1);
                let d = if o > 0.0 { 0.0 } else { (c.x0 - x1).max(x0 - c.x1) };
                let better = match best {
                    None => true,
                    Some((_, bo, bd)) => o > bo || (o == bo && d < bd),
                };
                if better {
                    best = Some((i, o, d));
                }
            }
            // Far from every header: not part of this table (a side menu, a caption).
            best.filter(|&(_, o, d)| o > 0.0 || d < 3.0 * h).map(|(i, _, _)| i)
        };
        if spanned <= 1 {
            if let Some(column) = nearest(seg.x0, seg.x1) {
                cells.push(Cell { row, column, segment: s, first: seg.first, last: seg.last });
            }
            return;
        }
        // Cells run together into one segment: share its characters out.
        let line = &lines[seg.line];
        let mut current: Option<(usize, usize, usize)> = None; // (column, first, last)
        for i in seg.first..=seg.last {
            if line.chars[i].text.trim().is_empty() {
                continue;
            }
            let e = extent([line.chars[i].quad], self.angle);
            let Some(column) = nearest(e[0], e[1]) else { continue };
            match current {
                Some((c, a, _)) if c == column => current = Some((c, a, i)),
                _ => {
                    if let Some((c, a, b)) = current {
                        cells.push(Cell { row, column: c, segment: s, first: a, last: b });
                    }
                    current = Some((column, i, i));
                }
            }
        }
        if let Some((c, a, b)) = current {
            cells.push(Cell { row, column: c, segment: s, first: a, last: b });
        }
    }

    /// The segments right of `s` in its row, nearest first.
    pub fn right_of(&self, s: usize) -> Vec<usize> {
        let row = &self.rows[self.row_of[s]];
        let x = self.segments[s].x1;
        let mut v: Vec<usize> = row.iter().copied().filter(|&t| t != s && self.segments[t].x0 >= x - 0.2 * self.line_height).collect();
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
                t.yc() > seg.yc() + 0.6 * h && gap < 1.5 * h && ((t.x0 - seg.x0).abs() < 1.5 * h || (t.x1.min(seg.x1) - t.x0.max(seg.x0)) > 0.0)
            })
            .min_by(|a, b| a.1.y0.total_cmp(&b.1.y0))
            .map(|(i, _)| i)
    }
}
