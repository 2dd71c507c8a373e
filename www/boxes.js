// The box editor: draw, select, move, resize and delete rectangles over the image with a mouse,
// a pen or a finger (pointer events). Boxes are kept in image pixels and drawn as percentages
// of the layer, so they follow the image whatever size it is shown at.

const MIN_SIZE = 3; // image pixels; smaller new boxes are a click, not a box
const HANDLES = ['nw', 'ne', 'sw', 'se'];

export class BoxEditor {
  /**
   * @param {HTMLElement} layer an element laid exactly over the image
   * @param {{onChange: (boxes) => void, deleteLabel: () => string, onClick?: (point) => void}} options
   *   `onClick([x, y])`: a click (no drag) on the image outside every box, in image pixels.
   */
  constructor(layer, { onChange, deleteLabel, onClick }) {
    this.layer = layer;
    this.onChange = onChange;
    this.onClick = onClick;
    this.deleteLabel = deleteLabel;
    this.boxes = [];
    this.selected = null;
    this.width = 1;
    this.height = 1;
    this.drag = null;
    this.nextId = 1;
    layer.addEventListener('pointerdown', (e) => this.#down(e));
    layer.addEventListener('pointermove', (e) => this.#move(e));
    layer.addEventListener('pointerup', (e) => this.#up(e));
    layer.addEventListener('pointercancel', (e) => this.#up(e));
    layer.addEventListener('keydown', (e) => this.#key(e));
  }

  /** Starts over for an image of `width × height` pixels. */
  reset(width, height) {
    this.width = width;
    this.height = height;
    this.boxes = [];
    this.selected = null;
    this.#draw();
    this.onChange(this.boxes);
  }

  /** Removes every box. */
  clear() {
    this.boxes = [];
    this.selected = null;
    this.#draw();
    this.onChange(this.boxes);
  }

  remove(id) {
    this.boxes = this.boxes.filter((b) => b.id !== id);
    if (this.selected === id) this.selected = null;
    this.#draw();
    this.onChange(this.boxes);
  }

  /** The point of a pointer event in image pixels, clamped to the image. */
  #point(e) {
    const r = this.layer.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * this.width;
    const y = ((e.clientY - r.top) / r.height) * this.height;
    return [Math.min(Math.max(x, 0), this.width), Math.min(Math.max(y, 0), this.height)];
  }

  #down(e) {
    if (e.button !== undefined && e.button !== 0) return;
    if (e.target.closest('.box-delete')) return;
    e.preventDefault();
    this.layer.focus({ preventScroll: true });
    const [x, y] = this.#point(e);
    const handle = e.target.dataset.handle;
    const boxEl = e.target.closest('.box');
    if (boxEl) {
      const box = this.boxes.find((b) => b.id === Number(boxEl.dataset.id));
      this.selected = box.id;
      this.drag = { mode: handle ? 'resize' : 'move', handle, box, start: [x, y], orig: { ...box } };
    } else {
      const box = { id: this.nextId++, x, y, w: 0, h: 0 };
      this.boxes.push(box);
      this.selected = box.id;
      this.drag = { mode: 'create', box, start: [x, y], orig: { ...box } };
    }
    try {
      this.layer.setPointerCapture(e.pointerId);
    } catch {
      // Some synthetic or already-ended pointers cannot be captured; dragging still works.
    }
    this.#draw();
  }

  #move(e) {
    if (!this.drag) return;
    e.preventDefault();
    const [x, y] = this.#point(e);
    const { mode, box, start, orig, handle } = this.drag;
    const [dx, dy] = [x - start[0], y - start[1]];
    if (mode === 'move') {
      box.x = Math.min(Math.max(orig.x + dx, 0), this.width - orig.w);
      box.y = Math.min(Math.max(orig.y + dy, 0), this.height - orig.h);
    } else {
      // Create and resize both move one corner against the opposite, fixed one.
      let [x0, y0, x1, y1] = [orig.x, orig.y, orig.x + orig.w, orig.y + orig.h];
      if (mode === 'create') [x1, y1] = [x, y];
      else {
        if (handle.includes('w')) x0 = orig.x + dx;
        if (handle.includes('e')) x1 = orig.x + orig.w + dx;
        if (handle.includes('n')) y0 = orig.y + dy;
        if (handle.includes('s')) y1 = orig.y + orig.h + dy;
      }
      const clampX = (v) => Math.min(Math.max(v, 0), this.width);
      const clampY = (v) => Math.min(Math.max(v, 0), this.height);
      [x0, x1, y0, y1] = [clampX(x0), clampX(x1), clampY(y0), clampY(y1)];
      Object.assign(box, { x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0) });
    }
    this.#draw();
    this.onChange(this.boxes);
  }

  #up(e) {
    if (!this.drag) return;
    const { box, mode, start } = this.drag;
    this.drag = null;
    if (this.layer.hasPointerCapture?.(e.pointerId)) this.layer.releasePointerCapture(e.pointerId);
    const tiny = box.w < MIN_SIZE || box.h < MIN_SIZE;
    if (tiny) {
      // A click on empty space (or a box resized to nothing): no box.
      this.boxes = this.boxes.filter((b) => b !== box);
      if (this.selected === box.id) this.selected = null;
    }
    this.#draw();
    this.onChange(this.boxes);
    if (tiny && mode === 'create') this.onClick?.(start);
  }

  #key(e) {
    if ((e.key === 'Delete' || e.key === 'Backspace') && this.selected !== null) {
      e.preventDefault();
      this.remove(this.selected);
    } else if (e.key === 'Escape') {
      this.selected = null;
      this.#draw();
    }
  }

  #draw() {
    const pct = (v, of) => `${(v / of) * 100}%`;
    const seen = new Set();
    for (const box of this.boxes) {
      seen.add(String(box.id));
      let el = this.layer.querySelector(`.box[data-id="${box.id}"]`);
      if (!el) {
        el = document.createElement('div');
        el.className = 'box';
        el.dataset.id = box.id;
        for (const h of HANDLES) {
          const handle = document.createElement('div');
          handle.className = `handle handle-${h}`;
          handle.dataset.handle = h;
          el.append(handle);
        }
        const del = document.createElement('button');
        del.type = 'button';
        del.className = 'box-delete';
        del.textContent = '×';
        del.addEventListener('click', () => this.remove(box.id));
        el.append(del);
        this.layer.append(el);
      }
      el.querySelector('.box-delete').setAttribute('aria-label', this.deleteLabel());
      el.classList.toggle('selected', box.id === this.selected);
      Object.assign(el.style, {
        left: pct(box.x, this.width),
        top: pct(box.y, this.height),
        width: pct(box.w, this.width),
        height: pct(box.h, this.height),
      });
    }
    for (const el of this.layer.querySelectorAll('.box')) if (!seen.has(el.dataset.id)) el.remove();
  }
}
