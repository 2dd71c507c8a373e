// The masking benchmark as WebAssembly in headless Chromium (run by `./build.sh bench`): the
// same scene as the native bench (src/benchmark.rs), timed with performance.now(), printed as
// median milliseconds per frame and as multiples of a whole-frame copy in the same run.

import { launchBrowser, startServer } from './harness.mjs';

const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(server.url);
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
    return { rows: out, isolated: self.crossOriginIsolated, agent: navigator.userAgent };
  });
  const pad = (s, n) => String(s).padStart(n);
  console.log(`masking, WebAssembly (simd128) in headless Chromium (${rows.agent.match(/Chrome\/[\d.]+/)?.[0]}), median ms per frame; ratio = style / whole-frame copy`);
  console.log(`${'frame'.padEnd(11)} ${pad('covered', 7)} ${pad('copy ms', 9)} ${pad('fill ms', 9)} ${pad('ratio', 7)} ${pad('mosaic ms', 9)} ${pad('ratio', 7)} ${pad('blur ms', 9)} ${pad('ratio', 7)}`);
  for (const r of rows.rows) {
    const cell = (s) => `${pad(r[s].toFixed(3), 9)} ${pad((r[s] / r.copy).toFixed(2) + 'x', 7)}`;
    console.log(`${r.frame.padEnd(11)} ${pad((r.covered * 100).toFixed(1) + '%', 7)} ${pad(r.copy.toFixed(3), 9)} ${cell('fill')} ${cell('mosaic')} ${cell('blur')}`);
  }
  console.log('goal (in WebAssembly): fill <= 0.3x, mosaic <= 1x, blur <= 2x the frame copy');
} finally {
  await browser.close();
  server.close();
}
