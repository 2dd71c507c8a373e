//! Encoding masked pixels into files that carry nothing but pixels.
//!
//! Files are always encoded afresh from the RGBA buffer; no byte of the input file is reused,
//! so EXIF (GPS, camera, thumbnails), XMP, ICC profiles and comments of the original cannot
//! reach the output. PNG output holds only IHDR, IDAT and IEND; JPEG output only the JFIF
//! header (no thumbnail) and the image segments.

use std::str::FromStr;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use crate::error::Error;

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Png,
    /// Quality 1–100.
    Jpeg {
        quality: u8,
    },
}

pub const DEFAULT_JPEG_QUALITY: u8 = 90;

impl FromStr for ExportFormat {
    type Err = Error;

    /// `png`, `jpeg`/`jpg`, or `jpeg:Q` with a quality of 1–100.
    fn from_str(s: &str) -> Result<Self, Error> {
        let lower = s.to_ascii_lowercase();
        let (name, quality) = match lower.split_once(':') {
            Some((n, q)) => (
                n,
                Some(q.parse::<u8>().map_err(|_| Error::BadFormat(s.into()))?),
            ),
            None => (lower.as_str(), None),
        };
        match (name, quality) {
            ("png", None) => Ok(ExportFormat::Png),
            ("jpeg" | "jpg", q) => {
                let quality = q.unwrap_or(DEFAULT_JPEG_QUALITY);
                if !(1..=100).contains(&quality) {
                    return Err(Error::BadFormat(s.into()));
                }
                Ok(ExportFormat::Jpeg { quality })
            }
            _ => Err(Error::BadFormat(s.into())),
        }
    }
}

impl ExportFormat {
    pub fn mime_type(&self) -> &'static str {
        match self {
            ExportFormat::Png => "image/png",
            ExportFormat::Jpeg { .. } => "image/jpeg",
        }
    }
}

/// Encodes tightly packed RGBA8 pixels. PNG keeps transparency when there is any; JPEG shows
/// the picture over white, as the page does.
pub fn encode(
    rgba: &[u8],
    width: u32,
    height: u32,
    format: ExportFormat,
) -> Result<Vec<u8>, Error> {
    if rgba.len() != width as usize * height as usize * 4 {
        return Err(Error::BadFrame(
            "pixel buffer does not match the size".into(),
        ));
    }
    let mut out = Vec::new();
    let opaque = rgba.chunks_exact(4).all(|p| p[3] == 255);
    match format {
        ExportFormat::Png => {
            let encoder =
                PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
            if opaque {
                encoder.write_image(&to_rgb(rgba), width, height, ExtendedColorType::Rgb8)
            } else {
                encoder.write_image(rgba, width, height, ExtendedColorType::Rgba8)
            }
        }
        ExportFormat::Jpeg { quality } => JpegEncoder::new_with_quality(&mut out, quality)
            .write_image(&to_rgb(rgba), width, height, ExtendedColorType::Rgb8),
    }
    .map_err(|e| Error::Encode(e.to_string()))?;
    Ok(out)
}

/// Drops alpha, compositing over white.
fn to_rgb(rgba: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(rgba.len() / 4 * 3);
    for p in rgba.chunks_exact(4) {
        let a = p[3] as u32;
        for c in 0..3 {
            rgb.push(((p[c] as u32 * a + 255 * (255 - a) + 127) / 255) as u8);
        }
    }
    rgb
}
