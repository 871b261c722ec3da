// Lists that keep their state in the URL (#/certificates?status=valid&sort=-created&page=…):
// filters, sort and page survive a reload, and Back returns to where one was.
// `page` is the chain of keyset cursors that led to the page shown, so
// Previous is a link too. Also: sortable column headers, totals, CSV.
import { h } from './dom.js';
import { qs } from './api.js';
import { notice, errorText } from './widgets.js';

// The hash path of the page shown: '/certificates'.
export const herePath = () => (location.hash.replace(/^#/, '') || '/').split('?')[0];

// '#/path?…' with the query changed; empty values are dropped.
export function hrefWith(query, changes = {}) {
  return `#${herePath()}${qs({ ...query, ...changes })}`;
}

// Goes to this page with a new query (a new history entry, so Back undoes it).
export function goQuery(ctx, query) {
  ctx.go(`${herePath()}${qs(query)}`);
}

export const cursorChain = (query) => (query.page ? String(query.page).split(',').filter(Boolean) : []);

// A table whose sortable columns are links: columns [{label, cell, sort?, cls?}];
// sort: the query's sort value ('name' or '-name'); query: the page's URL state.
export function sortableTable(columns, rows, { query = {}, empty = 'Nothing here yet.', defaultSort = '' } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  const sort = query.sort || defaultSort;
  const key = sort.replace(/^-/, '');
  const desc = sort.startsWith('-');
  const head = (c) => {
    if (!c.sort) return h('th', { scope: 'col', class: c.cls }, c.label);
    const on = key === c.sort;
    const next = on && !desc ? `-${c.sort}` : c.sort;
    return h('th', { scope: 'col', class: c.cls, 'aria-sort': on ? (desc ? 'descending' : 'ascending') : 'none' },
      h('a', { href: hrefWith(query, { sort: next, page: '' }), class: 'sort' }, c.label,
        h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, on ? (desc ? ' ↓' : ' ↑') : ' ↕')));
  };
  return h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, columns.map(head))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      columns.map((c) => h('td', { 'data-label': c.label, class: c.cls }, c.cell(r)))))));
}

// One page of a list from the URL's cursor chain, with Previous / Next links
// and "1–25 of 312". load(cursor) → {items, next_cursor, total?}.
export async function urlPage(query, load, render, { limit, noun = 'items' } = {}) {
  const chain = cursorChain(query);
  const box = h('div', { class: 'paged' });
  let data;
  try {
    data = await load(chain[chain.length - 1] || '');
  } catch (err) {
    box.append(notice('error', errorText(err)));
    box.error = err;
    return box;
  }
  const items = data.items || [];
  const from = chain.length * limit + 1;
  const count = h('p', { class: 'list-count', role: 'status' });
  if (items.length) count.append(`${from}–${from + items.length - 1}`);
  if (typeof data.total === 'number') count.append(items.length ? ` of ${data.total}${data.total_exact === false ? '+' : ''} ${noun}` : `0 ${noun}`);
  else if (items.length) count.append(` ${noun}`);
  box.append(count, render(items));
  if (chain.length || data.next_cursor) {
    const prev = chain.length
      ? h('a', { class: 'btn btn-small', rel: 'prev', href: hrefWith(query, { page: chain.slice(0, -1).join(',') }) }, '← Previous')
      : h('span', { class: 'btn btn-small', 'aria-disabled': 'true' }, '← Previous');
    const next = data.next_cursor
      ? h('a', { class: 'btn btn-small', rel: 'next', href: hrefWith(query, { page: [...chain, data.next_cursor].join(',') }) }, 'Next →')
      : h('span', { class: 'btn btn-small', 'aria-disabled': 'true' }, 'Next →');
    box.append(h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, h('span', { class: 'page-no' }, `Page ${chain.length + 1}`), next));
  }
  box.data = data;
  return box;
}

// Every item of the filtered range, page by page (at most `cap`).
export async function fetchAll(load, cap = 20000) {
  const out = [];
  let cursor = '';
  for (;;) {
    const page = await load(cursor);
    out.push(...(page.items || []));
    if (!page.next_cursor || out.length >= cap) return { items: out.slice(0, cap), truncated: !!page.next_cursor };
    cursor = page.next_cursor;
  }
}

// RFC 4180 CSV (CRLF, quotes doubled). A cell that a spreadsheet would run
// as a formula (= + @ tab CR first) is prefixed with ' so it stays text.
export function toCsv(columns, rows) {
  const cell = (v) => {
    let s = v === undefined || v === null ? '' : String(v);
    if (/^[=+@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.map((c) => cell(c.label)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => cell(c.value(r))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

// A button that runs an export and reports what it did in `msg`.
export function exportButton(label, run, msg) {
  const b = h('button', { type: 'button', class: 'btn btn-small' }, label);
  b.addEventListener('click', async () => {
    const old = b.textContent;
    b.disabled = true;
    b.textContent = 'Exporting…';
    try {
      const note = await run();
      if (note) msg.show('warning', note);
    } catch (err) {
      msg.error(err);
    } finally {
      b.disabled = false;
      b.textContent = old;
    }
  });
  return b;
}

