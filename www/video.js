// The page's video review: scan a video (progress, speed, time left, cancel), play it with the
// findings of the frame on screen outlined, a timeline of where personal data is on screen by
// category (click to jump), the findings listed by track ("佐藤 太郎 — 4.2 s–9.8 s") to turn
// off or on as a whole, boxes drawn on a frame and held for a span, and export of the masked
// video. Decoding, scanning and encoding run in workers behind `Kuronuri`.

import { BoxEditor } from './boxes.js';
import { groupedList, itemRow } from './groups.js';
import { errorText, reasonText, t } from './i18n.js';

const $ = (sel) => document.querySelector(sel);
const SVG = 'http://www.w3.org/2000/svg';

const ui = {
  section: $('#video-editor'),
  player: $('#player'),
  stage: $('#video-stage'),
  marks: $('#video-marks'),
  layer: $('#video-boxes'),
  timeline: $('#timeline'),
  list: $('#track-list'),
  manual: $('#manual-list'),
  summary: $('#video-summary'),
  progress: $('#video-progress'),
  progressText: $('#video-progress-text'),
  cancel: $('#video-cancel'),
  save: $('#video-save'),
  draw: $('#video-draw'),
  hold: $('#video-hold'),
};

const state = {
  file: null, name: 'video', url: null, result: null, off: new Set(), manual: [], style: 'fill',
  controller: null, busy: null, drawing: false, nextManual: 1,
};
let ctx = null; // {getEngine, showMessage, showStatus, colourOf, titleOf, loadCategories}

/** Seconds as "4.2 s". */
function seconds(s) {
  return `${(Math.round(s * 10) / 10).toFixed(1)} s`;
}

function timeOf(i) {
  const times = state.result?.times ?? [];
  return times[i] ?? i / (state.result?.fps || 30);
}

/** The frame shown at media time `time`: the last frame starting at or before it. */
function frameAt(time) {
  const times = state.result?.times ?? [];
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid] <= time + 1e-4) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function polygon(points, cls) {
  const p = document.createElementNS(SVG, 'polygon');
  p.setAttribute('points', points.map(([x, y]) => `${x},${y}`).join(' '));
  p.setAttribute('class', cls);
  return p;
}

function boxQuad({ x, y, w, h }) {
  return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
}

/** Outlines of what export masks in the frame on screen. */
function drawFrame() {
  if (!state.result) return;
  const i = frameAt(ui.player.currentTime);
  const nodes = [];
  for (const f of state.result.frames[i]?.findings ?? []) {
    const p = polygon(f.quad, state.off.has(f.track) ? 'off' : 'on');
    p.setAttribute('stroke', ctx.colourOf(f.category));
    nodes.push(p);
  }
  for (const m of state.manual) {
    if (i >= m.from && i <= m.to) nodes.push(polygon(boxQuad(m.box), 'manual'));
  }
  ui.marks.replaceChildren(...nodes);
  document.body.dataset.videoFrame = String(i);
  drawTimeline();
}

/** Where each category is on screen over time, the person's boxes, and the play head. */
function drawTimeline() {
  const r = state.result;
  const canvas = ui.timeline;
  const width = canvas.clientWidth || 800;
  const categories = r ? [...new Set(r.tracks.map((tr) => tr.category))] : [];
  const rows = Math.max(1, categories.length + (state.manual.length ? 1 : 0));
  const rowHeight = 10;
  canvas.width = width * devicePixelRatio;
  canvas.height = (rows * rowHeight + 6) * devicePixelRatio;
  canvas.style.height = `${rows * rowHeight + 6}px`;
  const g = canvas.getContext('2d');
  g.scale(devicePixelRatio, devicePixelRatio);
  g.fillStyle = '#f1f0ec';
  g.fillRect(0, 0, width, rows * rowHeight + 6);
  if (!r) return;
  const duration = r.duration || r.frame_count / (r.fps || 30);
  const x = (i) => (timeOf(i) / duration) * width;
  const end = (i) => (i + 1 < r.frame_count ? x(i + 1) : width);
  categories.forEach((category, row) => {
    g.fillStyle = ctx.colourOf(category);
    for (const tr of r.tracks) {
      if (tr.category !== category) continue;
      g.globalAlpha = state.off.has(tr.id) ? 0.25 : 1;
      g.fillRect(x(tr.first), 3 + row * rowHeight, Math.max(2, end(tr.last) - x(tr.first)), rowHeight - 2);
    }
  });
  g.globalAlpha = 1;
  if (state.manual.length) {
    g.fillStyle = '#b3261e';
    for (const m of state.manual) g.fillRect(x(m.from), 3 + categories.length * rowHeight, Math.max(2, end(m.to) - x(m.from)), rowHeight - 2);
  }
  g.fillStyle = '#000';
  g.fillRect((ui.player.currentTime / duration) * width - 1, 0, 2, rows * rowHeight + 6);
}

