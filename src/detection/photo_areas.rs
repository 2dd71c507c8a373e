//! Where a screen could show a photograph: the face model reads only there.
//!
//! The face model's cost follows the area it reads: 0.4–0.5 s in the page for each new
//! 720p screen of the dev demo video, a table of text where no face can be, and a sixth of
//! that video's scan. A screen is drawn in flat colours: outside the text, a cell of
//! [`CELL`] × [`CELL`] pixels holds one or two colours (a background, a table's stripe, a
//! border line, an icon's fill) and the shades between them. A cell of a photograph holds
//! more: a face of 20 px puts skin, hair, eyes and what is behind it into one cell. So on a
//! screen, the face model reads windows around the cells with three colours or more (each at
//! least [`GROUP_SHARE`] of the cell, shades one level apart counted as one colour) or with
//! very many shades ([`MANY_SHADES`]), left out where the OCR read text with confidence; each
//! window is grown on every side by its own size (at least [`MIN_CONTEXT`]), so the smooth
//! parts of a large face (a cheek, a forehead) lie inside the window opened by its eyes,
//! brows and hairline.
//!
//! An image is a screen when at least [`SCREEN_FLAT`] of it is exactly one colour
//! ([`crate::detection::ocr::content::flat_share`]: dev screens 0.56–0.99); photographs,
//! camera frames and most scans are not, and are read as before (the box around their
//! content).

use crate::detection::ocr::content::flat_share;
use crate::detection::ocr::Quad;
use crate::imaging::Image;

/// Side of a cell, image pixels.
pub const CELL: u32 = 16;
/// Share of an image of exactly one colour from which it counts as a screen.
pub const SCREEN_FLAT: f32 = 0.5;
/// A colour (a bin of 16 levels per channel and the bins one level next to it) counts in a
/// cell when it covers this share of the cell's pixels outside text.
pub const GROUP_SHARE: f32 = 0.15;
/// A cell with this many distinct bins is a photograph's (noise, texture), whatever its groups.
pub const MANY_SHADES: usize = 24;
/// Cells with fewer pixels outside text than this are text.
const MIN_PIXELS: usize = 64;
/// Least growth of a window on each side, image pixels: room the model needs around a face.
pub const MIN_CONTEXT: u32 = 48;
/// Most growth of a window on each side, image pixels: a wide photograph does not open the
/// whole screen, and a face up to about this size whose only cells of three colours are its
/// eyes is still inside its window.
pub const MAX_CONTEXT: u32 = 192;

/// OCR lines read with at least this confidence are text, not photograph (a face gives no
/// sure reading).
pub const TEXT_SURE: f32 = 0.8;

/// The windows `[x0, y0, x1, y1]` (image pixels) of `image` that could show a photograph,
/// given the quads of the text read with confidence (`text`); `None` when `image` is not a
/// screen (read it whole). An empty list: a screen with no photograph on it.
pub fn windows(image: &Image, text: &[Quad]) -> Option<Vec<[u32; 4]>> {
    if image.width == 0 || image.height == 0 || flat_share(image) < SCREEN_FLAT {
        return None;
    }
    let cells = photo_cells(image, text);
    Some(grown_windows(&cells, image.width, image.height))
}

/// Which cells could show a photograph (row-major, `ceil(w/CELL) × ceil(h/CELL)`).
pub struct Cells {
    pub cols: usize,
    pub rows: usize,
    pub photo: Vec<bool>,
}

/// Marks the pixels of `image` under `text` (each quad grown by 2 px).
fn text_mask(width: u32, height: u32, text: &[Quad]) -> Vec<bool> {
    let (w, h) = (width as usize, height as usize);
    let mut mask = vec![false; w * h];
    for q in text {
        let grown = grow(q, 2.0);
        let top = grown.iter().map(|p| p[1]).fold(f32::INFINITY, f32::min);
        let bottom = grown.iter().map(|p| p[1]).fold(f32::NEG_INFINITY, f32::max);
        let (y0, y1) = (
            top.max(0.0) as usize,
            (bottom.ceil().max(0.0) as usize).min(h),
        );
        for y in y0..y1 {
            let Some((a, b)) = span_at(&grown, y as f32 + 0.5) else {
                continue;
            };
            let (x0, x1) = (a.max(0.0) as usize, (b.ceil().max(0.0) as usize).min(w));
            if x0 < x1 {
                mask[y * w + x0..y * w + x1].fill(true);
            }
        }
    }
    mask
}

/// `q` grown by `by` pixels away from its centre along both of its axes.
fn grow(q: &Quad, by: f32) -> Quad {
    let c = [
        q.iter().map(|p| p[0]).sum::<f32>() / 4.0,
        q.iter().map(|p| p[1]).sum::<f32>() / 4.0,
    ];
    q.map(|p| {
        let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
        [p[0] + by * dx.signum(), p[1] + by * dy.signum()]
    })
}

