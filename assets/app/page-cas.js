// CAs and publication: the public URLs relying parties use, fingerprints,
// CRL state, regenerate a CRL now (admin), the trust-anchor bundle.
import { h, fmtTime, relTime, hexPairs, fmtDN } from './dom.js';
import { subjectCN } from './cert-format.js';
import { get, post, enc } from './api.js';
import { pageHeader, card, details, busy, button, messageArea } from './widgets.js';
import { crlBadge, crlWarning } from './crl.js';

export default async function cas(ctx) {
  ctx.title('CAs and publication');
  const msg = messageArea();
  const list = (await get('/api/v1/cas')).items || [];
  const isAdmin = ctx.me.role === 'admin';
  const fresh = list.find((c) => c.id === ctx.query.crl);
  if (fresh) msg.show('success', `New CRL for ${subjectCN(fresh.subject) || fresh.id}${ctx.query.number ? `: number ${ctx.query.number}` : ''}.`);
  const anchors = list.find((c) => c.certificate_url);
  const anchorsUrl = anchors ? anchors.certificate_url.replace(/\/ca\/[^/]*$/, '/anchors.pem') : null;
  const ext = (url) => (url ? h('a', { href: url, class: 'mono wrap', rel: 'noopener' }, url) : null);
  const cards = list.map((c) => {
    let regen = null;
    if (isAdmin && c.crl_url) {
      regen = button('Regenerate CRL now', () => busy(regen, async () => {
        const r = await post(`/api/v1/cas/${enc(c.id)}/crl`);
        ctx.go(`/cas?crl=${enc(c.id)}&number=${enc(r && r.crl_number !== undefined ? r.crl_number : '')}&t=${Date.now()}`);
      }, msg, 'Signing…'), 'btn');
    }
    return card(subjectCN(c.subject) || c.id, h('p', {}, h('span', { class: 'muted' }, c.kind === 'root' ? 'Root CA (trust anchor)' : 'Issuing CA'), ' ', crlBadge(c)),
      details([
        ['Subject', fmtDN(c.subject)],
        ['Certificate', ext(c.certificate_url)],
        ['CRL', ext(c.crl_url)],
        ['SHA-256 fingerprint', c.fingerprint_sha256 ? h('span', { class: 'mono wrap' }, hexPairs(c.fingerprint_sha256)) : null],
        ['CRL number', c.crl_number === undefined ? null : String(c.crl_number)],
        ['thisUpdate', fmtTime(c.this_update)],
        ['nextUpdate', c.next_update ? `${fmtTime(c.next_update)} (${relTime(c.next_update)})` : null],
        c.not_after ? ['Valid until', fmtTime(c.not_after)] : null,
      ]), regen ? h('div', { class: 'actions' }, regen) : null);
  });
  return h('div', {},
    pageHeader('CAs and publication', 'What relying parties fetch, unauthenticated, from the public listener.'),
    msg, crlWarning(list),
    card('Trust anchors', h('p', {}, 'Relying parties install the community’s root certificates from the bundle: ', anchorsUrl ? ext(anchorsUrl) : h('code', {}, '/anchors.pem'), ' (also as JSON at ', h('code', {}, '/anchors.json'), ').')),
    ...cards);
}
