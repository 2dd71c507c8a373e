// Kuronuri's JavaScript API: the page uses it, and anyone can script it.
//
//   import { Kuronuri } from './kuronuri.js';
//   const k = await Kuronuri.load();
//   const masked = await k.redactImage(file, { boxes: [[x, y, w, h]], style: 'fill' });
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
    if (r.box || r.quad || r.polygon) return r;
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

function mimeOf(format) {
  return String(format).startsWith('jp') ? 'image/jpeg' : 'image/png';
}

export class Kuronuri {
  #worker;
  #next = 1;
  #pending = new Map();

  /** Starts the worker and loads the WebAssembly core. */
  static async load({ workerUrl = new URL('./worker.js', import.meta.url) } = {}) {
    const k = new Kuronuri(new Worker(workerUrl, { type: 'module', name: 'kuronuri' }));
    await k.#call('init');
    return k;
  }

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const waiting = this.#pending.get(data.id);
      if (!waiting) return;
      this.#pending.delete(data.id);
      if (data.ok) waiting.resolve(data.result);
      else waiting.reject(new KuronuriError(data.error));
    };
    worker.onerror = (event) => {
      const error = new KuronuriError({ code: 'engine', message: event.message || 'the worker failed' });
      for (const waiting of this.#pending.values()) waiting.reject(error);
      this.#pending.clear();
    };
  }

  #call(op, args = {}, transfer = []) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args }, transfer);
    });
  }

  /**
   * Masks `boxes` (or `regions`) of an image file and returns a new PNG or JPEG Blob with no
   * metadata. `style`: 'fill' (default), 'fill:#rrggbb', 'mosaic' or 'blur'; `format`: 'png'
   * (default), 'jpeg' or 'jpeg:Q'. The input Blob is only read.
   */
  async redactImage(blob, { boxes = [], regions = [], style = 'fill', format = 'png' } = {}) {
    checkBlob(blob);
    const all = [...toRegions(boxes), ...toRegions(regions)];
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

  /** Stops the worker. */
  close() {
    this.#worker.terminate();
  }
}
