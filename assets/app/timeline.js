// Pictures of the next weeks (issue 14 §4), as SVG built here (no inline
// styles or scripts: the CSP), each with a text alternative:
//  - expiryTimeline: valid certificates by the week of their notAfter, one
//    column per week stacked by profile, the renewed ones in a paler column
//    of their own; every segment links to the certificate list filtered to
//    exactly what it counts;
//  - crlFreshness: per CA, thisUpdate → nextUpdate with the refresh point
//    and now marked, and the CRL's entries, size and last revoke-to-publish
//    latency.
import { h, svg, fmtTime, relTime } from './dom.js';
import { crlState } from './crl.js';

const DAY = 864e5;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const nextWeek = (day) => new Date(Date.parse(`${day}T00:00:00Z`) + 7 * DAY).toISOString().slice(0, 10);

// The certificate list showing what one bar (or one segment of it) counts.
export function timelineHref(week, { profile, renewed, memberId } = {}) {
  const q = new URLSearchParams({ status: 'valid', expires_from: week, expires_before: nextWeek(week) });
  if (profile) q.set('profile', profile);
  if (renewed !== undefined) q.set('renewed', String(renewed));
  if (memberId) q.set('member_id', memberId);
  return `#/certificates?${q}`;
}

// timeline: {profiles: [..], weeks: [{week, total, renewed, not_renewed, by_profile: [{profile, renewed, not_renewed}]}]}
export function expiryTimeline(timeline, { memberId } = {}) {
  const weeks = timeline.weeks || [];
  const profiles = timeline.profiles || [];
  const total = weeks.reduce((a, w) => a + w.total, 0);
  const renewed = weeks.reduce((a, w) => a + w.renewed, 0);
  if (!total) {
    return h('p', { class: 'empty chart-empty timeline-empty' },
      `No valid certificate expires in the next ${weeks.length} weeks.`);
  }
  const cls = (p) => `seg-${Math.max(0, profiles.indexOf(p)) % 6}`;
  const W = 640, H = 230, padL = 34, padB = 28, padT = 12;
  const max = Math.max(1, ...weeks.map((w) => Math.max(w.not_renewed, w.renewed)));
  const stepSize = Math.max(1, Math.ceil(max / 4));
  const top = stepSize * 4;
  const plotW = W - padL - 8, plotH = H - padB - padT;
  const slot = plotW / weeks.length, bar = Math.min(18, slot / 2 - 3);
  const y = (v) => padT + plotH - (v / top) * plotH;
  const parts = [];
  for (let i = 0; i <= 4; i++) {
    const v = stepSize * i;
    parts.push(svg('line', { x1: padL, x2: W - 8, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: padL - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }
  weeks.forEach((w, i) => {
    const x = padL + i * slot + slot / 2;
    const label = w.week.slice(5);
    // a column: the week's profiles stacked, each segment a link
    const column = (dx, isRenewed) => {
      let base = 0;
      for (const p of w.by_profile) {
        const n = isRenewed ? p.renewed : p.not_renewed;
        if (!n) continue;
        const what = `Week of ${w.week}: ${plural(n, `${p.profile} certificate`)} expiring, ${isRenewed ? 'renewed' : 'not renewed'}`;
        parts.push(svg('a', { href: timelineHref(w.week, { profile: p.profile, renewed: isRenewed, memberId }), 'aria-label': what,
          class: `bar-link${isRenewed ? ' renewed' : ''}`, 'data-week': w.week, 'data-profile': p.profile, 'data-renewed': String(isRenewed), 'data-count': n },
        svg('rect', { x: x + dx, y: y(base + n), width: bar, height: Math.max(1, y(base) - y(base + n)), class: `seg ${cls(p.profile)}${isRenewed ? ' seg-renewed' : ''}` },
          svg('title', {}, what))));
        base += n;
      }
    };
    column(-bar - 1, false);
    column(1, true);
    if (i % 2 === 0) parts.push(svg('text', { x, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, label));
  });
  const sentence = `Expiry timeline: ${plural(total, 'valid certificate')} expire in the next ${weeks.length} weeks, ${renewed} of them renewed`;
  // the text alternative: the same numbers and links as a table
  const rows = weeks.filter((w) => w.total).map((w) => h('tr', {},
    h('th', { scope: 'row', class: 'nowrap' }, w.week),
    profiles.map((p) => {
      const b = w.by_profile.find((x) => x.profile === p) || { renewed: 0, not_renewed: 0 };
      const cell = (n, r) => (n ? h('a', { href: timelineHref(w.week, { profile: p, renewed: r, memberId }) }, String(n)) : '0');
      return h('td', { 'data-label': p }, cell(b.not_renewed, false), ' + ', cell(b.renewed, true), ' renewed');
    }),
    h('td', { 'data-label': 'All' }, h('a', { href: timelineHref(w.week, { memberId }) }, String(w.total)))));
  const alt = h('details', { class: 'chart-table' }, h('summary', {}, 'The numbers as a table'),
    h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Week of (Monday, UTC)'),
        profiles.map((p) => h('th', { scope: 'col' }, p)), h('th', { scope: 'col' }, 'All'))),
      h('tbody', {}, rows)));
  return h('figure', { class: 'chart timeline' },
    svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': sentence }, svg('title', {}, sentence), parts),
    h('figcaption', {},
      profiles.map((p) => h('span', { class: `key key-${cls(p)}` }, p)),
      h('span', { class: 'key key-renewed' }, 'renewed (paler, right of each week)'),
      h('span', { class: 'muted' }, ` · weeks starting Monday (UTC); ${plural(total, 'certificate')}, ${renewed} renewed`)),
    alt);
}

const size = (b) => (b >= 1048576 ? `${(b / 1048576).toFixed(1)} MB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KB` : `${b} bytes`);
const duration = (s) => (s < 120 ? plural(s, 'second') : s < 7200 ? plural(Math.round(s / 60), 'minute') : plural(Math.round(s / 3600), 'hour'));

// One CA's CRL: {ca_id, crl_number, this_update, next_update, refresh_at,
// entries, size_bytes, last_revocation_at, last_revocation_latency_seconds}
export function crlFreshness(c, now = Date.now()) {
  const t0 = Date.parse(c.this_update), t1 = Date.parse(c.next_update);
  const span = Math.max(1, t1 - t0);
  const W = 600, H = 44, L = 4, R = W - 4;
  const x = (t) => L + Math.min(1, Math.max(0, (t - t0) / span)) * (R - L);
  const state = crlState(c, now);
  const refresh = c.refresh_at ? Date.parse(c.refresh_at) : null;
  const parts = [
    svg('rect', { x: L, y: 14, width: R - L, height: 14, rx: 4, class: 'fresh-track' }),
    svg('rect', { x: L, y: 14, width: Math.max(2, x(now) - L), height: 14, rx: 4, class: `fresh-elapsed fresh-${state}` }),
  ];
  if (refresh) parts.push(svg('line', { x1: x(refresh), x2: x(refresh), y1: 8, y2: 34, class: 'fresh-refresh' },
    svg('title', {}, `Refresh point ${fmtTime(c.refresh_at)}`)));
  parts.push(svg('line', { x1: x(now), x2: x(now), y1: 4, y2: 38, class: 'fresh-now' }, svg('title', {}, 'Now')));
  const pct = Math.round(Math.min(1, Math.max(0, (now - t0) / span)) * 100);
  const latency = c.last_revocation_latency_seconds;
  const published = !c.last_revocation_at ? 'no revocation in effect'
    : latency === null || latency === undefined ? `the last revocation (${fmtTime(c.last_revocation_at)}) is not yet published`
      : `the last revocation was published in ${duration(latency)} (CRL ${c.last_revocation_crl_number})`;
  const sentence = `CRL ${c.crl_number} of ${c.ca_id}: ${pct}% of its life from thisUpdate ${fmtTime(c.this_update)} to nextUpdate ${fmtTime(c.next_update)} has passed`
    + (refresh ? `; the refresh point is ${fmtTime(c.refresh_at)}` : '; its key is offline, so no automatic refresh')
    + `; ${plural(c.entries, 'entry', 'entries')}, ${size(c.size_bytes)}; ${published}.`;
  return h('div', { class: 'fresh', dataset: { ca: c.ca_id } },
    h('div', { class: 'fresh-head' }, h('strong', {}, c.ca_id), ' ', h('span', { class: 'muted' }, `CRL ${c.crl_number}`)),
    svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': sentence, preserveAspectRatio: 'none', class: 'fresh-bar' }, parts),
    h('div', { class: 'fresh-ends small' },
      h('span', {}, 'thisUpdate ', h('time', { datetime: c.this_update }, fmtTime(c.this_update))),
      refresh ? h('span', { class: 'fresh-refresh-label' }, 'refresh ', relTime(c.refresh_at, now)) : null,
      h('span', {}, 'nextUpdate ', h('time', { datetime: c.next_update }, fmtTime(c.next_update)))),
    h('p', { class: 'fresh-facts' },
      h('span', { class: 'fresh-entries' }, plural(c.entries, 'entry', 'entries')), ' · ',
      h('span', { class: 'fresh-size' }, size(c.size_bytes)), ' · ',
      h('span', { class: 'fresh-latency' }, published)));
}

export function crlFreshnessList(crls, now = Date.now()) {
  if (!crls.length) return h('p', { class: 'empty' }, 'No CRL published yet.');
  return h('div', { class: 'fresh-list' }, crls.map((c) => crlFreshness(c, now)),
    h('p', { class: 'hint' }, 'The bar runs from thisUpdate to nextUpdate; the filled part is the time passed, the tall line is now, the dashed line the refresh point (Troth makes a new CRL then even without a revocation).'));
}
