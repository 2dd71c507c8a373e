//! Pointwise convolution (ONNX `Conv` with a 1×1 filter, one group, stride 1, no padding) as
//! a matrix product written for WebAssembly (and 3×3 convolutions padded by one pixel, as the
//! same product over each channel's nine shifted copies): about 80% of PP-OCRv5's multiply-adds.
//!
//! rten 0.27's WebAssembly kernel computes 8 × 8 output tiles: 16 accumulator vectors of four
//! lanes plus the loaded operands, against the 16 vector registers V8 has on x86-64 (one kept as
//! scratch), and a build of it with fused multiply-add (relaxed SIMD) read the demo frame's 189
//! lines no faster (5.78 against 5.78 s, best of three alternated in one page). This kernel
//! computes [`ROWS`] output channels × 8 pixels: 8 accumulators, two loads of the input and one
//! broadcast weight in flight. In Node (V8, relaxed SIMD), a 480 × 480 layer over 240 pixels:
//! 21 GMAC/s with 4 rows, 18 with 3, 16–17 with 5 or 6 (spilled); without fused multiply-add it
//! runs about as fast as rten's kernel, so the gain is the relaxed build's (build.sh, simd.js).

//! For each image of the batch the input is `in_channels` rows of `pixels` floats (NCHW), the
//! output `out_channels` rows. The weights are packed once, at load: for each tile of [`ROWS`]
//! output channels, the tile's `ROWS` weights of input channel 0, then of input channel 1…, so
//! the inner loop reads them in order. A tile's inner loop walks all input channels over one
//! block of 8 pixels, copied into one run first (in_channels × 32 bytes, 15 KB at 480
//! channels), which stays in the first-level cache while every tile of output channels reads
//! it.
//!
//! In the page the wide layers (at least 120 input and output channels) are computed in
//! integers instead ([`PointwiseConv::quantised`], chosen by [`super::Pointwise`]): each output
//! channel's weights rounded to 12 bits once, at load; each panel's input rounded per pixel,
//! between that pixel's least and greatest value over the input rows, to as many levels as keep
//! every sum inside 32 bits (2047 for 480 input rows); products summed exactly with
//! `i32x4.dot_i16x8_s` (plain SIMD, so every build and browser computes the same) and scaled
//! back in floats. Measured (2026-12-06): in a microbenchmark in the page this instruction
//! sums 42–45 products per ns on one core against 22–25 for fused float multiply-adds (and
//! the relaxed 8-bit dot product 87, but with every recogniser layer so 8-bit weights changed
//! 51 of 747 lines read on three dev images, 12-bit weights none); on the 1080p bench screen
//! the recogniser's widest layer
//! took 445 against 613 ms. Narrow layers and 3×3 filters stay in floats: rounding each
//! panel costs more there than the products gain (the detector's 3×3 layers of 24 outputs
//! took 198–203 against 102–113 ms).

use std::mem::MaybeUninit;

/// Output channels computed together (the accumulators are `ROWS` × 2 vectors of four).
pub const ROWS: usize = 4;
/// Pixels computed together.
pub const COLS: usize = 8;
/// Pixels taken per pass of every tile of output channels (whole blocks of [`COLS`]), at
/// least; layers of few input rows take more ([`panel_pixels`]).
pub const PANEL: usize = 64;
/// A panel holds up to this many input floats (128 KB, in the second-level cache) when that is
/// more than [`PANEL`] pixels.
const PANEL_FLOATS: usize = 32768;

/// Pixels per panel for a product of `k` input rows: [`PANEL`], or more where the input rows
/// are few, so that each output row is written (and each input row read) in longer runs. In
/// the page (the street photo at 1920×1080, three runs each, alternated twice) the face
/// model took 881–911 ms with panels of up to 32768 floats, 1011–1038 with 8192 and
/// 1059–1226 with 64 pixels always; its 16 → 96 layer at 544×960 (96 output rows of 522,240
/// pixels) 116–196 → 93 ms at 8192. 131072 floats measured the same as 32768. Text reading
/// was not slowed (`ab.mjs`, 1080p bench screen: recognition 4579 against 4660 ms, same text).
fn panel_pixels(k: usize) -> usize {
    (PANEL_FLOATS / k.max(1)).max(PANEL) / COLS * COLS
}

/// A 1×1 convolution's weights, ready for [`PointwiseConv::run_into`]; or a 3×3 one (stride 1,
/// one pixel of zero padding on every side), computed as the product of the same kernel with,
/// for each block of pixels, the nine neighbours of each input channel gathered as nine input
/// rows ([`PointwiseConv::new_3x3`]).
#[derive(Clone, Debug)]
pub struct PointwiseConv {
    pub in_channels: usize,
    pub out_channels: usize,
    /// 1 or 3.
    pub kernel: usize,
    /// Tiles of `ROWS` output channels (the last padded with zero weights): for each input
    /// row of the product (an input channel, or a channel's tap of a 3×3 filter), the tile's
    /// `ROWS` weights.
    packed: Vec<f32>,
    /// One per output channel (zeros when the layer has none).
    bias: Vec<f32>,
    /// The same weights in 12 bits, when the product is computed in integers
    /// ([`PointwiseConv::quantised`]).
    quantised: Option<Quantised>,
}

/// A layer's weights as integers per output channel (`w ≈ scale · q`, `q` in
/// ±[`WEIGHT_LEVELS`]), packed for [`quantised_tile_product`]: for each tile of [`ROWS`] output
/// channels, for each pair of input rows (the last padded with zero), the tile's `ROWS` words
/// of two 16-bit weights, the pair's first row in the low half.
#[derive(Clone, Debug)]
struct Quantised {
    pairs: usize,
    packed: Vec<i32>,
    /// Per output channel (padded to whole tiles): the step of its weights, and that step
    /// times the sum of its integer weights (what a constant input of 1 contributes).
    scale: Vec<f32>,
    sum: Vec<f32>,
    /// The input's greatest level (its least is 0): as many as keep every sum of products
    /// inside 32 bits.
    levels: u16,
}

