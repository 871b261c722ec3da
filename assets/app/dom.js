// DOM building without innerHTML: every value from the server goes in as text.

// h('button', {class: 'btn', on: {click: fn}}, 'Save') → <button class="btn">Save</button>
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let ids = 0;
export const uid = (p = 'f') => `${p}-${++ids}`;

// "2026-11-28 22:46 UTC" from an RFC 3339 string; '—' when empty.
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 10);
}

// "in 3 days", "5 hours ago"
export function relTime(iso, now = Date.now()) {
  if (!iso) return '';
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  const units = [['day', 864e5], ['hour', 36e5], ['minute', 6e4]];
  for (const [name, size] of units) {
    if (abs >= size) {
      const n = Math.round(abs / size);
      const s = `${n} ${name}${n === 1 ? '' : 's'}`;
      return ms >= 0 ? `in ${s}` : `${s} ago`;
    }
  }
  return ms >= 0 ? 'in under a minute' : 'just now';
}

// Colon-separated upper-case hex pairs, for fingerprints.
export const hexPairs = (hex) => (hex || '').toUpperCase().match(/.{1,2}/g)?.join(':') || '—';

// "CN=Issuing CA, O=Example" from OpenSSL's one-line "/O=Example/CN=Issuing CA".
export function fmtDN(dn) {
  if (!dn || dn[0] !== '/') return dn || '—';
  return dn.slice(1).split('/').reverse().join(', ');
}
