//! Depthwise convolution (one k×k filter per channel, ONNX `Conv` with `group` = channels) for
//! 3×3 and 5×5 filters at strides of 1 or 2: the layer that dominates the mobile networks we run
//! (PP-OCRv5's recogniser and detector, CenterFace) and that rten 0.27 computes one multiply at a
//! time (its loop takes the stride at run time, so the compiler cannot vectorise it).
//!
//! Each input plane is first copied into a zero-padded buffer in which every row is split into
//! its `stride` phases (for stride 2: even columns, then odd columns). Every tap of the filter
//! then reads a contiguous run of that buffer, and the output is computed eight pixels at a time
//! in a fixed-size accumulator that the compiler keeps in vector registers (SSE/AVX natively,
//! simd128 in WebAssembly), with no bounds checks inside the loop and no edge cases: the padding
//! is in the buffer.

use std::mem::MaybeUninit;

/// Output pixels computed together.
const LANES: usize = 8;

/// An elementwise layer next to a depthwise convolution, computed in the same step (one plane at
/// a time, while it is in cache) instead of as a pass of its own over the whole tensor.
/// PP-OCRv5's networks follow every convolution with seven such passes (bias, a learnt scale and
/// shift, hard swish as two operators, a second scale and shift).
#[derive(Clone, Debug, PartialEq)]
pub enum Elementwise {
    /// `x · scale + shift`, one pair per channel, or one pair for all channels.
    Affine(Vec<(f32, f32)>),
    /// `x · clamp(alpha · x + beta, 0, 1)` (ONNX `HardSigmoid` times its own input).
    HardSwish { alpha: f32, beta: f32 },
    /// `max(x, 0)`.
    Relu,
}

impl Elementwise {
    /// Applies `ops` in order to `data`, one plane of channel `channel`.
    pub fn apply_all(ops: &[Elementwise], channel: usize, data: &mut [f32]) {
        for op in ops {
            match op {
                Elementwise::Affine(pairs) => {
                    let (scale, shift) = pairs[if pairs.len() == 1 { 0 } else { channel }];
                    lanes::affine(data, scale, shift);
                }
                &Elementwise::HardSwish { alpha, beta } => lanes::hard_swish(data, alpha, beta),
                Elementwise::Relu => lanes::relu(data),
            }
        }
    }

    /// `ops` with neighbouring affine layers merged into one (`channels` pairs, or one).
    pub fn merged(ops: Vec<Elementwise>, channels: usize) -> Vec<Elementwise> {
        let mut out: Vec<Elementwise> = Vec::new();
        for op in ops {
            match (out.last_mut(), op) {
                (Some(Elementwise::Affine(first)), Elementwise::Affine(then)) => {
                    *first = compose(first, &then, channels);
                }
                (_, op) => out.push(op),
            }
        }
        out
    }
}

/// The elementwise loops. Portable code natively, where LLVM vectorises it.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    pub fn affine(data: &mut [f32], scale: f32, shift: f32) {
        for v in data {
            *v = *v * scale + shift;
        }
    }

    pub fn hard_swish(data: &mut [f32], alpha: f32, beta: f32) {
        for v in data {
            *v *= (*v * alpha + beta).clamp(0.0, 1.0);
        }
    }

    pub fn relu(data: &mut [f32]) {
        for v in data {
            *v = v.max(0.0);
        }
    }
}

