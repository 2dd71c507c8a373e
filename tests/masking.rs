//! The masking kernels on real pixel buffers: what changes, what never does, and that the
//! text rule defeats a dictionary attack on real rendered text.

use kuronuri::imaging::mask::{block_size, MOSAIC_NOISE};
use kuronuri::imaging::{decode, mask_regions, FrameMut, MaskStyle, Region};
use proptest::prelude::*;

const STYLES: [MaskStyle; 3] = [
    MaskStyle::Fill([10, 200, 30]),
    MaskStyle::Mosaic,
    MaskStyle::Blur,
];

/// A frame of `height` rows of `stride` bytes filled with a pattern, the bytes past each row's
/// pixels included (they must never change).
fn patterned(height: u32, stride: usize) -> Vec<u8> {
    (0..stride * height as usize)
        .map(|i| (i * 7 + i / 13) as u8)
        .collect()
}

/// Does the unit square of pixel (x, y) overlap the convex polygon's interior? Separating axes,
/// independently of the library's scanline rasteriser.
fn square_overlaps(poly: &[[f64; 2]], x: u32, y: u32) -> bool {
    let square = [
        [x as f64, y as f64],
        [x as f64 + 1.0, y as f64],
        [x as f64 + 1.0, y as f64 + 1.0],
        [x as f64, y as f64 + 1.0],
    ];
    let mut axes: Vec<[f64; 2]> = vec![[1.0, 0.0], [0.0, 1.0]];
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
        axes.push([-(b[1] - a[1]), b[0] - a[0]]);
    }
    const EPS: f64 = 1e-6;
    axes.iter().all(|ax| {
        let proj = |p: &[f64; 2]| p[0] * ax[0] + p[1] * ax[1];
        let len = (ax[0] * ax[0] + ax[1] * ax[1]).sqrt();
        let (pmin, pmax) = poly
            .iter()
            .map(proj)
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let (smin, smax) = square
            .iter()
            .map(proj)
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        // Overlap of positive width (touching edges do not count).
        pmax.min(smax) - pmin.max(smin) > EPS * len
    })
}

/// Which pixels the padded regions cover, by brute force.
fn expected_cover(regions: &[Region], width: u32, height: u32) -> Vec<bool> {
    let mut cover = vec![false; (width * height) as usize];
    for r in regions {
        if let Some(poly) = r.padded_outline() {
            for y in 0..height {
                for x in 0..width {
                    if square_overlaps(&poly, x, y) {
                        cover[(y * width + x) as usize] = true;
                    }
                }
            }
        }
    }
    cover
}

fn pixel(buf: &[u8], stride: usize, x: u32, y: u32) -> [u8; 4] {
    let i = y as usize * stride + x as usize * 4;
    buf[i..i + 4].try_into().unwrap()
}

fn arb_region() -> impl Strategy<Value = Region> {
    let coord = -40.0f32..120.0;
    let rect = (coord.clone(), coord.clone(), 0.0f32..90.0, 0.0f32..60.0)
        .prop_map(|(x, y, w, h)| Region::rect(x, y, w, h));
    let poly = prop::collection::vec((coord.clone(), coord), 3..7)
        .prop_map(|pts| Region::polygon(pts.into_iter().map(|(x, y)| [x, y]).collect()));
    (prop_oneof![rect, poly], 0.0f32..0.6).prop_map(|(r, pad)| r.with_padding(pad))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// Pixels outside every padded region, and the bytes past each row, never change; every
    /// covered pixel is opaque; fill writes exactly the covered pixels.
    #[test]
    fn outside_untouched_inside_masked(
        width in 1u32..80, height in 1u32..70, extra in 0usize..11,
        regions in prop::collection::vec(arb_region(), 0..4), style in 0usize..3, seed in any::<u64>(),
    ) {
        let stride = width as usize * 4 + extra;
        let before = patterned(height, stride);
        let mut after = before.clone();
        let mut frame = FrameMut::new(&mut after, width, height, stride).unwrap();
        mask_regions(&mut frame, &regions, STYLES[style], seed);
        let cover = expected_cover(&regions, width, height);
        for y in 0..height {
            let row = y as usize * stride;
            prop_assert_eq!(&before[row + width as usize * 4..row + stride], &after[row + width as usize * 4..row + stride]);
            for x in 0..width {
                let (old, new) = (pixel(&before, stride, x, y), pixel(&after, stride, x, y));
                if cover[(y * width + x) as usize] {
                    prop_assert_eq!(new[3], 255, "covered pixel ({}, {}) not opaque", x, y);
                    if let MaskStyle::Fill(rgb) = STYLES[style] {
                        prop_assert_eq!(new, [rgb[0], rgb[1], rgb[2], 255]);
                    }
                } else {
                    prop_assert_eq!(old, new, "pixel ({}, {}) outside every region changed", x, y);
                }
            }
        }
    }
}

