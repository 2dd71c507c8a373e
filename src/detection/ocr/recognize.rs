//! Text recognition: what each detected line says, and where each character is.
//!
//! Each line quad is sampled into a straight strip [`HEIGHT`] pixels high (its reading
//! direction left to right, so vertical lines come out turned), strips of similar width are
//! read in batches by the CTC model, and the output is decoded greedily: the most likely symbol
//! at each time step, repeats merged, blanks dropped. A character's place is the run of time
//! steps it won, widened to the midpoints between its neighbours, mapped back along the quad.

use crate::detection::network::Network;
use rten_tensor::prelude::*;
use rten_tensor::NdTensor;
use unicode_normalization::UnicodeNormalization;

use std::borrow::Cow;

use crate::error::Error;
use crate::imaging::Image;

use super::{spell, OcrChar, Quad, TextLine, Timings};
use crate::clock::now_ms;

/// Strip height the recogniser expects.
pub const HEIGHT: usize = 48;
/// Widest strip, in pixels (a line longer than 60 times its height is squeezed).
pub const MAX_WIDTH: usize = HEIGHT * 60;
/// Pixels (width × height summed over a batch) per recogniser run, and strips per run.
/// Shorter strips of a batch are padded to the longest, and the model mixes what it sees along
/// the whole line, padding included, so batches change readings a little. Lines go to the
/// model in order of width (see [`read_lines`]), which keeps padding small; then batches of
/// 2000 pixels' width were no faster natively than these (the bench's 1080p screen, one
/// process, alternated: recognition 4.2–4.7 s against 4.2–4.4 s) and read the dev set's
/// photographed tables a little worse (must-recall 0.9858 against 0.9871), so these stay.
/// (Before that order, 2-strip batches were faster, and a photographed grade sheet's header
/// lost its 番号 with them: ../shared/eval/dev dev_0050.)
const BATCH_PIXELS: usize = HEIGHT * 6000;
const MAX_BATCH: usize = 16;
/// Lines cropped and read per step of [`read_lines`] (bounds the strips held at once).
const CHUNK: usize = 64;
/// Lines read with less confidence are read again upside down.
pub const RETRY_BELOW: f32 = 0.75;
/// A line's turned reading is kept when its confidence is higher by more than this…
const TURNED_GAIN: f32 = 0.05;
/// …or by more than this when most of the lines read (in one call of [`read_lines`]: in the
/// page, one worker's part) are read upright. Over `../shared/eval/dev` (all upright) 85 lines
/// were read turned before this rule, every one of them wrongly: with it the photos read six
/// items more (608 against 602 of 911), screens and JPEGs the same; six dev images turned
/// upside down read 485 of their 575 items either way (with this margin for every line, 467).
const TURNED_GAIN_ON_UPRIGHT_PAGE: f32 = 0.3;

/// A line strip ready for the model: planar BGR, normalised to -1..1, `width × HEIGHT`.
struct Strip {
    width: usize,
    data: Vec<f32>,
}

