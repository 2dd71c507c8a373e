//! Finding red seal impressions (印鑑: round 認印 and 実印, square 角印) on documents, as
//! "may" findings: a seal carries a name, so it is personal data.
//!
//! Seal ink is vermilion to crimson on paper. Pixels of that hue and enough saturation (skin
//! and warm paper tints are a more orange hue) are grouped into connected pieces, after a
//! small dilation so that a stamp's ring and strokes hold together. A piece is kept when it
//! is seal-sized, roughly round or square, and has a stamp's structure: ink along its whole
//! outline (a circle or a square frame), some ink inside (the characters) and far from
//! solid. Pieces that sit in a row with similar red marks that are not seal-like themselves
//! are taken as red text and dropped.

use serde::Serialize;

use crate::detection::ocr::Quad;

/// One likely seal impression.
#[derive(Clone, Debug, Serialize)]
pub struct FoundSeal {
    /// Upright box around the impression, clockwise from top-left, in image pixels.
    pub quad: Quad,
    /// How stamp-like it is, 0–1 (found seals score at least [`MIN_SCORE`]).
    pub score: f32,
}

/// Lowest score reported.
pub const MIN_SCORE: f32 = 0.55;

/// Longest side of the working copy; larger images are shrunk by a whole factor first.
const MAX_WORK_SIDE: usize = 2048;

/// Smallest seal side in input pixels.
const MIN_SIDE: f32 = 12.0;

/// Finds red seal impressions in an image.
///
/// `rgba`: tightly packed RGBA8 (width*height*4 bytes). A buffer shorter than that, or an
/// empty image, gives no findings; nothing panics on odd sizes.
pub fn find_seals(rgba: &[u8], width: u32, height: u32) -> Vec<FoundSeal> {
    let Some(ink) = InkMask::from_rgba(rgba, width, height) else {
        return Vec::new();
    };
    let scale = ink.factor as f32;
    let short_side = width.min(height) as f32;
    let pieces = ink.pieces();
    let mut seals: Vec<(Piece, f32)> = Vec::new();
    for piece in &pieces {
        let (w, h) = (piece.width() as f32 * scale, piece.height() as f32 * scale);
        if w.min(h) < MIN_SIDE || w.max(h) > short_side / 4.0 {
            continue;
        }
        let Some((score, _)) = ink.seal_score(piece) else {
            continue;
        };
        if in_text_row(&ink, piece, &pieces) {
            continue;
        }
        seals.push((*piece, score));
    }
    // A character inside a found seal can look like a small seal itself: keep the outer one.
    let outer: Vec<bool> = seals
        .iter()
        .map(|(p, _)| !seals.iter().any(|(q, _)| q != p && q.contains(p)))
        .collect();
    seals
        .into_iter()
        .zip(outer)
        .filter(|(_, outer)| *outer)
        .map(|((p, score), _)| {
            let (x0, y0) = (p.x0 as f32 * scale, p.y0 as f32 * scale);
            let (x1, y1) = ((p.x1 + 1) as f32 * scale, (p.y1 + 1) as f32 * scale);
            FoundSeal {
                quad: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
                score,
            }
        })
        .collect()
}

/// Whether an RGB colour looks like seal ink: red the strongest channel by a clear margin,
/// saturated, and a hue between crimson (about 320°) and vermilion (about 20°). Skin and warm
/// paper are more orange (green well above blue), which keeps them out.
fn is_seal_ink(r: u32, g: u32, b: u32) -> bool {
    let other = g.max(b);
    if r < 90 || r < other + 28 {
        return false;
    }
    // Saturation (max - min) / max of at least 0.18.
    if (r - g.min(b)) * 100 < r * 18 {
        return false;
    }
    if g >= b {
        // Hue 60° · (g - b) / (r - b) up to 20°.
        3 * (g - b) <= r - b
    } else {
        // Hue 360° - 60° · (b - g) / (r - g) down to 320°.
        3 * (b - g) <= 2 * (r - g)
    }
}

