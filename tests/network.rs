//! The models cut at their depthwise convolutions, with the elementwise layers around them folded
//! in ([`Network::load`]), compute what rten computes on the whole model, on real pixels: the
//! text detector and recogniser on a crop of a dev screen, the face detector on the street
//! photo. Each is checked twice: with the pointwise convolutions left to rten (as natively) and
//! on our own kernel (as in WebAssembly, `Network::load_with`).
//!
//! Needs the models in www/models (`./build.sh build`) and ../shared.

mod common;

use kuronuri::detection::network::{keep_output_columns, Network, Pointwise};
use kuronuri::imaging::decode::decode;
use rten::Value;
use rten_tensor::prelude::*;
use rten_tensor::NdTensor;

/// `w × h` pixels of the image at (x, y), as a 1×3×h×w tensor of `(v / 255 - 0.5) / 0.5`.
fn crop(path: &str, x: u32, y: u32, w: u32, h: u32, raw: bool) -> NdTensor<f32, 4> {
    let image = decode(&std::fs::read(common::shared(path)).unwrap()).unwrap();
    assert!(
        x + w <= image.width && y + h <= image.height,
        "{path} is too small"
    );
    let (w, h) = (w as usize, h as usize);
    let mut data = vec![0f32; 3 * w * h];
    for yy in 0..h {
        for xx in 0..w {
            let at = ((y as usize + yy) * image.width as usize + x as usize + xx) * 4;
            for c in 0..3 {
                let v = image.rgba[at + c] as f32;
                data[c * w * h + yy * w + xx] = if raw { v } else { (v / 255.0 - 0.5) / 0.5 };
            }
        }
    }
    NdTensor::from_data([1, 3, h, w], data)
}

/// `folded`: how many nodes (elementwise layers, `Identity`) at least the cut must compute
/// inside its depthwise steps; `pointwise`: how many pointwise convolutions at least run on our
/// kernel when asked to.
fn compare(
    model: &str,
    input: NdTensor<f32, 4>,
    outputs: &[&str],
    folded: usize,
    pointwise: usize,
) {
    for kernel in [Pointwise::Rten, Pointwise::Floats, Pointwise::Integers] {
        compare_cut(model, input.clone(), outputs, folded, kernel, pointwise);
    }
}

fn compare_cut(
    model: &str,
    input: NdTensor<f32, 4>,
    outputs: &[&str],
    folded: usize,
    kernel: Pointwise,
    least: usize,
) {
    let bytes = std::fs::read(common::models_dir().join(model))
        .unwrap_or_else(|e| panic!("{model}: {e} (run ./build.sh build)"));
    let split = Network::load_with(bytes.clone(), kernel).unwrap();
    let pointwise = (kernel != Pointwise::Rten).then_some(least);
    let whole = Network::whole(bytes).unwrap();
    match pointwise {
        Some(least) => assert!(
            split.pointwise_count() >= least,
            "{model}: {} pointwise convolutions on our kernel",
            split.pointwise_count()
        ),
        None => assert_eq!(split.pointwise_count(), 0),
    }
    // The recogniser's output layer runs on the pointwise kernel with it (`network::head`).
    let head = usize::from(pointwise.is_some() && model == "ppocrv5_rec.onnx");
    assert_eq!(
        split.head_count(),
        head,
        "{model}: output layers on our kernel"
    );
    assert!(
        split.depthwise_count() >= 10,
        "{model}: {} depthwise",
        split.depthwise_count()
    );
    assert_eq!(whole.depthwise_count(), 0);
    assert!(
        split.folded_count() >= folded,
        "{model}: {} nodes folded into depthwise steps",
        split.folded_count()
    );
    let name = split.input_names()[0].clone();
    let run = |n: &Network| {
        n.run(vec![(name.as_str(), Value::from(input.clone()))], outputs)
            .unwrap()
    };
    for (i, (a, b)) in run(&split).into_iter().zip(run(&whole)).enumerate() {
        let a = a.into_tensor::<f32>().unwrap();
        let b = b.into_tensor::<f32>().unwrap();
        assert_eq!(a.shape(), b.shape(), "{model} output {i}");
        let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
        let worst = a
            .iter()
            .zip(b.iter())
            .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(scale > 0.0, "{model} output {i} is all zeros");
        let mean = a
            .iter()
            .zip(b.iter())
            .map(|(x, y)| (x - y).abs())
            .sum::<f32>()
            / a.len() as f32;
        // In integers (`Pointwise::Integers`, as in the page) each wide layer rounds its
        // weights to 12 bits and each pixel's input to 11–13: measured at most 0.006 of the
        // recogniser's probabilities (6e-8 on average), 0.047 of the detector's (0.00012 on
        // average, at the edges of text) and 0.016 of the face model's outputs (0.0009 on
        // average against a scale of 4.5). Rounding there is, so those layers did run so.
        let (most, average) = match kernel {
            Pointwise::Integers => {
                assert!(worst > 0.0, "{model} output {i}: no layer ran in integers");
                (0.1, 5e-4)
            }
            _ => (1e-3, 1e-3),
        };
        assert!(
            worst <= most * scale.max(1.0) && mean <= average * scale.max(1.0),
            "{model} output {i} ({kernel:?}): differs by {worst} at most, {mean} on average \
             (scale {scale})"
        );
    }
}

