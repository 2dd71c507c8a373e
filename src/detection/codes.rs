//! Finding QR codes and 1-D barcodes in an image, so that they can be masked: personal data
//! encoded in a code is still personal data, whether or not it can be read back.
//!
//! - QR codes are located two ways. A finder-pattern search of our own works at full
//!   resolution and catches small codes: three nested squares whose runs measure 1:1:3:1:1
//!   along rows and columns, arranged in an L, with alternating timing patterns between them.
//!   The `rqrr` crate searches a copy of at most 1024 pixels a side and catches large and
//!   perspective-distorted codes. A code located but not read is read from its module grid
//!   sampled along the finder patterns, else by `rqrr` on an enlarged cut-out; when all
//!   fails it is still reported, without text.
//! - 1-D barcodes: blocks whose brightness changes strongly along one direction and hardly
//!   at all across it are grouped into regions, and each region is checked on its pixels:
//!   a scanline must cross many bars of similar widths, and the same edges must repeat on
//!   the rows above and below for a good part of the code's width. Bars across the image
//!   (vertical bars) and the 90°-turned case are both searched.

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::Serialize;

use crate::detection::ocr::Quad;

/// What kind of code was found.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    Qr,
    Barcode,
}

/// One code and where it is.
#[derive(Clone, Debug, Serialize)]
pub struct FoundCode {
    pub kind: CodeKind,
    /// Corners in image pixels, clockwise from the code's own top-left (a QR code's quad
    /// follows the code when it is turned; a barcode's is upright).
    pub quad: Quad,
    /// The decoded payload, when it could be read (QR codes only).
    pub text: Option<String>,
}

/// Longest side of the working copy: larger images are shrunk by a whole factor first, which
/// bounds time and memory on huge inputs (a code must then be a few hundred pixels wide to be
/// found).
const MAX_WORK_SIDE: usize = 4096;

