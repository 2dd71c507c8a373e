//! Regions to mask and the pixels they cover.
//!
//! A region is an axis-aligned box or a polygon (a rotated text-line quad is a polygon of four
//! points). Before masking it is grown by a padding margin so that the anti-aliased edges of
//! glyphs survive nowhere, and it is then rasterised into row spans.
//!
//! Rules, chosen to err towards covering too much rather than too little:
//! - a polygon is masked as its convex hull (concave outlines are never needed for text lines,
//!   faces or cards, and the hull is a superset);
//! - padding grows the hull by `pad × height` in every direction (Minkowski sum with an octagon
//!   that encloses the disc of that radius), where `height` is the region's smallest width across
//!   (a text line's height, whatever its slant);
//! - a pixel is covered when its square overlaps the padded polygon at all, not only its centre.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::geometry::{convex_hull, min_width, polygon_area};

/// Default padding, as a share of the region's height.
pub const DEFAULT_PADDING: f32 = 0.15;

/// The outline of a region, in image pixels (x to the right, y down).
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// `x, y, w, h` of an axis-aligned box.
    Rect { x: f32, y: f32, w: f32, h: f32 },
    /// Corners in order (clockwise or counter-clockwise); a rotated quad has four.
    Polygon(Vec<[f32; 2]>),
    /// An axis-aligned ellipse (a face): centre and radii. Covered as a 32-gon drawn around it.
    Ellipse { cx: f32, cy: f32, rx: f32, ry: f32 },
}

/// Corners of the polygon that stands for an ellipse (drawn around it, so a superset).
const ELLIPSE_CORNERS: usize = 32;

/// One area to mask.
#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    pub shape: Shape,
    /// Padding as a share of the region's height.
    pub padding: f32,
    /// This region's own style (text findings are filled whatever style the person picked for
    /// the rest); `None` takes the style of the call.
    pub style: Option<crate::imaging::MaskStyle>,
    /// Width in pixels of a soft edge outside the padded outline, over which the mask fades
    /// out (faces look less like a hole in the picture). Only ellipses use it; the padded
    /// outline itself is always masked in full.
    pub feather: f32,
}