fn lerp(a: [f32; 2], b: [f32; 2], t: f32) -> [f32; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// The strip width for a quad: its length scaled to the strip height.
fn strip_width(q: &Quad) -> usize {
    let len = (distance(q[0], q[1]) + distance(q[3], q[2])) / 2.0;
    let height = ((distance(q[0], q[3]) + distance(q[1], q[2])) / 2.0).max(1.0);
    ((len / height * HEIGHT as f32).round() as usize).clamp(HEIGHT / 3, MAX_WIDTH)
}

/// Samples the quad into a strip (bilinear), reading direction left to right.
fn crop(image: &Image, q: &Quad) -> Strip {
    let width = strip_width(q);
    let plane = width * HEIGHT;
    let mut data = vec![0f32; 3 * plane];
    let (iw, ih) = (image.width as i64, image.height as i64);
    let px = |x: i64, y: i64| -> [f32; 3] {
        let (x, y) = (x.clamp(0, iw - 1), y.clamp(0, ih - 1));
        let i = ((y * iw + x) * 4) as usize;
        [
            image.rgba[i] as f32,
            image.rgba[i + 1] as f32,
            image.rgba[i + 2] as f32,
        ]
    };
    for v in 0..HEIGHT {
        let t = (v as f32 + 0.5) / HEIGHT as f32;
        let (left, right) = (lerp(q[0], q[3], t), lerp(q[1], q[2], t));
        for u in 0..width {
            let p = lerp(left, right, (u as f32 + 0.5) / width as f32);
            let (fx, fy) = (p[0] - 0.5, p[1] - 0.5);
            let (x0, y0) = (fx.floor(), fy.floor());
            let (ax, ay) = (fx - x0, fy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let (a, b, c, d) = (
                px(x0, y0),
                px(x0 + 1, y0),
                px(x0, y0 + 1),
                px(x0 + 1, y0 + 1),
            );
            for ch in 0..3 {
                let top = a[ch] + (b[ch] - a[ch]) * ax;
                let bottom = c[ch] + (d[ch] - c[ch]) * ax;
                let value = top + (bottom - top) * ay;
                // BGR order, scaled to -1..1.
                data[(2 - ch) * plane + v * width + u] = value / 127.5 - 1.0;
            }
        }
    }
    Strip { width, data }
}

/// Levels (of 255) by which a pixel must differ from the strip's background to count as ink
/// when a line's quad is fitted to its text: lenient, so that anti-aliased edges count.
const INK_LEVELS: f32 = 24.0;

/// Where a strip holds ink (pixels standing out from the strip's median grey): for each row
/// and each column, whether it holds text.
struct Ink {
    rows: Vec<bool>,
    columns: Vec<bool>,
}

fn ink(strip: &Strip) -> Ink {
    let (w, plane) = (strip.width, strip.width * HEIGHT);
    let grey: Vec<f32> = (0..plane)
        .map(|i| (strip.data[i] + strip.data[plane + i] + strip.data[2 * plane + i]) / 3.0)
        .collect();
    // The median grey, by selection (a full sort of every strip would cost more than needed).
    let mut scratch = grey.clone();
    let middle = scratch.len() / 2;
    let background = *scratch
        .select_nth_unstable_by(middle, |a, b| a.total_cmp(b))
        .1;
    let threshold = INK_LEVELS / 127.5;
    let mut rows = vec![0usize; HEIGHT];
    let mut cols = vec![0usize; w];
    for v in 0..HEIGHT {
        for u in 0..w {
            if (grey[v * w + u] - background).abs() > threshold {
                rows[v] += 1;
                cols[u] += 1;
            }
        }
    }
    // A stray speck is not text: a row (column) needs two ink pixels. A row inked nearly all
    // the way across is a table's rule or the next row's shading, not text; so is a column
    // inked from top to bottom.
    Ink {
        rows: rows.iter().map(|&n| n >= 2 && n * 10 <= w * 7).collect(),
        columns: cols
            .iter()
            .map(|&n| n >= 2 && n * 10 <= HEIGHT * 9)
            .collect(),
    }
}

/// The rows `top..bottom` and columns `left..right` of a strip that hold ink, or `None` when
/// too little stands out to tell.
fn ink_bounds(Ink { rows, columns }: &Ink) -> Option<(usize, usize, usize, usize)> {
    let top = rows.iter().position(|&r| r)?;
    let bottom = HEIGHT - rows.iter().rev().position(|&r| r)?;
    let left = columns.iter().position(|&c| c)?;
    let right = columns.len() - columns.iter().rev().position(|&c| c)?;
    (bottom - top >= HEIGHT / 6).then_some((top, bottom, left, right))
}

/// The line's quad fitted to its ink: `(for characters, for the line)`. The first is only
/// brought in from above and below (so positions along the line keep their meaning); the
/// second is also trimmed at both ends. A margin of a few strip pixels stays around the ink.
fn fit_to_ink(q: &Quad, strip: &Strip, ink: &Ink) -> (Quad, Quad, (f32, f32)) {
    let Some((top, bottom, left, right)) = ink_bounds(ink) else {
        return (*q, *q, (0.0, 1.0));
    };
    let t0 = top.saturating_sub(2) as f32 / HEIGHT as f32;
    let t1 = (bottom + 2).min(HEIGHT) as f32 / HEIGHT as f32;
    let rows = [
        lerp(q[0], q[3], t0),
        lerp(q[1], q[2], t0),
        lerp(q[1], q[2], t1),
        lerp(q[0], q[3], t1),
    ];
    let u0 = left.saturating_sub(3) as f32 / strip.width as f32;
    let u1 = (right + 3).min(strip.width) as f32 / strip.width as f32;
    let line = [
        lerp(rows[0], rows[1], u0),
        lerp(rows[0], rows[1], u1),
        lerp(rows[3], rows[2], u1),
        lerp(rows[3], rows[2], u0),
    ];
    (rows, line, (u0, u1))
}

/// One character as decoded: its symbol, probability and the time steps it won.
#[derive(Clone, Debug)]
struct Decoded {
    symbol: usize,
    prob: f32,
    first: usize,
    last: usize,
    /// Other symbols the model found likely at the character's surest step, most likely first
    /// (see [`super::spell`]).
    alternatives: Vec<(usize, f32)>,
}

/// The blank's weight against a symbol different from the one before it: a step whose blank
/// is unsure (under about 70%) yields to a new symbol nearly as likely, so that a faint
/// character is not lost. Against a repeat of the previous symbol the blank keeps its full
/// weight, so that doubled letters ("ll") stay apart.
pub const BLANK_WEIGHT: f32 = 0.45;

/// Greedy CTC decoding of `steps` time steps of `classes` probabilities, each symbol's
/// probability scaled by its prior `weights` (see [`super::correct`]) when choosing.
fn ctc_greedy(probs: &[f32], steps: usize, classes: usize, weights: &[f32]) -> Vec<Decoded> {
    let mut out: Vec<Decoded> = Vec::new();
    // For each character, the step where it was surest.
    let mut surest: Vec<usize> = Vec::new();
    let mut previous = 0usize;
    for t in 0..steps {
        let row = &probs[t * classes..(t + 1) * classes];
        let (mut symbol, mut score) = (0, f32::MIN);
        for (i, (&p, &w)) in row.iter().zip(weights).enumerate().skip(1) {
            if p * w > score {
                (symbol, score) = (i, p * w);
            }
        }
        let blank = row[0]
            * if symbol == previous {
                1.0
            } else {
                BLANK_WEIGHT
            };
        let best = if blank >= score { 0 } else { symbol };
        let p = row[best];
        if best != 0 {
            if best == previous {
                if let Some(last) = out.last_mut() {
                    last.last = t;
                    if p > last.prob {
                        last.prob = p;
                        *surest.last_mut().expect("one per character") = t;
                    }
                }
            } else {
                out.push(Decoded {
                    symbol: best,
                    prob: p,
                    first: t,
                    last: t,
                    alternatives: Vec::new(),
                });
                surest.push(t);
            }
        }
        previous = best;
    }
    // Only a character read unsure may be spelled otherwise (see [`spell`]): the others keep
    // no alternatives, which spares a pass over every class at their surest step.
    for (d, &t) in out.iter_mut().zip(&surest) {
        if d.prob < spell::UNSURE {
            d.alternatives = alternatives(&probs[t * classes..(t + 1) * classes], d.symbol);
        }
    }
    out
}

/// The symbols other than `chosen` (and the blank) of one step's probabilities that reach
/// [`spell::ALTERNATIVE_MIN`], most likely first, at most [`spell::ALTERNATIVES`].
fn alternatives(row: &[f32], chosen: usize) -> Vec<(usize, f32)> {
    let mut found: Vec<(usize, f32)> = row
        .iter()
        .enumerate()
        .skip(1)
        .filter(|&(i, &p)| p >= spell::ALTERNATIVE_MIN && i != chosen)
        .map(|(i, &p)| (i, p))
        .collect();
    found.sort_by(|a, b| b.1.total_cmp(&a.1));
    found.truncate(spell::ALTERNATIVES);
    found
}

/// `decoded` with the names [`spell::names_in`] finds spelled in (as it is when the model was
/// sure of every character).
fn spell_names<'a>(decoded: &'a [Decoded], alphabet: &[String]) -> Cow<'a, [Decoded]> {
    if decoded.iter().all(|d| d.prob >= spell::UNSURE) {
        return Cow::Borrowed(decoded);
    }
    let options: Vec<spell::Options> = decoded
        .iter()
        .map(|d| {
            let mut o = vec![(d.symbol, d.prob)];
            o.extend(&d.alternatives);
            o
        })
        .collect();
    let changes = spell::names_in(&options, alphabet);
    if changes.is_empty() {
        return Cow::Borrowed(decoded);
    }
    let mut out = decoded.to_vec();
    for c in changes {
        out[c.at].symbol = c.symbol;
        out[c.at].prob = c.prob;
    }
    Cow::Owned(out)
}

