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
            self.still_stats(key, now)
                .iter()
                .filter(|b| !matches(b.sum, b.big, b.n))
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
        let (mut n, mut outside) = (0u32, 0u32);
        let mut acc = DiffSums::default();
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
            acc.add_row(row, src);
            n += (sx1 - sx0) as u32;
        }
        let (sum, big) = acc.total();
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

    /// Every block of `now` against the same block of `before` (no shift), with the darkest
    /// and brightest luma of `now` in it, in one pass down the frame's rows (memory is read in
    /// order, so this runs at memory speed: comparing a block at a time, 32 rows of 32 bytes
    /// 1,280 bytes apart, was twice as slow).
    fn still_stats(&self, before: &[u8], now: &[u8]) -> Vec<BlockStats> {
        let (w, h) = (self.width as usize, self.height as usize);
        let (cols, size) = (self.grid.cols, self.block);
        let mut out = Vec::with_capacity(cols * self.grid.rows);
        for top in (0..h).step_by(size) {
            let rows = top..(top + size).min(h);
            let mut sums: Vec<DiffSums> = (0..cols).map(|_| DiffSums::default()).collect();
            for y in rows.clone() {
                let (a, b) = (&now[y * w..(y + 1) * w], &before[y * w..(y + 1) * w]);
                for (c, acc) in sums.iter_mut().enumerate() {
                    let (x0, x1) = (c * size, ((c + 1) * size).min(w));
                    acc.add_row_and_range(&a[x0..x1], &b[x0..x1]);
                }
            }
            for (c, mut acc) in sums.into_iter().enumerate() {
                let (sum, big) = acc.total();
                let (lo, hi) = acc.range();
                let width = ((c + 1) * size).min(w) - c * size;
                out.push(BlockStats {
                    sum,
                    big,
                    n: (width * rows.len()) as u32,
                    lo,
                    hi,
                });
            }
        }
        out
    }

    fn compare(&self, before: &[u8], now: &[u8]) -> FrameMotion {
        let cells = self.grid.cols * self.grid.rows;
        let stats = self.still_stats(before, now);
        let changed: Vec<usize> = (0..cells)
            .filter(|&i| !matches(stats[i].sum, stats[i].big, stats[i].n))
            .collect();
        let mut blocks: Vec<u8> = stats
            .iter()
            .map(|b| match (matches(b.sum, b.big, b.n), b.textured()) {
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
            .filter(|&i| stats[i].textured())
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

/// One block compared with the same place in another frame.
struct BlockStats {
    /// Summed absolute difference and differences over 32 levels, over `n` pixels.
    sum: u32,
    big: u32,
    n: u32,
    /// The darkest and brightest luma of the block in the newer frame.
    lo: u8,
    hi: u8,
}

impl BlockStats {
    /// Whether the block has any contrast in it (blank blocks match any shift: no evidence).
    fn textured(&self) -> bool {
        self.hi.saturating_sub(self.lo) > 24
    }
}

/// Sums of absolute differences between rows of two frames, counts of large ones (over 32
/// levels) and, when asked, the darkest and brightest pixel of the newer rows. Every video
/// frame is compared with the one before and with the last frame read this way, so it must run
/// at memory speed: the scalar loop took 1.2–1.6 ms per 720p frame in WebAssembly, on a core the
/// OCR needs. Pixels are taken 16 at a time in narrow lanes that are carried into 32-bit totals
/// before they could overflow.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    const LANES: usize = 16;

    /// Portable form: fixed-size arrays, which LLVM turns into SSE/AVX natively.
    pub struct DiffSums {
        sum: [u16; LANES],
        big: [u16; LANES],
        lo: [u8; LANES],
        hi: [u8; LANES],
        /// Chunks added to the 16-bit lanes since they were last carried.
        pending: u32,
        total_sum: u32,
        total_big: u32,
    }

    impl Default for DiffSums {
        fn default() -> Self {
            DiffSums {
                sum: [0; LANES],
                big: [0; LANES],
                lo: [255; LANES],
                hi: [0; LANES],
                pending: 0,
                total_sum: 0,
                total_big: 0,
            }
        }
    }

    impl DiffSums {
        /// At most 257 chunks of differences ≤ 255 fit a 16-bit lane.
        const CARRY_AFTER: u32 = 256;

        #[inline(always)]
        pub(super) fn add<const RANGE: bool>(&mut self, now: &[u8], before: &[u8]) {
            let mut a = now.chunks_exact(LANES);
            let mut b = before.chunks_exact(LANES);
            for (x, y) in (&mut a).zip(&mut b) {
                for k in 0..LANES {
                    let d = x[k].abs_diff(y[k]);
                    self.sum[k] += d as u16;
                    self.big[k] += (d > 32) as u16;
                    if RANGE {
                        self.lo[k] = self.lo[k].min(x[k]);
                        self.hi[k] = self.hi[k].max(x[k]);
                    }
                }
                self.pending += 1;
                if self.pending >= Self::CARRY_AFTER {
                    self.carry();
                }
            }
            for (&x, &y) in a.remainder().iter().zip(b.remainder()) {
                let d = x.abs_diff(y) as u32;
                self.total_sum += d;
                self.total_big += (d > 32) as u32;
                if RANGE {
                    self.lo[0] = self.lo[0].min(x);
                    self.hi[0] = self.hi[0].max(x);
                }
            }
        }

        fn carry(&mut self) {
            self.total_sum += self.sum.iter().map(|&v| v as u32).sum::<u32>();
            self.total_big += self.big.iter().map(|&v| v as u32).sum::<u32>();
            self.sum = [0; LANES];
            self.big = [0; LANES];
            self.pending = 0;
        }

        /// (sum of absolute differences, differences over 32).
        pub fn total(&mut self) -> (u32, u32) {
            self.carry();
            (self.total_sum, self.total_big)
        }

        /// (darkest, brightest) of the rows added with their range; (255, 0) if none.
        pub fn range(&self) -> (u8, u8) {
            (
                self.lo.iter().copied().min().unwrap_or(255),
                self.hi.iter().copied().max().unwrap_or(0),
            )
        }
    }
}

/// The same with WebAssembly's 128-bit vectors written out: LLVM left the portable form's
/// widening adds mostly scalar for wasm32, and it ran slower than the plain loop (2.5 ms per
/// 720p frame against 1.2–1.6).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::{
        i16x8_add, i32x4_add, i8x16_splat, i8x16_sub, u16x8_extadd_pairwise_u8x16,
        u32x4_extadd_pairwise_u16x8, u8x16_gt, u8x16_max, u8x16_min, u8x16_splat, u8x16_sub_sat,
        v128, v128_load, v128_or,
    };

    pub struct DiffSums {
        /// Eight 16-bit sums, each of two differences per chunk.
        sum: v128,
        /// Sixteen 8-bit counts of differences over 32 (a compare gives -1, subtracted).
        big: v128,
        lo: v128,
        hi: v128,
        /// Four 32-bit totals each.
        total_sum: v128,
        total_big: v128,
        pending: u32,
        /// Differences of the bytes after the last whole chunk of a row.
        rest_sum: u32,
        rest_big: u32,
        rest_lo: u8,
        rest_hi: u8,
    }

    impl Default for DiffSums {
        fn default() -> Self {
            DiffSums {
                sum: i8x16_splat(0),
                big: i8x16_splat(0),
                lo: u8x16_splat(255),
                hi: u8x16_splat(0),
                total_sum: i8x16_splat(0),
                total_big: i8x16_splat(0),
                pending: 0,
                rest_sum: 0,
                rest_big: 0,
                rest_lo: 255,
                rest_hi: 0,
            }
        }
    }

    impl DiffSums {
        /// An 8-bit count holds 255 chunks, a 16-bit sum of two differences 128.
        const CARRY_AFTER: u32 = 128;

        #[inline(always)]
        pub(super) fn add<const RANGE: bool>(&mut self, now: &[u8], before: &[u8]) {
            let n = now.len().min(before.len());
            let whole = n / 16 * 16;
            let over = u8x16_splat(32);
            let mut i = 0;
            while i < whole {
                // SAFETY: `i + 16 <= n` bytes are in both slices; unaligned loads are allowed.
                let (x, y) = unsafe {
                    (
                        v128_load(now.as_ptr().add(i) as *const v128),
                        v128_load(before.as_ptr().add(i) as *const v128),
                    )
                };
                let d = v128_or(u8x16_sub_sat(x, y), u8x16_sub_sat(y, x));
                self.sum = i16x8_add(self.sum, u16x8_extadd_pairwise_u8x16(d));
                self.big = i8x16_sub(self.big, u8x16_gt(d, over));
                if RANGE {
                    self.lo = u8x16_min(self.lo, x);
                    self.hi = u8x16_max(self.hi, x);
                }
                self.pending += 1;
                if self.pending >= Self::CARRY_AFTER {
                    self.carry();
                }
                i += 16;
            }
            for (&x, &y) in now[whole..n].iter().zip(&before[whole..n]) {
                let d = x.abs_diff(y) as u32;
                self.rest_sum += d;
                self.rest_big += (d > 32) as u32;
                if RANGE {
                    self.rest_lo = self.rest_lo.min(x);
                    self.rest_hi = self.rest_hi.max(x);
                }
            }
        }

        fn carry(&mut self) {
            self.total_sum = i32x4_add(self.total_sum, u32x4_extadd_pairwise_u16x8(self.sum));
            let big = u32x4_extadd_pairwise_u16x8(u16x8_extadd_pairwise_u8x16(self.big));
            self.total_big = i32x4_add(self.total_big, big);
            self.sum = i8x16_splat(0);
            self.big = i8x16_splat(0);
            self.pending = 0;
        }

        fn lanes<T: Copy + Default, const N: usize>(v: v128) -> [T; N] {
            // SAFETY: v128 is 16 plain bytes; [T; N] is 16 bytes for the uses below.
            unsafe { core::mem::transmute_copy(&v) }
        }

        pub fn total(&mut self) -> (u32, u32) {
            self.carry();
            let sum: [u32; 4] = Self::lanes(self.total_sum);
            let big: [u32; 4] = Self::lanes(self.total_big);
            (
                sum.iter().sum::<u32>() + self.rest_sum,
                big.iter().sum::<u32>() + self.rest_big,
            )
        }

        pub fn range(&self) -> (u8, u8) {
            let lo: [u8; 16] = Self::lanes(self.lo);
            let hi: [u8; 16] = Self::lanes(self.hi);
            (
                lo.iter().copied().min().unwrap_or(255).min(self.rest_lo),
                hi.iter().copied().max().unwrap_or(0).max(self.rest_hi),
            )
        }
    }
}

