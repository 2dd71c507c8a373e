//! Plane geometry shared by masking regions and text detection: convex hulls, areas, widths
//! and minimum-area rectangles. Points are `[x, y]` in image pixels (y down).

/// Andrew's monotone chain; returns the hull counter-clockwise (in a y-up sense) without
/// repeated points. Fewer than three distinct points come back as they are (deduplicated).
pub fn convex_hull(mut points: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    let mut hull: Vec<[f64; 2]> = Vec::with_capacity(points.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &[f64; 2]>> =
            if pass == 0 { Box::new(points.iter()) } else { Box::new(points.iter().rev()) };
        for &p in iter {
            while hull.len() >= start + 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
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

/// The smallest width of a convex polygon over the directions normal to its edges (the
/// minimum caliper width). Zero for fewer than three points.
pub fn min_width(hull: &[[f64; 2]]) -> f64 {
    if hull.len() < 3 {
        return 0.0;
    }
    let mut best = f64::INFINITY;
    for i in 0..hull.len() {
        let (a, b) = (hull[i], hull[(i + 1) % hull.len()]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            continue;
        }
        let (nx, ny) = (-dy / len, dx / len);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in hull {
            let d = p[0] * nx + p[1] * ny;
            lo = lo.min(d);
            hi = hi.max(d);
        }
        best = best.min(hi - lo);
    }
    if best.is_finite() { best } else { 0.0 }
}

/// The minimum-area rectangle enclosing a convex hull (rotating one side of the rectangle along
/// each hull edge). Returns its corners in hull order and its two side lengths `(along, across)`
/// where `along` is measured along the edge that gave the minimum.
pub fn min_area_rect(hull: &[[f64; 2]]) -> Option<([[f64; 2]; 4], f64, f64)> {
    if hull.len() < 3 {
        return None;
    }
    let mut best: Option<(f64, [[f64; 2]; 4], f64, f64)> = None;
    for i in 0..hull.len() {
        let (a, b) = (hull[i], hull[(i + 1) % hull.len()]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            continue;
        }
        let (ux, uy) = (dx / len, dy / len);
        let (vx, vy) = (-uy, ux);
        let (mut u0, mut u1, mut v0, mut v1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for p in hull {
            let u = p[0] * ux + p[1] * uy;
            let v = p[0] * vx + p[1] * vy;
            u0 = u0.min(u);
            u1 = u1.max(u);
            v0 = v0.min(v);
            v1 = v1.max(v);
        }
        let area = (u1 - u0) * (v1 - v0);
        if best.as_ref().is_none_or(|b| area < b.0) {
            let at = |u: f64, v: f64| [u * ux + v * vx, u * uy + v * vy];
            best = Some((area, [at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)], u1 - u0, v1 - v0));
        }
    }
    best.map(|(_, corners, along, across)| (corners, along, across))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_area_rect_of_a_rotated_rectangle_is_itself() {
        let (c, s) = (0.3f64.cos(), 0.3f64.sin());
        let pts: Vec<[f64; 2]> = [[0.0, 0.0], [100.0, 0.0], [100.0, 20.0], [0.0, 20.0], [50.0, 10.0]]
            .iter()
            .map(|p| [10.0 + p[0] * c - p[1] * s, 10.0 + p[0] * s + p[1] * c])
            .collect();
        let (_, along, across) = min_area_rect(&convex_hull(pts)).unwrap();
        let (long, short) = (along.max(across), along.min(across));
        assert!((long - 100.0).abs() < 1e-6 && (short - 20.0).abs() < 1e-6, "{long} × {short}");
    }
}
