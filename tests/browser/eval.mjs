// The dev set scanned in the page (run by `./build.sh eval page`): every image of
// ../shared/eval/dev goes through `kuronuri.scanImage` in headless Chromium, as a person's
// file would, and the findings are scored by the shared scorer. The page's reader is the
// WebAssembly build (relaxed SIMD where the browser has it), which reads blurred text a little
// differently from the native one that `./build.sh eval` scores; this is what users get.
//
// Writes target/eval-page/pred/CASE.json (findings, for score.py) and
// target/eval-page/ocr/CASE.ocr.json (the page's OCR, in the form `kuronuri scan --ocr-cache`
// takes, so a difference can be traced natively). `node eval.mjs [CASE…]` scans some only.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, ROOT, shared, startServer } from './harness.mjs';

const dev = path.dirname(shared('eval/dev/index.json'));
const out = path.join(ROOT, 'target/eval-page');
const only = process.argv.slice(2);
const files = readdirSync(dev)
  .filter((f) => /\.(png|jpg)$/.test(f))
  .filter((f) => !only.length || only.some((o) => f.startsWith(o)))
  .sort();
if (!only.length) rmSync(path.join(out, 'pred'), { recursive: true, force: true });
mkdirSync(path.join(out, 'pred'), { recursive: true });
mkdirSync(path.join(out, 'ocr'), { recursive: true });

const server = await startServer();
const browser = await launchBrowser();
let failed = 0;
try {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e}`));
  await page.goto(server.url);
  await page.waitForSelector('body[data-ocr-ready="true"]', { timeout: 120_000 });
  console.log(`core: ${await page.evaluate(() => window.kuronuri.core())}`);
  for (const file of files) {
    const stem = file.replace(/\.(png|jpg)$/, '');
    const bytes = readFileSync(path.join(dev, file)).toString('base64');
    const type = file.endsWith('.png') ? 'image/png' : 'image/jpeg';
    let result;
    try {
      result = await page.evaluate(async ({ bytes, type }) => {
        const raw = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
        const r = await window.kuronuri.scanImage(new Blob([raw], { type }));
        return {
          width: r.width,
          height: r.height,
          findings: r.findings.map((f) => ({ category: f.category, tier: f.tier, text: f.text, quad: f.quad })),
          lines: r.ocr.lines,
          ms: r.ocr.timings.total_ms,
        };
      }, { bytes, type });
    } catch (e) {
      console.error(`${file}: ${e.message}`);
      failed++;
      continue;
    }
    writeFileSync(path.join(out, 'pred', `${stem}.json`), JSON.stringify({ findings: result.findings }));
    writeFileSync(path.join(out, 'ocr', `${stem}.ocr.json`), JSON.stringify({ width: result.width, height: result.height, lines: result.lines }));
    console.log(`${file.padEnd(34)} ${String(result.findings.length).padStart(4)} findings ${String(result.lines.length).padStart(4)} lines ${(result.ms / 1000).toFixed(1).padStart(6)} s`);
  }
} finally {
  await browser.close();
  server.close();
}
if (failed) {
  console.error(`${failed} image(s) could not be scanned in the page`);
  process.exit(1);
}
if (!only.length) {
  execFileSync('python3', [path.join(dev, '../score.py'), dev, path.join(out, 'pred'), '--json', path.join(out, 'score.json')], { stdio: 'inherit' });
}