/// Weights are integers in -2047..=2047 (12 bits; with every recogniser layer in integers, in
/// 10 bits 7 of 747 lines read on three dev images changed, in 12 none), leaving the input 11
/// bits at 480 input rows ([`Quantised::levels`]).
const WEIGHT_LEVELS: f32 = 2047.0;

impl PointwiseConv {
    /// `weights`: `out_channels × in_channels`, row-major (ONNX's `[out, in, 1, 1]`).
    pub fn new(
        out_channels: usize,
        in_channels: usize,
        weights: &[f32],
        bias: Option<Vec<f32>>,
    ) -> Option<PointwiseConv> {
        Self::with_kernel(out_channels, in_channels, 1, weights, bias)
    }

    /// A 3×3 convolution, stride 1, padded by one pixel of zeros on each side; `weights`:
    /// ONNX's `[out, in, 3, 3]`, row-major.
    pub fn new_3x3(
        out_channels: usize,
        in_channels: usize,
        weights: &[f32],
        bias: Option<Vec<f32>>,
    ) -> Option<PointwiseConv> {
        Self::with_kernel(out_channels, in_channels, 3, weights, bias)
    }

    fn with_kernel(
        out_channels: usize,
        in_channels: usize,
        kernel: usize,
        weights: &[f32],
        bias: Option<Vec<f32>>,
    ) -> Option<PointwiseConv> {
        let k = in_channels * kernel * kernel;
        if out_channels == 0
            || in_channels == 0
            || weights.len() != out_channels * k
            || bias.as_ref().is_some_and(|b| b.len() != out_channels)
        {
            return None;
        }
        let tiles = out_channels.div_ceil(ROWS);
        let mut packed = vec![0f32; tiles * k * ROWS];
        for co in 0..out_channels {
            let (tile, r) = (co / ROWS, co % ROWS);
            for ci in 0..k {
                packed[(tile * k + ci) * ROWS + r] = weights[co * k + ci];
            }
        }
        Some(PointwiseConv {
            in_channels,
            out_channels,
            kernel,
            packed,
            bias: bias.unwrap_or_else(|| vec![0.0; out_channels]),
            quantised: None,
        })
    }

    /// The same convolution computed in integers: its weights in 12 bits per output channel,
    /// each pixel's input in as many levels as keep every sum inside 32 bits, between its own
    /// least and greatest value over the input rows, products summed exactly in 32 bits and
    /// scaled back ([`QuantisedPanel`]).
    pub fn quantised(mut self) -> PointwiseConv {
        let k = self.k();
        let pairs = k.div_ceil(2);
        let tiles = self.out_channels.div_ceil(ROWS);
        let mut packed = vec![0i32; tiles * pairs * ROWS];
        let mut scale = vec![0f32; tiles * ROWS];
        let mut sum = vec![0f32; tiles * ROWS];
        for tile in 0..tiles {
            let w = &self.packed[tile * k * ROWS..(tile + 1) * k * ROWS];
            for r in 0..ROWS {
                let most = (0..k).map(|ci| w[ci * ROWS + r].abs()).fold(0f32, f32::max);
                let step = if most > 0.0 {
                    most / WEIGHT_LEVELS
                } else {
                    0.0
                };
                let mut total = 0i32;
                for ci in 0..k {
                    let q = if step > 0.0 {
                        (w[ci * ROWS + r] / step).round() as i32
                    } else {
                        0
                    };
                    let q = q.clamp(-(WEIGHT_LEVELS as i32), WEIGHT_LEVELS as i32);
                    total += q;
                    let word = &mut packed[(tile * pairs + ci / 2) * ROWS + r];
                    *word |= ((q as i16 as u16) as i32) << (16 * (ci % 2));
                }
                scale[tile * ROWS + r] = step;
                sum[tile * ROWS + r] = step * total as f32;
            }
        }
        // k · 2047 · levels < 2³¹, and a level fits in 15 bits.
        let levels = ((i32::MAX as f32 / (k as f32 * WEIGHT_LEVELS)) as u32).min(32767) as u16;
        self.quantised = Some(Quantised {
            pairs,
            packed,
            scale,
            sum,
            levels,
        });
        self
    }

    /// Rows of the product: input channels × filter taps.
    fn k(&self) -> usize {
        self.in_channels * self.kernel * self.kernel
    }

