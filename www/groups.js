// The review lists' shape, shared by images (findings) and videos (tracks): items grouped by
// tier, then by category in the core's order, each category with a check box that turns all
// of its items off or on, and a row per item built by the caller.

import { t } from './i18n.js';

/**
 * @param items [{category, tier, …}]
 * @param options {order: [category id…], isOn(item), setOn(items, on), colourOf(category),
 *   titleOf(category), row(item) → element}
 * @returns the elements of the list
 */
export function groupedList(items, { order, isOn, setOn, colourOf, titleOf, row }) {
  const nodes = [];
  const rank = (c) => {
    const i = order.indexOf(c);
    return i < 0 ? order.length : i;
  };
  for (const tier of ['must', 'may']) {
    const inTier = items.filter((x) => x.tier === tier);
    if (!inTier.length) continue;
    const h = document.createElement('h3');
    h.textContent = t(`tier_${tier}`);
    nodes.push(h);
    const categories = [...new Set(inTier.map((x) => x.category))].sort((a, b) => rank(a) - rank(b));
    for (const category of categories) {
      const members = inTier.filter((x) => x.category === category);
      const group = document.createElement('div');
      group.className = 'group';
      const head = document.createElement('label');
      const all = document.createElement('input');
      all.type = 'checkbox';
      all.checked = members.every(isOn);
      all.indeterminate = !all.checked && members.some(isOn);
      all.dataset.category = category;
      all.addEventListener('change', () => setOn(members, all.checked));
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colourOf(category);
      head.append(all, swatch, `${titleOf(category)} (${t('findings_count', { n: members.length })})`);
      group.append(head, ...members.map(row));
      nodes.push(group);
    }
  }
  return nodes;
}

/** A row's check box, text and reason (the parts both lists have). */
export function itemRow({ className, on, onChange, text, picture, reason }) {
  const row = document.createElement('label');
  row.className = className;
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = on;
  box.addEventListener('change', () => onChange(box.checked));
  const span = document.createElement('span');
  span.className = 'text';
  // A finding without text (a face, a QR code, a seal) shows its own pixels instead, so the
  // person can tell which one the row is.
  if (picture) span.append(picture);
  else span.textContent = text;
  const why = document.createElement('span');
  why.className = 'reason';
  why.textContent = reason;
  row.append(box, span, why);
  return row;
}
