// Issue a certificate: member, profile, approved URIs; from a CSR (with a
// decoded preview) or a key pair generated on the server into PKCS#12.
import { h, uid } from './dom.js';
import { get, post, enc } from './api.js';
import { field, input, select, messageArea, pageHeader, card, busy, notice, details, markField, fieldError, button, link } from './widgets.js';
import { csrProblem } from './checks.js';
import { subjectCN } from './cert-format.js';
import { decodeCsr } from './csr.js';
import { memberPicker } from './member-picker.js';
import { saveFile, base64ToBytes } from './download.js';

const KEY_TYPES = ['EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072', 'RSA-4096'];

export default async function issue(ctx) {
  const isMember = ctx.me.role === 'member';
  ctx.title(isMember ? 'Request a certificate' : 'Issue a certificate');
  const msg = messageArea();
  const renew = ctx.query.renew || '';
  // what is renewed: its subject, member, profile, URIs and end (issue 14 §11)
  let renewing = null;
  if (renew) {
    try { renewing = await get(`/api/v1/certificates/${enc(renew)}`); } catch (err) { if (err.status === 401) throw err; }
  }

  // the member: a member user's own; staff search the active members on the server
  let own = null;
  if (isMember) own = await get(`/api/v1/members/${enc(ctx.me.member_id)}`);
  let profiles = [];
  try {
    const p = await get('/api/v1/profiles');
    profiles = (p.items || p || []).map((x) => (typeof x === 'string' ? { id: x } : x));
  } catch (err) { if (err.status === 401 || err.unavailable) throw err; }

  const keyType = select('key_type', KEY_TYPES);
  let member;
  if (own) member = select('member_id', [[own.id, `${own.name} (${own.organization_id})`]]);
  else {
    member = memberPicker({ status: 'active', selected: ctx.query.member || '',
      onChange: () => loadUris().catch((e) => msg.error(e)) });
    await member.ready;
  }
  const pid = (p) => p.name || p.id;
  const profile = select('profile', profiles.map((p) => [pid(p), pid(p)]));
  const profileHint = h('p', { class: 'hint' });
  const current = () => profiles.find((p) => pid(p) === profile.value) || {};
  const urisBox = h('fieldset', { class: 'checks' }, h('legend', {}, 'SAN URIs (approved URIs of the member)'));
  // the profile's rule for SAN URI fragments ([profile NAME] san_fragment
  // and san_fragment_values in troth.conf), as the API applies it
  function fragmentFits(p, uri) {
    const at = uri.indexOf('#');
    const frag = at < 0 ? null : uri.slice(at + 1);
    const values = p.san_fragment_values || [];
    if (p.san_fragment === 'forbid') return frag === null;
    if (frag === null) return p.san_fragment !== 'require';
    return !values.length || values.includes(frag);
  }
  async function loadUris() {
    urisBox.replaceChildren(h('legend', {}, 'SAN URIs (approved URIs of the member)'));
    if (!member.value) return;
    const page = await get(`/api/v1/members/${enc(member.value)}/uris`, { limit: 200 });
    const kinds = current().uri_kinds;
    const approved = (page.items || []).filter((u) => u.status === 'approved' && (!kinds || kinds.includes(u.kind)) && fragmentFits(current(), u.uri));
    const values = current().san_fragment_values || [];
    const rule = current().san_fragment === 'require'
      ? `Every SAN URI carries ${values.length ? `one of these fragments: ${values.map((v) => `#${v}`).join(', ')}` : 'a fragment'}.`
      : current().san_fragment === 'forbid' ? 'SAN URIs without a fragment.'
        : values.length ? `A fragment, if any, is one of ${values.map((v) => `#${v}`).join(', ')}.` : '';
    profileHint.textContent = [current().description || '', rule].filter(Boolean).join(' ');
    const types = current().key_types;
    if (types) keyType.replaceChildren(...types.map((t) => h('option', { value: t }, t)));
    if (!approved.length) urisBox.append(h('p', { class: 'hint' }, kinds ? `This member has no approved ${kinds.join(' or ')} URI for this profile.` : 'This member has no approved URI yet.'));
    for (const u of approved) {
      const id = uid('uri');
      urisBox.append(h('div', { class: 'check' },
        h('input', { type: 'checkbox', id, name: 'uris', value: u.uri, checked: approved.length === 1 }),
        h('label', { for: id }, h('span', { class: 'mono wrap' }, u.uri), h('span', { class: 'muted' }, ` · ${u.kind}`))));
    }
  }
  if (own) member.addEventListener('change', () => loadUris().catch((e) => msg.error(e)));
  profile.addEventListener('change', () => loadUris().catch((e) => msg.error(e)));

  // CSR or keygen
  const modeCsr = h('input', { type: 'radio', name: 'mode', value: 'csr', id: 'mode-csr', checked: true });
  const modeGen = h('input', { type: 'radio', name: 'mode', value: 'keygen', id: 'mode-keygen' });
  const modes = h('fieldset', { class: 'modes' }, h('legend', {}, 'Key pair'),
    h('div', { class: 'check' }, modeCsr, h('label', { for: 'mode-csr' }, 'I have a CSR (the private key stays with me)')),
    h('div', { class: 'check' }, modeGen, h('label', { for: 'mode-keygen' }, 'Generate a key pair on the server (PKCS#12 download)')));
  // a renewal makes its key as the original's was made: here when it was
  // made here (chosen already), else from the member's CSR only
  const renewsKeygen = renewing?.key_origin === 'keygen';
  if (renew && !renewsKeygen) modeGen.disabled = true;
  if (renewsKeygen) {
    modeGen.checked = true;
    const types = (profiles.find((p) => pid(p) === renewing.profile) || {}).key_types;
    if (types) keyType.replaceChildren(...types.map((t) => h('option', { value: t }, t)));
  }
  const csr = h('textarea', { name: 'csr', rows: 8, class: 'mono', spellcheck: 'false', placeholder: '-----BEGIN CERTIFICATE REQUEST-----' });
  const file = h('input', { type: 'file', name: 'csr_file', accept: '.csr,.pem,.req,text/plain' });
  const preview = h('div', { class: 'csr-preview', 'aria-live': 'polite' });
  function showPreview() {
    preview.replaceChildren();
    if (!csr.value.trim()) return;
    try {
      const d = decodeCsr(csr.value);
      preview.append(details([
        ['Subject', d.subject || '(empty)'], ['Key', `${d.keyType}${d.keySize ? ` ${d.keySize}-bit` : ''}`],
        ['Requested URIs', d.uris.length ? d.uris.join(', ') : '(none — the chosen URIs are used)'],
        d.dns.length ? ['DNS names', d.dns.join(', ')] : null]));
    } catch (e) {
      preview.append(notice('warning', e.message));
    }
  }
  csr.addEventListener('input', showPreview);
  file.addEventListener('change', async () => {
    if (file.files[0]) { csr.value = await file.files[0].text(); showPreview(); }
  });
  const csrPart = h('div', {}, field('Certificate signing request (PEM)', csr, 'Paste it, or choose a file below.'), field('CSR file', file), preview);
  const pass = input('passphrase', { type: 'password', autocomplete: 'new-password', minlength: 8 });
  const pass2 = input('passphrase_repeat', { type: 'password', autocomplete: 'new-password', minlength: 8 });
  const passError = h('p', { class: 'field-error', id: uid('err'), role: 'alert', hidden: true });
  const genPart = h('div', { class: 'form grid', hidden: true },
    field('Key type', keyType), field('PKCS#12 passphrase', pass, 'Protects the downloaded key; Troth does not keep it.'),
    h('div', {}, field('Repeat the passphrase', pass2), passError));
  const samePass = () => {
    const ok = pass.value === pass2.value;
    passError.hidden = ok;
    passError.textContent = ok ? '' : 'The two passphrases differ: type the same one twice.';
    if (ok) pass2.removeAttribute('aria-invalid'); else { pass2.setAttribute('aria-invalid', 'true'); pass2.setAttribute('aria-describedby', passError.id); }
    return ok;
  };
  pass2.addEventListener('change', samePass);
  const showMode = () => { csrPart.hidden = !modeCsr.checked; genPart.hidden = modeCsr.checked; };
  for (const r of [modeCsr, modeGen]) r.addEventListener('change', showMode);
  showMode();

  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, renew ? 'Renew' : isMember ? 'Request certificate' : 'Issue certificate');
  const form = h('form', { class: 'form', novalidate: true },
    renew ? notice('info', renewsKeygen
      ? `Renewing certificate ${renew}: its key was made here; a new key pair is made for the renewal (or send a CSR).`
      : `Renewing certificate ${renew}: send a new CSR.`) : null,
    renewing ? h('div', { class: 'renewing' }, details([
      ['Renews', link(`/certificates/${enc(renewing.serial)}`, `${subjectCN(renewing.subject)} (serial ${renewing.serial})`)],
      ['Profile', renewing.profile],
      ['URIs', h('span', { class: 'mono wrap' }, (renewing.uris || []).join(' '))],
      ['Valid until', renewing.not_after],
    ])) : null,
    h('div', { class: 'grid' }, own ? field('Member', member) : member, renew ? null : h('div', {}, field('Profile', profile), profileHint)),
    renew ? null : urisBox, modes, csrPart, genPart, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await busy(submit, async () => {
      const uris = [...form.querySelectorAll('input[name=uris]:checked')].map((x) => x.value);
      let cert;
      try {
        markField(form);
        const bad = modeCsr.checked ? csrProblem(csr.value) : null;
        if (bad) throw fieldError('csr', bad);
        const renewUrl = `/api/v1/certificates/${enc(renew)}/renew`;
        if (modeCsr.checked) {
          cert = await post(renew ? renewUrl : '/api/v1/certificates',
            renew ? { csr: csr.value } : { member_id: member.value, profile: profile.value, csr: csr.value, uris });
        } else {
          if (!samePass()) { pass2.focus(); return; }
          const key = { key_type: keyType.value, passphrase: pass.value };
          cert = await post(renew ? renewUrl : '/api/v1/certificates/keygen',
            renew ? { keygen: key } : { member_id: member.value, profile: profile.value, uris, ...key });
          pass.value = pass2.value = '';
          if (cert.pkcs12) { page.replaceChildren(keyResult(cert)); return; }
        }
      } catch (err) {
        // a renewal's keygen.key_type / keygen.passphrase are this form's key_type / passphrase
        if (err.field?.startsWith('keygen.')) err.field = err.field.slice(7);
        markField(form, err);
        throw err;
      }
      ctx.go(`/certificates/${enc(cert.serial)}`);
    }, msg, renew ? 'Renewing…' : 'Issuing…');
  });
  if (!renew) await loadUris().catch((err) => { if (err.status === 401) throw err; });
  // the key exists only in this page now: offer it as long as the page is open
  function keyResult(cert) {
    const blob = new Blob([base64ToBytes(cert.pkcs12)], { type: 'application/x-pkcs12' });
    const cn = (subjectCN(cert.subject) || '').replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '');
    const name = `${cn ? `${cn}-` : ''}${cert.serial}.p12`;
    const save = () => saveFile(name, blob);
    save();
    ctx.title('Your key pair');
    const heading = h('h1', { tabindex: '-1' }, 'Your key pair and certificate');
    setTimeout(() => heading.focus(), 0);
    return h('div', { class: 'key-result' },
      h('header', { class: 'page-header' }, h('div', {}, heading, h('p', { class: 'sub mono' }, `Serial ${cert.serial}`))),
      notice('warning', 'Troth keeps no copy of this key. Save the PKCS#12 file now: when you leave this page it cannot be downloaded again, and a lost key means a new certificate.'),
      card(null,
        h('p', {}, `${name} holds the private key and the certificate, protected by the passphrase you chose.`),
        h('div', { class: 'actions' },
          button(`Download ${name}`, save, 'btn btn-primary'),
          link(`/certificates/${enc(cert.serial)}`, 'Go to the certificate', 'btn'))));
  }

  const page = h('div', {},
    pageHeader(renew ? 'Renew a certificate' : isMember ? 'Request a certificate' : 'Issue a certificate',
      'A certificate for a member’s approved URIs, under one of the community’s profiles.'),
    !own && !member.value && !member.search.value ? notice('info', 'No active member yet: create and activate one first.') : null,
    msg, card(null, form));
  return page;
}
