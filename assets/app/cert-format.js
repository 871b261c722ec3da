// Shared pieces for certificates: the list table and status display.
import { h, fmtDate, relTime } from './dom.js';
import { badge, table, link } from './widgets.js';
import { enc, get } from './api.js';

// Member names for certificate lists, fetched once per member id.
const names = new Map();
export function memberName(id) {
  if (!names.has(id)) names.set(id, get(`/api/v1/members/${enc(id)}`).then((m) => m.name).catch(() => `#${id}`));
  return names.get(id);
}
function memberLink(id) {
  const a = link(`/members/${enc(id)}`, `#${id}`);
  memberName(id).then((n) => { a.textContent = n; });
  return a;
}

// The status; a certificate about to expire reads "renewed" (with its
// successor) when a renewal was issued, so the forgotten ones stand out.
export function certStatus(c) {
  const renewed = c.renewed_by
    ? h('span', { class: 'renewed-by small' }, ' renewed by ', link(`/certificates/${enc(c.renewed_by)}`, c.renewed_by.slice(0, 12) + (c.renewed_by.length > 12 ? '…' : ''), 'mono'))
    : null;
  if (c.status === 'valid' && c.not_after && new Date(c.not_after) < new Date()) return h('span', {}, badge('expired'), renewed);
  if (c.status === 'valid' && c.not_after && new Date(c.not_after) - Date.now() < 30 * 864e5) {
    return renewed ? h('span', {}, badge('valid', `expires ${relTime(c.not_after)}`), renewed)
      : badge('expiring', `expires ${relTime(c.not_after)}, not renewed`);
  }
  return renewed ? h('span', {}, badge(c.status), renewed) : badge(c.status);
}

export function subjectCN(subject) {
  const m = /CN=([^,/]+)/.exec(subject || '');
  return m ? m[1] : subject || '—';
}

// A URI that wraps only after its separators (/ . ? & # = -), never inside a
// word: <wbr> break points and CSS that breaks elsewhere only as a last resort.
export function uriText(u) {
  const parts = String(u).split(/(?<=[/.?&#=-])(?![/.?&#=-])/);
  return h('span', { class: 'uri' }, parts.flatMap((p, i) => (i ? [h('wbr'), p] : [p])));
}
export const urisCell = (c) => h('span', {}, (c.uris || []).map((u, i) => [i ? h('br') : null, uriText(u)]));

export function certsTable(items, { member = true } = {}) {
  return table([
    { label: 'Serial', cell: (c) => link(`/certificates/${enc(c.serial)}`, c.serial.length > 20 ? `${c.serial.slice(0, 20)}…` : c.serial, 'mono') },
    member ? { label: 'Member', cell: (c) => (c.member_id ? memberLink(c.member_id) : '—') } : null,
    { label: 'Profile', cell: (c) => c.profile || '—' },
    { label: 'SAN URIs', cell: urisCell },
    { label: 'Status', cell: certStatus },
    { label: 'Expires', cls: 'nowrap', cell: (c) => fmtDate(c.not_after) },
  ].filter(Boolean), items, 'No certificates.');
}
