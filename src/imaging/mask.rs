//! The masking kernels: solid fill, mosaic and blur, in place on an RGBA8 frame.
//!
//! # The rule for text (every region is treated as possibly holding text)
//! Pixelating or blurring text from its own pixels can be undone: a dictionary attack such as
//! Depix renders candidate strings, pixelates them the same way and keeps the closest match. So
//! Kuronuri never derives a mosaic block or a blur input from the glyphs under it:
//! - **mosaic**: blocks are at least `max(8 px, ⌈h/2⌉)` wide and tall (h = the region's height,
//!   a text line's height for OCR quads), and every block's colour is the region's mean colour
//!   shifted by a secret random brightness offset of up to ±[`MOSAIC_NOISE`] levels, drawn per
//!   block from a seed the caller draws from the operating system (natively) or
//!   `crypto.getRandomValues` (in the browser). The only information about the original that
//!   survives is the region's mean colour.
//! - **blur**: the same noisy block grid, smoothed by three box-blur passes of one block and
//!   enlarged bilinearly; it looks like a blur and carries no more than the mosaic.
//! - **fill** (the default for text) writes a solid colour.
//!
//! Every style makes the covered pixels opaque (alpha 255), so nothing can hide under
//! transparency. Pixels outside every padded region are never written.
//! `tests/masking.rs` checks these properties and that a dictionary attack on real rendered text
//! (Depix's own search images) fails against this mosaic while it succeeds against a plain one.

use std::str::FromStr;

use crate::error::Error;
use crate::imaging::frame::FrameMut;
use crate::imaging::region::{Coverage, Region};

/// Smallest mosaic block, in pixels.
pub const MIN_BLOCK: u32 = 8;
/// Largest brightness offset a mosaic block gets, in levels (of 255).
pub const MOSAIC_NOISE: i32 = 40;

/// How covered pixels are hidden.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskStyle {
    /// A solid colour (RGB).
    Fill([u8; 3]),
    /// Noisy blocks of the region's mean colour.
    Mosaic,
    /// The noisy mosaic, smoothed.
    Blur,
}

impl Default for MaskStyle {
    fn default() -> Self {
        MaskStyle::Fill([0, 0, 0])
    }
}

impl FromStr for MaskStyle {
    type Err = Error;

    /// `fill`, `fill:#rrggbb`, `mosaic` or `blur`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::BadStyle(s.to_string());
        match s {
            "fill" => Ok(MaskStyle::default()),
            "mosaic" => Ok(MaskStyle::Mosaic),
            "blur" => Ok(MaskStyle::Blur),
            _ => {
                let hex = s.strip_prefix("fill:#").ok_or_else(bad)?;
                if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad());
                }
                let v = u32::from_str_radix(hex, 16).map_err(|_| bad())?;
                Ok(MaskStyle::Fill([(v >> 16) as u8, (v >> 8) as u8, v as u8]))
            }
        }
    }
}

/// The mosaic block size for a region of height `h`: at least half of it, never under 8 px.
pub fn block_size(h: f32) -> u32 {
    ((h / 2.0).ceil() as u32).max(MIN_BLOCK)
}

/// Masks every region of `regions` in `frame` with `style`. `seed` keys the mosaic noise and
/// must be secret and fresh for each export (see the module documentation).
pub fn mask_regions(frame: &mut FrameMut, regions: &[Region], style: MaskStyle, seed: u64) {
    let mut scratch = Vec::new();
    for (index, region) in regions.iter().enumerate() {
        let coverage = region.coverage(frame.width(), frame.height());
        mask_region(
            frame,
            region,
            &coverage,
            region.style.unwrap_or(style),
            mix(seed, index as u64),
            &mut scratch,
        );
    }
}

