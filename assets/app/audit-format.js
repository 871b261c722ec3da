// How an audit event reads: its time to the second, its object by name
// (member, certificate serial + subject and its member) with links, and its
// details (reason, CRL number, changed fields, from → to) in words.
import { h, fmtDN } from './dom.js';
import { enc } from './api.js';

// "2026-11-28 22:46:07 UTC"; the full instant in the datetime attribute.
export function fmtSeconds(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
export const eventTime = (iso) => h('time', { datetime: iso, title: iso }, fmtSeconds(iso));

const cnOf = (subject) => {
  const m = /CN=([^,/]+)/.exec(subject || '');
  return m ? m[1] : fmtDN(subject);
};
const memberLink = (id, name) => h('a', { href: `#/members/${enc(id)}` }, name || `member ${id}`);
const certLink = (serial) => h('a', { href: `#/certificates/${enc(serial)}`, class: 'mono', title: serial },
  serial.length > 16 ? `${serial.slice(0, 16)}…` : serial);

// The object as text, for exports: "certificate 3f… CN=… (Northwind Clinic)".
export function objectText(e) {
  const o = e.object || {};
  const parts = [e.object_type, e.object_id].filter(Boolean);
  if (o.name) parts.push(`“${o.name}”`);
  if (o.subject) parts.push(fmtDN(o.subject));
  if (o.member_name && o.member_id !== e.object_id) parts.push(`of ${o.member_name} (member ${o.member_id})`);
  return parts.join(' ');
}

export function auditObject(e) {
  if (!e.object_type) return '—';
  const o = e.object || {};
  const id = e.object_id;
  if (e.object_type === 'member' && id) return memberLink(id, o.name);
  const owner = o.member_id ? [h('br'), h('span', { class: 'muted' }, 'of '), memberLink(o.member_id, o.member_name)] : null;
  if (e.object_type === 'certificate' && id) {
    return h('span', { class: 'audit-object' }, 'certificate ', certLink(id),
      o.subject ? [' ', h('span', { class: 'wrap' }, cnOf(o.subject))] : null, owner);
  }
  const label = e.object_type.replace('_', ' ');
  return h('span', { class: 'audit-object' }, `${label}${id ? ` ${id}` : ''}`, o.name ? ` “${o.name}”` : null, owner);
}

const LABELS = {
  reason: 'Reason', crl_number: 'CRL number', entries: 'Entries', fields: 'Changed', profile: 'Profile',
  uris: 'URIs', uri: 'URI', key: 'Key', ca: 'CA', renewed_from: 'Renews', serials: 'Certificates',
  because: 'Because', username: 'Username', role: 'Role', kind: 'Kind', member_id: 'Member',
};
const label = (k) => LABELS[k] || k.replace(/_/g, ' ');

function value(k, v) {
  if (Array.isArray(v)) {
    if (!v.length) return 'none';
    if (k === 'serials') return v.flatMap((s, i) => [i ? ', ' : null, certLink(String(s))]);
    return v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  }
  if (v && typeof v === 'object') return JSON.stringify(v);
  if (k === 'renewed_from' || k === 'serial') return certLink(String(v));
  if (k === 'member_id') return memberLink(String(v));
  return String(v);
}

// The details as a compact list; a status change reads "pending → active".
export function auditDetails(e) {
  const d = e.details || {};
  const keys = Object.keys(d);
  if (!keys.length) return '—';
  const items = [];
  if ('from' in d && 'to' in d) items.push(h('div', {}, h('dt', {}, 'Status:'), ' ', h('dd', {}, `${d.from} → ${d.to}`)));
  for (const k of keys) {
    if ((k === 'from' || k === 'to') && 'from' in d && 'to' in d) continue;
    if (k === 'member_id' && e.object && e.object.member_id === String(d[k])) continue; // shown as the object's member
    items.push(h('div', {}, h('dt', {}, `${label(k)}:`), ' ', h('dd', {}, value(k, d[k]))));
  }
  return h('dl', { class: 'event-details' }, items);
}
