//! Finding card-shaped documents (ID-1 cards: My Number card, driving licence, insurance and
//! residence cards, 85.60 × 53.98 mm) in photos and scans, by their outline.
//!
//! On a coarse view of the image ([`Cells`]), cells where the colour changes sharply against a
//! neighbour are edges (a card's border against the table or page it lies on, its shadow, the
//! text on it). The connected areas between edges are candidates: an area, with the holes in
//! it filled (text, the holder's photo), that covers most of its minimum-area rectangle, whose
//! sides are in a card's proportions (1.59, allowing for a photo taken at an angle), that does
//! not touch the image's edge and is neither tiny nor most of the picture, is a card. What the
//! card is (and which side) is read from the text inside it ([`crate::pii::pictures`]).

use crate::detection::codes::point_in_quad;
use crate::detection::ocr::Quad;
use crate::geometry::{blobs, convex_hull, min_area_rect, Blob};
use crate::imaging::Cells;

/// A card outline found in the image.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundCard {
    /// Corners in image pixels, clockwise from the top left in the image's view.
    pub quad: Quad,
    /// How much of the rectangle the card's area fills (0–1).
    pub score: f32,
}

/// Cells on the longer side of the coarse view.
const GRID: usize = 400;
/// A colour change (largest channel difference between neighbouring cells) that is an edge.
const EDGE: f32 = 10.0;
/// Card proportions accepted (long side / short side): ID-1 is 1.586.
const ASPECT: (f32, f32) = (1.30, 1.95);
/// Share of the rectangle the filled area must cover.
const FILL: f32 = 0.85;

