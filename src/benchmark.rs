//! The masking benchmark's scene, shared by the native bench (`benches/masking.rs`) and the
//! WebAssembly bench in the browser (`tests/browser/bench.mjs`), so both measure the same work.
//!
//! A frame of text-like pixels with text-line regions (height 1/27 of the frame, 45% of its
//! width, default padding) laid out in two columns until they cover 15% of the frame.

use crate::imaging::{mask_regions, FrameMut, MaskStyle, Region};

pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub frame: Vec<u8>,
    pub copy: Vec<u8>,
    pub regions: Vec<Region>,
    seed: u64,
}

/// The share of the frame the regions cover.
pub const COVERED_SHARE: f64 = 0.15;

impl Scene {
    pub fn new(width: u32, height: u32) -> Scene {
        let mut frame = vec![0u8; width as usize * height as usize * 4];
        // Dark strokes on light paper, irregular enough that no kernel can take shortcuts.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for p in frame.chunks_exact_mut(4) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = if state % 5 == 0 { 30 } else { 235 };
            p.copy_from_slice(&[v, v, v.saturating_add(10), 255]);
        }
        let line = height as f32 / 27.0;
        let (col_w, pitch) = (width as f32 * 0.45, line * 1.6);
        let target = (width as f64 * height as f64 * COVERED_SHARE) as u64;
        let mut regions = Vec::new();
        let mut covered = 0;
        'fill: for col in 0..2 {
            let mut y = line;
            while y + line * 1.3 < height as f32 {
                let region = Region::rect(width as f32 * (0.03 + 0.5 * col as f32), y, col_w, line);
                covered += region.coverage(width, height).area();
                regions.push(region);
                if covered >= target {
                    break 'fill;
                }
                y += pitch;
            }
        }
        let copy = vec![0u8; frame.len()];
        Scene {
            width,
            height,
            frame,
            copy,
            regions,
            seed: 0x6b75_726f_6e75_7269,
        }
    }

    /// The share of the frame the regions really cover.
    pub fn covered_share(&self) -> f64 {
        let area: u64 = self
            .regions
            .iter()
            .map(|r| r.coverage(self.width, self.height).area())
            .sum();
        area as f64 / (self.width as f64 * self.height as f64)
    }

    /// Masks every region once.
    pub fn mask(&mut self, style: MaskStyle) {
        self.seed = self.seed.wrapping_add(1);
        let mut frame =
            FrameMut::packed(&mut self.frame, self.width, self.height).expect("scene frame");
        mask_regions(&mut frame, &self.regions, style, self.seed);
    }

    /// Copies the whole frame once: the reference every style is compared with.
    pub fn copy_frame(&mut self) {
        self.copy.copy_from_slice(&self.frame);
    }
}

/// The styles the bench measures, with their names.
pub const STYLES: [(&str, MaskStyle); 3] = [
    ("fill", MaskStyle::Fill([0, 0, 0])),
    ("mosaic", MaskStyle::Mosaic),
    ("blur", MaskStyle::Blur),
];