/** The tracks by category, each a row to toggle; the person's boxes below. */
function showTracks() {
  const r = state.result;
  if (!r) {
    ui.list.replaceChildren();
    ui.manual.replaceChildren();
    return;
  }
  const groups = groupedList(r.tracks, {
    order: ctx.order(),
    isOn: (tr) => !state.off.has(tr.id),
    setOn: setTracks,
    colourOf: ctx.colourOf,
    titleOf: ctx.titleOf,
    row: (tr) => {
      const row = itemRow({
        className: 'finding track',
        on: !state.off.has(tr.id),
        onChange: (on) => setTracks([tr], on),
        text: `${tr.text || '—'} — ${seconds(timeOf(tr.first))}–${seconds(timeOf(tr.last) + 1 / (r.fps || 30))}`,
        reason: reasonText(tr.reason),
      });
      row.dataset.track = String(tr.id);
      const jump = document.createElement('button');
      jump.type = 'button';
      jump.className = 'jump';
      jump.textContent = t('video_jump');
      jump.addEventListener('click', (e) => {
        e.preventDefault();
        seek(timeOf(tr.first));
      });
      row.querySelector('.reason').before(jump);
      return row;
    },
  });
  ui.list.replaceChildren(...groups);
  ui.manual.replaceChildren(...state.manual.map((m) => {
    const row = document.createElement('div');
    row.className = 'finding manual';
    const text = document.createElement('span');
    text.textContent = t('video_manual_box', { from: seconds(timeOf(m.from)), to: seconds(timeOf(m.to)) });
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = t('delete_box');
    remove.addEventListener('click', () => {
      state.manual = state.manual.filter((x) => x !== m);
      showTracks();
      drawFrame();
    });
    row.append(text, remove);
    return row;
  }));
  const on = r.tracks.filter((tr) => !state.off.has(tr.id)).length;
  document.body.dataset.videoTracks = String(r.tracks.length);
  document.body.dataset.videoTracksOn = String(on);
  ui.summary.textContent = r.tracks.length
    ? t('video_scan_done', { n: r.tracks.length, on, read: r.keys.length, frames: r.frame_count, s: state.scanSeconds })
    : t('video_scan_none', { frames: r.frame_count, s: state.scanSeconds });
}

function setTracks(list, on) {
  for (const tr of list) {
    if (on) state.off.delete(tr.id);
    else state.off.add(tr.id);
  }
  showTracks();
  drawFrame();
}

function seek(time) {
  ui.player.pause();
  ui.player.currentTime = Math.max(0, time + 0.001);
}

/** Progress line: frames done, speed against real time, time left. */
function showProgress(p, started) {
  const elapsed = (performance.now() - started) / 1000;
  const duration = p.duration || 0;
  const fraction = duration ? Math.min(1, (p.time || 0) / duration) : 0;
  ui.progress.hidden = false;
  ui.progress.value = fraction;
  const speed = elapsed > 0 ? (p.time || 0) / elapsed : 0;
  const left = speed > 0 ? Math.max(0, (duration - (p.time || 0)) / speed) : NaN;
  const key = p.phase === 'export' ? 'video_export_progress' : 'video_scan_progress';
  ui.progressText.textContent = t(key, {
    frames: p.frames ?? 0,
    speed: speed.toFixed(2),
    left: Number.isFinite(left) ? Math.ceil(left) : '—',
    read: p.read ?? 0,
  });
  document.body.dataset.videoProgress = fraction.toFixed(3);
}

