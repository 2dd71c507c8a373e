// The page: open an image (file picker, drag and drop, paste), mark areas, see them masked live,
// save. All pixel work happens in the worker behind `Kuronuri`; this file only handles the UI.

import { Kuronuri, KuronuriError } from './kuronuri.js';
import { BoxEditor } from './boxes.js';
import { LANGUAGES, errorText, language, setLanguage, t, translatePage } from './i18n.js';

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
};

const state = { name: 'image', file: null, width: 0, height: 0, style: 'fill', boxes: [], rendering: false, dirty: false, ocr: null };
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
    engine = Kuronuri.load().finally(() => showStatus(''));
  }
  return engine;
}

function regions() {
  return state.boxes.map(({ x, y, w, h }) => ({ box: [x, y, w, h] }));
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

async function openFile(file) {
  if (!file) return;
  showMessage('');
  showStatus(t('reading'));
  try {
    const k = await getEngine();
    const { width, height, pixels } = await k.openImage(file);
    Object.assign(state, { name: (file.name || 'image').replace(/\.[^.]*$/, '') || 'image', file, width, height, ocr: null });
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
  } catch (e) {
    showMessage(e instanceof KuronuriError || e?.code ? errorText(e) : t('err_generic', { detail: String(e) }));
  } finally {
    showStatus('');
    ui.file.value = '';
  }
}

async function save() {
  if (!state.boxes.length) {
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

/** Reads the open image's text (once) and draws its lines and characters over it. */
async function showOcr() {
  ui.ocr.toggleAttribute('hidden', !ui.showOcr.checked);
  if (!ui.showOcr.checked || !state.file || state.ocr) return;
  const file = state.file;
  try {
    const k = await getEngine();
    showStatus(t('ocr_loading'));
    const result = await k.ocrImage(file, { onProgress: (done, total) => showStatus(t('ocr_reading', { done, total })) });
    if (state.file !== file) return;
    state.ocr = result;
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
    showMessage(t('ocr_done', { n: result.lines.length, s: (result.timings.total_ms / 1000).toFixed(1) }), 'info');
  } catch (e) {
    showMessage(errorText(e));
  } finally {
    showStatus('');
  }
}

const editor = new BoxEditor(ui.layer, {
  deleteLabel: () => t('delete_box'),
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
ui.save.addEventListener('click', save);
ui.showOcr.addEventListener('change', showOcr);
ui.clear.addEventListener('click', () => editor.clear());

for (const [code, name] of Object.entries(LANGUAGES)) ui.lang.add(new Option(name, code));
ui.lang.value = language();
ui.lang.addEventListener('change', () => setLanguage(ui.lang.value));
document.addEventListener('kuronuri:language', () => {
  ui.count.textContent = t('boxes', { n: state.boxes.length });
});
translatePage();

// Start the engine early so the first image opens quickly; the page works without waiting.
// The text-reading models load in the background (from Cache Storage after the first visit).
getEngine().then(
  (k) => {
    window.kuronuri = k;
    document.body.dataset.ready = 'true';
    return k.loadOcr().then(() => { document.body.dataset.ocrReady = 'true'; });
  },
  (e) => showMessage(t('err_engine', { detail: e?.message || String(e) })),
).catch((e) => showMessage(errorText(e)));
