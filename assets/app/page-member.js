// One member: details, status actions, URIs, invitations, certificates.
// For a member user this page is the portal: its own organisation only.
import { h, fmtTime, fmtDate } from './dom.js';
import { get, post, del, enc } from './api.js';
import { field, input, select, messageArea, pageHeader, card, table, paged, badge, busy,
  confirmDialog, details, notice, button, secretBox, markField, link } from './widgets.js';
import { certsTable } from './cert-format.js';
import { askLookalikes } from './lookalike.js';
import { memberEditForm } from './member-edit.js';
import { expiryTimeline } from './timeline.js';

const ACTIONS = {
  activate: { from: ['pending'], label: 'Activate', text: 'The member becomes active: certificates can be issued for its approved URIs.' },
  suspend: { from: ['active'], label: 'Suspend', danger: true, text: 'The member is suspended: its valid certificates are put on hold (listed on the CRL as certificateHold) and no new ones are issued until it is reinstated.' },
  reinstate: { from: ['suspended'], label: 'Reinstate', text: 'The member becomes active again: certificates held by the suspension are released from hold.' },
  terminate: { from: ['pending', 'active', 'suspended'], label: 'Terminate', danger: true, text: 'The membership ends for good: every certificate of the member is revoked and appears on the next CRL. This cannot be undone.' },
};

// How many of the member's certificates a suspension or termination touches.
async function certCounts(id) {
  const total = async (status) => (await get('/api/v1/certificates', { member_id: id, status, limit: 1 })).total ?? null;
  const [valid, held] = await Promise.all([total('valid'), total('on_hold')]);
  return { valid, held };
}

const certs = (n, what) => `${n} ${what} certificate${n === 1 ? '' : 's'}`;
function consequence(action, { valid, held }) {
  if (valid === null) return action === 'terminate' ? 'This revokes every certificate of the member.' : 'This puts every valid certificate of the member on hold.';
  if (action === 'suspend') return valid ? `This puts ${certs(valid, 'valid')} on hold.` : 'The member has no valid certificate to put on hold.';
  const parts = [valid ? certs(valid, 'valid') : null, held ? certs(held, 'held') : null].filter(Boolean);
  return parts.length ? `This revokes ${parts.join(' and ')}, for good.` : 'The member has no certificate left to revoke.';
}

export default async function member(ctx) {
  const id = ctx.params.id;
  const m = await get(`/api/v1/members/${enc(id)}`);
  ctx.title(m.name);
  const staff = ['admin', 'operator'].includes(ctx.me.role);
  const isMember = ctx.me.role === 'member';
  const msg = messageArea();
  if (ctx.query.created) msg.show('success', `Member ${m.name} created. Add its URIs, then activate it.`);
  if (ctx.query.saved) msg.show('success', `Saved the details of ${m.name}.`);

  // status actions: suspend and terminate say what they do to how many
  // certificates, ask why (kept in the audit event); terminate wants the name typed
  const actionButtons = staff ? Object.entries(ACTIONS).filter(([, a]) => a.from.includes(m.status)).map(([name, a]) => {
    const b = button(a.label, async () => {
      const grave = name === 'suspend' || name === 'terminate';
      let body = a.text;
      let reason = null;
      if (grave) {
        let counts;
        try { counts = await certCounts(id); } catch (err) { msg.error(err); return; }
        body = h('div', {}, h('p', { class: 'consequence' }, consequence(name, counts)), h('p', {}, a.text));
        reason = h('textarea', { name: 'reason', rows: 2, maxlength: 1000 });
      }
      const ok = await confirmDialog({
        title: `${a.label} ${m.name}?`, body, confirm: a.label, danger: !!a.danger,
        extra: reason ? field('Reason (kept in the audit log)', reason, 'Optional, but the next person to read the log will want it.') : null,
        typeToConfirm: name === 'terminate' ? { label: 'Type the member’s name to confirm', value: m.name } : null,
      });
      if (!ok) return;
      await busy(b, async () => {
        const why = reason && reason.value.trim() ? { reason: reason.value.trim() } : undefined;
        await post(`/api/v1/members/${enc(id)}/${name}`, why);
        ctx.go(`/members/${enc(id)}`);
      }, msg, `${a.label}…`);
    }, a.danger ? 'btn btn-danger-quiet' : 'btn btn-primary');
    return b;
  }) : [];

  const contacts = (m.contacts || []).map((c) => h('div', { class: 'contact-line' }, c.name ? `${c.name} <${c.email}>` : c.email, c.role ? h('span', { class: 'sub-line' }, c.role) : null));
  const info = card('Details', staff && m.status !== 'terminated' ? h('div', { class: 'actions' }, button('Edit details', () => {
    const shown = [...info.childNodes];
    const form = memberEditForm(m, msg, () => ctx.go(`/members/${enc(id)}?saved=${Date.now()}`), () => info.replaceChildren(...shown));
    info.replaceChildren(h('h2', {}, 'Edit details'), form);
    form.querySelector('input').focus();
  }, 'btn btn-small')) : null, details([
    ['Organisation id', h('span', { class: 'mono wrap' }, m.organization_id)],
    ['Status', badge(m.status)],
    ['NPI', m.npi],
    ['Contacts', contacts.length ? contacts : null],
    ['Member since', fmtTime(m.created_at)],
    m.notes ? ['Notes', m.notes] : null,
  ]));

  const [uris, invites, certs, expiring] = await Promise.all([
    urisCard(ctx, m, staff, isMember, msg), invitesCard(ctx, m, staff, msg), certsCard(ctx, m, staff || isMember), expiryCard(m)]);

  return h('div', {},
    pageHeader(m.name, isMember ? 'Your organisation' : m.organization_id, badge(m.status), ...actionButtons),
    msg, h('div', { class: 'grid-2' }, info, invites), uris, expiring, certs);
}

