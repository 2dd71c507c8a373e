// The page as a person uses it, in real headless Chromium: open an image, draw a box with the
// mouse, save, and check the saved pixels; bad files get a clear message; and no request leaves
// the page's origin, none is anything but a GET of a static file, and none is made at all once
// an image is opened.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { OUT, ROOT, serverAndBrowser, shared } from './harness.mjs';
import { jpegMarkers, pngChunks, pngWithHeader, readPng } from './images.mjs';

const FIXTURE = 'eval/dev/dev_0004_enPatients.png';

const env = serverAndBrowser(before, after);

/** Opens the page with every request recorded (pages and workers) and waits for the engine. */
async function openPage({ locale } = {}) {
  const page = await env.browser.context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method(), type: r.resourceType(), at: Date.now() }));
  page.on('pageerror', (e) => requests.push({ error: String(e) }));
  if (locale) {
    await page.addInitScript((lang) => {
      Object.defineProperty(navigator, 'languages', { get: () => [lang] });
      Object.defineProperty(navigator, 'language', { get: () => lang });
    }, locale);
  }
  await page.goto(env.server.url);
  // Everything the page loads (the OCR models too) is loaded before any image is opened.
  await page.waitForSelector('body[data-ocr-ready="true"]', { timeout: 120_000 });
  return { page, requests };
}

/** Draws a box from image point (x, y) of size (w, h) with the mouse. */
async function drawBox(page, imageWidth, [x, y, w, h]) {
  const r = await page.locator('#boxes').boundingBox();
  const s = r.width / imageWidth;
  await page.mouse.move(r.x + x * s, r.y + y * s);
  await page.mouse.down();
  await page.mouse.move(r.x + (x + w / 2) * s, r.y + (y + h / 2) * s, { steps: 4 });
  await page.mouse.move(r.x + (x + w) * s, r.y + (y + h) * s, { steps: 4 });
  await page.mouse.up();
}

/** The boxes the editor holds, in image pixels, read back from their on-screen layout. */
async function boxesOnPage(page, width, height) {
  return page.$$eval('#boxes .box', (els, [W, H]) => els.map((el) => ({
    x: (parseFloat(el.style.left) / 100) * W,
    y: (parseFloat(el.style.top) / 100) * H,
    w: (parseFloat(el.style.width) / 100) * W,
    h: (parseFloat(el.style.height) / 100) * H,
  })), [width, height]);
}

function staticFileExists(url) {
  const local = decodeURIComponent(new URL(url).pathname);
  const file = path.join(ROOT, 'www', local.endsWith('/') ? `${local}index.html` : local);
  return existsSync(file) && statSync(file).isFile();
}

