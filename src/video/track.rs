//! Tracks: each piece of personal data found in the frames that were read, carried over every
//! frame it is on screen.
//!
//! A finding moves with the blocks under it (still, or moved by the frame's scroll) and is
//! held, forwards and backwards in time, until the content it covered is gone (most of its
//! blocks replaced) or has left the frame. Findings of consecutive reads that line up (same
//! category, overlapping once carried) are one track, and every frame between two sightings
//! is covered, whatever changed in between. Shifted quads grow a little with each step, as
//! the motion is measured in whole pixels.

use std::collections::BTreeMap;

use serde::Serialize;

use super::keys::SMALL_CHANGE;
use super::motion::{FrameMotion, Grid, CHANGED, MOVED, SAME};
use crate::detection::ocr::Quad;
use crate::geometry::quad_box as bbox;
use crate::pii::{Category, Finding, Tier};

/// Sightings this far apart in box overlap (IoU) are the same thing.
const SAME_TRACK_IOU: f32 = 0.3;
/// A face that moved on its own (a person walking: its blocks change, so it cannot be carried
/// with them) is the same face at the next read when its centre moved at most
/// `MOVING_REACH + MOVING_REACH_PER_FRAME × frames between` of its sizes and its size changed at
/// most by this factor; the frames between are covered by the box moved in a straight line,
/// grown by [`MOVING_MARGIN`] of its size. Joining two different people by mistake only masks
/// more.
const MOVING_REACH: f32 = 2.0;
const MOVING_REACH_PER_FRAME: f32 = 0.15;
const MOVING_SIZE_RATIO: f32 = 2.0;
const MOVING_MARGIN: f32 = 0.25;
/// Before its first read and after its last one, a face seen moving (two reads or more) is
/// covered by its box moved on at its measured speed, grown by [`MOVING_MARGIN`] of its size
/// plus this share of its size for every frame away from the read (it may turn or stop), up
/// to the neighbouring read (which did not see it) or until it leaves the frame.
const EXTRAPOLATE_GROWTH: f32 = 0.03;
/// Growth of a carried quad per moving step, in pixels, and its limit.
const DRIFT: f32 = 0.5;
const DRIFT_LIMIT: f32 = 8.0;

/// Frame geometry and motion for tracking.
pub struct Motion<'a> {
    pub width: f32,
    pub height: f32,
    pub grid: Grid,
    /// One entry per frame; entry `i` relates frame `i - 1` to frame `i`.
    pub frames: &'a [FrameMotion],
}

/// A run of frames `from..=to` in which a track is masked by `quad`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Span {
    pub from: usize,
    pub to: usize,
    pub quad: Quad,
}

/// One piece of personal data over time.
#[derive(Clone, Debug, Serialize)]
pub struct Track {
    pub id: usize,
    pub category: Category,
    pub tier: Tier,
    pub text: String,
    pub reason: String,
    pub score: f32,
    /// First and last frame it is masked in.
    pub first: usize,
    pub last: usize,
    /// The frames that were read and found it.
    pub sightings: Vec<usize>,
    pub spans: Vec<Span>,
}

