// Kuronuri's JavaScript API: the page uses it, and anyone can script it.
//
//   import { Kuronuri } from './kuronuri.js';
//   const k = await Kuronuri.load();
//   const masked = await k.redactImage(file, { boxes: [[x, y, w, h]], style: 'fill' });
//   const { findings } = await k.scanImage(file);            // personal data found by OCR + rules
//   const clean = await k.redactImage(file, { findings });    // text filled solid
//
// All pixel work runs in a Web Worker with the WebAssembly core; nothing is sent anywhere.
// Errors are `KuronuriError`s with a stable `code` (not_an_image, unsupported_format, corrupt,
// empty, too_large, file_too_large, bad_region, bad_style, bad_format, …).

/** Files larger than this are refused before they are read. */
export const MAX_FILE_BYTES = 200 * 1024 * 1024;

export class KuronuriError extends Error {
  constructor({ code, message, ...rest }) {
    super(message || code);
    this.name = 'KuronuriError';
    this.code = code;
    Object.assign(this, rest);
  }
}

/**
 * Regions in the forms the API takes, turned into the core's JSON form:
 * `[x, y, w, h]`, `{x, y, w, h}`, `{box: [x, y, w, h]}`, `{quad: [[x, y] ×4]}` or
 * `{polygon: [[x, y], …]}`, each optionally with `pad` (share of its height, default 0.15).
 */
export function toRegions(list = []) {
  return list.map((r) => {
    if (Array.isArray(r)) return { box: r.map(Number) };
    if (r.box || r.quad || r.polygon || r.ellipse || r.face) {
      const { box, quad, polygon, ellipse, face, pad, feather, style } = r;
      return Object.fromEntries(Object.entries({ box, quad, polygon, ellipse, face, pad, feather, style }).filter(([, v]) => v !== undefined));
    }
    if ('x' in r) {
      const region = { box: [r.x, r.y, r.w ?? r.width, r.h ?? r.height].map(Number) };
      if (r.pad !== undefined) region.pad = r.pad;
      return region;
    }
    throw new KuronuriError({ code: 'bad_region', message: `not a region: ${JSON.stringify(r)}` });
  });
}

function checkBlob(blob) {
  if (!(blob instanceof Blob)) {
    throw new KuronuriError({ code: 'not_an_image', message: 'expected a Blob or File' });
  }
  if (blob.size > MAX_FILE_BYTES) {
    throw new KuronuriError({
      code: 'file_too_large',
      message: `the file has ${blob.size} bytes, the limit is ${MAX_FILE_BYTES}`,
      size: Math.ceil(blob.size / 1048576),
    });
  }
}

/** Video files larger than this are refused (they are streamed, but must fit in a Blob). */
export const MAX_VIDEO_BYTES = 4 * 1024 * 1024 * 1024;

function checkVideo(blob) {
  if (!(blob instanceof Blob)) throw new KuronuriError({ code: 'not_a_video', message: 'expected a Blob or File' });
  if (blob.size === 0) throw new KuronuriError({ code: 'empty', message: 'the file is empty' });
  if (blob.size > MAX_VIDEO_BYTES) {
    throw new KuronuriError({ code: 'file_too_large', message: `the file has ${blob.size} bytes`, size: Math.ceil(blob.size / 1048576) });
  }
}

/** Every frame's regions, from a video scan's tracks: `[{i, t, findings: [{category, quad, track}]}]`. */
export function framesOf({ frame_count: count, tracks = [], times = [] }) {
  const frames = Array.from({ length: count }, (_, i) => ({ i, t: times[i] ?? null, findings: [] }));
  for (const track of tracks) {
    for (const span of track.spans) {
      for (let i = span.from; i <= Math.min(span.to, count - 1); i++) {
        frames[i].findings.push({ category: track.category, quad: span.quad, track: track.id });
      }
    }
  }
  return frames;
}

function mimeOf(format) {
  return String(format).startsWith('jp') ? 'image/jpeg' : 'image/png';
}

/**
 * The regions that mask `findings`: text is filled solid in `textStyle` (pixelated text can be
 * read back), other findings (faces) take `style`.
 */
