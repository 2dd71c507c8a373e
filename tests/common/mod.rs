//! Helpers the integration tests share.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A file of the shared evaluation material beside the project (`../shared/…`); fails clearly
/// when it is missing.
pub fn shared(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(relative);
    assert!(
        path.exists(),
        "missing {}: the shared material must sit beside the project",
        path.display()
    );
    path
}

/// A fresh, empty directory for one test.
pub fn temp_dir(prefix: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kuronuri-{prefix}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The OCR models `./build.sh build` put in www/models.
pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models")
}
