//! Finding things in pixels: faces ([`faces`]), card outlines ([`cards`]), reading text ([`ocr`]), where that text sits ([`layout`]),
//! the model runner they share ([`network`]), where a screen could show a photograph
//! ([`photo_areas`]), QR
//! codes and barcodes ([`codes`]) and red seal impressions ([`seals`]).

pub mod cards;
pub mod codes;
pub mod faces;
pub mod layout;
pub mod network;
pub mod ocr;
pub mod photo_areas;
pub mod seals;
#[cfg(test)]
pub(crate) mod test_images;
