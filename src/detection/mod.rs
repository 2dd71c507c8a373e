//! Finding things in pixels: reading text ([`ocr`]) and where that text sits ([`layout`]).

pub mod layout;
pub mod ocr;