/// Turns decoded symbols of a strip into a line with character quads. `step` is the strip
/// width per time step.
#[cfg(test)]
fn to_line(
    decoded: &[Decoded],
    alphabet: &[String],
    quad: &Quad,
    width: usize,
    step: f32,
) -> Option<TextLine> {
    to_fitted_line(decoded, alphabet, (quad, quad), (0.0, 1.0), width, step)
}

/// [`to_line`] with the quads fitted to the ink (see [`fit_to_ink`]): characters along the
/// first, the line's own quad the second; characters stay within `span` (the share of the
/// strip's width that holds ink).
fn to_fitted_line(
    decoded: &[Decoded],
    alphabet: &[String],
    (quad, line_quad): (&Quad, &Quad),
    span: (f32, f32),
    width: usize,
    step: f32,
) -> Option<TextLine> {
    let decoded = &spell_names(decoded, alphabet);
    let centers: Vec<f32> = decoded
        .iter()
        .map(|d| (d.first + d.last + 1) as f32 / 2.0 * step)
        .collect();
    let mut chars = Vec::with_capacity(decoded.len());
    for (i, d) in decoded.iter().enumerate() {
        let text = alphabet.get(d.symbol)?.clone();
        // Edges: midpoints between neighbours; at the ends, half the neighbouring gap (or the
        // run of steps itself, padded by one step, for a lone character).
        let own = ((d.first as f32 - 1.0) * step, (d.last as f32 + 2.0) * step);
        let left = if i > 0 {
            (centers[i - 1] + centers[i]) / 2.0
        } else if decoded.len() > 1 {
            own.0.min(centers[0] - (centers[1] - centers[0]) / 2.0)
        } else {
            own.0
        };
        let right = if i + 1 < decoded.len() {
            (centers[i] + centers[i + 1]) / 2.0
        } else if i > 0 {
            own.1.max(centers[i] + (centers[i] - centers[i - 1]) / 2.0)
        } else {
            own.1
        };
        let (t0, t1) = (
            (left / width as f32).clamp(span.0, span.1),
            (right / width as f32).clamp(span.0, span.1),
        );
        let q = [
            lerp(quad[0], quad[1], t0),
            lerp(quad[0], quad[1], t1),
            lerp(quad[3], quad[2], t1),
            lerp(quad[3], quad[2], t0),
        ];
        chars.push(OcrChar {
            text,
            quad: q,
            confidence: d.prob,
        });
    }
    super::correct::correct(&mut chars);
    let text: String = chars
        .iter()
        .map(|c| c.text.as_str())
        .collect::<String>()
        .nfc()
        .collect();
    if text.trim().is_empty() {
        return None;
    }
    let confidence = chars.iter().map(|c| c.confidence).sum::<f32>() / chars.len() as f32;
    Some(TextLine {
        text,
        confidence,
        quad: *line_quad,
        chars,
        detected: None,
    })
}

