// The dashboard: the community at a glance.
import { h, fmtTime, relTime } from './dom.js';
import { get } from './api.js';
import { pageHeader, card, notice, table, link } from './widgets.js';
import { weekly, weeklyChart } from './chart.js';
import { crlBadge, crlWarning } from './crl.js';
import { eventsTable } from './page-audit.js';
import { subjectCN } from './cert-format.js';
import { attentionCard } from './page-attention.js';

const MEMBER_STATUSES = ['active', 'pending', 'suspended', 'terminated'];

// Counts a list by fetching one page of up to 200: {n, more}.
async function count(path, query) {
  const page = await get(path, { ...query, limit: 200 });
  return { n: (page.items || []).length, more: !!page.next_cursor, items: page.items || [] };
}
const show = (c) => (c.more ? `${c.n}+` : String(c.n));

function stat(label, value, href, kind = '') {
  return h('a', { class: `stat ${kind}`, href: `#${href}` },
    h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
}

function unavailable(what) {
  return notice('info', `${what} are not available on this server yet.`);
}

async function membersCard() {
  try {
    const counts = await Promise.all(MEMBER_STATUSES.map((s) => count('/api/v1/members', { status: s })));
    return card('Members', h('div', { class: 'stats' },
      MEMBER_STATUSES.map((s, i) => stat(s[0].toUpperCase() + s.slice(1), show(counts[i]), `/members?status=${s}`, `stat-${s}`))));
  } catch (err) {
    if (err.status === 401) throw err;
    return card('Members', err.unavailable ? unavailable('Members') : notice('error', err.message));
  }
}

async function certificatesCards() {
  try {
    const [valid, expiring, revoked, recent] = await Promise.all([
      count('/api/v1/certificates', { status: 'valid' }),
      count('/api/v1/certificates', { status: 'valid', expiring_within_days: 30 }),
      count('/api/v1/certificates', { status: 'revoked' }),
      get('/api/v1/certificates', { limit: 200 }),
    ]);
    const certs = [...(recent.items || []), ...revoked.items];
    const seen = new Set();
    const unique = certs.filter((c) => !seen.has(c.serial) && seen.add(c.serial));
    return [
      card('Certificates', h('div', { class: 'stats' },
        stat('Valid', show(valid), '/certificates?status=valid', 'stat-active'),
        stat('Expiring within 30 days', show(expiring), '/certificates?status=valid&expiring_within_days=30', expiring.n ? 'stat-pending' : ''),
        stat('Revoked', show(revoked), '/certificates?status=revoked', 'stat-terminated'))),
      card('Issued and revoked per week', weeklyChart(weekly(unique)),
        recent.next_cursor ? h('p', { class: 'hint' }, 'Counted from the 200 most recent certificates.') : null),
    ];
  } catch (err) {
    if (err.status === 401) throw err;
    return [card('Certificates', err.unavailable ? unavailable('Certificates') : notice('error', err.message))];
  }
}

async function casCard() {
  try {
    const cas = (await get('/api/v1/cas')).items || [];
    return card('Certificate authorities', crlWarning(cas), table([
      { label: 'CA', cell: (c) => h('span', {}, h('strong', {}, subjectCN(c.subject) || c.id), h('span', { class: 'sub-line' }, c.kind === 'root' ? 'Root (trust anchor)' : 'Issuing')) },
      { label: 'CRL number', cell: (c) => h('span', { class: 'crl-number', dataset: { ca: c.id } }, c.crl_number ?? '—') },
      { label: 'thisUpdate', cls: 'nowrap', cell: (c) => fmtTime(c.this_update) },
      { label: 'nextUpdate', cls: 'nowrap', cell: (c) => h('span', { title: fmtTime(c.next_update) }, fmtTime(c.next_update), h('br'), h('span', { class: 'muted' }, relTime(c.next_update))) },
      { label: 'State', cell: crlBadge },
    ], cas, 'No CA yet: run troth init.'), h('p', {}, link('/cas', 'Publication details →')));
  } catch (err) {
    if (err.status === 401) throw err;
    return card('Certificate authorities', err.unavailable ? unavailable('Certificate authorities') : notice('error', err.message));
  }
}

async function workCard() {
  try {
    return attentionCard(await get('/api/v1/attention', { limit: 1 }));
  } catch (err) {
    if (err.status === 401) throw err;
    return card('Needs attention', err.unavailable ? unavailable('The work queue') : notice('error', err.message));
  }
}

async function auditCard() {
  try {
    const page = await get('/api/v1/audit', { limit: 8 });
    return card('Recent activity', eventsTable(page.items || []), h('p', {}, link('/audit', 'Full audit log →')));
  } catch (err) {
    if (err.status === 401) throw err;
    return card('Recent activity', notice('error', err.message));
  }
}

export default async function dashboard(ctx) {
  ctx.title('Dashboard');
  const c = ctx.community;
  const canAudit = ['admin', 'auditor'].includes(ctx.me.role);
  const [work, members, certs, cas, audit] = await Promise.all([
    workCard(), membersCard(), certificatesCards(), casCard(), canAudit ? auditCard() : null]);
  return h('div', { class: 'dashboard' },
    pageHeader(c ? c.name : 'Dashboard', c ? c.uri : 'The trust community at a glance.'),
    work,
    h('div', { class: 'grid-2' }, members, certs[0]),
    certs[1] || null, cas, audit);
}
