// One certificate: decoded fields, downloads, revoke / hold / unhold, renew.
import { h, fmtTime, relTime, hexPairs, fmtDN } from './dom.js';
import { get, post, request, enc } from './api.js';
import { field, select, messageArea, pageHeader, card, details, busy, confirmDialog, button, link, notice, copyButton } from './widgets.js';
import { certStatus, subjectCN, memberName } from './cert-format.js';
import { saveFile } from './download.js';
import { decodeCert } from './csr.js';

const REASONS = [
  ['unspecified', 'Unspecified'], ['keyCompromise', 'Key compromise'], ['affiliationChanged', 'Affiliation changed'],
  ['superseded', 'Superseded'], ['cessationOfOperation', 'Cessation of operation'], ['privilegeWithdrawn', 'Privilege withdrawn'],
  ['certificateHold', 'Certificate hold (temporary, can be lifted)'],
];

function extensions(c) {
  const ext = c.extensions;
  if (!ext) return null;
  const rows = Array.isArray(ext) ? ext : Object.entries(ext).map(([name, value]) => ({ name, value }));
  return h('ul', { class: 'plain' }, rows.map((e) => h('li', {}, h('strong', {}, e.name || e.oid),
    e.critical ? h('span', { class: 'muted' }, ' (critical)') : null, ': ',
    typeof e.value === 'string' ? e.value : JSON.stringify(e.value))));
}

