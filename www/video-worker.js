// The Web Worker that decodes and encodes videos (WebCodecs through mediabunny, bundled into
// www/vendor/ at build time) and runs the WebAssembly video core on their frames. One worker
// per scan or export: cancelling is terminating it. Answers `{id, op, args}` like worker.js.
//
// Scanning: `open` reads the file's video track, then each `next` decodes frames, hands their
// luma to the core, and returns at the next frame the core wants read (its RGBA pixels, which
// the page reads with OCR and gives back with `findings`), until `{done}`; `finish` gives the
// tracks. Frames are decoded once, one at a time: memory stays bounded.
// Exporting: `export` re-encodes the video with each frame's regions masked in place (only the
// rectangle that holds them is read back from the frame), audio copied untouched, no metadata.

import { answer } from './answer.js';
import init, { VideoScanner, mask_rgba } from './pkg/kuronuri.js';
import { coreUrl } from './simd.js';
import {
  ALL_FORMATS, BlobSource, BufferTarget, Conversion, Input, Mp4OutputFormat, Output, VideoSampleSink,
  WebMOutputFormat, canEncodeVideo,
} from './vendor/mediabunny.min.mjs';

let ready = null;
let scan = null;

const PLANAR = new Set(['I420', 'I420P10', 'I420A', 'I422', 'I444', 'NV12']);

function fail(code, message) {
  return { code, message };
}

async function openTrack(blob) {
  const input = new Input({ source: new BlobSource(blob), formats: ALL_FORMATS });
  let track;
  try {
    track = await input.getPrimaryVideoTrack();
  } catch (e) {
    throw fail('not_a_video', `not a video file we can read (${e?.message || e})`);
  }
  if (!track) throw fail('not_a_video', 'the file has no video track (MP4 and WebM are read)');
  if (!(await track.canDecode())) throw fail('unsupported_codec', `this browser cannot decode ${track.codec ?? 'this'} video`);
  return { input, track };
}

/** Frames per second: from the packets' timing, else 30. */
async function rateOf(track) {
  const stats = await track.computePacketStats(240).catch(() => null);
  const rate = stats?.averagePacketRate;
  return rate && Number.isFinite(rate) && rate > 0 ? rate : 30;
}

/** A reusable buffer of at least `n` bytes. */
function buffer(holder, key, n) {
  if (!holder[key] || holder[key].byteLength < n) holder[key] = new Uint8Array(n);
  return holder[key];
}

/** The frame's RGBA pixels (coded orientation, tightly packed). */
async function rgbaOf(sample, holder) {
  const width = sample.codedWidth;
  const height = sample.codedHeight;
  const out = new Uint8Array(width * height * 4);
  try {
    await sample.copyTo(out, { format: 'RGBA' });
  } catch {
    // Browsers that cannot convert while copying: draw it instead.
    holder.canvas ??= new OffscreenCanvas(width, height);
    const ctx = holder.canvas.getContext('2d', { willReadFrequently: true });
    sample.draw(ctx, 0, 0, width, height);
    out.set(ctx.getImageData(0, 0, width, height).data);
  }
  return out;
}

/** Hands one decoded frame to the core; true when it should be read. */
async function push(sample, holder) {
  if (PLANAR.has(sample.format)) {
    const size = sample.allocationSize();
    const bytes = buffer(holder, 'planes', size);
    const layout = await sample.copyTo(bytes.subarray(0, size));
    const { offset, stride } = layout[0];
    if (sample.format === 'I420P10') {
      // 10-bit: the high byte of each sample is enough to see change.
      const w = sample.codedWidth;
      const h = sample.codedHeight;
      const luma = buffer(holder, 'luma', w * h);
      const v = new Uint16Array(bytes.buffer, bytes.byteOffset + offset, (stride / 2) * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) luma[y * w + x] = v[y * (stride / 2) + x] >> 2;
      return scan.scanner.push_luma(luma.subarray(0, w * h), w);
    }
    // Only the luma rows go to the core (the chroma planes follow them in the buffer).
    const rows = stride * (sample.codedHeight - 1) + sample.codedWidth;
    return scan.scanner.push_luma(bytes.subarray(offset, offset + rows), stride);
  }
  const rgba = await rgbaOf(sample, holder);
  return scan.scanner.push_rgba(rgba, sample.codedWidth * 4);
}