    /// The convolution of `input` (`batch × in_channels × height × width`, contiguous) into
    /// `out` (cleared and filled with `batch × out_channels × height × width`).
    pub fn run_image_into(
        &self,
        input: &[f32],
        batch: usize,
        height: usize,
        width: usize,
        out: &mut Vec<f32>,
    ) -> Result<(), String> {
        if self.kernel == 1 {
            return self.run_into(input, batch, height * width, out);
        }
        let (cin, pixels) = (self.in_channels, height * width);
        if input.len() != batch * cin * pixels {
            return Err(format!(
                "3×3 convolution: {} floats given for {batch} × {cin} × {height} × {width}",
                input.len()
            ));
        }
        let total = batch * self.out_channels * pixels;
        out.clear();
        out.reserve(total);
        let y = &mut out.spare_capacity_mut()[..total];
        // For each block of COLS pixels of one image row, each input channel's nine
        // neighbours of each pixel (zero outside the image) as nine rows of the block, in the
        // weights' order (channel, then filter row, then filter column). Each such row is a
        // run of the source row, so it is copied whole: gathered pixel by pixel, the copying
        // cost as much as the product. Blocks are multiplied a panel at a time, as in
        // `run_into`.
        let k = self.k();
        let panel_px = panel_pixels(k);
        let mut panel = vec![0f32; panel_px.div_ceil(COLS) * k * COLS];
        for n in 0..batch {
            let x = &input[n * cin * pixels..(n + 1) * cin * pixels];
            let y = &mut y[n * self.out_channels * pixels..(n + 1) * self.out_channels * pixels];
            for py in 0..height {
                for p0 in (0..width).step_by(panel_px) {
                    let panel_width = panel_px.min(width - p0);
                    for (b, block) in panel
                        .chunks_exact_mut(k * COLS)
                        .take(panel_width.div_ceil(COLS))
                        .enumerate()
                    {
                        let x0 = p0 + b * COLS;
                        let count = COLS.min(width - x0);
                        for ky in 0..3 {
                            let sy = (py + ky).checked_sub(1).filter(|&sy| sy < height);
                            for kx in 0..3 {
                                // Block columns whose source column x0 + j + kx - 1 is inside.
                                let lo = 1usize.saturating_sub(kx + x0).min(count);
                                let hi = (width + 1).saturating_sub(kx + x0).min(count).max(lo);
                                let tap = ky * 3 + kx;
                                for ci in 0..cin {
                                    let run = &mut block[(ci * 9 + tap) * COLS..][..COLS];
                                    let Some(sy) = sy else {
                                        run.fill(0.0);
                                        continue;
                                    };
                                    let from = ci * pixels + sy * width + x0 + lo + kx - 1;
                                    if lo == 0 && hi == COLS {
                                        // Fixed-size, as in `run_into`.
                                        let run: &mut [f32; COLS] = run.try_into().unwrap();
                                        *run = x[from..from + COLS].try_into().unwrap();
                                    } else {
                                        run[..lo].fill(0.0);
                                        run[lo..hi].copy_from_slice(&x[from..from + hi - lo]);
                                        run[hi..].fill(0.0);
                                    }
                                }
                            }
                        }
                    }
                    self.panel_product(&panel, y, pixels, py * width + p0, panel_width);
                }
            }
        }
        // SAFETY: panel_product wrote every output channel of every pixel of every image.
        unsafe { out.set_len(total) };
        Ok(())
    }

    /// The convolution of `input` (`batch × in_channels × pixels`, contiguous) into `out`
    /// (cleared and filled with `batch × out_channels × pixels`).
    pub fn run_into(
        &self,
        input: &[f32],
        batch: usize,
        pixels: usize,
        out: &mut Vec<f32>,
    ) -> Result<(), String> {
        if self.kernel != 1 {
            return Err("pointwise convolution: a 3×3 filter needs the image's size".into());
        }
        if input.len() != batch * self.in_channels * pixels {
            return Err(format!(
                "pointwise convolution: {} floats given for {batch} × {} × {pixels}",
                input.len(),
                self.in_channels
            ));
        }
        let k = self.in_channels;
        let total = batch * self.out_channels * pixels;
        out.clear();
        out.reserve(total);
        let y = &mut out.spare_capacity_mut()[..total];
        // Each panel of up to `panel_px` pixels of all input channels is first copied into blocks of
        // COLS pixels, each one contiguous run (the last padded with zeros): every tile of output
        // channels then reads them in order from the cache (the first level for a block, the
        // second for a panel of up to PANEL_FLOATS). Read in place, a
        // block's rows lie `pixels` floats apart, one cache line per input channel, and the
        // kernel ran at about half speed.
        let panel_px = panel_pixels(k);
        let mut panel = vec![0f32; panel_px.div_ceil(COLS) * k * COLS];
        for n in 0..batch {
            let x = &input[n * k * pixels..(n + 1) * k * pixels];
            let y = &mut y[n * self.out_channels * pixels..(n + 1) * self.out_channels * pixels];
            let mut p0 = 0;
            while p0 < pixels {
                let width = panel_px.min(pixels - p0);
                for (b, block) in panel
                    .chunks_exact_mut(k * COLS)
                    .take(width.div_ceil(COLS))
                    .enumerate()
                {
                    let (from, count) = (p0 + b * COLS, COLS.min(width - b * COLS));
                    for ci in 0..k {
                        let run: &mut [f32; COLS] =
                            (&mut block[ci * COLS..(ci + 1) * COLS]).try_into().unwrap();
                        if count == COLS {
                            // Fixed-size: two vector loads and stores, not a call of memcpy.
                            *run = x[ci * pixels + from..][..COLS].try_into().unwrap();
                        } else {
                            run[..count].copy_from_slice(&x[ci * pixels + from..][..count]);
                            run[count..].fill(0.0);
                        }
                    }
                }
                self.panel_product(&panel, y, pixels, p0, width);
                p0 += width;
            }
        }
        // SAFETY: panel_product wrote every output channel of every pixel of every image.
        unsafe { out.set_len(total) };
        Ok(())
    }

    /// As [`PointwiseConv::run_into`] for one image whose input is already laid out in blocks
    /// ([`PointwiseConv::blocks`]): for a constant input read many times (the output layer's
    /// matrix, [`super::head`]), which is then read in order instead of gathered from
    /// `in_channels` rows for every block.
    pub fn run_blocked(
        &self,
        blocks: &[f32],
        pixels: usize,
        out: &mut Vec<f32>,
    ) -> Result<(), String> {
        let k = self.k();
        if blocks.len() != pixels.div_ceil(COLS) * k * COLS {
            return Err(format!(
                "pointwise convolution: {} floats given for {} blocks of {k} × {COLS}",
                blocks.len(),
                pixels.div_ceil(COLS)
            ));
        }
        let total = self.out_channels * pixels;
        out.clear();
        out.reserve(total);
        let y = &mut out.spare_capacity_mut()[..total];
        for (b, panel) in blocks.chunks(PANEL.div_ceil(COLS) * k * COLS).enumerate() {
            let p0 = b * PANEL;
            self.panel_product(panel, y, pixels, p0, PANEL.min(pixels - p0));
        }
        // SAFETY: panel_product wrote every output channel of every pixel.
        unsafe { out.set_len(total) };
        Ok(())
    }