/// Where the row `y` crosses the convex quad `q`: `(x0, x1)`.
fn span_at(q: &Quad, y: f32) -> Option<(f32, f32)> {
    let mut span: Option<(f32, f32)> = None;
    for i in 0..4 {
        let (a, b) = (q[i], q[(i + 1) % 4]);
        if (a[1] <= y && y <= b[1]) || (b[1] <= y && y <= a[1]) {
            // A level edge at `y` is crossed along its whole length.
            let (x0, x1) = if (b[1] - a[1]).abs() < 1e-6 {
                (a[0].min(b[0]), a[0].max(b[0]))
            } else {
                let x = a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                (x, x)
            };
            let s = span.get_or_insert((x0, x1));
            s.0 = s.0.min(x0);
            s.1 = s.1.max(x1);
        }
    }
    span
}

/// The cells of `image` that could show a photograph: outside `text`, three colours or more.
pub fn photo_cells(image: &Image, text: &[Quad]) -> Cells {
    let (w, h) = (image.width as usize, image.height as usize);
    let c = CELL as usize;
    let (cols, rows) = (w.div_ceil(c), h.div_ceil(c));
    let mask = text_mask(image.width, image.height, text);
    let mut photo = vec![false; cols * rows];
    let mut bins: Vec<(u16, u16)> = Vec::with_capacity(MANY_SHADES);
    for r in 0..rows {
        for col in 0..cols {
            bins.clear();
            let mut n = 0usize;
            let mut many = false;
            'cell: for y in r * c..((r + 1) * c).min(h) {
                for x in col * c..((col + 1) * c).min(w) {
                    if mask[y * w + x] {
                        continue;
                    }
                    let p = &image.rgba[(y * w + x) * 4..][..3];
                    let key =
                        ((p[0] >> 4) as u16) << 8 | ((p[1] >> 4) as u16) << 4 | (p[2] >> 4) as u16;
                    n += 1;
                    if let Some(b) = bins.iter_mut().find(|b| b.0 == key) {
                        b.1 += 1;
                    } else if bins.len() + 1 >= MANY_SHADES {
                        many = true;
                        break 'cell;
                    } else {
                        bins.push((key, 1));
                    }
                }
            }
            photo[r * cols + col] = many || (n >= MIN_PIXELS && colours(&mut bins, n) >= 3);
        }
    }
    Cells { cols, rows, photo }
}

/// Bins `a` and `b` are one level apart or less in every channel.
fn near(a: u16, b: u16) -> bool {
    (0..3).all(|i| ((a >> (4 * i)) & 15).abs_diff((b >> (4 * i)) & 15) <= 1)
}

/// How many colours of a cell's `bins` (of `n` pixels) cover [`GROUP_SHARE`] each, up to 3:
/// the fullest bin with the bins next to it is one colour, then the fullest left, and so on.
fn colours(bins: &mut Vec<(u16, u16)>, n: usize) -> usize {
    let mut found = 0;
    while found < 3 && !bins.is_empty() {
        let seed = bins.iter().max_by_key(|b| b.1).unwrap().0;
        let mut count = 0usize;
        bins.retain(|b| {
            let same = near(b.0, seed);
            if same {
                count += b.1 as usize;
            }
            !same
        });
        if (count as f32) < GROUP_SHARE * n as f32 {
            break;
        }
        found += 1;
    }
    found
}