pub fn iou(a: &Quad, b: &Quad) -> f32 {
    let (a, b) = (bbox(a), bbox(b));
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area = |r: [f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let union = area(a) + area(b) - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

fn shifted(q: &Quad, dx: f32, dy: f32) -> Quad {
    q.map(|p| [p[0] + dx, p[1] + dy])
}

/// `q` grown by `by` pixels away from its centre on every side (corners move diagonally).
fn grown(q: &Quad, by: f32) -> Quad {
    let cx = q.iter().map(|p| p[0]).sum::<f32>() / 4.0;
    let cy = q.iter().map(|p| p[1]).sum::<f32>() / 4.0;
    q.map(|p| {
        [
            p[0] + by * (p[0] - cx).signum(),
            p[1] + by * (p[1] - cy).signum(),
        ]
    })
}

/// How far a face box `b` is from `a` in units of its size, when it could be the same face
/// having moved (within `reach` sizes, see [`MOVING_REACH`]); `None` when too far or too
/// different in size.
fn moved_face_distance(a: &Quad, b: &Quad, reach: f32) -> Option<f32> {
    let (a, b) = (bbox(a), bbox(b));
    let size = |r: [f32; 4]| (r[2] - r[0]).max(r[3] - r[1]).max(1.0);
    let ratio = size(a) / size(b);
    if !(1.0 / MOVING_SIZE_RATIO..=MOVING_SIZE_RATIO).contains(&ratio) {
        return None;
    }
    let centre = |r: [f32; 4]| [(r[0] + r[2]) / 2.0, (r[1] + r[3]) / 2.0];
    let (ca, cb) = (centre(a), centre(b));
    let d = ((ca[0] - cb[0]).powi(2) + (ca[1] - cb[1]).powi(2)).sqrt() / size(a).max(size(b));
    (d <= reach).then_some(d)
}

/// The box of a face seen as `a` at frame `from` and as `b` at frame `to`, moved on (or back)
/// at that speed to frame `i` outside that span, grown for the uncertainty (see
/// [`EXTRAPOLATE_GROWTH`]).
fn beyond(a: &Quad, b: &Quad, from: usize, to: usize, i: usize) -> Quad {
    let (ra, rb) = (bbox(a), bbox(b));
    let frames = (to as f32 - from as f32).max(1.0);
    // Measured from the nearer sighting.
    let (base, t) = if i < from {
        (ra, i as f32 - from as f32)
    } else {
        (rb, i as f32 - to as f32)
    };
    let r: Vec<f32> = (0..4)
        .map(|c| base[c] + (rb[c] - ra[c]) / frames * t)
        .collect();
    let size = (r[2] - r[0]).max(r[3] - r[1]);
    let margin = size * (MOVING_MARGIN + EXTRAPOLATE_GROWTH * t.abs());
    grown(
        &[[r[0], r[1]], [r[2], r[1]], [r[2], r[3]], [r[0], r[3]]],
        margin,
    )
}

/// The box of a face seen as `a` at frame `from` and as `b` at frame `to`, at frame `i` between:
/// moved in a straight line and grown by [`MOVING_MARGIN`] of its size (people do not walk in
/// straight lines).
fn between(a: &Quad, b: &Quad, from: usize, to: usize, i: usize) -> Quad {
    let t = (i - from) as f32 / (to - from).max(1) as f32;
    let (ra, rb) = (bbox(a), bbox(b));
    let r: Vec<f32> = (0..4).map(|c| ra[c] + (rb[c] - ra[c]) * t).collect();
    let margin = MOVING_MARGIN * (r[2] - r[0]).max(r[3] - r[1]);
    grown(
        &[[r[0], r[1]], [r[2], r[1]], [r[2], r[3]], [r[0], r[3]]],
        margin,
    )
}

impl Motion<'_> {
    /// Counts of block states (same, moved, changed, flat) in frame `frame`'s grid under box `b`
    /// (full-resolution pixels); `None` when the box is outside the frame.
    fn states(&self, frame: usize, b: [f32; 4]) -> Option<[usize; 4]> {
        let g = self.grid;
        let x0 = (b[0].max(0.0) / g.size).floor() as isize;
        let y0 = (b[1].max(0.0) / g.size).floor() as isize;
        let x1 = ((b[2].min(self.width - 1.0)) / g.size).floor() as isize;
        let y1 = ((b[3].min(self.height - 1.0)) / g.size).floor() as isize;
        if b[2] < 0.0
            || b[3] < 0.0
            || b[0] >= self.width
            || b[1] >= self.height
            || x1 < x0
            || y1 < y0
        {
            return None;
        }
        let mut counts = [0usize; 4];
        let blocks = &self.frames[frame].blocks;
        for y in y0.max(0) as usize..=(y1 as usize).min(g.rows - 1) {
            for x in x0.max(0) as usize..=(x1 as usize).min(g.cols - 1) {
                counts[blocks[y * g.cols + x] as usize] += 1;
            }
        }
        Some(counts)
    }

    /// Whether content under blocks with these state counts survived into frame `frame`: not
    /// when most of them changed, unless the whole frame changed only a little (a pointer
    /// passing over it, a character typed: the rest of the text is still there).
    fn still_there(&self, frame: usize, counts: [usize; 4]) -> bool {
        let total: usize = counts.iter().sum();
        counts[CHANGED as usize] * 2 <= total || self.frames[frame].count(CHANGED) <= SMALL_CHANGE
    }

    /// Carries `q` from frame `from` to the next frame in `direction` (+1 or −1). Returns the
    /// quad there, whether it moved, and whether its content is still there.
    fn step(&self, q: &Quad, from: usize, forward: bool) -> Option<(Quad, bool, bool)> {
        let (later, [dx, dy]) = if forward {
            (from + 1, self.frames[from + 1].shift)
        } else {
            (from, self.frames[from].shift)
        };
        let (dx, dy) = (dx as f32, dy as f32);
        let b = bbox(q);
        if forward {
            let still = self.states(later, b);
            let moved = if dx != 0.0 || dy != 0.0 {
                self.states(later, [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy])
            } else {
                None
            };
            let still_score = still.map_or(0, |c| c[SAME as usize]);
            let moved_score = moved.map_or(0, |c| c[MOVED as usize]);
            let (counts, go) = if moved.is_some() && moved_score > still_score {
                (moved?, true)
            } else {
                (still?, false)
            };
            let there = self.still_there(later, counts);
            let q = if go { shifted(q, dx, dy) } else { *q };
            Some((q, go, there))
        } else {
            let counts = self.states(later, b)?;
            let go = (dx != 0.0 || dy != 0.0) && counts[MOVED as usize] > counts[SAME as usize];
            let there = self.still_there(later, counts);
            let q = if go { shifted(q, -dx, -dy) } else { *q };
            Some((q, go, there))
        }
    }

    /// The quads of `q` (seen in frame `start`) in the following (or preceding) frames, up to
    /// frame `until` (inclusive), while it stays in the frame, and how many of those frames
    /// still show the content it covered (the frames after are only the carried place).
    fn carry(&self, q: &Quad, start: usize, until: usize, forward: bool) -> (Vec<Carried>, usize) {
        let mut out = Vec::new();
        let mut there = usize::MAX;
        let (mut current, mut drift, mut i) = (*q, 0.0f32, start);
        while (forward && i < until) || (!forward && i > until) {
            let Some((next, moved, still_there)) = self.step(&current, i, forward) else {
                break;
            };
            i = if forward { i + 1 } else { i - 1 };
            if moved {
                drift = (drift + DRIFT).min(DRIFT_LIMIT);
            }
            if !still_there && there == usize::MAX {
                there = out.len();
            }
            current = next;
            out.push(Carried {
                frame: i,
                quad: current,
                drift,
            });
        }
        let there = there.min(out.len());
        (out, there)
    }
}

/// A quad carried to `frame`, and by how much to grow it there (motion is whole pixels).
#[derive(Clone, Copy)]
struct Carried {
    frame: usize,
    quad: Quad,
    drift: f32,
}

impl Carried {
    fn masked(&self) -> (usize, Quad) {
        (
            self.frame,
            if self.drift > 0.0 {
                grown(&self.quad, self.drift)
            } else {
                self.quad
            },
        )
    }
}

struct Building {
    first: Finding,
    sightings: Vec<(usize, Finding)>,
    quads: Vec<(usize, Quad)>,
}

/// Tracks from the findings of the frames that were read (`keys`: frame → findings).
pub fn build(motion: &Motion, keys: &BTreeMap<usize, Vec<Finding>>) -> Vec<Track> {
    let last_frame = motion.frames.len().saturating_sub(1);
    let mut tracks: Vec<Building> = Vec::new();
    // Tracks still open, with their quad carried to the frame being looked at.
    let mut open: Vec<usize> = Vec::new();
    let mut previous_key: Option<usize> = None;
    for (&k, findings) in keys {
        if k > last_frame {
            continue;
        }
        // Carry every open track from its last sighting to this read.
        let mut carried: Vec<(usize, Vec<Carried>, usize)> = Vec::new();
        for &t in &open {
            let (at, f) = tracks[t].sightings.last().unwrap();
            let (path, there) = motion.carry(&f.quad, *at, k, true);
            carried.push((t, path, there));
        }
        let mut matched = vec![false; carried.len()];
        let mut next_open = Vec::new();
        for f in findings {
            let best = carried
                .iter()
                .enumerate()
                .filter(|(j, (t, path, _))| {
                    !matched[*j]
                        && tracks[*t].first.category == f.category
                        && path.last().is_some_and(|c| c.frame == k)
                })
                .map(|(j, (_, path, _))| (j, iou(&path.last().unwrap().quad, &f.quad)))
                .filter(|(_, o)| *o >= SAME_TRACK_IOU)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            // A face that moved by itself: the nearest open face of a similar size in reach.
            let moving = if best.is_none() && f.category == Category::Face {
                carried
                    .iter()
                    .enumerate()
                    .filter(|(j, (t, _, _))| {
                        !matched[*j] && tracks[*t].first.category == f.category
                    })
                    .filter_map(|(j, (t, _, _))| {
                        let (at, seen) = tracks[*t].sightings.last().unwrap();
                        let reach = MOVING_REACH + MOVING_REACH_PER_FRAME * (k - at) as f32;
                        moved_face_distance(&seen.quad, &f.quad, reach).map(|d| (j, d))
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))
            } else {
                None
            };
            let t = match (best, moving) {
                (None, Some((j, _))) => {
                    matched[j] = true;
                    let (t, path, _) = &carried[j];
                    let (from, seen) = tracks[*t].sightings.last().unwrap().clone();
                    tracks[*t]
                        .quads
                        .extend(path.iter().filter(|c| c.frame <= k).map(Carried::masked));
                    tracks[*t].quads.extend(
                        ((from + 1)..k).map(|i| (i, between(&seen.quad, &f.quad, from, k, i))),
                    );
                    *t
                }
                (Some((j, _)), _) => {
                    matched[j] = true;
                    let (t, path, _) = &carried[j];
                    // Seen again: every frame in between (and this one) is covered, carried
                    // from the last sighting and back from this one.
                    tracks[*t]
                        .quads
                        .extend(path.iter().filter(|c| c.frame <= k).map(Carried::masked));
                    let from = tracks[*t].sightings.last().unwrap().0;
                    let (back, _) = motion.carry(&f.quad, k, from, false);
                    tracks[*t].quads.extend(back.iter().map(Carried::masked));
                    *t
                }
                (None, None) => {
                    // New: held backwards while its content was on screen.
                    let (back, there) = motion.carry(&f.quad, k, 0, false);
                    tracks.push(Building {
                        first: f.clone(),
                        sightings: Vec::new(),
                        quads: back[..there].iter().map(Carried::masked).collect(),
                    });
                    tracks.len() - 1
                }
            };
            tracks[t].sightings.push((k, f.clone()));
            tracks[t].quads.push((k, f.quad));
            next_open.push(t);
        }
        // Not seen again (gone, or missed by this read): held forwards while its content stays,
        // beyond this read if need be.
        for (j, (t, _, _)) in carried.into_iter().enumerate() {
            if !matched[j] {
                let (at, f) = tracks[t].sightings.last().unwrap().clone();
                let (path, there) = motion.carry(&f.quad, at, last_frame, true);
                tracks[t]
                    .quads
                    .extend(path[..there].iter().map(Carried::masked));
            }
        }
        open = next_open;
        previous_key = Some(k);
    }
    if let Some(k) = previous_key {
        for &t in &open {
            let (at, f) = tracks[t].sightings.last().unwrap().clone();
            let (path, there) = motion.carry(&f.quad, at, last_frame, true);
            debug_assert!(at <= k);
            tracks[t]
                .quads
                .extend(path[..there].iter().map(Carried::masked));
        }
    }
    // Faces seen moving: covered before the first read and after the last one too.
    let reads: Vec<usize> = keys.keys().copied().filter(|&k| k <= last_frame).collect();
    for b in tracks
        .iter_mut()
        .filter(|b| b.first.category == Category::Face && b.sightings.len() >= 2)
    {
        let n = b.sightings.len();
        let (f0, a0) = (b.sightings[0].0, b.sightings[0].1.quad);
        let (f1, a1) = (b.sightings[1].0, b.sightings[1].1.quad);
        let (g0, c0) = (b.sightings[n - 2].0, b.sightings[n - 2].1.quad);
        let (g1, c1) = (b.sightings[n - 1].0, b.sightings[n - 1].1.quad);
        if bbox(&a0) == bbox(&a1) && bbox(&c0) == bbox(&c1) {
            continue;
        }
        let start = reads.iter().rev().find(|&&k| k < f0).map_or(0, |&k| k + 1);
        for i in (start..f0).rev() {
            let q = beyond(&a0, &a1, f0, f1, i);
            if !motion.shows(&q) {
                break;
            }
            b.quads.push((i, q));
        }
        let end = reads
            .iter()
            .find(|&&k| k > g1)
            .map_or(last_frame, |&k| k - 1);
        for i in (g1 + 1)..=end {
            let q = beyond(&c0, &c1, g0, g1, i);
            if !motion.shows(&q) {
                break;
            }
            b.quads.push((i, q));
        }
    }
    tracks
        .into_iter()
        .enumerate()
        .map(|(id, b)| finish(id, b))
        .collect()
}

impl Motion<'_> {
    /// Does any of the quad lie in the frame?
    fn shows(&self, q: &Quad) -> bool {
        let r = bbox(q);
        r[2] > 0.0 && r[3] > 0.0 && r[0] < self.width && r[1] < self.height
    }
}

