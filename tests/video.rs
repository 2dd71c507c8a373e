//! Video scanning on real pixels: a screen recording made from dev-set screens (a catalogue,
//! then an HR table that appears, sits still with a pointer moving over it, scrolls and
//! stops), scanned by `kuronuri video` over its frames. Every personal item the scan finds in
//! a frame it reads must stay covered in every frame it is on screen, moved with the scroll.
//! Also camera footage: a face walking across the frame stays covered between the frames read.
//! Needs the OCR and face models (`./build.sh build` fetches them).

mod common;

use std::path::Path;
use std::process::Command;

use kuronuri::imaging::decode;

const BIN: &str = env!("CARGO_BIN_EXE_kuronuri");
const W: u32 = 1366;
const H: u32 = 540;

/// The page offset (how far the HR table is scrolled) in each frame, or None for the catalogue.
fn offset(frame: u32) -> Option<u32> {
    match frame {
        0..=9 => None,
        10..=29 => Some(0),
        30..=79 => Some((frame - 29) * 9),
        _ => Some(450),
    }
}

fn pointer(frame: u32) -> (u32, u32) {
    (200 + frame * 11 % 900, 150 + frame * 7 % 300)
}

fn quad_box(q: &serde_json::Value) -> [f64; 4] {
    let pts: Vec<[f64; 2]> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
        .collect();
    [
        pts.iter().map(|p| p[0]).fold(f64::MAX, f64::min),
        pts.iter().map(|p| p[1]).fold(f64::MAX, f64::min),
        pts.iter().map(|p| p[0]).fold(f64::MIN, f64::max),
        pts.iter().map(|p| p[1]).fold(f64::MIN, f64::max),
    ]
}

/// Whether point `p` is inside the convex quad `q` (either winding).
fn in_quad(p: [f64; 2], q: &serde_json::Value) -> bool {
    let pts: Vec<[f64; 2]> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|v| [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()])
        .collect();
    let mut sign = 0.0;
    for i in 0..pts.len() {
        let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
        let cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
        if cross.abs() < 1e-9 {
            continue;
        }
        if sign == 0.0 {
            sign = cross.signum();
        } else if cross.signum() != sign {
            return false;
        }
    }
    true
}

/// Whether the box is covered: a grid of points inside it (1.5 px in from its edges), each
/// under some region.
fn covered(b: [f64; 4], regions: &[serde_json::Value]) -> bool {
    let (x0, y0, x1, y1) = (b[0] + 1.5, b[1] + 1.5, b[2] - 1.5, b[3] - 1.5);
    (0..=6).all(|i| {
        (0..=2).all(|j| {
            let p = [
                x0 + (x1 - x0) * i as f64 / 6.0,
                y0 + (y1 - y0) * j as f64 / 2.0,
            ];
            regions.iter().any(|r| in_quad(p, r))
        })
    })
}