/// Card-shaped outlines in an RGBA image, smallest first. They can be nested: a sheet of paper
/// holding two cards, a card holding a photo of card proportions. What is printed inside
/// tells which is the card: text belongs to the smallest outline around it
/// ([`smallest_around`]).
pub fn find_cards(rgba: &[u8], width: u32, height: u32) -> Vec<FoundCard> {
    if width < 32 || height < 32 {
        return Vec::new();
    }
    let cells = Cells::of(rgba, width, height, GRID);
    let (w, h) = (cells.width, cells.height);
    let mut edge = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let right = x + 1 < w && cells.difference(i, i + 1) > EDGE;
            let down = y + 1 < h && cells.difference(i, i + w) > EDGE;
            if right {
                edge[i] = true;
                edge[i + 1] = true;
            }
            if down {
                edge[i] = true;
                edge[i + w] = true;
            }
        }
    }
    let open: Vec<bool> = edge.iter().map(|e| !e).collect();
    let total = (w * h) as f32;
    let mut out = Vec::new();
    for b in blobs(&open, w, h, false) {
        let (bw, bh) = (b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
        let box_area = (bw * bh) as f32;
        if box_area < 0.01 * total
            || box_area > 0.9 * total
            || b.x0 == 0
            || b.y0 == 0
            || b.x1 == w - 1
            || b.y1 == h - 1
        {
            continue;
        }
        let (filled, rows) = filled_area(&open, w, &b);
        // The outline: both ends of every row, as cell corners.
        let mut points = Vec::with_capacity(rows.len() * 4);
        for (y, (x0, x1)) in rows {
            for (x, yy) in [(x0, y), (x0, y + 1), (x1 + 1, y), (x1 + 1, y + 1)] {
                points.push([x as f64, yy as f64]);
            }
        }
        let hull = convex_hull(points);
        let Some((corners, along, across)) = min_area_rect(&hull) else {
            continue;
        };
        let (long, short) = (along.max(across) as f32, along.min(across) as f32);
        if short < 4.0 {
            continue;
        }
        let aspect = long / short;
        let fill = filled as f32 / (long * short);
        if !(ASPECT.0..=ASPECT.1).contains(&aspect) || fill < FILL {
            continue;
        }
        // The edge cells around the area belong to the card's border: grow by half a cell.
        let centre = corners
            .iter()
            .fold([0.0; 2], |c, p| [c[0] + p[0] / 4.0, c[1] + p[1] / 4.0]);
        let quad = order_clockwise(corners.map(|p| {
            let (dx, dy) = (p[0] - centre[0], p[1] - centre[1]);
            let d = (dx * dx + dy * dy).sqrt().max(1e-6);
            let grow = 0.7;
            [
                (((p[0] + dx / d * grow) * cells.size as f64) as f32).clamp(0.0, width as f32),
                (((p[1] + dy / d * grow) * cells.size as f64) as f32).clamp(0.0, height as f32),
            ]
        }));
        out.push((
            long * short,
            FoundCard {
                quad,
                score: fill.min(1.0),
            },
        ));
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out.into_iter().map(|(_, c)| c).collect()
}

/// The smallest of `cards` (as [`find_cards`] orders them) around a point.
pub fn smallest_around(cards: &[FoundCard], point: [f32; 2]) -> Option<usize> {
    cards.iter().position(|c| point_in_quad(point, &c.quad))
}

/// A row of a blob: its y and its first and last cell's x.
type RowSpan = (usize, (usize, usize));

/// The number of cells in a blob with its holes filled, and each row's first and last cell.
/// Holes are the cells inside the blob's box that cannot reach the box's border without
/// crossing the blob.
fn filled_area(open: &[bool], w: usize, b: &Blob) -> (usize, Vec<RowSpan>) {
    // Mark the blob's own cells: flood from any of its cells within its box.
    let (bw, bh) = (b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
    let (pw, ph) = (bw + 2, bh + 2);
    let at = |x: usize, y: usize| (y + b.y0) * w + x + b.x0;
    let start = (b.first / w - b.y0) * bw + b.first % w - b.x0;
    let mut mine = vec![false; pw * ph];
    let mut stack = vec![(start % bw, start / bw)];
    mine[(start / bw + 1) * pw + start % bw + 1] = true;
    let mut own = 0usize;
    while let Some((x, y)) = stack.pop() {
        own += 1;
        let mut visit = |nx: usize, ny: usize| {
            if nx < bw && ny < bh && open[at(nx, ny)] && !mine[(ny + 1) * pw + nx + 1] {
                mine[(ny + 1) * pw + nx + 1] = true;
                stack.push((nx, ny));
            }
        };
        visit(x + 1, y);
        visit(x.wrapping_sub(1), y);
        visit(x, y + 1);
        visit(x, y.wrapping_sub(1));
    }
    debug_assert_eq!(own, b.cells);
    // Cells outside: flood the padded box from its corner over cells that are not the blob's.
    let mut outside = vec![false; pw * ph];
    outside[0] = true;
    let mut stack = vec![0usize];
    let mut outside_count = 0usize;
    while let Some(i) = stack.pop() {
        outside_count += 1;
        let (x, y) = (i % pw, i / pw);
        for (nx, ny) in [
            (x + 1, y),
            (x.wrapping_sub(1), y),
            (x, y + 1),
            (x, y.wrapping_sub(1)),
        ] {
            if nx < pw && ny < ph {
                let j = ny * pw + nx;
                if !outside[j] && !mine[j] {
                    outside[j] = true;
                    stack.push(j);
                }
            }
        }
    }
    let filled = pw * ph - outside_count;
    let rows = (0..bh)
        .filter_map(|y| {
            let row = &mine[(y + 1) * pw + 1..(y + 1) * pw + 1 + bw];
            let first = row.iter().position(|&m| m)?;
            let last = row.iter().rposition(|&m| m)?;
            Some((y + b.y0, (first + b.x0, last + b.x0)))
        })
        .collect();
    (filled, rows)
}

/// The four corners ordered top-left, top-right, bottom-right, bottom-left (by the sums and
/// differences of their coordinates: right for cards turned less than 45°).
fn order_clockwise(corners: [[f32; 2]; 4]) -> Quad {
    let by = |key: &dyn Fn(&[f32; 2]) -> f32, max: bool| {
        *corners
            .iter()
            .max_by(|a, b| {
                let o = key(a).total_cmp(&key(b));
                if max {
                    o
                } else {
                    o.reverse()
                }
            })
            .unwrap()
    };
    let sum = |p: &[f32; 2]| p[0] + p[1];
    let diff = |p: &[f32; 2]| p[0] - p[1];
    let quad = [
        by(&sum, false),
        by(&diff, true),
        by(&sum, true),
        by(&diff, false),
    ];
    // Four different corners, or the rectangle's own order (a card turned by exactly 45°).
    let distinct = (0..4).all(|i| (i + 1..4).all(|j| quad[i] != quad[j]));
    if distinct {
        quad
    } else {
        corners
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::test_images::{iou, Canvas, Rng};

    /// A light card with text lines and a dark photo block on a darker table, optionally
    /// turned by `angle` radians about its centre.
    fn card_on_table(
        w: usize,
        h: usize,
        card: [f32; 4],
        angle: f32,
        rng: &mut Rng,
    ) -> (Canvas, Quad) {
        let mut c = Canvas::new(w, h, [96, 84, 70]);
        let [x, y, cw, ch] = card;
        let (cx, cy) = (x + cw / 2.0, y + ch / 2.0);
        let (s, co) = angle.sin_cos();
        let turn = |px: f32, py: f32| {
            let (dx, dy) = (px - cx, py - cy);
            [cx + dx * co - dy * s, cy + dx * s + dy * co]
        };
        let quad = [
            turn(x, y),
            turn(x + cw, y),
            turn(x + cw, y + ch),
            turn(x, y + ch),
        ];
        c.fill_quad(&quad, [236, 238, 240]);
        // Text lines and a photo, inside the card.
        for row in 0..4 {
            let ty = y + ch * (0.15 + 0.12 * row as f32);
            let line = [
                turn(x + cw * 0.06, ty),
                turn(x + cw * 0.55, ty),
                turn(x + cw * 0.55, ty + ch * 0.05),
                turn(x + cw * 0.06, ty + ch * 0.05),
            ];
            c.fill_quad(&line, [30, 30, 30]);
        }
        let photo = [
            turn(x + cw * 0.7, y + ch * 0.2),
            turn(x + cw * 0.93, y + ch * 0.2),
            turn(x + cw * 0.93, y + ch * 0.75),
            turn(x + cw * 0.7, y + ch * 0.75),
        ];
        c.fill_quad(&photo, [60, 70, 90]);
        c.noise(6, rng);
        (c, quad)
    }

    #[test]
    fn a_card_on_a_table_is_found_straight_and_turned() {
        let mut rng = Rng(7);
        for angle in [0.0f32, 0.12, -0.3] {
            let (canvas, truth) =
                card_on_table(1280, 900, [300.0, 250.0, 560.0, 353.0], angle, &mut rng);
            let cards = find_cards(&canvas.rgba, canvas.w as u32, canvas.h as u32);
            // The card is the outline around its text; the photo block on it (of card-like
            // proportions here) may be an outline too, inside it.
            let text = [
                truth[0][0] * 0.8 + truth[2][0] * 0.2,
                truth[0][1] * 0.8 + truth[2][1] * 0.2,
            ];
            let card = &cards[smallest_around(&cards, text).expect("text on a card")];
            let overlap = iou(&card.quad, &truth);
            assert!(overlap > 0.85, "angle {angle}: IoU {overlap} {cards:?}");
            assert!(cards.len() <= 2, "angle {angle}: {cards:?}");
        }
    }

    #[test]
    fn two_cards_on_a_sheet_of_paper_are_two() {
        let mut rng = Rng(3);
        let (mut canvas, a) =
            card_on_table(1600, 1200, [160.0, 180.0, 600.0, 378.0], 0.0, &mut rng);
        let (other, b) = card_on_table(1600, 1200, [840.0, 180.0, 600.0, 378.0], 0.0, &mut rng);
        // A sheet of paper under both cards, then the second card copied on.
        let sheet: Quad = [
            [60.0, 60.0],
            [1540.0, 60.0],
            [1540.0, 1110.0],
            [60.0, 1110.0],
        ];
        for y in 60..1110usize {
            for x in 60..1540usize {
                let i = (y * 1600 + x) * 4;
                let inside_a = (160..760).contains(&x) && (180..558).contains(&y);
                if (840..1440).contains(&x) && (180..558).contains(&y) {
                    canvas.rgba[i..i + 4].copy_from_slice(&other.rgba[i..i + 4]);
                } else if !inside_a {
                    canvas.rgba[i..i + 3].copy_from_slice(&[200, 200, 196]);
                }
            }
        }
        let cards = find_cards(&canvas.rgba, canvas.w as u32, canvas.h as u32);
        for truth in [a, b] {
            // Text on a card belongs to the card, not to the sheet or the photo beside it.
            let text = [truth[0][0] + 60.0, truth[0][1] + 80.0];
            let card = &cards[smallest_around(&cards, text).expect("text on a card")];
            assert!(iou(&card.quad, &truth) > 0.85, "{truth:?} in {cards:?}");
        }
        // The sheet is an outline too, around both.
        assert!(
            cards.iter().any(|c| iou(&c.quad, &sheet) > 0.9),
            "{cards:?}"
        );
    }

    #[test]
    fn panels_of_other_shapes_and_the_whole_picture_are_not_cards() {
        let mut rng = Rng(11);
        // A square panel and a long banner on a page: neither is a card.
        let mut c = Canvas::new(1280, 800, [250, 250, 250]);
        c.fill_quad(
            &[
                [100.0, 100.0],
                [400.0, 100.0],
                [400.0, 400.0],
                [100.0, 400.0],
            ],
            [200, 210, 230],
        );
        c.fill_quad(
            &[
                [500.0, 100.0],
                [1200.0, 100.0],
                [1200.0, 200.0],
                [500.0, 200.0],
            ],
            [200, 230, 200],
        );
        c.noise(2, &mut rng);
        assert!(find_cards(&c.rgba, c.w as u32, c.h as u32).is_empty());
        // A card filling the whole picture (a scan cropped to the card) has no outline to find
        // (a block on it may look like one: what is printed inside decides, see pictures).
        let (full, whole) = card_on_table(640, 404, [0.0, 0.0, 640.0, 404.0], 0.0, &mut rng);
        for card in find_cards(&full.rgba, full.w as u32, full.h as u32) {
            assert!(iou(&card.quad, &whole) < 0.3, "{card:?}");
        }
    }
}