function endProgress() {
  ui.progress.hidden = true;
  ui.progressText.textContent = '';
  ui.cancel.hidden = true;
  state.controller = null;
  state.busy = null;
  delete document.body.dataset.videoProgress;
}

async function scanVideo() {
  const file = state.file;
  const k = await ctx.getEngine();
  await ctx.loadCategories();
  state.controller = new AbortController();
  state.busy = 'scan';
  ui.cancel.hidden = false;
  ui.save.disabled = true;
  document.body.dataset.videoScanning = 'true';
  const started = performance.now();
  try {
    ctx.showStatus(t('video_scan_start'));
    const result = await k.scanVideo(file, { signal: state.controller.signal, onProgress: (p) => showProgress(p, started) });
    if (state.file !== file) return;
    state.scanSeconds = ((performance.now() - started) / 1000).toFixed(1);
    state.result = result;
    state.off = new Set();
    showTracks();
    drawFrame();
    document.body.dataset.videoScanned = 'true';
  } catch (e) {
    if (state.file !== file) return;
    if (e?.code === 'cancelled') {
      ctx.showMessage(t('video_cancelled'), 'info');
      document.body.dataset.videoScanned = 'cancelled';
    } else {
      ctx.showMessage(t('video_scan_failed', { detail: errorText(e) }));
      document.body.dataset.videoScanned = 'failed';
      // A file that is no video we can read leaves nothing to review.
      if (['not_a_video', 'unsupported_codec', 'empty', 'file_too_large'].includes(e?.code)) ui.section.hidden = true;
    }
  } finally {
    delete document.body.dataset.videoScanning;
    ctx.showStatus('');
    endProgress();
    ui.save.disabled = !state.result;
  }
}

/** What export masks in every frame: tracks left on and the person's boxes. */
function exportFrames() {
  const r = state.result;
  return r.frames.map((f) => ({
    i: f.i,
    findings: [
      ...f.findings.filter((x) => !state.off.has(x.track)),
      ...state.manual.filter((m) => f.i >= m.from && f.i <= m.to).map((m) => ({ category: 'manual', box: [m.box.x, m.box.y, m.box.w, m.box.h] })),
    ],
  }));
}

async function saveVideo() {
  if (!state.result || state.busy) return;
  const k = await ctx.getEngine();
  state.controller = new AbortController();
  state.busy = 'export';
  ui.cancel.hidden = false;
  ui.save.disabled = true;
  ctx.showMessage('');
  const started = performance.now();
  document.body.dataset.videoExporting = 'true';
  try {
    const blob = await k.redactVideo(state.file, {
      frames: exportFrames(),
      times: state.result.times,
      duration: state.result.duration,
      style: state.style,
      signal: state.controller.signal,
      onProgress: (p) => showProgress(p, started),
    });
    const name = `${state.name}-kuronuri.${blob.type.includes('mp4') ? 'mp4' : 'webm'}`;
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    ctx.showMessage(t('video_saved', { name, s: ((performance.now() - started) / 1000).toFixed(1) }), 'ok');
    document.body.dataset.videoExported = 'true';
  } catch (e) {
    if (e?.code === 'cancelled') ctx.showMessage(t('video_cancelled'), 'info');
    else ctx.showMessage(t('video_export_failed', { detail: errorText(e) }));
  } finally {
    delete document.body.dataset.videoExporting;
    endProgress();
    ui.save.disabled = !state.result;
  }
}

const editor = new BoxEditor(ui.layer, {
  deleteLabel: () => t('delete_box'),
  onChange() {},
});

