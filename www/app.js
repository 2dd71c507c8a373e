// The page: open an image (file picker, drag and drop, paste); the personal data found in it is
// shown as coloured outlines and a list to review (toggle, add boxes by hand), masked live;
// save. All pixel work happens in workers behind `Kuronuri`; this file only handles the UI.

import { Kuronuri, KuronuriError, findingRegion } from './kuronuri.js';
import { BoxEditor } from './boxes.js';
import { groupedList, itemRow } from './groups.js';
import { LANGUAGES, errorText, language, reasonText, setLanguage, t, translatePage } from './i18n.js';
import { closeVideo, openVideo, setVideoStyle, videoState } from './video.js';

const $ = (sel) => document.querySelector(sel);
const ui = {
  open: $('#open'),
  file: $('#file'),
  message: $('#message'),
  status: $('#status'),
  editor: $('#editor'),
  canvas: $('#view'),
  layer: $('#boxes'),
  count: $('#box-count'),
  save: $('#save'),
  format: $('#format'),
  clear: $('#clear'),
  other: $('#open-other'),
  lang: $('#lang'),
  showOcr: $('#show-ocr'),
  ocr: $('#ocr'),
  marks: $('#marks'),
  original: $('#original'),
  beforeAfter: $('#before-after'),
  list: $('#finding-list'),
  summary: $('#scan-summary'),
};

const state = {
  name: 'image', file: null, width: 0, height: 0, style: 'fill', boxes: [], rendering: false, dirty: false, ocr: null,
  // Findings of the open image: each with `id` and `on` (masked unless the person turned it off).
  findings: [], preset: 'everything', categories: [], scanning: null,
};
let engine = null;

function showMessage(text, kind = 'error') {
  ui.message.textContent = text;
  ui.message.dataset.kind = kind;
  ui.message.hidden = !text;
}

function showStatus(text) {
  ui.status.textContent = text;
}

async function getEngine() {
  if (!engine) {
    showStatus(t('loading_engine'));
    // `?simd=plain` in the page's address runs the core built without relaxed SIMD.
    engine = Kuronuri.load({ simd: new URLSearchParams(location.search).get('simd') ?? undefined }).finally(() => showStatus(''));
  }
  return engine;
}

/** What is masked: findings left on (text: solid fill) and the boxes drawn by hand. */
function regions() {
  // Text is filled solid; faces and other pictures take the chosen style (blur when it is a fill).
  const found = state.findings.filter((f) => f.on).map((f) => findingRegion(f, { style: state.style }));
  return [...found, ...state.boxes.map(({ x, y, w, h }) => ({ box: [x, y, w, h] }))];
}

// One colour per category, in the order the core lists them.
const PALETTE = ['#d32f2f', '#7b1fa2', '#1565c0', '#00838f', '#2e7d32', '#ef6c00', '#6d4c41', '#c2185b', '#303f9f',
  '#00695c', '#9e9d24', '#5d4037', '#0277bd', '#ad1457', '#4527a0', '#558b2f', '#e65100', '#37474f'];

