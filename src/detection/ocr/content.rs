//! Where an image has anything on it but its background, so that detectors can leave out
//! the plain parts.
//!
//! Screens and video frames are often mostly plain: a short table in the corner of a 720p
//! frame, a dialog on an empty backdrop. The detectors' cost follows the area they read (and
//! the text detector's second, larger look at small text multiplies that area by up to 6),
//! while a plain area holds no text and no face. The background is the image's most common
//! colour; a cell of [`CELL`] × [`CELL`] pixels holds content when any pixel in it differs
//! from that colour by more than [`INK`] in a channel, so faint text counts (a light grey
//! #ddd on white differs by 34). Photographs and scans of paper, whose backgrounds vary, come
//! out as content nearly everywhere and are read whole as before. The text detector leaves
//! out its plain tiles ([`super::detect::plan_over`]); the face model reads the box around the
//! content ([`crate::detection::faces`]).

use crate::imaging::Image;

/// Side of a content cell, image pixels.
pub const CELL: u32 = 16;
/// A channel difference from the background colour above which a pixel is content (JPEG noise
/// on flat colour stays within a few levels).
pub const INK: u8 = 12;

/// Which cells of an image hold content.
#[derive(Clone, Debug)]
pub struct Content {
    pub width: u32,
    pub height: u32,
    cols: u32,
    rows: u32,
    cells: Vec<bool>,
}

impl Content {
    /// The content cells of `image`.
    pub fn of(image: &Image) -> Content {
        let (w, h) = (image.width, image.height);
        let cols = w.div_ceil(CELL);
        let rows = h.div_ceil(CELL);
        let mut cells = vec![false; (cols * rows) as usize];
        if w == 0 || h == 0 {
            return Content {
                width: w,
                height: h,
                cols,
                rows,
                cells,
            };
        }
        let bg = background(image);
        for y in 0..h as usize {
            let row = &image.rgba[y * w as usize * 4..(y + 1) * w as usize * 4];
            let cell_row = &mut cells[(y / CELL as usize) * cols as usize..][..cols as usize];
            for (c, run) in row.chunks(CELL as usize * 4).enumerate() {
                if cell_row[c] {
                    continue;
                }
                cell_row[c] = run.chunks_exact(4).any(|p| {
                    p[0].abs_diff(bg[0]) > INK
                        || p[1].abs_diff(bg[1]) > INK
                        || p[2].abs_diff(bg[2]) > INK
                });
            }
        }
        Content {
            width: w,
            height: h,
            cols,
            rows,
            cells,
        }
    }

    /// Content everywhere (nothing is left out).
    pub fn everywhere(width: u32, height: u32) -> Content {
        let (cols, rows) = (width.div_ceil(CELL), height.div_ceil(CELL));
        Content {
            width,
            height,
            cols,
            rows,
            cells: vec![true; (cols * rows) as usize],
        }
    }

    /// The bounding box `[x0, y0, x1, y1]` (image pixels, cell-aligned, clipped to the image)
    /// of the content cells that meet the window `[x0, y0, x1, y1]`, or `None` when the window
    /// is plain.
    pub fn within(&self, window: [u32; 4]) -> Option<[u32; 4]> {
        let [x0, y0, x1, y1] = window;
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        let (c0, c1) = (x0 / CELL, x1.div_ceil(CELL).min(self.cols));
        let (r0, r1) = (y0 / CELL, y1.div_ceil(CELL).min(self.rows));
        let mut found: Option<[u32; 4]> = None;
        for r in r0..r1 {
            for c in c0..c1 {
                if self.cells[(r * self.cols + c) as usize] {
                    let b = found.get_or_insert([c, r, c, r]);
                    b[0] = b[0].min(c);
                    b[1] = b[1].min(r);
                    b[2] = b[2].max(c);
                    b[3] = b[3].max(r);
                }
            }
        }
        found.map(|[c0, r0, c1, r1]| {
            [
                (c0 * CELL).max(x0),
                (r0 * CELL).max(y0),
                ((c1 + 1) * CELL).min(self.width).min(x1),
                ((r1 + 1) * CELL).min(self.height).min(y1),
            ]
        })
    }
}

/// The share of `image` (every fourth pixel of every fourth row) of exactly its most common
/// colour: most of a screen (a screenshot, a screen recording's frame) is one colour to the
/// bit, while a photograph's background varies pixel to pixel. On `../shared/eval/dev`:
/// screens 0.56–0.99, JPEG screens 0.54–0.96, photographed sheets 0.001–0.68. Computed only
/// when a second look is in question (see `detect::second_look`), not for every content map.
pub fn flat_share(image: &Image) -> f32 {
    let (w, h) = (image.width as usize, image.height as usize);
    let mut counts: std::collections::HashMap<[u8; 3], u32> = std::collections::HashMap::new();
    let mut n = 0u32;
    for y in (0..h).step_by(4) {
        for x in (0..w).step_by(4) {
            let p = &image.rgba[(y * w + x) * 4..][..3];
            *counts.entry([p[0], p[1], p[2]]).or_default() += 1;
            n += 1;
        }
    }
    counts.values().copied().max().unwrap_or(0) as f32 / n.max(1) as f32
}

