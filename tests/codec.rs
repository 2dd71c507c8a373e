//! Decoding bad and tricky inputs, and exports that carry nothing but pixels.

mod common;

use image::codecs::jpeg::JpegEncoder;
use image::ImageEncoder;
use kuronuri::export::{encode, ExportFormat};
use kuronuri::imaging::{decode, MaskStyle, Region};
use kuronuri::{redact_image, Error};

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `width × height` RGBA pixels, with a token of data.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let body: Vec<u8> = kind.iter().chain(data).copied().collect();
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    chunk(b"IEND", &[]);
    out
}

#[test]
fn bad_inputs_get_their_own_errors() {
    assert_eq!(
        decode(b"name: Yamada Taro\n").unwrap_err(),
        Error::NotAnImage
    );
    assert_eq!(decode(b"").unwrap_err(), Error::NotAnImage);
    assert!(
        matches!(decode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00").unwrap_err(), Error::UnsupportedFormat(f) if f == "GIF")
    );
    assert_eq!(decode(&png_claiming(0, 0)).unwrap_err(), Error::Empty);
    assert_eq!(decode(&png_claiming(100, 0)).unwrap_err(), Error::Empty);
    assert_eq!(
        decode(&png_claiming(100_000, 100_000)).unwrap_err(),
        Error::TooLarge {
            width: 100_000,
            height: 100_000
        }
    );
    assert_eq!(
        decode(&png_claiming(8000, 7000)).unwrap_err(),
        Error::TooLarge {
            width: 8000,
            height: 7000
        }
    );
    // Within the limit but with no real data: damaged, not a crash.
    assert!(matches!(
        decode(&png_claiming(7000, 7000)).unwrap_err(),
        Error::Corrupt(_)
    ));

    let png = std::fs::read(common::shared("eval/dev/dev_0004_enPatients.png")).unwrap();
    let jpeg = std::fs::read(common::shared("eval/dev/dev_0001_gradeSheet.jpg")).unwrap();
    for cut in [20, 100, png.len() / 2, png.len() - 13] {
        assert!(
            matches!(decode(&png[..cut]).unwrap_err(), Error::Corrupt(_)),
            "PNG cut at {cut}"
        );
    }
    for cut in [3, 300, jpeg.len() / 3, jpeg.len() - 2] {
        assert!(
            matches!(
                decode(&jpeg[..cut]).unwrap_err(),
                Error::Corrupt(_) | Error::NotAnImage
            ),
            "JPEG cut at {cut}"
        );
    }
    assert!(decode(&png).is_ok() && decode(&jpeg).is_ok());
    // Every error has a code the page can translate.
    assert_eq!(
        Error::TooLarge {
            width: 1,
            height: 1
        }
        .code(),
        "too_large"
    );
}

/// An EXIF APP1 segment: orientation, a GPS position and a JPEG thumbnail.
fn exif_segment(orientation: u16, thumbnail: &[u8]) -> Vec<u8> {
    // Little-endian TIFF. Layout: header (8) | IFD0 at 8 | GPS IFD | IFD1 | GPS data | thumbnail.
    let mut t = Vec::new();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    };
    let ifd0 = 8u32;
    let gps = ifd0 + 2 + 2 * 12 + 4;
    let ifd1 = gps + 2 + 2 * 12 + 4;
    let gps_data = ifd1 + 2 + 2 * 12 + 4;
    let thumb = gps_data + 24;
    t.extend_from_slice(b"II*\0");
    t.extend_from_slice(&ifd0.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0112, 3, 1, orientation as u32); // Orientation
    entry(&mut t, 0x8825, 4, 1, gps); // GPS IFD
    t.extend_from_slice(&ifd1.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")); // GPSLatitudeRef
    entry(&mut t, 0x0002, 5, 3, gps_data); // GPSLatitude
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0201, 4, 1, thumb); // JPEGInterchangeFormat
    entry(&mut t, 0x0202, 4, 1, thumbnail.len() as u32);
    t.extend_from_slice(&0u32.to_le_bytes());
    for (num, den) in [(35u32, 1u32), (41, 1), (1234, 100)] {
        t.extend_from_slice(&num.to_le_bytes());
        t.extend_from_slice(&den.to_le_bytes());
    }
    t.extend_from_slice(thumbnail);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((t.len() + 8) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&t);
    seg
}

fn jpeg_of(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .write_image(rgb, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// A 60×40 photo, red in its stored top-left quarter, blue elsewhere, with EXIF inserted
/// right after SOI.
fn photo_with_exif(orientation: u16) -> Vec<u8> {
    let (w, h) = (60u32, 40u32);
    let rgb: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            if i % w < 30 && i / w < 20 {
                [220, 20, 20]
            } else {
                [20, 20, 220]
            }
        })
        .collect();
    let thumbnail = jpeg_of(&[0, 255, 0].repeat(16 * 16), 16, 16);
    let main = jpeg_of(&rgb, w, h);
    let mut out = main[..2].to_vec();
    out.extend_from_slice(&exif_segment(orientation, &thumbnail));
    out.extend_from_slice(&main[2..]);
    out
}

/// The markers of a JPEG's segments before its image data.
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
    }
    markers
}

fn png_chunks(bytes: &[u8]) -> Vec<String> {
    let mut kinds = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        at += 12 + len;
    }
    kinds
}