/** The frame index of each timestamp: the scan's frame whose start is nearest. */
function indexer(times) {
  return (t) => {
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (times[mid] <= t + 1e-6) lo = mid;
      else hi = mid - 1;
    }
    if (lo + 1 < times.length && Math.abs(times[lo + 1] - t) < Math.abs(times[lo] - t)) lo += 1;
    return lo;
  };
}

/**
 * Zeroes the creation and modification times the MP4 writer puts in the movie, track and media
 * headers (mvhd, tkhd, mdhd: the moment of export), so the file says nothing about when or
 * where it was made. Walks the boxes of `moov` in place.
 */
function clearMp4Times(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const walk = (start, end) => {
    let at = start;
    while (at + 8 <= end) {
      let size = view.getUint32(at);
      const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
      let header = 8;
      if (size === 1) {
        size = Number(view.getBigUint64(at + 8));
        header = 16;
      } else if (size === 0) {
        size = end - at;
      }
      if (size < header || at + size > end) return;
      if (type === 'moov' || type === 'trak' || type === 'mdia') walk(at + header, at + size);
      if (type === 'mvhd' || type === 'tkhd' || type === 'mdhd') {
        const wide = bytes[at + header] === 1;
        bytes.fill(0, at + header + 4, at + header + 4 + (wide ? 16 : 8));
      }
      at += size;
    }
  };
  walk(0, bytes.byteLength);
}

/** A fresh secret seed for the mosaic noise. */
function seed() {
  return crypto.getRandomValues(new BigUint64Array(1))[0];
}