/** Every request must be a same-origin GET of a file under www/, and none after `since`. */
function assertNoLeaks(requests, since) {
  const origin = new URL(env.server.url).origin;
  const errors = requests.filter((r) => r.error);
  assert.deepEqual(errors, [], 'the page raised errors');
  for (const r of requests) {
    if (r.url.startsWith('blob:') || r.url.startsWith('data:')) continue; // in-memory, never on the network
    assert.equal(new URL(r.url).origin, origin, `request to another origin: ${r.url}`);
    assert.equal(r.method, 'GET', `${r.method} ${r.url}`);
    assert.ok(staticFileExists(r.url), `not a static file of www/: ${r.url}`);
  }
  const late = requests.filter((r) => r.at >= since && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
  assert.deepEqual(late.map((r) => r.url), [], 'requests were made after the image was opened');
}

describe('the page in headless Chromium', { timeout: 180_000 }, () => {
  test('open by file picker, draw a box with the mouse, save: the box is black and nothing else changed', async () => {
    const { page, requests } = await openPage();
    const truth = JSON.parse(readFileSync(shared(FIXTURE.replace('.png', '.json')), 'utf8'));
    const original = readPng(shared(FIXTURE));
    const opened = Date.now();
    await page.setInputFiles('#file', shared(FIXTURE));
    await page.waitForSelector('#editor:not([hidden])');
    assert.equal(await page.$eval('#view', (c) => c.width), original.width);
    // The page looks for personal data by itself; here only the hand-drawn box is checked, so
    // every finding is turned off first (the review screen has its own test).
    await page.waitForSelector('body[data-scanned="true"]', { timeout: 120_000 });
    // (Each change redraws the list, so the first checked group is looked up afresh each time.)
    await page.evaluate(() => {
      for (let box; (box = document.querySelector('#finding-list .group > label > input:checked'));) box.click();
    });
    assert.equal(await page.$eval('body', (b) => b.dataset.findingsOn), '0');

    // Mark the first person's name, as a person would, with some margin.
    const item = truth.items.find((i) => i.cat === 'name' && i.tier === 'must');
    const xs = item.quad.map((p) => p[0]);
    const ys = item.quad.map((p) => p[1]);
    const target = [Math.min(...xs) - 4, Math.min(...ys) - 4, Math.max(...xs) - Math.min(...xs) + 8, Math.max(...ys) - Math.min(...ys) + 8];
    await drawBox(page, original.width, target);
    const boxes = await boxesOnPage(page, original.width, original.height);
    assert.equal(boxes.length, 1, 'one box drawn');
    await page.waitForSelector('body:not([data-rendering])');
    await page.screenshot({ path: path.join(OUT, 'page-box-drawn.png') });
    // The live preview on the page shows the box masked.
    const shown = await page.$eval('#view', (c, [x, y]) => [...c.getContext('2d').getImageData(x, y, 1, 1).data],
      [Math.round(boxes[0].x + boxes[0].w / 2), Math.round(boxes[0].y + boxes[0].h / 2)]);
    assert.deepEqual(shown, [0, 0, 0, 255], 'preview not masked');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const savedPath = path.join(OUT, 'saved.png');
    await download.saveAs(savedPath);
    assert.match(download.suggestedFilename(), /-kuronuri\.png$/);
    const bytes = readFileSync(savedPath);
    assert.deepEqual([...new Set(pngChunks(bytes))], ['IHDR', 'IDAT', 'IEND'], 'no metadata chunks');
    const saved = readPng(bytes);
    assert.equal(saved.width, original.width);
    assert.equal(saved.height, original.height);

    const [b] = boxes;
    const pad = 0.15 * b.h + 1; // default padding, plus one pixel of conservative coverage
    let changedOutside = 0;
    let notBlackInside = 0;
    for (let y = 0; y < saved.height; y++) {
      for (let x = 0; x < saved.width; x++) {
        const i = (y * saved.width + x) * 4;
        const same = saved.data.readUInt32BE(i) === original.data.readUInt32BE(i);
        const inPadded = x >= b.x - pad && x < b.x + b.w + pad && y >= b.y - pad && y < b.y + b.h + pad;
        const inBox = x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h;
        if (!inPadded && !same) changedOutside++;
        if (inBox && (saved.data[i] | saved.data[i + 1] | saved.data[i + 2]) !== 0) notBlackInside++;
      }
    }
    assert.equal(changedOutside, 0, 'pixels outside the padded box changed');
    assert.equal(notBlackInside, 0, 'pixels inside the box are not all black');
    assertNoLeaks(requests, opened);
    await page.close();
  });

  test('boxes can be moved, resized and deleted with the mouse, and drawn by touch', async () => {
    const { page } = await openPage();
    await page.setInputFiles('#file', shared(FIXTURE));
    await page.waitForSelector('#editor:not([hidden])');
    const { width, height } = readPng(shared(FIXTURE));
    await drawBox(page, width, [100, 100, 200, 50]);
    await drawBox(page, width, [100, 300, 120, 40]);
    let boxes = await boxesOnPage(page, width, height);
    assert.equal(boxes.length, 2);
    const near = (a, b, what) => assert.ok(Math.abs(a - b) < 3, `${what}: ${a} vs ${b}`);
    const r = await page.locator('#boxes').boundingBox();
    const s = r.width / width;
    const at = (x, y) => [r.x + x * s, r.y + y * s];

    // Move the first box by dragging its middle 50 px right and 30 px down.
    await page.mouse.move(...at(200, 125));
    await page.mouse.down();
    await page.mouse.move(...at(225, 140), { steps: 3 });
    await page.mouse.move(...at(250, 155), { steps: 3 });
    await page.mouse.up();
    boxes = await boxesOnPage(page, width, height);
    near(boxes[0].x, 150, 'moved x');
    near(boxes[0].y, 130, 'moved y');
    near(boxes[0].w, 200, 'width kept');

    // Resize it by its bottom-right handle.
    const handle = await page.locator('.box.selected .handle-se').boundingBox();
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + 40 * s, handle.y + handle.height / 2 + 20 * s, { steps: 4 });
    await page.mouse.up();
    boxes = await boxesOnPage(page, width, height);
    near(boxes[0].w, 240, 'resized width');
    near(boxes[0].h, 70, 'resized height');
    near(boxes[0].x, 150, 'left edge kept');

    // Delete it with the Delete key, the other with its × button.
    await page.keyboard.press('Delete');
    assert.equal((await boxesOnPage(page, width, height)).length, 1);
    await page.mouse.click(...at(150, 320));
    await page.click('.box.selected .box-delete');
    assert.equal((await boxesOnPage(page, width, height)).length, 0);
    assert.match(await page.textContent('#box-count'), /0/);

    // A finger draws a box too (touch events turned into pointer events by the browser).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
    const [x0, y0] = at(300, 200);
    const [x1, y1] = at(420, 260);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: x0, y: y0 }] });
    for (let i = 1; i <= 5; i++) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: x0 + ((x1 - x0) * i) / 5, y: y0 + ((y1 - y0) * i) / 5 }] });
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    boxes = await boxesOnPage(page, width, height);
    assert.equal(boxes.length, 1, 'a box drawn by touch');
    near(boxes[0].x, 300, 'touch x');
    near(boxes[0].w, 120, 'touch width');
    await page.close();
  });

  test('drop and paste open images; styles and JPEG export work and carry no metadata', async () => {
    const { page, requests } = await openPage();
    const bytes = [...readFileSync(shared('eval/dev/dev_0001_gradeSheet.jpg'))];
    const opened = Date.now();
    const size = await page.evaluate(async (data) => {
      const file = new File([new Uint8Array(data)], 'grades.jpg', { type: 'image/jpeg' });
      const dt = new DataTransfer();
      dt.items.add(file);
      document.querySelector('#open').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      await new Promise((r) => { const t = setInterval(() => { if (!document.querySelector('#editor').hidden) { clearInterval(t); r(); } }, 50); });
      return document.querySelector('#view').width;
    }, bytes);
    assert.ok(size > 0);
    await drawBox(page, size, [50, 50, 300, 60]);
    for (const style of ['mosaic', 'blur']) {
      await page.check(`input[name="style"][value="${style}"]`);
      await page.waitForSelector('body:not([data-rendering])');
      await page.screenshot({ path: path.join(OUT, `page-${style}.png`) });
    }
    await page.selectOption('#format', 'jpeg');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const file = path.join(OUT, 'saved.jpg');
    await download.saveAs(file);
    const markers = jpegMarkers(readFileSync(file));
    assert.ok(markers.includes(0xda), 'a JPEG with image data');
    const metadata = markers.filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe);
    assert.deepEqual(metadata, [], 'no APP1–APP15 or comment segments');

    // Paste replaces the open image.
    const png = [...readFileSync(shared(FIXTURE))];
    const pasted = await page.evaluate(async (data) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], 'pasted.png', { type: 'image/png' }));
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      const want = 0;
      await new Promise((r) => { const t = setInterval(() => { if (document.querySelectorAll('#boxes .box').length === want) { clearInterval(t); r(); } }, 50); });
      return document.querySelector('#view').width;
    }, png);
    assert.equal(pasted, readPng(shared(FIXTURE)).width);
    assertNoLeaks(requests, opened);
    await page.close();
  });

  test('bad files get a clear message in Japanese, and the page keeps working', async () => {
    const { page, requests } = await openPage({ locale: 'ja-JP' });
    assert.match(await page.textContent('.privacy'), /送信されません/);
    const cases = [
      [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('氏名: 山田太郎\n') }, /画像ファイルではありません/],
      [{ name: 'cut.png', mimeType: 'image/png', buffer: readFileSync(shared(FIXTURE)).subarray(0, 5000) }, /壊れているか/],
      [{ name: 'empty.png', mimeType: 'image/png', buffer: pngWithHeader(0, 0) }, /画素がありません/],
      [{ name: 'huge.png', mimeType: 'image/png', buffer: pngWithHeader(100000, 100000) }, /大きすぎます（?\(?100000×100000/],
      [{ name: 'big.png', mimeType: 'image/png', buffer: pngWithHeader(8000, 7000) }, /大きすぎます/],
    ];
    for (const [file, expected] of cases) {
      await page.setInputFiles('#file', file);
      await page.waitForSelector('#message:not([hidden])');
      const text = await page.textContent('#message');
      assert.match(text, expected, `${file.name}: ${text}`);
      await page.evaluate(() => { document.querySelector('#message').hidden = true; });
    }
    // Still alive: a good image opens after all that.
    await page.setInputFiles('#file', shared(FIXTURE));
    await page.waitForSelector('#editor:not([hidden])');
    await page.screenshot({ path: path.join(OUT, 'page-ja.png') });
    // The language can be switched.
    await page.selectOption('#lang', 'en');
    assert.match(await page.textContent('.privacy'), /never leave this device/);
    assertNoLeaks(requests, Infinity);
    await page.close();
  });

  test('the Content-Security-Policy stops connections to any other origin', async () => {
    let hits = 0;
    const other = createServer((req, res) => { hits++; res.end('x'); });
    await new Promise((r) => other.listen(0, '127.0.0.1', r));
    const otherUrl = `http://127.0.0.1:${other.address().port}/steal`;
    const { page } = await openPage();
    const response = await page.goto(env.server.url);
    const headers = response.headers();
    assert.match(headers['content-security-policy'], /connect-src 'self'/);
    assert.equal(headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(headers['cross-origin-embedder-policy'], 'require-corp');
    const blocked = await page.evaluate(async (u) => {
      const results = [];
      try { await fetch(u, { method: 'POST', body: 'secret' }); results.push('fetch went through'); } catch { results.push('fetch blocked'); }
      await new Promise((r) => { const img = new Image(); img.onload = img.onerror = r; img.src = u; });
      navigator.sendBeacon?.(u, 'secret');
      return results;
    }, otherUrl);
    await page.waitForTimeout(500);
    other.close();
    assert.deepEqual(blocked, ['fetch blocked']);
    assert.equal(hits, 0, 'the other origin was reached');
    await page.close();
  });

  test('kuronuri.js: window.kuronuri.redactImage masks a Blob', async () => {
    const { page } = await openPage();
    const result = await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(200, 100);
      const g = canvas.getContext('2d');
      g.fillStyle = '#fff';
      g.fillRect(0, 0, 200, 100);
      g.fillStyle = '#123456';
      g.fillRect(20, 20, 60, 20);
      const input = await canvas.convertToBlob({ type: 'image/png' });
      const out = await window.kuronuri.redactImage(input, { boxes: [[20, 20, 60, 20]], style: 'fill:#ff0000' });
      const bitmap = await createImageBitmap(out);
      const check = new OffscreenCanvas(200, 100).getContext('2d');
      check.drawImage(bitmap, 0, 0);
      const inside = [...check.getImageData(50, 30, 1, 1).data];
      const outside = [...check.getImageData(150, 80, 1, 1).data];
      let error = null;
      try { await window.kuronuri.redactImage(new Blob(['not an image']), { boxes: [[0, 0, 1, 1]] }); } catch (e) { error = e.code; }
      return { type: out.type, inside, outside, error };
    });
    assert.equal(result.type, 'image/png');
    assert.deepEqual(result.inside, [255, 0, 0, 255]);
    assert.deepEqual(result.outside, [255, 255, 255, 255]);
    assert.equal(result.error, 'not_an_image');
    await page.close();
  });
});
