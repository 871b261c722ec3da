// Needs attention: the staff's work queue (GET /api/v1/attention), each row
// linked to its action; proposed URIs are approved here (operators, admins).
import { h, fmtTime, relTime } from './dom.js';
import { get, post, enc } from './api.js';
import { pageHeader, card, table, paged, link, button, busy, messageArea, notice } from './widgets.js';
import { subjectCN } from './cert-format.js';
import { askLookalikes } from './lookalike.js';

// kind → its heading, the action a row leads to, and the page to go to
export const KINDS = [
  { key: 'pending_uris', label: 'URIs awaiting approval', one: 'URI awaiting approval', href: '/attention?kind=pending_uris' },
  { key: 'pending_members', label: 'Members awaiting activation', one: 'member awaiting activation', href: '/members?status=pending' },
  { key: 'invitations_lapsing', label: 'Invitations lapsing within 3 days', one: 'invitation lapsing within 3 days', href: '/attention?kind=invitations_lapsing' },
  { key: 'certificates_expiring', label: 'Certificates expiring within 30 days, not renewed', one: 'certificate expiring within 30 days, not renewed', href: '/attention?kind=certificates_expiring' },
  { key: 'dead_notifications', label: 'Notifications that could not be delivered', one: 'notification that could not be delivered', href: '/webhooks' },
  { key: 'crls_due', label: 'CRLs near their nextUpdate', one: 'CRL near its nextUpdate', href: '/cas' },
  { key: 'cas_expiring', label: 'CAs within 90 days of their end', one: 'CA within 90 days of its end', href: '/cas' },
];

const member = (id, name) => link(`/members/${enc(id)}`, name || `Member ${id}`);
const when = (iso) => h('span', { title: fmtTime(iso) }, relTime(iso));

// The dashboard's card: one line per kind of waiting work, nothing when none.
export function attentionCard(data) {
  const rows = KINDS.filter((k) => data[k.key] && data[k.key].count > 0);
  if (!rows.length) {
    return card('Needs attention', h('p', { class: 'empty attention-clear' }, 'Nothing is waiting: no proposals, pending members, lapsing invitations, forgotten certificates or due CRLs.'));
  }
  return card('Needs attention', h('ul', { class: 'attention-list' }, rows.map((k) => {
    const n = data[k.key].count;
    return h('li', { dataset: { kind: k.key } },
      h('a', { href: `#${k.href}` }, h('span', { class: 'attention-count' }, String(n)), ' ', n === 1 ? k.one : k.label.charAt(0).toLowerCase() + k.label.slice(1)));
  })), h('p', {}, link('/attention', 'The work queue →')));
}