fn finish(id: usize, mut b: Building) -> Track {
    b.quads.sort_by(|a, c| {
        a.0.cmp(&c.0)
            .then(a.1.partial_cmp(&c.1).unwrap_or(std::cmp::Ordering::Equal))
    });
    b.quads.dedup();
    // Runs of consecutive frames with the same quad become one span.
    let mut spans: Vec<Span> = Vec::new();
    for (i, q) in b.quads {
        if let Some(s) = spans
            .iter_mut()
            .rev()
            .take(4)
            .find(|s| s.quad == q && s.to + 1 == i)
        {
            s.to = i;
        } else {
            spans.push(Span {
                from: i,
                to: i,
                quad: q,
            });
        }
    }
    let first = spans.iter().map(|s| s.from).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.to).max().unwrap_or(0);
    let best = b
        .sightings
        .iter()
        .map(|(_, f)| f)
        .max_by(|a, c| a.score.total_cmp(&c.score))
        .unwrap_or(&b.first);
    Track {
        id,
        category: b.first.category,
        tier: b.first.tier,
        text: best.text.clone(),
        reason: best.reason.clone(),
        score: best.score,
        first,
        last,
        sightings: b.sightings.iter().map(|(i, _)| *i).collect(),
        spans,
    }
}

/// For every frame, the quads (and their track) to mask: `frames[i]` lists frame `i`'s.
pub fn per_frame(tracks: &[Track], frame_count: usize) -> Vec<Vec<(usize, Quad)>> {
    let mut frames = vec![Vec::new(); frame_count];
    for t in tracks {
        for s in &t.spans {
            for f in frames.iter_mut().take(s.to + 1).skip(s.from) {
                f.push((t.id, s.quad));
            }
        }
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::motion::{Grid, CHANGED, MOVED, SAME};

    const GRID: Grid = Grid {
        cols: 10,
        rows: 10,
        size: 10.0,
    };

    fn finding(x: f32, y: f32) -> Finding {
        Finding {
            category: Category::Name,
            tier: Tier::Must,
            text: "山田 太郎".into(),
            quad: [[x, y], [x + 20.0, y], [x + 20.0, y + 8.0], [x, y + 8.0]],
            score: 0.9,
            reason: "test".into(),
        }
    }

    fn still() -> FrameMotion {
        FrameMotion {
            shift: [0, 0],
            blocks: vec![SAME; 100],
        }
    }

    fn scroll(dy: i32) -> FrameMotion {
        let mut blocks = vec![MOVED; 100];
        blocks[90..].fill(CHANGED);
        FrameMotion {
            shift: [0, dy],
            blocks,
        }
    }

    fn covered(tracks: &[Track], frame: usize) -> Vec<Quad> {
        per_frame(tracks, frame + 1)[frame]
            .iter()
            .map(|(_, q)| *q)
            .collect()
    }

    /// Camera footage: every block changes in every one of `n` frames.
    fn footage(n: usize) -> Vec<FrameMotion> {
        (0..n)
            .map(|_| FrameMotion {
                shift: [0, 0],
                blocks: vec![CHANGED; 100],
            })
            .collect()
    }

    /// The motion of a 100×100 video made of `frames`.
    fn motion_of(frames: &[FrameMotion]) -> Motion<'_> {
        Motion {
            width: 100.0,
            height: 100.0,
            grid: GRID,
            frames,
        }
    }

    /// A 12×15 face with its left edge at `x`.
    fn face_at(x: f32) -> Finding {
        Finding {
            category: Category::Face,
            tier: Tier::Must,
            text: String::new(),
            quad: [[x, 40.0], [x + 12.0, 40.0], [x + 12.0, 55.0], [x, 55.0]],
            score: 0.8,
            reason: "face (detector score 0.80)".into(),
        }
    }

    /// Is `truth` wholly inside one of the quads masked in `frame`?
    fn wholly_covered(tracks: &[Track], frame: usize, truth: &Quad) -> bool {
        let t = bbox(truth);
        covered(tracks, frame).iter().any(|q| {
            let c = bbox(q);
            c[0] <= t[0] && c[1] <= t[1] && c[2] >= t[2] && c[3] >= t[3]
        })
    }

    #[test]
    fn a_face_walking_between_reads_is_covered_on_its_way() {
        let frames = footage(40);
        let m = motion_of(&frames);
        // Read at 0 (x = 10), 20 (x = 30) and 39 (x = 50): 1 px per frame.
        let keys = BTreeMap::from([
            (0, vec![face_at(10.0)]),
            (20, vec![face_at(30.0)]),
            (39, vec![face_at(50.0)]),
        ]);
        let tracks = build(&m, &keys);
        assert_eq!(tracks.len(), 1, "{tracks:?}");
        assert_eq!(tracks[0].sightings, vec![0, 20, 39]);
        for i in 0..40 {
            let x = if i <= 20 {
                10.0 + i as f32
            } else {
                30.0 + (i - 20) as f32 * 20.0 / 19.0
            };
            assert!(
                wholly_covered(&tracks, i, &face_at(x).quad),
                "frame {i}: face at x = {x} not covered by {:?}",
                covered(&tracks, i)
            );
        }
        // Text that moves by itself is not joined this way (it is another line).
        let keys = BTreeMap::from([
            (0, vec![finding(10.0, 40.0)]),
            (20, vec![finding(30.0, 40.0)]),
        ]);
        assert_eq!(build(&m, &keys).len(), 2);
    }

    #[test]
    fn a_walking_face_is_covered_before_its_first_read_and_after_its_last() {
        // 60 frames; a face walks right at 1 px per frame (x = 10 + i) and is read at frames
        // 10, 25 and 39 only.
        let frames = footage(60);
        let m = motion_of(&frames);
        let face = |i: usize| face_at(10.0 + i as f32);
        let keys = BTreeMap::from([
            (10, vec![face(10)]),
            (25, vec![face(25)]),
            (39, vec![face(39)]),
        ]);
        let tracks = build(&m, &keys);
        assert_eq!(tracks.len(), 1, "{tracks:?}");
        for i in 0..60 {
            assert!(
                wholly_covered(&tracks, i, &face(i).quad),
                "frame {i}: face not covered by {:?}",
                covered(&tracks, i)
            );
        }
        // A read that did not see it bounds the guess: nothing before frame 5 when frame 4
        // was read and showed no face.
        let mut keys = keys;
        keys.insert(4, Vec::new());
        let tracks = build(&m, &keys);
        assert!((0..=4).all(|i| covered(&tracks, i).is_empty()));
        assert!(!covered(&tracks, 5).is_empty());
    }

    #[test]
    fn a_still_finding_covers_every_frame_it_is_on_screen() {
        let mut frames = vec![FrameMotion {
            shift: [0, 0],
            blocks: vec![CHANGED; 100],
        }];
        frames.extend((1..20).map(|_| still()));
        // The screen changes entirely at frame 20.
        frames.push(FrameMotion {
            shift: [0, 0],
            blocks: vec![CHANGED; 100],
        });
        frames.extend((21..30).map(|_| still()));
        let m = motion_of(&frames);
        let keys = BTreeMap::from([(5, vec![finding(30.0, 30.0)]), (25, vec![])]);
        let tracks = build(&m, &keys);
        assert_eq!(tracks.len(), 1);
        // Backwards to frame 1 (frame 0 → 1 is "same"; frame 0 itself shows it too, as the
        // change into frame 0 is the video's start), forwards to frame 19.
        assert_eq!((tracks[0].first, tracks[0].last), (0, 19));
        assert_eq!(covered(&tracks, 12), vec![finding(30.0, 30.0).quad]);
        assert!(covered(&tracks, 20).is_empty());
    }

    #[test]
    fn a_finding_moves_with_a_scroll_and_sightings_are_joined() {
        let mut frames = vec![FrameMotion {
            shift: [0, 0],
            blocks: vec![CHANGED; 100],
        }];
        frames.extend((1..10).map(|_| scroll(-3)));
        let m = motion_of(&frames);
        let keys = BTreeMap::from([
            (0, vec![finding(40.0, 60.0)]),
            (9, vec![finding(40.0, 33.0)]),
        ]);
        let tracks = build(&m, &keys);
        assert_eq!(tracks.len(), 1, "{tracks:#?}");
        assert_eq!(tracks[0].sightings, vec![0, 9]);
        for i in 0..10 {
            let want = finding(40.0, 60.0 - 3.0 * i as f32).quad;
            let got = covered(&tracks, i);
            let inside = |q: &Quad| {
                let (b, w) = (bbox(q), bbox(&want));
                b[0] <= w[0]
                    && b[1] <= w[1]
                    && b[2] >= w[2]
                    && b[3] >= w[3]
                    && (b[2] - b[0]) * (b[3] - b[1]) <= 3.0 * 160.0
            };
            assert!(got.iter().any(inside), "frame {i}: {got:?}");
        }
    }

    #[test]
    fn content_changed_under_a_finding_ends_it() {
        let mut frames = vec![FrameMotion {
            shift: [0, 0],
            blocks: vec![CHANGED; 100],
        }];
        frames.extend((1..6).map(|_| still()));
        let mut popup = still();
        for y in 2..5 {
            for x in 1..6 {
                popup.blocks[y * 10 + x] = CHANGED;
            }
        }
        frames.push(popup);
        frames.extend((7..12).map(|_| still()));
        let m = motion_of(&frames);
        let keys = BTreeMap::from([(0, vec![finding(25.0, 30.0), finding(25.0, 80.0)])]);
        let tracks = build(&m, &keys);
        assert_eq!(tracks.len(), 2);
        assert_eq!(tracks[0].last, 5, "covered by the popup at frame 6");
        assert_eq!(tracks[1].last, 11, "untouched: held to the end");
    }
}