/// The same with WebAssembly's 128-bit vectors, written out: LLVM leaves the portable loops
/// scalar for wasm32 (Rust's `max`/`clamp` treat NaN unlike `f32x4.max`), and then these
/// layers cost more than rten's own vectorised passes that they replace.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::{
        f32x4_add, f32x4_mul, f32x4_pmax, f32x4_pmin, f32x4_splat, v128, v128_load, v128_store,
    };

    /// `f` on each group of four values, then `scalar` on the last few.
    #[inline(always)]
    fn each(data: &mut [f32], f: impl Fn(v128) -> v128, scalar: impl Fn(f32) -> f32) {
        let mut chunks = data.chunks_exact_mut(4);
        for c in &mut chunks {
            // SAFETY: `c` is four contiguous f32 (16 bytes); unaligned loads/stores are allowed.
            unsafe {
                let p = c.as_mut_ptr() as *mut v128;
                v128_store(p, f(v128_load(p)));
            }
        }
        for v in chunks.into_remainder() {
            *v = scalar(*v);
        }
    }

    pub fn affine(data: &mut [f32], scale: f32, shift: f32) {
        let (s, t) = (f32x4_splat(scale), f32x4_splat(shift));
        each(
            data,
            |x| f32x4_add(f32x4_mul(x, s), t),
            |x| x * scale + shift,
        );
    }

    pub fn hard_swish(data: &mut [f32], alpha: f32, beta: f32) {
        let (a, b) = (f32x4_splat(alpha), f32x4_splat(beta));
        let (zero, one) = (f32x4_splat(0.0), f32x4_splat(1.0));
        each(
            data,
            |x| {
                let gate = f32x4_pmin(one, f32x4_pmax(zero, f32x4_add(f32x4_mul(x, a), b)));
                f32x4_mul(x, gate)
            },
            |x| x * (x * alpha + beta).clamp(0.0, 1.0),
        );
    }

    pub fn relu(data: &mut [f32]) {
        let zero = f32x4_splat(0.0);
        each(data, |x| f32x4_pmax(zero, x), |x| x.max(0.0));
    }
}

/// The affine map `then ∘ first`, per channel (a single pair on either side stands for all).
fn compose(first: &[(f32, f32)], then: &[(f32, f32)], channels: usize) -> Vec<(f32, f32)> {
    let n = if first.len() == 1 && then.len() == 1 {
        1
    } else {
        channels
    };
    let at = |p: &[(f32, f32)], c: usize| p[if p.len() == 1 { 0 } else { c }];
    (0..n)
        .map(|c| {
            let ((s1, t1), (s2, t2)) = (at(first, c), at(then, c));
            (s1 * s2, t1 * s2 + t2)
        })
        .collect()
}

/// A depthwise convolution's weights and geometry.
#[derive(Clone, Debug)]
pub struct DepthwiseConv {
    pub channels: usize,
    /// Filter size: 3 or 5 (square).
    pub kernel: usize,
    /// Vertical and horizontal stride, each 1 or 2 (text recognisers halve only the height).
    pub stride: [usize; 2],
    /// Zero padding: top, left, bottom, right (ONNX order is top, left, bottom, right too).
    pub pads: [usize; 4],
    /// `channels × kernel × kernel`, row-major per channel.
    pub weights: Vec<f32>,
    /// One per channel (zeros when the model has no bias).
    pub bias: Vec<f32>,
    /// Elementwise layers applied to the input before the convolution (its zero padding is
    /// added after them, as the model pads their output).
    pub before: Vec<Elementwise>,
    /// Elementwise layers applied to the output (an affine layer right after the convolution
    /// is folded into its weights and bias instead: see [`DepthwiseConv::then`]).
    pub after: Vec<Elementwise>,
}

impl DepthwiseConv {
    /// A convolution this module computes, or `None` for any other shape (left to rten).
    pub fn new(
        channels: usize,
        kernel: usize,
        stride: [usize; 2],
        pads: [usize; 4],
        weights: Vec<f32>,
        bias: Option<Vec<f32>>,
    ) -> Option<DepthwiseConv> {
        let supported = matches!(kernel, 3 | 5)
            && stride.iter().all(|s| matches!(s, 1 | 2))
            && pads.iter().all(|&p| p < kernel)
            && channels > 0
            && weights.len() == channels * kernel * kernel
            && bias.as_ref().is_none_or(|b| b.len() == channels);
        supported.then(|| DepthwiseConv {
            channels,
            kernel,
            stride,
            pads,
            weights,
            bias: bias.unwrap_or_else(|| vec![0.0; channels]),
            before: Vec::new(),
            after: Vec::new(),
        })
    }

    /// The convolution with `ops` applied to its input first.
    pub fn after_input(mut self, ops: Vec<Elementwise>) -> DepthwiseConv {
        let mut all = std::mem::take(&mut self.before);
        all.extend(ops);
        self.before = Elementwise::merged(all, self.channels);
        self
    }