// The member's expiry timeline (GET /api/v1/members/{id}/expiry-timeline):
// each bar links to the member's certificates it counts.
async function expiryCard(m) {
  try {
    const t = await get(`/api/v1/members/${enc(m.id)}/expiry-timeline`);
    return card('Expiring in the next 13 weeks', expiryTimeline(t, { memberId: m.id }));
  } catch (err) {
    if (err.status === 401) throw err;
    return card('Expiring in the next 13 weeks', notice(err.unavailable ? 'info' : 'error',
      err.unavailable ? 'The expiry timeline is not available on this server yet.' : err.message));
  }
}

async function urisCard(ctx, m, staff, isMember, msg) {
  const base = `/api/v1/members/${enc(m.id)}/uris`;
  const box = h('div', {});
  const warn = h('div', {});
  async function load() {
    const page = await get(base, { limit: 200 });
    box.replaceChildren(table([
      { label: 'URI', cell: (u) => h('span', { class: 'mono wrap' }, u.uri) },
      { label: 'Kind', cell: (u) => u.kind },
      { label: 'Status', cell: (u) => badge(u.status) },
      { label: 'Added', cell: (u) => fmtDate(u.created_at) },
      { label: 'Actions', cls: 'cell-actions', cell: (u) => uriActions(u) },
    ], page.items || [], 'No URIs yet.'));
  }
  function uriActions(u) {
    const out = [];
    if (staff && u.status === 'pending') {
      const b = button('Approve', () => busy(b, async () => {
        if (!await askLookalikes((x) => post(`${base}/${enc(u.id)}/approve`, x), u.uri, 'Approve')) return;
        msg.show('success', `Approved ${u.uri}.`);
        await load();
      }, msg, 'Approving…'), 'btn btn-small btn-primary');
      out.push(b);
    }
    if (staff || (isMember && u.status !== 'approved')) {
      const b = button('Remove', async () => {
        const ok = await confirmDialog({ title: 'Remove this URI?', body: h('p', {}, 'New certificates can no longer name ', h('code', {}, u.uri), '. Certificates already issued stay valid until revoked.'), confirm: 'Remove', danger: true });
        if (!ok) return;
        await busy(b, async () => {
          await del(`${base}/${enc(u.id)}`);
          msg.show('success', `Removed ${u.uri}.`);
          await load();
        }, msg, 'Removing…');
      }, 'btn btn-small btn-danger-quiet');
      out.push(b);
    }
    return out.length ? h('span', { class: 'btn-row' }, out) : '';
  }
  try {
    await load();
  } catch (err) {
    if (err.status === 401) throw err;
    return card('URIs', notice('error', err.message));
  }
  let form = null;
  if ((staff || isMember) && m.status !== 'terminated') {
    const uri = input('uri', { required: true, placeholder: 'https://app.example.org/fhir', class: 'mono' });
    const kind = select('kind', [['client', 'client (app)'], ['server', 'server (FHIR base URL)'], ['idp', 'idp (identity provider)']]);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, staff ? 'Add URI' : 'Propose URI');
    form = h('form', { class: 'form grid', novalidate: true }, field('URI', uri), field('Kind', kind), h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      warn.replaceChildren();
      await busy(submit, async () => {
        try {
          const u = await askLookalikes((x) => post(base, { uri: uri.value.trim(), kind: kind.value, ...x }), uri.value.trim(), staff ? 'Add' : 'Propose');
          markField(form);
          if (!u) return;
          form.reset();
          msg.show('success', staff ? `Added ${u.uri}.` : `Proposed ${u.uri}; an operator will review it.`);
          if (u.lookalikes && u.lookalikes.length) {
            warn.append(notice('warning', 'This URI looks like others already registered (differing only in case, port or a trailing slash): ',
              h('ul', {}, u.lookalikes.map((l) => h('li', {}, h('code', {}, l.uri), l.same_member ? ' (this member)' : ` (${l.member_name || `member ${l.member_id}`})`)))));
          }
          await load();
        } catch (err) { markField(form, err); throw err; }
      }, msg, 'Saving…');
    });
  }
  return card('URIs', h('p', { class: 'hint' }, 'Certificates may name only approved URIs (SAN uniformResourceIdentifier).'), warn, box, form);
}

