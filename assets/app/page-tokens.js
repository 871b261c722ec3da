// API tokens: create one (its secret is shown once), list, revoke.
import { h, fmtTime, relTime } from './dom.js';
import { get, post, del, enc } from './api.js';
import { field, input, messageArea, pageHeader, card, table, paged, badge, busy,
  secretBox, confirmDialog, button, markField } from './widgets.js';

function status(t) {
  if (t.revoked_at) return badge('revoked');
  if (t.expires_at && new Date(t.expires_at) < new Date()) return badge('expired');
  return badge('active');
}

export default async function tokens(ctx) {
  ctx.title('API tokens');
  const msg = messageArea();
  const isAdmin = ctx.me.role === 'admin';
  const cols = [
    { label: 'Name', cell: (t) => h('strong', {}, t.name || '(unnamed)') },
    isAdmin ? { label: 'User', cell: (t) => t.username || t.user_id } : null,
    { label: 'Status', cell: status },
    { label: 'Expires', cell: (t) => h('span', { title: fmtTime(t.expires_at) }, relTime(t.expires_at) || '—') },
    { label: 'Last used', cell: (t) => (t.last_used_at ? relTime(t.last_used_at) : 'never') },
    { label: 'Actions', cls: 'cell-actions', cell: (t) => (t.revoked_at ? '' : revokeButton(t)) },
  ].filter(Boolean);
  const list = paged((cursor) => get('/api/v1/tokens', { limit: 50, cursor }),
    (items) => table(cols, items, 'No API tokens yet.'));

  function revokeButton(t) {
    const b = button('Revoke', async () => {
      const ok = await confirmDialog({ title: `Revoke “${t.name || 'token'}”?`, confirm: 'Revoke', danger: true,
        body: 'Scripts using this token stop working at once. This cannot be undone.' });
      if (!ok) return;
      await busy(b, async () => {
        await del(`/api/v1/tokens/${enc(t.id)}`);
        msg.show('success', `Token “${t.name || t.id}” revoked.`);
        await list.reload();
      }, msg, 'Revoking…');
    }, 'btn btn-small btn-danger-quiet');
    return b;
  }

  const name = input('name', { required: true, maxlength: 128, autocomplete: 'off', placeholder: 'e.g. nightly-sync' });
  const days = input('days', { type: 'number', min: 1, max: 365, value: '90', inputmode: 'numeric' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create token');
  const created = h('div', {});
  const form = h('form', { class: 'form grid', novalidate: true },
    field('Name', name), field('Valid for (days)', days), h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    created.replaceChildren();
    await busy(submit, async () => {
      try {
        const body = { name: name.value.trim() };
        if (days.value) body.days = Number(days.value);
        const t = await post('/api/v1/tokens', body);
        markField(form);
        form.reset();
        msg.show('success', `Token “${t.name || body.name}” created; it expires ${fmtTime(t.expires_at)}.`);
        created.append(secretBox('Your new API token', t.token),
          h('p', { class: 'hint' }, 'Send it as “Authorization: Bearer <token>”.'));
        await list.restart();
      } catch (err) { markField(form, err); throw err; }
    }, msg, 'Creating…');
  });

  await list.restart().catch((err) => { if (err.status === 401) throw err; });
  return h('div', {},
    pageHeader('API tokens', isAdmin ? 'Tokens for automation; as an admin you see everyone’s.' : 'Tokens for your scripts and automation.'),
    msg,
    card('New token', form, created),
    card(isAdmin ? 'All tokens' : 'Your tokens', list));
}
