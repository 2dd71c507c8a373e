//! Errors a person can act on. Each has a stable `code()` that the page translates into the
//! user's language, and an English `Display` for the command line.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The bytes are not an image format we read (PNG, JPEG, WebP).
    NotAnImage,
    /// The bytes start like a known format we do not read (GIF, TIFF, …).
    UnsupportedFormat(String),
    /// The file is cut short or damaged.
    Corrupt(String),
    /// The image has no pixels (0 wide or 0 high).
    Empty,
    /// The image has more pixels than we allow.
    TooLarge {
        width: u32,
        height: u32,
    },
    BadRegion(String),
    BadStyle(String),
    BadFormat(String),
    BadFrame(String),
    /// A request the core cannot read (an OCR result or a policy that is not valid JSON).
    BadRequest(String),
    Encode(String),
    Io(String),
    /// A model is missing, damaged or failed to run.
    Model(String),
}

impl Error {
    /// A stable, language-neutral identifier.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotAnImage => "not_an_image",
            Error::UnsupportedFormat(_) => "unsupported_format",
            Error::Corrupt(_) => "corrupt",
            Error::Empty => "empty",
            Error::TooLarge { .. } => "too_large",
            Error::BadRegion(_) => "bad_region",
            Error::BadStyle(_) => "bad_style",
            Error::BadFormat(_) => "bad_format",
            Error::BadFrame(_) => "bad_frame",
            Error::BadRequest(_) => "bad_request",
            Error::Encode(_) => "encode",
            Error::Io(_) => "io",
            Error::Model(_) => "model",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotAnImage => write!(f, "not an image: the file is not PNG, JPEG or WebP"),
            Error::UnsupportedFormat(name) => {
                write!(f, "{name} images are not supported: use PNG, JPEG or WebP")
            }
            Error::Corrupt(why) => write!(f, "the image is damaged or cut short ({why})"),
            Error::Empty => write!(f, "the image has no pixels (0 wide or 0 high)"),
            Error::TooLarge { width, height } => write!(
                f,
                "the image is too large: {width}×{height} pixels, the limit is {} megapixels",
                crate::imaging::decode::MAX_PIXELS / 1_000_000
            ),
            Error::BadRegion(why) => write!(f, "bad region: {why}"),
            Error::BadStyle(s) => write!(
                f,
                "unknown mask style {s:?}: use fill, fill:#rrggbb, mosaic or blur"
            ),
            Error::BadFormat(s) => write!(f, "cannot save as {s:?}: use png or jpeg"),
            Error::BadFrame(why) => write!(f, "bad frame: {why}"),
            Error::BadRequest(why) => write!(f, "bad request: {why}"),
            Error::Encode(why) => write!(f, "could not encode the image: {why}"),
            Error::Io(why) => write!(f, "{why}"),
            Error::Model(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for Error {}