#[test]
fn mosaic_blocks_are_uniform_but_for_the_noise() {
    let (w, h) = (300, 120);
    let mut buf = patterned(h, w as usize * 4);
    let region = Region::rect(20.0, 30.0, 240.0, 40.0).with_padding(0.0);
    let block = block_size(40.0) as usize;
    assert_eq!(block, 20);
    mask_regions(
        &mut FrameMut::packed(&mut buf, w, h).unwrap(),
        &[region],
        MaskStyle::Mosaic,
        42,
    );
    let mut colours = std::collections::BTreeSet::new();
    for by in 0..2 {
        for bx in 0..12 {
            let first = pixel(
                &buf,
                w as usize * 4,
                20 + bx * block as u32,
                30 + by * block as u32,
            );
            for dy in 0..block as u32 {
                for dx in 0..block as u32 {
                    let p = pixel(
                        &buf,
                        w as usize * 4,
                        20 + bx * block as u32 + dx,
                        30 + by * block as u32 + dy,
                    );
                    assert_eq!(p, first, "block ({bx}, {by}) is not uniform");
                }
            }
            colours.insert(first);
        }
    }
    // 24 blocks of one mean colour with independent offsets in ±40: nearly all differ.
    assert!(
        colours.len() >= 16,
        "only {} distinct block colours: no noise?",
        colours.len()
    );
    let greys: Vec<i32> = colours.iter().map(|c| c[1] as i32 - c[0] as i32).collect();
    assert!(
        greys.iter().all(|d| d.abs() <= 2 * MOSAIC_NOISE),
        "offsets are brightness shifts"
    );
}

#[test]
fn blur_changes_every_covered_pixel() {
    // A one-pixel checkerboard: any blur must move every pixel away from 0 or 255.
    let (w, h) = (200, 100);
    let mut buf: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let v = if (i % w + i / w) % 2 == 0 { 0 } else { 255 };
            [v, v, v, 255]
        })
        .collect();
    let before = buf.clone();
    let region = Region::rect(10.0, 10.0, 150.0, 50.0);
    let cover = expected_cover(std::slice::from_ref(&region), w, h);
    mask_regions(
        &mut FrameMut::packed(&mut buf, w, h).unwrap(),
        &[region],
        MaskStyle::Blur,
        7,
    );
    let mut covered = 0;
    for y in 0..h {
        for x in 0..w {
            if cover[(y * w + x) as usize] {
                covered += 1;
                assert_ne!(
                    pixel(&before, w as usize * 4, x, y),
                    pixel(&buf, w as usize * 4, x, y),
                    "({x}, {y}) unchanged"
                );
            }
        }
    }
    assert!(covered > 150 * 50);
}