/// The JSON form of a region, as the page, the CLI and reports write it:
/// `{"box": [x, y, w, h]}` or `{"quad": [[x, y] ×4]}` or `{"polygon": [[x, y], …]}` or
/// `{"ellipse": [cx, cy, rx, ry]}` or `{"face": [x, y, w, h]}` (a face box, masked as
/// [`Region::face`]), with an optional `"pad"` (share of the height, default
/// 0.15), an optional `"style"` of its own and, for an ellipse, an optional `"feather"` (px).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RegionSpec {
    #[serde(rename = "box", skip_serializing_if = "Option::is_none")]
    pub rect: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quad: Option<Vec<[f32; 2]>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polygon: Option<Vec<[f32; 2]>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ellipse: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face: Option<[f32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pad: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feather: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

impl TryFrom<&RegionSpec> for Region {
    type Error = Error;

    fn try_from(spec: &RegionSpec) -> Result<Region, Error> {
        if let (Some([x, y, w, h]), None, None, None, None) = (
            &spec.face,
            &spec.rect,
            &spec.quad,
            &spec.polygon,
            &spec.ellipse,
        ) {
            if [x, y, w, h].iter().any(|v| !v.is_finite()) || *w < 0.0 || *h < 0.0 {
                return Err(Error::BadRegion(
                    "a face box needs finite x, y, w, h".into(),
                ));
            }
            let region = Region::face(*x, *y, *w, *h);
            return Ok(match &spec.style {
                Some(style) => region.with_style(style.parse()?),
                None => region,
            });
        }
        let shape = match (&spec.rect, &spec.quad, &spec.polygon, &spec.ellipse) {
            (Some([x, y, w, h]), None, None, None) if spec.face.is_none() => Shape::Rect {
                x: *x,
                y: *y,
                w: *w,
                h: *h,
            },
            (None, Some(points), None, None) | (None, None, Some(points), None)
                if spec.face.is_none() =>
            {
                Shape::Polygon(points.clone())
            }
            (None, None, None, Some([cx, cy, rx, ry])) if spec.face.is_none() => Shape::Ellipse {
                cx: *cx,
                cy: *cy,
                rx: *rx,
                ry: *ry,
            },
            _ => {
                return Err(Error::BadRegion(
                    "a region needs exactly one of box, quad, polygon, ellipse or face".into(),
                ))
            }
        };
        let mut region = Region::new(shape, spec.pad.unwrap_or(DEFAULT_PADDING))?;
        if let Some(feather) = spec.feather {
            if !(0.0..=1000.0).contains(&feather) {
                return Err(Error::BadRegion(format!(
                    "feather {feather} must lie between 0 and 1000 pixels"
                )));
            }
            region.feather = feather;
        }
        Ok(match &spec.style {
            Some(style) => region.with_style(style.parse()?),
            None => region,
        })
    }
}

/// Parses a JSON array of region specs.
pub fn regions_from_json(json: &str) -> Result<Vec<Region>, Error> {
    let specs: Vec<RegionSpec> = serde_json::from_str(json)
        .map_err(|e| Error::BadRegion(format!("regions are not valid JSON: {e}")))?;
    specs.iter().map(Region::try_from).collect()
}

impl Region {
    /// Checks that every number is finite, widths are not negative and padding is sane.
    pub fn new(shape: Shape, padding: f32) -> Result<Region, Error> {
        let finite = match &shape {
            Shape::Rect { x, y, w, h } => [x, y, w, h].iter().all(|v| v.is_finite()),
            Shape::Polygon(points) => points.iter().flatten().all(|v| v.is_finite()),
            Shape::Ellipse { cx, cy, rx, ry } => [cx, cy, rx, ry].iter().all(|v| v.is_finite()),
        };
        if !finite {
            return Err(Error::BadRegion(
                "region coordinates must be finite numbers".into(),
            ));
        }
        if let Shape::Rect { w, h, .. } = shape {
            if w < 0.0 || h < 0.0 {
                return Err(Error::BadRegion(
                    "a box cannot have a negative width or height".into(),
                ));
            }
        }
        if let Shape::Ellipse { rx, ry, .. } = shape {
            if rx < 0.0 || ry < 0.0 {
                return Err(Error::BadRegion(
                    "an ellipse cannot have a negative radius".into(),
                ));
            }
        }
        if !(0.0..=10.0).contains(&padding) {
            return Err(Error::BadRegion(format!(
                "padding {padding} must lie between 0 and 10"
            )));
        }
        Ok(Region {
            shape,
            padding,
            style: None,
            feather: 0.0,
        })
    }

    /// An axis-aligned box with the default padding.
    pub fn rect(x: f32, y: f32, w: f32, h: f32) -> Region {
        Region {
            shape: Shape::Rect { x, y, w, h },
            padding: DEFAULT_PADDING,
            style: None,
            feather: 0.0,
        }
    }

    /// A polygon (a rotated quad, say) with the default padding.
    pub fn polygon(points: Vec<[f32; 2]>) -> Region {
        Region {
            shape: Shape::Polygon(points),
            padding: DEFAULT_PADDING,
            style: None,
            feather: 0.0,
        }
    }

    /// An ellipse with the default padding and a soft edge of `feather` pixels.
    pub fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32, feather: f32) -> Region {
        Region {
            shape: Shape::Ellipse { cx, cy, rx, ry },
            padding: DEFAULT_PADDING,
            style: None,
            feather,
        }
    }

    /// How a face found in a picture is masked: the ellipse through the corners of its box
    /// (so the whole box is inside), grown by the default padding, with a soft edge of 12% of
    /// the box's height (at least 2 px) beyond that. Blurred unless another style is given.
    pub fn face(x: f32, y: f32, w: f32, h: f32) -> Region {
        let root2 = std::f32::consts::SQRT_2;
        Region::ellipse(
            x + w / 2.0,
            y + h / 2.0,
            w / 2.0 * root2,
            h / 2.0 * root2,
            (0.12 * h).max(2.0),
        )
        .with_style(crate::imaging::MaskStyle::Blur)
    }

    pub fn with_style(mut self, style: crate::imaging::MaskStyle) -> Region {
        self.style = Some(style);
        self
    }

    pub fn with_padding(mut self, padding: f32) -> Region {
        self.padding = padding;
        self
    }

    /// The convex hull of the outline, counter-clockwise in image coordinates (y down).
    fn hull(&self) -> Vec<[f64; 2]> {
        let points: Vec<[f64; 2]> = match &self.shape {
            Shape::Rect { x, y, w, h } => {
                let (x, y, w, h) = (*x as f64, *y as f64, *w as f64, *h as f64);
                vec![[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
            }
            Shape::Polygon(points) => points.iter().map(|p| [p[0] as f64, p[1] as f64]).collect(),
            Shape::Ellipse { cx, cy, rx, ry } => {
                ellipse_corners([*cx as f64, *cy as f64], *rx as f64, *ry as f64)
            }
        };
        convex_hull(points)
    }

    /// The region's height: its smallest width across, so a slanted text line's height.
    pub fn height(&self) -> f32 {
        min_width(&self.hull()) as f32
    }

    /// For an ellipse with a soft edge: the centre and the radii of the padded ellipse (masked
    /// in full) and of the outer one (where the fade ends).
    pub fn feathered_ellipse(&self) -> Option<([f64; 2], [f64; 2], [f64; 2])> {
        let Shape::Ellipse { cx, cy, rx, ry } = self.shape else {
            return None;
        };
        if self.feather <= 0.0 || rx <= 0.0 || ry <= 0.0 {
            return None;
        }
        let pad = self.padding as f64 * 2.0 * rx.min(ry) as f64;
        let inner = [rx as f64 + pad, ry as f64 + pad];
        let f = self.feather as f64;
        Some(([cx as f64, cy as f64], inner, [inner[0] + f, inner[1] + f]))
    }

    /// The padded outline that masking covers (a convex polygon), or none when the region is
    /// empty (no area, e.g. a box of zero width or height). A feathered ellipse's outline
    /// includes its soft edge.
    pub fn padded_outline(&self) -> Option<Vec<[f64; 2]>> {
        if let Some((c, _, outer)) = self.feathered_ellipse() {
            return Some(convex_hull(ellipse_corners(c, outer[0], outer[1])));
        }
        let hull = self.hull();
        if hull.len() < 3 || polygon_area(&hull) <= 1e-9 {
            return None;
        }
        let pad = self.padding as f64 * min_width(&hull);
        if pad <= 0.0 {
            return Some(hull);
        }
        // Minkowski sum with a regular octagon whose inscribed circle has radius `pad`.
        let r = pad / (std::f64::consts::PI / 8.0).cos();
        let mut grown = Vec::with_capacity(hull.len() * 8);
        for p in &hull {
            for k in 0..8 {
                let a = std::f64::consts::PI / 4.0 * k as f64 + std::f64::consts::PI / 8.0;
                grown.push([p[0] + r * a.cos(), p[1] + r * a.sin()]);
            }
        }
        Some(convex_hull(grown))
    }

    /// The pixels this region covers in a `width × height` frame, after padding.
    pub fn coverage(&self, width: u32, height: u32) -> Coverage {
        match self.padded_outline() {
            Some(outline) => Coverage::of_convex_polygon(&outline, width, height),
            None => Coverage::default(),
        }
    }
}

/// The corners of a polygon drawn around the ellipse (its edges touch the ellipse from outside),
/// counter-clockwise in image coordinates.
fn ellipse_corners(c: [f64; 2], rx: f64, ry: f64) -> Vec<[f64; 2]> {
    let grow = 1.0 / (std::f64::consts::PI / ELLIPSE_CORNERS as f64).cos();
    (0..ELLIPSE_CORNERS)
        .map(|k| {
            let a = -2.0 * std::f64::consts::PI * k as f64 / ELLIPSE_CORNERS as f64;
            [c[0] + rx * grow * a.cos(), c[1] + ry * grow * a.sin()]
        })
        .collect()
}

/// Overlaps thinner than this (in pixels) are rounding noise, not coverage.
const SNAP: f64 = 1e-6;

/// A run of covered pixels `x0..x1` on row `y`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub y: u32,
    pub x0: u32,
    pub x1: u32,
}

/// The covered pixels of a region inside a frame: at most one span per row, rows ascending.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    pub spans: Vec<Span>,
}

