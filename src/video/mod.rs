//! Video: find every frame that shows personal data without reading every frame.
//!
//! Frames stream through a [`VideoScan`] one by one (only the current and previous frame's
//! luma are kept): [`motion`] measures what changed and how the picture moved, [`keys`]
//! picks the frames worth reading with OCR and the detectors, the caller reads those and
//! hands their findings back, and [`track`] carries each finding over all the frames it is on
//! screen. The page drives this from its video worker; `kuronuri video` drives it natively
//! over a folder of frames.

pub mod keys;
pub mod motion;
pub mod track;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::detection::ocr::Quad;
use crate::error::Error;
use crate::pii::{Category, Finding};
pub use motion::{luma_plane, Analyser, FrameMotion};
pub use track::{Span, Track};

/// The scan of one video, fed frame by frame.
pub struct VideoScan {
    pub width: u32,
    pub height: u32,
    pub fps: f32,
    analyser: Analyser,
    picker: keys::KeyPicker,
    frames: Vec<FrameMotion>,
    keys: BTreeMap<usize, Vec<Finding>>,
}

/// The result: what export masks in each frame, as tracks.
#[derive(Clone, Debug, Serialize)]
pub struct VideoResult {
    pub width: u32,
    pub height: u32,
    pub fps: f32,
    pub frame_count: usize,
    /// The frames that were read.
    pub keys: Vec<usize>,
    pub tracks: Vec<Track>,
}

/// One region to mask in one frame.
#[derive(Clone, Debug, Serialize)]
pub struct FrameFinding {
    pub category: Category,
    pub quad: Quad,
    pub track: usize,
}

/// One frame's regions.
#[derive(Clone, Debug, Serialize)]
pub struct FrameFindings {
    pub i: usize,
    pub findings: Vec<FrameFinding>,
}

impl VideoResult {
    /// Every frame with what export masks in it.
    pub fn frames(&self) -> Vec<FrameFindings> {
        let category: BTreeMap<usize, Category> =
            self.tracks.iter().map(|t| (t.id, t.category)).collect();
        track::per_frame(&self.tracks, self.frame_count)
            .into_iter()
            .enumerate()
            .map(|(i, list)| FrameFindings {
                i,
                findings: list
                    .into_iter()
                    .map(|(track, quad)| FrameFinding {
                        category: category[&track],
                        quad,
                        track,
                    })
                    .collect(),
            })
            .collect()
    }
}

impl VideoScan {
    pub fn new(width: u32, height: u32, fps: f32) -> Result<VideoScan, Error> {
        let analyser = Analyser::new(width, height)?;
        let picker = keys::KeyPicker::new(fps, height);
        Ok(VideoScan {
            width,
            height,
            fps,
            analyser,
            picker,
            frames: Vec::new(),
            keys: BTreeMap::new(),
        })
    }

    /// Frames pushed so far.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// Takes the next frame as a packed luma plane; true when it should be read (then call
    /// [`VideoScan::add_findings`] with what it shows, now or later).
    pub fn push_luma(&mut self, luma: Vec<u8>) -> Result<bool, Error> {
        let m = self.analyser.push(luma)?;
        let i = self.frames.len();
        let from_key = self.analyser.differs_from_key();
        let key = self.picker.push(i, &m, from_key);
        if key {
            self.analyser.mark_key();
        }
        if std::env::var_os("KURONURI_DEBUG_VIDEO").is_some() {
            eprintln!(
                "frame {i}: shift {:?} moved {} changed {} from key {from_key:?} key {key}",
                m.shift,
                m.count(motion::MOVED),
                m.count(motion::CHANGED)
            );
        }
        self.frames.push(m);
        Ok(key)
    }

    /// Takes the next frame as RGBA (rows `stride` bytes apart).
    pub fn push_rgba(&mut self, rgba: &[u8], stride: usize) -> Result<bool, Error> {
        self.push_luma(luma_plane(rgba, stride, self.width, self.height, true)?)
    }

    /// True when the content changed after the last frame read: the last frame pushed must be
    /// read too.
    pub fn needs_last(&self) -> bool {
        self.picker.pending()
    }

    /// The findings of frame `i` (a frame that was read).
    pub fn add_findings(&mut self, i: usize, findings: Vec<Finding>) -> Result<(), Error> {
        if i >= self.frames.len() {
            return Err(Error::BadRequest(format!(
                "frame {i} was not pushed ({} frames)",
                self.frames.len()
            )));
        }
        self.keys.insert(i, findings);
        Ok(())
    }

    /// Tracks over all frames pushed.
    pub fn finish(&self) -> VideoResult {
        let motion = track::Motion {
            width: self.width as f32,
            height: self.height as f32,
            grid: self.analyser.grid,
            frames: &self.frames,
        };
        VideoResult {
            width: self.width,
            height: self.height,
            fps: self.fps,
            frame_count: self.frames.len(),
            keys: self.keys.keys().copied().collect(),
            tracks: track::build(&motion, &self.keys),
        }
    }
}
