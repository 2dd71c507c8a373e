// Videos in real headless Chromium: the dev demo recording (MP4 and WebM) is scanned as a
// person would (file picker) and through kuronuri.js; the shared scorer must find no frame in
// which a personal item is left uncovered; the exported video must have the input's frame
// count, duration and size, its masked pixels must be dark, and it must carry no metadata tags;
// an audio track is copied packet for packet.
// Needs ffmpeg/ffprobe and numpy (./build.sh setup installs them).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OUT, SHARED, serverAndBrowser, shared } from './harness.mjs';

const env = serverAndBrowser(before, after);
const TRUTH = 'eval/dev/dev_demo.video.json';
const work = mkdtempSync(path.join(tmpdir(), 'kuronuri-video-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs the shared video scorer on per-frame findings indexed like the truth's MP4 frames. */
function score(frames) {
  const file = path.join(work, `pred-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ frames }));
  const out = execFileSync('python3', [path.join(SHARED, 'eval/score_video.py'), shared(TRUTH), file], { encoding: 'utf8' });
  return JSON.parse(out.slice(0, out.lastIndexOf('}') + 1));
}

/** A scan's frames re-indexed to the truth's 30 fps frames by timestamp (the WebM has 10 fps). */
function atTruthRate(frames, fps, count) {
  const times = frames.map((f) => f.t);
  return Array.from({ length: count }, (_, j) => {
    const t = j / fps;
    let k = 0;
    while (k + 1 < times.length && times[k + 1] <= t + 1e-6) k++;
    return { i: j, findings: frames[k].findings };
  });
}

function probe(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries',
    'stream=codec_type,codec_name,width,height,nb_read_frames:format=duration:format_tags:stream_tags', '-of', 'json', file], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** Mean luma of a box in frame `n` of a video. */
function meanLuma(file, n, [x0, y0, x1, y1]) {
  const raw = execFileSync('ffmpeg', ['-loglevel', 'error', '-i', file, '-vf', `select=eq(n\\,${n})`, '-vframes', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { maxBuffer: 64 << 20 });
  const { width } = probe(file).streams.find((s) => s.codec_type === 'video');
  let sum = 0;
  let count = 0;
  for (let y = Math.round(y0); y < Math.round(y1); y++) {
    for (let x = Math.round(x0); x < Math.round(x1); x++) {
      sum += raw[y * width + x];
      count++;
    }
  }
  return sum / count;
}

describe('videos in headless Chromium', { timeout: 900_000 }, () => {
  test('a person opens the demo MP4: no leak frame, tracks to toggle, a masked export like the input', async () => {
    const page = await env.browser.context.newPage();
    await page.setViewportSize({ width: 1400, height: 1000 });
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(env.server.url);
    await page.waitForSelector('body[data-ocr-ready="true"]', { timeout: 120_000 });
    await page.setInputFiles('#file', shared('eval/dev/dev_demo.mp4'));
    await page.waitForSelector('body[data-video-progress]', { timeout: 60_000 });
    assert.ok(await page.isVisible('#video-cancel'), 'a scan can be cancelled');
    assert.match(await page.textContent('#video-progress-text'), /\d/, 'progress shows figures');
    await page.waitForSelector('body[data-video-scanned="true"]', { timeout: 600_000 });
    const { result } = await page.evaluate(() => window.kuronuriPage.video());
    assert.equal(result.frame_count, 480);
    assert.ok(result.keys.length < 40, `read ${result.keys.length} of 480 frames`);
    const s = score(result.frames);
    assert.equal(s.leak_frames, 0, `leak frames: ${JSON.stringify(s.first_leaks)}`);
    // The list groups by track with its time span; turning one off is reflected.
    const rows = await page.$$eval('#track-list .finding.track .text', (xs) => xs.map((x) => x.textContent));
    assert.ok(rows.length > 100, `${rows.length} tracks listed`);
    assert.ok(rows.every((r) => /\d+\.\d s–\d+\.\d s$/.test(r)), rows[0]);
    const tracks = Number(await page.getAttribute('body', 'data-video-tracks'));
    await page.click('#track-list .finding.track input[type="checkbox"]');
    assert.equal(Number(await page.getAttribute('body', 'data-video-tracks-on')), tracks - 1);
    await page.click('#track-list .finding.track input[type="checkbox"]');
    // The timeline jumps: a click at 40% of its width seeks to 40% of the video.
    const box = await page.locator('#timeline').boundingBox();
    await page.mouse.click(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.waitForFunction(() => Math.abs(document.querySelector('#player').currentTime - 6.4) < 0.3);
    await page.waitForTimeout(500);
    assert.ok(await page.$$eval('#video-marks polygon', (ps) => ps.length) > 100, 'the frame on screen shows its findings');
    await page.screenshot({ path: path.join(OUT, 'page-video.png') });
    // A box drawn with the mouse on the paused frame, held for 1 s: listed, and filled in those
    // 30 frames of the export only (a white part of the screen below the table).
    await page.selectOption('#video-hold', '1');
    await page.click('#video-draw');
    const layer = await page.locator('#video-boxes').boundingBox();
    const k = layer.width / 1280;
    await page.mouse.move(layer.x + 1100 * k, layer.y + 560 * k);
    await page.mouse.down();
    await page.mouse.move(layer.x + 1175 * k, layer.y + 620 * k, { steps: 4 });
    await page.mouse.move(layer.x + 1250 * k, layer.y + 680 * k, { steps: 4 });
    await page.mouse.up();
    await page.click('#video-draw');
    const { manual } = await page.evaluate(() => window.kuronuriPage.video());
    assert.equal(manual.length, 1, 'one box held');
    const held = manual[0];
    assert.equal(held.to - held.from + 1, 30, `held ${held.from}-${held.to}`);
    assert.ok(Math.abs(held.from - 192) <= 3, `drawn on frame ${held.from}`);
    assert.ok(Math.abs(held.box.x - 1100) < 8 && Math.abs(held.box.w - 150) < 8, JSON.stringify(held.box));
    assert.equal(await page.$$eval('#manual-list .finding', (xs) => xs.length), 1, 'the held box is listed');
    // Save: the export downloads as MP4.
    const download = page.waitForEvent('download', { timeout: 300_000 });
    await page.click('#video-save');
    const file = path.join(work, 'export.mp4');
    await (await download).saveAs(file);
    const info = probe(file);
    const input = probe(shared('eval/dev/dev_demo.mp4'));
    const video = info.streams.find((x) => x.codec_type === 'video');
    const original = input.streams.find((x) => x.codec_type === 'video');
    assert.equal(video.codec_name, 'h264');
    assert.equal(Number(video.nb_read_frames), Number(original.nb_read_frames));
    assert.equal(video.width, original.width);
    assert.equal(video.height, original.height);
    assert.ok(Math.abs(Number(info.format.duration) - Number(input.format.duration)) < 0.05, `${info.format.duration} vs ${input.format.duration}`);
    assert.deepEqual(Object.keys(info.format.tags ?? {}).filter((k) => !['major_brand', 'minor_version', 'compatible_brands'].includes(k)), [], 'no metadata tags');
    // A patient's name in frame 200 is filled; the unmasked header text beside it is not.
    const truth = JSON.parse(readFileSync(shared(TRUTH), 'utf8'));
    const span = truth.spans.find((x) => x.from <= 200 && x.to >= 200);
    const name = span.items.find((i) => i.cat === 'name' && i.tier === 'must' && i.quad[0][1] > 100);
    const q = name.quad;
    const inner = [q[0][0] + 2, q[0][1] + 4, q[2][0] - 2, q[2][1] - 4];
    assert.ok(meanLuma(file, 200, inner) < 40, 'the name is filled in the export');
    assert.ok(meanLuma(shared('eval/dev/dev_demo.mp4'), 200, inner) > 120, 'the original shows it');
    const area = [held.box.x + 2, held.box.y + 2, held.box.x + held.box.w - 2, held.box.y + held.box.h - 2];
    for (const n of [held.from, held.to]) {
      assert.ok(meanLuma(shared('eval/dev/dev_demo.mp4'), n, area) > 200, `the original is white there in frame ${n}`);
      assert.ok(meanLuma(file, n, area) < 40, `the held box is filled in frame ${n}`);
    }
    for (const n of [held.from - 5, held.to + 5]) {
      assert.ok(meanLuma(file, n, area) > 200, `the held box is not filled in frame ${n}, outside its span`);
    }
    const origin = new URL(env.server.url).origin;
    assert.ok(requests.every((u) => u.startsWith('blob:') || u.startsWith('data:') || new URL(u).origin === origin), 'same origin only');
    await page.close();
  });

  test('scanVideo and redactVideo on the demo WebM; bad input gets a clear error', async () => {
    const page = await env.browser.context.newPage();
    await page.goto(env.server.url);
    await page.waitForSelector('body[data-ocr-ready="true"]', { timeout: 120_000 });
    const b64 = readFileSync(shared('eval/dev/dev_demo.webm')).toString('base64');
    const r = await page.evaluate(async (data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const blob = new Blob([bytes], { type: 'video/webm' });
      const progress = [];
      const scan = await window.kuronuri.scanVideo(blob, { onProgress: (p) => progress.push(p) });
      const out = await window.kuronuri.redactVideo(blob, { frames: scan.frames, times: scan.times, duration: scan.duration });
      const exported = new Uint8Array(await out.arrayBuffer());
      let bin = '';
      for (let i = 0; i < exported.length; i += 8192) bin += String.fromCharCode(...exported.subarray(i, i + 8192));
      const errors = [];
      for (const bad of [new Blob([new Uint8Array(5000).fill(7)]), new Blob([])]) {
        try {
          await window.kuronuri.scanVideo(bad);
          errors.push('no error');
        } catch (e) {
          errors.push(e.code);
        }
      }
      return {
        fps: scan.fps, count: scan.frame_count, keys: scan.keys, frames: scan.frames, type: out.type, out: btoa(bin),
        progress: progress.length, errors,
      };
    }, b64);
    assert.equal(r.count, 160);
    assert.ok(r.progress > 0, 'progress was reported');
    const truth = JSON.parse(readFileSync(shared(TRUTH), 'utf8'));
    const s = score(atTruthRate(r.frames, truth.fps, truth.frame_count));
    assert.equal(s.leak_frames, 0, `leak frames: ${JSON.stringify(s.first_leaks)}`);
    const file = path.join(work, 'export-from-webm.mp4');
    writeFileSync(file, Buffer.from(r.out, 'base64'));
    const video = probe(file).streams.find((x) => x.codec_type === 'video');
    assert.equal(r.type, 'video/mp4');
    assert.equal(Number(video.nb_read_frames), 160);
    assert.equal(video.width, 1280);
    assert.equal(video.height, 720);
    assert.deepEqual(r.errors, ['not_a_video', 'empty']);
    await page.close();
  });

  test('the audio track passes through the export untouched (AAC in MP4, Opus in WebM)', async () => {
    const page = await env.browser.context.newPage();
    await page.goto(env.server.url);
    await page.waitForSelector('body[data-ocr-ready="true"]', { timeout: 120_000 });
    // Three seconds of a moving test pattern with a tone, made by ffmpeg.
    const inputs = [['mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k']],
      ['webm', ['-c:v', 'libvpx-vp9', '-b:v', '400k', '-c:a', 'libopus', '-b:a', '64k']]];
    for (const [ext, codecs] of inputs) {
      const file = path.join(work, `tone.${ext}`);
      execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=3',
        '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', ...codecs, '-shortest', file]);
      const r = await page.evaluate(async (data) => {
        const blob = new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))]);
        const scan = await window.kuronuri.scanVideo(blob);
        // One hand-drawn box held over every frame, so the video is really re-encoded.
        const frames = scan.frames.map((f) => ({ ...f, findings: [{ category: 'manual', box: [10, 10, 100, 60] }] }));
        const out = await window.kuronuri.redactVideo(blob, { frames, times: scan.times, duration: scan.duration });
        const bytes = new Uint8Array(await out.arrayBuffer());
        let bin = '';
        for (let i = 0; i < bytes.length; i += 8192) bin += String.fromCharCode(...bytes.subarray(i, i + 8192));
        return { type: out.type, out: btoa(bin), count: scan.frame_count };
      }, readFileSync(file).toString('base64'));
      const exported = path.join(work, `tone-out.${r.type.includes('mp4') ? 'mp4' : 'webm'}`);
      writeFileSync(exported, Buffer.from(r.out, 'base64'));
      const before = probe(file);
      const afterProbe = probe(exported);
      const audioIn = before.streams.find((x) => x.codec_type === 'audio');
      const audioOut = afterProbe.streams.find((x) => x.codec_type === 'audio');
      assert.ok(audioOut, `${ext}: the export has no audio track`);
      assert.equal(audioOut.codec_name, audioIn.codec_name, `${ext}: audio codec changed`);
      // The same audio packets, byte for byte.
      const packets = (f) => execFileSync('ffmpeg', ['-loglevel', 'error', '-i', f, '-map', '0:a', '-c', 'copy', '-f', 'md5', '-'], { encoding: 'utf8' }).trim();
      assert.equal(packets(exported), packets(file), `${ext}: audio packets differ`);
      assert.equal(Number(afterProbe.streams.find((x) => x.codec_type === 'video').nb_read_frames), r.count);
      // The box was masked (the test pattern there is colourful; the mask is not the pattern).
      assert.ok(Math.abs(meanLuma(exported, 30, [20, 20, 90, 60]) - meanLuma(file, 30, [20, 20, 90, 60])) > 3, `${ext}: box not masked`);
    }
    await page.close();
  });
});
