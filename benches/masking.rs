//! `cargo bench --bench masking` (run by `./build.sh bench`): milliseconds per frame for each
//! mask style on 1920×1080 and 3840×2160 frames with regions covering 15% of the frame, and
//! each as a multiple of a plain copy of the whole frame measured in the same run.
//! Then the video scan's per-frame comparison (`benchmark::MotionScene`) at 720p, 1080p and 4K,
//! and the network kernels at the recogniser's shapes (`benchmark::KernelScene`) in
//! multiply-adds per nanosecond on one core.
//! The WebAssembly figures come from `tests/browser/bench.mjs`, which runs the same scene.

use std::time::{Duration, Instant};

use kuronuri::benchmark::{KernelScene, MotionScene, Scene, KERNELS, STYLES};

/// Median milliseconds of `f` over repeated runs lasting at least `budget`.
fn median_ms(mut f: impl FnMut(), budget: Duration) -> f64 {
    for _ in 0..3 {
        f();
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 15 || (start.elapsed() < budget && times.len() < 500) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let budget = Duration::from_millis(700);
    println!(
        "masking, native ({}), median ms per frame; ratio = style / whole-frame copy",
        std::env::consts::ARCH
    );
    println!(
        "{:<11} {:>7} {:>9} {:>9} {:>7} {:>9} {:>7} {:>9} {:>7}",
        "frame", "covered", "copy ms", "fill ms", "ratio", "mosaic ms", "ratio", "blur ms", "ratio"
    );
    for (w, h) in [(1920, 1080), (3840, 2160)] {
        let mut scene = Scene::new(w, h);
        let copy = median_ms(|| scene.copy_frame(), budget);
        let mut row = format!(
            "{:<11} {:>6.1}% {:>9.3}",
            format!("{w}x{h}"),
            scene.covered_share() * 100.0,
            copy
        );
        for (_, style) in STYLES {
            let ms = median_ms(|| scene.mask(style), budget);
            row.push_str(&format!(" {:>9.3} {:>6.2}x", ms, ms / copy));
        }
        println!("{row}");
    }
    println!("goal (in WebAssembly): fill <= 0.3x, mosaic <= 1x, blur <= 2x the frame copy");
    // The video scan's work on every decoded frame (compared with the one before and with the
    // last frame read), which runs beside the OCR on the same cores.
    for (w, h) in [(1280, 720), (1920, 1080), (3840, 2160)] {
        let mut scene = MotionScene::new(w, h);
        let ms = median_ms(
            || {
                std::hint::black_box(scene.push());
            },
            budget,
        );
        println!("video frame compared, native, {w}x{h}: {ms:.3} ms");
    }
    // The network kernels alone: the page's kernels compiled for this processor (the native
    // OCR runs rten's pointwise kernel by default, `network::Pointwise::by_default`).
    for kind in KERNELS {
        let mut scene = KernelScene::new(kind).expect("a known kernel");
        let ms = median_ms(|| scene.run(), budget);
        let rate = scene.multiply_adds() / (ms * 1e6);
        println!("network kernel, native, one core, {kind:<8} {ms:>8.2} ms {rate:>6.1} multiply-adds per ns");
    }
}
