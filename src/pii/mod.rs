//! Personal data in text: the rules that turn OCR lines into findings a person can review.
//!
//! - [`category`]: what a finding is (`must` identifies a person, `may` is an attribute) and
//!   the policy that picks which to keep;
//! - [`text`]: OCR text folded (NFKC, dashes between digits) with a way back to each
//!   character's quad;
//! - [`patterns`] and [`checks`]: shapes and check digits (phones, e-mail, My Number, cards…);
//! - [`names`]: name lists and the shapes names take; [`places`]: prefectures and municipalities;
//! - [`labels`]: field labels and table headers (氏名, 生年月日, 患者ID, DOB…);
//! - [`pictures`]: what is not text: faces, the holder's photo on ID cards, codes, seals;
//! - [`scan`]: all of it over a page, with tables and label–value pairs from
//!   [`crate::detection::layout`].

pub mod category;
pub mod checks;
pub mod labels;
pub mod names;
pub mod patterns;
pub mod pictures;
pub mod places;
pub mod scan;
pub mod text;

use serde::{Deserialize, Serialize};

pub use category::{Category, Policy, Preset, Tier};
pub use scan::scan;

use crate::detection::ocr::Quad;

/// One piece of personal data: what it is, where, and why Kuronuri thinks so.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub category: Category,
    pub tier: Tier,
    /// The text as read.
    pub text: String,
    /// Covers just this text, in image pixels (start-top, end-top, end-bottom, start-bottom).
    pub quad: Quad,
    /// 0–1: how sure the rule is.
    pub score: f32,
    /// Why, for the person reviewing ("column under 氏名", "check digit valid").
    pub reason: String,
}