#[test]
fn exif_orientation_is_applied() {
    let input = photo_with_exif(6); // stored image must be turned 90° clockwise to be upright
    assert!(jpeg_markers(&input).contains(&0xE1));
    let image = decode(&input).unwrap();
    assert_eq!((image.width, image.height), (40, 60));
    // The stored top-left (red) corner is now the top-right.
    let at = |x: u32, y: u32| &image.rgba[((y * image.width + x) * 4) as usize..][..3];
    assert!(
        at(35, 5)[0] > 150 && at(35, 5)[2] < 100,
        "top-right should be red: {:?}",
        at(35, 5)
    );
    assert!(at(5, 5)[2] > 150, "top-left should be blue: {:?}", at(5, 5));
    // Without the tag it stays as stored.
    let plain = decode(&photo_with_exif(1)).unwrap();
    assert_eq!((plain.width, plain.height), (60, 40));
}

#[test]
fn exports_carry_no_metadata_at_all() {
    let input = photo_with_exif(6);
    let regions = [Region::rect(2.0, 2.0, 10.0, 10.0)];
    for format in [ExportFormat::Jpeg { quality: 90 }, ExportFormat::Png] {
        let out = redact_image(&input, &regions, MaskStyle::default(), format, 1).unwrap();
        for needle in [&b"Exif"[..], b"GPS", b"http://ns.adobe.com", b"ICC_PROFILE"] {
            assert!(
                !out.windows(needle.len()).any(|w| w == needle),
                "{format:?} output holds {:?}",
                String::from_utf8_lossy(needle)
            );
        }
        match format {
            ExportFormat::Png => {
                let mut kinds = png_chunks(&out);
                kinds.dedup();
                assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
            }
            ExportFormat::Jpeg { .. } => {
                let markers = jpeg_markers(&out);
                assert_eq!(
                    markers.iter().filter(|&&m| m == 0xD8).count(),
                    0,
                    "one image, no embedded thumbnail JPEG"
                );
                assert!(
                    markers
                        .iter()
                        .all(|&m| !(0xE1..=0xEF).contains(&m) && m != 0xFE),
                    "{markers:x?}"
                );
                // One SOI in the whole file: no thumbnail hides anywhere.
                assert_eq!(
                    out.windows(3).filter(|w| *w == [0xFF, 0xD8, 0xFF]).count(),
                    1
                );
            }
        }
        let back = decode(&out).unwrap();
        assert_eq!((back.width, back.height), (40, 60), "saved upright");
    }
}

#[test]
fn export_keeps_transparency_in_png_and_flattens_it_onto_white_in_jpeg() {
    let rgba: Vec<u8> = [[10, 20, 30, 0], [200, 100, 50, 255]].repeat(8).concat();
    let png = encode(&rgba, 4, 4, ExportFormat::Png).unwrap();
    let back = decode(&png).unwrap();
    assert_eq!(back.rgba, rgba);
    let jpeg = encode(&rgba, 4, 4, ExportFormat::Jpeg { quality: 100 }).unwrap();
    let back = decode(&jpeg).unwrap();
    assert!(
        back.rgba[..3].iter().all(|&v| v > 200),
        "transparent pixels become white: {:?}",
        &back.rgba[..4]
    );
    assert!(matches!(
        encode(&rgba, 5, 4, ExportFormat::Png),
        Err(Error::BadFrame(_))
    ));
    assert!("gif".parse::<ExportFormat>().is_err() && "jpeg:0".parse::<ExportFormat>().is_err());
    assert_eq!(
        "JPG:70".parse::<ExportFormat>().unwrap(),
        ExportFormat::Jpeg { quality: 70 }
    );
}

#[test]
fn redacting_never_alters_the_input_bytes_and_masks_the_pixels() {
    let input = std::fs::read(common::shared("eval/dev/dev_0004_enPatients.png")).unwrap();
    let copy = input.clone();
    let out = redact_image(
        &input,
        &[Region::rect(100.0, 50.0, 200.0, 30.0)],
        MaskStyle::default(),
        ExportFormat::Png,
        3,
    )
    .unwrap();
    assert_eq!(input, copy);
    let (a, b) = (decode(&input).unwrap(), decode(&out).unwrap());
    assert_eq!((a.width, a.height), (b.width, b.height));
    let at = |img: &kuronuri::imaging::Image, x: u32, y: u32| {
        img.rgba[((y * img.width + x) * 4) as usize..][..4].to_vec()
    };
    assert_eq!(at(&b, 150, 60), vec![0, 0, 0, 255]);
    assert_eq!(at(&b, 5, 5), at(&a, 5, 5));
}

#[test]
fn webp_opens() {
    let (w, h) = (33u32, 17u32);
    let rgba: Vec<u8> = (0..w * h)
        .flat_map(|i| [(i % 251) as u8, 40, 200, 255])
        .collect();
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .write_image(&rgba, w, h, image::ExtendedColorType::Rgba8)
        .unwrap();
    let image = decode(&webp).unwrap();
    assert_eq!((image.width, image.height), (w, h));
    assert_eq!(image.rgba, rgba);
    assert!(matches!(
        decode(&webp[..webp.len() / 2]).unwrap_err(),
        Error::Corrupt(_)
    ));
}
