// Certificates: server-side search and filters, paginated.
import { h } from './dom.js';
import { get } from './api.js';
import { field, input, select, pageHeader, card, paged, link } from './widgets.js';
import { certsTable } from './cert-format.js';

export default async function certificates(ctx) {
  ctx.title('Certificates');
  let filters = { q: '', status: '', expiring_within_days: '', ...ctx.query };
  const q = input('q', { type: 'search', value: filters.q, placeholder: 'Serial, subject, URI or member' });
  const status = select('status', [['', 'Any status'], 'valid', 'on_hold', 'revoked', 'expired']);
  status.value = filters.status;
  const expiring = select('expiring_within_days', [['', 'Any expiry'], ['7', 'Within 7 days'], ['30', 'Within 30 days'], ['90', 'Within 90 days']]);
  expiring.value = filters.expiring_within_days;
  const search = h('form', { class: 'form filters', role: 'search' },
    field('Search', q), field('Status', status), field('Expiring', expiring),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Search')));
  const list = paged((cursor) => get('/api/v1/certificates', { ...filters, limit: 25, cursor }), (items) => certsTable(items, { member: ctx.me.role !== 'member' }));
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    filters = { ...filters, q: q.value.trim(), status: status.value, expiring_within_days: expiring.value };
    list.restart().catch(() => {});
  });
  for (const s of [status, expiring]) s.addEventListener('change', () => search.requestSubmit());
  await list.restart().catch((err) => { if (err.status === 401 || err.unavailable) throw err; });
  const canIssue = ['admin', 'operator'].includes(ctx.me.role);
  return h('div', {},
    pageHeader('Certificates', 'Member certificates issued by the community CA.',
      canIssue ? link('/issue', 'Issue a certificate', 'btn btn-primary') : null),
    card(null, search, list));
}
