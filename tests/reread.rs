//! Reading a frame again after part of it changed (`Ocr::reread`, what a video scan does with
//! its next frame to read), on real pixels: an HR table from the shared dev set in which a few
//! rows of another screen (an English patient list) have been pasted, as when a demo opens
//! another record. The reread must find what a whole read of the changed screen finds, while
//! recognising only the lines around the change.
//!
//! Needs the models in www/models (`./build.sh build`).

mod common;

use kuronuri::detection::ocr::{Ocr, OcrResult};
use kuronuri::imaging::{decode, Image};

fn screen(name: &str) -> Image {
    decode(&std::fs::read(common::shared(&format!("eval/dev/{name}"))).unwrap()).unwrap()
}

/// `into` with the rows `top..bottom`, columns `left..right` taken from `from` (same size).
fn pasted(into: &Image, from: &Image, [left, top, right, bottom]: [u32; 4]) -> Image {
    let mut out = into.clone();
    for y in top..bottom {
        let row = (y * into.width) as usize * 4;
        out.rgba[row + left as usize * 4..row + right as usize * 4]
            .copy_from_slice(&from.rgba[row + left as usize * 4..row + right as usize * 4]);
    }
    out
}

fn texts(r: &OcrResult) -> Vec<String> {
    r.lines
        .iter()
        .map(|l| l.text.split_whitespace().collect::<String>())
        .filter(|t| t.chars().count() >= 2)
        .collect()
}

#[test]
fn a_frame_changed_in_a_few_rows_is_read_again_only_there() {
    let ocr = Ocr::load_dir(&common::models_dir()).expect("models (./build.sh build)");
    let before = screen("dev_0009_hrEmployees.png");
    let other = screen("dev_0032_enPatients.png");
    assert_eq!((before.width, before.height), (other.width, other.height));
    let first = ocr.read(&before, &mut |_, _| {}).unwrap();

    // Nothing changed: nothing is looked at again, every line is kept as it was read.
    let same = ocr
        .reread(
            &before,
            &first.lines,
            first.timings.scale,
            &before,
            &mut |_, _| {},
        )
        .unwrap()
        .expect("an unchanged frame is reread");
    assert_eq!(texts(&same), texts(&first));
    assert_eq!(same.timings.recognize_model_ms, 0.0);

    // About rows 400..520 of the left two thirds come from the patient list: from a row
    // clear of text in both screens to another (a panel showing another record).
    let theirs = ocr.read(&other, &mut |_, _| {}).unwrap();
    let clear = |from: u32| {
        (from..before.height)
            .find(|&y| {
                first.lines.iter().chain(&theirs.lines).all(|l| {
                    let ys = l.quad.map(|p| p[1]);
                    let (t, b) = (
                        ys.iter().copied().fold(f32::MAX, f32::min),
                        ys.iter().copied().fold(0.0, f32::max),
                    );
                    b < y as f32 - 1.0 || t > y as f32 + 1.0
                })
            })
            .expect("a row clear of text")
    };
    let area = [0, clear(400), before.width * 2 / 3, clear(520)];
    eprintln!("pasted rows {}..{}", area[1], area[3]);
    let now = pasted(&before, &other, area);
    let whole = ocr.read(&now, &mut |_, _| {}).unwrap();
    let mut read = 0;
    let again = ocr
        .reread(
            &before,
            &first.lines,
            first.timings.scale,
            &now,
            &mut |_, n| read = n,
        )
        .unwrap()
        .expect("a change in about 120 rows is read in bands");
    let (got, want) = (texts(&again), texts(&whole));
    let missing: Vec<&String> = want.iter().filter(|t| !got.contains(t)).collect();
    eprintln!(
        "whole read {} lines, reread {} lines of which {read} recognised; missing {missing:?}",
        want.len(),
        got.len()
    );
    // What the pasted rows say is read (every line of the whole read in them), and the
    // rest is as the whole read has it, give or take a line read differently at an edge.
    for l in &whole.lines {
        let y = (l.quad[0][1] + l.quad[3][1]) / 2.0;
        let t: String = l.text.split_whitespace().collect();
        if y > area[1] as f32
            && y < area[3] as f32
            && l.quad[0][0] < area[2] as f32 - 20.0
            && t.chars().count() >= 2
        {
            assert!(
                got.contains(&t),
                "{t:?} of the changed rows was not read again"
            );
        }
    }
    assert!(missing.len() * 50 <= want.len(), "missing {missing:?}");
    // Only the lines around the change were recognised.
    assert!(
        read > 0 && read * 2 < whole.lines.len(),
        "{read} of {} lines recognised",
        whole.lines.len()
    );

    // Another screen: read whole, or in bands (where the two screens differ) that give what a
    // whole read gives.
    if let Some(again) = ocr
        .reread(
            &before,
            &first.lines,
            first.timings.scale,
            &other,
            &mut |_, _| {},
        )
        .unwrap()
    {
        let (got, want) = (texts(&again), texts(&theirs));
        let missing: Vec<&String> = want.iter().filter(|t| !got.contains(t)).collect();
        assert!(
            missing.len() * 50 <= want.len(),
            "another screen: missing {missing:?}"
        );
    }
}