/// Reads strips in batches; returns for each its decoded symbols and the strip width per step.
fn recognize(
    model: &Network,
    weights: &[f32],
    strips: &[Strip],
    timings: &mut Timings,
) -> Result<Vec<(Vec<Decoded>, f32)>, Error> {
    let mut order: Vec<usize> = (0..strips.len()).collect();
    order.sort_by_key(|&i| strips[i].width);
    let mut results: Vec<Option<(Vec<Decoded>, f32)>> = (0..strips.len()).map(|_| None).collect();
    let mut at = 0;
    while at < order.len() {
        // Strips in width order: grow the batch while it stays within the pixel budget.
        let mut end = at + 1;
        while end < order.len()
            && end - at < MAX_BATCH
            && strips[order[end]].width * (end - at + 1) * HEIGHT <= BATCH_PIXELS
        {
            end += 1;
        }
        let batch = &order[at..end];
        let width = batch.iter().map(|&i| strips[i].width).max().unwrap();
        let plane = width * HEIGHT;
        let mut input = vec![0f32; batch.len() * 3 * plane];
        for (b, &i) in batch.iter().enumerate() {
            let s = &strips[i];
            for c in 0..3 {
                for y in 0..HEIGHT {
                    let src = &s.data[c * s.width * HEIGHT + y * s.width..][..s.width];
                    input[(b * 3 + c) * plane + y * width..][..s.width].copy_from_slice(src);
                }
            }
        }
        let tensor = NdTensor::from_data([batch.len(), 3, HEIGHT, width], input);
        let ran = now_ms();
        let output = model
            .run_one(tensor.into())
            .map_err(|e| Error::Model(format!("text recognition failed: {e}")))?;
        let decoding = now_ms();
        timings.recognize_model_ms += decoding - ran;
        let probs: NdTensor<f32, 3> = output
            .try_into()
            .map_err(|e| Error::Model(format!("text recognition output: {e:?}")))?;
        let [_, steps, classes] = probs.shape();
        let probs = probs.to_vec();
        let step = width as f32 / steps as f32;
        for (b, &i) in batch.iter().enumerate() {
            // Only the steps over the strip itself, not its padding.
            let own = ((strips[i].width as f32 / step).ceil() as usize).min(steps);
            let decoded = ctc_greedy(
                &probs[b * steps * classes..][..own * classes],
                own,
                classes,
                weights,
            );
            results[i] = Some((decoded, step));
        }
        timings.recognize_post_ms += now_ms() - decoding;
        at = end;
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every strip read"))
        .collect())
}

