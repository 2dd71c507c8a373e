// Pictures in real headless Chromium: faces in a street photo opened with the file picker are
// listed as findings and blurred in the saved file (soft-edged ellipses, the rest untouched);
// the holder's photo on a My Number card and a QR code are found through the API; both sides
// of a photographed My Number card are outlined and named; the
// "保険証のコピー" preset keeps only an insurance card's numbers and its QR code.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OUT, ROOT, readyPage, serverAndBrowser, shared } from './harness.mjs';
import { readPng } from './images.mjs';

const env = serverAndBrowser(before, after);

const openPage = () => readyPage(env);

const iou = (a, b) => {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const area = (r) => (r[2] - r[0]) * (r[3] - r[1]);
  return (w * h) / (area(a) + area(b) - w * h);
};
const bbox = (q) => [Math.min(...q.map((p) => p[0])), Math.min(...q.map((p) => p[1])), Math.max(...q.map((p) => p[0])), Math.max(...q.map((p) => p[1]))];

describe('pictures in headless Chromium', { timeout: 300_000 }, () => {
  test('faces in a street photo are listed and blurred in the saved file', async () => {
    const { page, errors } = await openPage();
    const truth = JSON.parse(readFileSync(path.join(ROOT, 'tests/data/faces-city.json'), 'utf8'));
    const file = shared(truth.image);
    await page.setInputFiles('#file', file);
    await page.waitForSelector('body[data-scanned="true"]', { timeout: 120_000 });
    await page.waitForSelector('body:not([data-rendering])');
    const findings = await page.evaluate(() => window.kuronuriPage.findings());
    const faces = findings.filter((f) => f.category === 'face');
    const found = truth.faces.filter((t) => faces.some((f) => iou(t, bbox(f.quad)) >= 0.5));
    assert.ok(found.length >= 18, `faces found in the page: ${found.length} of ${truth.faces.length}`);
    // Listed under 顔 / Face with their reason.
    const headings = await page.$$eval('#finding-list .group > label', (ls) => ls.map((l) => l.textContent));
    assert.ok(headings.some((h) => /^(顔|Face) \(\d+\)/.test(h)), headings.join(' | '));
    const reasons = await page.$$eval('#finding-list .reason', (rs) => rs.map((r) => r.textContent));
    assert.ok(reasons.some((r) => /顔（検出スコア|face \(detector score/.test(r)), reasons.join(' | '));
    // A face has no text: its row shows the face itself (the original's pixels, not a blank).
    const pictures = await page.$$eval('#finding-list .group', (groups) =>
      groups
        .filter((g) => /^(顔|Face) \(/.test(g.querySelector(':scope > label')?.textContent ?? ''))
        .flatMap((g) => [...g.querySelectorAll('.finding')])
        .map((row) => row.querySelector('canvas.picture'))
        .map((c) => {
          if (!c) return { h: 0, spread: 0 };
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let lo = 255;
          let hi = 0;
          for (let i = 1; i < d.length; i += 4) {
            lo = Math.min(lo, d[i]);
            hi = Math.max(hi, d[i]);
          }
          return { h: c.height, spread: hi - lo };
        }),
    );
    assert.equal(pictures.length, faces.length, 'a picture in every face row');
    assert.ok(pictures.every((p) => p.h > 0 && p.h <= 40 && p.spread > 20), JSON.stringify(pictures.slice(0, 5)));
    await page.screenshot({ path: path.join(OUT, 'page-faces.png') });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const savedPath = path.join(OUT, 'saved-faces.png');
    await download.saveAs(savedPath);
    const saved = readPng(readFileSync(savedPath));
    // The original's pixels, decoded by the browser.
    const original = await page.evaluate(async (data) => {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(data)], { type: 'image/jpeg' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      return { width: bitmap.width, height: bitmap.height, data: [...ctx.getImageData(0, 0, bitmap.width, bitmap.height).data] };
    }, [...readFileSync(file)]);
    assert.equal(saved.width, original.width);
    const g = (img, x, y) => img.data[(y * img.width + x) * 4 + 1];
    for (const t of found) {
      // Detail (neighbouring pixels' differences) inside the face box is gone.
      let before = 0;
      let afterSum = 0;
      for (let y = Math.ceil(t[1]); y < Math.floor(t[3]); y++) {
        for (let x = Math.ceil(t[0]); x < Math.floor(t[2]) - 1; x++) {
          before += Math.abs(g(original, x, y) - g(original, x + 1, y));
          afterSum += Math.abs(g(saved, x, y) - g(saved, x + 1, y));
        }
      }
      assert.ok(afterSum * 4 < before, `face ${t} keeps detail: ${afterSum} vs ${before}`);
    }
    // The road (bottom quarter) is as it was (within JPEG decoding differences: none, same decoder).
    let changed = 0;
    for (let y = Math.floor(original.height * 0.8); y < original.height; y += 5) {
      for (let x = 0; x < original.width; x += 5) if (Math.abs(g(saved, x, y) - g(original, x, y)) > 3) changed++;
    }
    assert.equal(changed, 0, 'pixels away from faces changed');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the holder photo on a card and a QR code are found through the API', async () => {
    const { page } = await openPage();
    const card = 'eval/dev/dev_0003_myNumberCard.png';
    const qr = 'eval/real/presidio/tests/integration/resources/qr.png';
    const out = await page.evaluate(async ([cardBytes, qrBytes]) => {
      const cardBlob = new Blob([new Uint8Array(cardBytes)], { type: 'image/png' });
      const a = await window.kuronuri.scanImage(cardBlob);
      const masked = await window.kuronuri.redactImage(cardBlob, { findings: a.findings });
      const b = await window.kuronuri.scanImage(new Blob([new Uint8Array(qrBytes)], { type: 'image/png' }));
      return { card: a.findings, pictures: a.ocr.timings.pictures, masked: [...new Uint8Array(await masked.arrayBuffer())], qr: b.findings };
    }, [[...readFileSync(shared(card))], [...readFileSync(shared(qr))]]);
    const truth = JSON.parse(readFileSync(shared(card.replace('.png', '.json')), 'utf8'));
    const photo = truth.items.find((i) => i.cat === 'face');
    const hit = out.card.find((f) => f.category === 'face' && iou(bbox(photo.quad), bbox(f.quad)) >= 0.7);
    assert.ok(hit, `holder photo not found: ${JSON.stringify(out.card.filter((f) => f.category === 'face'))}`);
    assert.match(hit.reason, /個人番号カード/);
    assert.ok(out.pictures.model_ms > 0, 'the face model ran');
    // The photo is masked: its pixels changed and its detail is gone.
    const original = readPng(shared(card));
    const masked = readPng(Buffer.from(out.masked));
    const [x0, y0, x1, y1] = bbox(photo.quad).map(Math.round);
    let same = 0;
    let n = 0;
    for (let y = y0 + 2; y < y1 - 2; y += 2) {
      for (let x = x0 + 2; x < x1 - 2; x += 2) {
        const k = (y * original.width + x) * 4;
        n++;
        if (Math.abs(original.data[k] - masked.data[k]) + Math.abs(original.data[k + 2] - masked.data[k + 2]) < 4) same++;
      }
    }
    assert.ok(same < n * 0.2, `photo pixels left as they were: ${same} of ${n}`);
    const codes = out.qr.filter((f) => f.category === 'code');
    assert.ok(codes.length >= 1, `no QR code found: ${JSON.stringify(out.qr.map((f) => f.category))}`);
    assert.ok(codes[0].tier === 'must' && /QR/.test(codes[0].reason));
    await page.close();
  });

  test('a photographed My Number card: both sides outlined and named, the back with its number', async () => {
    const { page, errors } = await openPage();
    const card = 'eval/dev/dev_0045_myNumberCard.jpg';
    await page.selectOption('#lang', 'ja');
    await page.setInputFiles('#file', shared(card));
    await page.waitForSelector('body[data-scanned="true"]', { timeout: 120_000 });
    await page.waitForSelector('body:not([data-rendering])');
    const summary = await page.textContent('#scan-summary');
    assert.match(summary, /マイナンバーカード（表面）/);
    assert.match(summary, /マイナンバーカード（裏面・個人番号）/);
    assert.match(summary, /裏面には個人番号/);
    // Two dashed card outlines: the front holds the holder's photo, the back the number.
    const outlines = await page.$$eval('#marks polygon.document', (ps) =>
      ps.map((p) => ({ name: p.textContent, points: p.getAttribute('points').split(' ').map((xy) => xy.split(',').map(Number)) })));
    assert.equal(outlines.length, 2, JSON.stringify(outlines));
    const truth = JSON.parse(readFileSync(shared(card.replace('.jpg', '.json')), 'utf8'));
    const inside = (q, item) => {
      const [x0, y0, x1, y1] = bbox(q);
      const [a, b, c, d] = bbox(item.quad);
      return a >= x0 && b >= y0 && c <= x1 && d <= y1;
    };
    const front = outlines.find((o) => /表面/.test(o.name));
    const back = outlines.find((o) => /裏面/.test(o.name));
    assert.ok(front && back, JSON.stringify(outlines.map((o) => o.name)));
    const photo = truth.items.find((i) => i.cat === 'face');
    const number = truth.items.find((i) => i.cat === 'my_number');
    // Each outline is its own card (not the sheet of paper they lie on).
    assert.ok(inside(front.points, photo) && !inside(front.points, number), 'the photo, not the number, lies on the front');
    assert.ok(inside(back.points, number) && !inside(back.points, photo), 'the number, not the photo, lies on the back');
    await page.screenshot({ path: path.join(OUT, 'page-card-sides.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('"保険証のコピー" masks the 記号・番号・保険者番号 and the QR code of an insurance card, nothing else', async () => {
    const { page } = await openPage();
    const qr = [...readFileSync(shared('eval/real/presidio/tests/integration/resources/qr.png'))];
    // A health insurance card drawn by the browser (Noto CJK), with a real QR code pasted on.
    const out = await page.evaluate(async (qrBytes) => {
      const canvas = new OffscreenCanvas(1200, 760);
      const g = canvas.getContext('2d');
      g.fillStyle = '#c8cdd2';
      g.fillRect(0, 0, 1200, 760);
      g.fillStyle = '#ecf4ec';
      g.fillRect(60, 60, 1080, 640);
      g.fillStyle = '#141414';
      g.font = '36px "Noto Sans CJK JP"';
      g.fillText('健康保険被保険者証', 100, 130);
      g.font = '28px "Noto Sans CJK JP"';
      const lines = [['記号 12345678   番号 901', 200], ['氏名　山田 太郎', 260], ['生年月日　昭和55年4月12日', 320], ['性別　男', 380],
        ['事業所名称　株式会社サンプル商事', 500], ['保険者番号　01130012', 590], ['保険者名称　全国健康保険協会 東京支部', 650]];
      for (const [text, y] of lines) g.fillText(text, 100, y);
      g.drawImage(await createImageBitmap(new Blob([new Uint8Array(qrBytes)], { type: 'image/png' })), 880, 440, 220, 220);
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      const copy = await window.kuronuri.scanImage(blob, { policy: { preset: 'insurance_copy' } });
      const all = await window.kuronuri.scanImage(blob);
      const png = [...new Uint8Array(await blob.arrayBuffer())];
      return { copy: copy.findings, all: all.findings, png };
    }, qr);
    const cats = (fs) => fs.map((f) => `${f.category}:${f.text}`);
    const copy = cats(out.copy);
    assert.ok(copy.some((c) => c.startsWith('insurance_number:12345678')), copy.join(' | '));
    assert.ok(copy.includes('insurance_number:01130012'), copy.join(' | '));
    assert.ok(copy.some((c) => c.startsWith('insurance_number:') && c.replace(/\s/g, '').endsWith('901')), `番号 901 not found: ${copy.join(' | ')}`);
    assert.ok(out.copy.some((f) => f.category === 'code'), copy.join(' | '));
    assert.ok(out.copy.every((f) => f.category === 'insurance_number' || f.category === 'code'), copy.join(' | '));
    // Under "everything" the name and birth date are found too (the preset is what leaves them).
    const all = cats(out.all);
    assert.ok(all.some((c) => c.startsWith('name:')) && all.some((c) => c.startsWith('birth_date:')), all.join(' | '));

    // As a person: open the card; the page names the document and suggests the preset; choosing
    // it leaves only the numbers and the QR code.
    const file = path.join(OUT, 'insurance-card.png');
    writeFileSync(file, Buffer.from(out.png));
    await page.selectOption('#lang', 'ja');
    await page.setInputFiles('#file', file);
    await page.waitForSelector('body[data-scanned="true"]', { timeout: 120_000 });
    const summary = await page.textContent('#scan-summary');
    assert.match(summary, /健康保険証/);
    assert.match(summary, /保険証のコピー/);
    await page.check('input[name="preset"][value="insurance_copy"]');
    await page.waitForFunction(() => window.kuronuriPage.findings().every((f) => ['insurance_number', 'code'].includes(f.category)), null, { timeout: 60_000 });
    const shown = await page.evaluate(() => window.kuronuriPage.findings().map((f) => f.category));
    assert.ok(shown.includes('code') && shown.filter((c) => c === 'insurance_number').length >= 2, shown.join());
    await page.waitForSelector('body:not([data-rendering])');
    await page.screenshot({ path: path.join(OUT, 'page-insurance.png') });
    await page.close();
  });
});
