// Users (admin): create, change role, disable or enable, set a password.
import { h } from './dom.js';
import { get, post, patch, enc } from './api.js';
import { field, input, select, messageArea, pageHeader, card, table, paged, badge, busy,
  secretBox, confirmDialog, formData, markField, button, link } from './widgets.js';
import { fmtTime } from './dom.js';
import { memberPicker } from './member-picker.js';

const ROLES = ['operator', 'auditor', 'admin', 'member'];

export default async function users(ctx) {
  ctx.title('Users');
  const msg = messageArea();
  const list = paged((cursor) => get('/api/v1/users', { limit: 50, cursor }), (items) => table([
    { label: 'Username', cell: (u) => h('strong', {}, u.username) },
    { label: 'Role', cell: (u) => roleCell(u) },
    { label: 'Organisation', cell: (u) => (u.member_id ? link(`/members/${enc(u.member_id)}`, `Member ${u.member_id}`) : '—') },
    { label: 'Status', cell: (u) => (u.disabled ? badge('disabled') : badge('active')) },
    { label: 'Created', cell: (u) => fmtTime(u.created_at) },
    { label: 'Actions', cls: 'cell-actions', cell: (u) => actions(u) },
  ], items, 'No users yet.'));

  function roleCell(u) {
    if (u.id === ctx.me.id) return u.role;
    const sel = select('role', ROLES, { 'aria-label': `Role of ${u.username}`, class: 'inline-select' });
    sel.value = u.role;
    sel.addEventListener('change', async () => {
      if (sel.value === 'admin') {
        const ok = await confirmDialog({ title: `Make ${u.username} an admin?`, confirm: 'Make admin', danger: true,
          body: `${u.username} will be able to do everything: manage users and their roles, webhooks, CRLs, and read the audit log.` });
        if (!ok) { sel.value = u.role; return; }
      }
      sel.disabled = true;
      try {
        await patch(`/api/v1/users/${enc(u.id)}`, { role: sel.value });
        msg.show('success', `${u.username} is now ${sel.value}.`);
        u.role = sel.value;
      } catch (err) {
        msg.error(err);
        sel.value = u.role;
      } finally { sel.disabled = false; }
    });
    return sel;
  }

  function actions(u) {
    if (u.id === ctx.me.id) return h('span', { class: 'muted' }, 'you');
    const toggle = button(u.disabled ? 'Enable' : 'Disable', async () => {
      if (!u.disabled) {
        const ok = await confirmDialog({ title: `Disable ${u.username}?`, confirm: 'Disable', danger: true,
          body: 'The user is signed out at once and all of their API tokens are revoked. You can enable the account again later; the tokens stay revoked.' });
        if (!ok) return;
      }
      await busy(toggle, async () => {
        await patch(`/api/v1/users/${enc(u.id)}`, { disabled: !u.disabled });
        msg.show('success', `${u.username} is ${u.disabled ? 'enabled' : 'disabled'}.`);
        await list.reload();
      }, msg);
    }, u.disabled ? 'btn btn-small' : 'btn btn-small btn-danger-quiet');
    return toggle;
  }

  // create
  const username = input('username', { required: true, maxlength: 128, autocomplete: 'off' });
  const role = select('role', ROLES);
  // the organisation of a member user: searched on the server, any size of community
  const memberId = memberPicker({ optional: true, label: 'Member', hint: 'The organisation a member user belongs to.' });
  const showMember = () => { memberId.hidden = role.value !== 'member'; memberId.select.disabled = memberId.hidden; };
  role.addEventListener('change', showMember);
  showMember();
  const password = input('password', { type: 'password', autocomplete: 'new-password', minlength: 12 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create user');
  const created = h('div', {});
  const form = h('form', { class: 'form grid', novalidate: true },
    field('Username', username), field('Role', role),
    memberId,
    field('Password', password, 'Leave empty to generate one.'),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    created.replaceChildren();
    await busy(submit, async () => {
      try {
        const body = formData(form);
        const u = await post('/api/v1/users', body);
        markField(form);
        form.reset();
        showMember();
        msg.show('success', `User ${u.username} created.`);
        if (u.password) created.append(secretBox(`Password for ${u.username}`, u.password));
        await list.restart();
      } catch (err) { markField(form, err); throw err; }
    }, msg, 'Creating…');
  });

  await memberId.ready.catch((err) => { if (err.status === 401) throw err; });
  await list.restart().catch((err) => { if (err.status === 401) throw err; });
  return h('div', {},
    pageHeader('Users', 'People who can sign in, and what they may do.'),
    msg,
    card('New user', form, created),
    card('All users', list));
}