#[test]
fn regions_at_the_edges_outside_huge_overlapping_and_empty() {
    let (w, h) = (64, 48);
    for style in STYLES {
        // Wholly outside, and empty: nothing changes.
        let before = patterned(h, w as usize * 4);
        let mut buf = before.clone();
        let regions = [
            Region::rect(-100.0, -100.0, 20.0, 20.0),
            Region::rect(200.0, 10.0, 5.0, 5.0),
            Region::rect(10.0, 10.0, 0.0, 0.0),
        ];
        mask_regions(
            &mut FrameMut::packed(&mut buf, w, h).unwrap(),
            &regions,
            style,
            1,
        );
        assert_eq!(buf, before, "{style:?}");

        // Huge: every pixel is covered and opaque.
        let mut buf = before.clone();
        mask_regions(
            &mut FrameMut::packed(&mut buf, w, h).unwrap(),
            &[Region::rect(-1e9, -1e9, 3e9, 3e9)],
            style,
            1,
        );
        assert!(buf.chunks_exact(4).all(|p| p[3] == 255), "{style:?}");

        // Across an edge and overlapping each other: covered where the brute force says.
        let regions = [
            Region::rect(-10.0, 30.0, 40.0, 30.0),
            Region::rect(20.0, 35.0, 60.0, 20.0),
        ];
        let cover = expected_cover(&regions, w, h);
        let mut buf = before.clone();
        mask_regions(
            &mut FrameMut::packed(&mut buf, w, h).unwrap(),
            &regions,
            style,
            1,
        );
        for (i, (a, b)) in before.chunks_exact(4).zip(buf.chunks_exact(4)).enumerate() {
            if !cover[i] {
                assert_eq!(a, b, "{style:?} changed pixel {i} outside");
            } else {
                assert_eq!(b[3], 255);
            }
        }
        assert!(cover.iter().any(|c| *c) && cover.iter().any(|c| !*c));
    }
}

#[test]
fn frames_with_bad_geometry_are_refused() {
    let mut buf = vec![0u8; 100];
    assert!(
        FrameMut::new(&mut buf, 10, 3, 39).is_err(),
        "stride shorter than a row"
    );
    assert!(
        FrameMut::new(&mut buf, 10, 3, 40).is_err(),
        "buffer too short"
    );
    assert!(FrameMut::new(&mut buf, 5, 5, 20).is_ok());
    assert!(FrameMut::new(&mut buf, 0, 0, 0).is_ok());
}

// ---------------------------------------------------------------------------------------------
// The text rule against a dictionary attack (what Depix does), on real rendered text.

const SEARCH_IMAGE: &str =
    "../shared/eval/real/depix/images/searchimages/debruinseq_notepad_Windows10_close.png";

/// Pixel windows of real text: a window `w × h` of each line, at a few offsets, with a margin
/// of `m` pixels all round for the padding.
fn text_windows(w: u32, h: u32, m: u32) -> Vec<(u32, u32, Vec<u8>)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SEARCH_IMAGE);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "missing {}: {e} (the shared material must sit beside the project)",
            path.display()
        )
    });
    let image = decode(&bytes).unwrap();
    let pitch = 20.3f32;
    let mut windows = Vec::new();
    for line in 0..20u32 {
        for col in 0..3u32 {
            let (x0, y0) = (40 + col * 300, (line as f32 * pitch) as u32 + 1);
            let (fw, fh) = (w + 2 * m, h + 2 * m);
            if x0 + fw > image.width || y0 + fh > image.height {
                continue;
            }
            let mut crop = Vec::with_capacity((fw * fh * 4) as usize);
            for y in y0..y0 + fh {
                let start = ((y * image.width + x0) * 4) as usize;
                crop.extend_from_slice(&image.rgba[start..start + (fw * 4) as usize]);
            }
            windows.push((fw, fh, crop));
        }
    }
    windows
}

