// The masking benchmark as WebAssembly in headless Chromium (run by `./build.sh bench`): the
// same scene as the native bench (src/benchmark.rs), timed with performance.now(), printed as
// median milliseconds per frame and as multiples of a whole-frame copy in the same run.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, ROOT, shared, startServer } from './harness.mjs';
import { screenRecording } from './recording.mjs';

const SCENES = path.join(ROOT, 'target/bench-scenes');
const SCENE_FILES = [['1280x720 screenshot', '1280x720.png'], ['1920x1080 screenshot', '1920x1080.png'], ['2480x3508 A4 page', '2480x3508.png']];

// `node bench.mjs video` (or masking, kernels, ocr, faces) runs one part only.
const only = process.argv[2];
const part = (name) => !only || only === name;

const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  if (part('masking')) {
  const rows = await page.evaluate(async () => {
    const wasm = await import('/pkg/kuronuri.js');
    await wasm.default({ module_or_path: '/pkg/kuronuri_bg.wasm' });
    const median = (run) => {
      for (let i = 0; i < 3; i++) run();
      const times = [];
      const start = performance.now();
      while (times.length < 15 || (performance.now() - start < 700 && times.length < 500)) {
        const t = performance.now();
        run();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return times[times.length >> 1];
    };
    const out = [];
    for (const [w, h] of [[1920, 1080], [3840, 2160]]) {
      const scene = new wasm.BenchScene(w, h);
      const row = { frame: `${w}x${h}`, covered: scene.covered_share(), copy: median(() => scene.copy_frame(1)) };
      for (const style of ['fill', 'mosaic', 'blur']) row[style] = median(() => scene.mask(style, 1));
      scene.free();
      out.push(row);
    }
    // The video scan's comparison of each decoded frame with the one before and the last read.
    const motion = [];
    for (const [w, h] of [[1280, 720], [1920, 1080], [3840, 2160]]) {
      const scene = new wasm.MotionBench(w, h);
      motion.push({ frame: `${w}x${h}`, ms: median(() => scene.push(1)) });
      scene.free();
    }
    return { rows: out, motion, isolated: self.crossOriginIsolated, agent: navigator.userAgent };
  });
  const pad = (s, n) => String(s).padStart(n);
  console.log(`masking, WebAssembly (simd128) in headless Chromium (${rows.agent.match(/Chrome\/[\d.]+/)?.[0]}), median ms per frame; ratio = style / whole-frame copy`);
  console.log(`${'frame'.padEnd(11)} ${pad('covered', 7)} ${pad('copy ms', 9)} ${pad('fill ms', 9)} ${pad('ratio', 7)} ${pad('mosaic ms', 9)} ${pad('ratio', 7)} ${pad('blur ms', 9)} ${pad('ratio', 7)}`);
  for (const r of rows.rows) {
    const cell = (s) => `${pad(r[s].toFixed(3), 9)} ${pad((r[s] / r.copy).toFixed(2) + 'x', 7)}`;
    console.log(`${r.frame.padEnd(11)} ${pad((r.covered * 100).toFixed(1) + '%', 7)} ${pad(r.copy.toFixed(3), 9)} ${cell('fill')} ${cell('mosaic')} ${cell('blur')}`);
  }
  console.log('goal (in WebAssembly): fill <= 0.3x, mosaic <= 1x, blur <= 2x the frame copy');
  console.log(`video frame compared (with the one before and the last read), WebAssembly: ${rows.motion.map((m) => `${m.frame} ${m.ms.toFixed(3)} ms`).join(', ')}`);
  }
  // The network kernels alone at the recogniser's shapes (src/benchmark.rs KernelScene), in
  // both builds of the core: multiply-adds per nanosecond, median of a few runs after the
  // browser has compiled them at its optimising tier (the first calls run at its baseline tier).
  if (part('kernels')) {
    const rows = await page.evaluate(async () => {
      const out = [];
      for (const core of ['kuronuri_relaxed_bg.wasm', 'kuronuri_bg.wasm']) {
        const wasm = await import(`/pkg/kuronuri.js?${core}`);
        await wasm.default({ module_or_path: `/pkg/${core}` });
        const kernels = ['dw5', 'dw3', 'dw5s2', 'pw', 'pwq', 'pw16x96'].map((kind) => [kind, new wasm.KernelBench(kind)]);
        // Every kernel a few times first, with pauses for the optimising compiler to finish.
        for (let i = 0; i < 10; i++) {
          for (const [, k] of kernels) k.run(1);
          await new Promise((r) => setTimeout(r, 100));
        }
        for (const [kind, k] of kernels) {
          const times = [];
          for (let i = 0; i < 15; i++) { const t = performance.now(); k.run(1); times.push(performance.now() - t); }
          times.sort((a, b) => a - b);
          out.push({ core, kind, ms: times[7], rate: k.multiply_adds() / (times[7] * 1e6) });
          k.free();
        }
      }
      return out;
    });
    console.log('\nnetwork kernels, WebAssembly in headless Chromium, recogniser shapes (16 x 240 x 12 x 30; pwq: pw in 16-bit integers, as the page runs the wide layers; pw16x96: the face model\'s 16 -> 96 channels at 544 x 960), median of 15 runs');
    for (const r of rows) console.log(`${r.core.padEnd(26)} ${r.kind.padEnd(6)} ${r.ms.toFixed(2).padStart(8)} ms  ${r.rate.toFixed(1).padStart(5)} multiply-adds per ns`);
  }
  if (only !== 'kernels') {
  await page.waitForSelector('body[data-ocr-ready="true"]', { timeout: 120_000 });
  const threads = await page.evaluate(() => navigator.hardwareConcurrency);
  // Which build of the core the page's workers run (relaxed SIMD or plain; www/simd.js).
  console.log(`\ncore: ${await page.evaluate(() => window.kuronuri.core())}`);

  // OCR: the scenes the native OCR bench wrote (it runs first).
  if (part('ocr')) {
  for (const [, file] of SCENE_FILES) {
    if (!existsSync(path.join(SCENES, file))) throw new Error(`missing ${path.join(SCENES, file)}: run cargo bench --bench ocr first`);
  }
  console.log(`\nOCR, WebAssembly in headless Chromium, ms per image (best of 2); detect/recognize = the slowest worker's model time`);
  for (const [name, file] of SCENE_FILES) {
    const bytes = [...readFileSync(path.join(SCENES, file))];
    for (const n of [1, threads]) {
      const r = await page.evaluate(async ([data, n]) => {
        const blob = new Blob([new Uint8Array(data)], { type: 'image/png' });
        let best = null;
        for (let i = 0; i < 2; i++) {
          const r = await window.kuronuri.ocrImage(blob, { threads: n });
          if (!best || r.timings.total_ms < best.timings.total_ms) best = r;
        }
        const t = best.timings;
        const max = (xs, k) => Math.max(...xs.map((x) => x[k]));
        return {
          total: t.total_ms, lines: best.lines.length, scale: t.detect.scale, tiles: t.detect.tiles + (t.detect.first?.tiles ?? 0),
          // With a second, larger look (small text) both detections count.
          detect: max(t.detect.workers, 'detect_model_ms') + (t.detect.first ? max(t.detect.first.workers, 'detect_model_ms') : 0), post: t.detect.post.timings?.detect_post_ms ?? t.detect.post.detect_post_ms,
          recognize: max(t.recognize, 'recognize_model_ms'), decode: t.decode_ms,
          memory: await window.kuronuri.memory(),
        };
      }, [bytes, n]);
      const mb = r.memory.map((m) => (m / 1048576).toFixed(0)).join('+');
      console.log(`${name.padEnd(22)} ${String(n).padStart(2)} worker(s) ${r.total.toFixed(0).padStart(7)} ms  lines ${String(r.lines).padStart(3)}  scale ${r.scale.toFixed(2)}  decode ${r.decode.toFixed(0)}  detect ${r.detect.toFixed(0)} (${r.tiles} tiles)  recognize ${r.recognize.toFixed(0)}  wasm memory ${mb} MB`);
    }
  }
  console.log('goal: a 1920x1080 screenshot read in under 1.5 s; peak wasm memory under 400 MB');
  }

  // Faces and the other picture detectors on a 1920x1080 frame (the street photo scaled up).
  if (part('faces')) {
  const bytes = [...readFileSync(shared('eval/real/faces-city/city.jpg'))];
  const r = await page.evaluate(async (data) => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(data)], { type: 'image/jpeg' }));
    const canvas = new OffscreenCanvas(1920, 1080);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0, 1920, 1080);
    const frame = { width: 1920, height: 1080, rgba: ctx.getImageData(0, 0, 1920, 1080).data.buffer };
    const runs = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      const out = await window.kuronuri.faces(frame);
      runs.push({ total: performance.now() - t, model: out.timings.model_ms, prepare: out.timings.prepare_ms, faces: out.faces.length, input: `${out.timings.input_width}x${out.timings.input_height}` });
    }
    const all = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await window.kuronuri.scanPictures(frame, { width: 1920, height: 1080, lines: [] });
      all.push(performance.now() - t);
    }
    runs.sort((a, b) => a.total - b.total);
    all.sort((a, b) => a - b);
    return { ...runs[3], pictures: all[1] };
  }, bytes);
  console.log(`\nfaces, WebAssembly in headless Chromium, 1920x1080 frame (the street photo scaled), median of 7: ${r.total.toFixed(0)} ms per frame (model ${r.model.toFixed(0)} ms at ${r.input}, prepare ${r.prepare.toFixed(0)} ms), ${r.faces} faces; all picture detectors (faces, ID photos, codes, seals) ${r.pictures.toFixed(0)} ms`);
  console.log('goal: <= 60 ms per 1080p frame in WebAssembly');
  }

  // Video: scan and export speed as multiples of real time (higher is faster).
  if (part('video')) {
  const recording = screenRecording();
  console.log(`\nvideo, in headless Chromium (${threads} OCR workers + a video worker); x = video seconds per second of work`);
  for (const [name, file] of [['dev demo MP4 1280x720 16 s', shared('eval/dev/dev_demo.mp4')], ['dev demo WebM 1280x720 16 s', shared('eval/dev/dev_demo.webm')],
    ['screen recording 1920x1080 60 s', recording]]) {
    const b64 = readFileSync(file).toString('base64');
    const r = await page.evaluate(async (data) => {
      const blob = new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))]);
      const t0 = performance.now();
      const scan = await window.kuronuri.scanVideo(blob);
      const t1 = performance.now();
      const out = await window.kuronuri.redactVideo(blob, { frames: scan.frames, times: scan.times });
      const t2 = performance.now();
      const masked = scan.frames.filter((f) => f.findings.length).length;
      return { reads: scan.reads, reused: scan.lines.reused, lines: scan.lines.read, duration: scan.duration, frames: scan.frame_count, read: scan.keys.length, tracks: scan.tracks.length, masked, scan: t1 - t0, export: t2 - t1, bytes: out.size };
    }, b64);
    const x = (ms) => (r.duration / (ms / 1000)).toFixed(2);
    console.log(`${name.padEnd(32)} ${r.frames} frames, ${r.read} read (${r.reused} of ${r.lines} lines reused), ${r.tracks} tracks, ${r.masked} frames masked  scan ${(r.scan / 1000).toFixed(1)} s = ${x(r.scan)}x  export ${(r.export / 1000).toFixed(1)} s = ${x(r.export)}x`);
    // Where the scan's time goes: each frame read, its lines (reused), OCR and the rest.
    console.log(`  frames read: ${r.reads.map((x) => `#${x.i} ${x.lines - x.reused}/${x.lines} lines ${(x.ocr_ms / 1000).toFixed(1)} s (detection model ${(x.detect_ms / 1000).toFixed(1)} s, recognition ${(x.recognize_ms / 1000).toFixed(1)} s) + rules/pictures ${(x.rules_pictures_ms / 1000).toFixed(1)} s`).join('; ')}`);
  }
  console.log('goal: scan >= 1x real time on this machine; export >= 1x real time at 1080p');
  }
  }
} finally {
  await browser.close();
  server.close();
}