/// The most common colour of `image` (over every fourth pixel of every fourth row, in bins of
/// 8 levels per channel; the mean of the pixels in the fullest bin).
fn background(image: &Image) -> [u8; 3] {
    let (w, h) = (image.width as usize, image.height as usize);
    let mut bins = vec![0u32; 1 << 15];
    let bin = |p: &[u8]| {
        ((p[0] as usize >> 3) << 10) | ((p[1] as usize >> 3) << 5) | (p[2] as usize >> 3)
    };
    for y in (0..h).step_by(4) {
        for x in (0..w).step_by(4) {
            bins[bin(&image.rgba[(y * w + x) * 4..])] += 1;
        }
    }
    let top = (0..bins.len()).max_by_key(|&i| bins[i]).unwrap_or(0);
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for y in (0..h).step_by(4) {
        for x in (0..w).step_by(4) {
            let p = &image.rgba[(y * w + x) * 4..][..3];
            if bin(p) == top {
                for c in 0..3 {
                    sum[c] += p[c] as u64;
                }
                n += 1;
            }
        }
    }
    let n = n.max(1);
    [(sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(w: u32, h: u32, colour: [u8; 3]) -> Image {
        let mut rgba = Vec::with_capacity((w * h * 4) as usize);
        for _ in 0..w * h {
            rgba.extend_from_slice(&[colour[0], colour[1], colour[2], 255]);
        }
        Image {
            width: w,
            height: h,
            rgba,
        }
    }

    fn set(image: &mut Image, x: u32, y: u32, colour: [u8; 3]) {
        let i = ((y * image.width + x) * 4) as usize;
        image.rgba[i..i + 3].copy_from_slice(&colour);
    }

    #[test]
    fn a_plain_image_has_no_content_and_one_faint_pixel_is_content() {
        let mut image = plain(200, 100, [30, 31, 36]);
        let content = Content::of(&image);
        assert_eq!(content.within([0, 0, 200, 100]), None);
        // JPEG-like noise within INK stays background.
        set(&mut image, 5, 5, [38, 39, 44]);
        assert_eq!(Content::of(&image).within([0, 0, 200, 100]), None);
        // One faint grey pixel (a dot of light text) is content: its cell is the box.
        set(&mut image, 150, 70, [60, 60, 60]);
        let content = Content::of(&image);
        assert_eq!(content.within([0, 0, 200, 100]), Some([144, 64, 160, 80]));
        // A window that does not meet it is plain; one that cuts its cell is clipped to itself.
        assert_eq!(content.within([0, 0, 140, 100]), None);
        assert_eq!(content.within([152, 0, 200, 75]), Some([152, 64, 160, 75]));
    }

    #[test]
    fn a_screen_is_flat_and_a_background_that_varies_is_not() {
        // A screen: one colour, with a block of "text" over a tenth of it.
        let mut screen = plain(320, 160, [29, 30, 33]);
        for y in 40..72 {
            for x in 20..180 {
                set(&mut screen, x, y, [220, 220, 220]);
            }
        }
        let flat = flat_share(&screen);
        assert!((0.85..0.95).contains(&flat), "{flat}");
        // Paper under light: every pixel one or two levels off its neighbours.
        let mut paper = plain(320, 160, [0, 0, 0]);
        for y in 0..160 {
            for x in 0..320 {
                let v = (200 + (x * 7 + y * 13) % 5 + x / 40) as u8;
                set(&mut paper, x, y, [v, v, v.saturating_sub(8)]);
            }
        }
        let flat = flat_share(&paper);
        assert!(flat < 0.3, "{flat}");
    }

    #[test]
    fn the_background_is_the_most_common_colour_even_when_it_is_dark_or_light() {
        // A white page with a black box in its middle: the box is content, the rest is not.
        let mut image = plain(320, 160, [255, 255, 255]);
        for y in 40..60 {
            for x in 100..140 {
                set(&mut image, x, y, [0, 0, 0]);
            }
        }
        let content = Content::of(&image);
        assert_eq!(content.within([0, 0, 320, 160]), Some([96, 32, 144, 64]));
        // The image edge clips the last cell.
        let mut image = plain(100, 50, [240, 240, 240]);
        set(&mut image, 99, 49, [0, 0, 0]);
        assert_eq!(
            Content::of(&image).within([0, 0, 100, 50]),
            Some([96, 48, 100, 50])
        );
        assert_eq!(
            Content::everywhere(100, 50).within([10, 10, 20, 20]),
            Some([10, 10, 20, 20])
        );
    }
}
