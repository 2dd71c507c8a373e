// The review screen, in real headless Chromium: an opened form is scanned by itself, every
// personal item of its ground truth is outlined and listed with a reason, findings can be
// turned off and on by clicking, and the saved file has exactly the findings left on filled
// black. Also the scanImage / redactImage API, and the "identifiers only" preset.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OUT, readyPage, serverAndBrowser, shared } from './harness.mjs';
import { readPng } from './images.mjs';

const FIXTURE = 'eval/dev/dev_0033_kvForm.png';
const env = serverAndBrowser(before, after);

const openPage = () => readyPage(env);

const centre = (quad) => [quad.reduce((s, p) => s + p[0], 0) / 4, quad.reduce((s, p) => s + p[1], 0) / 4];
const inBox = ([x, y], quad, m = 0) => x >= Math.min(...quad.map((p) => p[0])) - m && x <= Math.max(...quad.map((p) => p[0])) + m
  && y >= Math.min(...quad.map((p) => p[1])) - m && y <= Math.max(...quad.map((p) => p[1])) + m;

describe('the review screen in headless Chromium', { timeout: 300_000 }, () => {
  test('a form is scanned on opening; findings are outlined, listed, toggled, and saved filled', async () => {
    const { page, errors } = await openPage();
    const truth = JSON.parse(readFileSync(shared(FIXTURE.replace('.png', '.json')), 'utf8'));
    const original = readPng(shared(FIXTURE));
    await page.setInputFiles('#file', shared(FIXTURE));
    await page.waitForSelector('body[data-scanned="true"]', { timeout: 120_000 });
    await page.waitForSelector('body:not([data-rendering])');
    const findings = await page.evaluate(() => window.kuronuriPage.findings());
    // Every personal item of the form is under some finding.
    for (const item of truth.items.filter((i) => i.tier === 'must')) {
      assert.ok(findings.some((f) => inBox(centre(item.quad), f.quad, 2)), `not found: ${item.cat} ${item.text}`);
    }
    // No label is mistaken for a value.
    for (const d of truth.decoys.filter((x) => x.kind === 'label')) {
      assert.ok(!findings.some((f) => inBox(centre(d.quad), f.quad)), `label masked: ${d.text}`);
    }
    // Outlines and list rows, with categories and reasons.
    assert.equal(await page.$$eval('#marks polygon', (ps) => ps.length), findings.length);
    const rows = await page.$$eval('#finding-list .finding', (rs) => rs.map((r) => r.textContent));
    assert.equal(rows.length, findings.length);
    assert.ok(rows.some((r) => /after label|column under|check digit|e-mail|phone|の後の値|列の値|形式/.test(r)), rows.join(' | '));
    const headings = await page.$$eval('#finding-list .group > label', (ls) => ls.map((l) => l.textContent));
    assert.ok(headings.some((h) => /^(氏名|Name) \(1\)/.test(h)), headings.join(' | '));
    await page.screenshot({ path: path.join(OUT, 'page-review.png') });

    // Click the e-mail's outline: it is turned off; click its row: back on; then off again.
    const email = findings.find((f) => f.category === 'email');
    assert.ok(email, 'an e-mail finding');
    const r = await page.locator('#boxes').boundingBox();
    const s = r.width / original.width;
    const [cx, cy] = centre(email.quad);
    const onBefore = Number(await page.$eval('body', (b) => b.dataset.findingsOn));
    await page.mouse.click(r.x + cx * s, r.y + cy * s);
    assert.equal(Number(await page.$eval('body', (b) => b.dataset.findingsOn)), onBefore - 1);
    await page.click(`#finding-list .finding[data-id="${email.id}"] .text`);
    assert.equal(Number(await page.$eval('body', (b) => b.dataset.findingsOn)), onBefore);
    const r2 = await page.locator('#boxes').boundingBox(); // the click on the list may scroll
    await page.mouse.click(r2.x + cx * s, r2.y + cy * s);
    assert.equal(await page.$eval(`#finding-list .finding[data-id="${email.id}"] input`, (i) => i.checked), false);

    // Before/after: the original is shown over the masked preview, and hidden again.
    await page.check('#before-after');
    assert.equal(await page.$eval('#original', (c) => c.hidden), false);
    await page.uncheck('#before-after');

    // Save: findings left on are black at their centre; the e-mail (off) is untouched.
    await page.waitForSelector('body:not([data-rendering])');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const savedPath = path.join(OUT, 'saved-review.png');
    await download.saveAs(savedPath);
    const saved = readPng(readFileSync(savedPath));
    const at = (img, [x, y]) => { const i = (Math.round(y) * img.width + Math.round(x)) * 4; return [img.data[i], img.data[i + 1], img.data[i + 2]]; };
    for (const f of findings.filter((x) => x.id !== email.id)) {
      assert.deepEqual(at(saved, centre(f.quad)), [0, 0, 0], `finding not filled: ${f.category} ${f.text}`);
    }
    assert.deepEqual(at(saved, centre(email.quad)), at(original, centre(email.quad)), 'the e-mail was turned off but masked');

    // The interface switches to English.
    await page.selectOption('#lang', 'en');
    assert.match(await page.textContent('#panel h2'), /Personal data found/);
    // And to Japanese, reasons included.
    await page.selectOption('#lang', 'ja');
    assert.match(await page.textContent('#panel h2'), /見つかった個人情報/);
    const reasons = await page.$$eval('#finding-list .reason', (rs) => rs.map((r) => r.textContent));
    assert.ok(reasons.some((r) => r.includes('「電話番号」の後の値')), reasons.join(' | '));
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('scanImage finds, redactImage fills; "identifiers only" leaves attributes out', async () => {
    const { page } = await openPage();
    const bytes = [...readFileSync(shared('eval/dev/dev_0000_ehrInpatients.png'))];
    const out = await page.evaluate(async (data) => {
      const blob = new Blob([new Uint8Array(data)], { type: 'image/png' });
      const all = await window.kuronuri.scanImage(blob);
      const ids = await window.kuronuri.scanText(all.ocr, { policy: { preset: 'identifiers' } });
      const masked = await window.kuronuri.redactImage(blob, { findings: all.findings });
      return { width: all.width, findings: all.findings, ids, masked: [...new Uint8Array(await masked.arrayBuffer())] };
    }, bytes);
    const fields = ['category', 'tier', 'text', 'quad', 'score', 'reason'];
    for (const f of out.findings) assert.deepEqual(Object.keys(f).sort(), [...fields].sort());
    const tiers = new Set(out.findings.map((f) => f.tier));
    assert.ok(tiers.has('must') && tiers.has('may'), [...tiers].join());
    assert.ok(out.ids.length > 0 && out.ids.every((f) => f.tier === 'must'));
    assert.ok(out.ids.length < out.findings.length);
    const truth = JSON.parse(readFileSync(shared('eval/dev/dev_0000_ehrInpatients.json'), 'utf8'));
    const ids = truth.items.filter((i) => i.cat === 'patient_id');
    const hit = ids.filter((i) => out.findings.some((f) => f.category === 'patient_id' && inBox(centre(i.quad), f.quad)));
    assert.ok(hit.length >= ids.length * 0.95, `patient IDs found: ${hit.length} of ${ids.length}`);
    const img = readPng(Buffer.from(out.masked));
    const black = hit.filter((i) => { const [x, y] = centre(i.quad).map(Math.round); const k = (y * img.width + x) * 4; return img.data[k] + img.data[k + 1] + img.data[k + 2] === 0; });
    assert.equal(black.length, hit.length, 'patient IDs filled black');
    await page.close();
  });

  // The page's reader reads photos a little differently from the native one, and one header
  // label was what made a row a header: in dev_0023 the page read メールアドレス as よールアFレス
  // (natively よールアドレス) and found 22 items of the table's 126; in dev_0050 it read 番号 as
  // 各堡 and the score labels as one run with slips (院路教学英語環料社会欠課時数), and left 26
  // of the 36 names readable.
  test('photographed tables: every personal item is under a finding', async () => {
    // dev_0001: the score columns of that photo (8-px text) come out of the detector as
    // vertical lines, so its header row is 氏名 alone; the column under it is masked whole.
    // Its one known miss is the teacher's name in the line above the table (担任 中野 ゆうこ,
    // read as 2年2任中), which no label or name list reaches.
    const known = { 'eval/dev/dev_0001_gradeSheet.jpg': ['name 中野 ゆうこ'] };
    for (const file of ['eval/dev/dev_0001_gradeSheet.jpg', 'eval/dev/dev_0023_hrEmployees.jpg', 'eval/dev/dev_0050_gradeSheet.jpg']) {
      const { page } = await openPage();
      const truth = JSON.parse(readFileSync(shared(file.replace('.jpg', '.json')), 'utf8'));
      await page.setInputFiles('#file', shared(file));
      await page.waitForSelector('body[data-scanned="true"]', { timeout: 240_000 });
      const findings = await page.evaluate(() => window.kuronuriPage.findings());
      const must = truth.items.filter((i) => i.tier === 'must' && i.text);
      assert.ok(must.length >= 25, `${file}: ${must.length} items`);
      const missed = must.filter((item) => !findings.some((f) => inBox(centre(item.quad), f.quad, 2)));
      assert.deepEqual(missed.map((i) => `${i.cat} ${i.text}`), known[file] ?? [], file);
      await page.close();
    }
  });
});
