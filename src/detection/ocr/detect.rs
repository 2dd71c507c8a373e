//! Text detection: where the lines of text are.
//!
//! The image is scaled (see [`choose_scale`]), cut into overlapping tiles that the DBNet model
//! reads one by one (so memory stays bounded and tiles can be spread over workers), and the
//! tiles' probability maps are merged into one map of the scaled image. Pixels above
//! [`BINARY_THRESHOLD`] form connected components; each component with a mean probability of at
//! least [`BOX_THRESHOLD`] becomes the minimum-area rectangle around it, grown by the "unclip"
//! distance (DBNet predicts a shrunken core of each line), and is mapped back to the image.

use crate::detection::network::Network;
use rten_tensor::prelude::*;
use rten_tensor::NdTensor;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::geometry::{convex_hull, min_area_rect};
use crate::imaging::Image;

use super::content::Content;
use super::{Quad, Timings};
use crate::clock::now_ms;

pub const BINARY_THRESHOLD: f32 = 0.3;
pub const BOX_THRESHOLD: f32 = 0.5;
/// How far a detected core is grown: area × ratio / perimeter (PaddleOCR's default ratio).
pub const UNCLIP_RATIO: f64 = 1.5;
/// Largest tile side at the model's scale and the overlap between tiles.
pub const TILE: u32 = 1280;
pub const OVERLAP: u32 = 96;
/// The longest side the detector sees unless the image is smaller (1600 read the evaluation set
/// as well as 2048 and 4096, at less cost).
pub const MAX_SIDE: u32 = 1600;

const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// The scale at which the detector reads an image: full size up to [`MAX_SIDE`], shrunk to it
/// beyond.
pub fn choose_scale(width: u32, height: u32) -> f32 {
    let side = width.max(height) as f32;
    (MAX_SIDE as f32 / side).min(1.0)
}

/// Line height (quad height, detector pixels) under which small, soft text — a photographed
/// sheet, a dense scan — starts to go unseen: then the image is read again, larger.
pub const SMALL_LINE: f32 = 18.0;
/// The line height the second look aims at, and the limits on it.
pub const TARGET_LINE: f32 = 34.0;
pub const MAX_UPSCALE: f32 = 2.5;
pub const MAX_SECOND_SIDE: f32 = 4096.0;

/// An image at least this flat ([`super::content::flat_share`]) is a screen: read at full size, its small text is
/// sharp, and the detector finds it in the first look. Of the dev screens that took a second
/// look at scale 1 (a grade sheet, a form; lines of 16–18 px), none read an item more with it;
/// the photographed sheets (at most 0.68) keep it (one lost two items without it).
pub const FLAT_SCREEN: f32 = 0.8;
/// …as long as its lines are at least this high (median, pixels): smaller text on a screen (a
/// recording scaled down) was not in that evaluation, and keeps the second look.
pub const SCREEN_LINE: f32 = 14.0;

/// After a first look at `scale` found `quads` (image pixels): the scale for a second look
/// when the text came out small, or `None` when the first look is good enough (or the image, a
/// screen read at full size, has sharp text: `flat` gives its
/// [`super::content::flat_share`], asked for only then).
pub fn second_look(
    quads: &[Quad],
    scale: f32,
    width: u32,
    height: u32,
    flat: impl FnOnce() -> f32,
) -> Option<f32> {
    if quads.len() < 3 {
        return None;
    }
    let mut heights: Vec<f32> = quads
        .iter()
        .map(|q| ((q[3][0] - q[0][0]).powi(2) + (q[3][1] - q[0][1]).powi(2)).sqrt() * scale)
        .collect();
    heights.sort_by(|a, b| a.total_cmp(b));
    let median = heights[heights.len() / 2];
    if median >= SMALL_LINE || median <= 0.0 {
        return None;
    }
    if scale >= 1.0 && median >= SCREEN_LINE && flat() >= FLAT_SCREEN {
        return None;
    }
    let side = width.max(height) as f32;
    let next = (scale * (TARGET_LINE / median).min(MAX_UPSCALE)).min(MAX_SECOND_SIDE / side);
    (next > scale * 1.2).then_some(next)
}

/// A probability map over the scaled image.
pub struct ProbabilityMap {
    pub width: u32,
    pub height: u32,
    pub data: Vec<f32>,
}

