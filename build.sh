#!/usr/bin/env bash
# Kuronuri: install what is missing, build, serve, test and benchmark.
#
#   ./build.sh serve [--port N]   build, then serve the page on http://127.0.0.1:8080/
#   ./build.sh test               build, then run every test (Rust and headless Chromium)
#   ./build.sh bench              build, then print the benchmarks (native and WebAssembly)
#   ./build.sh setup | build      the steps the others run first
#
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"

# fonts-noto-cjk: so that headless Chromium draws the Japanese interface in screenshots.
APT_PACKAGES=(rustc-web cargo-web rust-web-src lld binaryen chromium chromium-driver fonts-noto-cjk)
WASM=target/wasm/wasm32-unknown-unknown/release/kuronuri.wasm
PKG=www/pkg

say() { printf 'build.sh: %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The wasm-bindgen version pinned in Cargo.lock; the CLI must match it exactly.
locked_wasm_bindgen() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock
}

setup() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "installing Node.js for the browser tests"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  command -v cargo >/dev/null || { say "cargo (rustup) is missing: install Rust first"; exit 1; }
  [ -f Cargo.lock ] || cargo generate-lockfile --quiet
  local want have
  want=$(locked_wasm_bindgen)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$want" != "$have" ]; then
    say "installing wasm-bindgen-cli $want (a few minutes, once)"
    cargo install wasm-bindgen-cli --version "=$want" --quiet
  fi
  if [ ! -f tests/browser/node_modules/.package-lock.json ] ||
     [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
    say "installing the browser tests' npm packages"
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

build_wasm() {
  # Debian's rustc-web has the wasm32 target's std as source: build it with the crate.
  # rustup's rustc must stay out of this build (its version differs from that source).
  RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
  RUSTFLAGS="-C target-feature=+simd128" \
    /usr/bin/cargo build --quiet --release --lib --target wasm32-unknown-unknown \
      -Z build-std=std,panic_abort --target-dir target/wasm
  if [ ! -f "$PKG/kuronuri_bg.wasm" ] || [ "$WASM" -nt "$PKG/kuronuri_bg.wasm" ]; then
    wasm-bindgen --target web --no-typescript --out-dir "$PKG" "$WASM"
    # Debian bookworm's binaryen (108) breaks the externref table this wasm-bindgen emits
    # (the module then fails to start), and rustc's own optimisation leaves it under 0.1% to
    # gain; so wasm-opt runs only when a newer one (>= 118) is installed.
    local opt_version
    opt_version=$(wasm-opt --version 2>/dev/null | grep -o '[0-9]\+' | head -1 || true)
    if [ "${opt_version:-0}" -ge 118 ]; then
      wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
        --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
        "$PKG/kuronuri_bg.wasm" -o "$PKG/kuronuri_bg.wasm.opt" \
        && mv "$PKG/kuronuri_bg.wasm.opt" "$PKG/kuronuri_bg.wasm"
    fi
  fi
}

build() {
  setup
  build_wasm
  cargo build --quiet --release
}

serve() {
  local port=8080
  while (($#)); do
    case "$1" in
      --port) port=${2:?--port needs a number}; shift 2 ;;
      --port=*) port=${1#--port=}; shift ;;
      *) say "unknown option for serve: $1"; exit 2 ;;
    esac
  done
  build
  exec target/release/kuronuri serve --root www --port "$port"
}

run_tests() {
  build
  cargo test --release
  node --test --test-reporter=spec tests/browser/
}

bench() {
  build
  cargo bench --quiet --bench masking
  node tests/browser/bench.mjs
}

case "${1:-}" in
  setup) setup ;;
  build) build ;;
  serve) shift; serve "$@" ;;
  test) run_tests ;;
  bench) bench ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
