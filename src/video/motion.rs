//! What changed from one video frame to the next: the frames' luma compared block by block,
//! and the frame's global motion (a scroll or a pan) found from row and column brightness
//! profiles of the area that changed, to the exact pixel.
//!
//! Each frame gets a [`FrameMotion`]: its shift from the previous frame and, for every block
//! of the thumbnail grid, whether the block is the same as before, the same content moved by
//! the shift, or new content. Tracking ([`super::track`]) carries findings with these.

use crate::error::Error;

/// The block grid is at most this many scale units wide...
pub const THUMB_WIDTH: u32 = 320;
/// ...and a block is this many units: 32 px blocks in a 720p frame, 48 px at 1080p.
pub const BLOCK: usize = 8;

/// A block's state relative to the previous frame.
pub const SAME: u8 = 0;
pub const MOVED: u8 = 1;
pub const CHANGED: u8 = 2;
/// Unchanged and blank: it would match any motion, so it says nothing about where content went.
pub const FLAT: u8 = 3;

/// The scale unit for a frame `width` pixels wide.
pub fn scale_for(width: u32) -> u32 {
    width.div_ceil(THUMB_WIDTH).max(1)
}

/// Luma from RGB (BT.601 weights, integer).
#[inline]
pub fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((77 * r as u32 + 150 * g as u32 + 29 * b as u32) >> 8) as u8
}

fn check(len: usize, stride: usize, row: usize, width: u32, height: u32) -> Result<(), Error> {
    if width == 0 || height == 0 {
        return Err(Error::Empty);
    }
    if stride < row {
        return Err(Error::BadFrame(format!(
            "stride {stride} is shorter than a row of {row} bytes"
        )));
    }
    let needed = stride * (height as usize - 1) + row;
    if len < needed {
        return Err(Error::BadFrame(format!(
            "buffer holds {len} bytes, a {width}×{height} frame needs {needed}"
        )));
    }
    Ok(())
}

/// A frame's full-resolution luma, packed (`width` bytes per row): from a luma plane (the Y
/// plane of I420/NV12 video frames, rows `stride` bytes apart) or from RGBA.
pub fn luma_plane(
    data: &[u8],
    stride: usize,
    width: u32,
    height: u32,
    rgba: bool,
) -> Result<Vec<u8>, Error> {
    let bytes_per_pixel = if rgba { 4 } else { 1 };
    let row = width as usize * bytes_per_pixel;
    check(data.len(), stride, row, width, height)?;
    let mut out = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height as usize {
        let line = &data[y * stride..y * stride + row];
        if rgba {
            out.extend(line.chunks_exact(4).map(|p| luma(p[0], p[1], p[2])));
        } else {
            out.extend_from_slice(line);
        }
    }
    Ok(out)
}

/// How one frame moved and changed since the previous one.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameMotion {
    /// Global shift in full-resolution pixels: content at (x, y) before is at (x + dx, y + dy) now.
    pub shift: [i32; 2],
    /// One state per block ([`SAME`], [`MOVED`], [`CHANGED`]), row by row over the grid.
    pub blocks: Vec<u8>,
}

impl FrameMotion {
    pub fn count(&self, state: u8) -> usize {
        self.blocks.iter().filter(|&&b| b == state).count()
    }
}

/// The block grid of a frame: `cols × rows` blocks of `size` full-resolution pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub cols: usize,
    pub rows: usize,
    /// Block side in full-resolution pixels.
    pub size: f32,
}

/// Compares each new frame with the one before, at full resolution (small text that changes
/// or moves by a few pixels must register; a thumbnail would average it away).
pub struct Analyser {
    pub width: u32,
    pub height: u32,
    pub grid: Grid,
    /// Block side in pixels.
    block: usize,
    previous: Option<Vec<u8>>,
    /// The luma of the last frame read, until the picture moves.
    key: Option<Vec<u8>>,
}

/// Whether `n` pixels with summed absolute difference `sum` and `big` large differences look
/// like the same content: strict enough that one changed character in a block counts, loose
/// enough for video compression noise on still screens.
#[inline]
fn matches(sum: u32, big: u32, n: u32) -> bool {
    n > 0 && sum <= 2 * n && big <= (n / 256).max(2)
}

impl Analyser {
    pub fn new(width: u32, height: u32) -> Result<Analyser, Error> {
        if width == 0 || height == 0 {
            return Err(Error::Empty);
        }
        let block = BLOCK * scale_for(width) as usize;
        let grid = Grid {
            cols: (width as usize).div_ceil(block),
            rows: (height as usize).div_ceil(block),
            size: block as f32,
        };
        Ok(Analyser {
            width,
            height,
            grid,
            block,
            previous: None,
            key: None,
        })
    }