export default async function certificate(ctx) {
  const serial = ctx.params.serial;
  const [c, cas] = await Promise.all([get(`/api/v1/certificates/${enc(serial)}`),
    get('/api/v1/cas').then((x) => x.items || []).catch(() => [])]);
  const issuer = cas.find((x) => x.id === c.ca);
  ctx.title(`Certificate ${serial.slice(0, 12)}`);
  const msg = messageArea();
  const staff = ['admin', 'operator'].includes(ctx.me.role);
  const mayRevoke = staff || ctx.me.role === 'member';
  const path = `/api/v1/certificates/${enc(serial)}`;

  // x5c: the chain as base64 DER, leaf first (RFC 7515 §4.1.6)
  const x5c = c.x5c || [...(c.chain_pem || '').matchAll(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g)]
    .map((m) => m[1].replace(/\s+/g, ''));
  const cn = (subjectCN(c.subject) || '').replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '');
  const base = `${cn ? `${cn}-` : ''}${serial}`;
  const dl = (label, fn) => { const b = button(label, () => busy(b, fn, msg, 'Preparing…'), 'btn btn-small'); return b; };
  const downloads = [
    dl('PEM', async () => saveFile(`${base}.pem`, await request('GET', path, undefined, { accept: 'application/x-pem-file', as: 'text' }), 'application/x-pem-file')),
    dl('DER', async () => saveFile(`${base}.cer`, await request('GET', path, undefined, { accept: 'application/pkix-cert', as: 'blob' }), 'application/pkix-cert')),
    c.chain_pem ? dl('Chain (PEM)', async () => saveFile(`${base}-chain.pem`, c.chain_pem, 'application/x-pem-file')) : null,
    x5c.length ? dl('x5c (JSON)', async () => saveFile(`${base}-x5c.json`, JSON.stringify({ x5c }, null, 2), 'application/json')) : null,
  ].filter(Boolean);

  const actions = [];
  if (mayRevoke && (c.status === 'valid' || c.status === 'on_hold')) {
    const reason = select('reason', staff ? REASONS : REASONS.filter(([r]) => r !== 'certificateHold'));
    reason.value = 'unspecified';
    const revoke = button('Revoke…', async () => {
      const ok = await confirmDialog({ title: 'Revoke this certificate?', confirm: 'Revoke', danger: true,
        body: h('div', {},
          h('p', { class: 'consequence' }, `This revokes 1 certificate: ${subjectCN(c.subject) || c.subject}, serial ${c.serial}${(c.uris || []).length ? `, for ${c.uris.join(', ')}` : ''}.`),
          h('p', {}, 'Relying parties reject it once they fetch the next CRL. It cannot be undone: only “certificate hold” can be lifted later.')),
        extra: field('Reason', reason) });
      if (!ok) return;
      await busy(revoke, async () => {
        await post(`${path}/revoke`, { reason: reason.value });
        ctx.go(`/certificates/${enc(serial)}?done=${reason.value === 'certificateHold' ? 'held' : 'revoked'}`);
      }, msg, 'Revoking…');
    }, 'btn btn-danger');
    if (c.status === 'valid') actions.push(revoke);
  }
  if (staff && c.status === 'on_hold') {
    const unhold = button('Release hold', () => busy(unhold, async () => {
      await post(`${path}/unhold`);
      ctx.go(`/certificates/${enc(serial)}?done=released`);
    }, msg, 'Releasing…'), 'btn btn-primary');
    actions.push(unhold);
  }
  if (mayRevoke && c.status === 'valid') actions.push(link(`/issue?member=${enc(c.member_id)}&renew=${enc(serial)}`, 'Renew', 'btn'));
  const done = { revoked: 'The certificate is revoked; it will be on the next CRL.', held: 'The certificate is on hold.', released: 'The hold is released.' }[ctx.query.done];
  if (done) msg.show('success', done);

  const uris = (c.uris || []).map((u) => h('div', { class: 'mono wrap' }, u));
  const key = c.key || (c.key_type ? `${c.key_type}${c.key_size ? ` ${c.key_size}-bit` : ''}` : null);
  let decoded = null;
  try { decoded = c.certificate_pem ? decodeCert(c.certificate_pem) : null; } catch { decoded = null; }
  return h('div', {},
    pageHeader(subjectCN(c.subject), h('span', {}, h('span', { class: 'mono' }, `Serial ${c.serial}`), ' ', copyButton(c.serial, 'serial')), certStatus(c), ...actions),
    msg,
    c.status === 'revoked' ? notice('error', `Revoked ${fmtTime(c.revoked_at)}${c.revocation_reason ? ` (${c.revocation_reason})` : ''}.`) : null,
    c.status === 'on_hold' ? notice('warning', `On hold since ${fmtTime(c.revoked_at)}.`) : null,
    h('div', { class: 'grid-2' },
      card('Certificate', details([
        ['Subject', h('span', { class: 'wrap' }, (c.subject || '').replace(/,(?=[A-Z]+=)/g, ', '))],
        ['Issuer', h('span', { class: 'wrap' }, c.issuer || (issuer ? fmtDN(issuer.subject) : c.ca))],
        ['SAN URIs', uris.length ? uris : null],
        ['Profile', c.profile],
        ['Member', c.member_id ? link(`/members/${enc(c.member_id)}`, await memberName(c.member_id)) : null],
        ['Key', key],
        ['Not before', fmtTime(c.not_before)],
        ['Not after', h('span', {}, fmtTime(c.not_after), ' ', h('span', { class: 'muted' }, `(${relTime(c.not_after)})`))],
        ['SHA-256 fingerprint', c.fingerprint_sha256 ? h('span', {}, h('span', { class: 'mono wrap' }, hexPairs(c.fingerprint_sha256)), ' ', copyButton(hexPairs(c.fingerprint_sha256), 'SHA-256 fingerprint')) : null],
        ['Extensions', extensions(c) || (decoded ? h('ul', { class: 'plain' }, decoded.extensions.map((e) =>
          h('li', {}, e.name, e.critical ? h('span', { class: 'muted' }, ' (critical)') : null))) : null)],
        c.renewed_from ? ['Renews', link(`/certificates/${enc(c.renewed_from)}`, c.renewed_from, 'mono')] : null,
        c.renewed_by ? ['Renewed by', link(`/certificates/${enc(c.renewed_by)}`, c.renewed_by, 'mono')] : null,
      ])),
      card('Downloads', h('p', { class: 'hint' }, 'The certificate alone, or with its issuing chain for servers that need it.'),
        h('div', { class: 'btn-row' }, downloads),
        c.certificate_pem ? h('details', { class: 'pem' }, h('summary', {}, 'Show PEM'), h('pre', {}, c.certificate_pem)) : null)));
}