/// Where seal-coloured ink is, at working scale, with a summed-area table to count ink in any
/// rectangle quickly.
struct InkMask {
    width: usize,
    height: usize,
    /// Input pixels per working pixel.
    factor: usize,
    ink: Vec<bool>,
    /// `sums[(y) * (width + 1) + x]`: ink pixels in `[0, x) × [0, y)`.
    sums: Vec<u32>,
}

/// A connected group of (dilated) ink: its inclusive bounding box.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Piece {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

impl Piece {
    fn width(&self) -> usize {
        self.x1 - self.x0 + 1
    }

    fn height(&self) -> usize {
        self.y1 - self.y0 + 1
    }

    fn contains(&self, other: &Piece) -> bool {
        self.x0 <= other.x0 && self.y0 <= other.y0 && self.x1 >= other.x1 && self.y1 >= other.y1
    }
}

impl InkMask {
    /// Classifies every pixel (after shrinking by a whole factor, averaging colours, when the
    /// long side is over [`MAX_WORK_SIDE`]); `None` for an empty image or a short buffer.
    fn from_rgba(rgba: &[u8], width: u32, height: u32) -> Option<InkMask> {
        let (w, h) = (width as usize, height as usize);
        if w == 0 || h == 0 {
            return None;
        }
        let needed = w.checked_mul(h)?.checked_mul(4)?;
        if rgba.len() < needed {
            return None;
        }
        let factor = w.max(h).div_ceil(MAX_WORK_SIDE).max(1);
        let (gw, gh) = ((w / factor).max(1), (h / factor).max(1));
        let mut ink = vec![false; gw * gh];
        // Composited over white: transparent areas are blank paper.
        let over_white = |v: u8, a: u8| match a {
            255 => v as u32,
            a => (v as u32 * a as u32 + 255 * (255 - a as u32)) / 255,
        };
        if factor == 1 {
            for (out, px) in ink.iter_mut().zip(rgba.chunks_exact(4)) {
                let a = px[3];
                *out = is_seal_ink(
                    over_white(px[0], a),
                    over_white(px[1], a),
                    over_white(px[2], a),
                );
            }
        }
        let mut sums = vec![[0u32; 4]; gw];
        for gy in (0..gh).filter(|_| factor > 1) {
            sums.fill([0; 4]);
            for y in gy * factor..((gy + 1) * factor).min(h) {
                let row = &rgba[y * w * 4..(y + 1) * w * 4];
                for (gx, sum) in sums.iter_mut().enumerate() {
                    for px in row[gx * factor * 4..((gx + 1) * factor).min(w) * 4].chunks_exact(4) {
                        for c in 0..3 {
                            sum[c] += over_white(px[c], px[3]);
                        }
                        sum[3] += 1;
                    }
                }
            }
            for (gx, sum) in sums.iter().enumerate() {
                let n = sum[3].max(1);
                ink[gy * gw + gx] = is_seal_ink(sum[0] / n, sum[1] / n, sum[2] / n);
            }
        }
        let mut table = vec![0u32; (gw + 1) * (gh + 1)];
        for y in 0..gh {
            let mut row_sum = 0u32;
            for x in 0..gw {
                row_sum += ink[y * gw + x] as u32;
                table[(y + 1) * (gw + 1) + x + 1] = table[y * (gw + 1) + x + 1] + row_sum;
            }
        }
        Some(InkMask {
            width: gw,
            height: gh,
            factor,
            ink,
            sums: table,
        })
    }