/** Draw mode: the video pauses and boxes drawn on the frame are held for the chosen span. */
function setDrawing(on) {
  if (!on && state.drawing) {
    const from = frameAt(ui.player.currentTime);
    const fps = state.result?.fps || 30;
    const holdSeconds = Number(ui.hold.value);
    const last = (state.result?.frame_count ?? 1) - 1;
    const to = holdSeconds > 0 ? Math.min(last, from + Math.round(holdSeconds * fps) - 1) : last;
    for (const b of editor.boxes.filter((x) => x.w > 0 && x.h > 0)) {
      state.manual.push({ id: state.nextManual++, box: { x: b.x, y: b.y, w: b.w, h: b.h }, from, to });
    }
    editor.clear();
    showTracks();
  }
  state.drawing = on;
  if (on) ui.player.pause();
  ui.layer.hidden = !on;
  ui.draw.textContent = t(on ? 'video_draw_done' : 'video_draw');
  ui.draw.classList.toggle('primary', on);
  drawFrame();
}

/** Opens a video file: shows it, then scans it. */
export async function openVideo(file, context) {
  ctx = context;
  if (state.controller) state.controller.abort();
  if (state.url) URL.revokeObjectURL(state.url);
  Object.assign(state, {
    file, name: (file.name || 'video').replace(/\.[^.]*$/, '') || 'video', url: URL.createObjectURL(file),
    result: null, off: new Set(), manual: [], drawing: false,
  });
  for (const key of ['videoScanned', 'videoExported', 'videoTracks', 'videoTracksOn']) delete document.body.dataset[key];
  ui.player.src = state.url;
  ui.layer.hidden = true;
  ui.section.hidden = false;
  ui.save.disabled = true;
  document.body.dataset.state = 'video';
  await new Promise((resolve) => {
    if (ui.player.readyState >= 1) resolve();
    ui.player.addEventListener('loadedmetadata', resolve, { once: true });
    ui.player.addEventListener('error', resolve, { once: true });
  });
  const width = ui.player.videoWidth || 1;
  const height = ui.player.videoHeight || 1;
  ui.marks.setAttribute('viewBox', `0 0 ${width} ${height}`);
  ui.stage.style.aspectRatio = `${width} / ${height}`;
  editor.reset(width, height);
  showTracks();
  drawTimeline();
  scanVideo();
}

/** Closes the video review (another file was opened). */
export function closeVideo() {
  state.controller?.abort();
  if (state.url) URL.revokeObjectURL(state.url);
  Object.assign(state, { file: null, url: null, result: null });
  ui.player.removeAttribute('src');
  ui.section.hidden = true;
}

export function setVideoStyle(style) {
  state.style = style;
}

/** For tests and the curious: the scan as the review holds it. */
export function videoState() {
  return { result: state.result, off: [...state.off], manual: state.manual.map((m) => ({ ...m })) };
}

// The frame on screen follows the player (every frame where the browser reports them).
const onFrame = () => {
  drawFrame();
  ui.player.requestVideoFrameCallback?.(onFrame);
};
ui.player.requestVideoFrameCallback?.(onFrame);
ui.player.addEventListener('seeked', drawFrame);
ui.player.addEventListener('timeupdate', drawFrame);
ui.player.addEventListener('loadeddata', () => ui.player.requestVideoFrameCallback?.(onFrame));
ui.timeline.addEventListener('click', (e) => {
  const r = state.result;
  if (!r) return;
  const rect = ui.timeline.getBoundingClientRect();
  seek(((e.clientX - rect.left) / rect.width) * (r.duration || r.frame_count / (r.fps || 30)));
});
ui.cancel.addEventListener('click', () => state.controller?.abort());
ui.save.addEventListener('click', saveVideo);
ui.draw.addEventListener('click', () => setDrawing(!state.drawing));
document.addEventListener('kuronuri:language', () => {
  if (ctx) {
    showTracks();
    drawTimeline();
  }
});
window.addEventListener('resize', drawTimeline);
