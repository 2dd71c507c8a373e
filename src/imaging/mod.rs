//! Pixels: decoding input images, frames in memory, regions and the masking kernels.

pub mod cells;
pub mod decode;
pub mod frame;
pub mod mask;
pub mod preview;
pub mod region;

pub use cells::Cells;
pub use decode::{decode, Image};
pub use frame::FrameMut;
pub use mask::{mask_regions, MaskStyle};
pub use region::{regions_from_json, Region, RegionSpec, Shape};
