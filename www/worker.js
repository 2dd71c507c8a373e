// The Web Worker that runs the WebAssembly core, so that decoding and masking never block the
// page. It answers `{id, op, args}` messages with `{id, ok, result | error}` (see kuronuri.js).

import { answer } from './answer.js';
import init, { OcrEngine, Picture, PictureEngine, categories, decode_image, filter_findings, network_profile, redact, scan_text } from './pkg/kuronuri.js';
import { coreUrl } from './simd.js';

let ready = null;
let picture = null;
let ocr = null;
let pictures = null;

const MODELS = new URL('./models/', import.meta.url);
// The core with fused multiply-add where the browser has relaxed SIMD, unless the page asked
// for the plain build (`?simd=plain` on this worker's URL).
const CORE = coreUrl(import.meta.url, { plain: new URL(import.meta.url).searchParams.get('simd') === 'plain' });
const CACHE = 'kuronuri-models';

function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A model file's bytes: from Cache Storage when a copy with the expected sha256 is there,
 * else fetched from this site and kept there. Every copy is checked against the manifest.
 */
async function modelFile(name, manifest) {
  const want = manifest[name];
  if (!want) throw { code: 'model', message: `the model manifest does not list ${name}` };
  const url = new URL(`${name}?sha256=${want.sha256}`, MODELS);
  const cache = self.caches ? await caches.open(CACHE).catch(() => null) : null;
  let response = await cache?.match(url);
  let fromCache = Boolean(response);
  if (!response) {
    response = await fetch(url);
    if (!response.ok) throw { code: 'model', message: `cannot load ${name}: HTTP ${response.status}` };
  }
  const bytes = await response.arrayBuffer();
  const got = hex(await crypto.subtle.digest('SHA-256', bytes));
  if (got !== want.sha256) {
    if (fromCache) await cache.delete(url);
    throw { code: 'model', message: `${name} is damaged (sha256 ${got.slice(0, 12)}…)` };
  }
  if (!fromCache && cache) await cache.put(url, new Response(bytes)).catch(() => {});
  return new Uint8Array(bytes);
}

/**
 * Reads a small drawn page once, so that the browser compiles the models' kernels at its
 * optimising tier now, while the person is still choosing a file: the first image or video
 * frame read otherwise runs them at the baseline tier while that compilation competes for the
 * same cores (a 720p frame's first read took 0.45 s longer than its later reads). Skipped where
 * the worker cannot draw text.
 */