#[test]
fn the_recogniser_cut_at_its_depthwise_convolutions_reads_as_the_whole_model() {
    let out = Network::whole(std::fs::read(common::models_dir().join("ppocrv5_rec.onnx")).unwrap())
        .unwrap();
    let output = out.output_names()[0].clone();
    compare(
        "ppocrv5_rec.onnx",
        crop("eval/dev/dev_0002_hrEmployees.png", 0, 96, 480, 48, false),
        &[&output],
        300,
        18,
    );
}

/// The recogniser with its output layer cut down to some symbols
/// (`network::keep_output_columns`) gives each kept symbol the whole model's probability
/// divided by the kept symbols' total, whole (rten) and cut with the layer on our kernel.
#[test]
fn the_recogniser_cut_down_to_some_symbols_gives_their_share_of_the_whole_output() {
    let bytes = std::fs::read(common::models_dir().join("ppocrv5_rec.onnx"))
        .unwrap_or_else(|e| panic!("ppocrv5_rec.onnx: {e} (run ./build.sh build)"));
    let whole = Network::whole(bytes.clone()).unwrap();
    let (input_name, output) = (
        whole.input_names()[0].clone(),
        whole.output_names()[0].clone(),
    );
    let input = crop("eval/dev/dev_0002_hrEmployees.png", 0, 96, 480, 48, false);
    let run = |n: &Network| -> NdTensor<f32, 3> {
        let out = n
            .run(
                vec![(input_name.as_str(), Value::from(input.clone()))],
                &[&output],
            )
            .unwrap();
        out.into_iter().next().unwrap().try_into().unwrap()
    };
    let full = run(&whole);
    let [_, steps, classes] = full.shape();
    // The blank, every third symbol, and the last (the space): in an order of their own.
    let mut keep: Vec<usize> = (1..classes).step_by(3).collect();
    keep.insert(0, 0);
    keep.push(classes - 1);
    keep.swap(1, 2);
    let cut = keep_output_columns(&bytes, &keep).unwrap();
    for (name, network) in [
        ("whole", Network::whole(cut.clone()).unwrap()),
        (
            "cut, our kernel",
            Network::load_with(cut.clone(), Pointwise::Floats).unwrap(),
        ),
    ] {
        let kept = run(&network);
        assert_eq!(kept.shape(), [1, steps, keep.len()], "{name}");
        let mut worst = 0f32;
        for t in 0..steps {
            let total: f32 = keep.iter().map(|&j| full[[0, t, j]]).sum();
            assert!(total > 0.0);
            for (k, &j) in keep.iter().enumerate() {
                worst = worst.max((kept[[0, t, k]] - full[[0, t, j]] / total).abs());
            }
        }
        assert!(worst < 1e-4, "{name}: differs by {worst}");
    }
    // Columns the layer does not have are refused, as is a model without such a layer.
    assert!(keep_output_columns(&bytes, &[0, classes]).is_err());
    let detector = std::fs::read(common::models_dir().join("ppocrv5_det.onnx")).unwrap();
    assert!(keep_output_columns(&detector, &[0]).is_err());
}

#[test]
fn the_text_detector_cut_at_its_depthwise_convolutions_finds_what_the_whole_model_finds() {
    let out = Network::whole(std::fs::read(common::models_dir().join("ppocrv5_det.onnx")).unwrap())
        .unwrap();
    let output = out.output_names()[0].clone();
    compare(
        "ppocrv5_det.onnx",
        crop("eval/dev/dev_0002_hrEmployees.png", 0, 0, 640, 320, false),
        &[&output],
        250,
        18,
    );
}

#[test]
fn the_face_detector_cut_at_its_depthwise_convolutions_finds_what_the_whole_model_finds() {
    compare(
        "centerface.onnx",
        crop("eval/real/faces-city/city.jpg", 0, 0, 640, 480, true),
        &["537", "538", "539", "540"],
        30,
        15,
    );
}