/// The share of a stretch's columns that must hold ink for a stretch without a character to
/// count as one the model dropped.
const DROPPED_INK: f32 = 0.5;
/// A dropped character is looked for in the image scaled by this (box filter): in clear JPEG
/// print of one of the dev fonts the model gives the blank over 田, 日, 大 or 〒 at full size
/// and reads them at 0.8 (and misreads others there, so only the gaps are taken from it).
pub const SECOND_SCALE: f32 = 0.8;
/// Characters of the second reading put into a gap need this probability.
const FILL_ABOVE: f32 = 0.15;

/// Stretches of a strip (strip pixels) with no character read, at least 0.6 of the median
/// character pitch wide, whose columns hold ink: where the model gave the blank over
/// something written. Before the first character, between characters and after the last
/// (there the first or last character's own ink often counts, so some lines are read twice
/// for nothing: 3–34% of the lines of four dev screens are read twice).
fn dropped(decoded: &[Decoded], step: f32, ink: &Ink) -> Vec<(f32, f32)> {
    if decoded.len() < 2 {
        return Vec::new();
    }
    let centres: Vec<f32> = decoded
        .iter()
        .map(|d| (d.first + d.last + 1) as f32 / 2.0 * step)
        .collect();
    let mut pitches: Vec<f32> = centres.windows(2).map(|w| w[1] - w[0]).collect();
    pitches.sort_by(f32::total_cmp);
    let pitch = pitches[pitches.len() / 2];
    let (Some(left), Some(right)) = (
        ink.columns.iter().position(|&c| c),
        ink.columns.iter().rposition(|&c| c),
    ) else {
        return Vec::new();
    };
    let half = pitch / 2.0;
    let mut stretches = vec![(left as f32, centres[0] - half)];
    stretches.extend(centres.windows(2).map(|w| (w[0] + half, w[1] - half)));
    stretches.push((centres[centres.len() - 1] + half, right as f32 + 1.0));
    stretches
        .into_iter()
        .filter(|&(a, b)| {
            if b - a < 0.6 * pitch {
                return false;
            }
            let (a, b) = (a.max(0.0) as usize, (b as usize).min(ink.columns.len()));
            let inked = ink.columns[a..b].iter().filter(|&&c| c).count();
            inked as f32 >= DROPPED_INK * (b - a) as f32
        })
        .collect()
}

/// `decoded` (time steps of `step` strip pixels) with the characters of `again` (a second
/// reading of the same strip, steps of `step_again`) that fall in `gaps` put in, where that
/// reading is sure of them and they are not spaces.
fn fill(
    mut decoded: Vec<Decoded>,
    step: f32,
    again: &[Decoded],
    step_again: f32,
    gaps: &[(f32, f32)],
    alphabet: &[String],
) -> Vec<Decoded> {
    let centre = |d: &Decoded, step: f32| (d.first + d.last + 1) as f32 / 2.0 * step;
    let read: Vec<(usize, f32)> = decoded
        .iter()
        .map(|d| (d.symbol, centre(d, step)))
        .collect();
    for d in again {
        let at = centre(d, step_again);
        let blank = alphabet.get(d.symbol).is_none_or(|t| t.trim().is_empty());
        // The same character read a little further along is not a new one.
        let nearest_same = read
            .iter()
            .filter(|r| r.0 == d.symbol)
            .map(|r| (r.1 - at).abs())
            .fold(f32::INFINITY, f32::min);
        let in_gap = gaps
            .iter()
            .any(|&(a, b)| at > a && at < b && nearest_same > b - a);
        if d.prob >= FILL_ABOVE && !blank && in_gap {
            let to_own = |t: usize| (t as f32 * step_again / step).round() as usize;
            decoded.push(Decoded {
                symbol: d.symbol,
                prob: d.prob,
                first: to_own(d.first),
                last: to_own(d.last).max(to_own(d.first)),
                alternatives: d.alternatives.clone(),
            });
        }
    }
    decoded.sort_by_key(|d| d.first);
    decoded
}

