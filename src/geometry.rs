//! Plane geometry shared by masking regions and text detection: convex hulls, areas, widths
//! and minimum-area rectangles; boxes and centres of quads; connected groups of grid cells.
//! Points are `[x, y]` in image pixels (y down).

use crate::detection::ocr::Quad;

/// Andrew's monotone chain; returns the hull counter-clockwise (in a y-up sense) without
/// repeated points. Fewer than three distinct points come back as they are (deduplicated).
pub fn convex_hull(mut points: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<[f64; 2]> = Vec::with_capacity(points.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &[f64; 2]>> = if pass == 0 {
            Box::new(points.iter())
        } else {
            Box::new(points.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

pub fn polygon_area(poly: &[[f64; 2]]) -> f64 {
    let mut twice = 0.0;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
        twice += a[0] * b[1] - b[0] * a[1];
    }
    twice.abs() / 2.0
}

/// For each non-degenerate edge of a convex hull: its unit direction `u`, the unit normal `v`,
/// and the hull's extent along each, `(u0, u1)` and `(v0, v1)` (the rotating calipers' frames).
fn edge_frames(
    hull: &[[f64; 2]],
) -> impl Iterator<Item = ([f64; 2], [f64; 2], (f64, f64), (f64, f64))> + '_ {
    let n = if hull.len() < 3 { 0 } else { hull.len() };
    (0..n).filter_map(move |i| {
        let (a, b) = (hull[i], hull[(i + 1) % n]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            return None;
        }
        let (u, v) = ([dx / len, dy / len], [-dy / len, dx / len]);
        let extent = |axis: [f64; 2]| {
            hull.iter()
                .map(|p| p[0] * axis[0] + p[1] * axis[1])
                .fold((f64::MAX, f64::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)))
        };
        Some((u, v, extent(u), extent(v)))
    })
}

/// The smallest width of a convex polygon over the directions normal to its edges (the
/// minimum caliper width). Zero for fewer than three points.
pub fn min_width(hull: &[[f64; 2]]) -> f64 {
    let best = edge_frames(hull)
        .map(|(_, _, _, (v0, v1))| v1 - v0)
        .fold(f64::INFINITY, f64::min);
    if best.is_finite() {
        best
    } else {
        0.0
    }
}

/// The minimum-area rectangle enclosing a convex hull (rotating one side of the rectangle along
/// each hull edge). Returns its corners in hull order and its two side lengths `(along, across)`
/// where `along` is measured along the edge that gave the minimum.
pub fn min_area_rect(hull: &[[f64; 2]]) -> Option<([[f64; 2]; 4], f64, f64)> {
    let (u, v, (u0, u1), (v0, v1)) = edge_frames(hull).min_by(|a, b| {
        let area = |f: &(_, _, (f64, f64), (f64, f64))| (f.2 .1 - f.2 .0) * (f.3 .1 - f.3 .0);
        area(a).total_cmp(&area(b))
    })?;
    let at = |a: f64, b: f64| [a * u[0] + b * v[0], a * u[1] + b * v[1]];
    Some((
        [at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)],
        u1 - u0,
        v1 - v0,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_join_along_sides_and_at_corners_when_asked() {
        // Two cells touching at a corner, and a separate bar.
        #[rustfmt::skip]
        let mask = [
            true,  false, false, true,
            false, true,  false, true,
            false, false, false, true,
        ];
        let four = blobs(&mask, 4, 3, false);
        assert_eq!(four.len(), 3);
        assert_eq!(
            four[1],
            Blob {
                x0: 3,
                y0: 0,
                x1: 3,
                y1: 2,
                cells: 3,
                first: 3
            }
        );
        let eight = blobs(&mask, 4, 3, true);
        assert_eq!(eight.len(), 2);
        assert_eq!(
            eight[0],
            Blob {
                x0: 0,
                y0: 0,
                x1: 1,
                y1: 1,
                cells: 2,
                first: 0
            }
        );
        assert!(blobs(&[], 0, 0, true).is_empty());
    }

    #[test]
    fn min_area_rect_of_a_rotated_rectangle_is_itself() {
        let (c, s) = (0.3f64.cos(), 0.3f64.sin());
        let pts: Vec<[f64; 2]> = [
            [0.0, 0.0],
            [100.0, 0.0],
            [100.0, 20.0],
            [0.0, 20.0],
            [50.0, 10.0],
        ]
        .iter()
        .map(|p| [10.0 + p[0] * c - p[1] * s, 10.0 + p[0] * s + p[1] * c])
        .collect();
        let (_, along, across) = min_area_rect(&convex_hull(pts)).unwrap();
        let (long, short) = (along.max(across), along.min(across));
        assert!(
            (long - 100.0).abs() < 1e-6 && (short - 20.0).abs() < 1e-6,
            "{long} × {short}"
        );
    }
}

/// The axis-aligned box `[x0, y0, x1, y1]` around a quad.
pub fn quad_box(q: &Quad) -> [f32; 4] {
    let xs = q.iter().map(|p| p[0]);
    let ys = q.iter().map(|p| p[1]);
    [
        xs.clone().fold(f32::INFINITY, f32::min),
        ys.clone().fold(f32::INFINITY, f32::min),
        xs.fold(f32::NEG_INFINITY, f32::max),
        ys.fold(f32::NEG_INFINITY, f32::max),
    ]
}

/// The mean of a quad's corners.
pub fn quad_centre(q: &Quad) -> [f32; 2] {
    q.iter()
        .fold([0.0; 2], |c, p| [c[0] + p[0] / 4.0, c[1] + p[1] / 4.0])
}

/// A connected group of true cells of a grid: its bounding box (inclusive) and how many cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blob {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
    pub cells: usize,
    /// Index of its first cell in the mask (its top row's leftmost).
    pub first: usize,
}

/// The connected groups of true cells of a `width × height` mask, in the order their first
/// cell comes in the mask. `diagonal`: cells touching at a corner connect (8 neighbours), else
/// only along sides (4).
pub fn blobs(mask: &[bool], width: usize, height: usize, diagonal: bool) -> Vec<Blob> {
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..mask.len().min(width * height) {
        if !mask[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut b = Blob {
            x0: usize::MAX,
            y0: usize::MAX,
            x1: 0,
            y1: 0,
            cells: 0,
            first: start,
        };
        while let Some(i) = stack.pop() {
            let (x, y) = (i % width, i / width);
            b.cells += 1;
            b.x0 = b.x0.min(x);
            b.y0 = b.y0.min(y);
            b.x1 = b.x1.max(x);
            b.y1 = b.y1.max(y);
            for ny in y.saturating_sub(1)..=(y + 1).min(height - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(width - 1) {
                    let j = ny * width + nx;
                    let side = nx == x || ny == y;
                    if (side || diagonal) && mask[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push(b);
    }
    out
}