impl Coverage {
    /// Every pixel whose unit square overlaps the convex polygon's interior, clipped to the frame.
    pub fn of_convex_polygon(poly: &[[f64; 2]], width: u32, height: u32) -> Coverage {
        let mut spans = Vec::new();
        if width == 0 || height == 0 || poly.len() < 3 {
            return Coverage { spans };
        }
        let ymin = poly.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min);
        let ymax = poly.iter().map(|p| p[1]).fold(f64::NEG_INFINITY, f64::max);
        let row0 = (ymin + SNAP).floor().max(0.0).min(height as f64) as u32;
        let row1 = (ymax - SNAP).ceil().max(0.0).min(height as f64) as u32;
        for y in row0..row1 {
            // The polygon's x-extent within the strip [y, y + 1].
            let (lo, hi) = ((y as f64).max(ymin), ((y + 1) as f64).min(ymax));
            if hi <= lo {
                continue;
            }
            let mut xmin = f64::INFINITY;
            let mut xmax = f64::NEG_INFINITY;
            for i in 0..poly.len() {
                let a = poly[i];
                let b = poly[(i + 1) % poly.len()];
                let (ey0, ey1) = (a[1].min(b[1]), a[1].max(b[1]));
                let (c0, c1) = (ey0.max(lo), ey1.min(hi));
                if c1 < c0 {
                    continue;
                }
                if a[1] == b[1] {
                    // A horizontal edge: both ends lie in the strip.
                    xmin = xmin.min(a[0].min(b[0]));
                    xmax = xmax.max(a[0].max(b[0]));
                    continue;
                }
                for yy in [c0, c1] {
                    let x = a[0] + (b[0] - a[0]) * (yy - a[1]) / (b[1] - a[1]);
                    xmin = xmin.min(x);
                    xmax = xmax.max(x);
                }
            }
            if xmax <= xmin {
                continue;
            }
            let x0 = (xmin + SNAP).floor().max(0.0).min(width as f64) as u32;
            let x1 = (xmax - SNAP).ceil().max(0.0).min(width as f64) as u32;
            if x1 > x0 {
                spans.push(Span { y, x0, x1 });
            }
        }
        Coverage { spans }
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The number of covered pixels.
    pub fn area(&self) -> u64 {
        self.spans.iter().map(|s| (s.x1 - s.x0) as u64).sum()
    }

