// The conformance sandbox: its fixtures and the verdict each JWT must get;
// an admin creates it or re-issues it relative to now.
import { h, fmtTime } from './dom.js';
import { get, post } from './api.js';
import { messageArea, pageHeader, card, table, busy, button, badge, notice } from './widgets.js';

function verdict(e) {
  if (e.valid) return badge('valid', 'valid');
  return h('span', {}, badge('revoked', e.error), ' ', h('code', {}, e.check));
}

function links(f) {
  const a = (href, text) => h('a', { href, download: '' }, text);
  return h('span', { class: 'links' }, a(f.certificate_url, 'certificate'), ' · ',
    a(f.chain_url, 'chain'), ' · ', a(f.pkcs12_url, 'PKCS#12'), ' · ',
    a(f.software_statement.url, 'software statement'), ' · ', a(f.signed_metadata.url, 'metadata'));
}

export default async function sandbox(ctx) {
  ctx.title('Conformance sandbox');
  const msg = messageArea();
  const isAdmin = ctx.me.role === 'admin';
  const box = h('div', {});
  const load = () => get('/api/v1/sandbox', null, { quiet: true }).catch((err) => {
    if (err.status !== 404) throw err;
    return null;
  });
  const act = async (b, path, done) => {
    await busy(b, async () => {
      const s = await post(path);
      show(await load());
      msg.show('success', `${done}: generation ${s.generation}, ${s.fixtures} fixtures at ${s.index_url}.`);
    }, msg, 'Building…');
  };
  function show(idx) {
    const actions = [];
    if (isAdmin && !idx) {
      const b = button('Create the sandbox', () => act(b, '/api/v1/sandbox/init', 'Created'), 'btn btn-primary');
      actions.push(b);
    }
    if (isAdmin && idx) {
      const b = button('Refresh (re-issue now)', () => act(b, '/api/v1/sandbox/refresh', 'Refreshed'), 'btn');
      actions.push(b);
    }
    const header = pageHeader('Conformance sandbox',
      'Test certificates that must pass or fail, for relying parties. Test material: never trust its anchor in production.',
      ...actions);
    box.replaceChildren(header, msg, ...(idx ? content(idx) : [notice('info', isAdmin
      ? 'There is no sandbox yet. Create it: a SANDBOX root, issuing CAs and the fixtures.'
      : 'There is no sandbox yet: an admin creates it.')]));
  }
  show(await load());
  return box;
}

function content(idx) {
  const cols = [
    { label: 'Fixture', cell: (f) => h('div', {}, h('strong', {}, f.name), h('p', { class: 'hint' }, f.description)) },
    { label: 'Key', cell: (f) => `${f.key_type} (${f.alg})` },
    { label: 'Software statement', cell: (f) => verdict(f.software_statement.expected) },
    { label: 'Signed metadata', cell: (f) => verdict(f.signed_metadata.expected) },
    { label: 'Files', cell: links },
  ];
  const caCols = [
    { label: 'CA', cell: (c) => h('div', {}, h('strong', {}, c.name), h('p', { class: 'hint' }, c.description)) },
    { label: 'CRL', cell: (c) => h('a', { href: c.crl_url }, c.crl.replace(/_/g, ' ')) },
    { label: 'Published', cell: (c) => (c.certificate_url ? h('a', { href: c.certificate_url }, 'certificate') : 'no') },
  ];
  return [
    card('How to use it',
      h('p', {}, 'Trust only ', h('a', { href: idx.anchors_url }, idx.anchors_url),
        ' in your test configuration, feed each JWT to your relying party and compare its answer with the expected verdict. ',
        'PKCS#12 passphrase: ', h('code', {}, idx.pkcs12_passphrase), '; software statement audience: ',
        h('code', {}, idx.audience), '.'),
      h('p', { class: 'hint' }, `Generation ${idx.generation}, made ${fmtTime(idx.generated_at)}. `,
        'Software statements live 5 minutes: refresh before a test run. Index: ',
        h('a', { href: idx.anchors_url.replace(/anchors\.pem$/, 'index.json') }, 'index.json'))),
    card('Fixtures', table(cols, idx.fixtures)),
    card('Certificate authorities', table(caCols, idx.cas))];
}
