// Certificates: server-side search, filters and sort, all in the URL with
// the page (a reload or Back returns to the same place), the total, and a
// CSV export of the whole filtered range.
import { h, fmtDate } from './dom.js';
import { get, enc } from './api.js';
import { field, input, select, pageHeader, card, link, messageArea } from './widgets.js';
import { certStatus, subjectCN, urisCell, memberName } from './cert-format.js';
import { sortableTable, urlPage, goQuery, fetchAll, toCsv, exportButton } from './listing.js';
import { saveFile } from './download.js';

// The API's filters the page passes on from its URL (the dashboard links here with them).
const FILTERS = ['q', 'status', 'expiring_within_days', 'profile', 'member_id', 'uri', 'sort', 'expires_from', 'expires_before', 'renewed'];
const LIMIT = 25;

function memberLink(id) {
  const a = link(`/members/${enc(id)}`, `#${id}`);
  memberName(id).then((n) => { a.textContent = n; });
  return a;
}

function columns(staff) {
  return [
    { label: 'Serial', cell: (c) => h('span', {}, link(`/certificates/${enc(c.serial)}`, c.serial.length > 12 ? `${c.serial.slice(0, 12)}…` : c.serial, 'mono'),
      c.renewed_from ? h('span', { class: 'renews small' }, h('br'), 'renews ', link(`/certificates/${enc(c.renewed_from)}`, `${c.renewed_from.slice(0, 12)}…`, 'mono')) : null) },
    { label: 'Subject', sort: 'subject', cell: (c) => h('span', {}, h('span', { class: 'cn', title: c.subject || '' }, subjectCN(c.subject)),
      h('br'), h('span', { class: 'muted small' }, c.profile || '')) },
    staff ? { label: 'Member', cell: (c) => (c.member_id ? memberLink(c.member_id) : '—') } : null,
    { label: 'SAN URIs', cell: urisCell },
    { label: 'Status', cell: certStatus },
    { label: 'Issued', sort: 'created', cls: 'nowrap', cell: (c) => h('time', { datetime: c.created_at }, fmtDate(c.created_at)) },
    { label: 'Expires', sort: 'not_after', cls: 'nowrap', cell: (c) => h('time', { datetime: c.not_after }, fmtDate(c.not_after)) },
  ].filter(Boolean);
}

const CSV = [
  ['serial', (c) => c.serial], ['subject', (c) => c.subject], ['common_name', (c) => subjectCN(c.subject)],
  ['member_id', (c) => c.member_id], ['profile', (c) => c.profile], ['status', (c) => c.status],
  ['uris', (c) => (c.uris || []).join(' ')], ['issued', (c) => c.created_at], ['not_before', (c) => c.not_before],
  ['not_after', (c) => c.not_after], ['revoked_at', (c) => c.revoked_at], ['revocation_reason', (c) => c.revocation_reason],
  ['renewed_from', (c) => c.renewed_from], ['renewed_by', (c) => c.renewed_by], ['fingerprint_sha256', (c) => c.fingerprint_sha256],
].map(([label, value]) => ({ label, value }));

export default async function certificates(ctx) {
  ctx.title('Certificates');
  const staff = ctx.me.role !== 'member';
  const msg = messageArea();
  const query = {};
  for (const k of [...FILTERS, 'page']) if (ctx.query[k]) query[k] = ctx.query[k];
  const q = input('q', { type: 'search', value: query.q || '', placeholder: 'Serial, subject, URI or member' });
  const status = select('status', [['', 'Any status'], 'valid', 'on_hold', 'revoked', 'expired']);
  status.value = query.status || '';
  const expiring = select('expiring_within_days', [['', 'Any expiry'], ['7', 'Within 7 days'], ['30', 'Within 30 days'], ['90', 'Within 90 days']]);
  expiring.value = query.expiring_within_days || '';
  const profile = select('profile', [['', 'Any profile'], 'udap-client', 'udap-server']);
  profile.value = query.profile || '';
  const search = h('form', { class: 'form filters', role: 'search' },
    field('Search', q), field('Status', status), field('Expiring', expiring), field('Profile', profile),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Search')));
  // a new search starts at page 1 and keeps the sort and the filters the form does not show
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    goQuery(ctx, { ...query, page: '', q: q.value.trim(), status: status.value, expiring_within_days: expiring.value, profile: profile.value });
  });
  for (const s of [status, expiring, profile]) s.addEventListener('change', () => search.requestSubmit());

  const filters = { ...query };
  delete filters.page;
  const load = (cursor, limit = LIMIT) => get('/api/v1/certificates', { ...filters, limit, cursor });
  const defaultSort = query.expiring_within_days ? 'not_after' : '-created';
  const list = await urlPage(query, load,
    (items) => sortableTable(columns(staff), items, { query, defaultSort, empty: ['q', 'status', 'expiring_within_days', 'profile', 'uri', 'expires_from', 'expires_before', 'renewed'].some((k) => query[k]) ? 'No certificates match.' : 'No certificates.' }),
    { limit: LIMIT, noun: 'certificates' });
  if (list.error && (list.error.status === 401 || list.error.unavailable)) throw list.error;
  const exportCsv = exportButton('Export CSV', async () => {
    const { items, truncated } = await fetchAll((c) => load(c, 200));
    saveFile(`certificates-${new Date().toISOString().slice(0, 10)}.csv`, toCsv(CSV, items), 'text/csv');
    return truncated ? `Exported the first ${items.length} certificates only: narrow the filters for the rest.` : null;
  }, msg);
  const canIssue = ['admin', 'operator'].includes(ctx.me.role);
  // the expiry timeline's bars link here with a week (and renewed): say so, with a way out
  let range = null;
  if (query.expires_from || query.expires_before || query.renewed) {
    const rest = { ...query };
    for (const k of ['expires_from', 'expires_before', 'renewed', 'page']) delete rest[k];
    const last = query.expires_before ? new Date(Date.parse(`${query.expires_before}T00:00:00Z`) - 864e5).toISOString().slice(0, 10) : null;
    const span = query.expires_from && last ? `expiring ${query.expires_from} to ${last}`
      : query.expires_from ? `expiring on or after ${query.expires_from}` : last ? `expiring up to ${last}` : null;
    const ren = query.renewed === 'true' ? 'renewed' : query.renewed === 'false' ? 'not renewed' : null;
    range = h('p', { class: 'filter-summary' }, 'Showing certificates ', [span, ren].filter(Boolean).join(', '), ' (UTC). ',
      link(`/certificates${Object.keys(rest).length ? `?${new URLSearchParams(rest)}` : ''}`, 'Show all expiry dates'));
  }
  return h('div', {},
    pageHeader('Certificates', 'Member certificates issued by the community CA.',
      canIssue ? link('/issue', 'Issue a certificate', 'btn btn-primary') : null),
    msg,
    card(null, search, range, h('div', { class: 'actions' }, exportCsv), list));
}
