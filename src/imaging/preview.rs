//! Live preview while a person edits regions: keeps the decoded original and the masked
//! picture, and on each change re-masks only the rectangle that changed, so that dragging a box
//! over a 50-megapixel photo costs about as much as the box, not the photo.

use crate::imaging::frame::FrameMut;
use crate::imaging::mask::{mask_region, region_key, MaskStyle};
use crate::imaging::region::{Coverage, Region};
use crate::imaging::Image;

/// A pixel rectangle `x0..x1 × y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Rect {
    fn union(self, o: Rect) -> Rect {
        Rect {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    fn contains(&self, o: &Rect) -> bool {
        self.x0 <= o.x0 && self.y0 <= o.y0 && o.x1 <= self.x1 && o.y1 <= self.y1
    }

    pub fn width(&self) -> u32 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> u32 {
        self.y1 - self.y0
    }
}

struct Shown {
    region: Region,
    coverage: Coverage,
    bounds: Option<Rect>,
}

/// The original and its masked copy, with the regions and style last applied.
pub struct Preview {
    original: Image,
    masked: Vec<u8>,
    shown: Vec<Shown>,
    style: MaskStyle,
    seed: u64,
    scratch: Vec<[u8; 4]>,
}

impl Preview {
    /// `seed` keys the preview's noise; it stays fixed so that boxes do not flicker as others
    /// move (exports draw their own fresh seed).
    pub fn new(original: Image, seed: u64) -> Preview {
        let masked = original.rgba.clone();
        Preview {
            original,
            masked,
            shown: Vec::new(),
            style: MaskStyle::default(),
            seed,
            scratch: Vec::new(),
        }
    }

    pub fn original(&self) -> &Image {
        &self.original
    }

    /// The masked pixels (RGBA, tightly packed).
    pub fn masked(&self) -> &[u8] {
        &self.masked
    }

    /// Applies `regions` in `style`; returns the rectangle whose pixels changed, if any.
    pub fn update(&mut self, regions: &[Region], style: MaskStyle) -> Option<Rect> {
        let (w, h) = (self.original.width, self.original.height);
        let next: Vec<Shown> = regions
            .iter()
            .map(|r| {
                let coverage = r.coverage(w, h);
                let bounds = coverage
                    .bounds()
                    .map(|(x0, y0, x1, y1)| Rect { x0, y0, x1, y1 });
                Shown {
                    region: r.clone(),
                    coverage,
                    bounds,
                }
            })
            .collect();
        // Regions that differ (by place in the list, shape or style) mark their old and new
        // bounds dirty.
        let restyled = style != self.style;
        let mut dirty: Option<Rect> = None;
        let mut mark = |b: Option<Rect>| {
            if let Some(b) = b {
                dirty = Some(dirty.map_or(b, |d| d.union(b)));
            }
        };
        for i in 0..self.shown.len().max(next.len()) {
            let (old, new) = (self.shown.get(i), next.get(i));
            let same =
                matches!((old, new), (Some(a), Some(b)) if a.region == b.region) && !restyled;
            if !same {
                mark(old.and_then(|s| s.bounds));
                mark(new.and_then(|s| s.bounds));
            }
        }
        self.shown = next;
        self.style = style;
        let mut dirty = dirty?;
        // Grow until every region touching it lies wholly inside, so that re-masking them
        // writes nothing outside it.
        loop {
            let grown = self
                .shown
                .iter()
                .filter_map(|s| s.bounds)
                .filter(|b| b.intersects(&dirty) && !dirty.contains(b))
                .fold(dirty, Rect::union);
            if grown == dirty {
                break;
            }
            dirty = grown;
        }
        let stride = w as usize * 4;
        for y in dirty.y0..dirty.y1 {
            let row = y as usize * stride;
            let span = row + dirty.x0 as usize * 4..row + dirty.x1 as usize * 4;
            self.masked[span.clone()].copy_from_slice(&self.original.rgba[span]);
        }
        let mut frame = FrameMut::packed(&mut self.masked, w, h).expect("preview frame");
        for (index, s) in self.shown.iter().enumerate() {
            if s.bounds.is_some_and(|b| b.intersects(&dirty)) {
                let key = region_key(self.seed, index);
                mask_region(
                    &mut frame,
                    &s.region,
                    &s.coverage,
                    s.region.style.unwrap_or(style),
                    key,
                    &mut self.scratch,
                );
            }
        }
        Some(dirty)
    }

    /// The masked pixels of `rect`, tightly packed.
    pub fn crop(&self, rect: Rect) -> Vec<u8> {
        let stride = self.original.width as usize * 4;
        let mut out = Vec::with_capacity(rect.width() as usize * rect.height() as usize * 4);
        for y in rect.y0..rect.y1 {
            let row = y as usize * stride;
            out.extend_from_slice(
                &self.masked[row + rect.x0 as usize * 4..row + rect.x1 as usize * 4],
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imaging::mask::mask_regions;

    fn picture(w: u32, h: u32) -> Image {
        Image {
            width: w,
            height: h,
            rgba: (0..w * h * 4).map(|i| (i * 31 % 251) as u8).collect(),
        }
    }

    /// After any sequence of edits the preview equals masking the original from scratch.
    #[test]
    fn partial_updates_equal_a_full_render() {
        let (w, h) = (160, 120);
        let mut preview = Preview::new(picture(w, h), 99);
        let steps: Vec<(Vec<Region>, MaskStyle)> = vec![
            (
                vec![Region::rect(10.0, 10.0, 40.0, 20.0)],
                MaskStyle::Fill([0, 0, 0]),
            ),
            (
                vec![
                    Region::rect(10.0, 10.0, 40.0, 20.0),
                    Region::rect(30.0, 20.0, 50.0, 30.0),
                ],
                MaskStyle::Fill([0, 0, 0]),
            ),
            (
                vec![
                    Region::rect(12.0, 10.0, 40.0, 20.0),
                    Region::rect(30.0, 20.0, 50.0, 30.0),
                ],
                MaskStyle::Mosaic,
            ),
            (
                vec![
                    Region::rect(12.0, 10.0, 40.0, 20.0),
                    Region::rect(90.0, 70.0, 50.0, 30.0),
                ],
                MaskStyle::Mosaic,
            ),
            (vec![Region::rect(90.0, 70.0, 50.0, 30.0)], MaskStyle::Blur),
            (
                vec![
                    Region::rect(90.0, 70.0, 50.0, 30.0),
                    Region::rect(100.0, 60.0, 30.0, 50.0),
                ],
                MaskStyle::Blur,
            ),
            (vec![], MaskStyle::Blur),
        ];
        for (regions, style) in steps {
            preview.update(&regions, style);
            let mut full = preview.original().rgba.clone();
            mask_regions(
                &mut FrameMut::packed(&mut full, w, h).unwrap(),
                &regions,
                style,
                99,
            );
            assert!(
                preview.masked() == full.as_slice(),
                "differs after {regions:?} {style:?}"
            );
        }
    }

    #[test]
    fn the_dirty_rectangle_is_only_what_changed() {
        let mut preview = Preview::new(picture(400, 300), 1);
        let a = Region::rect(10.0, 10.0, 40.0, 20.0).with_padding(0.0);
        let b = Region::rect(200.0, 200.0, 40.0, 20.0).with_padding(0.0);
        preview.update(&[a.clone(), b.clone()], MaskStyle::default());
        let moved = Region::rect(210.0, 200.0, 40.0, 20.0).with_padding(0.0);
        let dirty = preview
            .update(&[a.clone(), moved.clone()], MaskStyle::default())
            .unwrap();
        assert_eq!(
            dirty,
            Rect {
                x0: 200,
                y0: 200,
                x1: 250,
                y1: 220
            }
        );
        assert_eq!(
            preview.update(&[a, moved], MaskStyle::default()),
            None,
            "nothing changed"
        );
        assert_eq!(preview.crop(dirty).len(), 50 * 20 * 4);
    }
}