export function findingRegions(findings = [], { style = 'fill', faceStyle = 'blur', textStyle = 'fill' } = {}) {
  return findings.map((f) => findingRegion(f, { style, faceStyle, textStyle }));
}

/**
 * The region that masks one finding. Text is filled solid (`textStyle`). Pictures (faces, an
 * ID card's photo, codes, seals) take `style` unless it is a fill, else `faceStyle` (default
 * blur: the core's noisy blur keeps only the area's mean colour, see src/imaging/mask.rs); a
 * face found by the face model is masked as a soft-edged ellipse around its box
 * (`Region::face` in src/imaging/region.rs).
 */
export function findingRegion(f, { style = 'fill', faceStyle = 'blur', textStyle = 'fill' } = {}) {
  if (f.text) return { quad: f.quad, style: textStyle };
  const pictureStyle = style === 'fill' ? faceStyle : style;
  if (f.category === 'face' && f.reason?.startsWith('face')) {
    // A face found by the face model: the core masks it as a soft-edged ellipse around the box.
    const xs = f.quad.map((p) => p[0]);
    const ys = f.quad.map((p) => p[1]);
    const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
    return { face: [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0], style: pictureStyle };
  }
  return { quad: f.quad, style: pictureStyle };
}

/** One Web Worker running the WebAssembly core, answering calls by message. */
/** A worker's URL asking for the plain build of the core when `simd` is 'plain'. */
function withSimd(url, simd) {
  if (simd !== 'plain') return url;
  const u = new URL(url, import.meta.url);
  u.searchParams.set('simd', 'plain');
  return u;
}

class Engine {
  #worker;
  #next = 1;
  #pending = new Map();

  constructor(url, name) {
    this.#worker = new Worker(url, { type: 'module', name });
    this.#worker.onmessage = ({ data }) => {
      const waiting = this.#pending.get(data.id);
      if (!waiting) return;
      if (data.progress) {
        waiting.onProgress?.(...data.progress);
        return;
      }
      this.#pending.delete(data.id);
      if (data.ok) waiting.resolve(data.result);
      else waiting.reject(new KuronuriError(data.error));
    };
    this.#worker.onerror = (event) => {
      const error = new KuronuriError({ code: 'engine', message: event.message || 'the worker failed' });
      for (const waiting of this.#pending.values()) waiting.reject(error);
      this.#pending.clear();
    };
  }

  call(op, args = {}, { transfer = [], onProgress } = {}) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      this.#worker.postMessage({ id, op, args }, transfer);
    });
  }

  /** Stops the worker; calls still waiting fail with `error` (when given). */
  terminate(error) {
    this.#worker.terminate();
    if (error) for (const waiting of this.#pending.values()) waiting.reject(error);
    this.#pending.clear();
  }
}

/**
 * The line of `before` (an OCR result with its pixels) read over quad `q` when `now` has the
 * same pixels there: same place (within a pixel) and the same pixels in the quad's box (mean
 * difference under 1 level, no pixel off by more than 24) and it was read with confidence.
 * Null otherwise.
 */
const REUSE_ABOVE = 0.8;

function sameLine(before, now, q) {
  if (before.width !== now.width || before.height !== now.height) return null;
  const xs = q.map((p) => p[0]);
  const ys = q.map((p) => p[1]);
  const line = before.lines.find((l) => (l.detected ?? l.quad).every((p, k) => Math.abs(p[0] - q[k][0]) <= 1 && Math.abs(p[1] - q[k][1]) <= 1));
  // An unsure reading is worth another try (in another batch it may come out right).
  if (!line || line.confidence < REUSE_ABOVE) return null;
  const x0 = Math.max(0, Math.floor(Math.min(...xs)) - 2);
  const y0 = Math.max(0, Math.floor(Math.min(...ys)) - 2);
  const x1 = Math.min(now.width, Math.ceil(Math.max(...xs)) + 2);
  const y1 = Math.min(now.height, Math.ceil(Math.max(...ys)) + 2);
  const a = new Uint8Array(before.rgba);
  const b = new Uint8Array(now.rgba);
  let sum = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let i = (y * now.width + x0) * 4, end = (y * now.width + x1) * 4; i < end; i += 4) {
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(a[i + c] - b[i + c]);
        if (d > 24) return null;
        sum += d;
        n += 1;
      }
    }
  }
  return n && sum / n < 1 ? line : null;
}

