//! Test pictures for the detectors' unit tests (compiled only for tests): a deterministic
//! random source, an RGBA canvas to draw on, blur and noise as a phone photo adds them, and the
//! overlap of two quads.

use crate::detection::codes::point_in_quad;
use crate::detection::ocr::Quad;

/// Deterministic pseudo-random numbers (xorshift64*) for clutter, strokes and noise.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next() % (hi - lo) as u64) as i32
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// An RGBA test image.
pub struct Canvas {
    pub w: usize,
    pub h: usize,
    pub rgba: Vec<u8>,
}

impl Canvas {
    pub fn new(w: usize, h: usize, colour: [u8; 3]) -> Canvas {
        let mut rgba = Vec::with_capacity(w * h * 4);
        for _ in 0..w * h {
            rgba.extend_from_slice(&[colour[0], colour[1], colour[2], 255]);
        }
        Canvas { w, h, rgba }
    }

    /// Paints one pixel (outside the canvas: nothing).
    pub fn set(&mut self, x: i32, y: i32, colour: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 4;
            self.rgba[i..i + 3].copy_from_slice(&colour);
        }
    }

    pub fn fill_rect(&mut self, x: i32, y: i32, w: i32, h: i32, colour: [u8; 3]) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.set(xx, yy, colour);
            }
        }
    }

    /// Prints ink of `colour` with coverage `alpha` on whatever is there, the way ink darkens
    /// paper (multiplied).
    pub fn ink(&mut self, x: i32, y: i32, colour: [u8; 3], alpha: f32) {
        if x < 0 || y < 0 || x as usize >= self.w || y as usize >= self.h {
            return;
        }
        let i = (y as usize * self.w + x as usize) * 4;
        for (value, &ink) in self.rgba[i..i + 3].iter_mut().zip(&colour) {
            let paper = *value as f32;
            let printed = paper * ink as f32 / 255.0;
            *value = (paper + (printed - paper) * alpha.clamp(0.0, 1.0)) as u8;
        }
    }

    /// A rectangle printed in full ink (see [`Canvas::ink`]).
    pub fn ink_rect(&mut self, x: i32, y: i32, w: i32, h: i32, colour: [u8; 3]) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.ink(xx, yy, colour, 1.0);
            }
        }
    }

    /// Box blur of the given radius over all colour channels.
    pub fn blur(&mut self, radius: i32) {
        let src = self.rgba.clone();
        let (w, h) = (self.w as i32, self.h as i32);
        for y in 0..h {
            for x in 0..w {
                let mut sum = [0u32; 3];
                let mut n = 0;
                for yy in (y - radius).max(0)..=(y + radius).min(h - 1) {
                    for xx in (x - radius).max(0)..=(x + radius).min(w - 1) {
                        let i = ((yy * w + xx) * 4) as usize;
                        for (acc, &v) in sum.iter_mut().zip(&src[i..i + 3]) {
                            *acc += v as u32;
                        }
                        n += 1;
                    }
                }
                let i = ((y * w + x) * 4) as usize;
                for (out, acc) in self.rgba[i..i + 3].iter_mut().zip(sum) {
                    *out = (acc / n) as u8;
                }
            }
        }
    }

    /// Paints every pixel whose centre lies in a convex quad.
    pub fn fill_quad(&mut self, quad: &Quad, colour: [u8; 3]) {
        let y0 = quad.iter().map(|p| p[1]).fold(f32::MAX, f32::min).max(0.0) as i32;
        let y1 = quad.iter().map(|p| p[1]).fold(f32::MIN, f32::max).ceil() as i32;
        let x0 = quad.iter().map(|p| p[0]).fold(f32::MAX, f32::min).max(0.0) as i32;
        let x1 = quad.iter().map(|p| p[0]).fold(f32::MIN, f32::max).ceil() as i32;
        for y in y0..y1 {
            for x in x0..x1 {
                if point_in_quad([x as f32 + 0.5, y as f32 + 0.5], quad) {
                    self.set(x, y, colour);
                }
            }
        }
    }

    /// Adds uniform noise of ±`amplitude` to every channel.
    pub fn noise(&mut self, amplitude: i32, rng: &mut Rng) {
        for (i, v) in self.rgba.iter_mut().enumerate() {
            if i % 4 != 3 {
                *v = (*v as i32 + rng.range(-amplitude, amplitude + 1)).clamp(0, 255) as u8;
            }
        }
    }
}

/// Intersection over union of two convex quads, measured on a quarter-pixel grid.
pub fn iou(a: &Quad, b: &Quad) -> f32 {
    let all: Vec<[f32; 2]> = a.iter().chain(b.iter()).copied().collect();
    let x0 = all.iter().map(|p| p[0]).fold(f32::MAX, f32::min);
    let x1 = all.iter().map(|p| p[0]).fold(f32::MIN, f32::max);
    let y0 = all.iter().map(|p| p[1]).fold(f32::MAX, f32::min);
    let y1 = all.iter().map(|p| p[1]).fold(f32::MIN, f32::max);
    let (mut both, mut either) = (0u32, 0u32);
    let mut y = y0;
    while y < y1 {
        let mut x = x0;
        while x < x1 {
            let (ia, ib) = (point_in_quad([x, y], a), point_in_quad([x, y], b));
            both += (ia && ib) as u32;
            either += (ia || ib) as u32;
            x += 0.25;
        }
        y += 0.25;
    }
    both as f32 / either.max(1) as f32
}