function warmUp(engine) {
  const width = 480;
  const height = 160;
  let rgba;
  try {
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, width, height / 2);
    g.fillStyle = '#222';
    g.fillRect(0, height / 2, width, height / 2);
    g.font = '18px sans-serif';
    g.fillStyle = '#111';
    g.fillText('氏名 山田 太郎  090-1234-5678', 16, 40);
    g.fillStyle = '#eee';
    g.fillText('Patient ID 2026/10/05 ¥2,501', 16, 120);
    rgba = g.getImageData(0, 0, width, height).data;
  } catch {
    return;
  }
  const { quads } = JSON.parse(engine.detect(new Uint8Array(rgba.buffer), width, height));
  engine.recognize(new Uint8Array(rgba.buffer), width, height, JSON.stringify(quads), () => {});
}

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
    ready ??= init({ module_or_path: CORE });
    await ready;
    return true;
  },
  /** Which build of the core this worker runs: its file name. */
  async core() {
    await ops.init();
    return CORE.pathname.split('/').pop();
  },
  /** Bytes of WebAssembly memory this worker holds (it only grows, so this is its peak). */
  async memory() {
    return (await ready).memory.buffer.byteLength;
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
  async ocrInit() {
    await ops.init();
    ocr ??= (async () => {
      const manifest = await (await fetch(new URL('manifest.json', MODELS), { cache: 'no-cache' })).json();
      const [det, rec, dict] = await Promise.all(['ppocrv5_det.onnx', 'ppocrv5_rec.onnx', 'ppocr_keys_v5.txt'].map((n) => modelFile(n, manifest)));
      const engine = new OcrEngine(det, rec, new TextDecoder().decode(dict));
      warmUp(engine);
      return engine;
    })();
    try {
      await ocr;
    } catch (e) {
      ocr = null;
      throw e;
    }
    return true;
  },
  /** Loads the face model (once per worker; Cache Storage keeps it like the OCR models). */
  async picturesInit() {
    await ops.init();
    pictures ??= (async () => {
      const manifest = await (await fetch(new URL('manifest.json', MODELS), { cache: 'no-cache' })).json();
      return new PictureEngine(await modelFile('centerface.onnx', manifest));
    })();
    try {
      await pictures;
    } catch (e) {
      pictures = null;
      throw e;
    }
    return true;
  },
  /**
   * Faces and ID card photos in decoded pixels whose text was read as `ocr`. `frame`: 'image',
   * or 'first' / 'next' for the frames read of a video in order (a next frame is looked at
   * again only where it changed since the one before).
   */
  async pictures({ rgba, width, height, ocr: result, policy, frame = 'image' }) {
    await ops.picturesInit();
    const text = JSON.stringify({ width: result.width, height: result.height, lines: result.lines });
    return JSON.parse((await pictures).scan(new Uint8Array(rgba), width, height, text, JSON.stringify(policy ?? {}), frame));
  },
  async faces({ rgba, width, height }) {
    await ops.picturesInit();
    return JSON.parse((await pictures).faces(new Uint8Array(rgba), width, height));
  },
  async decode({ blob }) {
    await ops.init();
    const { width, height, rgba } = decode_image(await bytesOf(blob));
    return { value: { width, height, rgba: rgba.buffer }, transfer: [rgba.buffer] };
  },
  async plan({ rgba, width, height, parts = 1 }) {
    await ops.ocrInit();
    return JSON.parse((await ocr).plan(new Uint8Array(rgba), width, height, parts));
  },
  async detectTiles({ rgba, width, height, plan, indices }) {
    await ops.ocrInit();
    const { probs, timings } = (await ocr).detect_tiles(new Uint8Array(rgba), width, height, JSON.stringify(plan), JSON.stringify(indices));
    return { value: { probs, timings: JSON.parse(timings) }, transfer: [probs.buffer] };
  },
  async secondPlan({ quads, scale, rgba, width, height, parts = 1 }) {
    await ops.ocrInit();
    const plan = (await ocr).second_plan(JSON.stringify(quads), scale, new Uint8Array(rgba), width, height, parts);
    return plan ? JSON.parse(plan) : null;
  },
  async quads({ plan, probs }) {
    await ops.ocrInit();
    return JSON.parse((await ocr).quads(JSON.stringify(plan), probs));
  },
  async changes({ before, now, width, height, quads }) {
    await ops.ocrInit();
    const bands = (await ocr).changes(new Uint8Array(before), new Uint8Array(now), width, height, JSON.stringify(quads));
    return bands ? JSON.parse(bands) : null;
  },
  async detectBand({ rgba, width, height, top, scale }) {
    await ops.ocrInit();
    return JSON.parse((await ocr).detect_band(new Uint8Array(rgba), width, height, top, scale));
  },
  async cut({ quads, bands, height }) {
    await ops.ocrInit();
    return (await ocr).cut(JSON.stringify(quads), JSON.stringify(bands), height);
  },
  async detect({ rgba, width, height }) {
    await ops.ocrInit();
    return JSON.parse((await ocr).detect(new Uint8Array(rgba), width, height));
  },
  async recognize({ rgba, width, height, quads }, progress) {
    await ops.ocrInit();
    return JSON.parse((await ocr).recognize(new Uint8Array(rgba), width, height, JSON.stringify(quads), progress));
  },
  /** Starts (`on`) or stops summing each network step's time; stopping returns the sums. */
  async networkProfile({ on }) {
    await ops.init();
    return JSON.parse(network_profile(Boolean(on)));
  },
  async categories() {
    await ops.init();
    return JSON.parse(categories());
  },
  async scan({ ocr: result, policy }) {
    await ops.init();
    return JSON.parse(scan_text(JSON.stringify(result), JSON.stringify(policy ?? {})));
  },
  async filter({ findings, policy }) {
    await ops.init();
    return JSON.parse(filter_findings(JSON.stringify(findings), JSON.stringify(policy ?? {})));
  },
  async redact({ blob, regions, style, format }) {
    await ops.init();
    const bytes = redact(await bytesOf(blob), regions, style, format, seed());
    return { value: bytes.buffer, transfer: [bytes.buffer] };
  },
};

answer(ops);
