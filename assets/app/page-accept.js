// Accept an invitation: the one-time token from the link and a new password.
// Says first what one joins, as whom (POST /api/v1/invitations/lookup), and
// after it sends the invitee to sign-in with the username filled in.
import { h, fmtTime } from './dom.js';
import { post } from './api.js';
import { field, input, messageArea, markField } from './widgets.js';

export default async function accept(ctx) {
  ctx.title('Accept invitation');
  const msg = messageArea();
  const token = input('token', { value: ctx.query.token || '', required: true, autocomplete: 'off' });
  const pass = input('password', { type: 'password', autocomplete: 'new-password', minlength: 12, required: true });
  const again = input('again', { type: 'password', autocomplete: 'new-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Set password');
  const about = h('div', { class: 'invitation-about', 'aria-live': 'polite' });
  let username = null;
  async function lookup() {
    about.replaceChildren();
    username = null;
    if (!token.value.trim()) return;
    try {
      const inv = await post('/api/v1/invitations/lookup', { token: token.value.trim() }, { quiet: true });
      username = inv.username;
      about.append(h('p', { class: 'joining' }, 'You are invited to join ', h('strong', {}, inv.member_name),
        ' as the user ', h('strong', { class: 'mono' }, inv.username), '.'),
      h('p', { class: 'hint' }, `The invitation is valid until ${fmtTime(inv.expires_at)}.`));
    } catch (err) {
      if (err.status !== 404 || !err.unavailable) msg.error(err);
    }
  }
  token.addEventListener('change', lookup);
  const form = h('form', { novalidate: true },
    field('Invitation code', token, 'From the link in your invitation.'),
    field('New password', pass, 'At least 12 characters.'),
    field('Repeat the password', again), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (pass.value !== again.value) { msg.show('error', 'The two passwords differ.'); again.focus(); return; }
    submit.disabled = true;
    submit.textContent = 'Saving…';
    try {
      const res = await post('/api/v1/invitations/accept', { token: token.value.trim(), password: pass.value });
      const name = (res && res.user && res.user.username) || username;
      form.remove();
      about.remove();
      msg.show('success', 'Your account is ready. ', h('a', { href: `#/signin${name ? `?username=${encodeURIComponent(name)}` : ''}` }, name ? `Sign in now as ${name}` : 'Sign in now'));
    } catch (err) {
      markField(form, err);
      msg.error(err);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Set password';
    }
  });
  await lookup();
  return h('div', { class: 'signin' },
    h('div', { class: 'signin-card' },
      h('div', { class: 'signin-brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'T'), 'Troth'),
      h('h1', {}, 'Accept your invitation'),
      h('p', { class: 'sub' }, 'Choose a password for your member account.'),
      msg, about, form));
}