export default async function attention(ctx) {
  ctx.title('Needs attention');
  const msg = messageArea();
  const canChange = ['admin', 'operator'].includes(ctx.me.role);
  const data = await get('/api/v1/attention', { limit: 50 });
  const sections = [];
  const more = (k) => (data[k].count > data[k].items.length
    ? h('p', { class: 'hint' }, `Showing the first ${data[k].items.length} of ${data[k].count}.`) : null);

  // proposals: every one, page by page, approved in place
  const uris = paged((cursor) => get('/api/v1/uris', { status: 'pending', limit: 25, cursor }), (items) => table([
    { label: 'URI', cell: (u) => h('span', { class: 'mono uri' }, u.uri) },
    { label: 'Kind', cell: (u) => u.kind },
    { label: 'Member', cell: (u) => member(u.member_id, u.member_name) },
    { label: 'Proposed', cls: 'nowrap', cell: (u) => when(u.created_at) },
    { label: 'Action', cls: 'cell-actions', cell: (u) => {
      if (!canChange) return link(`/members/${enc(u.member_id)}`, 'Review');
      const b = button('Approve', () => busy(b, async () => {
        if (!await askLookalikes((x) => post(`/api/v1/members/${enc(u.member_id)}/uris/${enc(u.id)}/approve`, x), u.uri, 'Approve')) return;
        msg.show('success', `Approved ${u.uri} for ${u.member_name}.`);
        await uris.reload();
      }, msg), 'btn btn-small btn-primary');
      b.setAttribute('aria-label', `Approve ${u.uri}`);
      return h('span', { class: 'row-actions' }, b, ' ', link(`/members/${enc(u.member_id)}`, 'Review'));
    } },
  ], items, 'No URI is waiting for approval.'));
  await uris.restart().catch((err) => { if (err.status === 401) throw err; });
  sections.push(['pending_uris', uris]);

  sections.push(['pending_members', h('div', {}, table([
    { label: 'Member', cell: (m) => member(m.id, m.name) },
    { label: 'Organisation id', cell: (m) => h('span', { class: 'mono uri' }, m.organization_id) },
    { label: 'Created', cls: 'nowrap', cell: (m) => when(m.created_at) },
    { label: 'Action', cls: 'cell-actions', cell: (m) => link(`/members/${enc(m.id)}`, canChange ? 'Review and activate' : 'Review') },
  ], data.pending_members.items, 'No member is waiting for activation.'), more('pending_members'))]);

  sections.push(['invitations_lapsing', h('div', {}, table([
    { label: 'Username', cell: (i) => i.username },
    { label: 'Member', cell: (i) => member(i.member_id, i.member_name) },
    { label: 'Lapses', cls: 'nowrap', cell: (i) => when(i.expires_at) },
    { label: 'Action', cls: 'cell-actions', cell: (i) => link(`/members/${enc(i.member_id)}`, canChange ? 'Invite again' : 'Review') },
  ], data.invitations_lapsing.items, 'No invitation is about to lapse.'), more('invitations_lapsing'))]);

  sections.push(['certificates_expiring', h('div', {}, table([
    { label: 'Certificate', cell: (c) => h('span', {}, link(`/certificates/${enc(c.serial)}`, subjectCN(c.subject) || c.serial), h('span', { class: 'sub-line mono' }, c.serial)) },
    { label: 'Member', cell: (c) => member(c.member_id, c.member_name) },
    { label: 'Profile', cell: (c) => c.profile },
    { label: 'Expires', cls: 'nowrap', cell: (c) => when(c.not_after) },
    { label: 'Action', cls: 'cell-actions', cell: (c) => (canChange ? link(`/issue?renew=${enc(c.serial)}`, 'Renew') : link(`/certificates/${enc(c.serial)}`, 'Review')) },
  ], data.certificates_expiring.items, 'No certificate expires within 30 days without a successor.'), more('certificates_expiring'))]);

  if (data.dead_notifications) {
    sections.push(['dead_notifications', h('div', {}, table([
      { label: 'Event', cell: (n) => n.event },
      { label: 'Channel', cell: (n) => n.channel },
      { label: 'Attempts', cell: (n) => n.attempts },
      { label: 'Last error', cell: (n) => h('span', { class: 'wrap' }, n.last_error || '—') },
      { label: 'Created', cls: 'nowrap', cell: (n) => when(n.created_at) },
    ], data.dead_notifications.items, 'Every notification was delivered.'), more('dead_notifications'),
    h('p', {}, link('/webhooks', 'Webhooks and deliveries →')))]);
  }

  sections.push(['crls_due', h('div', {}, table([
    { label: 'CA', cell: (c) => c.ca_id },
    { label: 'CRL number', cell: (c) => c.crl_number },
    { label: 'thisUpdate', cls: 'nowrap', cell: (c) => fmtTime(c.this_update) },
    { label: 'nextUpdate', cls: 'nowrap', cell: (c) => h('span', {}, fmtTime(c.next_update), h('br'), h('span', { class: 'muted' }, relTime(c.next_update))) },
    { label: 'Action', cls: 'cell-actions', cell: () => link('/cas', 'CAs & CRLs') },
  ], data.crls_due.items, 'Every CRL is fresh.'))]);

  sections.push(['cas_expiring', h('div', {}, table([
    { label: 'CA', cell: (c) => h('span', {}, h('strong', {}, subjectCN(c.subject) || c.id), h('span', { class: 'sub-line' }, c.kind)) },
    { label: 'notAfter', cls: 'nowrap', cell: (c) => h('span', {}, fmtTime(c.not_after), h('br'), h('span', { class: 'muted' }, relTime(c.not_after))) },
    { label: 'Action', cls: 'cell-actions', cell: () => link('/cas', 'CAs & CRLs') },
  ], data.cas_expiring.items, 'No CA ends within 90 days.'))]);

  if (ctx.query.kind) setTimeout(() => document.getElementById(ctx.query.kind)?.scrollIntoView(), 0);
  const label = (key) => KINDS.find((k) => k.key === key).label;
  const count = (key) => (data[key] ? data[key].count : 0);
  return h('div', {},
    pageHeader('Needs attention', data.total ? `${data.total} thing${data.total === 1 ? '' : 's'} waiting for someone.` : 'Nothing is waiting.'),
    msg,
    !canChange ? notice('info', 'You can review; operators and admins act on these.') : null,
    sections.map(([key, body]) => h('section', { class: 'card', id: key, dataset: { kind: key } },
      h('h2', {}, label(key), ' ', h('span', { class: `badge ${count(key) ? 'badge-warn' : 'badge-muted'}` }, String(count(key)))),
      body)));
}