function colourOf(category) {
  const i = state.categories.findIndex((c) => c.id === category);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

function titleOf(category) {
  const c = state.categories.find((x) => x.id === category);
  return c ? (language() === 'ja' ? c.ja : c.en) : category;
}

/** The original pixels under `quad` (its bounding box), at most 40 px high and 96 px wide. */
function pictureOf(quad) {
  const src = ui.original;
  const xs = quad.map((p) => p[0]);
  const ys = quad.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const x1 = Math.min(src.width, Math.ceil(Math.max(...xs)));
  const y1 = Math.min(src.height, Math.ceil(Math.max(...ys)));
  if (x1 <= x0 || y1 <= y0) return null;
  const scale = Math.min(40 / (y1 - y0), 96 / (x1 - x0));
  const canvas = document.createElement('canvas');
  canvas.className = 'picture';
  canvas.width = Math.max(1, Math.round((x1 - x0) * scale));
  canvas.height = Math.max(1, Math.round((y1 - y0) * scale));
  canvas.getContext('2d').drawImage(src, x0, y0, x1 - x0, y1 - y0, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** Draws the outlines over the image and the grouped list beside it. */
function showFindings() {
  const marks = [];
  for (const f of state.findings) {
    const p = polygon(f.quad, f.on ? 'on' : 'off');
    p.setAttribute('stroke', colourOf(f.category));
    p.dataset.id = String(f.id);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = `${titleOf(f.category)}: ${f.text} — ${reasonText(f.reason)}`;
    p.append(title);
    marks.push(p);
  }
  // The outlines of the identity cards found, under the findings (not a finding: nothing to
  // toggle; the name says what the card is).
  for (const d of state.documents ?? []) {
    if (!d.quad) continue;
    const p = polygon(d.quad, 'document');
    const title = document.createElementNS(SVG, 'title');
    title.textContent = t(`doc_${d.kind}`) + (d.side ? t(`side_${d.side}`) : '');
    p.append(title);
    marks.unshift(p);
  }
  ui.marks.replaceChildren(...marks);
  const groups = groupedList(state.findings, {
    order: state.categories.map((c) => c.id),
    isOn: (f) => f.on,
    setOn: setFindings,
    colourOf,
    titleOf,
    row: (f) => {
      const row = itemRow({
        className: 'finding',
        on: f.on,
        onChange: (on) => setFindings([f], on),
        text: f.text || '—',
        picture: f.text ? null : pictureOf(f.quad),
        reason: `${reasonText(f.reason)} (${Math.round(f.score * 100)}%)`,
      });
      row.dataset.id = String(f.id);
      row.addEventListener('mouseenter', () => focusFinding(f.id, true));
      row.addEventListener('mouseleave', () => focusFinding(f.id, false));
      return row;
    },
  });
  ui.list.replaceChildren(...groups);
  const on = state.findings.filter((f) => f.on).length;
  document.body.dataset.findings = String(state.findings.length);
  document.body.dataset.findingsOn = String(on);
  summarise();
}

/** The line above the list: how many were found, how many will be hidden. */
function summarise() {
  if (state.scanSeconds === undefined) {
    ui.summary.textContent = '';
    return;
  }
  const on = state.findings.filter((f) => f.on).length;
  const s = state.scanSeconds;
  ui.summary.textContent = state.findings.length ? t('scan_done', { n: state.findings.length, on, s }) : t('scan_none', { s });
  // Identity documents recognised; an insurance card suggests its own preset.
  // Each is {kind, side, quad}: the side is told for the My Number card, whose back shows the
  // 個人番号.
  const docs = state.documents ?? [];
  const named = (d) => t(`doc_${d.kind}`) + (d.side ? t(`side_${d.side}`) : '');
  if (docs.length) ui.summary.textContent += ` ${t('documents_seen', { list: docs.map(named).join(language() === 'ja' ? '、' : ', ') })}`;
  if (docs.some((d) => d.kind === 'insurance_card') && state.preset !== 'insurance_copy') ui.summary.textContent += ` ${t('insurance_hint')}`;
  if (docs.some((d) => d.kind === 'my_number_card' && d.side === 'back')) ui.summary.textContent += ` ${t('my_number_back_hint')}`;
}

function focusFinding(id, yes) {
  ui.marks.querySelector(`polygon[data-id="${id}"]`)?.classList.toggle('focus', yes);
  ui.list.querySelector(`.finding[data-id="${id}"]`)?.classList.toggle('focus', yes);
}

function setFindings(list, on) {
  for (const f of list) f.on = on;
  showFindings();
  render();
}

/** Looks for personal data in the open image (reading its text once), then shows it. */
async function scan() {
  const file = state.file;
  if (!file) return;
  const started = performance.now();
  document.body.dataset.scanning = 'true';
  try {
    const k = await getEngine();
    showStatus(t('scan_loading'));
    if (!state.categories.length) state.categories = await k.categories();
    if (!state.ocr) {
      state.ocr = await k.ocrImage(file, { onProgress: (done, total) => showStatus(t('scan_reading', { done, total })) });
      if (state.file !== file) return;
      if (ui.showOcr.checked) drawOcr();
    }
    if (!state.pictures) {
      // Faces, ID card photos, codes and seals: looked for once per image (all of them; the
      // preset only filters), with the pixels opened for the preview.
      showStatus(t('scan_pictures'));
      const { width, height, pixels } = state;
      try {
        const found = await k.scanPictures({ width, height, rgba: pixels.data.buffer }, state.ocr);
        state.pictures = found.findings;
        state.documents = found.documents;
      } catch (e) {
        // The text findings still stand; the person is told that pictures were not checked.
        state.pictures = [];
        showMessage(t('pictures_failed', { detail: errorText(e) }));
      }
      if (state.file !== file) return;
    }
    const text = await k.scanText(state.ocr, { policy: { preset: state.preset } });
    if (state.file !== file) return;
    const pictures = await k.filterFindings(state.pictures, { policy: { preset: state.preset } });
    const findings = [...text, ...pictures];
    const off = new Set(state.findings.filter((f) => !f.on).map((f) => JSON.stringify(f.quad)));
    state.findings = findings.map((f, id) => ({ ...f, id, on: !off.has(JSON.stringify(f.quad)) }));
    showFindings();
    render();
    state.scanSeconds = ((performance.now() - started) / 1000).toFixed(1);
    summarise();
    document.body.dataset.scanned = 'true';
  } catch (e) {
    showMessage(t('scan_failed', { detail: errorText(e) }));
    document.body.dataset.scanned = 'failed';
  } finally {
    delete document.body.dataset.scanning;
    showStatus('');
  }
}

/** Re-renders the preview; while one render runs, further changes wait and merge into one. */
async function render() {
  if (state.rendering) {
    state.dirty = true;
    return;
  }
  state.rendering = true;
  document.body.dataset.rendering = 'true';
  try {
    do {
      state.dirty = false;
      const k = await getEngine();
      const patch = await k.renderImage({ regions: regions(), style: state.style });
      if (patch) ui.canvas.getContext('2d').putImageData(patch.pixels, patch.x, patch.y);
    } while (state.dirty);
  } catch (e) {
    showMessage(errorText(e));
  } finally {
    state.rendering = false;
    delete document.body.dataset.rendering;
  }
}

/** Videos go to the video review (by type, or by name when the browser gives no type). */
function isVideo(file) {
  return /^video\//.test(file.type || '') || /\.(mp4|m4v|webm|mov|mkv)$/i.test(file.name || '');
}

async function loadCategories() {
  const k = await getEngine();
  if (!state.categories.length) state.categories = await k.categories();
}

async function openFile(file) {
  if (!file) return;
  showMessage('');
  if (isVideo(file)) {
    ui.editor.hidden = true;
    state.file = null;
    ui.open.classList.add('compact');
    ui.file.value = '';
    openVideo(file, { getEngine, showMessage, showStatus, colourOf, titleOf, loadCategories, order: () => state.categories.map((c) => c.id) })
      .catch((e) => showMessage(errorText(e)));
    return;
  }
  closeVideo();
  showStatus(t('reading'));
  try {
    const k = await getEngine();
    const { width, height, pixels } = await k.openImage(file);
    Object.assign(state, { name: (file.name || 'image').replace(/\.[^.]*$/, '') || 'image', file, width, height, pixels, ocr: null, pictures: null, documents: [], findings: [] });
    delete document.body.dataset.scanned;
    ui.marks.setAttribute('viewBox', `0 0 ${width} ${height}`);
    ui.original.width = width;
    ui.original.height = height;
    ui.original.getContext('2d').putImageData(pixels, 0, 0);
    state.scanSeconds = undefined;
    showFindings();
    ui.ocr.setAttribute('viewBox', `0 0 ${width} ${height}`);
    ui.ocr.replaceChildren();
    if (ui.showOcr.checked) showOcr();
    ui.canvas.width = width;
    ui.canvas.height = height;
    ui.canvas.getContext('2d').putImageData(pixels, 0, 0);
    ui.layer.style.aspectRatio = `${width} / ${height}`;
    ui.editor.hidden = false;
    ui.open.classList.add('compact');
    editor.reset(width, height);
    document.body.dataset.state = 'editing';
    scan();
  } catch (e) {
    showMessage(e instanceof KuronuriError || e?.code ? errorText(e) : t('err_generic', { detail: String(e) }));
  } finally {
    showStatus('');
    ui.file.value = '';
  }
}

async function save() {
  if (!regions().length) {
    showMessage(t('no_boxes'), 'info');
    return;
  }
  showMessage('');
  showStatus(t('saving'));
  ui.save.disabled = true;
  try {
    const k = await getEngine();
    const format = ui.format.value;
    const blob = await k.exportImage({ regions: regions(), style: state.style, format });
    const name = `${state.name}-kuronuri.${format === 'jpeg' ? 'jpg' : 'png'}`;
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    showMessage(t('saved', { name }), 'ok');
  } catch (e) {
    showMessage(errorText(e));
  } finally {
    ui.save.disabled = false;
    showStatus('');
  }
}

const SVG = 'http://www.w3.org/2000/svg';

function polygon(quad, cls) {
  const p = document.createElementNS(SVG, 'polygon');
  p.setAttribute('points', quad.map(([x, y]) => `${x},${y}`).join(' '));
  p.setAttribute('class', cls);
  return p;
}

/** Shows (or hides) the text read, once the scan has read it. */
function showOcr() {
  ui.ocr.toggleAttribute('hidden', !ui.showOcr.checked);
  if (ui.showOcr.checked && state.ocr) drawOcr();
}

/** Draws the lines and characters read over the image. */
function drawOcr() {
  const result = state.ocr;
  {
    const nodes = [];
    for (const line of result.lines) {
      const g = document.createElementNS(SVG, 'g');
      const title = document.createElementNS(SVG, 'title');
      title.textContent = `${line.text} (${Math.round(line.confidence * 100)}%)`;
      g.append(title, polygon(line.quad, 'line'), ...line.chars.map((c) => polygon(c.quad, 'char')));
      nodes.push(g);
    }
    ui.ocr.replaceChildren(...nodes);
    document.body.dataset.ocrLines = String(result.lines.length);
  }
}

/** Whether image point `p` lies in `quad` (or within `margin` pixels of it). */
function inQuad([x, y], quad, margin = 2) {
  const xs = quad.map((q) => q[0]);
  const ys = quad.map((q) => q[1]);
  if (x < Math.min(...xs) - margin || x > Math.max(...xs) + margin || y < Math.min(...ys) - margin || y > Math.max(...ys) + margin) return false;
  // Convex quad: the point is on the same side of every edge (or within the margin of it).
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const [ax, ay] = quad[i];
    const [bx, by] = quad[(i + 1) % 4];
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const d = ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / len;
    if (Math.abs(d) <= margin) continue;
    if (sign === 0) sign = Math.sign(d);
    else if (Math.sign(d) !== sign) return false;
  }
  return true;
}

const editor = new BoxEditor(ui.layer, {
  deleteLabel: () => t('delete_box'),
  // A click on a finding's outline turns it off (or back on).
  onClick(point) {
    const hit = state.findings.filter((f) => inQuad(point, f.quad));
    if (hit.length) setFindings(hit, !hit.every((f) => f.on));
  },
  onChange(boxes) {
    state.boxes = boxes.filter((b) => b.w > 0 && b.h > 0);
    ui.count.textContent = t('boxes', { n: state.boxes.length });
    render();
  },
});

// Opening: picker, drop anywhere on the page, paste anywhere.
ui.file.addEventListener('change', () => openFile(ui.file.files[0]));
ui.other.addEventListener('click', () => ui.file.click());
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (e) => {
  if (!e.relatedTarget) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  openFile(e.dataTransfer?.files?.[0]);
});
document.addEventListener('paste', (e) => {
  const item = [...(e.clipboardData?.items || [])].find((i) => i.kind === 'file');
  if (item) {
    e.preventDefault();
    openFile(item.getAsFile());
  }
});

for (const radio of document.querySelectorAll('input[name="style"]')) {
  radio.addEventListener('change', () => {
    state.style = radio.value;
    render();
  });
}
for (const radio of document.querySelectorAll('input[name="preset"]')) {
  radio.addEventListener('change', () => {
    state.preset = radio.value;
    if (state.ocr) scan();
  });
}
for (const radio of document.querySelectorAll('input[name="video-style"]')) {
  radio.addEventListener('change', () => setVideoStyle(radio.value));
}
ui.beforeAfter.addEventListener('change', () => {
  ui.original.hidden = !ui.beforeAfter.checked;
  document.body.classList.toggle('showing-original', ui.beforeAfter.checked);
});
ui.save.addEventListener('click', save);
ui.showOcr.addEventListener('change', showOcr);
ui.clear.addEventListener('click', () => editor.clear());

for (const [code, name] of Object.entries(LANGUAGES)) ui.lang.add(new Option(name, code));
ui.lang.value = language();
ui.lang.addEventListener('change', () => setLanguage(ui.lang.value));
document.addEventListener('kuronuri:language', () => {
  ui.count.textContent = t('boxes', { n: state.boxes.length });
  showFindings();
});
translatePage();

// Start the engine early so the first image opens quickly; the page works without waiting.
// The text-reading models load in the background (from Cache Storage after the first visit).
getEngine().then(
  (k) => {
    window.kuronuri = k;
    // For tests and the curious: the findings of the open image as the review screen holds them.
    window.kuronuriPage = { findings: () => state.findings.map((f) => ({ ...f })), video: videoState };
    document.body.dataset.ready = 'true';
    // Every model is loaded before anything is opened: no request is made after that.
    return Promise.all([k.loadOcr(), k.loadPictures()]).then(() => { document.body.dataset.ocrReady = 'true'; });
  },
  (e) => showMessage(t('err_engine', { detail: e?.message || String(e) })),
).catch((e) => showMessage(errorText(e)));
