// A bar chart of certificates issued and revoked per week, as inline SVG.
import { svg, h } from './dom.js';

const WEEK = 7 * 864e5;

// Monday 00:00 UTC of the week holding t.
function weekStart(t) {
  const d = new Date(t);
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.getTime();
}

// certs: [{not_before, revoked_at}] → [{week, issued, revoked}] for the last n weeks.
export function weekly(certs, n = 12, now = Date.now()) {
  const last = weekStart(now);
  const weeks = Array.from({ length: n }, (_, i) => ({ week: last - (n - 1 - i) * WEEK, issued: 0, revoked: 0 }));
  const bucket = (iso) => {
    if (!iso) return null;
    const i = n - 1 - Math.round((last - weekStart(iso)) / WEEK);
    return weeks[i] || null;
  };
  for (const c of certs) {
    const a = bucket(c.issued_at || c.not_before);
    if (a) a.issued++;
    const r = bucket(c.revoked_at);
    if (r) r.revoked++;
  }
  return weeks;
}

// weeks: [{week (ms), issued, revoked, held?}]; integer ticks, an empty state.
export function weeklyChart(weeks) {
  const total = weeks.reduce((a, w) => [a[0] + w.issued, a[1] + w.revoked, a[2] + (w.held || 0)], [0, 0, 0]);
  if (!total[0] && !total[1] && !total[2]) {
    return h('p', { class: 'empty chart-empty' }, `No certificate was issued, revoked or put on hold in the last ${weeks.length} weeks.`);
  }
  const W = 640, H = 220, padL = 34, padB = 28, padT = 12;
  const max = Math.max(1, ...weeks.map((w) => Math.max(w.issued, w.revoked, w.held || 0)));
  // whole-number ticks: four steps of a whole size
  const stepSize = Math.max(1, Math.ceil(max / 4));
  const top = stepSize * 4;
  const plotW = W - padL - 8, plotH = H - padB - padT;
  const slot = plotW / weeks.length, bar = Math.min(14, slot / 3 - 2);
  const y = (v) => padT + plotH - (v / top) * plotH;
  const parts = [];
  for (let i = 0; i <= 4; i++) {
    const v = stepSize * i;
    parts.push(svg('line', { x1: padL, x2: W - 8, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: padL - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }
  weeks.forEach((w, i) => {
    const x = padL + i * slot + slot / 2;
    const label = new Date(w.week).toISOString().slice(5, 10);
    const rect = (v, dx, cls, what) => svg('rect', { x: x + dx, y: y(v), width: bar, height: Math.max(0, y(0) - y(v)), class: cls, rx: 2 },
      svg('title', {}, `Week of ${label}: ${v} ${what}`));
    parts.push(rect(w.issued, -1.5 * bar - 1, 'bar-issued', 'issued'), rect(w.revoked, -bar / 2, 'bar-revoked', 'revoked'),
      rect(w.held || 0, bar / 2 + 1, 'bar-held', 'put on hold'));
    if (i % 2 === weeks.length % 2 || weeks.length <= 8)
      parts.push(svg('text', { x, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, label));
  });
  return h('figure', { class: 'chart' },
    svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Certificates per week: ${total[0]} issued, ${total[1]} revoked and ${total[2]} put on hold in ${weeks.length} weeks` }, parts),
    h('figcaption', {}, h('span', { class: 'key key-issued' }, 'Issued'), h('span', { class: 'key key-revoked' }, 'Revoked'),
      h('span', { class: 'key key-held' }, 'On hold'), h('span', { class: 'muted' }, ` · weeks starting Monday (UTC)`)));
}
