// The audit log: what happened, by whom, to what (by name, linked), with the
// event's details; filters and page in the URL; the filtered range exported
// as CSV or JSON; the hash-chain check with its head to keep elsewhere.
import { h } from './dom.js';
import { get } from './api.js';
import { field, input, pageHeader, card, table, badge, notice, busy, messageArea, formData, button } from './widgets.js';
import { auditObject, auditDetails, eventTime, objectText, fmtSeconds } from './audit-format.js';
import { urlPage, goQuery, fetchAll, toCsv, exportButton } from './listing.js';
import { saveFile } from './download.js';

export function verifyResult(v) {
  if (v.intact) {
    return notice('success', `Hash chain intact: ${v.checked} event${v.checked === 1 ? '' : 's'} checked` +
      (v.unsealed ? `, ${v.unsealed} not yet sealed.` : '.'));
  }
  const b = v.first_broken || {};
  return notice('error', `Hash chain BROKEN at event ${b.event_id || '?'} (sequence ${b.chain_seq ?? '?'}): ${b.reason || 'mismatch'}.` +
    ` ${v.checked} events checked.`);
}

// The head of a verified chain, to be written down or kept elsewhere: a later
// rewrite of the log cannot reproduce this hash at this position.
export function chainHead(v) {
  if (!v.head) return v.verified_at ? h('p', { class: 'chain-head muted' }, `Verified ${fmtSeconds(v.verified_at)}; no sealed event yet.`) : null;
  const code = h('code', { class: 'hash wrap' }, v.head.hash);
  const copy = button('Copy', async () => {
    try { await navigator.clipboard.writeText(v.head.hash); copy.textContent = 'Copied'; } catch {
      const r = document.createRange(); r.selectNodeContents(code);
      const s = getSelection(); s.removeAllRanges(); s.addRange(r);
    }
  }, 'btn btn-small');
  return h('div', { class: 'chain-head' },
    h('p', {}, `Head at chain position ${v.head.chain_seq} (event ${v.head.event_id}, ${fmtSeconds(v.head.at)}):`),
    h('div', { class: 'secret-row' }, code, copy),
    h('p', { class: 'hint' }, `Verified ${fmtSeconds(v.verified_at)}. Keep this hash and position elsewhere: `,
      'if the log is ever rewritten, the event at this position will no longer have this hash.'));
}

export function eventsTable(items) {
  return table([
    { label: 'Time', cls: 'nowrap', cell: (e) => eventTime(e.at) },
    { label: 'Actor', cell: (e) => e.actor || '—' },
    { label: 'Action', cell: (e) => h('code', {}, e.action) },
    { label: 'Object', cell: auditObject },
    { label: 'Details', cell: auditDetails },
    { label: 'From', cell: (e) => e.source_ip || '—' },
    { label: 'Sealed', cell: (e) => (e.sealed ? badge('approved', 'sealed') : badge('pending', 'pending')) },
  ], items, 'No events match.');
}

const FILTERS = ['action', 'actor', 'object_type', 'object_id', 'since', 'until'];
const LIMIT = 50;

// The URL's dates as the API's instants: a whole day, UTC.
function apiQuery(q) {
  const out = {};
  for (const k of FILTERS) if (q[k]) out[k] = q[k];
  if (/^\d{4}-\d\d-\d\d$/.test(out.since || '')) out.since = `${out.since}T00:00:00Z`;
  if (/^\d{4}-\d\d-\d\d$/.test(out.until || '')) {
    const d = new Date(`${out.until}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    out.until = d.toISOString().replace('.000', '');
  }
  return out;
}

const CSV_COLUMNS = [
  { label: 'id', value: (e) => e.id }, { label: 'at', value: (e) => e.at },
  { label: 'actor', value: (e) => e.actor }, { label: 'source_ip', value: (e) => e.source_ip },
  { label: 'action', value: (e) => e.action }, { label: 'object_type', value: (e) => e.object_type },
  { label: 'object_id', value: (e) => e.object_id }, { label: 'object', value: objectText },
  { label: 'details', value: (e) => JSON.stringify(e.details || {}) }, { label: 'sealed', value: (e) => (e.sealed ? 'yes' : 'no') },
];

export default async function audit(ctx) {
  ctx.title('Audit log');
  const msg = messageArea();
  const verifyBox = h('div', { class: 'verify', 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Checking the hash chain…'));
  async function verify() {
    try {
      const v = await get('/api/v1/audit/verify');
      verifyBox.replaceChildren(verifyResult(v), chainHead(v) || '');
    } catch (err) {
      verifyBox.replaceChildren(notice('error', `Could not check the chain: ${err.message}`));
    }
  }
  const recheck = h('button', { type: 'button', class: 'btn btn-small' }, 'Check again');
  recheck.addEventListener('click', () => busy(recheck, verify, msg, 'Checking…'));

  const f = ctx.query;
  const form = h('form', { class: 'form filters', role: 'search' },
    field('Action', input('action', { value: f.action || '', placeholder: 'e.g. user or token.create' })),
    field('Actor', input('actor', { value: f.actor || '' })),
    field('Object type', input('object_type', { value: f.object_type || '', placeholder: 'member, certificate, user…' })),
    field('Object id', input('object_id', { value: f.object_id || '' })),
    field('Since', input('since', { type: 'date', value: (f.since || '').slice(0, 10) })),
    field('Until', input('until', { type: 'date', value: (f.until || '').slice(0, 10) }), 'Whole days, UTC.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Filter'),
      h('button', { type: 'reset', class: 'btn' }, 'Clear')));
  form.addEventListener('submit', (e) => { e.preventDefault(); goQuery(ctx, formData(form)); });
  form.addEventListener('reset', (e) => { e.preventDefault(); goQuery(ctx, {}); });

  const filters = apiQuery(f);
  const load = (cursor, limit = LIMIT) => get('/api/v1/audit', { ...filters, limit, cursor });
  const stamp = () => new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const exportAll = async (kind) => {
    const { items, truncated } = await fetchAll((c) => load(c, 200));
    const name = `audit-${stamp()}${Object.keys(filters).length ? '-filtered' : ''}.${kind}`;
    if (kind === 'csv') saveFile(name, toCsv(CSV_COLUMNS, items), 'text/csv');
    else saveFile(name, `${JSON.stringify(items, null, 1)}\n`, 'application/json');
    return truncated ? `Exported the newest ${items.length} events only: narrow the range (Since / Until) for the rest.` : null;
  };
  const exports = h('div', { class: 'actions' },
    exportButton('Export CSV', () => exportAll('csv'), msg), exportButton('Export JSON', () => exportAll('json'), msg));

  const [, list] = await Promise.all([verify(), urlPage(ctx.query, load, eventsTable, { limit: LIMIT, noun: 'events' })]);
  if (list.error && list.error.status === 401) throw list.error;
  return h('div', {},
    pageHeader('Audit log', 'Every change of state, linked into a tamper-evident hash chain.'),
    msg,
    card('Chain verification', verifyBox, h('div', { class: 'actions' }, recheck)),
    card('Events', form, exports, list));
}