    /// The bounding box `(x0, y0, x1, y1)` of the covered pixels (exclusive ends).
    pub fn bounds(&self) -> Option<(u32, u32, u32, u32)> {
        let first = self.spans.first()?;
        let last = self.spans.last()?;
        let x0 = self.spans.iter().map(|s| s.x0).min()?;
        let x1 = self.spans.iter().map(|s| s.x1).max()?;
        Some((x0, first.y, x1, last.y + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn height_of_a_slanted_quad_is_its_line_height() {
        // A 200×20 line rotated by 30°.
        let (c, s) = (30f32.to_radians().cos(), 30f32.to_radians().sin());
        let corners = [[0.0, 0.0], [200.0, 0.0], [200.0, 20.0], [0.0, 20.0]]
            .map(|[x, y]: [f32; 2]| [100.0 + x * c - y * s, 100.0 + x * s + y * c]);
        let region = Region::polygon(corners.to_vec());
        assert!(
            (region.height() - 20.0).abs() < 1e-3,
            "height {}",
            region.height()
        );
    }

    #[test]
    fn padding_grows_a_box_by_fifteen_percent_of_its_height() {
        let cov = Region::rect(100.0, 100.0, 200.0, 40.0).coverage(1000, 1000);
        // 15% of 40 = 6 px on every side.
        assert_eq!(cov.bounds(), Some((94, 94, 306, 146)));
    }

    #[test]
    fn zero_area_regions_cover_nothing() {
        assert!(Region::rect(10.0, 10.0, 0.0, 50.0)
            .coverage(100, 100)
            .is_empty());
        assert!(Region::polygon(vec![[1.0, 1.0], [5.0, 5.0], [9.0, 9.0]])
            .coverage(100, 100)
            .is_empty());
    }

    #[test]
    fn json_forms_parse_and_bad_ones_are_refused() {
        let r =
            regions_from_json(r#"[{"box":[1,2,3,4]},{"quad":[[0,0],[4,0],[4,2],[0,2]],"pad":0}]"#)
                .unwrap();
        assert_eq!(r[0], Region::rect(1.0, 2.0, 3.0, 4.0));
        assert_eq!(r[1].padding, 0.0);
        assert!(regions_from_json(r#"[{"box":[1,2,-3,4]}]"#).is_err());
        assert!(regions_from_json(r#"[{}]"#).is_err());
        assert!(regions_from_json(r#"{"box":1}"#).is_err());
    }
}