    /// The convolution followed by `ops`: an affine layer that comes first is folded into the
    /// weights and bias (`s · (Σ w·x + b) + t = Σ (s·w)·x + (s·b + t)`); the rest are applied
    /// to each output plane.
    pub fn then(mut self, ops: Vec<Elementwise>) -> DepthwiseConv {
        let mut all = std::mem::take(&mut self.after);
        all.extend(ops);
        let mut all = Elementwise::merged(all, self.channels);
        if let Some(Elementwise::Affine(pairs)) = all.first() {
            let kk = self.kernel * self.kernel;
            for c in 0..self.channels {
                let (scale, shift) = pairs[if pairs.len() == 1 { 0 } else { c }];
                for w in &mut self.weights[c * kk..][..kk] {
                    *w *= scale;
                }
                self.bias[c] = self.bias[c] * scale + shift;
            }
            all.remove(0);
        }
        self.after = all;
        self
    }

    /// Output height and width for an input plane of `h × w`, or `None` if the plane is smaller
    /// than the filter.
    pub fn output_size(&self, h: usize, w: usize) -> Option<(usize, usize)> {
        let [top, left, bottom, right] = self.pads;
        let (ph, pw) = (h + top + bottom, w + left + right);
        (ph >= self.kernel && pw >= self.kernel && h > 0 && w > 0).then(|| {
            (
                (ph - self.kernel) / self.stride[0] + 1,
                (pw - self.kernel) / self.stride[1] + 1,
            )
        })
    }

    /// Convolves `input` (`n × channels × h × w`, contiguous) into a new `n × channels × oh × ow`
    /// buffer.
    pub fn run(&self, input: &[f32], n: usize, h: usize, w: usize) -> Result<Vec<f32>, String> {
        let mut out = Vec::new();
        self.run_into(input, n, h, w, &mut out)?;
        Ok(out)
    }

    /// As [`DepthwiseConv::run`], into `out` (cleared first; its memory is reused: a fresh
    /// allocation of tens of megabytes costs more in page faults than the convolution).
    pub fn run_into(
        &self,
        input: &[f32],
        n: usize,
        h: usize,
        w: usize,
        out: &mut Vec<f32>,
    ) -> Result<(), String> {
        let (oh, ow) = self.output_size(h, w).ok_or_else(|| {
            format!(
                "depthwise convolution: a {h}×{w} plane is smaller than its {k}×{k} filter",
                k = self.kernel
            )
        })?;
        if input.len() != n * self.channels * h * w {
            return Err(format!(
                "depthwise convolution: {} values given for {n}×{}×{h}×{w}",
                input.len(),
                self.channels
            ));
        }
        let len = n * self.channels * oh * ow;
        // Every output value is written exactly once below (each row in groups of LANES, the
        // last group of a row in part), so the buffer is not zeroed first.
        out.clear();
        out.reserve(len);
        let mut buffer = Vec::new();
        let planes = input
            .chunks_exact(h * w)
            .zip(out.spare_capacity_mut()[..len].chunks_exact_mut(oh * ow));
        for (i, (src, dst)) in planes.enumerate() {
            let c = i % self.channels;
            let weights =
                &self.weights[c * self.kernel * self.kernel..][..self.kernel * self.kernel];
            let bias = self.bias[c];
            let before = (&self.before[..], c);
            let args = (
                src,
                h,
                w,
                self.pads,
                weights,
                bias,
                before,
                &mut *dst,
                &mut buffer,
            );
            match (self.kernel, self.stride) {
                (3, [1, 1]) => plane::<3, 1, 1>(args),
                (3, [2, 1]) => plane::<3, 2, 1>(args),
                (3, [1, 2]) => plane::<3, 1, 2>(args),
                (3, [2, 2]) => plane::<3, 2, 2>(args),
                (5, [1, 1]) => plane::<5, 1, 1>(args),
                (5, [2, 1]) => plane::<5, 2, 1>(args),
                (5, [1, 2]) => plane::<5, 1, 2>(args),
                (5, [2, 2]) => plane::<5, 2, 2>(args),
                _ => unreachable!("checked in DepthwiseConv::new"),
            }
            if !self.after.is_empty() {
                // SAFETY: `plane` has just written all of `dst` (see its output loop), and
                // MaybeUninit<f32> has the layout of f32.
                let written = unsafe { &mut *(dst as *mut [MaybeUninit<f32>] as *mut [f32]) };
                Elementwise::apply_all(&self.after, c, written);
            }
        }
        // SAFETY: `plane` wrote all `oh × ow` values of every plane (see its output loop).
        unsafe { out.set_len(len) };
        Ok(())
    }
}

