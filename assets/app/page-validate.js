// Validate: paste a signed UDAP JWT (software statement, signed metadata,
// authentication JWT) and see every check a relying party makes, green or
// red, with the certificate chain drawn from the leaf up to the anchor.
import { h, clear, fmtTime } from './dom.js';
import { post } from './api.js';
import { field, select, input, messageArea, pageHeader, card, busy, markField, badge } from './widgets.js';

const KINDS = [['auto', 'Detect from the claims'], ['software_statement', 'Software statement'],
  ['signed_metadata', 'Signed metadata'], ['client_assertion', 'Authentication JWT (client assertion)']];
const TRUSTS = [['community', 'This community'], ['sandbox', 'The conformance sandbox']];

function checkItem(c) {
  return h('li', { class: `check ${c.ok ? 'check-ok' : 'check-fail'}`, dataset: { check: c.name } },
    h('span', { class: 'check-mark', 'aria-hidden': 'true' }, c.ok ? '✓' : '✗'),
    h('div', { class: 'check-body' },
      h('strong', {}, c.name), ' ', badge(c.ok ? 'valid' : 'revoked', c.ok ? 'passed' : 'failed'),
      h('p', { class: 'check-detail' }, c.detail || ''),
      h('p', { class: 'hint check-ref' }, c.reference || '')));
}

// The chain from the leaf (first) to the anchor (last), one box per certificate.
function chainView(chain) {
  if (!chain || !chain.length) return h('p', { class: 'empty' }, 'No certificate could be read from x5c.');
  const items = chain.map((c, i) => h('li', { class: 'certchain-cert' },
    h('div', { class: 'certchain-role' }, i === 0 ? 'Leaf' : c.source === 'anchor' ? 'Trust anchor' : 'CA',
      ' · ', c.source === 'x5c' ? 'from x5c' : c.source === 'anchor' ? 'anchor' : 'published'),
    h('div', { class: 'certchain-subject' }, c.subject),
    h('div', { class: 'hint' }, `issued by ${c.issuer}`),
    h('div', { class: 'hint' }, `valid ${fmtTime(c.not_before)} – ${fmtTime(c.not_after)} · serial ${c.serial}`)));
  return h('ol', { class: 'certchain', 'aria-label': 'Certificate chain, leaf first' }, items);
}

export default async function validate(ctx) {
  ctx.title('Validate a JWT');
  const msg = messageArea();
  const jwt = h('textarea', { name: 'jwt', rows: 8, required: true, spellcheck: 'false',
    class: 'mono', placeholder: 'eyJhbGciOiJSUzI1NiIsIng1YyI6Wy4uLl19.eyJpc3MiOi4uLn0.c2lnbmF0dXJl' });
  const kind = select('kind', KINDS);
  const trust = select('trust', TRUSTS);
  const audience = input('audience', { placeholder: 'https://as.example.org/register', autocomplete: 'off' });
  const baseUrl = input('base_url', { placeholder: 'https://fhir.example.org/r4', autocomplete: 'off' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Validate');
  const result = h('div', { class: 'validate-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'form', novalidate: true },
    field('Signed JWT (compact)', jwt, 'Nothing is stored but an audit event with the verdict and the iss.'),
    h('div', { class: 'grid' },
      field('Kind', kind), field('Check against', trust),
      field('Audience (aud)', audience, 'Optional: the registration or token endpoint.'),
      field('Base URL', baseUrl, 'Signed metadata: the FHIR base URL it was fetched from.')),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(result);
    await busy(submit, async () => {
      const body = { jwt: jwt.value, kind: kind.value, trust: trust.value };
      if (audience.value.trim()) body.audience = audience.value.trim();
      if (baseUrl.value.trim()) body.base_url = baseUrl.value.trim();
      try {
        const v = await post('/api/v1/udap/validate', body);
        markField(form);
        msg.reset();
        const failed = v.checks.filter((c) => !c.ok).length;
        result.append(
          h('div', { class: `verdict ${v.valid ? 'verdict-ok' : 'verdict-fail'}`, role: 'status' },
            h('strong', {}, v.valid ? 'Valid' : `Not valid: ${v.error}`),
            h('span', {}, ` — ${v.kind.replace('_', ' ')}${v.iss ? `, iss ${v.iss}` : ''}; `,
              `${v.checks.length - failed} of ${v.checks.length} checks passed`)),
          card('Checks', h('ul', { class: 'checks' }, v.checks.map(checkItem))),
          card('Certificate chain', chainView(v.chain)));
      } catch (err) { markField(form, err); throw err; }
    }, msg, 'Validating…');
  });
  return h('div', {},
    pageHeader('Validate a JWT', 'What a relying party of this community would answer to a member’s signed JWT.'),
    msg, card(null, form), result);
}
