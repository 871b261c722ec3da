// CRL freshness: ok, soon (within a quarter of its lifetime or 24 h of nextUpdate), overdue.
import { h, relTime, fmtTime } from './dom.js';
import { badge } from './widgets.js';

export function crlState(ca, now = Date.now()) {
  if (!ca.next_update) return 'unknown';
  const next = new Date(ca.next_update).getTime();
  const life = ca.this_update ? next - new Date(ca.this_update).getTime() : 0;
  if (next <= now) return 'overdue';
  if (next - now < Math.max(864e5, life / 4) && next - now < life) return 'soon';
  if (next - now < 864e5) return 'soon';
  return 'ok';
}

export function crlBadge(ca) {
  const s = crlState(ca);
  if (s === 'overdue') return badge('revoked', `CRL overdue since ${relTime(ca.next_update).replace(' ago', '')}`);
  if (s === 'soon') return badge('pending', `CRL due ${relTime(ca.next_update)}`);
  if (s === 'ok') return badge('valid', 'CRL current');
  return badge('muted', 'no CRL yet');
}

export function crlWarning(cas) {
  const bad = cas.filter((c) => crlState(c) === 'overdue');
  const soon = cas.filter((c) => crlState(c) === 'soon');
  if (bad.length) return h('div', { class: 'notice notice-error', role: 'alert' },
    `The CRL of ${bad.map((c) => c.id).join(', ')} is past its nextUpdate (${fmtTime(bad[0].next_update)}). Relying parties may reject every member until a new CRL is published.`);
  if (soon.length) return h('div', { class: 'notice notice-warning', role: 'status' },
    `The CRL of ${soon.map((c) => c.id).join(', ')} reaches its nextUpdate ${relTime(soon[0].next_update)}.`);
  return null;
}