/// One channel's source plane (`h × w`), padding, filter, bias, the layers before the
/// convolution and the channel, output plane and scratch buffer.
type PlaneArgs<'a> = (
    &'a [f32],
    usize,
    usize,
    [usize; 4],
    &'a [f32],
    f32,
    (&'a [Elementwise], usize),
    &'a mut [MaybeUninit<f32>],
    &'a mut Vec<f32>,
);

/// One channel: `src` (`h × w`) into `dst` (`oh × ow`, as `output_size` gives), with a `K × K`
/// filter at strides `SY`, `S` (vertical, horizontal).
fn plane<const K: usize, const SY: usize, const S: usize>(
    (src, h, w, [top, left, bottom, right], weights, bias, (before, channel), dst, buffer): PlaneArgs,
) {
    let (ph, pw) = (h + top + bottom, w + left + right);
    let (oh, ow) = ((ph - K) / SY + 1, (pw - K) / S + 1);
    // Each padded row is S phases of `phase_len`: tap kx of output x reads phase kx % S at
    // x + kx / S; the last group of LANES outputs may read up to LANES - 1 past `ow`.
    let phase_len = ow + (K - 1) / S + LANES;
    let row_len = S * phase_len;
    // Zeroed once per call: every plane of a call has the same geometry and overwrites the
    // same interior positions, so the padding stays zero from one plane to the next.
    if buffer.len() != ph * row_len {
        buffer.clear();
        buffer.resize(ph * row_len, 0.0);
    }
    for y in 0..h {
        let row = &mut buffer[(y + top) * row_len..][..row_len];
        let from = &src[y * w..][..w];
        // The layers before the convolution are applied to each row as it is copied in, so the
        // padding stays zero.
        if S == 1 {
            let dest = &mut row[left..left + w];
            dest.copy_from_slice(from);
            Elementwise::apply_all(before, channel, dest);
        } else {
            // Source column x lands in phase (x + left) % 2 at (x + left) / 2.
            for phase in 0..S {
                let first = (phase + S - left % S) % S;
                let at = phase * phase_len + (first + left) / S;
                let dest = &mut row[at..at + (w - first.min(w)).div_ceil(S)];
                for (d, &v) in dest.iter_mut().zip(from.iter().skip(first).step_by(S)) {
                    *d = v;
                }
                Elementwise::apply_all(before, channel, dest);
            }
        }
    }
    let mut taps = [[0f32; K]; K];
    for (ky, row) in taps.iter_mut().enumerate() {
        row.copy_from_slice(&weights[ky * K..][..K]);
    }
    let buffer = &buffer[..];
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        outputs::<K, SY, S>(buffer, row_len, phase_len, &taps, bias, oh, ow, dst);
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    for (y, out_row) in dst.chunks_exact_mut(ow).enumerate().take(oh) {
        let rows: [&[f32]; K] =
            std::array::from_fn(|ky| &buffer[(y * SY + ky) * row_len..][..row_len]);
        let mut x = 0;
        while x < ow {
            let acc = accumulate::<K, S>(&rows, &taps, x, phase_len, bias);
            let n = LANES.min(ow - x);
            for (o, &a) in out_row[x..x + n].iter_mut().zip(&acc) {
                o.write(a);
            }
            x += LANES;
        }
    }
}

