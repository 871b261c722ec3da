// How an audit event's object is shown: a link where the UI has a page for it.
import { h } from './dom.js';

const PAGES = { member: '/members/', certificate: '/certificates/' };

export function auditObject(e) {
  if (!e.object_type) return '—';
  const label = `${e.object_type}${e.object_id ? ' ' + e.object_id : ''}`;
  const base = PAGES[e.object_type];
  if (base && e.object_id) return h('a', { href: `#${base}${encodeURIComponent(e.object_id)}` }, label);
  return label;
}
