//! Decoding PNG, JPEG and WebP into RGBA8, safely: the size is checked from the header before
//! any pixel memory is reserved, and a JPEG's EXIF orientation is applied so that the pixels are
//! upright as the person sees them. Only pixels come out; no metadata is kept.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::error::Error;

/// The largest image accepted, in pixels (50 megapixels).
pub const MAX_PIXELS: u64 = 50_000_000;

/// Decoded, upright RGBA8 pixels, tightly packed.
#[derive(Clone, Debug)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// Reads `bytes` as PNG, JPEG or WebP.
pub fn decode(bytes: &[u8]) -> Result<Image, Error> {
    let format = image::guess_format(bytes).map_err(|_| Error::NotAnImage)?;
    match format {
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP => {}
        other => {
            return Err(Error::UnsupportedFormat(
                format!("{other:?}").to_uppercase(),
            ))
        }
    }
    match format {
        ImageFormat::Png => check_png_header(bytes)?,
        // The JPEG decoder fills a cut-off file with grey rather than failing: check the end.
        ImageFormat::Jpeg if !jpeg_is_complete(bytes) => {
            return Err(Error::Corrupt(
                "the JPEG data ends before its end marker".into(),
            ))
        }
        _ => {}
    }
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_PIXELS * 8 + (64 << 20));
    decoder.set_limits(limits).map_err(corrupt)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    picture.apply_orientation(orientation);
    let rgba = picture.into_rgba8();
    Ok(Image {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// The size rules: at least one pixel, at most [`MAX_PIXELS`].
pub fn check_size(width: u32, height: u32) -> Result<(), Error> {
    if width == 0 || height == 0 {
        return Err(Error::Empty);
    }
    if width as u64 * height as u64 > MAX_PIXELS {
        return Err(Error::TooLarge { width, height });
    }
    Ok(())
}

/// Reads the size from a PNG's IHDR ourselves, so that a 0×0 or giant header gets its own
/// message rather than a decoder's generic one.
fn check_png_header(bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() < 24 || &bytes[12..16] != b"IHDR" {
        return Err(Error::Corrupt("the PNG header is missing".into()));
    }
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    check_size(width, height)
}

/// Whether a JPEG's scan data is followed by its end-of-image marker. Segments before the
/// first scan are walked by their lengths (so an EXIF thumbnail's own markers are skipped);
/// in scan data a 0xFF byte is always followed by 0x00 or a restart marker, so 0xFF 0xD9
/// there can only be the real end.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return false;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        let length = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
        if marker == 0xDA {
            return bytes[at + 2 + length.min(bytes.len() - at - 2)..]
                .windows(2)
                .any(|w| w == [0xFF, 0xD9]);
        }
        at += 2 + length;
    }
    false
}

fn corrupt(e: image::ImageError) -> Error {
    match e {
        image::ImageError::Limits(_) => {
            Error::Corrupt("it needs more memory than its size allows".into())
        }
        image::ImageError::Unsupported(u) => Error::Corrupt(u.to_string()),
        other => Error::Corrupt(other.to_string()),
    }
}