/// The output loop in WebAssembly's vectors: two output rows at a time where the vertical
/// stride is 1, so that each input row loaded serves both (`K + 1` rows of loads for `2 K` of
/// taps), and whole groups of [`LANES`] stored as vectors.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn outputs<const K: usize, const SY: usize, const S: usize>(
    buffer: &[f32],
    row_len: usize,
    phase_len: usize,
    taps: &[[f32; K]; K],
    bias: f32,
    oh: usize,
    ow: usize,
    dst: &mut [MaybeUninit<f32>],
) {
    use core::arch::wasm32::{v128, v128_store};
    const _: () = assert!(LANES == 8);
    // Every read below is within the rows under the filter: the furthest tap of the last group
    // reads up to (S - 1) · phase_len + (K - 1) / S + ow + LANES - 1 < row_len (see `plane`).
    assert!(((oh - 1) * SY + K) * row_len <= buffer.len());
    assert!((S - 1) * phase_len + (K - 1) / S + ow.div_ceil(LANES) * LANES <= row_len);
    assert!(dst.len() >= oh * ow);
    let base = buffer.as_ptr();
    let out = dst.as_mut_ptr() as *mut f32;
    let store = |y: usize, x: usize, a0: v128, a1: v128| {
        // SAFETY: y < oh, and the vectors are stored whole only where x + LANES <= ow;
        // otherwise the lanes that fit are written one by one.
        unsafe {
            let at = out.add(y * ow + x);
            if x + LANES <= ow {
                v128_store(at as *mut v128, a0);
                v128_store(at.add(4) as *mut v128, a1);
            } else {
                let mut acc = [0f32; LANES];
                v128_store(acc.as_mut_ptr() as *mut v128, a0);
                v128_store(acc.as_mut_ptr().add(4) as *mut v128, a1);
                for (j, &v) in acc.iter().enumerate().take(ow - x) {
                    *at.add(j) = v;
                }
            }
        }
    };
    let mut y = 0;
    while y < oh {
        let two = SY == 1 && y + 1 < oh;
        let top = y * SY;
        let mut x = 0;
        while x < ow {
            let at = top * row_len + x;
            if two {
                let (t, u) = group::<K, S, true>(base, at, row_len, phase_len, taps, bias);
                store(y, x, t[0], t[1]);
                store(y + 1, x, u[0], u[1]);
            } else {
                let (t, _) = group::<K, S, false>(base, at, row_len, phase_len, taps, bias);
                store(y, x, t[0], t[1]);
            }
            x += LANES;
        }
        y += if two { 2 } else { 1 };
    }
}

/// One group of [`LANES`] outputs (two vectors) of one output row, and with `TWO` of the row
/// below too, from the padded buffer's rows from `at` (the group's first pixel in the first
/// row under the filter). The first row under the filter serves only the upper output row,
/// the last (with `TWO`) only the lower one, the rows between both: written as three parts
/// with no test of a row's role inside (written as one loop with those tests, V8's code for it
/// still tested them at run time). Each output vector is summed in two halves, even and odd
/// filter columns, so that two chains of multiply-adds are in flight for each, not one.
/// Measured in the page (`bench.mjs kernels` shapes, old and new alternated in one page,
/// 2026-12-06, AMD EPYC Zen 3): relaxed build 5×5 7.3 → 8.4 multiply-adds per ns, on 544 × 960
/// planes 8.2 → 9.8; the plain build the same as before; the bench screen read the same text
/// (recognition 4806 → 4707 ms, within this machine's spread). V8 still keeps the 25 taps'
/// vectors on the stack and reloads them.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn group<const K: usize, const S: usize, const TWO: bool>(
    base: *const f32,
    at: usize,
    row_len: usize,
    phase_len: usize,
    taps: &[[f32; K]; K],
    bias: f32,
) -> ([core::arch::wasm32::v128; 2], [core::arch::wasm32::v128; 2]) {
    use core::arch::wasm32::{f32x4_add, f32x4_splat, v128, v128_load};
    let (b, zero) = (f32x4_splat(bias), f32x4_splat(0.0));
    let (mut t, mut u) = ([[b, b], [zero, zero]], [[b, b], [zero, zero]]);
    // The two vectors of filter column kx of row r under the filter.
    let load = |r: usize, kx: usize| {
        // SAFETY: the caller (`outputs`) asserted that every row under the filter and every
        // column a group reads lie within the buffer.
        unsafe {
            let p = base.add(at + r * row_len + (kx % S) * phase_len + kx / S) as *const v128;
            (v128_load(p), v128_load(p.add(1)))
        }
    };
    let add = |acc: &mut [[v128; 2]; 2], kx: usize, (v0, v1): (v128, v128), tap: f32| {
        let tap = f32x4_splat(tap);
        acc[kx % 2][0] = madd(v0, tap, acc[kx % 2][0]);
        acc[kx % 2][1] = madd(v1, tap, acc[kx % 2][1]);
    };
    for kx in 0..K {
        add(&mut t, kx, load(0, kx), taps[0][kx]);
    }
    for r in 1..K {
        for kx in 0..K {
            let v = load(r, kx);
            add(&mut t, kx, v, taps[r][kx]);
            if TWO {
                add(&mut u, kx, v, taps[r - 1][kx]);
            }
        }
    }
    if TWO {
        for kx in 0..K {
            add(&mut u, kx, load(K, kx), taps[K - 1][kx]);
        }
    }
    let sum = |a: [[v128; 2]; 2]| [f32x4_add(a[0][0], a[1][0]), f32x4_add(a[0][1], a[1][1])];
    (sum(t), sum(u))
}

