// Reading text in the page, in real headless Chromium: the OCR models load before any image is
// opened (and come from Cache Storage on the next visit), the page reads a screenshot's text in
// its workers and draws it, and kuronuri.js's ocrImage gives each character a quad.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OUT, ROOT, serverAndBrowser, shared } from './harness.mjs';

const FIXTURE = 'eval/dev/dev_0004_enPatients.png';
const env = serverAndBrowser(before, after);

async function openPage() {
  const page = await env.browser.context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), at: Date.now() }));
  await page.goto(env.server.url);
  await page.waitForSelector('body[data-ocr-ready="true"]', { timeout: 120_000 });
  return { page, requests };
}

describe('OCR in headless Chromium', { timeout: 300_000 }, () => {
  test('the page reads a screenshot and shows each line; nothing is fetched once the image is open', async () => {
    const { page, requests } = await openPage();
    const origin = new URL(env.server.url).origin;
    assert.ok(requests.some((r) => r.url.includes('/models/ppocrv5_rec.onnx')), 'models fetched on the first visit');
    const opened = Date.now();
    await page.setInputFiles('#file', shared(FIXTURE));
    await page.waitForSelector('#editor:not([hidden])');
    await page.check('#show-ocr');
    await page.waitForSelector('body[data-ocr-lines]', { timeout: 120_000 });
    const texts = await page.$$eval('#ocr title', (ts) => ts.map((t) => t.textContent));
    const truth = JSON.parse(readFileSync(shared(FIXTURE.replace('.png', '.json')), 'utf8'));
    const names = truth.items.filter((i) => i.cat === 'name' && i.tier === 'must').map((i) => i.text);
    const read = names.filter((n) => texts.some((t) => t.includes(n)));
    assert.ok(read.length >= names.length * 0.9, `read ${read.length} of ${names.length} names: ${texts.slice(0, 8).join(' | ')}`);
    assert.ok(await page.$$eval('#ocr polygon.char', (ps) => ps.length) > 100, 'character boxes drawn');
    await page.screenshot({ path: path.join(OUT, 'page-ocr.png') });
    assert.ok(requests.every((r) => r.url.startsWith('blob:') || new URL(r.url).origin === origin), 'same origin only');
    assert.deepEqual(requests.filter((r) => r.at >= opened).map((r) => r.url), [], 'requests after the image was opened');
    await page.close();

    // A second visit reads the models from Cache Storage: no model request at all.
    const second = await openPage();
    assert.deepEqual(second.requests.filter((r) => r.url.includes('/models/') && !r.url.endsWith('manifest.json')).map((r) => r.url), []);
    await second.page.close();
  });

  test('ocrImage gives text, confidences and a quad for every character', async () => {
    const { page } = await openPage();
    const bytes = [...readFileSync(shared(FIXTURE))];
    const result = await page.evaluate(async (data) => {
      const r = await window.kuronuri.ocrImage(new Blob([new Uint8Array(data)]));
      return { width: r.width, height: r.height, lines: r.lines };
    }, bytes);
    const { width, height } = JSON.parse(readFileSync(shared(FIXTURE.replace('.png', '.json')), 'utf8'));
    assert.equal(result.width, width);
    assert.equal(result.height, height);
    const line = result.lines.find((l) => l.text.includes('Taylor, Linda'));
    assert.ok(line, 'the first patient is read');
    assert.equal(line.chars.map((c) => c.text).join(''), line.text);
    for (const c of line.chars) {
      assert.equal(c.quad.length, 4);
      assert.ok(c.confidence > 0 && c.confidence <= 1);
    }
    // Character quads run left to right inside the line's quad.
    const xs = line.chars.map((c) => c.quad[0][0]);
    assert.deepEqual(xs, [...xs].sort((a, b) => a - b));
    assert.ok(xs[0] >= line.quad[0][0] - 1 && line.chars.at(-1).quad[1][0] <= line.quad[1][0] + 1);
    await page.close();
  });

  test('the core built with fused multiply-add (relaxed SIMD) and the plain one read the same text', async () => {
    const bytes = [...readFileSync(shared(FIXTURE))];
    const read = async (query) => {
      const page = await env.browser.context.newPage();
      await page.goto(env.server.url + query);
      await page.waitForSelector('body[data-ocr-ready="true"]', { timeout: 120_000 });
      const out = await page.evaluate(async (data) => {
        const { hasRelaxedSimd, probe } = await import('/simd.js');
        const r = await window.kuronuri.ocrImage(new Blob([new Uint8Array(data)]));
        return {
          relaxed: hasRelaxedSimd(),
          // The probe with a plain simd128 opcode in place of the relaxed one: well formed.
          plainProbe: WebAssembly.validate(probe([0xe4, 0x01], 2)),
          core: await window.kuronuri.core(),
          texts: r.lines.map((l) => l.text),
        };
      }, bytes);
      await page.close();
      return out;
    };
    const fused = await read('');
    const plain = await read('?simd=plain');
    assert.ok(fused.plainProbe, 'the probe module is well formed');
    assert.ok(fused.relaxed, 'Chromium has relaxed SIMD');
    assert.equal(fused.core, 'kuronuri_relaxed_bg.wasm');
    assert.equal(plain.core, 'kuronuri_bg.wasm');
    // Fused multiply-adds round once where the plain build rounds twice: the readings may
    // differ in a rare character, not more.
    assert.ok(fused.texts.length > 20, `${fused.texts.length} lines`);
    const same = fused.texts.filter((t) => plain.texts.includes(t)).length;
    assert.ok(same >= fused.texts.length * 0.97, `${same} of ${fused.texts.length} lines read alike`);
    const truth = JSON.parse(readFileSync(shared(FIXTURE.replace('.png', '.json')), 'utf8'));
    for (const name of truth.items.filter((i) => i.cat === 'name' && i.tier === 'must').map((i) => i.text)) {
      assert.equal(fused.texts.some((t) => t.includes(name)), plain.texts.some((t) => t.includes(name)), name);
    }
  });
});