    /// `input` (`channels × pixels`, row-major) in the layout [`PointwiseConv::run_blocked`]
    /// reads: for each block of [`COLS`] pixels, each channel's `COLS` values (the last block
    /// padded with zeros).
    pub fn blocks(input: &[f32], channels: usize, pixels: usize) -> Vec<f32> {
        let mut blocks = vec![0f32; pixels.div_ceil(COLS) * channels * COLS];
        for (b, block) in blocks.chunks_exact_mut(channels * COLS).enumerate() {
            let (p0, width) = (b * COLS, COLS.min(pixels - b * COLS));
            for ci in 0..channels {
                block[ci * COLS..ci * COLS + width]
                    .copy_from_slice(&input[ci * pixels + p0..][..width]);
            }
        }
        blocks
    }

    /// Every output channel for the `width` pixels from `p0` whose input `panel` holds (blocks
    /// of `in_channels × COLS`, at least `width` pixels' worth), into `y`
    /// (`out_channels × pixels`). A tile of output channels is taken over the whole panel
    /// before the next, so each output row is written a panel's width at a time (not 32 bytes
    /// into each of, in the face model, 96 rows 2 MB apart per block). Alone this measured no
    /// faster in the face bench (model 1311–1320 against 1276–1309 ms); what made the 16 → 96
    /// layer twice as fast was copying whole blocks as fixed-size arrays (`run_into`).
    fn panel_product(
        &self,
        panel: &[f32],
        y: &mut [MaybeUninit<f32>],
        pixels: usize,
        p0: usize,
        width: usize,
    ) {
        let k = self.k();
        if let Some(q) = &self.quantised {
            let input = QuantisedPanel::new(panel, k, width, q.levels);
            self.quantised_panel_product(q, &input, y, pixels, p0, width);
            return;
        }
        for tile in 0..self.out_channels.div_ceil(ROWS) {
            let weights = &self.packed[tile * k * ROWS..(tile + 1) * k * ROWS];
            let co = tile * ROWS;
            let rows = ROWS.min(self.out_channels - co);
            // The tile's biases (zero past the last output channel), without a call of memcpy.
            let bias: [f32; ROWS] =
                std::array::from_fn(|r| self.bias.get(co + r).copied().unwrap_or(0.0));
            for (b, block) in panel
                .chunks_exact(k * COLS)
                .take(width.div_ceil(COLS))
                .enumerate()
            {
                let count = COLS.min(width - b * COLS);
                let acc = tile_product(weights, block, k, &bias);
                for (r, values) in acc.iter().enumerate().take(rows) {
                    let start = (co + r) * pixels + p0 + b * COLS;
                    let slots = &mut y[start..start + count];
                    if count == COLS {
                        // A whole block: one fixed-size copy (two vector stores), not a loop.
                        let slots: &mut [MaybeUninit<f32>; COLS] = slots.try_into().unwrap();
                        *slots = values.map(MaybeUninit::new);
                    } else {
                        for (slot, &v) in slots.iter_mut().zip(values) {
                            slot.write(v);
                        }
                    }
                }
            }
        }
    }
    /// [`PointwiseConv::panel_product`] in integers ([`PointwiseConv::quantised`]).
    fn quantised_panel_product(
        &self,
        q: &Quantised,
        input: &QuantisedPanel,
        y: &mut [MaybeUninit<f32>],
        pixels: usize,
        p0: usize,
        width: usize,
    ) {
        let g = q.pairs;
        for tile in 0..self.out_channels.div_ceil(ROWS) {
            let weights = &q.packed[tile * g * ROWS..(tile + 1) * g * ROWS];
            let co = tile * ROWS;
            let rows = ROWS.min(self.out_channels - co);
            for b in 0..width.div_ceil(COLS) {
                let count = COLS.min(width - b * COLS);
                let block = &input.words[b * g * COLS..(b + 1) * g * COLS];
                let acc = quantised_tile_product(weights, block, g);
                let step: &[f32; COLS] = input.step[b * COLS..][..COLS].try_into().unwrap();
                let least: &[f32; COLS] = input.least[b * COLS..][..COLS].try_into().unwrap();
                for (r, sums) in acc.iter().enumerate().take(rows) {
                    let (scale, sum) = (q.scale[co + r], q.sum[co + r]);
                    let bias = self.bias[co + r];
                    let start = (co + r) * pixels + p0 + b * COLS;
                    let values = scale_back(sums, scale, step, least, sum, bias);
                    let slots = &mut y[start..start + count];
                    if count == COLS {
                        let slots: &mut [MaybeUninit<f32>; COLS] = slots.try_into().unwrap();
                        *slots = values.map(MaybeUninit::new);
                    } else {
                        for (slot, &v) in slots.iter_mut().zip(&values) {
                            slot.write(v);
                        }
                    }
                }
            }
        }
    }
}

/// A panel's input as integers: for each pixel, its least value over the input rows and the
/// step between levels (`x ≈ least + step · q`, `q` in 0..=levels), and for each block of
/// [`COLS`] pixels and each pair of input rows, each pixel's two levels as one word of two
/// 16-bit halves (the pair's first row in the low half), the layout [`quantised_tile_product`]
/// reads.
struct QuantisedPanel {
    words: Vec<u32>,
    least: Vec<f32>,
    step: Vec<f32>,
}