/// RGB pixels of the window `(x, y, w, h)` of `image` scaled to `width × height`: each output
/// pixel the mean of the source pixels under it when shrinking, the nearest one when not.
pub fn scaled_window(
    image: &Image,
    width: u32,
    height: u32,
    (wx, wy, ww, wh): (u32, u32, u32, u32),
) -> Vec<u8> {
    let (sw, sh) = (image.width as usize, image.height as usize);
    let fx = sw as f64 / width as f64;
    let fy = sh as f64 / height as f64;
    let mut out = Vec::with_capacity(ww as usize * wh as usize * 3);
    for y in wy as usize..(wy + wh) as usize {
        let y1 = (((y + 1) as f64 * fy).ceil() as usize).clamp(1, sh);
        let y0 = ((y as f64 * fy) as usize).min(y1 - 1);
        for x in wx as usize..(wx + ww) as usize {
            let x1 = (((x + 1) as f64 * fx).ceil() as usize).clamp(1, sw);
            let x0 = ((x as f64 * fx) as usize).min(x1 - 1);
            let mut sum = [0u32; 3];
            for yy in y0..y1 {
                for p in image.rgba[(yy * sw + x0) * 4..(yy * sw + x1) * 4].chunks_exact(4) {
                    sum[0] += p[0] as u32;
                    sum[1] += p[1] as u32;
                    sum[2] += p[2] as u32;
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as u32;
            out.extend_from_slice(&[(sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8]);
        }
    }
    out
}

/// Tiles along a side of `len`: as few as fit `tile` with `overlap`, all of one size, spread
/// evenly (so no tile is mostly overlap). Returns `(start, size)` pairs.
pub fn tiles(len: u32, tile: u32, overlap: u32) -> Vec<(u32, u32)> {
    if len <= tile {
        return vec![(0, len)];
    }
    let n = (len - overlap).div_ceil(tile - overlap);
    let size = (len + (n - 1) * overlap).div_ceil(n);
    (0..n)
        .map(|i| ((i * (size - overlap)).min(len - size), size))
        .collect()
}

/// How an image is read by the detector: its scale, the scaled size, and the tiles
/// `[x, y, w, h]` of the scaled image (which workers can share out).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plan {
    pub scale: f32,
    pub width: u32,
    pub height: u32,
    pub tiles: Vec<[u32; 4]>,
}

/// The plan for an image of `width × height` read at `scale`.
pub fn plan(width: u32, height: u32, scale: f32) -> Plan {
    plan_in_parts(width, height, scale, 1)
}

/// The smallest side a tile is cut down to so that several workers can share an image.
pub const MIN_PART: u32 = 4 * OVERLAP;

/// [`plan`] with at least `parts` tiles where the image is large enough (each side of a part
/// at least [`MIN_PART`]), cut along the longer side: in the page each worker runs one model
/// at a time, so a 1280×720 screen in one tile keeps one of two workers idle (1.0–1.3 s of
/// detection on one while the other waits).
pub fn plan_in_parts(width: u32, height: u32, scale: f32, parts: u32) -> Plan {
    let w = ((width as f32 * scale).round() as u32).max(1);
    let h = ((height as f32 * scale).round() as u32).max(1);
    let mut across = tiles(w, TILE, OVERLAP);
    let mut down = tiles(h, TILE, OVERLAP);
    let count = (across.len() * down.len()) as u32;
    if parts > count {
        // More tiles along the longer side (as many more as fit), each as long as the
        // overlap-sharing split of that side needs.
        let (side, along, other) = if w >= h {
            (w, &mut across, down.len() as u32)
        } else {
            (h, &mut down, across.len() as u32)
        };
        let n = parts
            .div_ceil(other)
            .min((side.saturating_sub(OVERLAP)) / (MIN_PART - OVERLAP))
            .max(along.len() as u32);
        if n > along.len() as u32 {
            let size = (side + (n - 1) * OVERLAP).div_ceil(n);
            *along = tiles(side, size, OVERLAP);
        }
    }
    let mut tiles_ = Vec::new();
    for &(ty, th) in &down {
        for &(tx, tw) in &across {
            tiles_.push([tx, ty, tw, th]);
        }
    }
    Plan {
        scale: w as f32 / width as f32,
        width: w,
        height: h,
        tiles: tiles_,
    }
}

/// [`plan_in_parts`] without the tiles that are plain (see [`Content`]: no pixel differs from
/// the background); a plain image has no tiles. The tiles kept are exactly those of
/// [`plan_in_parts`], so what the detector finds in them does not change: cutting tiles down
/// to their content instead changed the readings (the model's squeeze-and-excitation blocks
/// weigh each tile's channels by its mean over the whole tile, so the amount of background
/// around the text shifts every output) and lost two My Numbers of the dev cards.
pub fn plan_over(width: u32, height: u32, scale: f32, parts: u32, content: &Content) -> Plan {
    let mut plan = plan_in_parts(width, height, scale, parts);
    let (sx, sy) = (
        plan.width as f64 / width as f64,
        plan.height as f64 / height as f64,
    );
    plan.tiles.retain(|&[tx, ty, tw, th]| {
        // The tile in image pixels (rounded outwards).
        let image = [
            (tx as f64 / sx).floor() as u32,
            (ty as f64 / sy).floor() as u32,
            (((tx + tw) as f64 / sx).ceil() as u32).min(width),
            (((ty + th) as f64 / sy).ceil() as u32).min(height),
        ];
        content.within(image).is_some()
    });
    plan
}

/// The detector's probabilities over one tile of the plan (`w × h`, row-major).
pub fn run_tile(
    model: &Network,
    image: &Image,
    plan: &Plan,
    tile: [u32; 4],
    timings: &mut Timings,
) -> Result<Vec<f32>, Error> {
    let start = now_ms();
    let [tx, ty, tw, th] = tile;
    let rgb = scaled_window(image, plan.width, plan.height, (tx, ty, tw, th));
    let (pw, ph) = (
        tw.next_multiple_of(32) as usize,
        th.next_multiple_of(32) as usize,
    );
    let plane = pw * ph;
    // Padding is the normalised value 0 (the mean colour). Channels in BGR order, as PaddleOCR's
    // models were trained on OpenCV images.
    let mut input = vec![0f32; 3 * plane];
    for (y, row) in rgb.chunks_exact(tw as usize * 3).enumerate() {
        for (x, p) in row.chunks_exact(3).enumerate() {
            for (c, &v) in [p[2], p[1], p[0]].iter().enumerate() {
                input[c * plane + y * pw + x] = (v as f32 / 255.0 - MEAN[c]) / STD[c];
            }
        }
    }
    let tensor = NdTensor::from_data([1, 3, ph, pw], input);
    let ran = now_ms();
    timings.detect_prepare_ms += ran - start;
    let output = model
        .run_one(tensor.into())
        .map_err(|e| Error::Model(format!("text detection failed: {e}")))?;
    timings.detect_model_ms += now_ms() - ran;
    let probs: NdTensor<f32, 4> = output
        .try_into()
        .map_err(|e| Error::Model(format!("text detection output: {e:?}")))?;
    let shape = probs.shape();
    if shape[2] != ph || shape[3] != pw {
        return Err(Error::Model(format!(
            "text detection output is {shape:?}, expected [1, 1, {ph}, {pw}]"
        )));
    }
    let padded = probs.to_vec();
    Ok(padded
        .chunks_exact(pw)
        .take(th as usize)
        .flat_map(|row| row[..tw as usize].iter().copied())
        .collect())
}

/// Merges tiles' probabilities (taking the larger value where they overlap) into one map.
pub fn merge_tiles(plan: &Plan, tiles: &[([u32; 4], Vec<f32>)]) -> ProbabilityMap {
    let mut map = ProbabilityMap {
        width: plan.width,
        height: plan.height,
        data: vec![0.0; (plan.width * plan.height) as usize],
    };
    for ([tx, ty, tw, _], probs) in tiles {
        for (y, row) in probs.chunks_exact(*tw as usize).enumerate() {
            let dst = &mut map.data[(*ty as usize + y) * plan.width as usize + *tx as usize..]
                [..*tw as usize];
            for (d, s) in dst.iter_mut().zip(row) {
                *d = d.max(*s);
            }
        }
    }
    map
}

/// A candidate line found in the probability map, in the map's pixels.
struct Component {
    /// For each row the component touches: (y, leftmost x, rightmost x).
    rows: Vec<(u32, u32, u32)>,
    score: f32,
}

/// Connected components (8-neighbours) of the pixels above the threshold.
fn components(map: &ProbabilityMap) -> Vec<Component> {
    let (w, h) = (map.width as usize, map.height as usize);
    let mut seen = vec![false; w * h];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if seen[start] || map.data[start] <= BINARY_THRESHOLD {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut extent: std::collections::BTreeMap<u32, (u32, u32)> = Default::default();
        let (mut sum, mut n) = (0f64, 0usize);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            sum += map.data[i] as f64;
            n += 1;
            let e = extent.entry(y as u32).or_insert((x as u32, x as u32));
            e.0 = e.0.min(x as u32);
            e.1 = e.1.max(x as u32);
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if !seen[j] && map.data[j] > BINARY_THRESHOLD {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push(Component {
            rows: extent.into_iter().map(|(y, (a, b))| (y, a, b)).collect(),
            score: (sum / n as f64) as f32,
        });
    }
    out
}

/// Orders a rectangle's corners in reading order (see [`Quad`]). Lines whose long side is
/// nearer vertical and at least 1.5 times the short one are vertical (read top to bottom);
/// everything else is read left to right.
pub fn reading_order(center: [f64; 2], long_axis: [f64; 2], long: f64, short: f64) -> Quad {
    let (mut e, mut along, mut across) = (long_axis, long, short);
    let vertical = e[1].abs() > e[0].abs() && long >= 1.5 * short;
    if !vertical && e[1].abs() > e[0].abs() {
        // A short, upright box (one or two characters): read across the long side.
        e = [e[1], -e[0]];
        std::mem::swap(&mut along, &mut across);
    }
    // Point the reading axis right (horizontal) or down (vertical).
    if (vertical && e[1] < 0.0) || (!vertical && e[0] < 0.0) {
        e = [-e[0], -e[1]];
    }
    // "Down" in the reading frame: the line's bottom (for vertical lines, its left side).
    let n = [-e[1], e[0]];
    let (hl, hs) = (along / 2.0, across / 2.0);
    let at = |a: f64, b: f64| {
        [
            (center[0] + e[0] * a + n[0] * b) as f32,
            (center[1] + e[1] * a + n[1] * b) as f32,
        ]
    };
    [at(-hl, -hs), at(hl, -hs), at(hl, hs), at(-hl, hs)]
}

/// Text-line quads in the coordinates of the original image, from a probability map made at
/// `scale`.
pub fn quads_from_map(map: &ProbabilityMap, scale: f32) -> Vec<Quad> {
    let mut quads = Vec::new();
    for c in components(map) {
        if c.score < BOX_THRESHOLD {
            continue;
        }
        let mut points = Vec::with_capacity(c.rows.len() * 4);
        for &(y, x0, x1) in &c.rows {
            let (y, x0, x1) = (y as f64, x0 as f64, x1 as f64 + 1.0);
            points.extend_from_slice(&[[x0, y], [x1, y], [x0, y + 1.0], [x1, y + 1.0]]);
        }
        let Some((corners, a, b)) = min_area_rect(&convex_hull(points)) else {
            continue;
        };
        if a.min(b) < 2.0 {
            continue;
        }
        let d = a * b * UNCLIP_RATIO / (2.0 * (a + b));
        let center = [
            (corners[0][0] + corners[2][0]) / 2.0,
            (corners[0][1] + corners[2][1]) / 2.0,
        ];
        // Side 0→1 has length `a`.
        let ax = [
            (corners[1][0] - corners[0][0]) / a,
            (corners[1][1] - corners[0][1]) / a,
        ];
        let (long_axis, long, short) = if a >= b {
            (ax, a + 2.0 * d, b + 2.0 * d)
        } else {
            ([-ax[1], ax[0]], b + 2.0 * d, a + 2.0 * d)
        };
        let s = scale as f64;
        let quad = reading_order(
            [center[0] / s, center[1] / s],
            long_axis,
            long / s,
            short / s,
        );
        quads.push(quad);
    }
    // Top to bottom, then left to right.
    quads.sort_by(|p, q| {
        (p[0][1] + p[3][1])
            .total_cmp(&(q[0][1] + q[3][1]))
            .then(p[0][0].total_cmp(&q[0][0]))
    });
    quads
}

/// Finds the text lines of `image`, reading it at `scale`.
pub fn detect_lines(
    model: &Network,
    image: &Image,
    scale: f32,
    timings: &mut Timings,
) -> Result<Vec<Quad>, Error> {
    let content = Content::of(image);
    let mut quads = detect_over(model, image, scale, &content, timings)?;
    let flat = || super::content::flat_share(image);
    if let Some(larger) = second_look(&quads, scale, image.width, image.height, flat) {
        quads = detect_over(model, image, larger, &content, timings)?;
        timings.scale = larger;
    }
    Ok(quads)
}

/// The quads of `image` read at `scale` (no second look).
pub fn detect_at(
    model: &Network,
    image: &Image,
    scale: f32,
    timings: &mut Timings,
) -> Result<Vec<Quad>, Error> {
    detect_over(model, image, scale, &Content::of(image), timings)
}

/// [`detect_at`] over the parts of `image` with `content` (see [`plan_over`]).
fn detect_over(
    model: &Network,
    image: &Image,
    scale: f32,
    content: &Content,
    timings: &mut Timings,
) -> Result<Vec<Quad>, Error> {
    let plan = plan_over(image.width, image.height, scale, 1, content);
    let mut maps = Vec::with_capacity(plan.tiles.len());
    for &tile in &plan.tiles {
        maps.push((tile, run_tile(model, image, &plan, tile, timings)?));
    }
    Ok(quads_from_tiles(&plan, &maps, timings))
}

/// The quads from the tiles of a plan (run here or by other workers).
pub fn quads_from_tiles(
    plan: &Plan,
    tiles: &[([u32; 4], Vec<f32>)],
    timings: &mut Timings,
) -> Vec<Quad> {
    let post = now_ms();
    let quads = quads_from_map(&merge_tiles(plan, tiles), plan.scale);
    timings.detect_post_ms += now_ms() - post;
    quads
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of `h` image pixels high at `y`.
    fn line(y: f32, h: f32) -> Quad {
        [[10.0, y], [300.0, y], [300.0, y + h], [10.0, y + h]]
    }

    #[test]
    fn small_text_gets_a_second_look_except_on_a_screen_read_at_full_size() {
        let small: Vec<Quad> = (0..5).map(|i| line(20.0 * i as f32, 16.0)).collect();
        // A photograph (varied background) at full size: looked at again, larger.
        let larger = second_look(&small, 1.0, 1280, 720, || 0.3).expect("a second look");
        assert!(larger > 2.0, "{larger}");
        // A screen at full size: its sharp small text was found the first time…
        assert_eq!(second_look(&small, 1.0, 1280, 720, || FLAT_SCREEN), None);
        // …unless it is smaller still (a recording scaled down).
        let tiny: Vec<Quad> = (0..5).map(|i| line(20.0 * i as f32, 9.0)).collect();
        assert!(second_look(&tiny, 1.0, 1280, 720, || 0.95).is_some());
        // A screen shrunk to be read (a 4K screenshot): its text is small only at that scale.
        assert!(second_look(&small, 0.5, 3200, 1800, || 0.95).is_some());
        // Text large enough, or too few lines: no second look.
        let large: Vec<Quad> = (0..5).map(|i| line(40.0 * i as f32, 30.0)).collect();
        assert_eq!(second_look(&large, 1.0, 1280, 720, || 0.3), None);
        assert_eq!(second_look(&small[..2], 1.0, 1280, 720, || 0.3), None);
    }

    #[test]
    fn a_plan_in_parts_shares_a_one_tile_image_and_still_covers_it() {
        let whole = plan(1280, 720, 1.0);
        assert_eq!(whole.tiles, vec![[0, 0, 1280, 720]]);
        let two = plan_in_parts(1280, 720, 1.0, 2);
        assert_eq!(two.tiles.len(), 2);
        // Side by side, the whole height each, overlapping by OVERLAP, covering every column.
        let [a, b] = [two.tiles[0], two.tiles[1]];
        assert_eq!((a[0], a[1], a[3], b[1], b[3]), (0, 0, 720, 0, 720));
        assert_eq!(a[0] + a[2] - b[0], OVERLAP);
        assert_eq!(b[0] + b[2], 1280);
        // A tall page is cut across; an image too small to share stays whole.
        let tall = plan_in_parts(600, 2000, 0.5, 2);
        assert_eq!(tall.tiles.len(), 2);
        assert!(tall.tiles.iter().all(|t| t[0] == 0 && t[2] == 300));
        assert_eq!(plan_in_parts(500, 300, 1.0, 2).tiles.len(), 1);
        // Already two tiles or more: the plan is the usual one.
        assert_eq!(
            plan_in_parts(1920, 1080, 0.8333, 2).tiles,
            plan(1920, 1080, 0.8333).tiles
        );
    }

    #[test]
    fn a_plan_over_content_leaves_out_the_plain_tiles_only() {
        let mut rgba = [30u8, 31, 36, 255].repeat(1280 * 720);
        // Rows of light text in the top-left corner (x 20..440, y 30..420).
        for y in (30..420).step_by(25) {
            for x in 20..440 {
                let i = (y * 1280 + x) * 4;
                rgba[i..i + 3].copy_from_slice(&[230, 230, 230]);
            }
        }
        let image = Image {
            width: 1280,
            height: 720,
            rgba,
        };
        let content = Content::of(&image);
        // At scale 2 (a second look) the frame is 3 × 2 tiles; the text meets the first two
        // columns of tiles only, and those tiles are kept as they were.
        let whole = plan(1280, 720, 2.0);
        assert_eq!(whole.tiles.len(), 6);
        let over = plan_over(1280, 720, 2.0, 1, &content);
        assert_eq!((over.width, over.height), (2560, 1440));
        assert_eq!(
            over.tiles,
            [
                whole.tiles[0],
                whole.tiles[1],
                whole.tiles[3],
                whole.tiles[4]
            ]
        );
        // Cut in two for two workers at scale 1, the right half is plain.
        let two = plan_over(1280, 720, 1.0, 2, &content);
        assert_eq!(two.tiles, [plan_in_parts(1280, 720, 1.0, 2).tiles[0]]);
        // A plain image has no tiles; content everywhere gives the usual plan.
        let plain = Image {
            width: 640,
            height: 360,
            rgba: [255u8; 640 * 360 * 4].to_vec(),
        };
        assert!(plan_over(640, 360, 1.0, 2, &Content::of(&plain))
            .tiles
            .is_empty());
        assert_eq!(
            plan_over(1920, 1080, 0.8333, 2, &Content::everywhere(1920, 1080)).tiles,
            plan_in_parts(1920, 1080, 0.8333, 2).tiles
        );
    }

    #[test]
    fn tiles_cover_the_side_evenly_and_overlap() {
        assert_eq!(tiles(800, 1280, 96), vec![(0, 800)]);
        assert_eq!(tiles(1280, 1280, 96), vec![(0, 1280)]);
        for len in [1281, 2048, 3000, 3508, 7000] {
            let t = tiles(len, 1280, 96);
            assert_eq!(t[0].0, 0);
            assert_eq!(
                t.last().unwrap().0 + t.last().unwrap().1,
                len,
                "{len}: {t:?}"
            );
            assert!(t.iter().all(|&(_, s)| s <= 1280));
            for pair in t.windows(2) {
                assert!(
                    pair[0].0 + pair[0].1 >= pair[1].0 + 96,
                    "{len}: {t:?} overlap"
                );
            }
            let covered: u32 = t.iter().map(|&(_, s)| s).sum();
            assert!(
                covered < len + t.len() as u32 * 96 + 32,
                "{len}: {t:?} wastes"
            );
        }
    }

    #[test]
    fn quads_read_left_to_right_and_top_to_bottom() {
        let q = reading_order([100.0, 50.0], [-1.0, 0.0], 200.0, 20.0);
        assert_eq!(q[0], [0.0, 40.0]);
        assert_eq!(q[2], [200.0, 60.0]);
        // A tall line is vertical: it starts at the top, its "bottom" edge is on the left.
        let q = reading_order([50.0, 100.0], [0.0, -1.0], 200.0, 20.0);
        assert_eq!(q[0], [60.0, 0.0]);
        assert_eq!(q[1], [60.0, 200.0]);
        assert_eq!(q[3], [40.0, 0.0]);
        // A short upright box (one character) is read across.
        let q = reading_order([50.0, 50.0], [0.0, 1.0], 24.0, 20.0);
        assert_eq!(q[0], [40.0, 38.0]);
    }

    #[test]
    fn a_blob_in_the_map_becomes_one_grown_quad() {
        let (w, h) = (100u32, 40u32);
        let mut map = ProbabilityMap {
            width: w,
            height: h,
            data: vec![0.0; 4000],
        };
        for y in 15..25 {
            for x in 20..80 {
                map.data[y * 100 + x] = 0.9;
            }
        }
        let quads = quads_from_map(&map, 0.5);
        assert_eq!(quads.len(), 1);
        let q = quads[0];
        // 60 × 10 core grown by 60·10·1.5/140 ≈ 6.4 on each side, then doubled by the scale.
        assert!((q[0][0] - 2.0 * (20.0 - 6.43)).abs() < 0.5, "{q:?}");
        assert!((q[2][1] - 2.0 * (25.0 + 6.43)).abs() < 0.5, "{q:?}");
    }
}
