// The dashboard: the community at a glance.
import { h, fmtTime, relTime } from './dom.js';
import { get } from './api.js';
import { pageHeader, card, notice, table, link } from './widgets.js';
import { weeklyChart } from './chart.js';
import { crlBadge, crlWarning } from './crl.js';
import { eventsTable } from './page-audit.js';
import { subjectCN } from './cert-format.js';
import { attentionCard } from './page-attention.js';
import { expiryTimeline, crlFreshnessList } from './timeline.js';

const MEMBER_STATUSES = ['active', 'pending', 'suspended', 'terminated'];

function stat(label, value, href, kind = '') {
  return h('a', { class: `stat ${kind}`, href: `#${href}` },
    h('span', { class: 'stat-value' }, String(value)), h('span', { class: 'stat-label' }, label));
}

function unavailable(what) {
  return notice('info', `${what} are not available on this server yet.`);
}

// The true numbers: GET /api/v1/stats counts every row (issue 14 §4).
function membersCard(stats) {
  return card('Members', h('div', { class: 'stats' },
    MEMBER_STATUSES.map((s) => stat(s[0].toUpperCase() + s.slice(1), stats.members[s] ?? 0, `/members?status=${s}`, `stat-${s}`))));
}

function certificatesCards(stats) {
  const c = stats.certificates;
  const soon = stats.expiring.within_30_days;
  return [
    card('Certificates', h('div', { class: 'stats' },
      stat('Valid', c.valid, '/certificates?status=valid', 'stat-active'),
      stat('Expiring within 30 days', soon, '/certificates?status=valid&expiring_within_days=30', soon ? 'stat-pending' : ''),
      stat('On hold', c.on_hold, '/certificates?status=on_hold', c.on_hold ? 'stat-suspended' : ''),
      stat('Revoked', c.revoked, '/certificates?status=revoked', 'stat-terminated'))),
    card('Issued, revoked and held per week', weeklyChart(stats.weeks.map((w) => ({ ...w, week: Date.parse(`${w.week}T00:00:00Z`) })))),
    stats.expiry_timeline ? card('Expiring in the next 13 weeks', expiryTimeline(stats.expiry_timeline)) : null,
    stats.crls ? card('CRL freshness', crlFreshnessList(stats.crls)) : null,
  ];
}

function statsFailed(err) {
  if (err.status === 401) throw err;
  const body = err.unavailable ? unavailable('Numbers') : notice('error', err.message);
  return { members: card('Members', body), certs: [card('Certificates', body.cloneNode(true))] };
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
  const [work, stats, cas, audit] = await Promise.all([
    workCard(), get('/api/v1/stats').catch((err) => ({ failed: err })), casCard(), canAudit ? auditCard() : null]);
  let members, certs;
  if (stats.failed) ({ members, certs } = statsFailed(stats.failed));
  else { members = membersCard(stats); certs = certificatesCards(stats); }
  return h('div', { class: 'dashboard' },
    pageHeader(c ? c.name : 'Dashboard', c ? c.uri : 'The trust community at a glance.'),
    work,
    h('div', { class: 'grid-2' }, members, certs[0]),
    certs[1] || null, certs[2] || null, certs[3] || null, cas, audit);
}