const ops = {
  async init() {
    ready ??= init({ module_or_path: coreUrl(import.meta.url, { plain: new URL(import.meta.url).searchParams.get('simd') === 'plain' }) });
    await ready;
    return true;
  },

  async open({ blob }) {
    await ops.init();
    const { input, track } = await openTrack(blob);
    const width = track.codedWidth;
    const height = track.codedHeight;
    const fps = await rateOf(track);
    const duration = await input.computeDuration();
    scan?.scanner.free();
    scan = {
      scanner: new VideoScanner(width, height, fps),
      samples: new VideoSampleSink(track).samples(),
      holder: {},
      times: [],
      last: null,
      lastRead: -1,
      width,
      height,
    };
    return { width, height, fps, duration, codec: track.codec, rotation: track.rotation ?? 0 };
  },

  /** Decodes up to the next frame to read: `{i, t, width, height, rgba}`, or `{done: true}`. */
  async next(_, progress) {
    if (!scan) throw fail('bad_request', 'no video is open');
    for (;;) {
      const { value: sample, done } = await scan.samples.next();
      if (done) {
        const last = scan.last;
        scan.last = null;
        if (last && scan.scanner.needs_last() && scan.lastRead !== scan.times.length - 1) {
          const i = scan.times.length - 1;
          scan.lastRead = i;
          const rgba = await rgbaOf(last, scan.holder);
          last.close();
          return { value: { i, t: scan.times[i], width: scan.width, height: scan.height, rgba: rgba.buffer }, transfer: [rgba.buffer] };
        }
        last?.close();
        return { done: true, frames: scan.times.length };
      }
      const i = scan.times.length;
      scan.times.push(sample.timestamp);
      const key = await push(sample, scan.holder);
      if (i % 15 === 0) progress(i, sample.timestamp);
      scan.last?.close();
      scan.last = sample;
      if (key) {
        scan.lastRead = i;
        const rgba = await rgbaOf(sample, scan.holder);
        return { value: { i, t: sample.timestamp, width: scan.width, height: scan.height, rgba: rgba.buffer }, transfer: [rgba.buffer] };
      }
    }
  },

  async findings({ i, findings }) {
    if (!scan) throw fail('bad_request', 'no video is open');
    scan.scanner.add_findings(i, JSON.stringify(findings));
    return true;
  },

  async finish() {
    if (!scan) throw fail('bad_request', 'no video is open');
    const result = JSON.parse(scan.scanner.finish());
    result.times = scan.times;
    scan.last?.close();
    scan.scanner.free();
    scan = null;
    return result;
  },

  /**
   * Re-encodes `blob` with `frames[i]` (regions as the core takes them: `{quad, style}`…)
   * masked in each frame i (frames matched by timestamp to `times`). MP4 (H.264) when the
   * browser can encode it, else WebM (VP9). Returns `{bytes, mime, frames}`.
   */
  async export({ blob, frames, times, style = 'fill' }, progress) {
    await ops.init();
    const { input, track } = await openTrack(blob);
    const width = track.codedWidth;
    const height = track.codedHeight;
    const mp4 = await canEncodeVideo('avc', { width, height });
    const format = mp4 ? new Mp4OutputFormat({ fastStart: 'in-memory' }) : new WebMOutputFormat();
    const output = new Output({ format, target: new BufferTarget() });
    const at = indexer(times ?? []);
    const key = seed();
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    let done = 0;
    let masked = 0;
    const process = (sample) => {
      done += 1;
      const i = times?.length ? at(sample.timestamp) : done - 1;
      const regions = frames[i];
      if (i % 15 === 0) progress(done, sample.timestamp);
      if (!regions || !regions.length) return sample;
      // Only the rectangle holding the regions (padded) comes back from the frame.
      let x0 = width;
      let y0 = height;
      let x1 = 0;
      let y1 = 0;
      for (const r of regions) {
        const pts = r.quad ?? r.polygon ?? [[r.box[0], r.box[1]], [r.box[0] + r.box[2], r.box[1] + r.box[3]]];
        const ys = pts.map((p) => p[1]);
        const pad = (Math.max(...ys) - Math.min(...ys)) * 0.5 + 4;
        for (const [x, y] of pts) {
          x0 = Math.min(x0, x - pad); y0 = Math.min(y0, y - pad);
          x1 = Math.max(x1, x + pad); y1 = Math.max(y1, y + pad);
        }
      }
      x0 = Math.max(0, Math.floor(x0)); y0 = Math.max(0, Math.floor(y0));
      x1 = Math.min(width, Math.ceil(x1)); y1 = Math.min(height, Math.ceil(y1));
      if (x1 <= x0 || y1 <= y0) return sample;
      sample.draw(ctx, 0, 0, width, height);
      const patch = ctx.getImageData(x0, y0, x1 - x0, y1 - y0);
      const shifted = regions.map((r) => {
        const move = (p) => [p[0] - x0, p[1] - y0];
        if (r.quad) return { ...r, quad: r.quad.map(move) };
        if (r.polygon) return { ...r, polygon: r.polygon.map(move) };
        return { ...r, box: [r.box[0] - x0, r.box[1] - y0, r.box[2], r.box[3]] };
      });
      const bytes = new Uint8Array(patch.data.buffer, patch.data.byteOffset, patch.data.byteLength);
      mask_rgba(bytes, patch.width, patch.height, JSON.stringify(shifted), style, key);
      ctx.putImageData(patch, x0, y0);
      masked += 1;
      return canvas;
    };
    const conversion = await Conversion.init({
      input,
      output,
      video: { codec: mp4 ? 'avc' : 'vp9', forceTranscode: true, process, processedWidth: width, processedHeight: height },
      // No metadata tags are written (title, GPS location, device, dates…).
      tags: {},
      showWarnings: false,
    });
    if (!conversion.isValid) {
      throw fail('unsupported_codec', `cannot write this video: ${conversion.discardedTracks.map((d) => d.reason).join(', ')}`);
    }
    await conversion.execute();
    const bytes = output.target.buffer;
    if (mp4) clearMp4Times(new Uint8Array(bytes));
    return {
      value: { bytes, mime: mp4 ? 'video/mp4' : 'video/webm', frames: done, masked },
      transfer: [bytes],
    };
  },
};

answer(ops);