/// The classic pixelation (GIMP, Greenshot): each block the mean of its own pixels.
fn plain_pixelate(frame: &mut [u8], width: u32, region: &Region, block: u32) {
    let cov = region.coverage(width, frame.len() as u32 / 4 / width);
    let (ox, oy, x1, y1) = cov.bounds().unwrap();
    for by in (oy..y1).step_by(block as usize) {
        for bx in (ox..x1).step_by(block as usize) {
            let cells: Vec<(u32, u32)> = (by..(by + block).min(y1))
                .flat_map(|y| (bx..(bx + block).min(x1)).map(move |x| (x, y)))
                .collect();
            let mut sum = [0u32; 3];
            for &(x, y) in &cells {
                for c in 0..3 {
                    sum[c] += frame[((y * width + x) * 4) as usize + c] as u32;
                }
            }
            for &(x, y) in &cells {
                for c in 0..3 {
                    frame[((y * width + x) * 4) as usize + c] = (sum[c] / cells.len() as u32) as u8;
                }
            }
        }
    }
}

/// Block means of `frame` on the region's block grid: the attacker's view of a pixelation.
fn block_means(frame: &[u8], width: u32, region: &Region, block: u32) -> Vec<f64> {
    let cov = region.coverage(width, frame.len() as u32 / 4 / width);
    let (ox, oy, x1, y1) = cov.bounds().unwrap();
    let mut out = Vec::new();
    for by in (oy..y1).step_by(block as usize) {
        for bx in (ox..x1).step_by(block as usize) {
            let mut sum = 0f64;
            let mut n = 0f64;
            for y in by..(by + block).min(y1) {
                for x in bx..(bx + block).min(x1) {
                    let i = ((y * width + x) * 4) as usize;
                    sum += frame[i] as f64 + frame[i + 1] as f64 + frame[i + 2] as f64;
                    n += 3.0;
                }
            }
            out.push(sum / n);
        }
    }
    out
}

/// The share of windows a dictionary attacker identifies: he knows every candidate window
/// and the exact block grid, pixelates each candidate and picks the closest to the output.
fn attack_success(mask: impl Fn(&mut [u8], u32, &Region, usize)) -> (f64, usize) {
    let (w, h, m) = (120, 20, 6);
    let windows = text_windows(w, h, m);
    let region = Region::rect(m as f32, m as f32, w as f32, h as f32);
    let block = block_size(h as f32);
    let dictionary: Vec<Vec<f64>> = windows
        .iter()
        .map(|(fw, _, px)| block_means(px, *fw, &region, block))
        .collect();
    let mut hits = 0;
    for (secret, (fw, _, px)) in windows.iter().enumerate() {
        let mut masked = px.clone();
        mask(&mut masked, *fw, &region, secret);
        let seen = block_means(&masked, *fw, &region, block);
        let guess = (0..dictionary.len())
            .min_by(|&a, &b| {
                let d = |c: usize| {
                    dictionary[c]
                        .iter()
                        .zip(&seen)
                        .map(|(p, q)| (p - q).powi(2))
                        .sum::<f64>()
                };
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        hits += (guess == secret) as usize;
    }
    (hits as f64 / windows.len() as f64, windows.len())
}

#[test]
fn dictionary_attack_reads_plain_pixelation_but_not_kuronuri_mosaic_or_blur() {
    let (plain, n) =
        attack_success(|px, fw, region, _| plain_pixelate(px, fw, region, block_size(20.0)));
    assert!(n >= 40, "only {n} text windows");
    assert!(
        plain >= 0.9,
        "the attack should read a plain pixelation (it read {:.0}%)",
        plain * 100.0
    );
    for style in [MaskStyle::Mosaic, MaskStyle::Blur] {
        let (ours, _) = attack_success(|px, fw, region, secret| {
            let fh = px.len() as u32 / 4 / fw;
            let mut frame = FrameMut::packed(px, fw, fh).unwrap();
            mask_regions(
                &mut frame,
                std::slice::from_ref(region),
                style,
                0x5eed_0000 + secret as u64,
            );
        });
        // Chance is 1/n (under 2.5%); allow a little luck.
        eprintln!(
            "attack on {style:?}: {:.1}% of {n}; on plain pixelation: {:.1}%",
            ours * 100.0,
            plain * 100.0
        );
        assert!(
            ours <= 0.10,
            "{style:?}: the attack identified {:.0}% of {n} windows",
            ours * 100.0
        );
    }
}