impl QuantisedPanel {
    /// `panel`: blocks of `k` input rows × [`COLS`] pixels, covering `width` pixels.
    fn new(panel: &[f32], k: usize, width: usize, levels: u16) -> QuantisedPanel {
        let blocks = width.div_ceil(COLS);
        let pairs = k.div_ceil(2);
        let levels = levels as f32;
        // Written in order, block by block: no buffer is cleared first.
        let mut words = Vec::with_capacity(blocks * pairs * COLS);
        let mut least = Vec::with_capacity(blocks * COLS);
        let mut step = Vec::with_capacity(blocks * COLS);
        for block in panel.chunks_exact(k * COLS).take(blocks) {
            let (mut lo, hi) = block_range(block);
            let mut inverse = [0f32; COLS];
            let mut steps = [0f32; COLS];
            for j in 0..COLS {
                let range = hi[j] - lo[j];
                // A pixel whose rows are all one value (or not finite) is that value: level 0.
                if range > 0.0 && range.is_finite() {
                    steps[j] = range / levels;
                    inverse[j] = levels / range;
                }
                lo[j] = if lo[j].is_finite() { lo[j] } else { 0.0 };
            }
            least.extend_from_slice(&lo);
            step.extend_from_slice(&steps);
            for pair in 0..pairs {
                let first: &[f32; COLS] = block[2 * pair * COLS..][..COLS].try_into().unwrap();
                // An odd count of rows: the last pair's second row is level 0.
                let second = block.get((2 * pair + 1) * COLS..(2 * pair + 2) * COLS);
                let second = second.map(|r| -> &[f32; COLS] { r.try_into().unwrap() });
                words.extend_from_slice(&pair_levels(first, second, &lo, &inverse, levels));
            }
        }
        QuantisedPanel { words, least, step }
    }
}

/// `bias[r]` plus the sum over input channels `ci < k` of `weights[ci · ROWS + r]` ×
/// `block[ci · COLS ..][..COLS]`, for each of the tile's `ROWS` output channels.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn tile_product(
    weights: &[f32],
    block: &[f32],
    k: usize,
    bias: &[f32; ROWS],
) -> [[f32; COLS]; ROWS] {
    let mut acc = [[0f32; COLS]; ROWS];
    for r in 0..ROWS {
        acc[r] = [bias[r]; COLS];
    }
    for ci in 0..k {
        let run: &[f32; COLS] = block[ci * COLS..][..COLS].try_into().unwrap();
        let w: &[f32; ROWS] = weights[ci * ROWS..][..ROWS].try_into().unwrap();
        for r in 0..ROWS {
            for j in 0..COLS {
                acc[r][j] += w[r] * run[j];
            }
        }
    }
    acc
}

/// The same in WebAssembly's 128-bit vectors, written out (LLVM leaves the portable loop
/// scalar for wasm32), with fused multiply-adds where the build has relaxed SIMD.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn tile_product(
    weights: &[f32],
    block: &[f32],
    k: usize,
    bias: &[f32; ROWS],
) -> [[f32; COLS]; ROWS] {
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, v128, v128_load};
    const _: () = assert!(COLS == 8);
    let mut acc = [[f32x4_splat(0.0); 2]; ROWS];
    for r in 0..ROWS {
        acc[r] = [f32x4_splat(bias[r]); 2];
    }
    // Bounds checked once, not per input channel.
    assert!(k * COLS <= block.len());
    assert!(weights.len() >= k * ROWS);
    let (x, w) = (block.as_ptr(), weights.as_ptr());
    for ci in 0..k {
        // SAFETY: ci · COLS + COLS <= block.len() and ci · ROWS + ROWS <= weights.len()
        // (asserted above): two unaligned 16-byte loads of the input, ROWS scalar weights.
        unsafe {
            let p = x.add(ci * COLS) as *const v128;
            let (b0, b1) = (v128_load(p), v128_load(p.add(1)));
            let wr = w.add(ci * ROWS);
            for r in 0..ROWS {
                let a = f32x4_splat(*wr.add(r));
                // Fused wherever the build has it. A threshold (plain multiply-add below 32
                // input rows) helped the face model's 16 → 96 layer while panels were 64
                // pixels; with longer panels fusing every layer made the model faster (in the
                // page, alternated twice: 831–851 against 858–909 ms).
                if !cfg!(target_feature = "relaxed-simd") {
                    acc[r][0] = f32x4_add(f32x4_mul(a, b0), acc[r][0]);
                    acc[r][1] = f32x4_add(f32x4_mul(a, b1), acc[r][1]);
                } else {
                    acc[r][0] = super::depthwise::madd(a, b0, acc[r][0]);
                    acc[r][1] = super::depthwise::madd(a, b1, acc[r][1]);
                }
            }
        }
    }
    // SAFETY: both are ROWS × 32 bytes (checked by transmute), any bits are a float, and a
    // row's two vectors are its 8 lanes in order.
    unsafe { std::mem::transmute::<[[v128; 2]; ROWS], [[f32; COLS]; ROWS]>(acc) }
}

/// Each pixel's least and greatest value over a block's rows ([`COLS`] pixels each).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn block_range(block: &[f32]) -> ([f32; COLS], [f32; COLS]) {
    let mut lo = [f32::INFINITY; COLS];
    let mut hi = [f32::NEG_INFINITY; COLS];
    for run in block.chunks_exact(COLS) {
        for j in 0..COLS {
            lo[j] = lo[j].min(run[j]);
            hi[j] = hi[j].max(run[j]);
        }
    }
    (lo, hi)
}

/// Two rows' levels (`(x - lo) · inverse`, rounded, in 0..=levels), one word per pixel: the
/// first row in the low half, the second (0 where there is none) in the high half.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn pair_levels(
    first: &[f32; COLS],
    second: Option<&[f32; COLS]>,
    lo: &[f32; COLS],
    inverse: &[f32; COLS],
    levels: f32,
) -> [u32; COLS] {
    let level = |x: f32, j: usize| ((x - lo[j]) * inverse[j] + 0.5).clamp(0.0, levels) as u32;
    std::array::from_fn(|j| level(first[j], j) | second.map_or(0, |s| level(s[j], j) << 16))
}

/// Integer sums back to values: `sum · scale · step + least · weight_sum + bias` per pixel.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn scale_back(
    sums: &[i32; COLS],
    scale: f32,
    step: &[f32; COLS],
    least: &[f32; COLS],
    weight_sum: f32,
    bias: f32,
) -> [f32; COLS] {
    std::array::from_fn(|j| sums[j] as f32 * (scale * step[j]) + (least[j] * weight_sum + bias))
}

