//! Finding things in pixels. So far: reading text ([`ocr`]).

pub mod ocr;
