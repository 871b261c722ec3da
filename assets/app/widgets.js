// Shared widgets: messages, buttons with progress, confirmations, form
// fields, tables that become cards on narrow screens, cursor pagination.
import { h, clear, uid } from './dom.js';
import { sentenceOf } from './problem-text.js';

// A message box; kind: info | success | warning | error.
export function notice(kind, text, ...more) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', { class: 'notice-text' }, text), ...more);
}

// A place for one action's outcome above a form or table.
export function messageArea() {
  const el = h('div', { class: 'messages', 'aria-live': 'polite' });
  el.show = (kind, text, ...more) => { clear(el).append(notice(kind, text, ...more)); };
  // an error already shown at its field (markField) is not repeated up here
  el.error = (err) => (err && err.atField ? el.reset() : el.show('error', errorText(err)));
  el.reset = () => clear(el);
  return el;
}

const sentence = (t) => { const x = String(t).trim(); return x ? x[0].toUpperCase() + x.slice(1) + (/[.!?)]$/.test(x) ? '' : '.') : ''; };

// The kind's sentence (problem-text.js), then the API's detail when it says more.
export function errorText(err) {
  if (!err) return 'Something went wrong.';
  if (err.unavailable) return 'This server does not offer that yet.';
  const detail = err.message || String(err);
  const s = sentenceOf(err);
  if (!s || s.toLowerCase() === sentence(detail).toLowerCase()) return s || detail;
  return `${s} ${sentence(detail)}`;
}

// What sits under a field: the detail names the field and the reason.
function fieldText(err) {
  return err.type === 'invalid-field' ? sentence(err.message) : errorText(err);
}

// Runs fn while the button shows progress; shows errors in msg.
export async function busy(button, fn, msg, label = 'Working…') {
  const old = button.textContent;
  button.disabled = true;
  button.classList.add('is-busy');
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await fn();
  } catch (err) {
    if (msg) msg.error(err); else throw err;
    return undefined;
  } finally {
    button.disabled = false;
    button.classList.remove('is-busy');
    button.removeAttribute('aria-busy');
    button.textContent = old;
  }
}

export function button(text, onClick, cls = 'btn') {
  return h('button', { type: 'button', class: cls, on: { click: onClick } }, text);
}

// A modal confirmation; resolves true when confirmed.
// Irreversible actions (danger) start with Cancel focused, so one Enter
// never does them; typeToConfirm: {label, value} keeps the button disabled
// until the value is typed (e.g. the member's name).
export function confirmDialog({ title, body, confirm = 'Confirm', danger = false, extra, typeToConfirm, focusCancel = danger }) {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'submit', class: danger ? 'btn btn-danger' : 'btn btn-primary', value: 'ok' }, confirm);
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    let typed = null;
    if (typeToConfirm) {
      typed = input('confirm_text', { autocomplete: 'off', spellcheck: 'false' });
      const check = () => { ok.disabled = typed.value.trim() !== typeToConfirm.value.trim(); };
      typed.addEventListener('input', check);
      check();
    }
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'dlg-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'dlg-title' }, title),
        typeof body === 'string' ? h('p', {}, body) : body,
        extra || null,
        typed ? field(typeToConfirm.label, typed) : null,
        h('div', { class: 'actions' }, cancel, ok)));
    let result = false;
    ok.addEventListener('click', () => { result = !ok.disabled; });
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
    (focusCancel ? cancel : ok).focus();
  });
}

