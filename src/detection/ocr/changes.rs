//! Reading a frame again after part of it changed (the next frame read in a video).
//!
//! A screen recording mostly changes in places: a field is typed in, a pointer moves, a row is
//! highlighted. Running the detector over the whole frame again costs as much as the first
//! time, so only the bands of rows around what changed are looked at again; lines wholly
//! outside them keep the earlier reading. When too much changed, the frame is read whole.
//!
//! What counts as a change is measured on 4×4-pixel cells: a cell whose mean red, green or
//! blue moved by more than [`CELL_CHANGE`] levels. Video coding noise moves cells of unchanged
//! text by up to about 13 levels in `dev_demo.mp4`; a changed glyph moves them by 20–100,
//! and pixels that differ by a level or two everywhere (a fade) are noise too.

use crate::geometry::quad_box;
use crate::imaging::Image;

use super::Quad;

/// Side of the cells compared, in pixels.
pub const CELL: usize = 4;
/// Levels (of 255) by which a cell's mean colour must move to count as changed.
pub const CELL_CHANGE: u32 = 16;
/// When the bands to look at again cover more than this share of the rows, the whole frame is
/// read instead (it costs about the same, and a scroll or a new screen is read whole).
pub const MOST_ROWS: f32 = 0.5;
/// Rows above and below a change looked at too, at least (a line partly changed is looked at
/// whole; see [`bands`] for how the margin grows with the text).
pub const MIN_MARGIN: u32 = 16;

/// For each row of cells (`CELL` pixel rows, the last one maybe fewer), whether any cell in it
/// changed between `before` and `now` (same size).
pub fn changed_rows(before: &Image, now: &Image) -> Vec<bool> {
    assert_eq!((before.width, before.height), (now.width, now.height));
    let (w, h) = (now.width as usize, now.height as usize);
    let columns = w.div_ceil(CELL);
    let mut rows = Vec::with_capacity(h.div_ceil(CELL));
    let mut sums = vec![[0i32; 3]; columns];
    for y0 in (0..h).step_by(CELL) {
        sums.iter_mut().for_each(|s| *s = [0; 3]);
        let y1 = (y0 + CELL).min(h);
        for y in y0..y1 {
            let (a, b) = (
                &before.rgba[y * w * 4..][..w * 4],
                &now.rgba[y * w * 4..][..w * 4],
            );
            for (x, (p, q)) in a.chunks_exact(4).zip(b.chunks_exact(4)).enumerate() {
                let s = &mut sums[x / CELL];
                for c in 0..3 {
                    s[c] += q[c] as i32 - p[c] as i32;
                }
            }
        }
        let changed = sums.iter().enumerate().any(|(i, s)| {
            let n = ((y1 - y0) * (CELL.min(w - i * CELL))) as u32;
            s.iter().any(|&d| d.unsigned_abs() > CELL_CHANGE * n)
        });
        rows.push(changed);
    }
    rows
}

/// Top and bottom of a quad (image rows).
fn rows_of(q: &Quad) -> [f32; 2] {
    let [_, top, _, bottom] = quad_box(q);
    [top, bottom]
}

/// The bands of rows `[top, bottom)` of a `height`-row frame to look at again, given the cell
/// rows that changed and the lines read before (their quads): each change widened by
/// `margin` rows each way, bands that meet merged, and each band grown until no earlier line
/// crosses its edge (a line partly inside is read again whole, with half a margin to spare). Empty when nothing changed;
/// `None` when the bands would cover more than [`MOST_ROWS`] of the frame.
pub fn bands(changed: &[bool], height: u32, lines: &[Quad], margin: u32) -> Option<Vec<[u32; 2]>> {
    let mut bands: Vec<[u32; 2]> = Vec::new();
    for (r, _) in changed.iter().enumerate().filter(|(_, &c)| c) {
        let top = (r * CELL) as u32;
        let bottom = ((r + 1) * CELL).min(height as usize) as u32;
        bands.push([top.saturating_sub(margin), (bottom + margin).min(height)]);
    }
    let extents: Vec<[f32; 2]> = lines.iter().map(rows_of).collect();
    // Room left above and below a line taken in, so that it is found clear of the band's edge.
    let slack = (margin / 2) as f32;
    loop {
        // Merge bands that overlap or touch.
        bands.sort_unstable();
        let mut merged: Vec<[u32; 2]> = Vec::with_capacity(bands.len());
        for b in bands {
            match merged.last_mut() {
                Some(last) if b[0] <= last[1] => last[1] = last[1].max(b[1]),
                _ => merged.push(b),
            }
        }
        bands = merged;
        // Grow bands over the lines crossing their edges.
        let mut grown = false;
        for b in &mut bands {
            for &[top, bottom] in &extents {
                let (t, u) = (b[0] as f32, b[1] as f32);
                let crosses = bottom > t && top < u && (top < t || bottom > u);
                if crosses {
                    let new = [
                        b[0].min((top - slack).max(0.0).floor() as u32),
                        b[1].max(((bottom + slack).ceil() as u32).min(height)),
                    ];
                    if new != *b {
                        *b = new;
                        grown = true;
                    }
                }
            }
        }
        if !grown {
            break;
        }
    }
    let covered: u32 = bands.iter().map(|b| b[1] - b[0]).sum();
    (covered as f32 <= MOST_ROWS * height as f32).then_some(bands)
}