/** Parts of the recognition per worker (see `#recognise`). */
const PARTS_PER_WORKER = 3;

/** A line's strip width in heights (as the recogniser's strip is sampled). */
function stripLength(q) {
  const len = (Math.hypot(q[1][0] - q[0][0], q[1][1] - q[0][1]) + Math.hypot(q[2][0] - q[3][0], q[2][1] - q[3][1])) / 2;
  const height = Math.max(1, (Math.hypot(q[3][0] - q[0][0], q[3][1] - q[0][1]) + Math.hypot(q[2][0] - q[1][0], q[2][1] - q[1][1])) / 2);
  return len / height;
}

/**
 * The indices of `quads` cut into at most `n` parts of about equal cost (recognition cost
 * follows strip length), each part of lines of neighbouring widths (in order of width).
 */
function shareOut(quads, n) {
  const order = quads.map((q, i) => [stripLength(q), i]).sort((a, b) => a[0] - b[0]);
  const total = order.reduce((s, [l]) => s + l + 1, 0);
  const parts = [];
  let current = [];
  let sum = 0;
  for (const [l, i] of order) {
    current.push(i);
    // One height added per line: a short line costs a model step or two all the same.
    sum += l + 1;
    if (sum >= (total * (parts.length + 1)) / n && parts.length < n - 1) {
      parts.push(current);
      current = [];
    }
  }
  parts.push(current);
  return parts.filter((p) => p.length);
}

/**
 * Runs `job(engine, k)` for k = 0…n-1 on `engines`, each engine taking the next k when it is
 * done with one (so one still busy with something else holds up none); resolves when all are.
 */
async function takeTurns(engines, n, job) {
  let next = 0;
  await Promise.all(engines.map(async (engine, w) => {
    while (next < n) await job(engine, next++, w);
  }));
}

/** Two recognition timings added up (one worker's parts). */
function addTimings(a, b) {
  if (!a) return { ...b };
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if (typeof v === 'number' && k !== 'scale') out[k] = (out[k] ?? 0) + v;
  return out;
}

export class Kuronuri {
  #engine;
  #url;
  #pool = [];
  #ocrLoaded = null;
  #threads;
  #videoUrl;

  /**
   * Starts the worker and loads the WebAssembly core. `threads`: how many workers read text
   * in parallel (default: the device's cores, at most 4). `ocr: true` also loads the OCR
   * models now (they are kept in Cache Storage for later visits). `simd: 'plain'` runs the
   * core built without relaxed SIMD even where the browser has it (default: the faster build
   * the browser can run; see simd.js).
   */
  static async load({
    workerUrl = new URL('./worker.js', import.meta.url),
    videoWorkerUrl = new URL('./video-worker.js', import.meta.url),
    threads,
    ocr = false,
    simd,
  } = {}) {
    const k = new Kuronuri(withSimd(workerUrl, simd), threads);
    k.#videoUrl = withSimd(videoWorkerUrl, simd);
    await k.#engine.call('init');
    if (ocr) await k.loadOcr();
    return k;
  }

  constructor(url, threads) {
    this.#url = url;
    this.#videoUrl = new URL('./video-worker.js', import.meta.url);
    this.#engine = new Engine(url, 'kuronuri');
    this.#threads = Math.max(1, Math.min(threads ?? navigator.hardwareConcurrency ?? 2, 8));
  }