/// Finds QR codes and 1-D barcodes in an image.
///
/// `rgba`: tightly packed RGBA8 (width*height*4 bytes). A buffer shorter than that, or an
/// empty image, gives no findings; nothing panics on odd sizes.
pub fn find_codes(rgba: &[u8], width: u32, height: u32) -> Vec<FoundCode> {
    let Some((grey, factor)) = Grey::from_rgba(rgba, width, height, MAX_WORK_SIDE) else {
        return Vec::new();
    };
    let mut found = find_qr_codes(&grey);
    let barcodes = find_barcodes(&grey);
    for quad in barcodes {
        let centre = quad_centre(&quad);
        if !found.iter().any(|code| point_in_quad(centre, &code.quad)) {
            found.push(FoundCode {
                kind: CodeKind::Barcode,
                quad,
                text: None,
            });
        }
    }
    if factor > 1 {
        let scale = factor as f32;
        for code in &mut found {
            for corner in &mut code.quad {
                corner[0] *= scale;
                corner[1] *= scale;
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Working image
// ---------------------------------------------------------------------------------------------

/// A greyscale working copy of the input (0 = black, 255 = white).
#[derive(Clone)]
struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

/// Luma (BT.601 weights) of one RGBA pixel composited over white, so that transparent areas
/// read as blank paper rather than as black.
fn luma_over_white(px: &[u8]) -> u32 {
    let y = (77 * px[0] as u32 + 150 * px[1] as u32 + 29 * px[2] as u32) >> 8;
    match px[3] {
        255 => y,
        a => (y * a as u32 + 255 * (255 - a as u32)) / 255,
    }
}

impl Grey {
    /// Converts RGBA to luma, shrinking by a whole factor (box average) when the long side is
    /// over `max_side`. Returns the image and that factor (input pixels per working pixel);
    /// `None` for an empty image or a buffer shorter than `width * height * 4`.
    fn from_rgba(rgba: &[u8], width: u32, height: u32, max_side: usize) -> Option<(Grey, usize)> {
        let (w, h) = (width as usize, height as usize);
        if w == 0 || h == 0 {
            return None;
        }
        let needed = w.checked_mul(h)?.checked_mul(4)?;
        if rgba.len() < needed {
            return None;
        }
        let factor = w.max(h).div_ceil(max_side.max(1)).max(1);
        let (gw, gh) = ((w / factor).max(1), (h / factor).max(1));
        let mut pixels = vec![0u8; gw * gh];
        if factor == 1 {
            for (out, px) in pixels.iter_mut().zip(rgba.chunks_exact(4)) {
                *out = luma_over_white(px) as u8;
            }
        } else {
            let mut sums = vec![0u32; gw];
            for gy in 0..gh {
                sums.fill(0);
                let (y0, y1) = (gy * factor, ((gy + 1) * factor).min(h));
                for y in y0..y1 {
                    let row = &rgba[y * w * 4..(y + 1) * w * 4];
                    for (gx, sum) in sums.iter_mut().enumerate() {
                        let (x0, x1) = (gx * factor, ((gx + 1) * factor).min(w));
                        for px in row[x0 * 4..x1 * 4].chunks_exact(4) {
                            *sum += luma_over_white(px);
                        }
                    }
                }
                for (gx, sum) in sums.iter().enumerate() {
                    let x1 = ((gx + 1) * factor).min(w);
                    let count = ((x1 - gx * factor) * (y1 - y0)).max(1) as u32;
                    pixels[gy * gw + gx] = (sum / count) as u8;
                }
            }
        }
        Some((
            Grey {
                width: gw,
                height: gh,
                pixels,
            },
            factor,
        ))
    }

    fn at(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }

    /// Bilinear sample at a real position (pixel centres at whole numbers), clamped to the
    /// image.
    fn sample(&self, x: f32, y: f32) -> f32 {
        let x = x.clamp(0.0, (self.width - 1) as f32);
        let y = y.clamp(0.0, (self.height - 1) as f32);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let top = self.at(x0, y0) as f32 * (1.0 - fx) + self.at(x1, y0) as f32 * fx;
        let bottom = self.at(x0, y1) as f32 * (1.0 - fx) + self.at(x1, y1) as f32 * fx;
        top * (1.0 - fy) + bottom * fy
    }

    /// This image shrunk by a whole factor (box average), for a coarser search.
    fn shrunk(&self, factor: usize) -> Grey {
        if factor <= 1 {
            return self.clone();
        }
        let (w, h) = ((self.width / factor).max(1), (self.height / factor).max(1));
        let mut pixels = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0u32;
                let mut count = 0u32;
                for yy in y * factor..((y + 1) * factor).min(self.height) {
                    for xx in x * factor..((x + 1) * factor).min(self.width) {
                        sum += self.at(xx, yy) as u32;
                        count += 1;
                    }
                }
                pixels.push((sum / count.max(1)) as u8);
            }
        }
        Grey {
            width: w,
            height: h,
            pixels,
        }
    }

    /// The rectangle `[x0, x1) × [y0, y1)` enlarged `factor` times (bilinear), for a second
    /// look at a code whose modules are only a few pixels wide.
    fn crop_enlarged(&self, x0: usize, y0: usize, x1: usize, y1: usize, factor: usize) -> Grey {
        let (cw, ch) = ((x1 - x0) * factor, (y1 - y0) * factor);
        let k = factor as f32;
        let mut pixels = Vec::with_capacity(cw * ch);
        for y in 0..ch {
            let sy = y0 as f32 + (y as f32 + 0.5) / k - 0.5;
            for x in 0..cw {
                let sx = x0 as f32 + (x as f32 + 0.5) / k - 0.5;
                pixels.push(self.sample(sx, sy).round() as u8);
            }
        }
        Grey {
            width: cw,
            height: ch,
            pixels,
        }
    }
}

/// Dark/light map by a local mean: a pixel is dark when it is clearly darker than the mean
/// of the square window of radius `radius` around it. Works on uneven lighting and on grey
/// photo backgrounds where one global threshold would not.
fn local_dark_mask(grey: &Grey, radius: usize) -> Vec<bool> {
    let (w, h) = (grey.width, grey.height);
    // Horizontal window sums first (fit in u16: at most 129 * 255), then a running vertical
    // sum per column.
    let radius = radius.min(64);
    let mut row_sums = vec![0u16; w * h];
    for y in 0..h {
        let row = &grey.pixels[y * w..(y + 1) * w];
        let out = &mut row_sums[y * w..(y + 1) * w];
        let mut sum: u32 = row[..radius.min(w - 1) + 1].iter().map(|&v| v as u32).sum();
        for x in 0..w {
            out[x] = sum as u16;
            if x + radius + 1 < w {
                sum += row[x + radius + 1] as u32;
            }
            if x >= radius {
                sum -= row[x - radius] as u32;
            }
        }
    }
    let mut col_sums = vec![0u32; w];
    for y in 0..=radius.min(h - 1) {
        for (acc, &v) in col_sums.iter_mut().zip(&row_sums[y * w..(y + 1) * w]) {
            *acc += v as u32;
        }
    }
    // Window widths per column (clamped at the borders).
    let col_count: Vec<u32> = (0..w)
        .map(|x| ((x + radius).min(w - 1) + 1 - x.saturating_sub(radius)) as u32)
        .collect();
    let mut dark = vec![false; w * h];
    for y in 0..h {
        let rows = ((y + radius).min(h - 1) + 1 - y.saturating_sub(radius)) as u32;
        let row = &grey.pixels[y * w..(y + 1) * w];
        let out = &mut dark[y * w..(y + 1) * w];
        for ((out, &v), (&sum, &cols)) in
            out.iter_mut().zip(row).zip(col_sums.iter().zip(&col_count))
        {
            let (v, count) = (v as u32, rows * cols);
            // Darker than the mean (sum / count) by 4 % and by at least 4 levels, so flat
            // noisy areas mostly stay light. Compared without dividing: all products fit in
            // u32.
            *out = (v + 4) * count <= sum && v * 100 * count <= sum * 96;
        }
        if y + radius + 1 < h {
            let add = &row_sums[(y + radius + 1) * w..(y + radius + 2) * w];
            for (acc, &v) in col_sums.iter_mut().zip(add) {
                *acc += v as u32;
            }
        }
        if y >= radius {
            let sub = &row_sums[(y - radius) * w..(y - radius + 1) * w];
            for (acc, &v) in col_sums.iter_mut().zip(sub) {
                *acc -= v as u32;
            }
        }
    }
    dark
}

// ---------------------------------------------------------------------------------------------
// QR codes
// ---------------------------------------------------------------------------------------------

/// Longest side of the copy that `rqrr` searches as a whole: its preparation is the costliest
/// step, and codes with modules under about four pixels are left to the finder search.
const RQRR_WORK_SIDE: usize = 1024;

/// A grid `rqrr` located: its corners, its text when it decoded, and its module size.
struct RqrrGrid {
    quad: Quad,
    text: Option<String>,
    modules: usize,
}

/// Runs `rqrr` on a grey image and returns every grid it located, in that image's pixels. A
/// grid that fails to decode is kept: it must still be masked. `rqrr` has been known to panic
/// on degenerate geometry; natively such a panic is caught and counts as "nothing found" (in
/// a WebAssembly build panics abort).
fn rqrr_grids(grey: &Grey) -> Vec<RqrrGrid> {
    if grey.width < 21 || grey.height < 21 {
        return Vec::new();
    }
    let run = || {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(grey.width, grey.height, |x, y| {
                grey.pixels[y * grey.width + x]
            });
        prepared
            .detect_grids()
            .into_iter()
            .map(|grid| {
                use rqrr::BitGrid;
                RqrrGrid {
                    quad: grid.bounds.map(|p| [p.x as f32, p.y as f32]),
                    text: grid.decode().ok().map(|(_, text)| text),
                    modules: grid.grid.size(),
                }
            })
            .filter(|grid| quad_area(&grid.quad) >= 64.0)
            .collect::<Vec<_>>()
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_default()
}

/// Finds QR codes two ways and merges them: our finder-pattern search at full resolution
/// (small codes) and `rqrr` on a copy of at most [`RQRR_WORK_SIDE`] pixels (large and
/// perspective-distorted codes). A code located but not read is read again: from its module
/// grid sampled along the finder patterns, then by `rqrr` on an enlarged cut-out.
fn find_qr_codes(grey: &Grey) -> Vec<FoundCode> {
    if grey.width < 21 || grey.height < 21 {
        return Vec::new();
    }
    let radius = (grey.width.min(grey.height) / 20).clamp(8, 64);
    let dark = local_dark_mask(grey, radius);
    let finders = scan_finder_patterns(&dark, grey.width, grey.height);
    let mut located = group_finders(&finders, &dark, grey.width, grey.height);

    let factor = grey.width.max(grey.height).div_ceil(RQRR_WORK_SIDE).max(1);
    let k = factor as f32;
    let mut found = Vec::new();
    for grid in rqrr_grids(&grey.shrunk(factor)) {
        let mut quad = grid.quad.map(|p| [p[0] * k, p[1] * k]);
        let mut text = grid.text;
        // The finder search may have located the same code. A grid `rqrr` could not read
        // may be fitted badly: the finder outline is then the better one, and reading the
        // code along its finders may succeed.
        if let Some(i) = located
            .iter()
            .position(|code| point_in_quad(quad_centre(&code.quad), &quad))
        {
            let code = located.swap_remove(i);
            if text.is_none() {
                quad = code.quad;
                text = sample_and_decode(grey, &code);
            }
        }
        if text.is_none() {
            let side = (0..4)
                .map(|i| distance(quad[i], quad[(i + 1) % 4]))
                .sum::<f32>()
                / 4.0;
            let module = side / grid.modules.max(21) as f32;
            text = enlarged_look(grey, &quad, module).and_then(|(_, text)| text);
        }
        found.push(FoundCode {
            kind: CodeKind::Qr,
            quad,
            text,
        });
    }
    for code in located {
        let centre = quad_centre(&code.quad);
        if found.iter().any(|f| point_in_quad(centre, &f.quad)) {
            continue;
        }
        let (quad, text) = match sample_and_decode(grey, &code) {
            Some(text) => (code.quad, Some(text)),
            None => enlarged_look(grey, &code.quad, code.module).unwrap_or((code.quad, None)),
        };
        found.push(FoundCode {
            kind: CodeKind::Qr,
            quad,
            text,
        });
    }
    found
}

fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// A finder pattern (one of the three big nested squares of a QR code).
#[derive(Clone, Copy, Debug)]
struct Finder {
    x: f32,
    y: f32,
    /// Estimated module size in pixels.
    module: f32,
    /// How many scanlines confirmed it.
    hits: u32,
}

/// Checks five run lengths (dark, light, dark, light, dark) against the finder pattern's
/// 1:1:3:1:1 and returns the module size when they fit. The tolerance is generous (over half
/// a module plus rounding; the centre must still be clearly the widest run) because small
/// codes are blurred, and the rest of the search checks the geometry strictly.
fn finder_ratio(runs: [usize; 5]) -> Option<f32> {
    let total: usize = runs.iter().sum();
    if total < 7 {
        return None;
    }
    let m = total as f32 / 7.0;
    let one = |r: usize| (r as f32 - m).abs() <= 0.6 * m + 0.75;
    let widest_other = runs[0].max(runs[1]).max(runs[3]).max(runs[4]);
    let three =
        (runs[2] as f32 - 3.0 * m).abs() <= 0.9 * m + 0.75 && 2 * runs[2] >= 3 * widest_other;
    (one(runs[0]) && one(runs[1]) && three && one(runs[3]) && one(runs[4])).then_some(m)
}

/// Measures the five runs through `(x, y)` along one axis (`vertical` or horizontal), with
/// `(x, y)` inside the centre dark block. Returns the runs and the centre of the middle run
/// along that axis; `None` when the line leaves the image or a run exceeds `max_run`.
fn runs_through(
    dark: &[bool],
    w: usize,
    h: usize,
    x: usize,
    y: usize,
    vertical: bool,
    max_run: usize,
) -> Option<([usize; 5], f32)> {
    let len = if vertical { h } else { w };
    let pos = if vertical { y } else { x };
    let at = |i: usize| {
        if vertical {
            dark[i * w + x]
        } else {
            dark[y * w + i]
        }
    };
    if !at(pos) {
        return None;
    }
    // Walks from `pos` in one direction through dark, light, dark; returns the three run
    // lengths (the first one counts `pos` itself).
    let walk = |forward: bool| -> Option<[usize; 3]> {
        let mut runs = [0usize; 3];
        let mut i = pos as isize;
        for (k, run) in runs.iter_mut().enumerate() {
            let want_dark = k != 1;
            while i >= 0 && (i as usize) < len && at(i as usize) == want_dark {
                *run += 1;
                if *run > max_run {
                    return None;
                }
                i += if forward { 1 } else { -1 };
            }
            if i < 0 || i as usize >= len || *run == 0 {
                return None;
            }
        }
        Some(runs)
    };
    let back = walk(false)?;
    let ahead = walk(true)?;
    let centre_len = back[0] + ahead[0] - 1;
    let centre_start = pos + 1 - back[0];
    let runs = [back[2], back[1], centre_len, ahead[1], ahead[2]];
    Some((runs, centre_start as f32 + centre_len as f32 / 2.0))
}

/// Scans every row of the dark map for 1:1:3:1:1 runs, confirms each hit on the column
/// through it and again on the row through the refined centre, and clusters the hits into
/// finder patterns (keeping those confirmed by enough rows for their size).
fn scan_finder_patterns(dark: &[bool], w: usize, h: usize) -> Vec<Finder> {
    /// Hits on one finder pattern: sums of centre x, y and module size, their count, and the
    /// last scanline that added one.
    struct Cluster {
        x: f32,
        y: f32,
        module: f32,
        hits: u32,
        last_row: usize,
    }
    // Clusters still reachable from the current scanline, and those left behind (kept apart
    // so that matching a hit stays cheap on busy images).
    let mut active: Vec<Cluster> = Vec::new();
    let mut done: Vec<Cluster> = Vec::new();
    let mut runs: Vec<(usize, usize, bool)> = Vec::new(); // start, length, dark
    for y in 0..h {
        let mut k = 0;
        while k < active.len() {
            let c = &active[k];
            if c.last_row + (4.0 * c.module / c.hits as f32) as usize + 3 < y {
                done.push(active.swap_remove(k));
            } else {
                k += 1;
            }
        }
        runs.clear();
        let row = &dark[y * w..(y + 1) * w];
        let mut start = 0;
        for x in 1..=w {
            if x == w || row[x] != row[start] {
                runs.push((start, x - start, row[start]));
                start = x;
            }
        }
        if runs.len() < 5 {
            continue;
        }
        for i in 0..runs.len() - 4 {
            if !runs[i].2 {
                continue;
            }
            let five = [
                runs[i].1,
                runs[i + 1].1,
                runs[i + 2].1,
                runs[i + 3].1,
                runs[i + 4].1,
            ];
            let Some(m) = finder_ratio(five) else {
                continue;
            };
            let total_h = five.iter().sum::<usize>();
            let cx = runs[i + 2].0 + runs[i + 2].1 / 2;
            let max_run = total_h * 2;
            let Some((vruns, cy)) = runs_through(dark, w, h, cx, y, true, max_run) else {
                continue;
            };
            let total_v: usize = vruns.iter().sum();
            if finder_ratio(vruns).is_none()
                || (total_v as f32) < total_h as f32 * 0.6
                || (total_v as f32) > total_h as f32 * 1.6
            {
                continue;
            }
            let cy_px = (cy as usize).min(h - 1);
            let Some((hruns, cx2)) = runs_through(dark, w, h, cx, cy_px, false, max_run) else {
                continue;
            };
            if finder_ratio(hruns).is_none() {
                continue;
            }
            let module = (hruns.iter().sum::<usize>() + total_v) as f32 / 14.0;
            let (fx, fy) = (cx2, cy);
            match active.iter_mut().find(|c| {
                let n = c.hits as f32;
                let (ux, uy, um) = (c.x / n, c.y / n, c.module / n);
                (ux - fx).abs() < 2.0 * um.max(m)
                    && (uy - fy).abs() < 2.0 * um.max(m)
                    && module / um < 1.6
                    && um / module < 1.6
            }) {
                Some(c) => {
                    c.x += fx;
                    c.y += fy;
                    c.module += module;
                    c.hits += 1;
                    c.last_row = y;
                }
                None => active.push(Cluster {
                    x: fx,
                    y: fy,
                    module,
                    hits: 1,
                    last_row: y,
                }),
            }
        }
    }
    // A real finder's centre block is three modules tall, so most of its rows confirm it;
    // patterns that only a couple of rows agree on are chance (noise, text).
    done.extend(active);
    done.into_iter()
        .filter_map(|c| {
            let n = c.hits as f32;
            let module = c.module / n;
            (c.hits >= 2 && n >= 1.2 * module).then_some(Finder {
                x: c.x / n,
                y: c.y / n,
                module,
                hits: c.hits,
            })
        })
        .collect()
}

/// A QR code located by its three finder patterns (positions in pixel-edge coordinates:
/// pixel `i` spans `[i, i + 1)`).
#[derive(Clone, Debug)]
struct FinderCode {
    quad: Quad,
    /// Module size along the code's edges, in pixels.
    module: f32,
    /// Modules per side (21 for version 1, 4 more per version).
    size: usize,
    /// Centre of the top-left finder pattern.
    origin: [f32; 2],
    /// One module to the right and one module down, in the code's own orientation.
    step_right: [f32; 2],
    step_down: [f32; 2],
}

impl FinderCode {
    /// Where the centre of module `(col, row)` lies in the image.
    fn module_centre(&self, col: usize, row: usize) -> [f32; 2] {
        let (u, v) = (col as f32 - 3.0, row as f32 - 3.0);
        [
            self.origin[0] + u * self.step_right[0] + v * self.step_down[0],
            self.origin[1] + u * self.step_right[1] + v * self.step_down[1],
        ]
    }
}

/// Picks triples of finder patterns that form a QR code's L (the corner one equally far from
/// the other two, at a right angle, at a plausible number of modules) and whose timing
/// patterns alternate as they should. Returns each code's outline.
fn group_finders(finders: &[Finder], dark: &[bool], w: usize, h: usize) -> Vec<FinderCode> {
    let mut finders = finders.to_vec();
    finders.sort_by_key(|f| std::cmp::Reverse(f.hits));
    finders.truncate(120);
    let n = finders.len();
    // Possible partners of each finder: similar module size, at a distance a code can span
    // (from 11 modules; runs overestimate modules by up to √2 when the code is turned).
    let partners: Vec<Vec<usize>> = (0..n)
        .map(|b| {
            let fb = finders[b];
            (0..n)
                .filter(|&a| {
                    let fa = finders[a];
                    let ratio = fa.module / fb.module;
                    let d = (fa.x - fb.x).hypot(fa.y - fb.y) / fa.module.max(fb.module);
                    a != b && (0.625..=1.6).contains(&ratio) && (7.5..=200.0).contains(&d)
                })
                .collect()
        })
        .collect();
    let mut candidates: Vec<(f32, usize, usize, usize, FinderCode)> = Vec::new();
    for b in 0..n {
        for (i, &a) in partners[b].iter().enumerate() {
            for &c in &partners[b][i + 1..] {
                let (fa, fb, fc) = (finders[a], finders[b], finders[c]);
                let modules = [fa.module, fb.module, fc.module];
                let (lo, hi) = modules
                    .iter()
                    .fold((f32::MAX, 0.0f32), |(lo, hi), &m| (lo.min(m), hi.max(m)));
                if hi / lo > 1.6 {
                    continue;
                }
                let (ux, uy) = (fa.x - fb.x, fa.y - fb.y);
                // Runs were measured along rows and columns: through a square turned by t
                // (folded into 0°..45°) they are 1 / cos(t) times longer than straight across.
                let turn = (ux.abs().min(uy.abs()) / ux.abs().max(uy.abs()).max(1e-6)).atan();
                let m = (fa.module + fb.module + fc.module) / 3.0 * turn.cos();
                let (vx, vy) = (fc.x - fb.x, fc.y - fb.y);
                let (du, dv) = ((ux * ux + uy * uy).sqrt(), (vx * vx + vy * vy).sqrt());
                if du.min(dv) / du.max(dv) < 0.8 {
                    continue;
                }
                let cos = (ux * vx + uy * vy) / (du * dv);
                let span = (du + dv) / 2.0 / m;
                if cos.abs() > 0.25 || !(11.0..=190.0).contains(&span) {
                    continue;
                }
                // In image coordinates (y down) a code's right-hand finder comes first
                // clockwise; swap so that `top_right` is that one.
                let (top_right, bottom_left) = if ux * vy - uy * vx > 0.0 {
                    (fa, fc)
                } else {
                    (fc, fa)
                };
                if let Some(code) = check_timing(fb, top_right, bottom_left, m, dark, w, h) {
                    let quality = cos.abs() + (1.0 - du.min(dv) / du.max(dv));
                    candidates.push((quality, a, b, c, code));
                }
            }
        }
    }
    candidates.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut used = vec![false; n];
    let mut codes = Vec::new();
    for (_, a, b, c, code) in candidates {
        if used[a] || used[b] || used[c] {
            continue;
        }
        used[a] = true;
        used[b] = true;
        used[c] = true;
        codes.push(code);
    }
    codes
}

/// Reads the two timing patterns (the alternating rows of modules between the finder
/// patterns, three modules in from their centres) for the code sizes near the one the
/// finders' distance suggests. Returns the code's outline when one size matches well.
fn check_timing(
    top_left: Finder,
    top_right: Finder,
    bottom_left: Finder,
    module: f32,
    dark: &[bool],
    w: usize,
    h: usize,
) -> Option<FinderCode> {
    let dist = |a: Finder, b: Finder| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
    let span = (dist(top_left, top_right) + dist(top_left, bottom_left)) / 2.0;
    let estimate = span / module + 7.0;
    let version = ((estimate - 17.0) / 4.0).round() as i32;
    let dark_at = |x: f32, y: f32| -> Option<bool> {
        let (xi, yi) = (x.floor(), y.floor());
        if xi < 0.0 || yi < 0.0 || xi >= w as f32 || yi >= h as f32 {
            return None;
        }
        Some(dark[yi as usize * w + xi as usize])
    };
    let mut best: Option<(f32, usize)> = None;
    for v in (version - 1)..=(version + 1) {
        if !(1..=40).contains(&v) {
            continue;
        }
        let size = 17 + 4 * v as usize;
        let steps = (size - 7) as f32;
        let mu = [
            (top_right.x - top_left.x) / steps,
            (top_right.y - top_left.y) / steps,
        ];
        let mv = [
            (bottom_left.x - top_left.x) / steps,
            (bottom_left.y - top_left.y) / steps,
        ];
        let mut matched = [0usize; 2];
        let mut total = 0usize;
        // Module k (7 ..= size - 8) of row 6 and of column 6: separators at both ends are
        // light, the timing modules between alternate starting dark.
        for k in 7..=(size - 8) {
            let expect_dark = k % 2 == 0 && k != 7 && k != size - 8;
            let t = k as f32 + 0.5 - 3.5;
            let row = [
                top_left.x + t * mu[0] + 3.0 * mv[0],
                top_left.y + t * mu[1] + 3.0 * mv[1],
            ];
            let col = [
                top_left.x + t * mv[0] + 3.0 * mu[0],
                top_left.y + t * mv[1] + 3.0 * mu[1],
            ];
            total += 1;
            for (i, p) in [row, col].iter().enumerate() {
                if dark_at(p[0], p[1]) == Some(expect_dark) {
                    matched[i] += 1;
                }
            }
        }
        let worst = matched[0].min(matched[1]) as f32 / total as f32;
        let mean = (matched[0] + matched[1]) as f32 / (2 * total) as f32;
        if worst >= 0.6 && mean >= 0.7 && best.is_none_or(|(s, _)| mean > s) {
            best = Some((mean, size));
        }
    }
    let (_, size) = best?;
    let steps = (size - 7) as f32;
    let mu = [
        (top_right.x - top_left.x) / steps,
        (top_right.y - top_left.y) / steps,
    ];
    let mv = [
        (bottom_left.x - top_left.x) / steps,
        (bottom_left.y - top_left.y) / steps,
    ];
    // Finder centres sit 3.5 modules in from the code's outer corners.
    let corner = |base: Finder, su: f32, sv: f32| {
        [
            base.x + su * mu[0] + sv * mv[0],
            base.y + su * mu[1] + sv * mv[1],
        ]
    };
    let far = Finder {
        x: top_right.x + bottom_left.x - top_left.x,
        y: top_right.y + bottom_left.y - top_left.y,
        ..top_left
    };
    let quad = [
        corner(top_left, -3.5, -3.5),
        corner(top_right, 3.5, -3.5),
        corner(far, 3.5, 3.5),
        corner(bottom_left, -3.5, 3.5),
    ];
    let module = (mu[0].hypot(mu[1]) + mv[0].hypot(mv[1])) / 2.0;
    Some(FinderCode {
        quad,
        module,
        size,
        origin: [top_left.x, top_left.y],
        step_right: mu,
        step_down: mv,
    })
}

/// Reads a code located by its finder patterns straight from the image: samples every
/// module centre (bilinear), thresholds halfway between the finders' dark cores and light
/// rings, and hands the bits to `rqrr`'s decoder, trying a few thresholds and the mirrored
/// reading. Works where the code is small and upright or turned, not under strong
/// perspective.
fn sample_and_decode(grey: &Grey, code: &FinderCode) -> Option<String> {
    let n = code.size;
    // Pixel-edge coordinates to `sample`'s pixel-centre ones.
    let value = |col: usize, row: usize| {
        let p = code.module_centre(col, row);
        grey.sample(p[0] - 0.5, p[1] - 0.5)
    };
    let corners = [(0, 0), (n - 7, 0), (0, n - 7)];
    let (mut dark, mut light, mut nd, mut nl) = (0.0, 0.0, 0.0, 0.0);
    for (c0, r0) in corners {
        for r in 0..7 {
            for c in 0..7 {
                let ring = (c as i32 - 3).abs().max((r as i32 - 3).abs());
                match ring {
                    0 | 1 => {
                        dark += value(c0 + c, r0 + r);
                        nd += 1.0;
                    }
                    2 => {
                        light += value(c0 + c, r0 + r);
                        nl += 1.0;
                    }
                    _ => {}
                }
            }
        }
    }
    let (dark, light) = (dark / nd, light / nl);
    if light - dark < 20.0 {
        return None;
    }
    let values: Vec<f32> = (0..n * n).map(|i| value(i % n, i / n)).collect();
    let attempt = || {
        for fraction in [0.5, 0.4, 0.6] {
            let threshold = dark + fraction * (light - dark);
            let grid = rqrr::SimpleGrid::from_func(n, |x, y| values[y * n + x] < threshold);
            if let Ok((_, text)) = rqrr::Grid::new(grid).decode() {
                return Some(text);
            }
            let mirrored = rqrr::SimpleGrid::from_func(n, |x, y| values[x * n + y] < threshold);
            if let Ok((_, text)) = rqrr::Grid::new(mirrored).decode() {
                return Some(text);
            }
        }
        None
    };
    catch_unwind(AssertUnwindSafe(attempt)).ok().flatten()
}

/// Cuts out the area of a located code (with its quiet zone), enlarges it so that modules are
/// about eight pixels wide and lets `rqrr` look again. Returns what `rqrr` found there, mapped
/// back to the image, when it covers the code's centre.
fn enlarged_look(grey: &Grey, quad: &Quad, module: f32) -> Option<(Quad, Option<String>)> {
    let margin = 5.0 * module;
    let xs = quad.map(|p| p[0]);
    let ys = quad.map(|p| p[1]);
    let min = |v: [f32; 4]| v.iter().copied().fold(f32::MAX, f32::min);
    let max = |v: [f32; 4]| v.iter().copied().fold(f32::MIN, f32::max);
    let x0 = (min(xs) - margin).max(0.0) as usize;
    let y0 = (min(ys) - margin).max(0.0) as usize;
    let x1 = ((max(xs) + margin).ceil().max(0.0) as usize).min(grey.width);
    let y1 = ((max(ys) + margin).ceil().max(0.0) as usize).min(grey.height);
    let factor = (8.0 / module.max(0.5)).round().clamp(1.0, 4.0) as usize;
    if x1 < x0 + 8 || y1 < y0 + 8 || (x1 - x0) * (y1 - y0) * factor * factor > 4_000_000 {
        return None;
    }
    let crop = grey.crop_enlarged(x0, y0, x1, y1, factor);
    let centre = quad_centre(quad);
    let k = factor as f32;
    rqrr_grids(&crop)
        .into_iter()
        .map(|grid| {
            let quad = grid.quad.map(|p| {
                [
                    x0 as f32 + (p[0] + 0.5) / k - 0.5,
                    y0 as f32 + (p[1] + 0.5) / k - 0.5,
                ]
            });
            (quad, grid.text)
        })
        .find(|(quad, _)| point_in_quad(centre, quad))
}

// ---------------------------------------------------------------------------------------------
// 1-D barcodes
// ---------------------------------------------------------------------------------------------

/// Side of the blocks whose gradient energy is measured.
const CELL: usize = 8;

/// The image seen with one axis running across a barcode's bars (`u`) and the other along
/// them (`v`): for vertical bars `u` is x; for horizontal bars the image is read transposed.
#[derive(Clone, Copy)]
struct BarView<'a> {
    grey: &'a Grey,
    transposed: bool,
}

impl BarView<'_> {
    fn across_len(&self) -> usize {
        if self.transposed {
            self.grey.height
        } else {
            self.grey.width
        }
    }

    fn along_len(&self) -> usize {
        if self.transposed {
            self.grey.width
        } else {
            self.grey.height
        }
    }

    fn at(&self, u: usize, v: usize) -> u8 {
        if self.transposed {
            self.grey.at(v, u)
        } else {
            self.grey.at(u, v)
        }
    }

    /// The upright image rectangle for `u0..=u1` across and `v0..=v1` along the bars.
    fn quad(&self, u0: usize, u1: usize, v0: usize, v1: usize) -> Quad {
        let (x0, x1, y0, y1) = if self.transposed {
            (v0, v1, u0, u1)
        } else {
            (u0, u1, v0, v1)
        };
        let (x0, y0, x1, y1) = (x0 as f32, y0 as f32, x1 as f32 + 1.0, y1 as f32 + 1.0);
        [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    }
}

/// Finds 1-D barcodes with vertical or horizontal bars; returns upright quads.
fn find_barcodes(grey: &Grey) -> Vec<Quad> {
    let (cw, ch) = (grey.width / CELL, grey.height / CELL);
    if cw < 4 || ch < 2 {
        return Vec::new();
    }
    // Gradient energy per cell: forward differences, so that one-pixel-wide bars count.
    let mut ex = vec![0u32; cw * ch];
    let mut ey = vec![0u32; cw * ch];
    let w = grey.width;
    for y in 0..ch * CELL {
        let row = &grey.pixels[y * w..(y + 1) * w];
        let below = (y + 1 < grey.height).then(|| &grey.pixels[(y + 1) * w..(y + 2) * w]);
        let base = (y / CELL) * cw;
        for cx in 0..cw {
            let (mut sx, mut sy) = (0u32, 0u32);
            for x in cx * CELL..(cx + 1) * CELL {
                let v = row[x] as i32;
                if x + 1 < w {
                    sx += (row[x + 1] as i32 - v).unsigned_abs();
                }
                if let Some(below) = below {
                    sy += (below[x] as i32 - v).unsigned_abs();
                }
            }
            ex[base + cx] += sx;
            ey[base + cx] += sy;
        }
    }
    let ex = box3(&ex, cw, ch);
    let ey = box3(&ey, cw, ch);
    let window_px = (9 * CELL * CELL) as u32;
    let mut found: Vec<Quad> = Vec::new();
    for transposed in [false, true] {
        // Cells where the change across the bars dominates.
        let candidate: Vec<bool> = (0..cw * ch)
            .map(|i| {
                let (across, along) = if transposed {
                    (ey[i], ex[i])
                } else {
                    (ex[i], ey[i])
                };
                across >= 8 * window_px && across >= 3 * along
            })
            .collect();
        let view = BarView { grey, transposed };
        for (c0, r0, c1, r1) in cell_components(&candidate, cw, ch) {
            // The component in the view's (u across, v along) pixel coordinates.
            let (u0, u1, v0, v1) = if transposed {
                (r0 * CELL, (r1 + 1) * CELL, c0 * CELL, (c1 + 1) * CELL)
            } else {
                (c0 * CELL, (c1 + 1) * CELL, r0 * CELL, (r1 + 1) * CELL)
            };
            if u1 - u0 < 4 * CELL {
                continue;
            }
            // Two cells of room across the bars: the ends of a code can fall short of the
            // energy threshold.
            let (u0, u1) = (
                u0.saturating_sub(2 * CELL),
                (u1 + 2 * CELL).min(view.across_len()),
            );
            if let Some(quad) = verify_barcode(view, u0, u1, v0, v1.min(view.along_len())) {
                merge_rect(&mut found, quad);
            }
        }
    }
    found
}

/// Sum over each cell's 3×3 neighbourhood (clamped at the borders), so that a block between
/// two wide bars still sees them.
fn box3(values: &[u32], cw: usize, ch: usize) -> Vec<u32> {
    let mut rows = vec![0u32; cw * ch];
    for y in 0..ch {
        for x in 0..cw {
            let lo = x.saturating_sub(1);
            let hi = (x + 1).min(cw - 1);
            rows[y * cw + x] = values[y * cw + lo..=y * cw + hi].iter().sum();
        }
    }
    let mut out = vec![0u32; cw * ch];
    for y in 0..ch {
        for x in 0..cw {
            let lo = y.saturating_sub(1);
            let hi = (y + 1).min(ch - 1);
            out[y * cw + x] = (lo..=hi).map(|yy| rows[yy * cw + x]).sum();
        }
    }
    out
}

/// Bounding boxes `(col0, row0, col1, row1)` of the 8-connected groups of true cells, the
/// largest 200 first.
fn cell_components(cells: &[bool], cw: usize, ch: usize) -> Vec<(usize, usize, usize, usize)> {
    let mut boxes = crate::geometry::blobs(cells, cw, ch, true);
    boxes.sort_by_key(|b| std::cmp::Reverse(b.cells));
    boxes
        .into_iter()
        .take(200)
        .map(|b| (b.x0, b.y0, b.x1, b.y1))
        .collect()
}

/// A transition along a scanline: position (the first pixel of the new run) and whether it
/// goes from light to dark.
type Edge = (usize, bool);

/// Transitions of one scanline `v` between `u0` and `u1` (exclusive), dark meaning below
/// `threshold`.
fn scanline_edges(
    view: BarView,
    v: usize,
    u0: usize,
    u1: usize,
    threshold: u8,
    out: &mut Vec<Edge>,
) {
    out.clear();
    if u1 <= u0 + 1 {
        return;
    }
    let mut prev = view.at(u0, v) < threshold;
    for u in u0 + 1..u1 {
        let cur = view.at(u, v) < threshold;
        if cur != prev {
            out.push((u, cur));
            prev = cur;
        }
    }
}

/// The longest stretch of a scanline that looks like bars: runs between `edges` are split
/// wherever one is over five times the median run (a quiet zone or a gap between words),
/// and the stretch with most bars is kept. Returns `(first edge, last edge)` indices into
/// `edges`, from the first light-to-dark to the last dark-to-light transition.
fn bar_stretch(edges: &[Edge]) -> Option<(usize, usize)> {
    if edges.len() < 24 {
        return None;
    }
    let mut widths: Vec<usize> = edges.windows(2).map(|p| p[1].0 - p[0].0).collect();
    widths.sort_unstable();
    let median = widths[widths.len() / 2].max(1);
    let limit = 5 * median;
    let mut best: Option<(usize, usize)> = None;
    let mut start = 0;
    for i in 1..=edges.len() {
        if i == edges.len() || edges[i].0 - edges[i - 1].0 > limit {
            // The stretch edges[start..i]: trim to begin on a bar's left edge and end on a
            // bar's right edge.
            let mut first = start;
            while first < i && !edges[first].1 {
                first += 1;
            }
            let mut last = i - 1;
            while last > first && edges[last].1 {
                last -= 1;
            }
            if last > first && best.is_none_or(|(f, l)| last - first > l - f) {
                best = Some((first, last));
            }
            start = i;
        }
    }
    best
}

/// Fraction of `reference` edges that reappear (same direction, within `tolerance` pixels)
/// in `edges`; edges in excess of the reference count against the match (noise or text).
fn edge_agreement(reference: &[Edge], edges: &[Edge], tolerance: usize) -> f32 {
    if reference.is_empty() {
        return 0.0;
    }
    let mut matched = 0usize;
    let mut j = 0usize;
    for &(pos, rising) in reference {
        while j < edges.len() && edges[j].0 + tolerance < pos {
            j += 1;
        }
        let mut k = j;
        while k < edges.len() && edges[k].0 <= pos + tolerance {
            if edges[k].1 == rising {
                matched += 1;
                break;
            }
            k += 1;
        }
    }
    let excess = edges
        .len()
        .saturating_sub(reference.len() + reference.len() / 4);
    (matched.saturating_sub(excess)) as f32 / reference.len() as f32
}

/// Checks a candidate region on its pixels and returns the barcode's upright quad: some
/// scanline must cross at least 12 bars of similar widths (widest run at most eight times the
/// narrowest), and those edges must repeat on neighbouring scanlines over a height of at
/// least 12 pixels and 15 % of the width. Text fails the repetition, ruled tables the widths.
fn verify_barcode(view: BarView, u0: usize, u1: usize, v0: usize, v1: usize) -> Option<Quad> {
    if u1 <= u0 + 8 || v1 <= v0 {
        return None;
    }
    // A threshold halfway between the region's dark and light levels.
    let mut histogram = [0u32; 256];
    let mut count = 0u32;
    for v in (v0..v1).step_by(2) {
        for u in u0..u1 {
            histogram[view.at(u, v) as usize] += 1;
            count += 1;
        }
    }
    let percentile = |p: f32| {
        let target = (count as f32 * p) as u32;
        let mut acc = 0;
        for (level, &n) in histogram.iter().enumerate() {
            acc += n;
            if acc > target {
                return level as u8;
            }
        }
        255
    };
    let (low, high) = (percentile(0.05), percentile(0.95));
    if high < low.saturating_add(40) {
        return None;
    }
    let threshold = ((low as u16 + high as u16) / 2) as u8;
    let mut best: Option<(usize, Quad)> = None;
    let mut reference = Vec::new();
    let mut row = Vec::new();
    for k in 1..=3 {
        let v_ref = v0 + (v1 - v0) * k / 4;
        scanline_edges(view, v_ref, u0, u1, threshold, &mut reference);
        let Some((first, last)) = bar_stretch(&reference) else {
            continue;
        };
        let stretch = &reference[first..=last];
        let mut runs: Vec<usize> = stretch.windows(2).map(|p| p[1].0 - p[0].0).collect();
        if runs.len() < 23 {
            continue;
        }
        runs.sort_unstable();
        let (narrow, wide) = (
            runs[runs.len() / 20].max(1),
            runs[runs.len() - 1 - runs.len() / 20],
        );
        if wide > 8 * narrow {
            continue;
        }
        let (s0, s1) = (stretch[0].0, stretch[stretch.len() - 1].0);
        let tolerance = (narrow / 2).max(1);
        let scan = (s0.saturating_sub(2), (s1 + 3).min(view.across_len()));
        // Walk away from the reference row in both directions while the edges repeat,
        // forgiving up to two bad rows in a row (noise, a scratch).
        let mut extent = [v_ref, v_ref];
        let mut good_rows = 1usize;
        for (side, step) in [(0usize, -1isize), (1, 1)] {
            let mut v = v_ref as isize;
            let mut misses = 0;
            loop {
                v += step;
                if v < 0 || v as usize >= view.along_len() {
                    break;
                }
                scanline_edges(view, v as usize, scan.0, scan.1, threshold, &mut row);
                if edge_agreement(stretch, &row, tolerance) >= 0.8 {
                    extent[side] = v as usize;
                    good_rows += 1;
                    misses = 0;
                } else {
                    misses += 1;
                    if misses > 2 {
                        break;
                    }
                }
            }
        }
        let height = extent[1] - extent[0] + 1;
        let width = s1 - s0;
        if height < 12 || (height as f32) < 0.15 * width as f32 || good_rows * 10 < height * 8 {
            continue;
        }
        let area = height * width;
        if best.as_ref().is_none_or(|(a, _)| area > *a) {
            best = Some((area, view.quad(s0, s1 - 1, extent[0], extent[1])));
        }
    }
    best.map(|(_, quad)| quad)
}

/// Adds an upright rectangle to the list, merging it with one it overlaps (the same barcode
/// seen from two candidate regions).
fn merge_rect(rects: &mut Vec<Quad>, quad: Quad) {
    let bounds = |q: &Quad| (q[0][0], q[0][1], q[2][0], q[2][1]);
    let (ax0, ay0, ax1, ay1) = bounds(&quad);
    for existing in rects.iter_mut() {
        let (bx0, by0, bx1, by1) = bounds(existing);
        let ix = (ax1.min(bx1) - ax0.max(bx0)).max(0.0);
        let iy = (ay1.min(by1) - ay0.max(by0)).max(0.0);
        let smaller = ((ax1 - ax0) * (ay1 - ay0)).min((bx1 - bx0) * (by1 - by0));
        if ix * iy > 0.3 * smaller {
            let (x0, y0) = (ax0.min(bx0), ay0.min(by0));
            let (x1, y1) = (ax1.max(bx1), ay1.max(by1));
            *existing = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
            return;
        }
    }
    rects.push(quad);
}

// ---------------------------------------------------------------------------------------------
// Quad helpers
// ---------------------------------------------------------------------------------------------

fn quad_centre(quad: &Quad) -> [f32; 2] {
    let sx: f32 = quad.iter().map(|p| p[0]).sum();
    let sy: f32 = quad.iter().map(|p| p[1]).sum();
    [sx / 4.0, sy / 4.0]
}

/// Area of a quad (shoelace formula), whichever way round its corners go.
fn quad_area(quad: &Quad) -> f32 {
    let mut twice = 0.0;
    for i in 0..4 {
        let (a, b) = (quad[i], quad[(i + 1) % 4]);
        twice += a[0] * b[1] - b[0] * a[1];
    }
    twice.abs() / 2.0
}

/// Whether a point lies inside a convex quad, whichever way round its corners go.
pub(crate) fn point_in_quad(p: [f32; 2], quad: &Quad) -> bool {
    let mut sign = 0.0f32;
    for i in 0..4 {
        let (a, b) = (quad[i], quad[(i + 1) % 4]);
        let cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
        if cross != 0.0 {
            if sign != 0.0 && cross.signum() != sign {
                return false;
            }
            sign = cross.signum();
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::detection::test_images::{iou, Canvas, Rng};

    fn find(canvas: &Canvas) -> Vec<FoundCode> {
        find_codes(&canvas.rgba, canvas.w as u32, canvas.h as u32)
    }

    /// Draws a QR code for `text` centred at `centre`, `module` pixels per module, turned by
    /// `angle` degrees, with its 4-module white quiet zone, anti-aliased by 3×3
    /// supersampling. Returns the true outline of the code (without the quiet zone).
    fn draw_qr(
        canvas: &mut Canvas,
        text: &str,
        centre: [f32; 2],
        module: f32,
        angle: f32,
        ink: [u8; 3],
        paper: [u8; 3],
    ) -> Quad {
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let n = code.width();
        let colours = code.to_colors();
        let (sin, cos) = angle.to_radians().sin_cos();
        let half = n as f32 / 2.0;
        let reach = ((half + 4.0) * module * 1.5).ceil() as i32;
        let (cx, cy) = (centre[0] as i32, centre[1] as i32);
        for y in cy - reach..=cy + reach {
            for x in cx - reach..=cx + reach {
                let mut darkness = 0.0;
                let mut inside = 0;
                for sy in 0..3 {
                    for sx in 0..3 {
                        let dx = x as f32 + (sx as f32 + 0.5) / 3.0 - 0.5 - centre[0];
                        let dy = y as f32 + (sy as f32 + 0.5) / 3.0 - 0.5 - centre[1];
                        let u = (cos * dx + sin * dy) / module + half;
                        let v = (-sin * dx + cos * dy) / module + half;
                        if u < -4.0 || v < -4.0 || u >= n as f32 + 4.0 || v >= n as f32 + 4.0 {
                            continue;
                        }
                        inside += 1;
                        if u >= 0.0 && v >= 0.0 && u < n as f32 && v < n as f32 {
                            let i = v as usize * n + u as usize;
                            if colours[i] == qrcode::Color::Dark {
                                darkness += 1.0;
                            }
                        }
                    }
                }
                if inside == 9 {
                    let t = darkness / 9.0;
                    let mix = |c: usize| (ink[c] as f32 * t + paper[c] as f32 * (1.0 - t)) as u8;
                    canvas.set(x, y, [mix(0), mix(1), mix(2)]);
                }
            }
        }
        let corner = |u: f32, v: f32| {
            let (du, dv) = ((u - half) * module, (v - half) * module);
            [
                centre[0] + cos * du - sin * dv,
                centre[1] + sin * du + cos * dv,
            ]
        };
        let n = n as f32;
        [
            corner(0.0, 0.0),
            corner(n, 0.0),
            corner(n, n),
            corner(0.0, n),
        ]
    }

    /// Draws lines of glyph-like marks made of horizontal and vertical strokes and rings
    /// (a stand-in for Latin and CJK text) into the box `x, y, w, h`.
    fn draw_text_like(
        canvas: &mut Canvas,
        x: i32,
        y: i32,
        w: i32,
        h: i32,
        size: i32,
        rng: &mut Rng,
    ) {
        let ink = [30, 30, 30];
        let t = (size / 8).max(1);
        let mut ly = y;
        while ly + size <= y + h {
            let mut gx = x;
            while gx + size <= x + w {
                let word = rng.range(2, 9);
                for _ in 0..word {
                    let gw = size * 3 / 4;
                    if gx + gw > x + w {
                        break;
                    }
                    match rng.range(0, 4) {
                        // Latin-like: stems with a top bar (n, m, h), or a ring (o, e).
                        0 => {
                            let stems = rng.range(1, 4);
                            for s in 0..stems {
                                let sx = if stems == 1 {
                                    gx + gw / 2
                                } else {
                                    gx + s * (gw - t) / (stems - 1)
                                };
                                canvas.fill_rect(sx, ly + size / 3, t, size * 2 / 3, ink);
                            }
                            if stems > 1 {
                                canvas.fill_rect(gx, ly + size / 3, gw, t, ink);
                            }
                        }
                        1 => {
                            let (cx, cy, r) = (gx + gw / 2, ly + size * 2 / 3, size / 3);
                            for a in 0..64 {
                                let (s, c) = (a as f32 / 64.0 * std::f32::consts::TAU).sin_cos();
                                canvas.fill_rect(
                                    cx + (c * r as f32) as i32,
                                    cy + (s * r as f32) as i32,
                                    t,
                                    t,
                                    ink,
                                );
                            }
                            if rng.chance(50) {
                                canvas.fill_rect(cx - r, cy, 2 * r, t, ink);
                            }
                        }
                        // CJK-like: a few strokes on a 3×3 lattice.
                        _ => {
                            let mut strokes = 0;
                            while strokes < 2 {
                                for k in 0..3 {
                                    if rng.chance(45) {
                                        canvas.fill_rect(
                                            gx,
                                            ly + k * (size - t) / 2,
                                            gw + t,
                                            t,
                                            ink,
                                        );
                                        strokes += 1;
                                    }
                                    if rng.chance(45) {
                                        canvas.fill_rect(gx + k * gw / 2, ly, t, size, ink);
                                        strokes += 1;
                                    }
                                }
                            }
                        }
                    }
                    gx += gw + size / 4;
                }
                gx += size;
            }
            ly += size * 3 / 2;
        }
    }

    /// Lines of text made only of upright stems ("lllnnmm"-like words): the text most like
    /// a barcode's bars.
    fn draw_stem_text(
        canvas: &mut Canvas,
        x: i32,
        y: i32,
        w: i32,
        h: i32,
        size: i32,
        rng: &mut Rng,
    ) {
        let ink = [20, 20, 20];
        let mut ly = y;
        while ly + size <= y + h {
            let mut gx = x;
            while gx + size <= x + w {
                for _ in 0..rng.range(3, 9) {
                    let tall = rng.chance(40);
                    let top = if tall { ly } else { ly + size / 3 };
                    canvas.fill_rect(gx, top, 2, ly + size - top, ink);
                    if !tall && rng.chance(50) {
                        canvas.fill_rect(gx, top, 5, 2, ink);
                        canvas.fill_rect(gx + 5, top, 2, ly + size - top, ink);
                        gx += 5;
                    }
                    gx += rng.range(3, 6);
                }
                gx += size / 2;
            }
            ly += size * 3 / 2;
        }
    }

    /// A ruled table: one-pixel rules on a regular grid, with text-like marks in the cells.
    /// `[x, y]`: top-left corner; `[cols, rows]` cells of `[cw, rh]` pixels.
    fn draw_table(
        canvas: &mut Canvas,
        [x, y]: [i32; 2],
        [cols, rows]: [i32; 2],
        [cw, rh]: [i32; 2],
        rng: &mut Rng,
    ) {
        let rule = [90, 90, 90];
        for r in 0..=rows {
            canvas.fill_rect(x, y + r * rh, cols * cw + 1, 1, rule);
        }
        for c in 0..=cols {
            canvas.fill_rect(x + c * cw, y, 1, rows * rh + 1, rule);
        }
        for r in 0..rows {
            for c in 0..cols {
                if rng.chance(70) {
                    draw_text_like(
                        canvas,
                        x + c * cw + 4,
                        y + r * rh + 4,
                        cw - 10,
                        rh - 6,
                        12,
                        rng,
                    );
                }
            }
        }
    }

    /// The 95 modules (true = bar) of an EAN-13 symbol for 12 digits plus their check digit.
    fn ean13_modules(digits: &[u8; 12]) -> Vec<bool> {
        const L: [&str; 10] = [
            "0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011",
            "0110111", "0001011",
        ];
        const PARITY: [&str; 10] = [
            "LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLG", "LGLGLG",
            "LGLGGL", "LGGLGL",
        ];
        let weighted: u32 = digits
            .iter()
            .enumerate()
            .map(|(i, &d)| d as u32 * if i % 2 == 0 { 1 } else { 3 })
            .sum();
        let check = ((10 - weighted % 10) % 10) as u8;
        let mut all = digits.to_vec();
        all.push(check);
        let bits = |s: &str| s.bytes().map(|b| b == b'1').collect::<Vec<bool>>();
        let mut modules = bits("101");
        for (i, &d) in all[1..7].iter().enumerate() {
            let l = bits(L[d as usize]);
            if PARITY[all[0] as usize].as_bytes()[i] == b'L' {
                modules.extend(l);
            } else {
                // G code: the R code (L inverted) read backwards.
                modules.extend(l.iter().rev().map(|b| !b));
            }
        }
        modules.extend(bits("01010"));
        for &d in &all[7..13] {
            modules.extend(bits(L[d as usize]).iter().map(|b| !b));
        }
        modules.extend(bits("101"));
        assert_eq!(modules.len(), 95);
        modules
    }

    /// Draws bars for `modules` with its top-left at `(x, y)`; `upright` bars run vertically
    /// (the usual orientation), otherwise the symbol is turned 90°. Returns the bars' outline.
    fn draw_bars(
        canvas: &mut Canvas,
        modules: &[bool],
        x: i32,
        y: i32,
        module: i32,
        length: i32,
        upright: bool,
    ) -> Quad {
        for (i, &bar) in modules.iter().enumerate() {
            if bar {
                let offset = i as i32 * module;
                if upright {
                    canvas.fill_rect(x + offset, y, module, length, [0, 0, 0]);
                } else {
                    canvas.fill_rect(x, y + offset, length, module, [0, 0, 0]);
                }
            }
        }
        let span = modules.len() as f32 * module as f32;
        let (w, h) = if upright {
            (span, length as f32)
        } else {
            (length as f32, span)
        };
        let (x, y) = (x as f32, y as f32);
        [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
    }

    /// The findings of one kind.
    fn of_kind(found: &[FoundCode], kind: CodeKind) -> Vec<&FoundCode> {
        found.iter().filter(|c| c.kind == kind).collect()
    }

    /// A white 1920×1080 "screenshot" with paragraphs of text and a ruled table.
    fn busy_screenshot(w: usize, h: usize, rng: &mut Rng) -> Canvas {
        let mut canvas = Canvas::new(w, h, [255, 255, 255]);
        canvas.fill_rect(0, 0, w as i32, 40, [235, 238, 242]);
        draw_text_like(&mut canvas, 20, 12, 400, 20, 16, rng);
        draw_text_like(&mut canvas, 40, 80, (w / 2) as i32, (h / 3) as i32, 16, rng);
        draw_table(&mut canvas, [40, (h / 2) as i32], [6, 8], [110, 28], rng);
        canvas
    }

    #[test]
    fn qr_in_full_hd_screenshot_is_found_and_decoded() {
        let mut rng = Rng(7);
        let mut canvas = busy_screenshot(1920, 1080, &mut rng);
        let payload = "MEMBER:0042-1187 TEL:090-1234-5678";
        let truth = draw_qr(
            &mut canvas,
            payload,
            [1500.0, 330.0],
            6.0,
            0.0,
            [0, 0, 0],
            [255, 255, 255],
        );
        let found = find(&canvas);
        let qrs = of_kind(&found, CodeKind::Qr);
        assert_eq!(qrs.len(), 1, "{found:?}");
        assert!(
            iou(&qrs[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            qrs[0].quad
        );
        assert_eq!(qrs[0].text.as_deref(), Some(payload));
        assert!(of_kind(&found, CodeKind::Barcode).is_empty(), "{found:?}");
    }

    #[test]
    fn qr_of_100_px_in_hd_screenshot_is_found_and_decoded() {
        let mut rng = Rng(11);
        let mut canvas = busy_screenshot(1280, 720, &mut rng);
        let payload = "https://example.jp/u/5531";
        let truth = draw_qr(
            &mut canvas,
            payload,
            [1050.0, 200.0],
            4.0,
            0.0,
            [0, 0, 0],
            [255, 255, 255],
        );
        let found = find(&canvas);
        let qrs = of_kind(&found, CodeKind::Qr);
        assert_eq!(qrs.len(), 1, "{found:?}");
        assert!(
            iou(&qrs[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            qrs[0].quad
        );
        assert_eq!(qrs[0].text.as_deref(), Some(payload));
    }

    #[test]
    fn small_qr_on_a_card_is_found_and_decoded() {
        let mut rng = Rng(3);
        let mut canvas = Canvas::new(640, 400, [250, 250, 250]);
        canvas.fill_rect(40, 40, 560, 320, [238, 242, 250]);
        draw_text_like(&mut canvas, 60, 60, 380, 200, 14, &mut rng);
        // Version 2 (25 modules) at 2.4 px per module: 60 px.
        let payload = "ID 4410-2287";
        let truth = draw_qr(
            &mut canvas,
            payload,
            [520.0, 290.0],
            2.4,
            0.0,
            [20, 20, 40],
            [238, 242, 250],
        );
        let found = find(&canvas);
        let qrs = of_kind(&found, CodeKind::Qr);
        assert_eq!(qrs.len(), 1, "{found:?}");
        assert!(
            iou(&qrs[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            qrs[0].quad
        );
        assert_eq!(qrs[0].text.as_deref(), Some(payload));
    }

    #[test]
    fn rotated_qr_is_found_and_decoded() {
        let mut rng = Rng(5);
        let mut canvas = busy_screenshot(1280, 720, &mut rng);
        let payload = "Yamada Taro, 1-2-3 Chiyoda";
        let truth = draw_qr(
            &mut canvas,
            payload,
            [1000.0, 250.0],
            5.0,
            20.0,
            [0, 0, 0],
            [255, 255, 255],
        );
        let found = find(&canvas);
        let qrs = of_kind(&found, CodeKind::Qr);
        assert_eq!(qrs.len(), 1, "{found:?}");
        assert!(
            iou(&qrs[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            qrs[0].quad
        );
        assert_eq!(qrs[0].text.as_deref(), Some(payload));
    }

    #[test]
    fn blurred_noisy_qr_on_a_photo_is_found() {
        let mut rng = Rng(9);
        // A grey, unevenly lit "photo" with a printed code on it.
        let mut canvas = Canvas::new(800, 600, [0, 0, 0]);
        for y in 0..600 {
            for x in 0..800 {
                let v = (110 + x / 8 + y / 12) as u8;
                canvas.set(x, y, [v, v, v.saturating_sub(6)]);
            }
        }
        let payload = "https://example.com/r/8f3k2";
        let truth = draw_qr(
            &mut canvas,
            payload,
            [420.0, 300.0],
            4.0,
            7.0,
            [45, 45, 50],
            [200, 200, 190],
        );
        canvas.blur(1);
        canvas.noise(12, &mut rng);
        let found = find(&canvas);
        let qrs = of_kind(&found, CodeKind::Qr);
        assert_eq!(qrs.len(), 1, "{found:?}");
        assert!(
            iou(&qrs[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            qrs[0].quad
        );
    }

    #[test]
    fn ean13_barcode_is_found_upright_and_turned() {
        let modules = ean13_modules(&[4, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        for upright in [true, false] {
            let mut rng = Rng(21);
            let mut canvas = busy_screenshot(1280, 720, &mut rng);
            let truth = draw_bars(&mut canvas, &modules, 900, 120, 2, 110, upright);
            let found = find(&canvas);
            let bars = of_kind(&found, CodeKind::Barcode);
            assert_eq!(bars.len(), 1, "upright {upright}: {found:?}");
            assert!(
                iou(&bars[0].quad, &truth) >= 0.7,
                "upright {upright}: {:?} vs {truth:?}",
                bars[0].quad
            );
            assert!(of_kind(&found, CodeKind::Qr).is_empty(), "{found:?}");
        }
    }

    #[test]
    fn thin_barcode_with_one_pixel_modules_is_found() {
        let modules = ean13_modules(&[9, 7, 8, 4, 0, 0, 1, 2, 3, 4, 5, 6]);
        let mut canvas = Canvas::new(400, 200, [255, 255, 255]);
        let truth = draw_bars(&mut canvas, &modules, 150, 60, 1, 60, true);
        let found = find(&canvas);
        let bars = of_kind(&found, CodeKind::Barcode);
        assert_eq!(bars.len(), 1, "{found:?}");
        assert!(
            iou(&bars[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            bars[0].quad
        );
    }

    #[test]
    fn blank_image_has_no_codes() {
        for colour in [[255, 255, 255], [0, 0, 0], [128, 128, 128]] {
            let canvas = Canvas::new(800, 600, colour);
            assert!(find(&canvas).is_empty());
        }
    }

    #[test]
    fn text_and_tables_are_not_codes() {
        let mut rng = Rng(42);
        let mut canvas = Canvas::new(1280, 900, [255, 255, 255]);
        draw_text_like(&mut canvas, 20, 20, 1240, 260, 14, &mut rng);
        draw_stem_text(&mut canvas, 20, 300, 600, 200, 16, &mut rng);
        draw_stem_text(&mut canvas, 660, 300, 600, 200, 11, &mut rng);
        draw_table(&mut canvas, [20, 540], [11, 11], [60, 30], &mut rng);
        draw_table(&mut canvas, [700, 540], [20, 6], [25, 22], &mut rng);
        // A timesheet-like grid: many narrow columns, tall rows, mostly empty cells.
        draw_table(&mut canvas, [700, 700], [30, 3], [18, 60], &mut Rng(1));
        let found = find(&canvas);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn odd_inputs_give_nothing_and_do_not_panic() {
        assert!(find_codes(&[], 0, 0).is_empty());
        assert!(find_codes(&[0, 0, 0, 255], 1, 1).is_empty());
        assert!(find_codes(&[255; 16], 100, 100).is_empty(), "short buffer");
        assert!(find_codes(&vec![255; 3 * 1000 * 4], 3, 1000).is_empty());
        assert!(find_codes(&vec![0; 1000 * 2 * 4], 1000, 2).is_empty());
        assert!(find_codes(&[], u32::MAX, u32::MAX).is_empty());
    }

    #[test]
    fn codes_in_a_very_wide_image_are_found_at_full_scale() {
        // 5000 px wide: searched at half size, reported in input pixels.
        let mut canvas = Canvas::new(5000, 400, [255, 255, 255]);
        let payload = "wide-banner-7781";
        let truth = draw_qr(
            &mut canvas,
            payload,
            [4200.0, 200.0],
            8.0,
            0.0,
            [0, 0, 0],
            [255, 255, 255],
        );
        let found = find(&canvas);
        let qrs = of_kind(&found, CodeKind::Qr);
        assert_eq!(qrs.len(), 1, "{found:?}");
        assert!(
            iou(&qrs[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            qrs[0].quad
        );
        assert_eq!(qrs[0].text.as_deref(), Some(payload));
    }

    #[test]
    fn finder_search_locates_and_reads_a_small_turned_blurred_code() {
        // 2.4 px modules, turned 15°, blurred and noisy: too fine for `rqrr` on its own, so
        // the finder search must locate the code and read it from its sampled modules.
        let mut rng = Rng(13);
        let mut canvas = Canvas::new(400, 300, [250, 250, 250]);
        draw_text_like(&mut canvas, 10, 10, 200, 250, 14, &mut rng);
        let payload = "ID 4410-2287 ABCDEFG";
        let truth = draw_qr(
            &mut canvas,
            payload,
            [300.0, 150.0],
            2.4,
            15.0,
            [20, 20, 40],
            [250, 250, 250],
        );
        canvas.blur(1);
        canvas.noise(8, &mut rng);
        let (grey, _) = Grey::from_rgba(&canvas.rgba, 400, 300, MAX_WORK_SIDE).unwrap();
        let dark = local_dark_mask(&grey, 15);
        let finders = scan_finder_patterns(&dark, 400, 300);
        let located = group_finders(&finders, &dark, 400, 300);
        assert_eq!(located.len(), 1, "{located:?}");
        assert_eq!(located[0].size, 21);
        assert!(
            iou(&located[0].quad, &truth) >= 0.8,
            "{:?} vs {truth:?}",
            located[0].quad
        );
        assert_eq!(
            sample_and_decode(&grey, &located[0]).as_deref(),
            Some(payload)
        );

        let found = find(&canvas);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].text.as_deref(), Some(payload));
    }

    #[test]
    fn finder_ratio_accepts_1_1_3_1_1_only() {
        assert_eq!(finder_ratio([1, 1, 3, 1, 1]), Some(1.0));
        assert!(
            finder_ratio([3, 2, 7, 2, 3]).is_some(),
            "blurred, 2.5 px modules"
        );
        assert!(finder_ratio([2, 2, 2, 2, 2]).is_none(), "equal stripes");
        assert!(finder_ratio([2, 6, 6, 2, 2]).is_none(), "wide gap");
        assert!(
            finder_ratio([1, 1, 1, 1, 1]).is_none(),
            "too short to be sure"
        );
    }

    #[test]
    fn damaged_qr_is_reported_without_text() {
        // A stain over the middle of the code, beyond what error correction can repair:
        // finders and timing patterns survive, so the code is still located and masked.
        let mut rng = Rng(17);
        let mut canvas = busy_screenshot(1280, 720, &mut rng);
        let truth = draw_qr(
            &mut canvas,
            "TEL 03-1234-5678 SATO",
            [1000.0, 300.0],
            5.0,
            0.0,
            [0, 0, 0],
            [255, 255, 255],
        );
        // Module grid of this code: 25 modules from (937.5, 237.5); smear modules 9..=16 of
        // rows 9..=24 with random values.
        for row in 9..25 {
            for col in 9..17 {
                let dark = rng.chance(50);
                let colour = if dark { [0, 0, 0] } else { [255, 255, 255] };
                canvas.fill_rect(938 + col * 5, 238 + row * 5, 5, 5, colour);
            }
        }
        let found = find(&canvas);
        let qrs = of_kind(&found, CodeKind::Qr);
        assert_eq!(qrs.len(), 1, "{found:?}");
        assert!(
            iou(&qrs[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            qrs[0].quad
        );
        assert_eq!(qrs[0].text, None);
    }

    #[test]
    fn blurred_noisy_barcode_on_a_photo_is_found() {
        let mut rng = Rng(19);
        let mut canvas = Canvas::new(900, 600, [0, 0, 0]);
        for y in 0..600 {
            for x in 0..900 {
                let v = (130 + x / 10 - y / 20) as u8;
                canvas.set(x, y, [v, v, v]);
            }
        }
        canvas.fill_rect(250, 150, 400, 220, [205, 205, 200]);
        let modules = ean13_modules(&[4, 5, 6, 9, 9, 5, 1, 2, 3, 4, 5, 0]);
        let truth = draw_bars(&mut canvas, &modules, 308, 190, 3, 120, true);
        canvas.blur(1);
        canvas.noise(10, &mut rng);
        let found = find(&canvas);
        let bars = of_kind(&found, CodeKind::Barcode);
        assert_eq!(bars.len(), 1, "{found:?}");
        assert!(
            iou(&bars[0].quad, &truth) >= 0.7,
            "{:?} vs {truth:?}",
            bars[0].quad
        );
    }

    #[test]
    fn random_noise_of_any_size_gives_nothing() {
        let mut rng = Rng(23);
        for (w, h) in [
            (1, 1),
            (2, 3),
            (7, 50),
            (21, 21),
            (22, 40),
            (64, 9),
            (150, 120),
            (400, 33),
        ] {
            let rgba: Vec<u8> = (0..w * h * 4).map(|_| rng.next() as u8).collect();
            let found = find_codes(&rgba, w as u32, h as u32);
            assert!(found.is_empty(), "{w}x{h}: {found:?}");
        }
    }

    /// Run with `--ignored --nocapture` in release to see the time for a busy 1920×1080
    /// screenshot with one QR code and one barcode.
    #[test]
    #[ignore]
    fn timing_full_hd() {
        let mut rng = Rng(1);
        let mut canvas = busy_screenshot(1920, 1080, &mut rng);
        draw_qr(
            &mut canvas,
            "timing",
            [1500.0, 300.0],
            5.0,
            0.0,
            [0, 0, 0],
            [255, 255, 255],
        );
        let modules = ean13_modules(&[4, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        draw_bars(&mut canvas, &modules, 1300, 700, 2, 90, true);
        let runs = 10;
        let start = std::time::Instant::now();
        let mut found = Vec::new();
        for _ in 0..runs {
            found = find(&canvas);
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        println!("find_codes 1920x1080 screenshot: {ms:.1} ms per image");
        assert_eq!(found.len(), 2, "{found:?}");

        // A textured "photo": blotches of varying grey with strong noise, and no code.
        let mut photo = Canvas::new(1920, 1080, [0, 0, 0]);
        for y in 0..1080 {
            for x in 0..1920 {
                let v = 128.0 + 60.0 * ((x as f32 / 37.0).sin() * (y as f32 / 23.0).cos());
                photo.set(x, y, [v as u8, (v * 0.9) as u8, (v * 0.8) as u8]);
            }
        }
        photo.noise(40, &mut rng);
        let start = std::time::Instant::now();
        for _ in 0..runs {
            found = find(&photo);
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        println!("find_codes 1920x1080 noisy photo: {ms:.1} ms per image");
        assert!(found.is_empty(), "{found:?}");
    }
}