    /// Takes the next frame's packed luma (`width × height` bytes); returns how it moved and
    /// changed. The first frame is all new content.
    pub fn push(&mut self, luma: Vec<u8>) -> Result<FrameMotion, Error> {
        let (w, h) = (self.width as usize, self.height as usize);
        if luma.len() != w * h {
            return Err(Error::BadFrame(format!(
                "a {w}×{h} frame has {} luma bytes, not {}",
                luma.len(),
                w * h
            )));
        }
        let motion = match &self.previous {
            None => FrameMotion {
                shift: [0, 0],
                blocks: vec![CHANGED; self.grid.cols * self.grid.rows],
            },
            Some(before) => self.compare(before, &luma),
        };
        if motion.shift != [0, 0] {
            self.key = None;
        }
        self.previous = Some(luma);
        Ok(motion)
    }

    /// Remembers the latest frame as the last frame read.
    pub fn mark_key(&mut self) {
        self.key = self.previous.clone();
    }

    /// How many blocks of the latest frame differ from the last frame read; `None` when the
    /// picture moved since (or nothing was read yet).
    pub fn differs_from_key(&self) -> Option<usize> {
        let (key, now) = (self.key.as_ref()?, self.previous.as_ref()?);
        Some(
            (0..self.grid.cols * self.grid.rows)
                .filter(|&i| !self.block_matches(key, now, i, [0, 0]))
                .count(),
        )
    }

    /// Differences between block `i` of `now` and `before` shifted by `shift` pixels: (sum,
    /// large ones, pixels compared, pixels whose source is outside the frame).
    fn block_diff(
        &self,
        before: &[u8],
        now: &[u8],
        i: usize,
        shift: [i32; 2],
    ) -> (u32, u32, u32, u32) {
        let (w, h) = (self.width as i32, self.height as i32);
        let size = self.block as i32;
        let (bx, by) = (
            (i % self.grid.cols) as i32 * size,
            (i / self.grid.cols) as i32 * size,
        );
        let (x0, x1) = (bx, (bx + size).min(w));
        // Columns whose source is inside the frame, so the inner loop has no test.
        let (sx0, sx1) = ((x0).max(shift[0]), x1.min(w + shift[0]));
        let (mut sum, mut big, mut n, mut outside) = (0u32, 0u32, 0u32, 0u32);
        for y in by..(by + size).min(h) {
            let sy = y - shift[1];
            if sy < 0 || sy >= h || sx1 <= sx0 {
                outside += (x1 - x0) as u32;
                continue;
            }
            outside += ((x1 - x0) - (sx1 - sx0)) as u32;
            let row = &now[(y * w + sx0) as usize..(y * w + sx1) as usize];
            let src =
                &before[(sy * w + sx0 - shift[0]) as usize..(sy * w + sx1 - shift[0]) as usize];
            for (&a, &b) in row.iter().zip(src) {
                let d = (a as i32 - b as i32).unsigned_abs();
                sum += d;
                big += (d > 32) as u32;
            }
            n += (sx1 - sx0) as u32;
        }
        (sum, big, n, outside)
    }

    fn block_matches(&self, before: &[u8], now: &[u8], i: usize, shift: [i32; 2]) -> bool {
        let (sum, big, n, outside) = self.block_diff(before, now, i, shift);
        outside <= n && matches(sum, big, n)
    }

    /// Whether block `i` is the previous frame's content moved by `shift`: looser than
    /// [`Self::block_matches`], as a lossy encoder redraws moving content with more noise,
    /// and much closer than without the shift.
    fn block_moved(&self, before: &[u8], now: &[u8], i: usize, shift: [i32; 2]) -> bool {
        let (sum, big, n, outside) = self.block_diff(before, now, i, shift);
        if outside > n || n == 0 || sum > 8 * n || big > n / 16 {
            return false;
        }
        let (still, ..) = self.block_diff(before, now, i, [0, 0]);
        sum * 2 < still
    }

