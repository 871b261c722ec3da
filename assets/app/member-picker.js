// A member picker for communities of any size: a search box that asks the
// server (GET /api/v1/members?q=…, a page at a time) and a <select> of the
// matches. The member named by the page (e.g. ?member=) is always loaded,
// whatever its place in the list.
import { h, uid } from './dom.js';
import { get, enc } from './api.js';
import { field, button } from './widgets.js';

const PAGE = 25;
const label = (m) => `${m.name} (${m.organization_id})${m.status && m.status !== 'active' ? ` · ${m.status}` : ''}`;

// memberPicker({name: 'member_id', status: 'active', selected: '42', label: 'Member',
//               optional: false, onChange}) → element with .value, .ready (a promise), .select
export function memberPicker({ name = 'member_id', status, selected, label: text = 'Member',
  optional = false, hint, onChange } = {}) {
  // no name: the search words are not part of the form's data
  const search = h('input', { type: 'search', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Name, organisation id or URI' });
  const sel = h('select', { name });
  const more = button('More matches', () => load(true).catch(show), 'btn btn-small');
  more.hidden = true;
  const count = h('p', { class: 'hint', id: uid('picker-count'), 'aria-live': 'polite' });
  sel.setAttribute('aria-describedby', count.id);
  let cursor = null;
  let pinned = null; // the member named by the page, kept at the top
  let seq = 0;
  let started = false; // onChange only once the first load is done
  const known = new Map();

  function show(err) { count.textContent = err && err.message ? err.message : 'The members could not be loaded.'; }

  function option(m) { known.set(String(m.id), m); return h('option', { value: String(m.id) }, label(m)); }

  async function load(append) {
    const mine = ++seq;
    const q = search.value.trim();
    const page = await get('/api/v1/members', { q, status, limit: PAGE, cursor: append ? cursor : undefined });
    if (mine !== seq) return;
    const keep = sel.value;
    if (!append) {
      sel.replaceChildren();
      if (optional) sel.append(h('option', { value: '' }, '— none —'));
      if (pinned && (!q || label(pinned).toLowerCase().includes(q.toLowerCase()))) sel.append(option(pinned));
    }
    for (const m of page.items || []) {
      if (pinned && String(m.id) === String(pinned.id)) continue;
      sel.append(option(m));
    }
    cursor = page.next_cursor || null;
    more.hidden = !cursor;
    const n = [...sel.options].filter((o) => o.value).length;
    count.textContent = n === 0
      ? (q ? `No ${status || ''} member matches “${q}”.`.replace('  ', ' ') : `No ${status || ''} member yet.`.replace('  ', ' '))
      : `${n}${cursor ? '+' : ''} member${n === 1 ? '' : 's'}${q ? ` matching “${q}”` : ''}${cursor ? ': type to narrow, or load more.' : '.'}`;
    const values = [...sel.options].map((o) => o.value);
    if (values.includes(keep) && (keep || !q)) sel.value = keep;
    else if (q && values.some(Boolean)) sel.value = values.find(Boolean); // a search picks its first match
    if (started && sel.value !== keep && onChange) onChange(sel.value);
  }

  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(false).catch(show), 250);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); load(false).catch(show); }
  });
  sel.addEventListener('change', () => { if (onChange) onChange(sel.value); });

  const el = h('div', { class: 'member-picker' },
    field(`Find ${text.toLowerCase()}`, search, 'Search by name, organisation id or URI.'),
    h('div', { class: 'field' }, h('label', { for: sel.id || (sel.id = uid('f')) }, text), sel, count, more),
    hint ? h('p', { class: 'hint' }, hint) : null);
  el.select = sel;
  el.search = search;
  Object.defineProperty(el, 'value', { get: () => sel.value, set: (v) => { sel.value = v; } });
  el.member = () => known.get(sel.value) || null;
  el.reset = () => { search.value = ''; return load(false); };
  el.ready = (async () => {
    if (selected) {
      try { pinned = await get(`/api/v1/members/${enc(selected)}`); } catch (err) {
        if (err.status === 401) throw err;
        pinned = null;
      }
    }
    await load(false);
    if (pinned) sel.value = String(pinned.id);
    started = true;
  })();
  return el;
}