// A labelled form field. input: an element; returns the wrapper.
export function field(label, input, hint) {
  if (!input.id) input.id = uid('f');
  const hintEl = hint ? h('p', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

export function input(name, attrs = {}) {
  return h('input', { name, type: 'text', ...attrs });
}

export function select(name, options, attrs = {}) {
  return h('select', { name, ...attrs },
    options.map((o) => (Array.isArray(o) ? h('option', { value: o[0] }, o[1]) : h('option', { value: o }, o))));
}

// A small button that copies text (a serial, a fingerprint) to the clipboard.
export function copyButton(text, what) {
  const b = button('Copy', async () => {
    try { await navigator.clipboard.writeText(text); b.textContent = 'Copied'; } catch { b.textContent = 'Copy failed'; }
    setTimeout(() => { b.textContent = 'Copy'; }, 2000);
  }, 'btn btn-small btn-quiet copy');
  b.setAttribute('aria-label', `Copy ${what}`);
  return b;
}

// Shows a secret once, with a copy button.
export function secretBox(label, value) {
  const code = h('code', { class: 'secret-value' }, value);
  const copy = button('Copy', async () => {
    try { await navigator.clipboard.writeText(value); copy.textContent = 'Copied'; } catch {
      const r = document.createRange(); r.selectNodeContents(code);
      const s = getSelection(); s.removeAllRanges(); s.addRange(r);
    }
  }, 'btn btn-small');
  return h('div', { class: 'secret', role: 'status' },
    h('p', { class: 'secret-label' }, label),
    h('div', { class: 'secret-row' }, code, copy),
    h('p', { class: 'hint' }, 'It is shown only this once: copy it now.'));
}

const STATUS_KIND = {
  active: 'ok', valid: 'ok', approved: 'ok', accepted: 'ok', intact: 'ok',
  pending: 'warn', on_hold: 'warn', suspended: 'warn', expiring: 'warn',
  revoked: 'bad', terminated: 'bad', expired: 'muted', disabled: 'muted',
};
export function badge(status, text) {
  const kind = STATUS_KIND[status] || 'muted';
  const label = text || String(status || '').replace('_', ' ');
  return h('span', { class: `badge badge-${kind}` }, label.charAt(0).toUpperCase() + label.slice(1));
}

// columns: [{label, cell: (row) => Node|string, cls?}]; rows: array.
export function table(columns, rows, empty = 'Nothing here yet.') {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.cls }, c.label)))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      columns.map((c) => h('td', { 'data-label': c.label, class: c.cls }, c.cell(r)))))));
}

// Cursor pagination: load(cursor) → {items, next_cursor}; render(items) → Node.
export function paged(load, render) {
  const box = h('div', { class: 'paged' });
  const stack = [];
  let current = '';
  async function show(cursor) {
    box.setAttribute('aria-busy', 'true');
    let page;
    try {
      page = await load(cursor);
    } catch (err) {
      clear(box).append(notice('error', errorText(err)));
      box.removeAttribute('aria-busy');
      throw err;
    }
    current = cursor;
    const prev = button('← Previous', () => show(stack.pop()), 'btn btn-small');
    prev.disabled = !stack.length;
    const next = button('Next →', () => { stack.push(current); show(page.next_cursor); }, 'btn btn-small');
    next.disabled = !page.next_cursor;
    clear(box).append(render(page.items || []));
    if (stack.length || page.next_cursor) box.append(h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, next));
    box.removeAttribute('aria-busy');
  }
  box.reload = () => show(current);
  box.restart = () => { stack.length = 0; return show(''); };
  return box;
}

export function pageHeader(title, sub, ...actions) {
  return h('header', { class: 'page-header' },
    h('div', {}, h('h1', {}, title), sub ? h('p', { class: 'sub' }, sub) : null),
    actions.length ? h('div', { class: 'actions' }, ...actions) : null);
}

// A definition list from [[term, value], ...]
export function details(pairs) {
  return h('dl', { class: 'details' }, pairs.filter(Boolean).map(([k, v]) =>
    [h('dt', {}, k), h('dd', {}, v === undefined || v === null || v === '' ? '—' : v)]));
}

export function card(title, ...body) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...body);
}

// A link inside the app (hash routes).
export const link = (href, text, cls) => h('a', { href: `#${href}`, class: cls }, text);

// Serialises a form's named fields to an object (empty strings dropped).
export function formData(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) if (v !== '') out[k] = v;
  return out;
}

// Marks the input an error is about (err.field: the API problem's field, or a
// client-side check's) with aria-invalid and the message right under it,
// scrolled to the middle of the view (never under the sticky header); clears
// earlier marks. Returns true when the error is shown at a field.
export function markField(form, err) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error[data-for]')) {
    const owner = form.querySelector(`[aria-describedby~="${el.id}"]`);
    if (owner) owner.setAttribute('aria-describedby', owner.getAttribute('aria-describedby').split(' ').filter((x) => x !== el.id).join(' '));
    el.remove();
  }
  if (!err || !err.field) return false;
  let el = form.elements.namedItem(err.field);
  if (el && !el.setAttribute && el.length) el = el[0].closest('fieldset') || el[0];
  if (!el || !el.setAttribute || el.closest('[hidden]')) return false;
  el.setAttribute('aria-invalid', 'true');
  const msg = h('p', { class: 'field-error', id: uid('err'), 'data-for': err.field, role: 'alert' }, fieldText(err));
  el.setAttribute('aria-describedby', [el.getAttribute('aria-describedby'), msg.id].filter(Boolean).join(' '));
  el.after(msg);
  el.scrollIntoView({ block: 'center' });
  if (el.focus) el.focus({ preventScroll: true });
  err.atField = true;
  return true;
}

// A client-side check failed: an error for markField (and msg.error).
export function fieldError(name, text) {
  const err = new Error(text);
  err.field = name;
  err.type = 'invalid-field';
  return err;
}