/// `a × b + c` in four lanes: one fused multiply-add where the build has relaxed SIMD (the
/// browser rounds it once or twice, as its hardware does), a multiply and an add otherwise.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
pub(super) fn madd(
    a: core::arch::wasm32::v128,
    b: core::arch::wasm32::v128,
    c: core::arch::wasm32::v128,
) -> core::arch::wasm32::v128 {
    #[cfg(target_feature = "relaxed-simd")]
    {
        core::arch::wasm32::f32x4_relaxed_madd(a, b, c)
    }
    #[cfg(not(target_feature = "relaxed-simd"))]
    {
        core::arch::wasm32::f32x4_add(core::arch::wasm32::f32x4_mul(a, b), c)
    }
}

/// `bias` plus the `K × K` taps for the LANES outputs from `x` on, the rows being the padded
/// buffer's rows under the filter (natively; WebAssembly has [`outputs`]).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn accumulate<const K: usize, const S: usize>(
    rows: &[&[f32]; K],
    taps: &[[f32; K]; K],
    x: usize,
    phase_len: usize,
    bias: f32,
) -> [f32; LANES] {
    // Portable code that LLVM turns into SSE/AVX (checked: ~6–9 multiply-adds per ns natively).
    let mut acc = [bias; LANES];
    for ky in 0..K {
        for kx in 0..K {
            let at = (kx % S) * phase_len + kx / S + x;
            let run: &[f32; LANES] = rows[ky][at..at + LANES].try_into().unwrap();
            let tap = taps[ky][kx];
            for j in 0..LANES {
                acc[j] += run[j] * tap;
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::network::test_values as values;

    /// The definition, one multiply at a time.
    fn reference(conv: &DepthwiseConv, input: &[f32], n: usize, h: usize, w: usize) -> Vec<f32> {
        let (oh, ow) = conv.output_size(h, w).unwrap();
        let k = conv.kernel;
        let [top, left, ..] = conv.pads;
        let mut out = vec![0f32; n * conv.channels * oh * ow];
        for b in 0..n {
            for c in 0..conv.channels {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let mut acc = conv.bias[c];
                        for ky in 0..k {
                            for kx in 0..k {
                                let iy = (oy * conv.stride[0] + ky) as isize - top as isize;
                                let ix = (ox * conv.stride[1] + kx) as isize - left as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                    continue;
                                }
                                let v = input
                                    [((b * conv.channels + c) * h + iy as usize) * w + ix as usize];
                                acc += v * conv.weights[(c * k + ky) * k + kx];
                            }
                        }
                        out[((b * conv.channels + c) * oh + oy) * ow + ox] = acc;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_supported_shape_matches_the_definition() {
        let mut cases = 0;
        for kernel in [3, 5] {
            for stride in [[1, 1], [2, 1], [1, 2], [2, 2]] {
                for pads in [[kernel / 2; 4], [0; 4], [1, 0, 2, 1], [0, kernel - 1, 1, 0]] {
                    for (n, h, w) in [(1, 1, 1), (2, 7, 9), (1, 12, 33), (3, 5, 16), (1, 24, 17)] {
                        let channels = 3;
                        let weights = values(channels * kernel * kernel, cases);
                        let bias = values(channels, cases + 7);
                        let conv =
                            DepthwiseConv::new(channels, kernel, stride, pads, weights, Some(bias))
                                .unwrap();
                        let Some(_) = conv.output_size(h, w) else {
                            assert!(conv.run(&values(n * channels * h * w, 1), n, h, w).is_err());
                            continue;
                        };
                        let input = values(n * channels * h * w, cases + 3);
                        let got = conv.run(&input, n, h, w).unwrap();
                        let want = reference(&conv, &input, n, h, w);
                        assert_eq!(got.len(), want.len());
                        for (i, (g, e)) in got.iter().zip(&want).enumerate() {
                            assert!(
                                (g - e).abs() < 1e-4,
                                "k{kernel} s{stride:?} pads {pads:?} {n}×{h}×{w} at {i}: {g} vs {e}"
                            );
                        }
                        cases += 1;
                    }
                }
            }
        }
        assert!(cases > 120, "{cases}");
    }

    /// The layers before and after, applied by hand to the whole tensor around a convolution
    /// without them.
    #[test]
    fn layers_folded_in_compute_what_they_compute_alone() {
        let (channels, n, h, w) = (3, 2, 7, 13);
        let affine = |seed: u32| {
            let v = values(2 * channels, seed);
            Elementwise::Affine(
                (0..channels)
                    .map(|c| (v[2 * c] * 2.0, v[2 * c + 1]))
                    .collect(),
            )
        };
        let before = vec![
            affine(1),
            Elementwise::HardSwish {
                alpha: 1.0 / 6.0,
                beta: 0.5,
            },
            Elementwise::Affine(vec![(0.7, -0.2)]),
        ];
        let after = vec![affine(2), Elementwise::Relu, affine(3)];
        for stride in [[1, 1], [2, 1], [1, 2], [2, 2]] {
            let plain = DepthwiseConv::new(
                channels,
                3,
                stride,
                [1; 4],
                values(channels * 9, 4),
                Some(values(channels, 5)),
            )
            .unwrap();
            let fused = plain
                .clone()
                .after_input(before.clone())
                .then(after.clone());
            // The first layer after is folded into the weights; two stay.
            assert_eq!(fused.after.len(), 2);
            let input = values(n * channels * h * w, 6);
            let by_hand = |data: &mut Vec<f32>, ops: &[Elementwise], plane: usize| {
                for (i, p) in data.chunks_exact_mut(plane).enumerate() {
                    Elementwise::apply_all(ops, i % channels, p);
                }
            };
            let mut x = input.clone();
            by_hand(&mut x, &before, h * w);
            let mut want = plain.run(&x, n, h, w).unwrap();
            let (oh, ow) = plain.output_size(h, w).unwrap();
            by_hand(&mut want, &after, oh * ow);
            let got = fused.run(&input, n, h, w).unwrap();
            assert_eq!(got.len(), want.len());
            // Zero padding comes after the layers before (hard swish of 0 is 0, but the affine
            // layers move 0): a value near the border shows whether it did.
            for (i, (g, e)) in got.iter().zip(&want).enumerate() {
                assert!((g - e).abs() < 1e-4, "stride {stride:?} at {i}: {g} vs {e}");
            }
        }
    }

    #[test]
    fn neighbouring_affine_layers_are_merged() {
        let merged = Elementwise::merged(
            vec![
                Elementwise::Affine(vec![(2.0, 1.0)]),
                Elementwise::Affine(vec![(3.0, 0.0), (0.5, -1.0)]),
                Elementwise::Relu,
                Elementwise::Affine(vec![(1.0, 4.0)]),
            ],
            2,
        );
        assert_eq!(
            merged,
            vec![
                Elementwise::Affine(vec![(6.0, 3.0), (1.0, -0.5)]),
                Elementwise::Relu,
                Elementwise::Affine(vec![(1.0, 4.0)]),
            ]
        );
    }

    #[test]
    fn other_shapes_are_left_to_the_runtime() {
        assert!(DepthwiseConv::new(2, 7, [1, 1], [3; 4], vec![0.0; 98], None).is_none());
        assert!(DepthwiseConv::new(2, 3, [1, 3], [1; 4], vec![0.0; 18], None).is_none());
        assert!(DepthwiseConv::new(2, 3, [1, 1], [1; 4], vec![0.0; 17], None).is_none());
        assert!(DepthwiseConv::new(2, 3, [1, 1], [3, 1, 1, 1], vec![0.0; 18], None).is_none());
        assert!(DepthwiseConv::new(2, 3, [1, 1], [1; 4], vec![0.0; 18], Some(vec![0.0])).is_none());
    }

    #[test]
    fn a_wrong_input_length_is_an_error() {
        let conv = DepthwiseConv::new(2, 3, [1, 1], [1; 4], vec![0.0; 18], None).unwrap();
        assert!(conv.run(&[0.0; 17], 1, 3, 3).is_err());
        assert_eq!(conv.run(&[0.0; 18], 1, 3, 3).unwrap().len(), 18);
    }
}