/// Masks one region whose coverage is `coverage` (from [`Region::coverage`]): the whole
/// coverage with `style`, then, for a feathered ellipse, the soft edge outside its padded
/// outline blended back towards the pixels that were there, linearly to nothing at the outer
/// edge. A pixel that touches the padded ellipse at all stays fully masked.
pub fn mask_region(
    frame: &mut FrameMut,
    region: &Region,
    coverage: &Coverage,
    style: MaskStyle,
    key: u64,
    scratch: &mut Vec<[u8; 4]>,
) {
    let Some((centre, inner, outer)) = region.feathered_ellipse() else {
        mask_coverage(frame, coverage, region.height(), style, key, scratch);
        return;
    };
    let mut before: Vec<[u8; 4]> = Vec::with_capacity(coverage.area() as usize);
    for s in &coverage.spans {
        before.extend_from_slice(frame.pixels(s.y, s.x0, s.x1));
    }
    mask_coverage(frame, coverage, region.height(), style, key, scratch);
    let mut at = 0;
    for s in &coverage.spans {
        // The pixel's point nearest the centre decides (conservative towards masking).
        let dy = ((s.y as f64 + 0.5 - centre[1]).abs() - 0.5).max(0.0);
        let row = frame.pixels_mut(s.y, s.x0, s.x1);
        for (k, p) in row.iter_mut().enumerate() {
            let dx = (((s.x0 as usize + k) as f64 + 0.5 - centre[0]).abs() - 0.5).max(0.0);
            let a = fade(dx, dy, inner, outer);
            if a < 1.0 {
                let old = before[at + k];
                for c in 0..3 {
                    p[c] = (old[c] as f64 * (1.0 - a) + p[c] as f64 * a).round() as u8;
                }
            }
        }
        at += row.len();
    }
}

/// How much of the mask a point `(dx, dy)` from an ellipse's centre gets: 1 inside the ellipse
/// with radii `inner`, 0 outside the one with radii `outer`, linear along the ray between.
fn fade(dx: f64, dy: f64, inner: [f64; 2], outer: [f64; 2]) -> f64 {
    let si = ((dx / inner[0]).powi(2) + (dy / inner[1]).powi(2)).sqrt();
    if si <= 1.0 {
        return 1.0;
    }
    let so = ((dx / outer[0]).powi(2) + (dy / outer[1]).powi(2)).sqrt();
    if so >= 1.0 {
        return 0.0;
    }
    // Along the ray, the inner edge is at ρ/si and the outer at ρ/so (ρ the point's distance).
    ((1.0 / so - 1.0) / (1.0 / so - 1.0 / si)).clamp(0.0, 1.0)
}

/// Masks the pixels of one region's coverage. `height` is the region's height (it sets the
/// block size); `key` keys the noise. Reads and writes nothing outside the coverage's bounds.
pub fn mask_coverage(
    frame: &mut FrameMut,
    coverage: &Coverage,
    height: f32,
    style: MaskStyle,
    key: u64,
    scratch: &mut Vec<[u8; 4]>,
) {
    if coverage.is_empty() {
        return;
    }
    match style {
        MaskStyle::Fill(rgb) => fill(frame, coverage, rgb),
        MaskStyle::Mosaic => noisy_mosaic(frame, coverage, block_size(height), key),
        MaskStyle::Blur => noisy_blur(frame, coverage, block_size(height), key, scratch),
    }
}

/// The noise key of the region at `index` under `seed`, as [`mask_regions`] uses it.
pub fn region_key(seed: u64, index: usize) -> u64 {
    mix(seed, index as u64)
}

/// Writes an opaque colour over every covered pixel.
pub fn fill(frame: &mut FrameMut, coverage: &Coverage, rgb: [u8; 3]) {
    let px = [rgb[0], rgb[1], rgb[2], 255];
    for s in &coverage.spans {
        frame.pixels_mut(s.y, s.x0, s.x1).fill(px);
    }
}