/// The boxes of connected photograph cells, each grown by its own size (from [`MIN_CONTEXT`]
/// to [`MAX_CONTEXT`]) and clipped to the image; windows that overlap are merged into their box.
pub fn grown_windows(cells: &Cells, width: u32, height: u32) -> Vec<[u32; 4]> {
    let mut seen = vec![false; cells.photo.len()];
    let mut windows: Vec<[u32; 4]> = Vec::new();
    for start in 0..cells.photo.len() {
        if !cells.photo[start] || seen[start] {
            continue;
        }
        // One group of cells touching at sides or corners.
        let (mut c0, mut r0, mut c1, mut r1) = (usize::MAX, usize::MAX, 0, 0);
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(i) = stack.pop() {
            let (r, c) = (i / cells.cols, i % cells.cols);
            (c0, r0, c1, r1) = (c0.min(c), r0.min(r), c1.max(c), r1.max(r));
            for rr in r.saturating_sub(1)..(r + 2).min(cells.rows) {
                for cc in c.saturating_sub(1)..(c + 2).min(cells.cols) {
                    let j = rr * cells.cols + cc;
                    if cells.photo[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        let (x0, y0) = ((c0 as u32) * CELL, (r0 as u32) * CELL);
        let (x1, y1) = (
            ((c1 + 1) as u32 * CELL).min(width),
            ((r1 + 1) as u32 * CELL).min(height),
        );
        let g = (x1 - x0).max(y1 - y0).clamp(MIN_CONTEXT, MAX_CONTEXT);
        windows.push([
            x0.saturating_sub(g),
            y0.saturating_sub(g),
            (x1 + g).min(width),
            (y1 + g).min(height),
        ]);
    }
    merge_overlapping(windows)
}

/// Merges windows that overlap until none do.
fn merge_overlapping(mut windows: Vec<[u32; 4]>) -> Vec<[u32; 4]> {
    loop {
        let mut merged = false;
        'outer: for i in 0..windows.len() {
            for j in i + 1..windows.len() {
                let (a, b) = (windows[i], windows[j]);
                if a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3] {
                    windows[i] = [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ];
                    windows.swap_remove(j);
                    merged = true;
                    break 'outer;
                }
            }
        }
        if !merged {
            return windows;
        }
    }
}

/// The quads of the lines of `lines` read with confidence ([`TEXT_SURE`]) and two characters
/// or more.
pub fn sure_text(lines: &[crate::detection::ocr::TextLine]) -> Vec<Quad> {
    lines
        .iter()
        .filter(|l| {
            l.confidence >= TEXT_SURE && l.text.chars().filter(|c| !c.is_whitespace()).count() >= 2
        })
        .map(|l| l.quad)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(w: u32, h: u32, bg: [u8; 3]) -> Image {
        Image {
            width: w,
            height: h,
            rgba: (0..w * h)
                .flat_map(|_| [bg[0], bg[1], bg[2], 255])
                .collect(),
        }
    }

    fn paint(image: &mut Image, [x0, y0, x1, y1]: [u32; 4], colour: impl Fn(u32, u32) -> [u8; 3]) {
        for y in y0..y1 {
            for x in x0..x1 {
                let i = ((y * image.width + x) * 4) as usize;
                image.rgba[i..i + 3].copy_from_slice(&colour(x, y));
            }
        }
    }

    #[test]
    fn stripes_borders_and_flat_icons_are_not_photographs() {
        let mut s = screen(320, 480, [255, 255, 255]);
        // Table stripes with a 2-px border between them, and a flat icon.
        for r in 0..6 {
            paint(&mut s, [0, r * 40, 320, r * 40 + 20], |_, _| {
                [232, 244, 236]
            });
            paint(&mut s, [0, r * 40 + 20, 320, r * 40 + 22], |_, _| {
                [200, 200, 200]
            });
        }
        paint(&mut s, [100, 100, 130, 130], |_, _| [230, 60, 60]);
        assert!(photo_cells(&s, &[]).photo.iter().all(|&p| !p));
        assert_eq!(windows(&s, &[]), Some(vec![]));
    }

    #[test]
    fn a_small_picture_of_several_colours_opens_a_window_around_it() {
        let mut s = screen(640, 480, [255, 255, 255]);
        // A 24-px "face": skin, hair above, dark eyes, on a blue backdrop.
        paint(&mut s, [300, 200, 340, 240], |_, _| [60, 90, 200]);
        paint(&mut s, [308, 204, 332, 236], |_, _| [225, 180, 150]);
        paint(&mut s, [308, 204, 332, 212], |_, _| [40, 30, 20]);
        paint(&mut s, [312, 216, 318, 220], |_, _| [20, 20, 20]);
        paint(&mut s, [322, 216, 328, 220], |_, _| [20, 20, 20]);
        let w = windows(&s, &[]).expect("a screen");
        assert_eq!(w.len(), 1);
        let [x0, y0, x1, y1] = w[0];
        // The face with room around it, as much as the model needs.
        assert!(
            x0 + 32 <= 308 && y0 + 32 <= 204 && x1 >= 332 + 32 && y1 >= 236 + 32,
            "{:?}",
            w[0]
        );
        assert!((x1 - x0) * (y1 - y0) < 640 * 480 / 4);
    }

    #[test]
    fn text_read_with_confidence_is_left_out() {
        let mut s = screen(320, 120, [255, 255, 255]);
        // Three-coloured "text" (as coloured anti-aliasing can be) under a line read.
        for x in (40..200).step_by(6) {
            paint(&mut s, [x, 40, x + 2, 60], |_, _| [20, 20, 20]);
            paint(&mut s, [x + 2, 40, x + 4, 60], |_, _| [200, 60, 60]);
            paint(&mut s, [x + 4, 40, x + 6, 60], |_, _| [60, 60, 200]);
        }
        assert!(!windows(&s, &[]).unwrap().is_empty());
        let line = [[38.0, 38.0], [204.0, 38.0], [204.0, 62.0], [38.0, 62.0]];
        assert_eq!(windows(&s, &[line]), Some(vec![]));
    }

    #[test]
    fn a_photograph_is_not_a_screen() {
        let mut p = screen(128, 128, [0, 0, 0]);
        paint(&mut p, [0, 0, 128, 128], |x, y| {
            [(x * 2) as u8, (y * 2) as u8, ((x + y) % 256) as u8]
        });
        assert_eq!(windows(&p, &[]), None);
    }

    #[test]
    fn overlapping_windows_merge() {
        let m = merge_overlapping(vec![[0, 0, 10, 10], [20, 20, 30, 30], [5, 5, 25, 25]]);
        assert_eq!(m, vec![[0, 0, 30, 30]]);
    }
}
