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

/// The network kernels at the shapes where PP-OCRv5's recogniser spends its time (a batch of
/// 16 strips 48 × 240 pixels, at its 240-channel stage: 12 × 30 after the stem), for the
/// kernel bench (`tests/browser/bench.mjs kernels`, natively `cargo bench --bench masking`): how many
/// multiply-adds per nanosecond each computes. `kind`: `dw5`, `dw3` (depthwise 5×5 or 3×3,
/// stride 1, padded), `dw5s2` (5×5, vertical stride 2), `pw` (pointwise 240 → 240), `pwq` (the
/// same in 16-bit integers, as the page computes the recogniser's wide layers:
/// [`PointwiseConv::quantised`](crate::detection::network::pointwise::PointwiseConv::quantised),
/// the rounding of each panel's input included), `pw16x96` (pointwise 16 → 96 over
/// [`WIDE_SHAPE`]).
pub struct KernelScene {
    kind: String,
    /// Batch, channels, height, width of the input.
    shape: [usize; 4],
    input: Vec<f32>,
    out: Vec<f32>,
    depthwise: Option<crate::detection::network::depthwise::DepthwiseConv>,
    pointwise: Option<crate::detection::network::pointwise::PointwiseConv>,
}

/// Every `kind` of [`KernelScene::new`].
pub const KERNELS: [&str; 6] = ["dw5", "dw3", "dw5s2", "pw", "pwq", "pw16x96"];

/// Batch, channels, height, width of the recogniser-shaped kernels' input.
pub const KERNEL_SHAPE: [usize; 4] = [16, 240, 12, 30];
/// The face model's widest pointwise layer (`pw16x96`): 16 → 96 channels at half a 1080p
/// frame's size, 200 MB written per run.
pub const WIDE_SHAPE: [usize; 4] = [1, 16, 544, 960];

impl KernelScene {
    pub fn new(kind: &str) -> Option<KernelScene> {
        use crate::detection::network::depthwise::{DepthwiseConv, Elementwise};
        use crate::detection::network::pointwise::PointwiseConv;
        let shape = if kind == "pw16x96" {
            WIDE_SHAPE
        } else {
            KERNEL_SHAPE
        };
        let [n, c, h, w] = shape;
        let values = |len: usize, seed: u32| -> Vec<f32> {
            let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
            (0..len)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 17;
                    s ^= s << 5;
                    (s % 2001) as f32 / 1000.0 - 1.0
                })
                .collect()
        };
        let depthwise = |k: usize, stride: [usize; 2]| {
            DepthwiseConv::new(
                c,
                k,
                stride,
                [k / 2; 4],
                values(c * k * k, 2),
                Some(values(c, 3)),
            )
            .map(|d| {
                // As in the model: hard swish after.
                d.then(vec![Elementwise::HardSwish {
                    alpha: 1.0 / 6.0,
                    beta: 0.5,
                }])
            })
        };
        let (depthwise, pointwise) = match kind {
            "dw5" => (depthwise(5, [1, 1]), None),
            "dw3" => (depthwise(3, [1, 1]), None),
            "dw5s2" => (depthwise(5, [2, 1]), None),
            "pw" => (
                None,
                PointwiseConv::new(c, c, &values(c * c, 4), Some(values(c, 5))),
            ),
            "pwq" => (
                None,
                PointwiseConv::new(c, c, &values(c * c, 4), Some(values(c, 5)))
                    .map(PointwiseConv::quantised),
            ),
            "pw16x96" => (
                None,
                PointwiseConv::new(96, c, &values(96 * c, 4), Some(values(96, 5))),
            ),
            _ => return None,
        };
        (depthwise.is_some() || pointwise.is_some()).then(|| KernelScene {
            kind: kind.to_string(),
            shape,
            input: values(n * c * h * w, 1),
            out: Vec::new(),
            depthwise,
            pointwise,
        })
    }

    /// Multiply-adds of one run.
    pub fn multiply_adds(&self) -> f64 {
        let [n, c, h, w] = self.shape;
        match (&self.depthwise, &self.pointwise) {
            (Some(d), _) => {
                let (oh, ow) = d.output_size(h, w).unwrap_or((0, 0));
                (n * c * oh * ow * d.kernel * d.kernel) as f64
            }
            (_, Some(p)) => (n * h * w * p.in_channels * p.out_channels) as f64,
            _ => 0.0,
        }
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Runs the kernel once.
    pub fn run(&mut self) {
        let [n, _, h, w] = self.shape;
        if let Some(d) = &self.depthwise {
            d.run_into(&self.input, n, h, w, &mut self.out)
                .expect("the shape fits");
        } else if let Some(p) = &self.pointwise {
            p.run_into(&self.input, n, h * w, &mut self.out)
                .expect("the shape fits");
        }
    }
}

/// The video scan's per-frame work (`video::VideoScan::push_luma`: the comparison with the
/// frame before and with the last frame read, block by block at full resolution), on a
/// text-like luma page, for the native bench (`benches/masking.rs`) and `bench.mjs masking`.
/// Frames alternate between two copies of the page that differ by ±2 levels of noise, as a
/// still screen does in a lossy video; every frame is compared whole, and no frame is new.
pub struct MotionScene {
    scan: crate::video::VideoScan,
    frames: [Vec<u8>; 2],
    next: usize,
}

impl MotionScene {
    pub fn new(width: u32, height: u32) -> MotionScene {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut rand = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let page: Vec<u8> = (0..width as usize * height as usize)
            .map(|_| if rand() % 5 == 0 { 30 } else { 235 })
            .collect();
        let noisy: Vec<u8> = page
            .iter()
            .map(|&v| match rand() % 3 {
                0 => v - 2,
                1 => v + 2,
                _ => v,
            })
            .collect();
        let mut scan =
            crate::video::VideoScan::new(width, height, 30.0).expect("the bench frame has a size");
        // The first frame is read (a key), so later frames are compared with it too.
        scan.push_luma(page.clone()).expect("the bench frame fits");
        MotionScene {
            scan,
            frames: [page, noisy],
            next: 1,
        }
    }

    /// Pushes the next frame; true when the scan would read it (never, for this still page).
    pub fn push(&mut self) -> bool {
        let frame = self.frames[self.next].clone();
        self.next ^= 1;
        self.scan.push_luma(frame).expect("the bench frame fits")
    }
}
