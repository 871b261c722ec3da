// Members: search, filter by status, page through, create.
import { h, fmtDate } from './dom.js';
import { get, post, enc } from './api.js';
import { field, input, select, messageArea, pageHeader, card, table, paged, badge, busy,
  formData, markField, link } from './widgets.js';

export default async function members(ctx) {
  ctx.title('Members');
  const canEdit = ['admin', 'operator'].includes(ctx.me.role);
  const msg = messageArea();
  let filters = { q: ctx.query.q || '', status: ctx.query.status || '' };
  const q = input('q', { type: 'search', value: filters.q, placeholder: 'Name, organisation id or URI' });
  const status = select('status', [['', 'Any status'], 'pending', 'active', 'suspended', 'terminated']);
  status.value = filters.status;
  const search = h('form', { class: 'form filters', role: 'search' },
    field('Search', q), field('Status', status),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Search')));
  const list = paged((cursor) => get('/api/v1/members', { ...filters, limit: 25, cursor }), (items) => table([
    { label: 'Name', cell: (m) => link(`/members/${enc(m.id)}`, m.name, 'strong') },
    { label: 'Organisation id', cell: (m) => h('span', { class: 'mono wrap' }, m.organization_id) },
    { label: 'Status', cell: (m) => badge(m.status) },
    { label: 'NPI', cell: (m) => m.npi || '—' },
    { label: 'Since', cell: (m) => fmtDate(m.created_at) },
  ], items, filters.q || filters.status ? 'No member matches.' : 'No members yet.'));
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    filters = { q: q.value.trim(), status: status.value };
    list.restart().catch(() => {});
  });
  status.addEventListener('change', () => search.requestSubmit());

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

  await list.restart().catch((err) => { if (err.status === 401 || err.unavailable) throw err; });
  return h('div', {},
    pageHeader('Members', 'The organisations of the trust community.'),
    msg, create, card(null, search, list));
}
