//! Kuronuri (黒塗り): finds and masks personal data in images before they leave the device.
//!
//! The same core runs natively (the `kuronuri` command, `cargo test`) and as WebAssembly in a
//! Web Worker of the page (`src/wasm.rs`, compiled only for `wasm32`).
//!
//! - [`imaging`]: decoding, frames, regions and the masking kernels (the hot path);
//! - [`detection`]: reading text (OCR) and the layout of a page (rows, tables);
//! - [`pii`]: the personal-data rules that turn text into findings;
//! - [`export`]: encoding masked pixels into files without metadata;
//! - [`benchmark`]: the scene that `./build.sh bench` measures, natively and in the browser;
//! - `serve` and `cli` (native only): the static server for the page and the command line.

pub mod benchmark;
pub mod clock;
pub mod detection;
pub mod error;
pub mod export;
pub mod geometry;
pub mod imaging;
pub mod pii;
pub mod video;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod serve;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::Error;
use export::ExportFormat;
use imaging::{FrameMut, MaskStyle, Region};

/// Decodes an image file, masks `regions` with `style` and encodes the result afresh as
/// `format`. The input bytes are only read. `seed` keys the mosaic noise: pass a fresh secret
/// random number for every call.
pub fn redact_image(
    bytes: &[u8],
    regions: &[Region],
    style: MaskStyle,
    format: ExportFormat,
    seed: u64,
) -> Result<Vec<u8>, Error> {
    let image = imaging::decode(bytes)?;
    redact_decoded(image, &[(regions, style)], format, seed)
}

/// Masks each group of regions with its style (text findings with a fill, hand-drawn boxes
/// with the style the person chose) and encodes the result as `format`.
pub fn redact_decoded(
    mut image: imaging::Image,
    groups: &[(&[Region], MaskStyle)],
    format: ExportFormat,
    seed: u64,
) -> Result<Vec<u8>, Error> {
    let (width, height) = (image.width, image.height);
    let mut frame = FrameMut::packed(&mut image.rgba, width, height)?;
    for (i, (regions, style)) in groups.iter().enumerate() {
        imaging::mask_regions(&mut frame, regions, *style, seed.wrapping_add(i as u64));
    }
    export::encode(&image.rgba, width, height, format)
}

/// The region that masks a finding: its quad with the default padding; a face found by the
/// face model (not an ID card's photo, which is masked as its whole box) is a blurred,
/// soft-edged ellipse around its box ([`Region::face`]).
pub fn finding_region(finding: &pii::Finding) -> Region {
    if finding.category == pii::Category::Face && finding.reason.starts_with("face") {
        let xs = finding.quad.iter().map(|p| p[0]);
        let ys = finding.quad.iter().map(|p| p[1]);
        let (x0, x1) = (
            xs.clone().fold(f32::MAX, f32::min),
            xs.fold(f32::MIN, f32::max),
        );
        let (y0, y1) = (
            ys.clone().fold(f32::MAX, f32::min),
            ys.fold(f32::MIN, f32::max),
        );
        return Region::face(x0, y0, x1 - x0, y1 - y0);
    }
    Region::polygon(finding.quad.to_vec())
}
