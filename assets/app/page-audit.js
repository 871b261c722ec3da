// The audit log: filterable events, newest first, and the hash-chain check.
import { h, fmtTime } from './dom.js';
import { get } from './api.js';
import { field, input, pageHeader, card, table, paged, badge, notice, busy, messageArea, formData } from './widgets.js';
import { auditObject } from './audit-format.js';

export function verifyResult(v) {
  if (v.intact) {
    return notice('success', `Hash chain intact: ${v.checked} event${v.checked === 1 ? '' : 's'} checked` +
      (v.unsealed ? `, ${v.unsealed} not yet sealed.` : '.'));
  }
  const b = v.first_broken || {};
  return notice('error', `Hash chain BROKEN at event ${b.event_id || '?'} (sequence ${b.chain_seq ?? '?'}): ${b.reason || 'mismatch'}.` +
    ` ${v.checked} events checked.`);
}

export function eventsTable(items) {
  return table([
    { label: 'Time', cls: 'nowrap', cell: (e) => h('time', { datetime: e.at }, fmtTime(e.at)) },
    { label: 'Actor', cell: (e) => e.actor || '—' },
    { label: 'Action', cell: (e) => h('code', {}, e.action) },
    { label: 'Object', cell: auditObject },
    { label: 'From', cell: (e) => e.source_ip || '—' },
    { label: 'Sealed', cell: (e) => (e.sealed ? badge('approved', 'sealed') : badge('pending', 'pending')) },
  ], items, 'No events match.');
}

export default async function audit(ctx) {
  ctx.title('Audit log');
  const msg = messageArea();
  const verifyBox = h('div', { class: 'verify', 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Checking the hash chain…'));
  async function verify() {
    try {
      verifyBox.replaceChildren(verifyResult(await get('/api/v1/audit/verify')));
    } catch (err) {
      verifyBox.replaceChildren(notice('error', `Could not check the chain: ${err.message}`));
    }
  }
  const recheck = h('button', { type: 'button', class: 'btn btn-small' }, 'Check again');
  recheck.addEventListener('click', () => busy(recheck, verify, msg, 'Checking…'));

  let filters = { ...ctx.query };
  const form = h('form', { class: 'form filters', role: 'search' },
    field('Action', input('action', { value: filters.action || '', placeholder: 'e.g. user or token.create' })),
    field('Actor', input('actor', { value: filters.actor || '' })),
    field('Object type', input('object_type', { value: filters.object_type || '' })),
    field('Object id', input('object_id', { value: filters.object_id || '' })),
    field('Since', input('since', { type: 'date', value: (filters.since || '').slice(0, 10) })),
    field('Until', input('until', { type: 'date', value: (filters.until || '').slice(0, 10) })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Filter'),
      h('button', { type: 'reset', class: 'btn' }, 'Clear')));
  const toQuery = (f) => {
    const q = { ...f };
    if (q.since) q.since = `${q.since}T00:00:00Z`;
    if (q.until) q.until = `${q.until}T23:59:59Z`;
    return q;
  };
  const list = paged((cursor) => get('/api/v1/audit', { ...toQuery(filters), limit: 50, cursor }), eventsTable);
  form.addEventListener('submit', (e) => { e.preventDefault(); filters = formData(form); list.restart().catch(() => {}); });
  form.addEventListener('reset', () => { filters = {}; setTimeout(() => list.restart().catch(() => {}), 0); });

  await Promise.all([verify(), list.restart().catch((err) => { if (err.status === 401) throw err; })]);
  return h('div', {},
    pageHeader('Audit log', 'Every change of state, linked into a tamper-evident hash chain.'),
    msg,
    card('Chain verification', verifyBox, h('div', { class: 'actions' }, recheck)),
    card('Events', form, list));
}