/// The margin of rows around a change: the median height of the lines read before (so that
/// a changed line's neighbours and a larger line are looked at whole), at least
/// [`MIN_MARGIN`].
pub fn margin_for(lines: &[Quad]) -> u32 {
    let mut heights: Vec<f32> = lines
        .iter()
        .map(|q| {
            let [t, b] = rows_of(q);
            b - t
        })
        .collect();
    heights.sort_by(f32::total_cmp);
    let median = heights.get(heights.len() / 2).copied().unwrap_or(0.0);
    (median.ceil() as u32).max(MIN_MARGIN)
}

/// True when the line at `q` lies wholly outside every band (its earlier reading still holds).
pub fn outside(q: &Quad, bands: &[[u32; 2]]) -> bool {
    let [top, bottom] = rows_of(q);
    bands
        .iter()
        .all(|b| bottom <= b[0] as f32 || top >= b[1] as f32)
}

/// True when a line read in the bands (`q`: its quad fitted to the ink, which keeps two rows
/// of background) reaches the top or bottom edge of a band where the band does not end at the
/// frame's edge: it may go on outside, so the band was too narrow.
pub fn cut(q: &Quad, bands: &[[u32; 2]], height: u32) -> bool {
    let [top, bottom] = rows_of(q);
    bands.iter().any(|b| {
        let inside = bottom > b[0] as f32 && top < b[1] as f32;
        inside
            && ((b[0] > 0 && top <= b[0] as f32 + 0.5)
                || (b[1] < height && bottom >= b[1] as f32 - 0.5))
    })
}

/// The bands of rows of `now` to look at again after `before` (same size) was read as lines
/// at `quads` (fitted to their ink), or `None` when `now` must be read whole.
pub fn bands_to_read(before: &Image, now: &Image, quads: &[Quad]) -> Option<Vec<[u32; 2]>> {
    if (before.width, before.height) != (now.width, now.height) {
        return None;
    }
    bands(
        &changed_rows(before, now),
        now.height,
        quads,
        margin_for(quads),
    )
}

/// The rows `band` of `image` as an image of their own.
pub fn crop_rows(image: &Image, band: [u32; 2]) -> Image {
    let row = image.width as usize * 4;
    Image {
        width: image.width,
        height: band[1] - band[0],
        rgba: image.rgba[band[0] as usize * row..band[1] as usize * row].to_vec(),
    }
}

/// `q` moved down by `dy` rows.
pub fn shifted(q: &Quad, dy: f32) -> Quad {
    q.map(|p| [p[0], p[1] + dy])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank(width: u32, height: u32) -> Image {
        Image {
            width,
            height,
            rgba: vec![255; (width * height * 4) as usize],
        }
    }

    fn paint(image: &mut Image, x0: u32, y0: u32, x1: u32, y1: u32, value: u8) {
        for y in y0..y1 {
            for x in x0..x1 {
                let i = ((y * image.width + x) * 4) as usize;
                image.rgba[i..i + 3].fill(value);
            }
        }
    }

    fn line(top: f32, bottom: f32) -> Quad {
        [[10.0, top], [200.0, top], [200.0, bottom], [10.0, bottom]]
    }

    #[test]
    fn a_changed_glyph_counts_and_coding_noise_does_not() {
        let before = blank(64, 40);
        // Noise: every pixel off by up to 12 levels, alternating.
        let mut noisy = before.clone();
        for (i, v) in noisy.rgba.iter_mut().enumerate() {
            if i % 4 != 3 {
                *v -= (i % 13) as u8;
            }
        }
        assert!(changed_rows(&before, &noisy).iter().all(|&c| !c));
        // A 2-pixel stroke of dark ink in rows 21..27.
        let mut glyph = noisy.clone();
        paint(&mut glyph, 30, 21, 32, 27, 40);
        let rows = changed_rows(&before, &glyph);
        let changed: Vec<usize> = (0..rows.len()).filter(|&r| rows[r]).collect();
        assert_eq!(changed, vec![5, 6], "cells of rows 20..28");
    }

    #[test]
    fn bands_widen_merge_and_take_in_crossing_lines() {
        let mut changed = vec![false; 100]; // 400 rows
        changed[10] = true; // rows 40..44
        changed[13] = true; // rows 52..56: merges with the first
        changed[80] = true; // rows 320..324
        let lines = [line(30.0, 38.0), line(300.0, 326.0), line(200.0, 210.0)];
        let b = bands(&changed, 400, &lines, 8).unwrap();
        // 32..64, grown to take the line 30..38 whole (4 rows to spare); 312..332 grown over
        // 300..326.
        assert_eq!(b, vec![[26, 64], [296, 332]]);
        assert!(outside(&lines[2], &b));
        assert!(!outside(&lines[0], &b) && !outside(&lines[1], &b));
        assert_eq!(bands(&vec![false; 100], 400, &lines, 8), Some(vec![]));
    }

    #[test]
    fn too_much_changed_is_read_whole() {
        let mut changed = vec![false; 100];
        for r in (0..100).step_by(8) {
            changed[r] = true;
        }
        assert_eq!(bands(&changed, 400, &[], 16), None);
    }

    #[test]
    fn a_line_at_a_bands_inner_edge_is_cut() {
        let bands = [[0, 50], [100, 200]];
        assert!(cut(&line(100.0, 110.0), &bands, 400));
        assert!(cut(&line(190.0, 199.5), &bands, 400));
        assert!(!cut(&line(0.0, 10.0), &bands, 400));
        assert!(!cut(&line(120.0, 130.0), &bands, 400));
        assert!(!cut(&line(300.0, 310.0), &bands, 400));
    }
}
