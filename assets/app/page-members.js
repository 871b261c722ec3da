// Members: search, filter by status, sort, page through (all in the URL, so
// a reload or Back returns to the same place), the total, CSV export, create.
import { h, fmtDate } from './dom.js';
import { get, post, enc } from './api.js';
import { field, input, select, messageArea, pageHeader, card, badge, busy,
  formData, markField, fieldError, link } from './widgets.js';
import { npiProblem } from './checks.js';
import { sortableTable, urlPage, goQuery, fetchAll, toCsv, exportButton } from './listing.js';
import { uriText } from './cert-format.js';
import { saveFile } from './download.js';

const LIMIT = 25;
const CSV = [
  ['id', (m) => m.id], ['name', (m) => m.name], ['organization_id', (m) => m.organization_id],
  ['status', (m) => m.status], ['npi', (m) => m.npi], ['created_at', (m) => m.created_at],
  ['contacts', (m) => (m.contacts || []).map((c) => c.email).filter(Boolean).join(' ')],
].map(([label, value]) => ({ label, value }));

export default async function members(ctx) {
  ctx.title('Members');
  const canEdit = ['admin', 'operator'].includes(ctx.me.role);
  const msg = messageArea();
  const query = {};
  for (const k of ['q', 'status', 'sort', 'page']) if (ctx.query[k]) query[k] = ctx.query[k];
  const q = input('q', { type: 'search', value: query.q || '', placeholder: 'Name, organisation id or URI' });
  const status = select('status', [['', 'Any status'], 'pending', 'active', 'suspended', 'terminated']);
  status.value = query.status || '';
  const search = h('form', { class: 'form filters', role: 'search' },
    field('Search', q), field('Status', status),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Search')));
  const filters = { q: query.q, status: query.status, sort: query.sort };
  const load = (cursor, limit = LIMIT) => get('/api/v1/members', { ...filters, limit, cursor });
  const list = await urlPage(query, load, (items) => sortableTable([
    { label: 'Name', sort: 'name', cell: (m) => link(`/members/${enc(m.id)}`, m.name, 'strong') },
    { label: 'Organisation id', cell: (m) => h('span', { class: 'mono' }, uriText(m.organization_id)) },
    { label: 'Status', cell: (m) => badge(m.status) },
    { label: 'NPI', cell: (m) => m.npi || '—' },
    { label: 'Since', sort: 'created', cls: 'nowrap', cell: (m) => h('time', { datetime: m.created_at }, fmtDate(m.created_at)) },
  ], items, { query, defaultSort: 'created', empty: query.q || query.status ? 'No member matches.' : 'No members yet.' }),
  { limit: LIMIT, noun: 'members' });
  if (list.error && (list.error.status === 401 || list.error.unavailable)) throw list.error;
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    goQuery(ctx, { ...query, page: '', q: q.value.trim(), status: status.value });
  });
  status.addEventListener('change', () => search.requestSubmit());
  const exportCsv = exportButton('Export CSV', async () => {
    const { items, truncated } = await fetchAll((c) => load(c, 200));
    saveFile(`members-${new Date().toISOString().slice(0, 10)}.csv`, toCsv(CSV, items), 'text/csv');
    return truncated ? `Exported the first ${items.length} members only: narrow the search for the rest.` : null;
  }, msg);

  let create = null;
  if (canEdit) {
    const name = input('name', { required: true, maxlength: 256 });
    const org = input('organization_id', { required: true, placeholder: 'https://example.org/ or urn:…' });
    const npi = input('npi', { inputmode: 'numeric', maxlength: 10, placeholder: '10 digits' });
    const email = input('email', { type: 'email', placeholder: 'contact@example.org' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create member');
    const form = h('form', { class: 'form grid', novalidate: true },
      field('Name', name), field('Organisation id', org, 'An absolute URI, unique in the community.'),
      field('NPI (optional)', npi), field('Contact e-mail (optional)', email),
      h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      await busy(submit, async () => {
        const d = formData(form);
        const body = { name: d.name || '', organization_id: d.organization_id || '' };
        if (d.npi) body.npi = d.npi;
        if (d.email) body.contacts = [{ email: d.email }];
        try {
          markField(form);
          const bad = body.npi ? npiProblem(body.npi) : null;
          if (bad) throw fieldError('npi', bad);
          const m = await post('/api/v1/members', body);
          ctx.go(`/members/${enc(m.id)}?created=1`);
        } catch (err) {
          if (err.field && err.field.startsWith('contacts')) err.field = 'email';
          markField(form, err);
          throw err;
        }
      }, msg, 'Creating…');
    });
    create = h('details', { class: 'card collapsible', open: ctx.query.new ? true : undefined },
      h('summary', {}, h('h2', {}, 'New member')), form);
  }

  return h('div', {},
    pageHeader('Members', 'The organisations of the trust community.'),
    msg, create, card(null, search, h('div', { class: 'actions' }, exportCsv), list));
}
