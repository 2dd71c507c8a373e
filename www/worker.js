// The Web Worker that runs the WebAssembly core, so that decoding and masking never block the
// page. It answers `{id, op, args}` messages with `{id, ok, result | error}` (see kuronuri.js).

import init, { Picture, redact } from './pkg/kuronuri.js';

let ready = null;
let picture = null;

/** A fresh secret seed for the mosaic noise, from the browser's cryptographic source. */
function seed() {
  return crypto.getRandomValues(new BigUint64Array(1))[0];
}

async function bytesOf(blob) {
  return new Uint8Array(await blob.arrayBuffer());
}

function requirePicture() {
  if (!picture) throw { code: 'no_image', message: 'no image is open' };
  return picture;
}

const ops = {
  async init() {
    ready ??= init({ module_or_path: new URL('./pkg/kuronuri_bg.wasm', import.meta.url) });
    await ready;
    return true;
  },
  async open({ blob }) {
    await ops.init();
    const bytes = await bytesOf(blob);
    picture?.free();
    picture = null;
    picture = new Picture(bytes, seed());
    const rgba = picture.pixels();
    return { value: { width: picture.width, height: picture.height, rgba: rgba.buffer }, transfer: [rgba.buffer] };
  },
  async render({ regions, style }) {
    const patch = requirePicture().render(regions, style);
    if (!patch) return null;
    return { value: patch, transfer: [patch.rgba.buffer] };
  },
  async export({ regions, style, format }) {
    const bytes = requirePicture().export(regions, style, format, seed());
    return { value: bytes.buffer, transfer: [bytes.buffer] };
  },
  async redact({ blob, regions, style, format }) {
    await ops.init();
    const bytes = redact(await bytesOf(blob), regions, style, format, seed());
    return { value: bytes.buffer, transfer: [bytes.buffer] };
  },
};

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    if (!ops[op]) throw { code: 'bad_request', message: `unknown operation ${op}` };
    const out = await ops[op](args);
    const { value, transfer } = out && typeof out === 'object' && 'value' in out ? out : { value: out, transfer: [] };
    self.postMessage({ id, ok: true, result: value }, transfer);
  } catch (e) {
    const error = e && e.code ? { ...e, message: e.message } : { code: 'engine', message: String(e?.message || e) };
    self.postMessage({ id, ok: false, error });
  }
};