/// Puts back a 〒 the model dropped: a stretch of ink as wide as a character before the first
/// character read (one of `gaps`, see [`dropped`]), where the line then starts with a postal
/// code `ddd-dddd`. In clear JPEG print of one of the dev fonts the model gives the blank over
/// 〒 at full size and at 0.8 alike (`../shared/eval/dev`, dev_0051: 7 address lines).
fn restore_postal_mark(
    decoded: &mut Vec<Decoded>,
    step: f32,
    gaps: &[(f32, f32)],
    alphabet: &[String],
    mark: usize,
) {
    let (Some(&(a, b)), Some(first)) = (gaps.first(), decoded.first()) else {
        return;
    };
    let centre = (first.first + first.last + 1) as f32 / 2.0 * step;
    let mut text = decoded.iter().flat_map(|d| {
        alphabet
            .get(d.symbol)
            .map(|s| s.chars())
            .into_iter()
            .flatten()
    });
    if b > centre || !super::correct::starts_with_postal_code(&mut text) {
        return;
    }
    let start = (a.max(0.0) / step) as usize;
    let end = ((b / step) as usize)
        .min(first.first.saturating_sub(1))
        .max(start);
    decoded.insert(
        0,
        Decoded {
            symbol: mark,
            prob: 0.5,
            first: start,
            last: end,
            alternatives: Vec::new(),
        },
    );
}

/// A quad turned half a turn (its reading start moved to the other end).
fn upside_down(q: &Quad) -> Quad {
    [q[2], q[3], q[0], q[1]]
}

