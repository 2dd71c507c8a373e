//! `cargo bench --bench ocr` (run by `./build.sh bench`): milliseconds to read all text of a
//! 1280×720 and a 1920×1080 screenshot and of a 2480×3508 A4 page (300 dpi), natively, with
//! where the time goes. The thread count is rten's (`RTEN_NUM_THREADS=1` for one core).
//!
//! The scenes are made from `../shared/eval/dev` and written to `target/bench-scenes/` for the
//! WebAssembly bench (`tests/browser/bench.mjs`), so both read the same pixels.

use std::path::Path;

use kuronuri::detection::ocr::Ocr;
use kuronuri::export::{encode, ExportFormat};
use kuronuri::imaging::{decode, Image};

fn load(name: &str) -> Image {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/eval/dev")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "missing {}: {e} (the shared material must sit beside the project)",
            path.display()
        )
    });
    decode(&bytes).unwrap()
}

/// `src` scaled (nearest) into a `w × h` canvas at `(x, y)` with size `(sw, sh)`.
fn paste(canvas: &mut Image, src: &Image, (x, y, sw, sh): (u32, u32, u32, u32)) {
    for j in 0..sh.min(canvas.height - y) {
        for i in 0..sw.min(canvas.width - x) {
            let (si, sj) = (i * src.width / sw, j * src.height / sh);
            let s = ((sj * src.width + si) * 4) as usize;
            let d = (((y + j) * canvas.width + x + i) * 4) as usize;
            canvas.rgba[d..d + 4].copy_from_slice(&src.rgba[s..s + 4]);
        }
    }
}

fn blank(width: u32, height: u32) -> Image {
    Image {
        width,
        height,
        rgba: vec![255; (width * height * 4) as usize],
    }
}

/// The three scenes: two screenshots and a scanned A4 page of two documents.
pub fn scenes() -> Vec<(&'static str, Image)> {
    let screen = load("dev_0014_ehrInpatients.jpg"); // 1920×1080
    let mut small = blank(1280, 720);
    paste(&mut small, &screen, (0, 0, 1280, 720));
    let mut page = blank(2480, 3508);
    let form = load("dev_0019_kvForm.png");
    let grades = load("dev_0022_gradeSheet.png");
    paste(
        &mut page,
        &form,
        (120, 200, 2240, 2240 * form.height / form.width),
    );
    paste(
        &mut page,
        &grades,
        (120, 1800, 2240, 2240 * grades.height / grades.width),
    );
    vec![
        ("1280x720 screenshot", small),
        ("1920x1080 screenshot", screen),
        ("2480x3508 A4 page", page),
    ]
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let engine =
        Ocr::load_dir(&root.join("www/models")).expect("OCR models (run ./build.sh build)");
    let out = root.join("target/bench-scenes");
    std::fs::create_dir_all(&out).unwrap();
    let threads = std::env::var("RTEN_NUM_THREADS")
        .map(|t| format!("{t} thread(s)"))
        .unwrap_or_else(|_| "all cores".into());
    println!("OCR, native ({threads}), ms per image (best of 2): total = detection (prepare + model + post) + recognition (prepare + model + post)");
    for (name, image) in scenes() {
        let file = out.join(format!("{}.png", name.split(' ').next().unwrap()));
        std::fs::write(
            &file,
            encode(&image.rgba, image.width, image.height, ExportFormat::Png).unwrap(),
        )
        .unwrap();
        let mut best: Option<kuronuri::detection::ocr::OcrResult> = None;
        for _ in 0..2 {
            let r = engine.read(&image, &mut |_, _| {}).unwrap();
            if best
                .as_ref()
                .is_none_or(|b| r.timings.total_ms < b.timings.total_ms)
            {
                best = Some(r);
            }
        }
        let r = best.unwrap();
        let t = &r.timings;
        println!(
            "{name:<22} {:>7.0} ms  lines {:>3}  scale {:.2}  detect {:.0} + {:.0} + {:.0}  recognize {:.0} + {:.0} + {:.0}",
            t.total_ms, r.lines.len(), t.scale, t.detect_prepare_ms, t.detect_model_ms, t.detect_post_ms,
            t.recognize_prepare_ms, t.recognize_model_ms, t.recognize_post_ms
        );
    }
}