/// Runs `kuronuri video` over `dir/frames` at 30 fps; its result.
fn scan_frames(dir: &Path) -> serde_json::Value {
    let out = dir.join("video.json");
    let status = Command::new(BIN)
        .args([
            "video",
            dir.join("frames").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--fps",
            "30",
        ])
        .env("KURONURI_MODELS", common::models_dir())
        .status()
        .unwrap();
    assert!(status.success());
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

#[test]
fn a_scrolled_table_stays_covered_in_every_frame() {
    let dir = std::env::temp_dir().join(format!("kuronuri-video-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("frames")).unwrap();
    let page = decode(&std::fs::read(common::shared("eval/dev/dev_0009_hrEmployees.png")).unwrap())
        .unwrap();
    let catalogue =
        decode(&std::fs::read(common::shared("eval/dev/dev_0013_decoyCatalog.png")).unwrap())
            .unwrap();
    assert_eq!((page.width, page.height), (1366, 1080));
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::shared("eval/dev/dev_0009_hrEmployees.json")).unwrap(),
    )
    .unwrap();
    let frames = 100u32;
    for f in 0..frames {
        let mut px = vec![255u8; (W * H * 4) as usize];
        let (source, top) = match offset(f) {
            Some(top) => (&page, top),
            None => (&catalogue, 0),
        };
        for y in 0..H {
            let sy = y + top;
            let n = source.width.min(W) as usize * 4;
            let from = (sy * source.width) as usize * 4;
            px[(y * W) as usize * 4..(y * W) as usize * 4 + n]
                .copy_from_slice(&source.rgba[from..from + n]);
        }
        // A red pointer dot.
        let (cx, cy) = pointer(f);
        for y in cy - 6..cy + 6 {
            for x in cx - 6..cx + 6 {
                let i = ((y * W + x) * 4) as usize;
                px[i..i + 4].copy_from_slice(&[240, 80, 80, 255]);
            }
        }
        image::save_buffer(
            dir.join(format!("frames/{f:04}.png")),
            &px,
            W,
            H,
            image::ColorType::Rgba8,
        )
        .unwrap();
    }
    let result = scan_frames(&dir);
    assert_eq!(result["frame_count"], frames);
    let keys: Vec<u32> = result["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_u64().unwrap() as u32)
        .collect();
    // Far fewer frames read than shown, but the first, the table's arrival and the scroll.
    assert!(keys.len() >= 3 && keys.len() <= 15, "frames read: {keys:?}");
    assert!(
        keys.contains(&0) && keys.iter().any(|&k| (10..=13).contains(&k)),
        "frames read: {keys:?}"
    );
    let regions: Vec<Vec<serde_json::Value>> = result["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["quad"].clone())
                .collect()
        })
        .collect();
    assert!(
        regions[..10].iter().all(|r| r.is_empty()),
        "the catalogue has no personal data"
    );
    let must: Vec<[f64; 4]> = truth["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["tier"] == "must")
        .map(|i| quad_box(&i["quad"]))
        .collect();
    let (mut shown, mut hit) = (0, 0);
    let mut lost = Vec::new();
    for (n, item) in must.iter().enumerate() {
        // Frames in which the item is wholly on screen, and whether each covers it.
        let seen: Vec<(u32, bool)> = (0..frames)
            .filter_map(|f| {
                let top = offset(f)? as f64;
                let b = [item[0], item[1] - top, item[2], item[3] - top];
                (b[1] >= 0.0 && b[3] <= H as f64 && b[2] <= W as f64)
                    .then(|| (f, covered(b, &regions[f as usize])))
            })
            .collect();
        shown += seen.len();
        hit += seen.iter().filter(|s| s.1).count();
        // Found in a frame that was read: then covered in every frame it is on screen.
        let found_in_key = seen.iter().any(|&(f, ok)| ok && keys.contains(&f));
        if found_in_key {
            lost.extend(seen.iter().filter(|s| !s.1).map(|s| (n, s.0)));
        }
    }
    assert!(
        shown > 1000,
        "the recording shows the table's items ({shown} item-frames)"
    );
    assert!(
        lost.is_empty(),
        "items found in a frame read but not covered in others (item, frame): {:?}",
        &lost[..lost.len().min(20)]
    );
    let recall = hit as f64 / shown as f64;
    assert!(
        recall >= 0.95,
        "item-frame recall {recall:.3} ({hit} of {shown})"
    );
    eprintln!(
        "video: {} frames, read {keys:?}, item-frame recall {recall:.3}",
        frames
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Camera footage: a person (head and shoulders cut from the street photo of
/// `../shared/eval/real/faces-city`, shown twice as large) walks across a street 8 px per frame
/// for 3 s at 30 fps. The scan reads only a few frames; the face must be covered in every frame
/// in between (at least 90% of its box under one region), joined across reads although its
/// blocks change all the time.
#[test]
fn a_walking_face_stays_covered_between_the_frames_read() {
    let dir = common::temp_dir("video", "walk");
    std::fs::create_dir_all(dir.join("frames")).unwrap();
    let city =
        decode(&std::fs::read(common::shared("eval/real/faces-city/city.jpg")).unwrap()).unwrap();
    let px = |x: u32, y: u32| {
        let i = ((y * city.width + x) * 4) as usize;
        [city.rgba[i], city.rgba[i + 1], city.rgba[i + 2]]
    };
    let (fw, fh) = (1280u32, 720u32);
    // The street (no faces: the bottom of the photo), scaled to the frame by nearest pixels.
    let mut street = vec![0u8; (fw * fh * 4) as usize];
    for y in 0..fh {
        for x in 0..fw {
            let p = px(x * 800 / fw, 330 + y * 234 / fh);
            let i = ((y * fw + x) * 4) as usize;
            street[i..i + 4].copy_from_slice(&[p[0], p[1], p[2], 255]);
        }
    }
    // The person: 65 × 110 px around the face at (763, 113) of the photo, doubled.
    let (cx0, cy0, cw, ch) = (735u32, 90u32, 65u32, 110u32);
    let mut truth = Vec::new();
    let frames = 90u32;
    for f in 0..frames {
        let (ox, oy) = (100 + f * 8, 200 + f % 10);
        let mut frame = street.clone();
        for y in 0..ch * 2 {
            for x in 0..cw * 2 {
                let p = px(cx0 + x / 2, cy0 + y / 2);
                let i = (((oy + y) * fw + ox + x) * 4) as usize;
                frame[i..i + 4].copy_from_slice(&[p[0], p[1], p[2], 255]);
            }
        }
        // The face's box in the photo (763, 113, 31 × 42), doubled, where it is drawn.
        truth.push([
            (ox + 56) as f64,
            (oy + 46) as f64,
            (ox + 118) as f64,
            (oy + 130) as f64,
        ]);
        image::save_buffer(
            dir.join(format!("frames/{f:04}.png")),
            &frame,
            fw,
            fh,
            image::ColorType::Rgba8,
        )
        .unwrap();
    }
    let result = scan_frames(&dir);
    let read = result["keys"].as_array().unwrap().len();
    assert!(
        read < 10,
        "{read} frames read: the test is about the frames in between"
    );
    let mut uncovered = Vec::new();
    for frame in result["frames"].as_array().unwrap() {
        let i = frame["i"].as_u64().unwrap() as usize;
        let t = truth[i];
        let area = (t[2] - t[0]) * (t[3] - t[1]);
        let best = frame["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["category"] == "face")
            .map(|f| {
                let b = quad_box(&f["quad"]);
                let w = (b[2].min(t[2]) - b[0].max(t[0])).max(0.0);
                let h = (b[3].min(t[3]) - b[1].max(t[1])).max(0.0);
                w * h / area
            })
            .fold(0.0, f64::max);
        if best < 0.9 {
            uncovered.push((i, best));
        }
    }
    assert_eq!(result["frames"].as_array().unwrap().len(), frames as usize);
    assert!(
        uncovered.is_empty(),
        "face not covered in frames {uncovered:?}"
    );
}
