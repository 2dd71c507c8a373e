// A/B of two WebAssembly builds in one headless Chromium page, for a machine whose speed
// varies by half from one run to the next: both builds are loaded side by side and read the
// same file in turn, and each build's best run is printed.
//
//   node tests/browser/ab.mjs OLD_PKG NEW_PKG FILE [ROUNDS]
//
// OLD_PKG/NEW_PKG: copies of www/pkg (kuronuri.js + kuronuri_bg.wasm), say one saved before
// a change and www/pkg after it. FILE: an image (read with OCR on one worker) or an MP4/WebM
// (scanned with two workers).
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, startServer, launchBrowser } from './harness.mjs';

const [oldPkg, newPkg, file, roundsArg] = process.argv.slice(2);
if (!oldPkg || !newPkg || !file) {
  console.error('usage: node tests/browser/ab.mjs OLD_PKG NEW_PKG FILE [ROUNDS]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 4);
// The server serves no symbolic links: each build gets a copy of www with its own pkg.
const root = mkdtempSync(path.join(tmpdir(), 'kuronuri-ab-'));
const scene = 'scene' + path.extname(file);
for (const [name, pkg] of [['a', oldPkg], ['b', newPkg]]) {
  cpSync(path.join(ROOT, 'www'), path.join(root, name), { recursive: true, filter: (p) => !p.includes(`${path.sep}pkg`) });
  cpSync(pkg, path.join(root, name, 'pkg'), { recursive: true });
  // A pkg from before the relaxed-SIMD build: its one build under both names (the workers ask
  // for the relaxed one where the browser has it).
  const relaxed = path.join(root, name, 'pkg', 'kuronuri_relaxed_bg.wasm');
  if (!existsSync(relaxed)) cpSync(path.join(pkg, 'kuronuri_bg.wasm'), relaxed);
}
cpSync(newPkg, path.join(root, 'pkg'), { recursive: true });
cpSync(file, path.join(root, scene));
writeFileSync(path.join(root, 'index.html'), '<!doctype html><meta charset=utf-8><title>A/B</title>');
const server = await startServer(root);
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.log('pageerror', String(e)));
  await page.goto(server.url);
  const out = await page.evaluate(async ({ scene, rounds }) => {
    const A = (await import('/a/kuronuri.js')).Kuronuri, B = (await import('/b/kuronuri.js')).Kuronuri;
    const threads = scene.endsWith('.png') || scene.endsWith('.jpg') ? 1 : 2;
    const a = await A.load({ threads, ocr: true, workerUrl: new URL('/a/worker.js', location.href) });
    const b = await B.load({ threads, ocr: true, workerUrl: new URL('/b/worker.js', location.href) });
    const blob = await (await fetch('/' + scene)).blob();
    if (!scene.endsWith('.png') && !scene.endsWith('.jpg')) {
      const rows = [];
      for (let r = 0; r < rounds; r++) {
        for (const [name, k] of r % 2 ? [['b', b], ['a', a]] : [['a', a], ['b', b]]) {
          const t0 = performance.now();
          const scan = await k.scanVideo(blob);
          rows.push({ name, total: Math.round(performance.now() - t0), det: scan.reads.reduce((n, x) => n + x.detect_ms, 0), rec: scan.reads.reduce((n, x) => n + x.recognize_ms, 0), lines: scan.tracks.length, text: JSON.stringify(scan.tracks.map((t) => t.text)) });
        }
      }
      return rows;
    }
    const rows = [];
    for (let r = 0; r < rounds; r++) {
      for (const [name, k] of r % 2 ? [['b', b], ['a', a]] : [['a', a], ['b', b]]) {
        const res = await k.ocrImage(blob, { threads: 1 });
        const t = res.timings;
        const det = (t.detect.workers ?? []).reduce((n, w) => n + (w?.detect_model_ms ?? 0), 0);
        const rec = (t.recognize ?? []).reduce((n, w) => n + (w?.recognize_model_ms ?? 0), 0);
        rows.push({ name, total: Math.round(t.total_ms), det: Math.round(det), rec: Math.round(rec), lines: res.lines.length, text: res.lines.map((l) => l.text).join('\n') });
      }
    }
    return rows;
  }, { scene, rounds });
  const same = out.filter((r) => r.name === 'a')[0].text === out.filter((r) => r.name === 'b')[0].text;
  for (const r of out) console.log(r.name, 'total', r.total, 'det', r.det, 'rec', r.rec, 'lines', r.lines);
  console.log('a = OLD_PKG, b = NEW_PKG; total/det/rec in ms (video: det/rec summed over the frames read, lines = tracks)');
  for (const n of ['a', 'b']) { const rs = out.filter((r) => r.name === n); console.log(n, 'min total', Math.min(...rs.map((r) => r.total)), 'min det', Math.min(...rs.map((r) => r.det)), 'min rec', Math.min(...rs.map((r) => r.rec))); }
  console.log('same text:', same);
} finally { await browser.close(); server.close(); rmSync(root, { recursive: true, force: true }); }