  #call(op, args = {}, transfer = []) {
    return this.#engine.call(op, args, { transfer });
  }

  /** Starts the workers that read text besides the first (one per thread). */
  #startPool() {
    while (this.#pool.length < this.#threads - 1) this.#pool.push(new Engine(this.#url, `kuronuri-ocr-${this.#pool.length + 1}`));
  }

  /**
   * The worker that looks at pictures: the last one, so that the first, which also plans and
   * merges the text detection, is free for the next video frame's text meanwhile (the other
   * workers take their share of that frame's tiles and lines as they get free).
   */
  #picturesEngine() {
    this.#startPool();
    return this.#pool.at(-1) ?? this.#engine;
  }

  /** Loads the face model in the worker that looks at pictures (kept in Cache Storage too). */
  async loadPictures() {
    await this.#picturesEngine().call('picturesInit');
  }

  /**
   * Loads the OCR models in every worker that reads text, once: later calls do not message the
   * workers again (a call queued behind a worker's face model would hold up every video frame
   * read until the pictures of the frame before were done).
   */
  async loadOcr() {
    this.#startPool();
    this.#ocrLoaded ??= Promise.all([this.#engine, ...this.#pool].map((e) => e.call('ocrInit')))
      .catch((e) => { this.#ocrLoaded = null; throw e; });
    await this.#ocrLoaded;
  }

  /**
   * For the bench: `networkProfile(true)` starts summing the time of every step of the models
   * in every worker; `networkProfile(false)` stops and returns, per worker, `[{step, shapes,
   * ms, runs}]` (see the core's `detection::network::profile`).
   */
  async networkProfile(on) {
    this.#startPool();
    return Promise.all([this.#engine, ...this.#pool].map((e) => e.call('networkProfile', { on })));
  }

  /**
   * Reads the text of an image: `{width, height, lines: [{text, confidence, quad, chars:
   * [{text, quad, confidence}]}], timings}`, quads in image pixels (clockwise from the start
   * of the line's top edge). Lines are read by all workers in parallel.
   * `onProgress(done, total)` reports lines read.
   */
  async ocrImage(blob, { onProgress, threads } = {}) {
    checkBlob(blob);
    await this.loadOcr();
    const started = performance.now();
    const { width, height, rgba } = await this.#call('decode', { blob });
    const result = await this.ocrPixels({ width, height, rgba }, { onProgress, threads });
    result.timings.decode_ms = result.timings.started_ms - started;
    result.timings.total_ms = performance.now() - started;
    delete result.timings.started_ms;
    return result;
  }

  /**
   * Reads the text of decoded pixels (`rgba`: an ArrayBuffer of `width × height` RGBA
   * pixels, such as a video frame); the result is as `ocrImage`'s, with the detector's
   * `scale`. `reuse`: the previous frame read `{width, height, rgba, lines, scale}`: only the
   * rows around what changed since are looked at again, and lines found over the same pixels
   * keep their reading.
   */
  async ocrPixels({ width, height, rgba }, { onProgress, threads, reuse } = {}) {
    await this.loadOcr();
    const started = performance.now();
    const engines = [this.#engine, ...this.#pool].slice(0, Math.max(1, Math.min(threads ?? this.#threads, this.#threads)));
    const frame = { rgba, width, height };
    // A video's next frame: only the rows around what changed since `reuse` are looked at
    // again, the lines elsewhere keep their reading (read whole when too much changed).
    if (reuse?.scale && reuse.width === width && reuse.height === height) {
      const again = await this.#reread(engines, reuse, frame, onProgress, started);
      if (again) return again;
    }
    // Detection: the plan's tiles (at least one per worker where the image is large enough,
    // none over its plain parts) taken by the workers as they get free, then merged by one.
    // When the text found is small, the image is looked at again, larger (as natively).
    let plan = await this.#call('plan', { rgba, width, height, parts: engines.length });
    let { quads, detectTimings } = await this.#detect(engines, rgba, width, height, plan);
    const second = await this.#call('secondPlan', { quads, scale: plan.scale, rgba, width, height, parts: engines.length });
    if (second) {
      plan = second;
      const again = await this.#detect(engines, rgba, width, height, plan);
      quads = again.quads;
      detectTimings = { first: detectTimings, ...again.detectTimings };
    }
    const { kept, fresh, recognizeTimings } = await this.#recognise(engines, frame, quads, reuse, onProgress);
    return {
      width,
      height,
      lines: [...kept, ...fresh],
      scale: plan.scale,
      timings: {
        started_ms: started,
        detect: detectTimings,
        recognize: recognizeTimings,
        workers: engines.length,
        reused: kept.length,
        total_ms: performance.now() - started,
      },
    };
  }

  /**
   * Recognises the lines at `quads` of `frame` on all `engines`. Lines found at the same place
   * with the same pixels in `reuse` (the previous frame read of a video) keep their text:
   * `kept`; the others are read: `fresh`.
   */
  async #recognise(engines, { rgba, width, height }, quads, reuse, onProgress) {
    const kept = [];
    if (reuse) {
      const others = [];
      for (const q of quads) {
        const line = sameLine(reuse, { rgba, width, height }, q);
        if (line) kept.push(line);
        else others.push(q);
      }
      quads = others;
    }
    // The lines are cut into a few parts per worker, each part of lines about as wide (so that
    // a worker's batches hold little padding), and each worker takes the next part when it is
    // done with one: no worker waits for another with more to read.
    const parts = shareOut(quads, engines.length * PARTS_PER_WORKER);
    const done = new Array(parts.length).fill(0);
    const results = new Array(parts.length);
    const timings = engines.map(() => null);
    await takeTurns(engines, parts.length, async (engine, k, w) => {
      const r = await engine.call(
        'recognize',
        { rgba, width, height, quads: parts[k].map((i) => quads[i]) },
        { onProgress: (d) => { done[k] = d; onProgress?.(done.reduce((a, b) => a + b, 0), quads.length); } },
      );
      results[k] = r.lines;
      timings[w] = addTimings(timings[w], r.timings);
    });
    // Back in the detector's order (the rules read lines in it).
    const at = new Map(quads.map((q, i) => [JSON.stringify(q), i]));
    const place = (l) => at.get(JSON.stringify(l.detected)) ?? quads.length;
    const fresh = results.flat().sort((a, b) => place(a) - place(b));
    return { kept, fresh, recognizeTimings: timings.filter(Boolean) };
  }

  /**
   * Reads `frame` again after `reuse` (the previous frame read, same size): the detector looks
   * only at the bands of rows around what changed (each band to the next worker free), at the
   * scale `reuse` was read at; lines outside the bands keep their reading. Null when the frame
   * must be read whole: too much changed, or a line read reaches the inner edge of a band.
   */
  async #reread(engines, reuse, frame, onProgress, started) {
    const { rgba, width, height } = frame;
    const changes = await this.#call('changes', { before: reuse.rgba, now: rgba, width, height, quads: reuse.lines.map((l) => l.quad) });
    if (!changes) return null;
    const { bands, kept } = changes;
    const bytes = new Uint8Array(rgba);
    const row = width * 4;
    const found = new Array(bands.length);
    await takeTurns(engines, bands.length, async (engine, k) => {
      const [top, bottom] = bands[k];
      found[k] = await engine.call(
        'detectBand',
        { rgba: bytes.slice(top * row, bottom * row).buffer, width, height: bottom - top, top, scale: reuse.scale },
      );
    });
    const quads = found.flatMap((f) => f.quads);
    const read = await this.#recognise(engines, frame, quads, reuse, onProgress);
    if (await this.#call('cut', { quads: read.fresh.map((l) => l.quad), bands, height })) return null;
    const unchanged = kept.map((i) => reuse.lines[i]);
    return {
      width,
      height,
      lines: [...unchanged, ...read.kept, ...read.fresh],
      scale: reuse.scale,
      timings: {
        started_ms: started,
        detect: { scale: reuse.scale, bands, workers: found.map((f) => f.timings) },
        recognize: read.recognizeTimings,
        workers: engines.length,
        reused: unchanged.length + read.kept.length,
        total_ms: performance.now() - started,
      },
    };
  }

  /** The file of the core's build the workers run (`kuronuri_relaxed_bg.wasm` or `kuronuri_bg.wasm`). */
  async core() {
    return this.#call('core');
  }

  /** The categories of personal data: `[{id, tier: 'must'|'may', ja, en}]`. */
  async categories() {
    return this.#call('categories');
  }

  /**
   * Finds the personal data in an image: reads its text (all workers, see `ocrImage`), then
   * applies the rules under `policy` (`{preset: 'everything'|'identifiers'|'insurance_copy',
   * off: [category…]}`,
   * default everything). Returns `{width, height, findings: [{category, tier, text, quad,
   * score, reason}], ocr}`; quads in image pixels.
   */
  async scanImage(blob, { policy = {}, onProgress, threads } = {}) {
    checkBlob(blob);
    await this.loadOcr();
    const started = performance.now();
    const { width, height, rgba } = await this.#call('decode', { blob });
    const ocr = await this.ocrPixels({ width, height, rgba }, { onProgress, threads });
    ocr.timings.decode_ms = ocr.timings.started_ms - started;
    delete ocr.timings.started_ms;
    const scanning = performance.now();
    const [findings, pictures] = await Promise.all([
      this.scanText(ocr, { policy }),
      this.scanPictures({ width, height, rgba }, ocr, { policy }),
    ]);
    ocr.timings.scan_ms = performance.now() - scanning;
    ocr.timings.pictures = pictures.timings;
    ocr.timings.total_ms = performance.now() - started;
    return { width, height, findings: [...findings, ...pictures.findings], ocr };
  }

  /**
   * Findings that are not text in decoded pixels whose text was read as `ocr`: faces (face
   * model), the holder's photo on ID cards, QR codes/barcodes, seals. Returns `{findings,
   * documents, timings}`; `documents` lists the identity documents shown as `{kind, side, quad}` (`insurance_card`, `my_number_card` with side `front`/`back`…; `quad` is the card's outline or null).
   * `frame`: 'image' (default), or 'first' / 'next' for the frames read of one video in
   * order: faces are then looked for again only in the rows that changed since the frame
   * before.
   */
  async scanPictures({ width, height, rgba }, ocr, { policy = {}, frame = 'image' } = {}) {
    return this.#picturesEngine().call('pictures', { rgba, width, height, ocr: { width: ocr.width, height: ocr.height, lines: ocr.lines }, policy, frame });
  }

  /** The findings that `policy` keeps (for findings found once and shown under another preset). */
  async filterFindings(findings, { policy = {} } = {}) {
    return this.#call('filter', { findings, policy });
  }

  /** Faces in decoded pixels (for the bench): `{faces: [{x0, y0, x1, y1, score}], timings}`. */
  async faces({ width, height, rgba }) {
    return this.#picturesEngine().call('faces', { rgba, width, height });
  }

  /** The findings in text already read (`ocrImage`'s result), under `policy`. */
  async scanText(ocr, { policy = {} } = {}) {
    return this.#call('scan', { ocr: { width: ocr.width, height: ocr.height, lines: ocr.lines }, policy });
  }

  /**
   * Finds the personal data in a video (MP4 or WebM) without reading every frame: frames are
   * decoded in a video worker, the core picks the frames worth reading (the content changed
   * and settled, or scrolled a third of the way), those are read with OCR and the rules, and
   * each finding is carried over every frame it is on screen (moved with scrolling).
   * Returns `{width, height, fps, duration, frame_count, keys, tracks, times, frames}`:
   * `tracks` `[{id, category, tier, text, reason, first, last, sightings, spans: [{from, to,
   * quad}]}]`, `frames` `[{i, t, findings: [{category, quad, track}]}]` for every frame.
   * `onProgress({phase: 'scan', frames, time, duration, read})`; `signal` (AbortSignal) cancels.
   */
  async scanVideo(blob, { policy = {}, onProgress, signal } = {}) {
    checkVideo(blob);
    await this.loadOcr();
    const video = new Engine(this.#videoUrl, 'kuronuri-video');
    const stop = () => video.terminate(new KuronuriError({ code: 'cancelled', message: 'the scan was cancelled' }));
    signal?.addEventListener('abort', stop, { once: true });
    try {
      signal?.throwIfAborted?.();
      const info = await video.call('open', { blob });
      let read = 0;
      let reused = 0;
      let lines = 0;
      let frames = 0;
      let time = 0;
      const report = () => onProgress?.({ phase: 'scan', frames, time, duration: info.duration, read });
      const reading = [];
      const reads = [];
      const scanStarted = performance.now();
      // Frames are read one after another, each reusing the lines of the one before that
      // did not change (a pointer moved, a field was typed in); decoding goes on meanwhile.
      let previous = Promise.resolve(null);
      for (;;) {
        const step = await video.call('next', {}, { onProgress: (f, t) => { frames = f; time = t; report(); } });
        if (step.done) break;
        frames = step.i + 1;
        time = step.t;
        const decoded = performance.now() - scanStarted;
        const ocr = previous.then((reuse) => this.ocrPixels(step, { reuse }));
        previous = ocr.then((r) => ({ width: step.width, height: step.height, rgba: step.rgba, lines: r.lines, scale: r.scale }), () => null);
        const job = ocr
          .then((r) => {
            reused += r.timings.reused;
            lines += r.lines.length;
            const t = r.timings;
            reads.push({
              i: step.i,
              // When the frame was ready to read and when its OCR began and ended (ms since
              // the scan started).
              decoded_ms: Math.round(decoded),
              ocr_from_ms: Math.round(t.started_ms - scanStarted),
              ocr_to_ms: Math.round(performance.now() - scanStarted),
              lines: r.lines.length,
              reused: t.reused,
              ocr_ms: Math.round(t.total_ms),
              recognize_ms: Math.round(Math.max(0, ...t.recognize.map((x) => x?.total_ms ?? 0))),
              // Detector model time summed over the workers (tiles of a frame read whole, or the
              // bands of one read again where it changed).
              detect_ms: Math.round([...(t.detect.first?.workers ?? []), ...t.detect.workers].reduce((n, w) => n + (w?.detect_model_ms ?? 0), 0)),
            });
            const started = performance.now();
            // The frames read go to the pictures worker in order: each after the first is
            // looked at again only where it changed.
            const frame = reads.length === 1 ? 'first' : 'next';
            return Promise.all([this.scanText(r, { policy }), this.scanPictures(step, r, { policy, frame })])
              .then((found) => {
                const read = reads.find((x) => x.i === step.i);
                read.rules_pictures_ms = Math.round(performance.now() - started);
                read.done_ms = Math.round(performance.now() - scanStarted);
                return found;
              });
          })
          .then(([text, pictures]) => video.call('findings', { i: step.i, findings: [...text, ...pictures.findings] }))
          .then(() => { read += 1; report(); });
        reading.push(job);
        // At most two frames waiting to be read: memory stays bounded.
        while (reading.length >= 2) await reading.shift();
      }
      await Promise.all(reading);
      const result = await video.call('finish');
      result.duration = info.duration;
      result.lines = { read: lines, reused };
      result.reads = reads;
      result.frames = framesOf(result);
      return result;
    } finally {
      signal?.removeEventListener('abort', stop);
      video.terminate();
    }
  }

  /**
   * Writes a new video with `frames[i].findings` (as `scanVideo` returns them; each `{quad}`
   * or `{box}`) masked in frame i: text filled in `textStyle`, faces and hand-drawn boxes
   * (`{box, category: 'manual'}`) in `style`. `times` (the scan's) matches frames by
   * timestamp. MP4 (H.264) where the browser can encode it, else WebM (VP9); audio is copied;
   * no metadata. Returns a Blob. `onProgress({phase: 'export', frames, time, duration})`.
   */
  async redactVideo(blob, { frames = [], times, duration, style = 'fill', textStyle = 'fill', onProgress, signal } = {}) {
    checkVideo(blob);
    const byIndex = [];
    for (const f of frames) {
      byIndex[f.i] = toRegions((f.findings ?? []).map((x) => {
        const own = x.category === 'face' || x.category === 'manual' ? style : textStyle;
        return x.quad ? { quad: x.quad, style: own } : { box: x.box, style: own };
      }));
    }
    const video = new Engine(this.#videoUrl, 'kuronuri-video-export');
    const stop = () => video.terminate(new KuronuriError({ code: 'cancelled', message: 'the export was cancelled' }));
    signal?.addEventListener('abort', stop, { once: true });
    try {
      signal?.throwIfAborted?.();
      const { bytes, mime } = await video.call('export', { blob, frames: byIndex, times, style }, {
        onProgress: (done, time) => onProgress?.({ phase: 'export', frames: done, time, duration }),
      });
      return new Blob([bytes], { type: mime });
    } finally {
      signal?.removeEventListener('abort', stop);
      video.terminate();
    }
  }

  /**
   * Runs the detector over `plan`'s tiles, shared among `engines` (each takes the next tile
   * when it is free, so a worker still busy with something else holds up none); the quads
   * found.
   */
  async #detect(engines, rgba, width, height, plan) {
    const probs = new Float32Array(plan.tiles.reduce((n, t) => n + t[2] * t[3], 0));
    const offsets = [];
    plan.tiles.reduce((at, t, i) => { offsets[i] = at; return at + t[2] * t[3]; }, 0);
    const workerTimings = [];
    await takeTurns(engines, plan.tiles.length, async (engine, i) => {
      const run = await engine.call('detectTiles', { rgba, width, height, plan, indices: [i] });
      probs.set(run.probs, offsets[i]);
      workerTimings.push(run.timings);
    });
    const { quads, timings: postTimings } = await this.#engine.call('quads', { plan, probs }, { transfer: [probs.buffer] });
    const detectTimings = { scale: plan.scale, tiles: plan.tiles.length, workers: workerTimings, post: postTimings };
    return { quads, detectTimings };
  }

  /**
   * Masks an image file and returns a new PNG or JPEG Blob with no metadata: `findings` (from
   * `scanImage`; text filled solid in `textStyle`), and `boxes` or `regions` in `style`:
   * 'fill' (default), 'fill:#rrggbb', 'mosaic' or 'blur'. `format`: 'png' (default), 'jpeg'
   * or 'jpeg:Q'. The input Blob is only read.
   */
  async redactImage(blob, { findings = [], boxes = [], regions = [], style = 'fill', textStyle = 'fill', format = 'png' } = {}) {
    checkBlob(blob);
    const all = [...findingRegions(findings, { style, textStyle }), ...toRegions(boxes), ...toRegions(regions)];
    const bytes = await this.#call('redact', { blob, regions: JSON.stringify(all), style, format });
    return new Blob([bytes], { type: mimeOf(format) });
  }

  /**
   * Opens an image for editing (one at a time per instance): decodes it in the worker and
   * returns `{width, height, pixels}` where `pixels` is an ImageData of the upright image.
   */
  async openImage(blob) {
    checkBlob(blob);
    const { width, height, rgba } = await this.#call('open', { blob });
    return { width, height, pixels: new ImageData(new Uint8ClampedArray(rgba), width, height) };
  }

  /**
   * Masks `regions` of the open image in `style` for a live preview, re-masking only what
   * changed since the last call. Returns the changed rectangle as `{x, y, pixels}` (ImageData
   * to draw at x, y), or null when nothing changed.
   */
  async renderImage({ boxes = [], regions = [], style = 'fill' } = {}) {
    const all = [...toRegions(boxes), ...toRegions(regions)];
    const patch = await this.#call('render', { regions: JSON.stringify(all), style });
    if (!patch) return null;
    const { x, y, width, height, rgba } = patch;
    return { x, y, pixels: new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height) };
  }

  /** The open image masked and encoded as a new file (see `redactImage`). */
  async exportImage({ boxes = [], regions = [], style = 'fill', format = 'png' } = {}) {
    const all = [...toRegions(boxes), ...toRegions(regions)];
    const bytes = await this.#call('export', { regions: JSON.stringify(all), style, format });
    return new Blob([bytes], { type: mimeOf(format) });
  }

  /** WebAssembly memory held by each worker, in bytes (its peak so far). */
  async memory() {
    return Promise.all([this.#engine, ...this.#pool].map((e) => e.call('memory')));
  }

  /** Stops the workers. */
  close() {
    for (const e of [this.#engine, ...this.#pool]) e.terminate();
  }
}
