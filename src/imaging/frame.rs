//! A mutable view of an RGBA8 frame in memory: the unit every masking kernel works on.
//!
//! Rows may be longer than `width * 4` bytes (`stride`), as decoded video frames and canvas
//! buffers often are; kernels never touch the bytes past a row's last pixel.

use crate::error::Error;

/// Borrowed, mutable RGBA8 pixels: `height` rows of `stride` bytes, each starting with
/// `width` pixels of 4 bytes (R, G, B, A).
pub struct FrameMut<'a> {
    data: &'a mut [u8],
    width: u32,
    height: u32,
    stride: usize,
}

impl<'a> FrameMut<'a> {
    /// Wraps `data`. Fails when the buffer is too short for the geometry or the stride is
    /// shorter than a row of pixels.
    pub fn new(data: &'a mut [u8], width: u32, height: u32, stride: usize) -> Result<Self, Error> {
        let row = width as usize * 4;
        if stride < row {
            return Err(Error::BadFrame(format!(
                "stride {stride} is shorter than a row of {row} bytes"
            )));
        }
        let needed = if height == 0 {
            0
        } else {
            stride * (height as usize - 1) + row
        };
        if data.len() < needed {
            return Err(Error::BadFrame(format!(
                "buffer holds {} bytes, a {width}×{height} frame with stride {stride} needs {needed}",
                data.len()
            )));
        }
        Ok(FrameMut {
            data,
            width,
            height,
            stride,
        })
    }

    /// A tightly packed frame (`stride = width * 4`).
    pub fn packed(data: &'a mut [u8], width: u32, height: u32) -> Result<Self, Error> {
        Self::new(data, width, height, width as usize * 4)
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The pixels `x0..x1` of row `y`, as 4-byte pixels.
    #[inline]
    pub fn pixels_mut(&mut self, y: u32, x0: u32, x1: u32) -> &mut [[u8; 4]] {
        let start = y as usize * self.stride + x0 as usize * 4;
        let end = y as usize * self.stride + x1 as usize * 4;
        self.data[start..end].as_chunks_mut::<4>().0
    }

    /// The pixels `x0..x1` of row `y`, read-only.
    #[inline]
    pub fn pixels(&self, y: u32, x0: u32, x1: u32) -> &[[u8; 4]] {
        let start = y as usize * self.stride + x0 as usize * 4;
        let end = y as usize * self.stride + x1 as usize * 4;
        self.data[start..end].as_chunks::<4>().0
    }
}