/// [`block_range`] in WebAssembly's vectors.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn block_range(block: &[f32]) -> ([f32; COLS], [f32; COLS]) {
    use core::arch::wasm32::{f32x4_max, f32x4_min, f32x4_splat, v128, v128_load, v128_store};
    let (mut lo0, mut lo1) = (f32x4_splat(f32::INFINITY), f32x4_splat(f32::INFINITY));
    let (mut hi0, mut hi1) = (
        f32x4_splat(f32::NEG_INFINITY),
        f32x4_splat(f32::NEG_INFINITY),
    );
    for run in block.chunks_exact(COLS) {
        // SAFETY: a run holds COLS = 8 floats: two 16-byte loads.
        let (a, b) = unsafe {
            let p = run.as_ptr() as *const v128;
            (v128_load(p), v128_load(p.add(1)))
        };
        (lo0, lo1, hi0, hi1) = (
            f32x4_min(lo0, a),
            f32x4_min(lo1, b),
            f32x4_max(hi0, a),
            f32x4_max(hi1, b),
        );
    }
    let (mut lo, mut hi) = ([0f32; COLS], [0f32; COLS]);
    // SAFETY: each array holds 8 floats.
    unsafe {
        v128_store(lo.as_mut_ptr() as *mut v128, lo0);
        v128_store((lo.as_mut_ptr() as *mut v128).add(1), lo1);
        v128_store(hi.as_mut_ptr() as *mut v128, hi0);
        v128_store((hi.as_mut_ptr() as *mut v128).add(1), hi1);
    }
    (lo, hi)
}

/// [`pair_levels`] in WebAssembly's vectors.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn pair_levels(
    first: &[f32; COLS],
    second: Option<&[f32; COLS]>,
    lo: &[f32; COLS],
    inverse: &[f32; COLS],
    levels: f32,
) -> [u32; COLS] {
    use core::arch::wasm32::*;
    // SAFETY (every load and store here): each array holds 8 values, two 16-byte vectors.
    let load = |a: &[f32; COLS], h: usize| unsafe { v128_load((a.as_ptr() as *const v128).add(h)) };
    let (half, top) = (f32x4_splat(0.5), f32x4_splat(levels));
    let mut out = [0u32; COLS];
    for h in 0..2 {
        let (l, inv) = (load(lo, h), load(inverse, h));
        let level = |x: v128| {
            let v = f32x4_add(f32x4_mul(f32x4_sub(x, l), inv), half);
            i32x4_trunc_sat_f32x4(f32x4_min(f32x4_max(v, f32x4_splat(0.0)), top))
        };
        let mut word = level(load(first, h));
        if let Some(second) = second {
            word = v128_or(word, i32x4_shl(level(load(second, h)), 16));
        }
        unsafe { v128_store((out.as_mut_ptr() as *mut v128).add(h), word) };
    }
    out
}

/// [`scale_back`] in WebAssembly's vectors.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn scale_back(
    sums: &[i32; COLS],
    scale: f32,
    step: &[f32; COLS],
    least: &[f32; COLS],
    weight_sum: f32,
    bias: f32,
) -> [f32; COLS] {
    use core::arch::wasm32::*;
    let mut out = [0f32; COLS];
    // SAFETY: each array holds 8 values: two 16-byte vectors.
    unsafe {
        for h in 0..2 {
            let s = f32x4_convert_i32x4(v128_load((sums.as_ptr() as *const v128).add(h)));
            let st = v128_load((step.as_ptr() as *const v128).add(h));
            let le = v128_load((least.as_ptr() as *const v128).add(h));
            let v = f32x4_add(
                f32x4_mul(s, f32x4_mul(f32x4_splat(scale), st)),
                f32x4_add(f32x4_mul(le, f32x4_splat(weight_sum)), f32x4_splat(bias)),
            );
            v128_store((out.as_mut_ptr() as *mut v128).add(h), v);
        }
    }
    out
}

/// For each of a tile's [`ROWS`] output channels and each of a block's [`COLS`] pixels, the
/// sum over `pairs` pairs of input rows of weight × level (`weights`: the tile's words of
/// [`Quantised::packed`]; `block`: a block's words of [`QuantisedPanel`]), exactly.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn quantised_tile_product(weights: &[i32], block: &[u32], pairs: usize) -> [[i32; COLS]; ROWS] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above).
        return unsafe { quantised_tile_product_avx2(weights, block, pairs) };
    }
    quantised_tile_product_portable(weights, block, pairs)
}

/// [`quantised_tile_product`] in plain Rust.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn quantised_tile_product_portable(
    weights: &[i32],
    block: &[u32],
    pairs: usize,
) -> [[i32; COLS]; ROWS] {
    let mut acc = [[0i32; COLS]; ROWS];
    for g in 0..pairs {
        let x: &[u32; COLS] = block[g * COLS..][..COLS].try_into().unwrap();
        let w: &[i32; ROWS] = weights[g * ROWS..][..ROWS].try_into().unwrap();
        for r in 0..ROWS {
            let (w0, w1) = (w[r] as i16 as i32, (w[r] >> 16) as i16 as i32);
            for j in 0..COLS {
                let (x0, x1) = ((x[j] & 0xffff) as i32, (x[j] >> 16) as i32);
                acc[r][j] += w0 * x0 + w1 * x1;
            }
        }
    }
    acc
}

/// The same natively with AVX2 (`vpmaddwd`: pairs of 16-bit products added into 32 bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn quantised_tile_product_avx2(
    weights: &[i32],
    block: &[u32],
    pairs: usize,
) -> [[i32; COLS]; ROWS] {
    use std::arch::x86_64::*;
    const _: () = assert!(COLS == 8);
    assert!(pairs * COLS <= block.len());
    assert!(weights.len() >= pairs * ROWS);
    let mut acc = [_mm256_setzero_si256(); ROWS];
    for g in 0..pairs {
        // SAFETY: g · COLS + COLS <= block.len() (asserted above): 32 bytes.
        let x = unsafe { _mm256_loadu_si256(block.as_ptr().add(g * COLS) as *const __m256i) };
        for r in 0..ROWS {
            let w = _mm256_set1_epi32(weights[g * ROWS + r]);
            acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(x, w));
        }
    }
    let mut out = [[0i32; COLS]; ROWS];
    for r in 0..ROWS {
        // SAFETY: each row of `out` holds 8 integers.
        unsafe { _mm256_storeu_si256(out[r].as_mut_ptr() as *mut __m256i, acc[r]) };
    }
    out
}

