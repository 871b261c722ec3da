// Webhooks (admins): register an endpoint (its secret is shown once), the
// endpoints with their delivery log, and the outbox's dead notices.
import { h, fmtTime, relTime } from './dom.js';
import { get, post, del, enc } from './api.js';
import { field, input, messageArea, pageHeader, card, table, paged, badge, busy,
  secretBox, confirmDialog, button, markField } from './widgets.js';

const EVENTS = ['certificate.issued', 'certificate.revoked', 'certificate.held',
  'certificate.released', 'member.status_changed', 'crl.published'];
const KIND = { sent: 'valid', pending: 'pending', dead: 'revoked', cancelled: 'expired' };

function noticeBadge(n) { return badge(KIND[n.status] || n.status, n.status); }

function attempts(n) {
  if (!n.log || !n.log.length) return 'none yet';
  return h('ol', { class: 'attempts' }, n.log.map((a) => h('li', {},
    h('span', { title: fmtTime(a.at) }, relTime(a.at)), ' · ',
    a.ok ? `ok (HTTP ${a.http_status})` : `failed: ${a.error || `HTTP ${a.http_status}`}`,
    ` · ${a.duration_ms} ms`)));
}

function what(n) {
  const d = n.payload || {};
  return h('span', {}, h('strong', {}, n.event), ' ',
    h('span', { class: 'mono muted' }, d.serial || (d.crl_number ? `CRL ${d.crl_number}` : '') || d.member_id || ''));
}

const noticeCols = [
  { label: 'Event', cell: what },
  { label: 'Status', cell: noticeBadge },
  { label: 'Queued', cell: (n) => h('span', { title: fmtTime(n.created_at) }, relTime(n.created_at)) },
  { label: 'Attempts', cell: attempts },
];

export default async function webhooks(ctx) {
  ctx.title('Webhooks');
  const msg = messageArea();
  const logBox = h('div', {});

  function showLog(hook) {
    const list = paged((cursor) => get(`/api/v1/webhooks/${enc(hook.id)}/deliveries`, { limit: 20, cursor }),
      (items) => table(noticeCols, items, 'Nothing delivered to this endpoint yet.'));
    logBox.replaceChildren(card(`Delivery log: ${hook.url}`, list));
    return list.restart().catch((e) => msg.error(e));
  }

  const hookCols = [
    { label: 'URL', cell: (w) => h('span', { class: 'mono wrap' }, w.url) },
    { label: 'Events', cell: (w) => w.events.join(', ') },
    { label: 'Pending', cell: (w) => String(w.pending) },
    { label: 'Dead', cell: (w) => (w.dead ? badge('revoked', String(w.dead)) : '0') },
    { label: 'Actions', cls: 'cell-actions', cell: (w) => h('span', {},
      button('Delivery log', () => showLog(w), 'btn btn-small'), ' ', removeButton(w)) },
  ];
  const hooks = paged(() => get('/api/v1/webhooks'),
    (items) => table(hookCols, items, 'No webhook endpoints yet.'));
  const dead = paged((cursor) => get('/api/v1/notifications', { status: 'dead', limit: 20, cursor }),
    (items) => table([{ label: 'Channel', cell: (n) => n.channel }, ...noticeCols,
      { label: 'Last error', cell: (n) => n.last_error }], items, 'No dead notices.'));

  function removeButton(w) {
    const b = button('Remove', async () => {
      const ok = await confirmDialog({ title: `Remove ${w.url}?`, confirm: 'Remove', danger: true,
        body: 'Its pending notices are cancelled; nothing more is sent to it.' });
      if (!ok) return;
      await busy(b, async () => {
        await del(`/api/v1/webhooks/${enc(w.id)}`);
        msg.show('success', `Endpoint ${w.url} removed.`);
        logBox.replaceChildren();
        await hooks.reload();
      }, msg, 'Removing…');
    }, 'btn btn-small btn-danger-quiet');
    return b;
  }

  const url = input('url', { required: true, maxlength: 2048, type: 'url', placeholder: 'https://as.example.org/troth-events' });
  const boxes = EVENTS.map((e) => {
    const id = `ev-${e.replace('.', '-')}`;
    return h('div', { class: 'check' }, h('input', { type: 'checkbox', id, name: 'events', value: e, checked: true }),
      h('label', { for: id, class: 'mono' }, e));
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add endpoint');
  const created = h('div', {});
  const form = h('form', { class: 'form grid', novalidate: true },
    field('URL (https)', url), h('fieldset', { name: 'events' }, h('legend', {}, 'Events'), boxes),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    created.replaceChildren();
    await busy(submit, async () => {
      try {
        const events = [...form.querySelectorAll('input[name=events]:checked')].map((c) => c.value);
        const w = await post('/api/v1/webhooks', { url: url.value.trim(), events });
        markField(form);
        url.value = '';
        msg.show('success', `Endpoint ${w.url} added.`);
        created.append(secretBox('Its signing secret', w.secret),
          h('p', { class: 'hint' }, 'Verify Troth-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body" with this secret>.'));
        await hooks.reload();
      } catch (err) { markField(form, err); throw err; }
    }, msg, 'Adding…');
  });

  await hooks.restart().catch((err) => { if (err.status === 401) throw err; });
  await dead.restart().catch(() => {});
  return h('div', {},
    pageHeader('Webhooks', 'Signed event deliveries to authorization servers and directories, and notices given up.'),
    msg,
    card('New endpoint', form, created),
    card('Endpoints', hooks),
    logBox,
    card('Dead notices (all channels)', dead));
}
