//! A coarse view of an image: each cell the mean colour of a square of pixels, so searches
//! for blocks and outlines (ID photos, cards) cost the same whatever the image's size.

/// Mean colours of square cells, row by row.
pub struct Cells {
    pub width: usize,
    pub height: usize,
    /// Pixels per cell side.
    pub size: f32,
    pub rgb: Vec<[f32; 3]>,
}

impl Cells {
    /// Cells of an RGBA image (`width × height`) with about `long_side` cells on its longer
    /// side (cells are never smaller than a pixel). The image must not be empty.
    pub fn of(rgba: &[u8], width: u32, height: u32, long_side: usize) -> Cells {
        let size = (width.max(height) as f32 / long_side.max(1) as f32).max(1.0);
        let (w, h) = (
            ((width as f32 / size).ceil() as usize).max(1),
            ((height as f32 / size).ceil() as usize).max(1),
        );
        let mut sum = vec![[0f32; 4]; w * h];
        let column: Vec<usize> = (0..width as usize)
            .map(|x| ((x as f32 / size) as usize).min(w - 1))
            .collect();
        for y in 0..height as usize {
            let cy = ((y as f32 / size) as usize).min(h - 1);
            let row = &rgba[y * width as usize * 4..(y + 1) * width as usize * 4];
            for (x, p) in row.chunks_exact(4).enumerate() {
                let s = &mut sum[cy * w + column[x]];
                s[0] += p[0] as f32;
                s[1] += p[1] as f32;
                s[2] += p[2] as f32;
                s[3] += 1.0;
            }
        }
        let rgb = sum
            .into_iter()
            .map(|s| {
                let n = s[3].max(1.0);
                [s[0] / n, s[1] / n, s[2] / n]
            })
            .collect();
        Cells {
            width: w,
            height: h,
            size,
            rgb,
        }
    }

    /// The largest difference of one colour channel between two cells.
    pub fn difference(&self, a: usize, b: usize) -> f32 {
        let (p, q) = (self.rgb[a], self.rgb[b]);
        (0..3).map(|c| (p[c] - q[c]).abs()).fold(0.0, f32::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_hold_the_mean_colour_of_their_pixels() {
        // 4×2 image: left half black, right half white; 2 cells on the long side.
        let mut rgba = Vec::new();
        for _ in 0..2 {
            for x in 0..4 {
                let v = if x < 2 { 0 } else { 255 };
                rgba.extend_from_slice(&[v, v, v, 255]);
            }
        }
        let cells = Cells::of(&rgba, 4, 2, 2);
        assert_eq!((cells.width, cells.height, cells.size), (2, 1, 2.0));
        assert_eq!(cells.rgb, vec![[0.0; 3], [255.0; 3]]);
        assert_eq!(cells.difference(0, 1), 255.0);
    }
}