/// The same in WebAssembly's 128-bit vectors (`i32x4.dot_i16x8_s`, plain SIMD: the same
/// results in every build and browser).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn quantised_tile_product(weights: &[i32], block: &[u32], pairs: usize) -> [[i32; COLS]; ROWS] {
    use core::arch::wasm32::{i32x4_add, i32x4_dot_i16x8, i32x4_splat, v128, v128_load};
    let mut acc = [[i32x4_splat(0); 2]; ROWS];
    assert!(pairs * COLS <= block.len());
    assert!(weights.len() >= pairs * ROWS);
    let (x, w) = (block.as_ptr(), weights.as_ptr());
    for g in 0..pairs {
        // SAFETY: g · COLS + COLS <= block.len() and g · ROWS + ROWS <= weights.len()
        // (asserted above).
        unsafe {
            let p = x.add(g * COLS) as *const v128;
            let (b0, b1) = (v128_load(p), v128_load(p.add(1)));
            let wr = w.add(g * ROWS);
            for r in 0..ROWS {
                let a = i32x4_splat(*wr.add(r));
                acc[r][0] = i32x4_add(acc[r][0], i32x4_dot_i16x8(a, b0));
                acc[r][1] = i32x4_add(acc[r][1], i32x4_dot_i16x8(a, b1));
            }
        }
    }
    // SAFETY: as in `tile_product`, with integers.
    unsafe { std::mem::transmute::<[[v128; 2]; ROWS], [[i32; COLS]; ROWS]>(acc) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::network::test_values as values;

    fn naive(
        w: &[f32],
        bias: &[f32],
        x: &[f32],
        batch: usize,
        cin: usize,
        cout: usize,
        p: usize,
    ) -> Vec<f32> {
        let mut y = vec![0f32; batch * cout * p];
        for n in 0..batch {
            for co in 0..cout {
                for q in 0..p {
                    let mut s = bias[co] as f64;
                    for ci in 0..cin {
                        s += w[co * cin + ci] as f64 * x[(n * cin + ci) * p + q] as f64;
                    }
                    y[(n * cout + co) * p + q] = s as f32;
                }
            }
        }
        y
    }

    /// `conv`'s output for `x` (`batch` images of `cin × p`), checked against [`naive`] value
    /// by value: each within `tolerance(wanted value)`. Returns the output.
    fn product_within(
        conv: &PointwiseConv,
        w: &[f32],
        bias: &[f32],
        x: &[f32],
        (cout, cin, p, batch): (usize, usize, usize, usize),
        tolerance: impl Fn(f32) -> f32,
    ) -> Vec<f32> {
        let mut y = Vec::new();
        conv.run_into(x, batch, p, &mut y).unwrap();
        let want = naive(w, bias, x, batch, cin, cout, p);
        assert_eq!(y.len(), want.len());
        for (i, (a, b)) in y.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= tolerance(*b),
                "{cout}x{cin}x{p}x{batch} at {i}: {a} vs {b}"
            );
        }
        y
    }

    #[test]
    fn matches_the_sum_over_input_channels_for_every_shape_edge() {
        // Channel counts that fill tiles and leave partial ones; pixel counts below, at and
        // between multiples of the 8-pixel block and of the panel (64 pixels at 512 input
        // rows or more, 2048 at 16: `panel_pixels`); a batch of two.
        for (cout, cin, p, batch) in [
            (4, 3, 8, 1),
            (5, 7, 13, 2),
            (12, 16, 1, 1),
            (3, 1, 21, 2),
            (9, 24, 64, 1),
            (6, 5, 139, 2),
            (4, 2, 128, 1),
            (5, 600, 139, 2),
            (6, 16, 2 * 2048 + 37, 2),
        ] {
            let w = values(cout * cin, 1);
            let bias = values(cout, 2);
            let x = values(batch * cin * p, 3);
            let conv = PointwiseConv::new(cout, cin, &w, Some(bias.clone())).unwrap();
            let shape = (cout, cin, p, batch);
            product_within(&conv, &w, &bias, &x, shape, |want| {
                1e-4 * (1.0 + want.abs())
            });
        }
    }

    #[test]
    fn a_3x3_filter_matches_the_sum_over_neighbours_with_zero_padding() {
        // Sizes where blocks of 8 pixels straddle rows, one-row and one-column images, a
        // partial tile of output channels, a batch of two, rows wider than a 64-pixel panel.
        for (cout, cin, h, w, batch) in [
            (6, 2, 3, 75, 2),
            (4, 3, 2, 128, 1),
            (5, 3, 4, 7, 2),
            (4, 2, 1, 13, 1),
            (3, 4, 9, 1, 1),
            (24, 9, 6, 11, 1),
            // Panels of 64 pixels (540 input rows) and of 1816 (18 rows) inside a row.
            (4, 60, 2, 150, 1),
            (4, 2, 2, 1900, 1),
        ] {
            let weights = values(cout * cin * 9, 8);
            let bias = values(cout, 9);
            let x = values(batch * cin * h * w, 10);
            let conv = PointwiseConv::new_3x3(cout, cin, &weights, Some(bias.clone())).unwrap();
            let mut y = Vec::new();
            conv.run_image_into(&x, batch, h, w, &mut y).unwrap();
            assert_eq!(y.len(), batch * cout * h * w);
            for n in 0..batch {
                for co in 0..cout {
                    for py in 0..h {
                        for px in 0..w {
                            let mut want = bias[co] as f64;
                            for ci in 0..cin {
                                for ky in 0..3 {
                                    for kx in 0..3 {
                                        let (sy, sx) = (py as i64 + ky - 1, px as i64 + kx - 1);
                                        if sy < 0 || sx < 0 || sy >= h as i64 || sx >= w as i64 {
                                            continue;
                                        }
                                        let wv = weights
                                            [((co * cin + ci) * 3 + ky as usize) * 3 + kx as usize];
                                        let xv =
                                            x[((n * cin + ci) * h + sy as usize) * w + sx as usize];
                                        want += wv as f64 * xv as f64;
                                    }
                                }
                            }
                            let got = y[((n * cout + co) * h + py) * w + px];
                            assert!(
                                (got as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()),
                                "{cout}x{cin}x{h}x{w} n{n} c{co} ({px}, {py}): {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
        let conv = PointwiseConv::new_3x3(2, 3, &[1.0; 54], None).unwrap();
        assert!(conv
            .run_image_into(&[0.0; 11], 1, 3, 4, &mut Vec::new())
            .is_err());
        assert!(conv.run_into(&[0.0; 12], 1, 4, &mut Vec::new()).is_err());
        assert!(PointwiseConv::new_3x3(2, 3, &[1.0; 6], None).is_none());
    }

    #[test]
    fn input_laid_out_in_blocks_gives_the_same_product() {
        for (cout, cin, p) in [(5, 7, 13), (4, 120, 16), (9, 3, 1), (3, 4, 150)] {
            let (w, x) = (values(cout * cin, 6), values(cin * p, 7));
            let conv = PointwiseConv::new(cout, cin, &w, None).unwrap();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            conv.run_into(&x, 1, p, &mut a).unwrap();
            conv.run_blocked(&PointwiseConv::blocks(&x, cin, p), p, &mut b)
                .unwrap();
            assert_eq!(a, b, "{cout}x{cin}x{p}");
        }
        let conv = PointwiseConv::new(2, 3, &[1.0; 6], None).unwrap();
        assert!(conv.run_blocked(&[0.0; 23], 8, &mut Vec::new()).is_err());
    }

    #[test]
    fn rejects_input_of_the_wrong_size_and_weights_that_do_not_fit() {
        let conv = PointwiseConv::new(2, 3, &[1.0; 6], None).unwrap();
        let mut y = Vec::new();
        assert!(conv.run_into(&[0.0; 10], 1, 4, &mut y).is_err());
        assert!(PointwiseConv::new(2, 3, &[1.0; 5], None).is_none());
        assert!(PointwiseConv::new(2, 3, &[1.0; 6], Some(vec![0.0; 3])).is_none());
    }

    #[test]
    fn in_integers_matches_the_sum_within_the_rounding_of_weights_and_input() {
        // The float kernel's shapes (odd input counts leave half a pair, partial tiles, several
        // panels), a pixel whose input is one value on every row, and a row of zero weights.
        for (cout, cin, p, batch) in [
            (4, 3, 8, 1),
            (5, 7, 13, 2),
            (3, 1, 21, 2),
            (9, 24, 64, 1),
            (5, 600, 139, 2),
            (6, 16, 2 * 2048 + 37, 2),
        ] {
            let mut w = values(cout * cin, 1);
            w[..cin].fill(0.0);
            let bias = values(cout, 2);
            let mut x = values(batch * cin * p, 3);
            for ci in 0..cin {
                x[ci * p] = 0.25;
            }
            let conv = PointwiseConv::new(cout, cin, &w, Some(bias.clone())).unwrap();
            // Each product is off by at most half a weight step times the input plus half an
            // input step times the weight: with values in ±1, about 1/2047 + 1/levels of each.
            let tolerance = cin as f32 * (1.0 / 2047.0 + 2.0 / 1000.0) + 1e-4;
            let shape = (cout, cin, p, batch);
            let y = product_within(&conv.quantised(), &w, &bias, &x, shape, |_| tolerance);
            // The zero row is its bias; the constant pixel exact up to float rounding.
            for n in 0..batch {
                assert!((y[n * cout * p] - bias[0]).abs() < 1e-6);
            }
            let exact: f32 = bias[1] + (0..cin).map(|ci| w[cin + ci] * 0.25).sum::<f32>();
            assert!(
                cout < 2 || (y[p] - exact).abs() < 1e-3 * cin as f32,
                "{} vs {exact}",
                y[p]
            );
        }
    }

    #[test]
    fn a_3x3_filter_in_integers_matches_the_float_one() {
        let (cout, cin, h, w) = (6, 5, 7, 90);
        let weights = values(cout * cin * 9, 8);
        let x = values(2 * cin * h * w, 10);
        let conv = PointwiseConv::new_3x3(cout, cin, &weights, Some(values(cout, 9))).unwrap();
        let (mut floats, mut integers) = (Vec::new(), Vec::new());
        conv.run_image_into(&x, 2, h, w, &mut floats).unwrap();
        conv.quantised()
            .run_image_into(&x, 2, h, w, &mut integers)
            .unwrap();
        let worst = floats
            .iter()
            .zip(&integers)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(worst > 0.0 && worst < 0.05, "{worst}");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_product_in_integers_is_the_portable_one() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let pairs = 37;
        // The largest levels `quantised` allows for 74 input rows (2³¹ / (74 · 2047) = 14177)
        // and weights up to ±2047: sums near the 32-bit limit.
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            seed >> 8
        };
        let block: Vec<u32> = (0..pairs * COLS)
            .map(|_| (next() % 14178) | ((next() % 14178) << 16))
            .collect();
        let weights: Vec<i32> = (0..pairs * ROWS)
            .map(|_| {
                let (a, b) = ((next() % 4095) as i32 - 2047, (next() % 4095) as i32 - 2047);
                (a as i16 as u16 as i32) | ((b as i16 as u16 as i32) << 16)
            })
            .collect();
        let fast = unsafe { quantised_tile_product_avx2(&weights, &block, pairs) };
        assert_eq!(
            fast,
            quantised_tile_product_portable(&weights, &block, pairs)
        );
    }
}