/// The mean RGB of the covered pixels (of every other row: a mean needs no more).
fn mean_colour(frame: &FrameMut, coverage: &Coverage) -> [u8; 3] {
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for s in coverage.spans.iter().step_by(2) {
        let mut row = [0u32; 3];
        for p in frame.pixels(s.y, s.x0, s.x1) {
            row[0] += p[0] as u32;
            row[1] += p[1] as u32;
            row[2] += p[2] as u32;
        }
        for c in 0..3 {
            sum[c] += row[c] as u64;
        }
        n += (s.x1 - s.x0) as u64;
    }
    let n = n.max(1);
    [(sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8]
}

/// The noisy block colours of a coverage: a grid of ⌈w/block⌉ × ⌈h/block⌉ cells over its
/// bounding box, each the region's mean colour shifted by its own random brightness offset.
fn noisy_grid(frame: &FrameMut, coverage: &Coverage, block: u32, key: u64) -> Grid {
    let (x0, y0, x1, y1) = coverage.bounds().expect("a non-empty coverage");
    let mean = mean_colour(frame, coverage);
    let (tw, th) = (
        (x1 - x0).div_ceil(block) as usize,
        (y1 - y0).div_ceil(block) as usize,
    );
    let mut cells = Vec::with_capacity(tw * th);
    for by in 0..th as u32 {
        for bx in 0..tw as u32 {
            let offset = noise(key, bx, by);
            cells.push([
                shift(mean[0], offset),
                shift(mean[1], offset),
                shift(mean[2], offset),
                255,
            ]);
        }
    }
    Grid {
        cells,
        width: tw,
        height: th,
        origin: (x0, y0),
        cell: block as usize,
    }
}

/// Fills the coverage with `block`-sized squares (anchored at its top-left corner) of the
/// region's mean colour, each shifted by its own random brightness offset.
pub fn noisy_mosaic(frame: &mut FrameMut, coverage: &Coverage, block: u32, key: u64) {
    if coverage.is_empty() {
        return;
    }
    let grid = noisy_grid(frame, coverage, block.max(1), key);
    let (ox, oy) = grid.origin;
    let block = grid.cell as u32;
    for s in &coverage.spans {
        let cells = &grid.cells[((s.y - oy) / block) as usize * grid.width..];
        let mut x = s.x0;
        while x < s.x1 {
            let bx = (x - ox) / block;
            let end = (ox + (bx + 1) * block).min(s.x1);
            frame.pixels_mut(s.y, x, end).fill(cells[bx as usize]);
            x = end;
        }
    }
}

/// The blur style for text: the noisy mosaic's block grid, smoothed by three box-blur passes
/// of one cell (so radius `block` pixels) and enlarged bilinearly. The mosaic never needs to be
/// written out first: its block grid is the blur's coarse grid.
pub fn noisy_blur(
    frame: &mut FrameMut,
    coverage: &Coverage,
    block: u32,
    key: u64,
    scratch: &mut Vec<[u8; 4]>,
) {
    if coverage.is_empty() {
        return;
    }
    let mut grid = noisy_grid(frame, coverage, block.max(1), key);
    grid.blur(1, scratch);
    grid.enlarge_into(frame, coverage);
}

#[inline]
fn shift(v: u8, offset: i32) -> u8 {
    (v as i32 + offset).clamp(0, 255) as u8
}

/// A brightness offset in `-MOSAIC_NOISE..=MOSAIC_NOISE` for block `(bx, by)`.
#[inline]
fn noise(key: u64, bx: u32, by: u32) -> i32 {
    let h = mix(key, ((by as u64) << 32) | bx as u64);
    (h % (2 * MOSAIC_NOISE as u64 + 1)) as i32 - MOSAIC_NOISE
}

/// SplitMix64 of `a` combined with `b`: a fast, well-spread hash for the noise field.
#[inline]
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A blur of any pixels (not for text; see the module documentation): three box-blur passes of
/// `radius`, horizontally and vertically, over the coverage's bounding box (edges clamped),
/// written back to covered pixels only.
///
/// Cost does not grow with the radius: the passes run on a grid `k = ⌊radius/2⌋` times coarser
/// (each cell the mean of k×k pixels, blur radius `radius/k`), and the result is brought back
/// to full size by bilinear interpolation, which a blur this wide cannot tell from working at
/// full resolution.
pub fn box_blur_3(
    frame: &mut FrameMut,
    coverage: &Coverage,
    radius: u32,
    scratch: &mut Vec<[u8; 4]>,
) {
    if coverage.is_empty() {
        return;
    }
    let k = (radius / 2).max(1) as usize;
    let mut grid = Grid::downsample(frame, coverage, k);
    grid.blur((radius as usize).div_ceil(k), scratch);
    grid.enlarge_into(frame, coverage);
}

/// A coarse grid over a coverage's bounding box: cell (i, j) stands for the `cell × cell`
/// pixels from `origin + (i, j) × cell`.
struct Grid {
    cells: Vec<[u8; 4]>,
    width: usize,
    height: usize,
    origin: (u32, u32),
    cell: usize,
}

impl Grid {
    /// Each cell the mean of its `k × k` pixels (fewer at the right and bottom edges).
    fn downsample(frame: &FrameMut, coverage: &Coverage, k: usize) -> Grid {
        let (x0, y0, x1, y1) = coverage.bounds().expect("a non-empty coverage");
        let (w, h) = ((x1 - x0) as usize, (y1 - y0) as usize);
        let (tw, th) = (w.div_ceil(k), h.div_ceil(k));
        let mut cells = Vec::with_capacity(tw * th);
        let mut sums = vec![[0u32; 4]; tw];
        for ty in 0..th {
            sums.fill([0; 4]);
            let rows = (ty * k)..((ty + 1) * k).min(h);
            let n_rows = rows.len() as u32;
            for y in rows {
                let row = frame.pixels(y0 + y as u32, x0, x1);
                for (s, cell) in sums.iter_mut().zip(row.chunks(k)) {
                    for p in cell {
                        for c in 0..4 {
                            s[c] += p[c] as u32;
                        }
                    }
                }
            }
            for (tx, s) in sums.iter().enumerate() {
                let n = n_rows * (((tx + 1) * k).min(w) - tx * k) as u32;
                cells.push([0, 1, 2, 3].map(|c| ((s[c] + n / 2) / n) as u8));
            }
        }
        Grid {
            cells,
            width: tw,
            height: th,
            origin: (x0, y0),
            cell: k,
        }
    }

    /// Three horizontal then three vertical box-blur passes of `radius` cells.
    fn blur(&mut self, radius: usize, scratch: &mut Vec<[u8; 4]>) {
        let (w, h) = (self.width, self.height);
        scratch.clear();
        scratch.resize(w * h, [0; 4]);
        let (mut a, mut b) = (&mut self.cells[..], &mut scratch[..]);
        for _ in 0..3 {
            for y in 0..h {
                blur_row(&a[y * w..(y + 1) * w], &mut b[y * w..(y + 1) * w], radius);
            }
            std::mem::swap(&mut a, &mut b);
        }
        // Six swaps: `a` is back on `self.cells`, which holds the last pass.
        let mut sums = vec![[0u32; 4]; w];
        for _ in 0..3 {
            blur_columns(a, b, w, h, radius, &mut sums);
            std::mem::swap(&mut a, &mut b);
        }
    }

    /// Writes the grid enlarged by bilinear interpolation (cell centres at the centres of the
    /// pixel squares they stand for) over the covered pixels, opaque.
    fn enlarge_into(&self, frame: &mut FrameMut, coverage: &Coverage) {
        let Some((x0, _, x1, _)) = coverage.bounds() else {
            return;
        };
        let (tw, th, k) = (self.width, self.height, self.cell as f32);
        // Where an output pixel samples the grid along one axis: the lower cell and the weight
        // (of 256) of the next one.
        let place = |i: u32, n: usize| -> (usize, i32) {
            let s = ((i as f32 + 0.5) / k - 0.5).clamp(0.0, (n - 1) as f32);
            let i0 = (s as usize).min(n.saturating_sub(2));
            let frac = if n == 1 { 0.0 } else { s - i0 as f32 };
            (i0, (frac * 256.0).round() as i32)
        };
        let columns: Vec<(u32, i32)> = (0..x1 - x0)
            .map(|x| place(x, tw))
            .map(|(i, w)| (i as u32, w))
            .collect();
        // One grid row interpolated vertically, in 1/256ths, and each cell's step to the next.
        let mut row = vec![([0i32; 4], [0i32; 4]); tw];
        for s in &coverage.spans {
            let (ty, wy) = place(s.y - self.origin.1, th);
            let next = (ty + 1).min(th - 1);
            let (t0, t1) = (
                &self.cells[ty * tw..(ty + 1) * tw],
                &self.cells[next * tw..(next + 1) * tw],
            );
            for (i, (p0, p1)) in t0.iter().zip(t1).enumerate() {
                row[i].0 = [0, 1, 2, 3].map(|c| p0[c] as i32 * (256 - wy) + p1[c] as i32 * wy);
            }
            for i in 0..tw {
                let right = row[(i + 1).min(tw - 1)].0;
                let left = row[i].0;
                row[i].1 = [0, 1, 2, 3].map(|c| right[c] - left[c]);
            }
            let out = frame.pixels_mut(s.y, s.x0, s.x1);
            let cols = &columns[(s.x0 - x0) as usize..(s.x1 - x0) as usize];
            for (o, &(tx, wx)) in out.iter_mut().zip(cols) {
                let (base, step) = &row[tx as usize];
                let v: [i32; 4] =
                    [0, 1, 2, 3].map(|c| (base[c] + ((step[c] * wx) >> 8) + 128) >> 8);
                *o = [v[0] as u8, v[1] as u8, v[2] as u8, 255];
            }
        }
    }
}

/// `round(2^32 / d)`, to divide window sums by a multiply and a shift.
#[inline]
fn reciprocal(d: usize) -> u64 {
    ((1u64 << 32) + d as u64 / 2) / d as u64
}

#[inline]
fn divide(sum: u32, inv: u64) -> u8 {
    ((sum as u64 * inv + (1 << 31)) >> 32).min(255) as u8
}

/// One horizontal box-blur pass with a running sum, edges clamped.
fn blur_row(src: &[[u8; 4]], dst: &mut [[u8; 4]], r: usize) {
    let n = src.len();
    let inv = reciprocal(2 * r + 1);
    let at = |i: isize| src[i.clamp(0, n as isize - 1) as usize];
    let mut sum = [0u32; 4];
    for i in -(r as isize)..=(r as isize) {
        let p = at(i);
        for c in 0..4 {
            sum[c] += p[c] as u32;
        }
    }
    for x in 0..n {
        for c in 0..4 {
            dst[x][c] = divide(sum[c], inv);
        }
        let (add, sub) = (at(x as isize + r as isize + 1), at(x as isize - r as isize));
        for c in 0..4 {
            sum[c] = sum[c] + add[c] as u32 - sub[c] as u32;
        }
    }
}

/// One vertical box-blur pass over a `w × h` tile, row by row with a sum per column.
fn blur_columns(
    src: &[[u8; 4]],
    dst: &mut [[u8; 4]],
    w: usize,
    h: usize,
    r: usize,
    sums: &mut [[u32; 4]],
) {
    let inv = reciprocal(2 * r + 1);
    let row = |y: isize| {
        let y = y.clamp(0, h as isize - 1) as usize;
        &src[y * w..(y + 1) * w]
    };
    sums.fill([0; 4]);
    for y in -(r as isize)..=(r as isize) {
        for (s, p) in sums.iter_mut().zip(row(y)) {
            for c in 0..4 {
                s[c] += p[c] as u32;
            }
        }
    }
    for y in 0..h {
        let out = &mut dst[y * w..(y + 1) * w];
        for (o, s) in out.iter_mut().zip(sums.iter()) {
            for c in 0..4 {
                o[c] = divide(s[c], inv);
            }
        }
        let (add, sub) = (
            row(y as isize + r as isize + 1),
            row(y as isize - r as isize),
        );
        for ((s, a), b) in sums.iter_mut().zip(add).zip(sub) {
            for c in 0..4 {
                s[c] = s[c] + a[c] as u32 - b[c] as u32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_parse() {
        assert_eq!(
            "fill".parse::<MaskStyle>().unwrap(),
            MaskStyle::Fill([0, 0, 0])
        );
        assert_eq!(
            "fill:#ff8000".parse::<MaskStyle>().unwrap(),
            MaskStyle::Fill([255, 128, 0])
        );
        assert_eq!("blur".parse::<MaskStyle>().unwrap(), MaskStyle::Blur);
        assert!("fill:#ff80".parse::<MaskStyle>().is_err());
        assert!("pixelate".parse::<MaskStyle>().is_err());
    }

    /// A feathered ellipse: solid inside its padded outline, untouched outside the soft edge,
    /// in between a blend that falls from mask to original going outwards.
    #[test]
    fn feathered_ellipse_is_solid_inside_and_fades_outside() {
        let (w, h) = (120u32, 100u32);
        let mut rgba: Vec<u8> = (0..w * h)
            .flat_map(|i| [200, (i % 251) as u8, 100, 255])
            .collect();
        let original = rgba.clone();
        let region = Region::ellipse(60.0, 50.0, 20.0, 25.0, 8.0);
        let (c, inner, outer) = region.feathered_ellipse().unwrap();
        // Padding 0.15 × the smaller diameter (40 px) = 6 px.
        assert!((inner[0] - 26.0).abs() < 1e-4 && (inner[1] - 31.0).abs() < 1e-4);
        assert!((outer[0] - 34.0).abs() < 1e-4 && (outer[1] - 39.0).abs() < 1e-4);
        let mut frame = FrameMut::packed(&mut rgba, w, h).unwrap();
        mask_regions(&mut frame, &[region], MaskStyle::Fill([0, 0, 0]), 1);
        let norm = |x: f64, y: f64, r: [f64; 2]| ((x / r[0]).powi(2) + (y / r[1]).powi(2)).sqrt();
        let (mut blended, mut last_inner) = (0, 0);
        for y in 0..h {
            for x in 0..w {
                let i = ((y * w + x) * 4) as usize;
                let (dx, dy) = (x as f64 + 0.5 - c[0], y as f64 + 0.5 - c[1]);
                let (far_x, far_y) = (dx.abs() + 0.5, dy.abs() + 0.5);
                let px = &rgba[i..i + 4];
                if norm(far_x, far_y, inner) <= 1.0 {
                    assert_eq!(px, [0, 0, 0, 255], "inside at {x},{y}");
                    last_inner += 1;
                } else if norm(dx.abs() - 0.5, dy.abs() - 0.5, outer) >= 1.0 {
                    assert_eq!(px, &original[i..i + 4], "outside at {x},{y}");
                } else if px[0] != 0 && px[0] != 200 {
                    blended += 1;
                    // Red was 200 and fill is 0: a blend lies between.
                    assert!(px[0] < 200);
                }
            }
        }
        assert!(last_inner > 2000, "{last_inner}");
        assert!(blended > 300, "the soft edge blends: {blended}");
        // Going outwards along a row, the red channel only rises (mask fades).
        let row = 50usize;
        let reds: Vec<u8> = (60..w as usize)
            .map(|x| rgba[(row * w as usize + x) * 4])
            .collect();
        assert!(reds.windows(2).all(|p| p[0] <= p[1]), "{reds:?}");
    }

    #[test]
    fn ellipse_regions_parse_from_json() {
        let r = crate::imaging::regions_from_json(
            r#"[{"ellipse": [10, 20, 5, 6], "feather": 3, "style": "blur"}]"#,
        )
        .unwrap();
        assert_eq!(r[0].feather, 3.0);
        assert_eq!(r[0].style, Some(MaskStyle::Blur));
        assert!(crate::imaging::regions_from_json(r#"[{"ellipse": [1, 2, -3, 4]}]"#).is_err());
        assert!(crate::imaging::regions_from_json(
            r#"[{"ellipse": [1, 2, 3, 4], "box": [1, 2, 3, 4]}]"#
        )
        .is_err());
        // A face box: blurred by default, an ellipse through its corners, a soft edge.
        let f = crate::imaging::regions_from_json(r#"[{"face": [10, 20, 40, 50]}]"#).unwrap();
        assert_eq!(f[0].style, Some(MaskStyle::Blur));
        assert!((f[0].feather - 6.0).abs() < 1e-4);
        let (c, inner, _) = f[0].feathered_ellipse().unwrap();
        assert_eq!(c, [30.0, 45.0]);
        // The box's corner (dx 20, dy 25) lies inside the solid part.
        assert!((20.0 / inner[0]).powi(2) + (25.0 / inner[1]).powi(2) < 1.0);
        let styled =
            crate::imaging::regions_from_json(r#"[{"face": [0, 0, 8, 8], "style": "mosaic"}]"#);
        assert_eq!(styled.unwrap()[0].style, Some(MaskStyle::Mosaic));
        assert!(crate::imaging::regions_from_json(
            r#"[{"face": [0, 0, 8, 8], "quad": [[0, 0], [1, 0], [1, 1], [0, 1]]}]"#
        )
        .is_err());
    }

    #[test]
    fn block_size_follows_the_text_rule() {
        assert_eq!(block_size(4.0), 8);
        assert_eq!(block_size(40.0), 20);
        assert_eq!(block_size(41.0), 21);
    }

    #[test]
    fn noise_covers_its_range() {
        let vals: Vec<i32> = (0..10_000).map(|i| noise(7, i, 3)).collect();
        assert_eq!(*vals.iter().min().unwrap(), -MOSAIC_NOISE);
        assert_eq!(*vals.iter().max().unwrap(), MOSAIC_NOISE);
    }
}