async function invitesCard(ctx, m, staff, msg) {
  const base = `/api/v1/members/${enc(m.id)}/invitations`;
  const users = paged((cursor) => get(`/api/v1/members/${enc(m.id)}/users`, { limit: 20, cursor }), (items) => table([
    { label: 'User', cell: (u) => h('strong', {}, u.username) },
    { label: 'Status', cell: (u) => badge(u.disabled ? 'disabled' : 'active') },
    { label: 'Since', cls: 'nowrap', cell: (u) => fmtDate(u.created_at) },
  ], items, 'No users yet: invite one below.'));
  const list = paged((cursor) => get(base, { limit: 20, cursor }), (items) => table([
    { label: 'User', cell: (i) => h('span', {}, h('strong', {}, i.username), i.email ? h('span', { class: 'sub-line wrap' }, i.email) : null) },
    { label: 'Status', cell: (i) => badge(i.status) },
    { label: 'Expires', cls: 'nowrap', cell: (i) => (i.status === 'pending' ? fmtDate(i.expires_at) : '—') },
    ...(staff ? [{ label: 'Actions', cls: 'cell-actions', cell: (i) => inviteActions(i) }] : []),
  ], items, 'No users invited yet.'));
  // revoke a pending invitation; resend a pending or expired one (a new
  // link, shown once; the old one stops working)
  function inviteActions(i) {
    if (i.status !== 'pending' && i.status !== 'expired') return '';
    const out = [];
    const resend = button('Resend', () => busy(resend, async () => {
      const inv = await post(`${base}/${enc(i.id)}/resend`);
      created.replaceChildren(secretBox(`New invitation link for ${inv.username}`, location.origin + inv.accept_url_path));
      msg.show('success', `Sent a new invitation to ${inv.username}; the old link no longer works.`);
      await list.reload();
    }, msg, 'Resending…'), 'btn btn-small');
    resend.setAttribute('aria-label', `Resend the invitation of ${i.username}`);
    out.push(resend);
    if (i.status === 'pending') {
      const revoke = button('Revoke', async () => {
        const ok = await confirmDialog({ title: `Revoke the invitation of ${i.username}?`, body: 'The link stops working; you can invite the user again later.', confirm: 'Revoke', danger: true });
        if (!ok) return;
        await busy(revoke, async () => {
          await post(`${base}/${enc(i.id)}/revoke`);
          msg.show('success', `Revoked the invitation of ${i.username}.`);
          await list.reload();
        }, msg, 'Revoking…');
      }, 'btn btn-small btn-danger-quiet');
      revoke.setAttribute('aria-label', `Revoke the invitation of ${i.username}`);
      out.push(revoke);
    }
    return h('span', { class: 'btn-row' }, out);
  }
  for (const l of [users, list]) {
    try {
      await l.restart();
    } catch (err) {
      if (err.status === 401) throw err;
    }
  }
  let form = null;
  const created = h('div', {});
  if (staff && m.status !== 'terminated') {
    const username = input('username', { required: true, maxlength: 128, autocomplete: 'off' });
    const email = input('email', { type: 'email' });
    const submit = h('button', { type: 'submit', class: 'btn' }, 'Invite user');
    form = h('form', { class: 'form grid', novalidate: true }, field('Username', username), field('E-mail (optional)', email), h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      created.replaceChildren();
      await busy(submit, async () => {
        const body = { username: username.value.trim() };
        if (email.value) body.email = email.value.trim();
        try {
          const inv = await post(base, body);
          markField(form);
          form.reset();
          const url = location.origin + (inv.accept_url_path || `/#/accept?token=${encodeURIComponent(inv.token)}`);
          created.append(secretBox(`Invitation link for ${inv.username || body.username}`, url));
          await list.restart();
        } catch (err) { markField(form, err); throw err; }
      }, msg, 'Inviting…');
    });
  }
  return card('Users and invitations', h('h3', {}, 'Users'), users, h('h3', {}, 'Invitations'), list, form, created);
}

async function certsCard(ctx, m, canIssue) {
  const list = paged((cursor) => get('/api/v1/certificates', { member_id: m.id, limit: 20, cursor }),
    (items) => certsTable(items, { member: false }));
  try {
    await list.restart();
  } catch (err) {
    if (err.status === 401) throw err;
    if (err.unavailable) return card('Certificates', notice('info', 'Certificates are not available on this server yet.'));
  }
  const issue = canIssue && m.status === 'active'
    ? link(`/issue?member=${enc(m.id)}`, ctx.me.role === 'member' ? 'Request a certificate' : 'Issue a certificate', 'btn btn-primary') : null;
  return card('Certificates', issue ? h('div', { class: 'actions actions-top' }, issue) : null,
    m.status !== 'active' ? h('p', { class: 'hint' }, 'Certificates are issued only while the member is active.') : null, list);
}
