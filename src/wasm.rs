//! The WebAssembly face of the core, used by `www/worker.js` (and so by `www/kuronuri.js`).
//! Compiled only for `wasm32`; everything here is a thin translation to the core's functions.
//!
//! Errors reach JavaScript as `{code, message}` objects; the page translates `code`.

use wasm_bindgen::prelude::*;

use crate::benchmark::Scene;
use crate::detection::ocr::detect::Plan;
use crate::detection::ocr::{Ocr, Quad, Timings};
use crate::error::Error;
use crate::export::{self, ExportFormat};
use crate::imaging::preview::Preview;
use crate::imaging::{self, regions_from_json, FrameMut, Image, MaskStyle};

fn to_js(e: Error) -> JsValue {
    let object = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(k), &v);
    };
    set("code", JsValue::from_str(e.code()));
    set("message", JsValue::from_str(&e.to_string()));
    if let Error::TooLarge { width, height } = e {
        set("width", JsValue::from(width));
        set("height", JsValue::from(height));
    }
    object.into()
}

/// A decoded image kept in the worker while a person edits its regions.
#[wasm_bindgen]
pub struct Picture {
    preview: Preview,
}

#[wasm_bindgen]
impl Picture {
    /// Decodes PNG, JPEG (upright by its EXIF orientation) or WebP bytes. `seed` keys the
    /// preview's mosaic noise.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], seed: u64) -> Result<Picture, JsValue> {
        let image = imaging::decode(bytes).map_err(to_js)?;
        Ok(Picture {
            preview: Preview::new(image, seed),
        })
    }

    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.preview.original().width
    }

    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.preview.original().height
    }

    /// The upright original pixels (RGBA).
    pub fn pixels(&self) -> Vec<u8> {
        self.preview.original().rgba.clone()
    }

    /// Applies `regions` (JSON) in `style` to the preview and returns what changed as
    /// `{x, y, width, height, rgba}`, or `undefined` when nothing did.
    pub fn render(&mut self, regions: &str, style: &str) -> Result<JsValue, JsValue> {
        let regions = regions_from_json(regions).map_err(to_js)?;
        let style: MaskStyle = style.parse().map_err(to_js)?;
        let Some(rect) = self.preview.update(&regions, style) else {
            return Ok(JsValue::UNDEFINED);
        };
        let patch = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&patch, &JsValue::from_str(k), &v);
        set("x", rect.x0.into())?;
        set("y", rect.y0.into())?;
        set("width", rect.width().into())?;
        set("height", rect.height().into())?;
        set(
            "rgba",
            js_sys::Uint8Array::from(self.preview.crop(rect).as_slice()).into(),
        )?;
        Ok(patch.into())
    }

    /// The original with `regions` masked afresh under `seed`, encoded as `format` (`png`,
    /// `jpeg` or `jpeg:Q`) with no metadata.
    pub fn export(
        &self,
        regions: &str,
        style: &str,
        format: &str,
        seed: u64,
    ) -> Result<Vec<u8>, JsValue> {
        let regions = regions_from_json(regions).map_err(to_js)?;
        let style: MaskStyle = style.parse().map_err(to_js)?;
        let format: ExportFormat = format.parse().map_err(to_js)?;
        let original = self.preview.original();
        let mut rgba = original.rgba.clone();
        let mut frame =
            FrameMut::packed(&mut rgba, original.width, original.height).map_err(to_js)?;
        imaging::mask_regions(&mut frame, &regions, style, seed);
        export::encode(&rgba, original.width, original.height, format).map_err(to_js)
    }
}

/// Personal data in an OCR result (`{width, height, lines}` as `OcrEngine` or `ocrImage`
/// returns it) under `policy` (`{"preset": "everything"|"identifiers", "off": [category…]}`):
/// the findings as JSON.
#[wasm_bindgen]
pub fn scan_text(ocr: &str, policy: &str) -> Result<String, JsValue> {
    let ocr: crate::detection::ocr::OcrResult = serde_json::from_str(ocr).map_err(|e| {
        to_js(crate::Error::BadRequest(format!(
            "the OCR result is not valid: {e}"
        )))
    })?;
    let policy = parse_policy(policy)?;
    let findings = crate::pii::scan(&ocr, &policy);
    serde_json::to_string(&findings).map_err(|e| to_js(crate::Error::Io(e.to_string())))
}