    /// Ink pixels in `[x0, x1) × [y0, y1)`.
    fn count(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> u32 {
        let s = |x: usize, y: usize| self.sums[y * (self.width + 1) + x];
        s(x1, y1) + s(x0, y0) - s(x0, y1) - s(x1, y0)
    }

    /// Connected groups of ink after a dilation by two pixels (so that a stamp's faded or
    /// thin parts still hold together), with at least 8 ink pixels each.
    fn pieces(&self) -> Vec<Piece> {
        let (w, h) = (self.width, self.height);
        const REACH: usize = 2;
        // Separable dilation: along rows, then along columns.
        let mut rows = vec![false; w * h];
        for y in 0..h {
            for x in 0..w {
                if self.ink[y * w + x] {
                    let hi = (x + REACH).min(w - 1);
                    rows[y * w + x.saturating_sub(REACH)..=y * w + hi].fill(true);
                }
            }
        }
        let mut grown = vec![false; w * h];
        for y in 0..h {
            for x in 0..w {
                if rows[y * w + x] {
                    for yy in y.saturating_sub(REACH)..=(y + REACH).min(h - 1) {
                        grown[yy * w + x] = true;
                    }
                }
            }
        }
        let mut pieces = Vec::new();
        for blob in crate::geometry::blobs(&grown, w, h, false) {
            let piece = Piece {
                x0: blob.x0,
                y0: blob.y0,
                x1: blob.x1,
                y1: blob.y1,
            };
            // The dilation widened the box by up to REACH on each side: take it back to the
            // ink itself.
            let piece = self.tighten(piece);
            if let Some(piece) = piece {
                if self.count(piece.x0, piece.y0, piece.x1 + 1, piece.y1 + 1) >= 8 {
                    pieces.push(piece);
                }
            }
        }
        pieces
    }

    /// Shrinks a box to the rows and columns that hold ink.
    fn tighten(&self, mut p: Piece) -> Option<Piece> {
        while p.x0 <= p.x1 && self.count(p.x0, p.y0, p.x0 + 1, p.y1 + 1) == 0 {
            p.x0 += 1;
        }
        while p.x1 > p.x0 && self.count(p.x1, p.y0, p.x1 + 1, p.y1 + 1) == 0 {
            p.x1 -= 1;
        }
        while p.y0 <= p.y1 && self.count(p.x0, p.y0, p.x1 + 1, p.y0 + 1) == 0 {
            p.y0 += 1;
        }
        while p.y1 > p.y0 && self.count(p.x0, p.y1, p.x1 + 1, p.y1 + 1) == 0 {
            p.y1 -= 1;
        }
        (p.x0 <= p.x1 && p.y0 <= p.y1).then_some(p)
    }

    /// Judges whether a piece looks like a stamp: its score and whether its outline is round
    /// rather than square; `None` when it does not look like one.
    ///
    /// The piece's box is divided into a 24×24 grid of ink fractions. From it: how much of a
    /// circle inscribed in the box, and how much of the box's own frame, is inked (a seal's
    /// outline); how much ink lies well inside (its characters); and how full the whole box
    /// is (solid shapes such as buttons are rejected).
    fn seal_score(&self, p: &Piece) -> Option<(f32, bool)> {
        const N: usize = 24;
        let (w, h) = (p.width(), p.height());
        let aspect = w as f32 / h as f32;
        if !(0.6..=1.6).contains(&aspect) {
            return None;
        }
        let fill = self.count(p.x0, p.y0, p.x1 + 1, p.y1 + 1) as f32 / (w * h) as f32;
        if fill > 0.6 {
            return None;
        }
        let mut grid = [[0.0f32; N]; N];
        for (gy, row) in grid.iter_mut().enumerate() {
            let y0 = p.y0 + gy * h / N;
            let y1 = (p.y0 + (gy + 1) * h / N).max(y0 + 1);
            for (gx, cell) in row.iter_mut().enumerate() {
                let x0 = p.x0 + gx * w / N;
                let x1 = (p.x0 + (gx + 1) * w / N).max(x0 + 1);
                *cell = self.count(x0, y0, x1, y1) as f32 / ((x1 - x0) * (y1 - y0)) as f32;
            }
        }
        // Normalised cell centre: -1..1 on both axes.
        let pos = |i: usize| (i as f32 + 0.5) / N as f32 * 2.0 - 1.0;
        let inked = |x: f32, y: f32| {
            let gx = (((x + 1.0) / 2.0 * N as f32) as usize).min(N - 1);
            let gy = (((y + 1.0) / 2.0 * N as f32) as usize).min(N - 1);
            grid[gy][gx] > 0.2
        };
        // Circle outline: along 72 rays, is there ink between 0.72 and 1.0 of the radius?
        let rays = 72;
        let mut circle_hits = 0;
        for k in 0..rays {
            let (s, c) = (k as f32 / rays as f32 * std::f32::consts::TAU).sin_cos();
            if (0..8).any(|i| {
                let r = 0.72 + 0.04 * i as f32;
                inked(c * r, s * r)
            }) {
                circle_hits += 1;
            }
        }
        let circle = circle_hits as f32 / rays as f32;
        // Square frame: at 72 places along the box's edge, is there ink within the outer
        // 22 % going inwards?
        let mut frame_hits = 0;
        for k in 0..rays {
            let t = (k % 18) as f32 / 18.0 * 2.0 - 1.0 + 1.0 / 18.0;
            let hit = (0..6).any(|i| {
                let d = 0.98 - 0.04 * i as f32;
                let (x, y) = match k / 18 {
                    0 => (t, -d),
                    1 => (d, t),
                    2 => (-t, d),
                    _ => (-d, -t),
                };
                inked(x, y)
            });
            frame_hits += hit as usize;
        }
        let frame = frame_hits as f32 / rays as f32;
        // Ink well inside (characters) and in the ring just inside the outline.
        let (mut inner, mut inner_n, mut band, mut band_n) = (0.0, 0.0, 0.0, 0.0);
        let round = circle >= frame;
        for (gy, row) in grid.iter().enumerate() {
            for (gx, &cell) in row.iter().enumerate() {
                let (x, y) = (pos(gx), pos(gy));
                let r = if round {
                    (x * x + y * y).sqrt()
                } else {
                    x.abs().max(y.abs())
                };
                if r < 0.6 {
                    inner += cell;
                    inner_n += 1.0;
                } else if r < 0.75 {
                    band += cell;
                    band_n += 1.0;
                }
            }
        }
        let (inner, band) = (inner / inner_n, band / band_n);
        // A stamp: a nearly closed outline (a square frame fully: three sides of a box are
        // common in characters), something inside, and not filled in.
        let outline = if round { circle } else { frame };
        let closed = if round {
            outline >= 0.7
        } else {
            outline >= 0.8
        };
        if !closed || !(0.03..=0.55).contains(&inner) || band > 0.6 {
            return None;
        }
        let aspect_term = 1.0 - (aspect.ln().abs() / 1.6f32.ln()).min(1.0);
        let inside_term = (inner / 0.12).min(1.0);
        let hollow_term = 1.0 - ((fill - 0.35).max(0.0) / 0.25).min(1.0);
        let score = 0.45 * outline + 0.2 * inside_term + 0.15 * aspect_term + 0.2 * hollow_term;
        (score >= MIN_SCORE).then_some((score.min(1.0), round))
    }
}

/// Whether a piece sits in a row (or a vertical column) with red marks of similar size beside
/// it, no further than a wide word space, that are not round seals: then it is most likely a character of red text, such
/// as 国 or 回, whose frame only looks like a 角印. A row of round seals (approval boxes) is
/// kept.
fn in_text_row(ink: &InkMask, piece: &Piece, pieces: &[Piece]) -> bool {
    let (w, h) = (piece.width() as f32, piece.height() as f32);
    pieces.iter().any(|other| {
        if other == piece || piece.contains(other) || other.contains(piece) {
            return false;
        }
        let (ow, oh) = (other.width() as f32, other.height() as f32);
        let overlap = |a0: usize, a1: usize, b0: usize, b1: usize| {
            (a1.min(b1) as f32 - a0.max(b0) as f32 + 1.0).max(0.0)
        };
        let gap = |a0: usize, a1: usize, b0: usize, b1: usize| {
            (a0.max(b0) as f32 - a1.min(b1) as f32 - 1.0).max(0.0)
        };
        let side_by_side = (0.5..=2.0).contains(&(oh / h))
            && overlap(piece.y0, piece.y1, other.y0, other.y1) >= 0.5 * h.min(oh)
            && gap(piece.x0, piece.x1, other.x0, other.x1) <= 1.5 * h.max(oh);
        let stacked = (0.5..=2.0).contains(&(ow / w))
            && overlap(piece.x0, piece.x1, other.x0, other.x1) >= 0.5 * w.min(ow)
            && gap(piece.y0, piece.y1, other.y0, other.y1) <= 1.5 * w.max(ow);
        (side_by_side || stacked) && !matches!(ink.seal_score(other), Some((_, true)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::detection::test_images::{iou, Canvas, Rng};

    fn find(canvas: &Canvas) -> Vec<FoundSeal> {
        find_seals(&canvas.rgba, canvas.w as u32, canvas.h as u32)
    }

    const VERMILION: [u8; 3] = [225, 45, 35];
    const BLACK: [u8; 3] = [25, 25, 25];

    /// An ink colour and how strongly it printed (0–1).
    #[derive(Clone, Copy)]
    struct Ink {
        colour: [u8; 3],
        alpha: f32,
    }

    const SOLID_VERMILION: Ink = Ink {
        colour: VERMILION,
        alpha: 1.0,
    };

    /// Strokes of thickness `t` on a 3×3 lattice inside the box `[x, y, w, h]`, like the
    /// characters of a name.
    fn strokes(canvas: &mut Canvas, [x, y, w, h]: [i32; 4], t: i32, ink: Ink, rng: &mut Rng) {
        let Ink { colour, alpha } = ink;
        for k in 0..3 {
            if rng.range(0, 100) < 70 {
                let (sy, sx0, sx1) = (
                    y + k * (h - t) / 2,
                    x + rng.range(0, w / 4),
                    x + w - rng.range(0, w / 4),
                );
                for yy in sy..sy + t {
                    for xx in sx0..sx1 {
                        canvas.ink(xx, yy, colour, alpha);
                    }
                }
            }
            if rng.range(0, 100) < 70 {
                let sx = x + k * (w - t) / 2;
                for yy in y + rng.range(0, h / 4)..y + h - rng.range(0, h / 4) {
                    for xx in sx..sx + t {
                        canvas.ink(xx, yy, colour, alpha);
                    }
                }
            }
        }
    }

    /// A round seal (認印): a ring of radius `r` and thickness `t` with a surname's strokes
    /// inside. Returns its true box.
    fn round_seal(
        canvas: &mut Canvas,
        [cx, cy]: [f32; 2],
        r: f32,
        t: f32,
        ink: Ink,
        rng: &mut Rng,
    ) -> Quad {
        let Ink { colour, alpha } = ink;
        for y in (cy - r - 2.0) as i32..=(cy + r + 2.0) as i32 {
            for x in (cx - r - 2.0) as i32..=(cx + r + 2.0) as i32 {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                // Anti-aliased ring edge.
                let cover = ((r - d + 0.5).min(d - (r - t) + 0.5)).clamp(0.0, 1.0);
                if cover > 0.0 {
                    canvas.ink(x, y, colour, alpha * cover);
                }
            }
        }
        let inner = (r - t) * 0.62;
        let (x, y) = ((cx - inner) as i32, (cy - inner) as i32);
        let side = (2.0 * inner) as i32;
        let stroke = (t * 0.8).max(1.0) as i32;
        strokes(canvas, [x, y, side, side / 2 - 1], stroke, ink, rng);
        strokes(
            canvas,
            [x, y + side / 2 + 1, side, side / 2 - 1],
            stroke,
            ink,
            rng,
        );
        [
            [cx - r, cy - r],
            [cx + r, cy - r],
            [cx + r, cy + r],
            [cx - r, cy + r],
        ]
    }

    /// A square seal (角印): a frame with a grid of characters inside.
    fn square_seal(canvas: &mut Canvas, x: i32, y: i32, side: i32, t: i32, rng: &mut Rng) -> Quad {
        canvas.ink_rect(x, y, side, t, VERMILION);
        canvas.ink_rect(x, y + side - t, side, t, VERMILION);
        canvas.ink_rect(x, y + t, t, side - 2 * t, VERMILION);
        canvas.ink_rect(x + side - t, y + t, t, side - 2 * t, VERMILION);
        let cell = (side - 2 * t - 8) / 2;
        for (i, j) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let (cx, cy) = (x + t + 3 + i * (cell + 2), y + t + 3 + j * (cell + 2));
            strokes(
                canvas,
                [cx, cy, cell, cell],
                (t - 1).max(1),
                SOLID_VERMILION,
                rng,
            );
        }
        let (x, y, s) = (x as f32, y as f32, side as f32);
        [[x, y], [x + s, y], [x + s, y + s], [x, y + s]]
    }

    /// Lines of glyph-like strokes from `[x, y]`, `w` wide: a document's text.
    fn text_lines(
        canvas: &mut Canvas,
        [x, y]: [i32; 2],
        w: i32,
        lines: i32,
        size: i32,
        colour: [u8; 3],
        rng: &mut Rng,
    ) {
        let ink = Ink { colour, alpha: 1.0 };
        for line in 0..lines {
            let mut gx = x;
            while gx + size < x + w {
                let area = [gx, y + line * size * 3 / 2, size, size];
                strokes(canvas, area, (size / 8).max(1), ink, rng);
                gx += size + size / 5 + if rng.range(0, 100) < 15 { size } else { 0 };
            }
        }
    }

    fn document(rng: &mut Rng) -> Canvas {
        let mut canvas = Canvas::new(1000, 700, [252, 252, 250]);
        text_lines(&mut canvas, [40, 40], 900, 12, 18, BLACK, rng);
        canvas
    }

    #[test]
    fn round_seal_on_a_document_is_found() {
        let mut rng = Rng(1);
        let mut canvas = document(&mut rng);
        let truth = round_seal(
            &mut canvas,
            [820.0, 560.0],
            34.0,
            3.0,
            Ink {
                colour: VERMILION,
                alpha: 0.95,
            },
            &mut rng,
        );
        let found = find(&canvas);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            iou(&found[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            found[0].quad
        );
        assert!(found[0].score >= MIN_SCORE);
    }

    #[test]
    fn round_seal_over_black_text_is_found() {
        // Seals are often stamped across a printed name.
        let mut rng = Rng(2);
        let mut canvas = document(&mut rng);
        let truth = round_seal(
            &mut canvas,
            [300.0, 150.0],
            26.0,
            2.5,
            Ink {
                colour: VERMILION,
                alpha: 0.9,
            },
            &mut rng,
        );
        let found = find(&canvas);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            iou(&found[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            found[0].quad
        );
    }

    #[test]
    fn square_seal_is_found() {
        let mut rng = Rng(3);
        let mut canvas = document(&mut rng);
        let truth = square_seal(&mut canvas, 780, 500, 90, 5, &mut rng);
        let found = find(&canvas);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            iou(&found[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            found[0].quad
        );
    }

    #[test]
    fn row_of_approval_seals_is_found() {
        // 担当・確認・承認: three boxes side by side, each stamped.
        let mut rng = Rng(4);
        let mut canvas = document(&mut rng);
        let mut truths = Vec::new();
        for i in 0..3 {
            let x = 640 + i * 70;
            canvas.ink_rect(x, 500, 70, 1, BLACK);
            canvas.ink_rect(x, 570, 70, 1, BLACK);
            canvas.ink_rect(x, 500, 1, 70, BLACK);
            truths.push(round_seal(
                &mut canvas,
                [x as f32 + 35.0, 535.0],
                25.0,
                2.0,
                Ink {
                    colour: VERMILION,
                    alpha: 0.9,
                },
                &mut rng,
            ));
        }
        let found = find(&canvas);
        assert_eq!(found.len(), 3, "{found:?}");
        for truth in &truths {
            assert!(
                found.iter().any(|f| iou(&f.quad, truth) >= 0.7),
                "{truth:?} not in {found:?}"
            );
        }
    }

    #[test]
    fn faint_pink_seal_on_a_grey_photo_is_found() {
        let mut rng = Rng(5);
        // Unevenly lit grey paper photographed with a cool cast; the seal faded and pinkish.
        let mut canvas = Canvas::new(900, 600, [0, 0, 0]);
        for y in 0..600 {
            for x in 0..900 {
                let v = (120 + x / 12 + y / 15) as u8;
                let i = (y * 900 + x) * 4;
                canvas.rgba[i..i + 4].copy_from_slice(&[v, v, v.saturating_add(6), 255]);
            }
        }
        text_lines(&mut canvas, [30, 30], 840, 8, 16, [60, 60, 60], &mut rng);
        let faded = Ink {
            colour: [235, 110, 140],
            alpha: 0.75,
        };
        let truth = round_seal(&mut canvas, [640.0, 420.0], 40.0, 3.0, faded, &mut rng);
        canvas.blur(1);
        canvas.noise(8, &mut rng);
        let found = find(&canvas);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            iou(&found[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            found[0].quad
        );
    }

    #[test]
    fn red_text_is_not_a_seal() {
        let mut rng = Rng(6);
        let mut canvas = document(&mut rng);
        // A red warning line, a short red word and a vertical line of red characters, framed
        // characters (国, 回) included.
        text_lines(&mut canvas, [60, 500], 600, 1, 24, VERMILION, &mut rng);
        for i in 0..4 {
            let x = 720 + i * 30;
            canvas.ink_rect(x, 560, 24, 2, VERMILION);
            canvas.ink_rect(x, 582, 24, 2, VERMILION);
            canvas.ink_rect(x, 560, 2, 24, VERMILION);
            canvas.ink_rect(x + 22, 560, 2, 24, VERMILION);
            canvas.ink_rect(x + 8, 566, 8, 2, VERMILION);
            canvas.ink_rect(x + 11, 566, 2, 12, VERMILION);
        }
        for i in 0..5 {
            let y = 300 + i * 30;
            canvas.ink_rect(950, y, 22, 2, VERMILION);
            canvas.ink_rect(950, y + 20, 22, 2, VERMILION);
            canvas.ink_rect(950, y, 2, 22, VERMILION);
            canvas.ink_rect(970, y, 2, 22, VERMILION);
            canvas.ink_rect(957, y + 8, 8, 6, VERMILION);
        }
        let found = find(&canvas);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn solid_red_buttons_and_big_logos_are_not_seals() {
        let mut rng = Rng(7);
        let mut canvas = Canvas::new(1280, 720, [255, 255, 255]);
        text_lines(&mut canvas, [40, 40], 800, 6, 16, BLACK, &mut rng);
        // A wide button and a square icon button, solid red with white marks on them.
        canvas.ink_rect(900, 400, 160, 48, [220, 38, 38]);
        canvas.ink_rect(900, 500, 56, 56, [220, 38, 38]);
        let mut white = |x: usize, y: usize, w: usize, h: usize| {
            for yy in y..y + h {
                for xx in x..x + w {
                    let j = (yy * 1280 + xx) * 4;
                    canvas.rgba[j..j + 3].copy_from_slice(&[255, 255, 255]);
                }
            }
        };
        for i in 0..6 {
            // Letter-like marks on the wide button.
            white(920 + i * 20, 414, 3, 20);
            white(920 + i * 20, 414, 12, 3);
            white(920 + i * 20, 431, 12, 3);
        }
        for i in 0..3 {
            white(912, 514 + i * 12, 32, 4);
        }
        // A red ring logo taking up most of the image's height.
        round_seal(
            &mut canvas,
            [400.0, 480.0],
            220.0,
            18.0,
            Ink {
                colour: VERMILION,
                alpha: 1.0,
            },
            &mut rng,
        );
        let found = find(&canvas);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn skin_and_warm_paper_are_not_ink() {
        // Skin tones (light to dark) and warm paper fail the hue test; seal inks pass it.
        for [r, g, b] in [
            [224, 172, 140],
            [198, 134, 100],
            [141, 85, 36],
            [240, 222, 200],
        ] {
            assert!(!is_seal_ink(r, g, b), "{r} {g} {b}");
        }
        for [r, g, b] in [
            [225, 45, 35],
            [200, 30, 60],
            [190, 100, 95],
            [235, 140, 160],
        ] {
            assert!(is_seal_ink(r, g, b), "{r} {g} {b}");
        }
    }

    #[test]
    fn blank_and_odd_inputs_give_nothing() {
        assert!(find_seals(&[], 0, 0).is_empty());
        assert!(find_seals(&[255, 0, 0, 255], 1, 1).is_empty());
        assert!(find_seals(&[255; 8], 50, 50).is_empty(), "short buffer");
        assert!(find_seals(&[], u32::MAX, 3).is_empty());
        let red = Canvas::new(300, 200, VERMILION);
        assert!(find(&red).is_empty(), "all red");
        let white = Canvas::new(300, 200, [255, 255, 255]);
        assert!(find(&white).is_empty());
    }

    #[test]
    fn seal_in_a_very_large_image_is_reported_in_input_pixels() {
        let mut rng = Rng(8);
        let mut canvas = Canvas::new(4400, 900, [250, 250, 250]);
        let truth = round_seal(
            &mut canvas,
            [3900.0, 500.0],
            60.0,
            5.0,
            Ink {
                colour: VERMILION,
                alpha: 1.0,
            },
            &mut rng,
        );
        let found = find(&canvas);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            iou(&found[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            found[0].quad
        );
    }

    #[test]
    fn random_noise_of_any_size_gives_nothing() {
        let mut rng = Rng(29);
        for (w, h) in [
            (1, 1),
            (2, 3),
            (7, 50),
            (21, 21),
            (64, 9),
            (150, 120),
            (400, 33),
        ] {
            let rgba: Vec<u8> = (0..w * h * 4).map(|_| rng.next() as u8).collect();
            let found = find_seals(&rgba, w as u32, h as u32);
            assert!(found.is_empty(), "{w}x{h}: {found:?}");
        }
    }

    /// Run with `--ignored --nocapture` in release to see the time for a 1920×1080 document
    /// with text, red text and one seal.
    #[test]
    #[ignore]
    fn timing_full_hd() {
        let mut rng = Rng(9);
        let mut canvas = Canvas::new(1920, 1080, [252, 252, 250]);
        text_lines(&mut canvas, [40, 40], 1800, 30, 18, BLACK, &mut rng);
        text_lines(&mut canvas, [40, 900], 1000, 2, 20, VERMILION, &mut rng);
        round_seal(
            &mut canvas,
            [1600.0, 950.0],
            40.0,
            3.0,
            Ink {
                colour: VERMILION,
                alpha: 0.95,
            },
            &mut rng,
        );
        let runs = 10;
        let start = std::time::Instant::now();
        let mut found = Vec::new();
        for _ in 0..runs {
            found = find(&canvas);
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        println!("find_seals 1920x1080: {ms:.1} ms per image");
        assert_eq!(found.len(), 1, "{found:?}");
    }
}