use lanes::DiffSums;

impl DiffSums {
    /// Adds the differences of one row of a block, `now` against `before`.
    #[inline]
    fn add_row(&mut self, now: &[u8], before: &[u8]) {
        self.add::<false>(now, before)
    }

    /// [`Self::add_row`], also widening the range of `now`'s values.
    #[inline]
    fn add_row_and_range(&mut self, now: &[u8], before: &[u8]) {
        self.add::<true>(now, before)
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
    /// Pixel by pixel, as the comparison is defined.
    fn plain_diff(now: &[u8], before: &[u8]) -> (u32, u32) {
        now.iter().zip(before).fold((0, 0), |(sum, big), (&a, &b)| {
            let d = a.abs_diff(b) as u32;
            (sum + d, big + (d > 32) as u32)
        })
    }

    #[test]
    fn vectorised_sums_equal_the_plain_ones_past_lane_overflow() {
        // 300 chunks of the largest difference overflow a 16-bit lane unless carried; the
        // odd length leaves a remainder outside the 16-wide chunks.
        let now = vec![255u8; 16 * 300 + 7];
        let before = vec![0u8; now.len()];
        let mut acc = DiffSums::default();
        acc.add_row(&now, &before);
        assert_eq!(acc.total(), plain_diff(&now, &before));
        // Many short rows (one block's), mixed differences.
        let (a, b) = (page(333, 97, 1), page(333, 97, 2));
        let mut acc = DiffSums::default();
        for (ra, rb) in a.chunks(333).zip(b.chunks(333)) {
            acc.add_row(&ra[5..40], &rb[5..40]);
        }
        let (mut sum, mut big) = (0, 0);
        for (ra, rb) in a.chunks(333).zip(b.chunks(333)) {
            let (s, g) = plain_diff(&ra[5..40], &rb[5..40]);
            sum += s;
            big += g;
        }
        assert_eq!(acc.total(), (sum, big));
        assert!(sum > 0 && big > 0);
    }

    #[test]
    fn one_pass_over_the_rows_gives_each_blocks_own_comparison() {
        // A size that no block or lane divides: partial blocks on the right and at the bottom.
        let (w, h) = (1000, 563);
        let a = Analyser::new(w as u32, h as u32).unwrap();
        let (before, now) = (page(w, h, 3), page(w, h, 4));
        let stats = a.still_stats(&before, &now);
        assert_eq!(stats.len(), a.grid.cols * a.grid.rows);
        for (i, b) in stats.iter().enumerate() {
            let (sum, big, n, outside) = a.block_diff(&before, &now, i, [0, 0]);
            assert_eq!((b.sum, b.big, b.n, outside), (sum, big, n, 0), "block {i}");
            let (bx, by) = (i % a.grid.cols * a.block, i / a.grid.cols * a.block);
            let pixels = (by..(by + a.block).min(h)).flat_map(|y| {
                now[y * w + bx..y * w + (bx + a.block).min(w)]
                    .iter()
                    .copied()
            });
            let (lo, hi) = pixels.fold((255u8, 0u8), |(lo, hi), v| (lo.min(v), hi.max(v)));
            assert_eq!((b.lo, b.hi), (lo, hi), "block {i}");
        }
    }
}
