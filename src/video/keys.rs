//! Which frames to read (OCR + detectors): reading every frame is far too slow, skipping
//! frames blindly leaks. The picker compares each frame with the last frame read: when the
//! content differs and has settled, or has kept changing for a while, or a scroll has moved a
//! third of the frame, the frame is read. The first frame, and the last one if it differs from
//! the last read, are always read. Tracking then carries what was found forwards and backwards
//! over the frames in between (see [`super::track`]), so anything on screen in a frame that
//! was read, before or after, is covered in every frame it stays on screen.
//!
//! Small differences (at most [`SMALL_CHANGE`] blocks: a pointer, a ticking clock, a word
//! typed) are read at most every [`SMALL_WAIT`] seconds; larger ones as soon as they settle,
//! and at least every [`LARGE_WAIT`] seconds while they keep changing. What this can miss: a
//! small piece of text shown for less than [`SMALL_WAIT`] seconds, or anything shown for less
//! than [`LARGE_WAIT`] while the picture never stops changing.

use super::motion::{FrameMotion, CHANGED};

/// Differences from the last frame read touching at most this many blocks are small.
pub const SMALL_CHANGE: usize = 8;
/// A moving pointer changes at most this many blocks a frame; it does not keep a frame from
/// counting as settled.
pub const POINTER: usize = 4;
/// Longest wait, in seconds, before small and large differences are read.
pub const SMALL_WAIT: f32 = 3.0;
pub const LARGE_WAIT: f32 = 1.0;

pub struct KeyPicker {
    fps: f32,
    height: f32,
    last_key: Option<usize>,
    pending_since: Option<usize>,
    moved: f32,
    /// Frames in a row that were settled.
    still: usize,
}

impl KeyPicker {
    pub fn new(fps: f32, height: u32) -> KeyPicker {
        KeyPicker {
            fps: if fps.is_finite() && fps > 0.0 {
                fps
            } else {
                30.0
            },
            height: height as f32,
            last_key: None,
            pending_since: None,
            moved: 0.0,
            still: 0,
        }
    }

    fn frames(&self, seconds: f32) -> usize {
        (seconds * self.fps).round().max(1.0) as usize
    }

    /// Takes frame `i`'s motion and how many blocks differ from the last frame read (`None`
    /// when the picture moved since); true when frame `i` should be read.
    pub fn push(&mut self, i: usize, m: &FrameMotion, from_key: Option<usize>) -> bool {
        let Some(last) = self.last_key else {
            return self.key(i);
        };
        self.moved += (m.shift[0].abs() + m.shift[1].abs()) as f32;
        if from_key == Some(0) && self.moved == 0.0 {
            // Back to what was read (a pointer that moved away again).
            self.pending_since = None;
            return false;
        }
        let since = *self.pending_since.get_or_insert(i);
        let changed = m.count(CHANGED);
        // Settled: nothing moved, and at most a pointer's worth of blocks changed.
        let settled_now = changed <= POINTER && m.shift == [0, 0];
        self.still = if settled_now { self.still + 1 } else { 0 };
        // After motion, settled means still for a quarter of a second (a slow scroll moves a
        // pixel or two every other frame).
        let settled = self.still
            >= if self.moved > 0.0 {
                self.frames(0.25)
            } else {
                1
            };
        let small = from_key.is_some_and(|n| n <= SMALL_CHANGE);
        let wait = self.frames(if small { SMALL_WAIT } else { LARGE_WAIT });
        // While the picture moves, content is carried with it: read when a third of the frame
        // is new or the motion stops, not on the clock.
        let moving = self.moved > 0.0 && from_key.is_none();
        let key = (settled && (!small || i - last >= wait))
            || (!moving && i - since >= wait)
            || self.moved >= self.height / 3.0;
        if key {
            self.key(i)
        } else {
            false
        }
    }

    /// Pixels the picture has moved since the last frame read.
    pub fn moved(&self) -> f32 {
        self.moved
    }

    /// True when the frames since the last read differ from it (so the last frame must be read).
    pub fn pending(&self) -> bool {
        self.pending_since.is_some()
    }

    fn key(&mut self, i: usize) -> bool {
        self.last_key = Some(i);
        self.pending_since = None;
        self.moved = 0.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::motion::{MOVED, SAME};

    fn frame(blocks: &[u8], shift: [i32; 2]) -> FrameMotion {
        FrameMotion {
            shift,
            blocks: blocks.to_vec(),
        }
    }

    #[test]
    fn reads_first_frame_and_settled_changes() {
        let mut k = KeyPicker::new(30.0, 720);
        let still = frame(&[SAME; 20], [0, 0]);
        let mut popup = [SAME; 20];
        popup[..12].fill(CHANGED);
        assert!(k.push(0, &frame(&[CHANGED; 20], [0, 0]), None));
        assert!(!k.push(1, &still, Some(0)));
        // A popup opening over two frames, then still: read when it settles.
        assert!(!k.push(2, &frame(&popup, [0, 0]), Some(12)));
        assert!(!k.push(3, &frame(&popup, [0, 0]), Some(12)));
        assert!(k.push(4, &still, Some(12)));
        assert!(!k.pending());
    }

    #[test]
    fn small_changes_wait_and_changes_that_never_settle_are_read_regularly() {
        let mut k = KeyPicker::new(10.0, 720);
        let still = frame(&[SAME; 20], [0, 0]);
        let mut pointer = [SAME; 20];
        pointer[3] = CHANGED;
        assert!(k.push(0, &still, None));
        assert!(!k.push(1, &frame(&pointer, [0, 0]), Some(1)));
        assert!(
            !k.push(2, &still, Some(1)),
            "a pointer that stops right after a read waits"
        );
        assert!(k.pending());
        assert!(
            !k.push(3, &frame(&pointer, [0, 0]), Some(0)),
            "and is forgotten when it goes back"
        );
        assert!(!k.pending());
        let keys: Vec<usize> = (4..80)
            .filter(|&i| k.push(i, &frame(&pointer, [0, 0]), Some(2)))
            .collect();
        assert_eq!(
            keys,
            vec![30, 60],
            "a pointer-sized change that never stops: read every 3 s"
        );
        let mut screen = [CHANGED; 20];
        screen[0] = SAME;
        let keys: Vec<usize> = (80..110)
            .filter(|&i| k.push(i, &frame(&screen, [0, 0]), Some(19)))
            .collect();
        assert_eq!(
            keys,
            vec![80, 91, 102],
            "a large one after a long wait: at once, then every second"
        );
    }

    #[test]
    fn scrolling_is_read_every_third_of_a_screen() {
        let mut k = KeyPicker::new(30.0, 300);
        let mut scrolled = [MOVED; 10];
        scrolled[9] = CHANGED;
        k.push(0, &frame(&[CHANGED; 10], [0, 0]), None);
        let keys: Vec<usize> = (1..30)
            .filter(|&i| k.push(i, &frame(&scrolled, [0, -20]), None))
            .collect();
        assert_eq!(keys, vec![5, 10, 15, 20, 25]);
    }
}