/// The findings (JSON) that `policy` (JSON) keeps: the page scans pictures once per image and
/// filters them when the person switches the preset.
#[wasm_bindgen]
pub fn filter_findings(findings: &str, policy: &str) -> Result<String, JsValue> {
    let findings: Vec<crate::pii::Finding> = serde_json::from_str(findings).map_err(|e| {
        to_js(crate::Error::BadRequest(format!(
            "the findings are not valid: {e}"
        )))
    })?;
    let policy = parse_policy(policy)?;
    to_json(
        &findings
            .into_iter()
            .filter(|f| policy.allows(f.category))
            .collect::<Vec<_>>(),
    )
}

/// A policy as JSON (`{"preset", "off"}`); empty text is the default policy.
fn parse_policy(policy: &str) -> Result<crate::pii::Policy, JsValue> {
    if policy.trim().is_empty() {
        return Ok(crate::pii::Policy::default());
    }
    serde_json::from_str(policy).map_err(|e| {
        to_js(crate::Error::BadRequest(format!(
            "the policy is not valid: {e}"
        )))
    })
}

/// The categories with their tier and names, for the page's lists and toggles.
#[wasm_bindgen]
pub fn categories() -> String {
    let list: Vec<serde_json::Value> = crate::pii::Category::ALL
        .iter()
        .map(|c| {
            let (ja, en) = c.title();
            serde_json::json!({ "id": c.as_str(), "tier": c.tier(), "ja": ja, "en": en })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Decodes, masks and encodes in one call (see [`crate::redact_image`]).
#[wasm_bindgen]
pub fn redact(
    bytes: &[u8],
    regions: &str,
    style: &str,
    format: &str,
    seed: u64,
) -> Result<Vec<u8>, JsValue> {
    let regions = regions_from_json(regions).map_err(to_js)?;
    let style: MaskStyle = style.parse().map_err(to_js)?;
    let format: ExportFormat = format.parse().map_err(to_js)?;
    crate::redact_image(bytes, &regions, style, format, seed).map_err(to_js)
}

/// The masking benchmark's scene, for `tests/browser/bench.mjs`.
#[wasm_bindgen]
pub struct BenchScene(Scene);

#[wasm_bindgen]
impl BenchScene {
    #[wasm_bindgen(constructor)]
    pub fn new(width: u32, height: u32) -> BenchScene {
        BenchScene(Scene::new(width, height))
    }

    pub fn covered_share(&self) -> f64 {
        self.0.covered_share()
    }

    /// Masks every region `times` times in `style`.
    pub fn mask(&mut self, style: &str, times: u32) -> Result<(), JsValue> {
        let style: MaskStyle = style.parse().map_err(to_js)?;
        for _ in 0..times {
            self.0.mask(style);
        }
        Ok(())
    }

    /// Copies the whole frame `times` times.
    pub fn copy_frame(&mut self, times: u32) {
        for _ in 0..times {
            self.0.copy_frame();
        }
    }
}

/// The video scan's per-frame comparison, for the masking bench (see
/// `benchmark::MotionScene`).
#[wasm_bindgen]
pub struct MotionBench(crate::benchmark::MotionScene);

#[wasm_bindgen]
impl MotionBench {
    #[wasm_bindgen(constructor)]
    pub fn new(width: u32, height: u32) -> MotionBench {
        MotionBench(crate::benchmark::MotionScene::new(width, height))
    }

    /// Pushes `times` frames.
    pub fn push(&mut self, times: u32) {
        for _ in 0..times {
            self.0.push();
        }
    }
}

/// A network kernel at the recogniser's shapes, for the kernel bench (see
/// `benchmark::KernelScene`).
#[wasm_bindgen]
pub struct KernelBench(crate::benchmark::KernelScene);

#[wasm_bindgen]
impl KernelBench {
    #[wasm_bindgen(constructor)]
    pub fn new(kind: &str) -> Result<KernelBench, JsValue> {
        crate::benchmark::KernelScene::new(kind)
            .map(KernelBench)
            .ok_or_else(|| to_js(Error::BadRequest(format!("no kernel {kind}"))))
    }

    pub fn multiply_adds(&self) -> f64 {
        self.0.multiply_adds()
    }

    /// Runs the kernel `times` times.
    pub fn run(&mut self, times: u32) {
        for _ in 0..times {
            self.0.run();
        }
    }
}

/// The OCR models loaded in one worker.
#[wasm_bindgen]
pub struct OcrEngine(Ocr);

fn image_of(rgba: Vec<u8>, width: u32, height: u32) -> Result<Image, JsValue> {
    if rgba.len() != width as usize * height as usize * 4 {
        return Err(to_js(Error::BadFrame(
            "pixel buffer does not match the size".into(),
        )));
    }
    Ok(Image {
        width,
        height,
        rgba,
    })
}

/// The face model, loaded once per worker, and the other picture detectors (ID card photos);
/// with the last video frame looked at and its faces, so the next frame read of the same video
/// is looked at again only where it changed.
#[wasm_bindgen]
pub struct PictureEngine(
    crate::detection::faces::FaceDetector,
    std::cell::RefCell<Option<(Image, Vec<crate::detection::faces::Face>)>>,
);

#[wasm_bindgen]
impl PictureEngine {
    /// Loads the face model (ONNX bytes of the prepared CenterFace).
    #[wasm_bindgen(constructor)]
    pub fn new(face_model: Vec<u8>) -> Result<PictureEngine, JsValue> {
        crate::detection::faces::FaceDetector::from_bytes(face_model)
            .map(|d| PictureEngine(d, Default::default()))
            .map_err(to_js)
    }

    /// The findings that are not text in an image (`rgba`, `width × height`) whose text was
    /// read as `ocr` (JSON, as `OcrEngine` gives it), under `policy` (JSON): faces and the
    /// holder's photo on ID cards, codes, seals. Returns JSON `{findings, documents, timings}`:
    /// `documents` lists the identity documents the page shows (`{kind: "my_number_card",
    /// side: "back", quad}`: see [`crate::pii::pictures::DocumentSeen`]; kinds `my_number_card`,
    /// `drivers_licence`, `insurance_card`, `residence_card`, `passport`).
    ///
    /// `frame`: `"image"` for a still image; `"first"` for the first frame read of a video
    /// (kept, with its faces, to compare the next with); `"next"` for the next frame read of
    /// that video: faces are looked for again only in the bands of rows that changed since
    /// (see `FaceDetector::detect_changed`; the whole frame when too much changed), the
    /// others kept.
    pub fn scan(
        &self,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        ocr: &str,
        policy: &str,
        frame: &str,
    ) -> Result<String, JsValue> {
        use crate::detection::faces::FaceOptions;
        let image = image_of(rgba, width, height)?;
        let ocr: crate::detection::ocr::OcrResult = serde_json::from_str(ocr).map_err(|e| {
            to_js(Error::BadRequest(format!(
                "the OCR result is not valid: {e}"
            )))
        })?;
        let policy = parse_policy(policy)?;
        let options = FaceOptions::default();
        let text = crate::detection::photo_areas::sure_text(&ocr.lines);
        let mut last = self.1.borrow_mut();
        let again = match last.as_ref() {
            Some((before, earlier)) if frame == "next" => self
                .0
                .detect_changed(before, &image, earlier, &options, &text)
                .map_err(to_js)?,
            _ => None,
        };
        let (faces, timings) = match again {
            Some(found) => found,
            None => self.0.detect(&image, &options, &text).map_err(to_js)?,
        };
        let findings = crate::pii::pictures::scan_pictures(&image, &ocr, &faces, &policy);
        let documents = crate::pii::pictures::id_documents(&image, &ocr);
        let out = to_json(
            &serde_json::json!({ "findings": findings, "documents": documents, "timings": timings }),
        );
        *last = (frame != "image").then_some((image, faces));
        out
    }

    /// Faces only, for the bench: JSON `{faces, timings}`.
    pub fn faces(&self, rgba: Vec<u8>, width: u32, height: u32) -> Result<String, JsValue> {
        let image = image_of(rgba, width, height)?;
        let (faces, timings) = self
            .0
            .detect(
                &image,
                &crate::detection::faces::FaceOptions::default(),
                &[],
            )
            .map_err(to_js)?;
        to_json(&serde_json::json!({ "faces": faces, "timings": timings }))
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, JsValue> {
    serde_json::to_string(value).map_err(|e| to_js(Error::Io(e.to_string())))
}

#[wasm_bindgen]
impl OcrEngine {
    /// Loads the detection and recognition models (ONNX bytes) and the dictionary text.
    #[wasm_bindgen(constructor)]
    pub fn new(
        detector: Vec<u8>,
        recognizer: Vec<u8>,
        dictionary: &str,
    ) -> Result<OcrEngine, JsValue> {
        Ocr::from_bytes(detector, recognizer, dictionary)
            .map(OcrEngine)
            .map_err(to_js)
    }

    /// How the detector reads the image `rgba` (`width × height`), shared by `parts` workers:
    /// JSON `{scale, width, height, tiles}` (at least `parts` tiles where the image is large
    /// enough; none over its plain parts, see `detect::plan_over`).
    pub fn plan(
        &self,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        parts: u32,
    ) -> Result<String, JsValue> {
        let image = image_of(rgba, width, height)?;
        to_json(&self.0.plan(&image, parts))
    }

    /// After detection at `scale` found `quads` (JSON) in the image `rgba`: the plan for a
    /// second, larger look when the text came out small (see `detect::second_look`), shared by
    /// `parts` workers, or `undefined`.
    pub fn second_plan(
        &self,
        quads: &str,
        scale: f32,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        parts: u32,
    ) -> Result<Option<String>, JsValue> {
        use crate::detection::ocr::{content, detect};
        let quads: Vec<Quad> =
            serde_json::from_str(quads).map_err(|e| to_js(Error::Model(e.to_string())))?;
        let image = image_of(rgba, width, height)?;
        let flat = || content::flat_share(&image);
        match detect::second_look(&quads, scale, width, height, flat) {
            Some(larger) => Ok(Some(to_json(&detect::plan_over(
                width,
                height,
                larger,
                parts,
                &content::Content::of(&image),
            ))?)),
            None => Ok(None),
        }
    }

    /// Runs the detector on the tiles `indices` (JSON array) of `plan` (JSON); returns
    /// `{probs, timings}`: the tiles' probabilities one after another (each `w × h`).
    pub fn detect_tiles(
        &self,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        plan: &str,
        indices: &str,
    ) -> Result<JsValue, JsValue> {
        let image = image_of(rgba, width, height)?;
        let plan: Plan =
            serde_json::from_str(plan).map_err(|e| to_js(Error::Model(e.to_string())))?;
        let indices: Vec<usize> =
            serde_json::from_str(indices).map_err(|e| to_js(Error::Model(e.to_string())))?;
        let mut timings = Timings::default();
        let mut probs = Vec::new();
        for i in indices {
            let tile = *plan
                .tiles
                .get(i)
                .ok_or_else(|| to_js(Error::Model(format!("no tile {i}"))))?;
            probs.extend(
                self.0
                    .detect_tile(&image, &plan, tile, &mut timings)
                    .map_err(to_js)?,
            );
        }
        let out = js_sys::Object::new();
        js_sys::Reflect::set(
            &out,
            &"probs".into(),
            &js_sys::Float32Array::from(probs.as_slice()).into(),
        )?;
        js_sys::Reflect::set(&out, &"timings".into(), &to_json(&timings)?.into())?;
        Ok(out.into())
    }

    /// Quads from all tiles' probabilities (`probs`: every tile of `plan` in order), as JSON
    /// `{quads, timings}`.
    pub fn quads(&self, plan: &str, probs: &[f32]) -> Result<String, JsValue> {
        let plan: Plan =
            serde_json::from_str(plan).map_err(|e| to_js(Error::Model(e.to_string())))?;
        let mut tiles = Vec::with_capacity(plan.tiles.len());
        let mut at = 0;
        for &tile in &plan.tiles {
            let n = (tile[2] * tile[3]) as usize;
            let part = probs
                .get(at..at + n)
                .ok_or_else(|| to_js(Error::Model("too few probabilities for the plan".into())))?;
            tiles.push((tile, part.to_vec()));
            at += n;
        }
        let mut timings = Timings {
            scale: plan.scale,
            ..Timings::default()
        };
        let quads = crate::detection::ocr::detect::quads_from_tiles(&plan, &tiles, &mut timings);
        to_json(&serde_json::json!({ "quads": quads, "timings": timings }))
    }

    /// After a frame `before` was read as lines at `quads` (JSON, fitted to their ink), the
    /// bands of rows of `now` to look at again and the lines that keep their reading, as JSON
    /// `{bands: [[top, bottom], …], kept: [index…]}`, or `undefined` when `now` must be read
    /// whole (see `detection::ocr::changes`).
    pub fn changes(
        &self,
        before: Vec<u8>,
        now: Vec<u8>,
        width: u32,
        height: u32,
        quads: &str,
    ) -> Result<Option<String>, JsValue> {
        let quads: Vec<Quad> =
            serde_json::from_str(quads).map_err(|e| to_js(Error::Model(e.to_string())))?;
        let (before, now) = (
            image_of(before, width, height)?,
            image_of(now, width, height)?,
        );
        crate::detection::ocr::changes::bands_to_read(&before, &now, &quads)
            .map(|bands| {
                let kept: Vec<usize> = (0..quads.len())
                    .filter(|&i| crate::detection::ocr::changes::outside(&quads[i], &bands))
                    .collect();
                to_json(&serde_json::json!({ "bands": bands, "kept": kept }))
            })
            .transpose()
    }

    /// Line quads in rows `top..top + height` of a frame (`rgba`: those rows only), read at
    /// `scale`, in frame coordinates: JSON `{quads, timings}`.
    pub fn detect_band(
        &self,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        top: u32,
        scale: f32,
    ) -> Result<String, JsValue> {
        let part = image_of(rgba, width, height)?;
        let mut timings = Timings {
            scale,
            ..Timings::default()
        };
        let quads = self
            .0
            .detect_band(&part, top, scale, &mut timings)
            .map_err(to_js)?;
        to_json(&serde_json::json!({ "quads": quads, "timings": timings }))
    }

    /// True when a line read in `bands` (JSON `[[top, bottom], …]`) reaches the edge of its
    /// band inside the frame (`quads`: the lines' quads, JSON): the frame must be read whole.
    pub fn cut(&self, quads: &str, bands: &str, height: u32) -> Result<bool, JsValue> {
        let quads: Vec<Quad> =
            serde_json::from_str(quads).map_err(|e| to_js(Error::Model(e.to_string())))?;
        let bands: Vec<[u32; 2]> =
            serde_json::from_str(bands).map_err(|e| to_js(Error::Model(e.to_string())))?;
        Ok(quads
            .iter()
            .any(|q| crate::detection::ocr::changes::cut(q, &bands, height)))
    }

    /// Text-line quads of an RGBA image, as JSON `{quads, timings}`.
    pub fn detect(&self, rgba: Vec<u8>, width: u32, height: u32) -> Result<String, JsValue> {
        let image = image_of(rgba, width, height)?;
        let (quads, timings) = self.0.detect(&image).map_err(to_js)?;
        to_json(&serde_json::json!({ "quads": quads, "timings": timings }))
    }

    /// Reads the lines at `quads` (JSON array of quads), as JSON `{lines, timings}`.
    /// `progress(done, total)` is called as lines are read.
    pub fn recognize(
        &self,
        rgba: Vec<u8>,
        width: u32,
        height: u32,
        quads: &str,
        progress: &js_sys::Function,
    ) -> Result<String, JsValue> {
        let image = image_of(rgba, width, height)?;
        let quads: Vec<Quad> =
            serde_json::from_str(quads).map_err(|e| to_js(Error::BadRegion(e.to_string())))?;
        let mut report = |done: usize, total: usize| {
            let _ = progress.call2(
                &JsValue::NULL,
                &JsValue::from(done as u32),
                &JsValue::from(total as u32),
            );
        };
        let (lines, timings) = self
            .0
            .recognize(&image, &quads, &mut report)
            .map_err(to_js)?;
        to_json(&serde_json::json!({ "lines": lines, "timings": timings }))
    }
}

/// Starts (`true`) or stops summing the time of every step of the networks this worker runs;
/// stopping returns the sums as JSON `[{step, shapes, ms, runs}]` (see
/// `detection::network::profile`), for the bench to show where the models' time goes.
#[wasm_bindgen]
pub fn network_profile(on: bool) -> String {
    use crate::detection::network::profile;
    if on {
        profile::start();
        return "[]".into();
    }
    let steps: Vec<_> = profile::take()
        .into_iter()
        .map(|(step, shapes, ms, runs)| serde_json::json!({ "step": step, "shapes": shapes, "ms": ms, "runs": runs }))
        .collect();
    serde_json::Value::from(steps).to_string()
}

/// Decodes an image file into upright RGBA, for OCR: `{width, height, rgba}`.
#[wasm_bindgen]
pub fn decode_image(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let image = imaging::decode(bytes).map_err(to_js)?;
    let out = js_sys::Object::new();
    js_sys::Reflect::set(&out, &"width".into(), &image.width.into())?;
    js_sys::Reflect::set(&out, &"height".into(), &image.height.into())?;
    js_sys::Reflect::set(
        &out,
        &"rgba".into(),
        &js_sys::Uint8Array::from(image.rgba.as_slice()).into(),
    )?;
    Ok(out.into())
}

/// A video being scanned in the page's video worker: frames go in one by one, the findings of
/// the frames it asks to read come back, and `finish` gives the tracks (see [`crate::video`]).
#[wasm_bindgen]
pub struct VideoScanner(crate::video::VideoScan);

#[wasm_bindgen]
impl VideoScanner {
    #[wasm_bindgen(constructor)]
    pub fn new(width: u32, height: u32, fps: f32) -> Result<VideoScanner, JsValue> {
        crate::video::VideoScan::new(width, height, fps)
            .map(VideoScanner)
            .map_err(to_js)
    }

    /// The next frame as its luma plane (the Y plane of an I420 or NV12 frame, rows `stride`
    /// bytes apart); true when this frame should be read.
    pub fn push_luma(&mut self, plane: Vec<u8>, stride: usize) -> Result<bool, JsValue> {
        let s = &mut self.0;
        let (w, h) = (s.width as usize, s.height as usize);
        // The glue already copied the plane into this module's memory: when its rows are
        // packed, that copy is the frame (the page passes the luma rows only).
        let luma = if stride == w && plane.len() >= w * h {
            let mut plane = plane;
            plane.truncate(w * h);
            plane
        } else {
            crate::video::luma_plane(&plane, stride, s.width, s.height, false).map_err(to_js)?
        };
        s.push_luma(luma).map_err(to_js)
    }

    /// The next frame as RGBA (rows `stride` bytes apart); true when it should be read.
    pub fn push_rgba(&mut self, rgba: &[u8], stride: usize) -> Result<bool, JsValue> {
        self.0.push_rgba(rgba, stride).map_err(to_js)
    }

    /// True when the last frame pushed must be read too.
    pub fn needs_last(&self) -> bool {
        self.0.needs_last()
    }

    /// The findings (JSON, as `scan_text` gives them) of frame `i`, a frame that was read.
    pub fn add_findings(&mut self, i: usize, findings: &str) -> Result<(), JsValue> {
        let findings: Vec<crate::pii::Finding> = serde_json::from_str(findings).map_err(|e| {
            to_js(Error::BadRequest(format!(
                "the findings are not valid: {e}"
            )))
        })?;
        self.0.add_findings(i, findings).map_err(to_js)
    }

    /// `{width, height, fps, frame_count, keys, tracks}` as JSON.
    pub fn finish(&self) -> Result<String, JsValue> {
        serde_json::to_string(&self.0.finish()).map_err(|e| to_js(Error::Io(e.to_string())))
    }
}

/// Masks `regions` (JSON) of RGBA pixels in place, in `style`; `seed` keys the mosaic noise.
/// Export uses it on the part of each video frame that holds regions.
#[wasm_bindgen]
pub fn mask_rgba(
    rgba: &mut [u8],
    width: u32,
    height: u32,
    regions: &str,
    style: &str,
    seed: u64,
) -> Result<(), JsValue> {
    let regions = regions_from_json(regions).map_err(to_js)?;
    let style: MaskStyle = style.parse().map_err(to_js)?;
    let mut frame = FrameMut::packed(rgba, width, height).map_err(to_js)?;
    imaging::mask_regions(&mut frame, &regions, style, seed);
    Ok(())
}