/// Reads every quad of `image`. Lines read with confidence under [`RETRY_BELOW`] are read again
/// upside down, and the better reading is kept.
pub fn read_lines(
    model: &Network,
    alphabet: &[String],
    weights: &[f32],
    image: &Image,
    quads: &[Quad],
    timings: &mut Timings,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<TextLine>, Error> {
    let cropped = |qs: &[Quad], timings: &mut Timings| {
        let start = now_ms();
        let strips: Vec<Strip> = qs.iter().map(|q| crop(image, q)).collect();
        timings.recognize_prepare_ms += now_ms() - start;
        strips
    };
    let total = quads.len();
    timings.recognized_lines += total;
    let mut lines: Vec<Option<TextLine>> = (0..total).map(|_| None).collect();
    // Lines where the model gave the blank over ink as wide as a character: their index, the
    // stretches, the reading and where it lies on the strip.
    struct Gappy {
        i: usize,
        gaps: Vec<(f32, f32)>,
        decoded: Vec<Decoded>,
        step: f32,
        fit: (Quad, Quad, (f32, f32)),
        width: usize,
    }
    let mut gappy: Vec<Gappy> = Vec::new();
    // Lines go to the model in order of width over the whole image, so that a batch's strips
    // are about as wide as its widest and little of the model's work is padding (in image
    // order, batched within chunks of 64, a third of it was: the bench's 1080p screen 50,666
    // columns read for 37,115 of strips). Chunks keep memory bounded and let progress be
    // reported.
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by_cached_key(|&i| strip_width(&quads[i]));
    let mut done = 0;
    for chunk in order.chunks(CHUNK) {
        let qs: Vec<Quad> = chunk.iter().map(|&i| quads[i]).collect();
        let strips = cropped(&qs, timings);
        for ((decoded, step), (&i, s)) in recognize(model, weights, &strips, timings)?
            .into_iter()
            .zip(chunk.iter().zip(&strips))
        {
            let q = &quads[i];
            let inked = ink(s);
            let gaps = dropped(&decoded, step, &inked);
            let (rows, line_quad, span) = fit_to_ink(q, s, &inked);
            let line = to_fitted_line(&decoded, alphabet, (&rows, &line_quad), span, s.width, step);
            if !gaps.is_empty() {
                gappy.push(Gappy {
                    i,
                    gaps,
                    decoded,
                    step,
                    fit: (rows, line_quad, span),
                    width: s.width,
                });
            }
            lines[i] = line.map(|l| TextLine {
                detected: Some(*q),
                ..l
            });
        }
        done += chunk.len();
        progress(done, total);
    }
    // Those lines are read again from the image a little smaller (softer strokes), and what
    // that reading finds in the stretches is put in.
    timings.read_again_lines += gappy.len();
    if !gappy.is_empty() {
        let postal_mark = alphabet.iter().position(|s| s == "〒");
        let (w, h) = (
            ((image.width as f32 * SECOND_SCALE).round() as u32).max(1),
            ((image.height as f32 * SECOND_SCALE).round() as u32).max(1),
        );
        let (fx, fy) = (
            w as f32 / image.width as f32,
            h as f32 / image.height as f32,
        );
        let start = now_ms();
        let smaller = Image {
            width: w,
            height: h,
            rgba: super::detect::scaled_window(image, w, h, (0, 0, w, h))
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
        };
        let strips: Vec<Strip> = gappy
            .iter()
            .map(|g| crop(&smaller, &quads[g.i].map(|p| [p[0] * fx, p[1] * fy])))
            .collect();
        timings.recognize_prepare_ms += now_ms() - start;
        for ((again, step_again), g) in recognize(model, weights, &strips, timings)?
            .into_iter()
            .zip(gappy)
        {
            let mut filled = fill(g.decoded, g.step, &again, step_again, &g.gaps, alphabet);
            if let Some(mark) = postal_mark {
                restore_postal_mark(&mut filled, g.step, &g.gaps, alphabet, mark);
            }
            let (rows, line_quad, span) = g.fit;
            if let Some(l) = to_fitted_line(
                &filled,
                alphabet,
                (&rows, &line_quad),
                span,
                g.width,
                g.step,
            ) {
                lines[g.i] = Some(TextLine {
                    detected: Some(quads[g.i]),
                    ..l
                });
            }
        }
    }
    let doubtful: Vec<usize> = (0..total)
        .filter(|&i| lines[i].as_ref().is_none_or(|l| l.confidence < RETRY_BELOW))
        .collect();
    if !doubtful.is_empty() {
        let turned: Vec<Quad> = doubtful.iter().map(|&i| upside_down(&quads[i])).collect();
        let strips = cropped(&turned, timings);
        // The turned readings better than the upright ones: (line, reading, by how much).
        let mut better: Vec<(usize, TextLine, f32)> = Vec::new();
        for ((decoded, step), (&i, (q, s))) in recognize(model, weights, &strips, timings)?
            .iter()
            .zip(doubtful.iter().zip(turned.iter().zip(&strips)))
        {
            let (rows, fitted, span) = fit_to_ink(q, s, &ink(s));
            if let Some(line) =
                to_fitted_line(decoded, alphabet, (&rows, &fitted), span, s.width, *step)
            {
                let gain = lines[i]
                    .as_ref()
                    .map_or(f32::INFINITY, |l| line.confidence - l.confidence);
                if gain > TURNED_GAIN {
                    better.push((i, line, gain));
                }
            }
        }
        // On a page read mostly upright, a line read better turned is usually a short or
        // blurred one that reads as something either way up (オカダ タクヤ as 466648): there
        // the turned reading must be clearly better.
        let upright_page = better.len() * 2 < total;
        for (i, line, gain) in better {
            if !upright_page || gain > TURNED_GAIN_ON_UPRIGHT_PAGE {
                lines[i] = Some(TextLine {
                    detected: Some(quads[i]),
                    ..line
                });
            }
        }
    }
    Ok(lines.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(symbol: usize, first: usize, last: usize) -> Decoded {
        Decoded {
            symbol,
            prob: 0.9,
            first,
            last,
            alternatives: Vec::new(),
        }
    }

    #[test]
    fn a_character_the_model_dropped_is_put_in_from_the_second_reading() {
        // Steps of 8 strip pixels; characters read at 12, 28, 44 and 92: nothing over 52..84,
        // which holds ink (columns 4..100 inked).
        let read = vec![at(1, 1, 1), at(2, 3, 3), at(3, 5, 5), at(4, 11, 11)];
        let ink = Ink {
            rows: vec![true; HEIGHT],
            columns: (0..110).map(|u| (4..100).contains(&u)).collect(),
        };
        let gaps = dropped(&read, 8.0, &ink);
        assert_eq!(gaps, vec![(52.0, 84.0)]);
        // Without ink there, it is a space: nothing to look for.
        let blank = Ink {
            rows: vec![true; HEIGHT],
            columns: (0..110)
                .map(|u| (4..50).contains(&u) || (86..100).contains(&u))
                .collect(),
        };
        assert!(dropped(&read, 8.0, &blank).is_empty());
        // The second reading (steps of 4 pixels) has 9 at 68, unsure; the character before it
        // read again a little further along (3 at 54) is not a new one; a space is not put in.
        let alphabet: Vec<String> = ["", "a", "b", "c", "d", "", "", "", "", "x", " "]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let again = vec![
            Decoded {
                prob: 0.3,
                ..at(9, 16, 16)
            },
            at(3, 13, 13),
            at(10, 18, 18),
        ];
        let filled = fill(read, 8.0, &again, 4.0, &gaps, &alphabet);
        let text: String = filled.iter().map(|d| alphabet[d.symbol].as_str()).collect();
        assert_eq!(text, "abcxd");
        assert_eq!((filled[3].first, filled[3].last), (8, 8));
    }

    #[test]
    fn a_dropped_postal_mark_is_put_back_before_a_postal_code() {
        let alphabet: Vec<String> = ["", "〒", "1", "2", "-", "東"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // "112-2211東" read from step 4 on; ink from strip pixel 4 (step 0.5) on: a leading
        // gap of a character's width.
        let symbols = [2, 2, 3, 4, 3, 3, 2, 2, 5];
        let read: Vec<Decoded> = symbols
            .iter()
            .enumerate()
            .map(|(k, &s)| at(s, 4 + 2 * k, 4 + 2 * k))
            .collect();
        let ink = Ink {
            rows: vec![true; HEIGHT],
            columns: (0..200).map(|u| (4..180).contains(&u)).collect(),
        };
        let gaps = dropped(&read, 8.0, &ink);
        assert_eq!(gaps.first().map(|g| g.0), Some(4.0), "{gaps:?}");
        let mut restored = read.clone();
        restore_postal_mark(&mut restored, 8.0, &gaps, &alphabet, 1);
        let text: String = restored
            .iter()
            .map(|d| alphabet[d.symbol].as_str())
            .collect();
        assert_eq!(text, "〒112-2211東");
        assert!(restored[0].last < restored[1].first);
        // Not before anything else, and not without the gap.
        let mut other: Vec<Decoded> = read[..3].to_vec();
        restore_postal_mark(&mut other, 8.0, &gaps, &alphabet, 1);
        assert_eq!(other.len(), 3);
        let mut no_gap = read.clone();
        restore_postal_mark(&mut no_gap, 8.0, &[], &alphabet, 1);
        assert_eq!(no_gap.len(), read.len());
    }

    #[test]
    fn ctc_merges_repeats_and_drops_blanks() {
        // 6 steps over 3 classes (0 = blank): a a _ a b b → "a", "a", "b".
        let one_hot = |c: usize| {
            (0..3)
                .map(|i| if i == c { 0.9 } else { 0.05 })
                .collect::<Vec<f32>>()
        };
        let probs: Vec<f32> = [1, 1, 0, 1, 2, 2]
            .iter()
            .flat_map(|&c| one_hot(c))
            .collect();
        let d = ctc_greedy(&probs, 6, 3, &[1.0; 3]);
        let symbols: Vec<usize> = d.iter().map(|d| d.symbol).collect();
        assert_eq!(symbols, [1, 1, 2]);
        assert_eq!((d[0].first, d[0].last), (0, 1));
        assert_eq!((d[2].first, d[2].last), (4, 5));
    }

    #[test]
    fn an_unsure_blank_yields_to_a_new_symbol_but_not_to_a_repeat() {
        // Steps: l, (blank 0.5 | l 0.4), l, (blank 0.5 | a 0.4): "ll" stays double, "a" is kept.
        let probs = [
            0.05, 0.9, 0.05, 0.5, 0.4, 0.1, 0.05, 0.9, 0.05, 0.5, 0.1, 0.4,
        ];
        let d = ctc_greedy(&probs, 4, 3, &[1.0; 3]);
        assert_eq!(d.iter().map(|d| d.symbol).collect::<Vec<_>>(), [1, 1, 2]);
    }

    #[test]
    fn character_quads_tile_the_line_in_order() {
        let alphabet: Vec<String> = ["blank", "氏", "名", ":", "山", "田"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let decoded: Vec<Decoded> = (0..5)
            .map(|i| Decoded {
                symbol: i + 1,
                prob: 0.9,
                first: i * 4 + 1,
                last: i * 4 + 2,
                alternatives: Vec::new(),
            })
            .collect();
        let quad = [[100.0, 10.0], [300.0, 10.0], [300.0, 30.0], [100.0, 30.0]];
        let line = to_line(&decoded, &alphabet, &quad, 160, 8.0).unwrap();
        assert_eq!(line.text, "氏名:山田");
        for pair in line.chars.windows(2) {
            assert!(
                (pair[0].quad[1][0] - pair[1].quad[0][0]).abs() < 1e-3,
                "neighbours share an edge"
            );
        }
        let last = &line.chars[4].quad;
        assert!(last[0][0] > 250.0 && last[1][0] <= 300.0, "{last:?}");
    }
}