    /// Whether block `i` has any contrast in it (blank blocks match any shift: no evidence).
    fn textured(&self, luma: &[u8], i: usize) -> bool {
        let (w, h) = (self.width as usize, self.height as usize);
        let (bx, by) = (
            i % self.grid.cols * self.block,
            i / self.grid.cols * self.block,
        );
        let (mut lo, mut hi) = (255u8, 0u8);
        for y in by..(by + self.block).min(h) {
            for &v in &luma[y * w + bx..y * w + (bx + self.block).min(w)] {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        hi.saturating_sub(lo) > 24
    }

    fn compare(&self, before: &[u8], now: &[u8]) -> FrameMotion {
        let cells = self.grid.cols * self.grid.rows;
        let same: Vec<bool> = (0..cells)
            .map(|i| self.block_matches(before, now, i, [0, 0]))
            .collect();
        let changed: Vec<usize> = (0..cells).filter(|&i| !same[i]).collect();
        let mut blocks: Vec<u8> = same
            .iter()
            .enumerate()
            .map(|(i, &s)| match (s, s && self.textured(now, i)) {
                (true, true) => SAME,
                (true, false) => FLAT,
                _ => CHANGED,
            })
            .collect();
        if changed.is_empty() {
            return FrameMotion {
                shift: [0, 0],
                blocks,
            };
        }
        // Where things changed, then the shift that best aligns the rows and the columns there.
        let (w, h) = (self.width as usize, self.height as usize);
        let col = |i: usize| i % self.grid.cols;
        let row = |i: usize| i / self.grid.cols;
        let x0 = changed.iter().map(|&i| col(i)).min().unwrap() * self.block;
        let x1 = ((changed.iter().map(|&i| col(i)).max().unwrap() + 1) * self.block).min(w);
        let y0 = changed.iter().map(|&i| row(i)).min().unwrap() * self.block;
        let y1 = ((changed.iter().map(|&i| row(i)).max().unwrap() + 1) * self.block).min(h);
        let dy = best_shift(
            &profile_rows(before, w, x0, x1, h),
            &profile_rows(now, w, x0, x1, h),
        );
        let dx = best_shift(
            &profile_cols(before, w, y0, y1),
            &profile_cols(now, w, y0, y1),
        );
        // Only blocks with some texture are evidence of motion.
        let textured: Vec<usize> = changed
            .iter()
            .copied()
            .filter(|&i| self.textured(now, i))
            .collect();
        let mut best = ([0i32, 0i32], 0usize);
        for shift in [[0, dy], [dx, 0], [dx, dy]] {
            if shift == [0, 0] || best.0 == shift {
                continue;
            }
            let explained = textured
                .iter()
                .filter(|&&i| self.block_matches(before, now, i, shift))
                .count();
            if explained > best.1 {
                best = (shift, explained);
            }
        }
        let (shift, explained) = best;
        // A scroll or pan moves a good part of the picture, not just a pointer.
        if explained < (cells / 40).max(3) || explained * 5 < textured.len() {
            return FrameMotion {
                shift: [0, 0],
                blocks,
            };
        }
        for &i in &changed {
            if self.block_moved(before, now, i, shift) {
                blocks[i] = MOVED;
            }
        }
        FrameMotion { shift, blocks }
    }
}

/// Mean luma of each row over columns `x0..x1`, as integers ×16 for precision.
fn profile_rows(luma: &[u8], w: usize, x0: usize, x1: usize, h: usize) -> Vec<i32> {
    let n = (x1 - x0).max(1) as i32;
    (0..h)
        .map(|y| {
            luma[y * w + x0..y * w + x1]
                .iter()
                .map(|&v| v as i32)
                .sum::<i32>()
                * 16
                / n
        })
        .collect()
}

/// Mean luma of each column over rows `y0..y1`, ×16.
fn profile_cols(luma: &[u8], w: usize, y0: usize, y1: usize) -> Vec<i32> {
    let mut sums = vec![0i32; w];
    for y in y0..y1 {
        for (s, &v) in sums.iter_mut().zip(&luma[y * w..(y + 1) * w]) {
            *s += v as i32;
        }
    }
    let n = (y1 - y0).max(1) as i32;
    sums.iter().map(|s| s * 16 / n).collect()
}

/// The shift `d` (content at `i` before is at `i + d` now) that best aligns two profiles, over
/// shifts that keep at least half of them overlapping; ties go to the smaller shift. Profiles
/// that are flat where they overlap (blank screens) say nothing: 0.
fn best_shift(before: &[i32], now: &[i32]) -> i32 {
    let n = now.len() as i32;
    let limit = n / 2;
    let mut best = (u64::MAX, 0i32);
    // Coarse pass every 4 shifts, then every shift around the best few candidates (a table's
    // regular rows can make a far shift look nearly as good as the true one on the coarse grid).
    let cost = |d: i32| -> u64 {
        let (lo, hi) = (d.max(0), (n + d).min(n));
        let span = (hi - lo).max(1) as u64;
        let sum: u64 = (lo..hi)
            .map(|i| (now[i as usize] - before[(i - d) as usize]).unsigned_abs() as u64)
            .sum();
        // Scaled to a per-entry cost, plus a small preference for short shifts.
        sum * 1024 / span + d.unsigned_abs() as u64
    };
    let mut coarse: Vec<(u64, i32)> = (-limit..=limit).step_by(4).map(|d| (cost(d), d)).collect();
    coarse.sort_unstable();
    // Small shifts (a slow scroll) are the most common: always look at every one near 0.
    for &(_, c) in coarse
        .iter()
        .take(4)
        .chain([(0, 0), (0, -6), (0, 6)].iter())
    {
        for d in (c - 3).max(-limit)..=(c + 3).min(limit) {
            let k = cost(d);
            if k < best.0 || (k == best.0 && d.abs() < best.1.abs()) {
                best = (k, d);
            }
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A screen-like test picture: dark text-ish bars on white, different on every row.
    fn page(w: usize, h: usize, seed: u32) -> Vec<u8> {
        let mut px = vec![255u8; w * h];
        let mut state = seed.wrapping_mul(2654435761).wrapping_add(1);
        for line in 0..h / 20 {
            let y0 = line * 20 + 4;
            let mut x = 10;
            while x + 40 < w {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let len = 8 + (state % 40) as usize;
                for y in y0..y0 + 10 {
                    for xx in x..(x + len).min(w) {
                        px[y * w + xx] = 20 + (state % 60) as u8;
                    }
                }
                x += len + 6 + (state % 20) as usize;
            }
        }
        px
    }

    fn window(tall: &[u8], w: usize, top: usize, h: usize) -> Vec<u8> {
        tall[top * w..(top + h) * w].to_vec()
    }

    #[test]
    fn still_frames_are_the_same() {
        let (w, h) = (640, 360);
        let mut a = Analyser::new(w, h).unwrap();
        let p = page(640, 360, 1);
        let first = a.push(p.clone()).unwrap();
        assert!(first.blocks.iter().all(|&b| b == CHANGED));
        let second = a.push(p).unwrap();
        assert_eq!(second.shift, [0, 0]);
        assert!(second.blocks.iter().all(|&b| b == SAME || b == FLAT));
        assert!(second.count(SAME) > 0);
    }

    #[test]
    fn a_scroll_is_found_to_the_pixel() {
        let (w, h) = (640usize, 360usize);
        let tall = page(w, h * 3, 7);
        let mut a = Analyser::new(w as u32, h as u32).unwrap();
        a.push(window(&tall, w, 100, h)).unwrap();
        for step in [7usize, 13, 1, 40] {
            let m = a.push(window(&tall, w, 100 + step, h)).unwrap();
            assert_eq!(m.shift, [0, -(step as i32)], "scrolled by {step}");
            // Most blocks are the old content moved; the bottom row is new.
            assert!(
                m.count(MOVED) * 10 >= m.blocks.len() * 7,
                "{step}: {} moved of {}",
                m.count(MOVED),
                m.blocks.len()
            );
            a.push(window(&tall, w, 100, h)).unwrap();
        }
    }

    #[test]
    fn a_local_change_marks_only_its_blocks() {
        let (w, h) = (640usize, 360usize);
        let p = page(w, h, 3);
        let mut q = p.clone();
        for y in 200..215 {
            for x in 300..340 {
                q[y * w + x] = 0;
            }
        }
        let mut a = Analyser::new(w as u32, h as u32).unwrap();
        a.push(p).unwrap();
        let m = a.push(q).unwrap();
        assert_eq!(m.shift, [0, 0]);
        let changed: Vec<usize> = (0..m.blocks.len())
            .filter(|&i| m.blocks[i] == CHANGED)
            .collect();
        assert!(!changed.is_empty() && changed.len() <= 8, "{changed:?}");
        let size = a.grid.size as usize;
        for i in changed {
            let (bx, by) = (i % a.grid.cols, i / a.grid.cols);
            assert!(
                bx * size < 340
                    && (bx + 1) * size > 300
                    && by * size < 215
                    && (by + 1) * size > 200
            );
        }
    }

    #[test]
    fn wrong_sizes_are_refused() {
        let mut a = Analyser::new(64, 32).unwrap();
        assert!(matches!(a.push(vec![0; 10]), Err(Error::BadFrame(_))));
        assert!(matches!(Analyser::new(0, 10), Err(Error::Empty)));
        assert!(luma_plane(&[0; 10], 4, 4, 4, false).is_err());
        assert_eq!(
            luma_plane(&[255, 255, 255, 255], 4, 1, 1, true).unwrap(),
            vec![255]
        );
    }
}
