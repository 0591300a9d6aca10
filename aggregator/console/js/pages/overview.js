// The aggregator at a glance (GET /v1/overview), refreshed every 5 s:
// what it is, workflows and open executions by status, and charts of the
// last hour's executions per minute by status and fire lateness.

import { api } from '../api.js';
import { barChart } from '../charts.js';
import { h, replace, table } from '../dom.js';
import * as fmt from '../format.js';

const OUTCOMES = [
  { key: 'succeeded', label: 'succeeded', cls: 'succeeded' },
  { key: 'failed', label: 'failed', cls: 'failed' },
  { key: 'timedOut', label: 'timed out', cls: 'timed-out' },
  { key: 'canceled', label: 'canceled', cls: 'canceled' },
  { key: 'skipped', label: 'skipped', cls: 'skipped' },
];
const LATENESS = [
  { key: 'mean', label: 'mean', cls: 'late-mean' },
  { key: 'over', label: 'max (above the mean)', cls: 'late-max' },
];

function counts(id, byStatus) {
  const names = Object.keys(byStatus || {}).sort();
  if (names.length === 0) return h('p', { class: 'muted', id }, 'none');
  return table(names, h('tr', {}, names.map((n) =>
    h('td', { class: 'num', id: `${id}-${n}` }, byStatus[n]))), { id });
}

export async function render(ctx) {
  const draw = async () => {
    const o = await api.overview();
    if (!ctx.current()) return;
    const activity = o.activity || [];
    const outcomes = activity.map((m) => ({
      start: m.start,
      values: Object.fromEntries(OUTCOMES.map((s) => [s.key, +(m[s.key] || 0)])),
    }));
    const lateness = activity.map((m) => {
      const mean = fmt.durationMs(m.latenessMean);
      return { start: m.start,
        values: { mean, over: fmt.durationMs(m.latenessMax) - mean } };
    });
    const fired = activity.reduce((a, m) => a + +(m.fired || 0), 0);
    replace(ctx.main,
      h('h2', {}, 'Overview'),
      h('p', { id: 'aggregator' },
        h('strong', {}, o.aggregatorId), ` · `, h('span', { id: 'role' }, o.role),
        ` · version ${o.version} · ${fmt.time(o.now)}`),
      h('p', { id: 'cluster' }, o.store === 'postgres'
        ? `Cluster on PostgreSQL: the leader is ${o.leaderAddress} (epoch ` +
          `${o.epoch}); a standby forwards what it is asked to it, so this ` +
          'page is the leader\'s whichever member serves it.'
        : 'One aggregator on its embedded RocksDB store.'),
      table(['workflows known', 'armed', 'fires since start',
        'fires in the last hour'],
      h('tr', {},
        h('td', { class: 'num', id: 'workflows-known' }, o.workflowsKnown || 0),
        h('td', { class: 'num' }, o.workflowsArmed || 0),
        h('td', { class: 'num' }, o.fires || 0),
        h('td', { class: 'num' }, fired))),
      h('h3', {}, 'Workflows by status'), counts('workflows', o.workflowsByStatus),
      h('h3', {}, 'Executions not finished'), counts('open', o.openExecutions),
      h('div', { class: 'charts' },
        barChart('Executions finished per minute, by status', outcomes,
          OUTCOMES),
        barChart('Fire lateness (scheduled time to durable record)', lateness,
          LATENESS, fmt.ms)),
      h('p', { class: 'muted' },
        'All owners together, as /metrics counts them; the hour is kept in ',
        'the leader\'s memory. Refreshes every 5 s.'));
  };
  await draw();
  ctx.every(5000, draw);
}
