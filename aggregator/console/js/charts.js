// Small SVG charts: one bar per minute, stacked by series.

import { svg, h } from './dom.js';

const W = 600;
const H = 140;
const PAD = 28;

// minutes: [{start, values: {series: n}}]; series: [{key, label, cls}].
// `unit` formats the axis and hover texts.
export function barChart(title, minutes, series, unit = (n) => String(n)) {
  const total = (m) => series.reduce((a, s) => a + (m.values[s.key] || 0), 0);
  const max = Math.max(1, ...minutes.map(total));
  const bw = (W - PAD) / Math.max(1, minutes.length);
  const bars = [];
  minutes.forEach((m, i) => {
    let y = H - PAD;
    const x = PAD + i * bw;
    const hover = [m.start.slice(11, 16)].concat(series
      .filter((s) => m.values[s.key])
      .map((s) => `${s.label}: ${unit(m.values[s.key])}`)).join(', ');
    for (const s of series) {
      const v = m.values[s.key] || 0;
      if (!v) continue;
      const bh = (v / max) * (H - 2 * PAD);
      y -= bh;
      bars.push(svg('rect', {
        x: x + 1, y, width: Math.max(1, bw - 2), height: bh, class: s.cls,
      }, svg('title', {}, hover)));
    }
  });
  return h('figure', { class: 'chart' },
    h('figcaption', {}, title),
    svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title },
      svg('line', { x1: PAD, y1: H - PAD, x2: W, y2: H - PAD, class: 'axis' }),
      svg('text', { x: 0, y: PAD, class: 'tick' }, unit(max)),
      svg('text', { x: 0, y: H - PAD, class: 'tick' }, '0'),
      svg('text', { x: PAD, y: H - 8, class: 'tick' }, '-60 min'),
      svg('text', { x: W - 30, y: H - 8, class: 'tick' }, 'now'),
      bars),
    h('div', { class: 'legend' }, series.map((s) =>
      h('span', { class: `swatch ${s.cls}` }, s.label))));
}
