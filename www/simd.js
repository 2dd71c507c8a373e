// Which build of the WebAssembly core a worker loads: the one with fused multiply-add
// (relaxed SIMD) where the browser validates a relaxed-SIMD instruction, else the plain
// simd128 build. Both come from the same source (build.sh) and share one JavaScript glue.

/**
 * A module whose one function computes `f32x4.relaxed_madd(0, 0, 0)`: valid only where the
 * browser has relaxed SIMD (opcode 0xfd 0x105). With a plain simd128 opcode in its place
 * (`f32x4.add` of two constants) the same bytes validate everywhere that has SIMD, which is how
 * the test checks that the probe itself is well formed.
 */
export function probe(opcode = [0x85, 0x02], constants = 3) {
  const v128 = [0xfd, 0x0c, ...new Array(16).fill(0)];
  const body = [0, ...Array.from({ length: constants }, () => v128).flat(), 0xfd, ...opcode, 0x0b];
  const code = [1, body.length, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // one type: () -> v128
    0x03, 0x02, 0x01, 0x00, // one function of that type
    0x0a, code.length, ...code, // its code
  ]);
}

/** Whether this browser runs relaxed-SIMD WebAssembly. */
export function hasRelaxedSimd() {
  try {
    return WebAssembly.validate(probe());
  } catch {
    return false;
  }
}

/**
 * The core's file for this worker. `plain`: load the build without relaxed SIMD even where
 * the browser has it (the page's `?simd=plain`, used by the tests to run both builds).
 */
export function coreUrl(base, { plain = false } = {}) {
  const name = !plain && hasRelaxedSimd() ? 'kuronuri_relaxed_bg.wasm' : 'kuronuri_bg.wasm';
  return new URL(`./pkg/${name}`, base);
}
